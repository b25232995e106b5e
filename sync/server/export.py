"""The audit export of visits as CSV or JSON, the same for the API and the CLI."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Iterator

from pydantic import TypeAdapter

from sync.server.models import ExportRow

FORMATS = ("csv", "json")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_ROW = TypeAdapter(ExportRow)
CHUNK_ROWS = 200  # rows a piece of the streamed file holds
# A cell starting with one of these is a formula to Excel: a visitor named "=HYPERLINK(...)"
# must read as text (OWASP's advice for CSV injection: prefix a quote).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[bytes]:
    """The export file, a piece at a time as ``rows`` come (kiosk-server export: JSON ends with a
    newline there); the API answers the same bytes but that newline (stream)."""
    yield from stream(rows, fmt)
    if fmt == "json":
        yield b"\n"


def stream(rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[bytes]:
    """The export as GET /v1/export answers it, in pieces of about CHUNK_ROWS rows, so that
    neither the server nor the command holds the whole file."""
    pieces = _csv_rows(rows) if fmt == "csv" else _json_rows(rows)
    batch: list[bytes] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= CHUNK_ROWS:
            yield b"".join(batch)
            batch.clear()
    if batch:
        yield b"".join(batch)


def _json_rows(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A JSON array of ExportRow, compact, as pydantic writes the whole list."""
    yield b"["
    for n, row in enumerate(rows):
        yield (b"," if n else b"") + _ROW.dump_json(_ROW.validate_python(row))
    yield b"]"


def _csv_rows(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark: without it, Excel in China reads the file as GBK."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ExportRow.model_fields), lineterminator="\r\n")
    writer.writeheader()
    yield _taken(out).encode("utf-8-sig")
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in _ROW.dump_python(_ROW.validate_python(row), mode="json").items()})
        yield _taken(out).encode("utf-8")


def _taken(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def _cell(value: Any) -> Any:
    if isinstance(value, list):  # visit ids: letters and digits, so a space separates them
        value = " ".join(map(str, value))
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value
