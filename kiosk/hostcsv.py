"""Reading the host directory from the CSV file an operator imports (`kiosk hosts import`), and
the CSV reading itself (:func:`read_csv_table`), which the watchlist's file shares.

The file is usually an HR export saved from Excel: in China that is GB18030 (GBK) text with
Chinese headers, elsewhere UTF-8 with or without a byte-order mark. A file that cannot be
imported whole is refused with one line naming the file (and the bad lines), so a half-read
directory never replaces a good one.

The rules for what a host may hold (:func:`host_fields`) live here too, and the server applies
them to what its admin API is sent, so a directory is held to one standard however it arrives.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

from kiosk.core.hosts import Host, host_id_for
from kiosk.core.validation import MAX_COMPANY, clean_name, clean_text
from kiosk.errors import HostFileError, KioskError, ValidationError
from kiosk.notify import BadChannel, channel_from_url
from kiosk.notify.plainhttp import NOWHERE, PlainHttp

# How many bad lines a message lists before it says "and N more".
SHOWN_BAD_LINES = 5

MAX_ENGLISH_NAME = 100
MAX_ALIASES, MAX_ALIAS = 10, 40
MAX_CHANNELS, MAX_CHANNEL_URL = 5, 2000
LANGUAGES = ("zh_CN", "zh_TW", "en")
# How operators write a language, casefolded, and the code it means.
_LANGUAGE_NAMES = {"zh_cn": "zh_CN", "zh-cn": "zh_CN", "简体": "zh_CN", "zh_tw": "zh_TW", "zh-tw": "zh_TW",
                   "繁體": "zh_TW", "繁体": "zh_TW", "en": "en", "english": "en"}

# Header names, trimmed and casefolded, and the Host field each one gives.
_HEADERS = {
    "name": "name", "姓名": "name",
    "department": "department", "部门": "department",
    "email": "email", "邮箱": "email",
    "phone": "phone", "电话": "phone",
    "english_name": "english_name", "english name": "english_name", "英文名": "english_name",
    "aliases": "aliases", "alias": "aliases", "别名": "aliases",
    "language": "language", "语言": "language",
    "channels": "channels", "notify": "channels", "通知渠道": "channels",
}
_EXPECTED = "name,department,email,phone (or 姓名,部门,邮箱,电话)"
# How a cell lists several values: aliases as people write lists in Chinese or English, channel
# URLs (which hold none of these) by whitespace or ";".
ALIAS_SEPARATORS = re.compile(r"[;；、|]")
_SPLIT = {"aliases": ALIAS_SEPARATORS, "channels": re.compile(r"[\s;]")}

Item = TypeVar("Item")


def read_hosts_csv(path: str | os.PathLike, plain_http: PlainHttp = NOWHERE) -> list[Host]:
    """The hosts in a CSV file with a header row; a host listed twice (same id) is kept as last
    listed. Raises HostFileError when the file cannot be imported whole. ``plain_http``: where
    a host's channel may use http:// (the allow_plain_http setting)."""
    return read_csv_table(path, _HEADERS, _EXPECTED, lambda given: _host(given, plain_http),
                          lambda host: host.host_id, what="hosts")


def _host(given: dict[str, str], plain_http: PlainHttp) -> Host:
    fields = host_fields({f: _SPLIT[f].split(v) if f in _SPLIT else v for f, v in given.items()}, plain_http)
    return Host(host_id_for(fields["name"], fields["department"], fields["email"], fields["phone"]), **fields)


def read_csv_table(path: str | os.PathLike, headers: Mapping[str, str], expected: str,
                   parse: Callable[[dict[str, str]], Item], key: Callable[[Item], str], *, what: str,
                   error: type[KioskError] = HostFileError) -> list[Item]:
    """The items of an operator's CSV file: a header row, then one item a row. ``headers`` maps
    header names (trimmed, casefolded) to fields, and a name column is required; ``parse`` makes
    an item from a row's {field: trimmed cell} (a short row's missing cells are ""), or raises
    ValidationError. An item listed twice (same ``key``) is kept as last listed. Raises ``error``
    naming the file (and its bad lines) when the file cannot be imported whole, ``expected``
    saying which header row it wants, ``what`` what the rows are."""
    file = _CsvFile(Path(path), expected, error)
    rows = file.rows(file.decode(file.read()))
    header_line, header = next(rows, (0, []))
    columns = file.columns(header_line, header, headers)
    items: dict[str, Item] = {}
    bad: list[tuple[int, str]] = []
    for line, cells in rows:
        try:
            item = parse({field: cells[at] if at < len(cells) else "" for field, at in columns.items()})
        except ValidationError as exc:
            bad.append((line, str(exc)))
            continue
        items.pop(key(item), None)  # so the row kept also keeps its place in the file
        items[key(item)] = item
    if bad:
        raise file.refused(f"{len(bad)} bad row(s): {_listed(bad)}")
    if not items:
        raise file.refused(f"no {what} below the header row; nothing was changed")
    return list(items.values())


# A Han character wedged inside a Latin word: what an accented Latin-1 letter and the byte
# after it become when read as GB18030.
_LATIN1_AS_GB18030 = re.compile(r"[A-Za-z][\u3400-\u9fff\uf900-\ufaff]+[a-z]")


@dataclass(frozen=True)
class _CsvFile:
    path: Path
    expected: str  # the header row wanted, for the messages
    error: type[KioskError]

    def refused(self, problem: str) -> KioskError:
        return self.error(f"{self.path}: {problem}")

    def read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise self.refused("no such file") from None
        except IsADirectoryError:
            raise self.refused("is a directory, not a CSV file") from None
        except OSError as e:
            raise self.refused(f"cannot read it: {e.strerror or e}") from None

    def decode(self, data: bytes) -> str:
        """UTF-8 (with or without BOM) tried strictly first, since GB18030 would also decode many
        UTF-8 files, into nonsense."""
        if data.startswith(b"PK\x03\x04"):
            raise self.refused("is an Excel workbook (or another zip file), not CSV; save it as 'CSV UTF-8'")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise self.refused("is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8' instead")
        if b"\x00" in data:  # no CSV text in an encoding we accept holds a NUL byte
            raise self.refused("is not a CSV text file (it holds binary data)")
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise self.refused("is not text in UTF-8 or GB18030 (is it a CSV file?)")
        if encoding == "gb18030" and _LATIN1_AS_GB18030.search(text):
            # Latin-1 (Western Excel) also decodes as GB18030: Müller turns into M黮ler.
            raise self.refused(f"looks like Latin-1 text, not UTF-8 or GB18030 "
                               f"({_LATIN1_AS_GB18030.search(text).group()!r}); save it as 'CSV UTF-8'")
        if not text.strip():
            raise self.refused(f"is empty; expected a header row {self.expected}")
        return text

    def rows(self, text: str) -> Iterator[tuple[int, list[str]]]:
        """(line number where the row starts, trimmed cells) for every row that is not blank."""
        reader = csv.reader(io.StringIO(text, newline=""))
        while True:
            line = reader.line_num + 1
            try:
                cells = [c.strip() for c in next(reader)]
            except StopIteration:
                return
            except csv.Error as e:
                raise self.refused(f"line {line}: not valid CSV: {e}") from None
            if any(cells):
                yield line, cells

    def columns(self, line: int, header: list[str], headers: Mapping[str, str]) -> dict[str, int]:
        """Which column gives which field; extra columns are left out, a field named twice is refused."""
        columns: dict[str, int] = {}
        for at, title in enumerate(header):
            field = headers.get(title.casefold())
            if field in columns:
                raise self.refused(f"line {line}: two columns give the {field}: "
                                   f"{header[columns[field]]!r} and {title!r}")
            if field:
                columns[field] = at
        if "name" not in columns:
            found = ",".join(header)
            found = found if len(found) <= 80 else found[:77] + "..."
            raise self.refused(f"no name column; expected a header row {self.expected}, found {found!r}")
        return columns


def host_fields(entry: Mapping[str, Any], plain_http: PlainHttp = NOWHERE) -> dict[str, Any]:
    """Every field of a host but its id, cleaned, from an operator's entry (a CSV row, an API
    body) whose aliases and channels are lists. The directory is shown on screen and printed on
    badges, so it gets the same checks as what visitors type; channels must be usable, and use
    http:// only to the hosts ``plain_http`` lists (no request forgery into the lobby network
    through a directory entry). Raises ValidationError naming the field, never quoting a
    channel URL (it holds secrets)."""
    fields = {"name": clean_name(entry["name"])}
    for field, limit in (("department", MAX_COMPANY), ("email", 254), ("phone", 40),
                         ("english_name", MAX_ENGLISH_NAME)):
        fields[field] = clean_text(entry.get(field), field, limit)
    aliases = listed_values(entry.get("aliases"), "aliases", MAX_ALIASES, MAX_ALIAS)
    fields["aliases"] = tuple(clean_name(alias, "aliases") for alias in aliases)
    fields["language"] = _language(entry.get("language") or "")
    channels = listed_values(entry.get("channels"), "channels", MAX_CHANNELS, MAX_CHANNEL_URL)
    fields["channels"] = tuple(_channel(url, number, plain_http) for number, url in enumerate(channels, 1))
    return fields


def listed_values(values: Iterable[str] | None, field: str, most: int, longest: int) -> list[str]:
    """The non-blank values of a list, trimmed, each once, at most ``most`` of ``longest``."""
    kept = list(dict.fromkeys(clean_text(v, field, longest) for v in values or ()))
    kept = [v for v in kept if v]
    if len(kept) > most:
        raise ValidationError(field, "too_many", f"{field}: {len(kept)} given, at most {most}")
    return kept


def _language(text: str) -> str:
    if not text.strip():
        return ""
    code = _LANGUAGE_NAMES.get(text.strip().casefold())
    if code is None:
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise ValidationError("language", "invalid", f"language {shown!r} is not one of {', '.join(LANGUAGES)} "
                                                     "(or 简体, 繁體, English)")
    return code


def _channel(url: str, number: int, plain_http: PlainHttp) -> str:
    try:
        channel_from_url(url, plain_http=plain_http)
    except BadChannel as exc:  # its message names the kind and host, never a secret
        raise ValidationError("channels", "bad_channel", f"channels: channel {number} cannot be used: {exc}") from None
    return url


def _listed(bad: list[tuple[int, str]]) -> str:
    shown = "; ".join(f"line {line}: {problem}" for line, problem in bad[:SHOWN_BAD_LINES])
    more = len(bad) - SHOWN_BAD_LINES
    return f"{shown}; and {more} more" if more > 0 else shown
