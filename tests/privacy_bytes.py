"""Searching every byte of SQLite files for a person: what the purge tests read.

Each name, company or phone is looked for in every form a file could hold it: UTF-8, UTF-16
(little- and big-endian, as SQLite stores text in a UTF-16 database), and JSON's escapes
(\\u5f20, lower- and upper-case hex: the quarantine keeps raw events as ASCII JSON); a phone
also as its digits alone, without the spaces or dashes typed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable


def forms(text: str) -> set[bytes]:
    texts = {text}
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 7 and len(digits) >= len(text) - 4:  # a phone number
        texts.add(digits)
    found = set()
    for each in texts:
        found |= {each.encode("utf-8"), each.encode("utf-16-le"), each.encode("utf-16-be")}
        escaped = json.dumps(each, ensure_ascii=True)[1:-1]
        found |= {escaped.encode(), re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), escaped).encode()}
    return found


def sqlite_files(*directories: Path) -> list[Path]:
    """Every SQLite database file under these directories, with its -wal and -shm."""
    found = []
    for directory in directories:
        for path in Path(directory).rglob("*"):
            if path.is_file() and (path.suffix in (".db", ".sqlite", ".sqlite3") or path.name.endswith(("-wal", "-shm"))
                                   or path.read_bytes()[:16] == b"SQLite format 3\x00"):
                found.append(path)
    return sorted(set(found))


def hits(paths: Iterable[Path], people: Iterable[str]) -> list[tuple[str, str]]:
    """(file, text) for every person's text found in any form in any of the files."""
    found = []
    for path in paths:
        data = Path(path).read_bytes()
        for text in people:
            if any(form in data for form in forms(text)):
                found.append((str(path), text))
    return found
