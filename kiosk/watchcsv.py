"""The watchlist as operators write it: a CSV file (`kiosk watchlist import`, `kiosk-server
watchlist import`), the rules an entry is held to however it arrives (:func:`watch_entry`, which
the server applies to its admin API too), and an entry as a list shows it.

The file is read as the host directory's is (kiosk.hostcsv.read_csv_table: Excel's UTF-8 or
GB18030, English or Chinese headers, refused whole naming the bad lines). Its header row is
``name,aliases,company,phone,action,note`` (or 姓名,别名,单位,电话,处理,备注); aliases are listed
as hosts' are; the action is block or approve (拦截, 审批), block when left blank.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from kiosk.core.hosts import host_id_for
from kiosk.core.validation import MAX_COMPANY, clean_name, clean_phone, clean_text, mask_phone
from kiosk.core.watchlist import APPROVE, BLOCK, WatchEntry
from kiosk.errors import ValidationError, WatchlistFileError
from kiosk.hostcsv import ALIAS_SEPARATORS, MAX_ALIAS, MAX_ALIASES, listed_values, read_csv_table

MAX_NOTE = 200
COLUMNS = ("name", "aliases", "company", "phone", "action", "note")
_HEADERS = {
    "name": "name", "姓名": "name",
    "aliases": "aliases", "alias": "aliases", "别名": "aliases",
    "company": "company", "单位": "company", "公司": "company",
    "phone": "phone", "电话": "phone",
    "action": "action", "处理": "action",
    "note": "note", "备注": "note",
}
_EXPECTED = "name,aliases,company,phone,action,note (or 姓名,别名,单位,电话,处理,备注)"
# How operators write an action, casefolded, and the action it means.
_ACTIONS = {"": BLOCK, BLOCK: BLOCK, "拦截": BLOCK, "攔截": BLOCK,
            APPROVE: APPROVE, "审批": APPROVE, "審批": APPROVE}


def read_watchlist_csv(path: str | os.PathLike) -> list[WatchEntry]:
    """The entries of a watchlist file; one listed twice (same id) is kept as last listed.
    Raises WatchlistFileError when the file cannot be imported whole."""
    return read_csv_table(path, _HEADERS, _EXPECTED, _row, lambda entry: entry.entry_id, what="entries",
                          error=WatchlistFileError)


def _row(given: dict[str, str]) -> WatchEntry:
    action = _ACTIONS.get(given.get("action", "").casefold())
    if action is None:
        raise ValidationError("action", "invalid", f"action {given['action'][:20]!r} is not block or approve "
                                                   "(or 拦截, 审批)")
    return watch_entry({**given, "aliases": ALIAS_SEPARATORS.split(given.get("aliases", "")), "action": action})


def watch_entry(entry: Mapping[str, Any]) -> WatchEntry:
    """An entry from an operator's (a CSV row, an API body) whose aliases are a list, cleaned as
    what visitors type is (reception reads it on screen), its id derived from name, company and
    phone when it has none; kiosk.core.watchlist then checks it matches someone. Raises
    ValidationError naming the field."""
    fields = {"name": _name(entry.get("name"), "name"),
              "aliases": [_name(a, "aliases") for a in listed_values(entry.get("aliases"), "aliases", MAX_ALIASES,
                                                                      MAX_ALIAS)],
              "company": clean_text(entry.get("company"), "company", MAX_COMPANY),
              "phone": clean_phone(entry.get("phone")), "action": entry.get("action") or BLOCK,
              "note": clean_text(entry.get("note"), "note", MAX_NOTE)}
    # The same stable id as a host's without an email: it survives a re-import of the same row.
    entry_id = entry.get("entry_id") or host_id_for(fields["name"], fields["company"], "", fields["phone"])
    return WatchEntry.from_dict({"entry_id": entry_id, **fields})


def _name(value: str | None, field: str) -> str:
    return clean_name(value, field) if value and value.strip() else ""


def shown(entry: WatchEntry) -> dict[str, str]:
    """An entry as the lists show it (COLUMNS): its phone masked, since a list is read over
    shoulders and its numbers are confidential."""
    return {"name": entry.name, "aliases": "; ".join(entry.aliases), "company": entry.company,
            "phone": mask_phone(entry.phone) if entry.phone else "", "action": entry.action, "note": entry.note}
