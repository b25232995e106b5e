"""The entry policy as this device holds it: the policy document (setting ``policy``, else the
built-in visitor types, open at all hours) and the watchlist (imported, or synced from the
server), with the decision for one registration.

Kept apart from the pure rules (kiosk.core.policy, kiosk.core.watchlist): this module reads
files and the log's meta table.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

from kiosk.core.policy import ALLOW, DEFAULT_POLICY, Decision, Hours, Policy, decide
from kiosk.core.watchlist import Watchlist, WatchEntry
from kiosk.errors import SettingsError, ValidationError
from kiosk.store.db import Database

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

WATCHLIST = "watchlist"  # meta key: the entries as a JSON list
# Without a policy file the kiosk keeps its hours to the people who run it: a lobby kiosk that
# asks for approval after 20:00 on a Friday nobody configured would surprise everyone.
OPEN_ALWAYS = replace(DEFAULT_POLICY, hours=Hours(after_hours=ALLOW))


def load_policy(path: str) -> Policy:
    if not path:
        return OPEN_ALWAYS
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
        return Policy.from_dict(raw)
    except (OSError, ValueError, ValidationError) as exc:  # JSON and TOML errors are ValueErrors
        raise SettingsError(f"policy {path}: {exc}") from None


class EntryRules:
    def __init__(self, db: Database, policy: Policy):
        self.db = db
        self.policy = policy
        self._watchlist: tuple[str, Watchlist] | None = None  # (the stored text, its index)

    def watchlist(self) -> Watchlist:
        """The watchlist, indexed again only when it changed (an index of 10,000 takes 0.5 s)."""
        text = self.db.get_meta(WATCHLIST, "[]")
        if self._watchlist is None or self._watchlist[0] != text:
            self._watchlist = (text, Watchlist(WatchEntry.from_dict(raw) for raw in json.loads(text)))
        return self._watchlist[1]

    def replace_watchlist(self, entries: Iterable[WatchEntry]) -> int:
        listed = [entry.to_dict() for entry in entries]
        self.db.set_meta(WATCHLIST, json.dumps(listed, ensure_ascii=False, sort_keys=True))
        return len(listed)

    def decide(self, *, visitor_type: str, name: str, company: str, phone: str, answers: Mapping[str, str],
               when_ms: int) -> Decision:
        when = datetime.fromtimestamp(when_ms / 1000).astimezone()
        return decide(self.policy, self.watchlist(), visitor_type=visitor_type, name=name, company=company,
                      phone=phone, answers=answers, when=when)


def matches_for_reception(decision: Decision) -> list[dict[str, Any]]:
    """What the visit's record keeps of the watchlist matches: enough for reception to act."""
    return [{"entry_id": m.entry.entry_id, "why": m.why, "action": m.entry.action, "name": m.entry.name,
             "company": m.entry.company, "note": m.entry.note} for m in decision.matches]
