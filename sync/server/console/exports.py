"""The console's downloads: the register (what a search matches) and the statistics, as CSV or
XLSX, streamed a piece at a time, so that an export of a million visits holds one page of them
in memory (the XLSX is written row by row by openpyxl's write-only mode to a temporary file,
then sent from it).

Every text cell a spreadsheet could take for a formula (starting with =, +, -, @, a tab or a
carriage return) gets a leading apostrophe, as in the audit export (sync.server.export): a
visitor named ``=HYPERLINK(...)`` stays text. Numbers stay numbers. No phone numbers: the
register's export lists what its page shows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Any, Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from sync.server.console import register
from sync.server.db import Database
from sync.server.export import _FORMULA_START as FORMULA_START  # one list of what starts a formula
from sync.server.models import local_time

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
EXPORT_PAGE = 500  # visits read at a time
CHUNK = 64 * 1024  # bytes sent at a time
REGISTER_COLUMNS = ("site", "visit_id", "state", "name", "company", "host_name", "host_department",
                    "signed_in_at", "signed_out_at")


def neutralised(value: Any) -> Any:
    """A cell's value that no spreadsheet runs: text that could start a formula gets a leading
    apostrophe; None is empty; numbers are left as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def register_rows(db: Database, scope: register.Scope, query: register.Search) -> Iterator[list[Any]]:
    """Every visit the search matches, newest first, as rows of REGISTER_COLUMNS (times in the
    server's local time, ISO 8601), a page at a time."""
    after = None
    folded = False
    while True:
        page = register.search(db, scope, query, after, EXPORT_PAGE, fold=not folded)
        folded = True
        for row in page.rows:
            yield [_time(row[c]) if c.endswith("_at") else row[c] for c in REGISTER_COLUMNS]
        if page.next is None:
            return
        after = page.next


def _time(ms: int | None) -> str:
    moment = local_time(ms)
    return moment.isoformat() if moment else ""


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel in China reads it as GBK otherwise), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(h) for h in header])
    first = True
    for row in rows:
        writer.writerow([neutralised(v) for v in row])
        if out.tell() >= CHUNK:
            yield _taken(out, first)
            first = False
    yield _taken(out, first)


def _taken(out: io.StringIO, first: bool) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode("utf-8-sig" if first else "utf-8")


def xlsx_stream(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> Iterator[bytes]:
    """A workbook, one sheet per (title, header, rows), written row by row and sent in pieces."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(_sheet_title(title))
        sheet.append([_text_cell(sheet, h) for h in header])
        for row in rows:
            sheet.append([_text_cell(sheet, v) if isinstance(v, str) else v for v in row])
    with tempfile.TemporaryFile() as file:
        book.save(file)
        file.seek(0)
        while piece := file.read(CHUNK):
            yield piece


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    # Typed as text: openpyxl would otherwise write a string starting with = as a formula.
    cell = WriteOnlyCell(sheet, value=neutralised(value))
    cell.data_type = "s"
    return cell


def _sheet_title(title: str) -> str:
    # Excel's rules: at most 31 characters, none of []:*?/\
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "sheet"
    return cleaned[:31]
