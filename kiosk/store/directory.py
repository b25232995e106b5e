"""The host directory as this device holds it: replaced whole on import (or sync)."""

from __future__ import annotations

import dataclasses

from kiosk.core.hosts import Host, host_from_row, host_row
from kiosk.store.db import Database

_COLUMNS = [f.name for f in dataclasses.fields(Host)]


class DirectoryTable:
    def __init__(self, db: Database):
        self.db = db

    def replace_all(self, hosts: list[Host]) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM hosts")
            conn.executemany(f"INSERT OR REPLACE INTO hosts ({', '.join(_COLUMNS)})"
                             f" VALUES ({', '.join(':' + c for c in _COLUMNS)})", [host_row(h) for h in hosts])

    def get(self, host_id: str) -> Host | None:
        rows = self.db.read(f"SELECT {', '.join(_COLUMNS)} FROM hosts WHERE host_id = ?", (host_id,))
        return host_from_row(dict(zip(_COLUMNS, rows[0]))) if rows else None

    def all(self) -> list[Host]:
        rows = self.db.read(f"SELECT {', '.join(_COLUMNS)} FROM hosts ORDER BY name, host_id")
        return [host_from_row(dict(zip(_COLUMNS, row))) for row in rows]
