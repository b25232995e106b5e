"""The host directory as this device holds it: replaced whole on import (or sync)."""

from __future__ import annotations

from kiosk.core.hosts import Host
from kiosk.store.db import Database


class DirectoryTable:
    def __init__(self, db: Database):
        self.db = db

    def replace_all(self, hosts: list[Host]) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM hosts")
            conn.executemany("INSERT OR REPLACE INTO hosts (host_id, name, department, email, phone)"
                             " VALUES (?, ?, ?, ?, ?)",
                             [(h.host_id, h.name, h.department, h.email, h.phone) for h in hosts])

    def all(self) -> list[Host]:
        rows = self.db.read("SELECT host_id, name, department, email, phone FROM hosts ORDER BY name, host_id")
        return [Host(*row) for row in rows]
