"""The audit export of visits as CSV or JSON, the same for the API and the CLI."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import TypeAdapter

from sync.server.models import ExportRow

FORMATS = ("csv", "json")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_ROWS = TypeAdapter(list[ExportRow])
# A cell starting with one of these is a formula to Excel: a visitor named "=HYPERLINK(...)"
# must read as text (OWASP's advice for CSV injection: prefix a quote).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(rows: list[dict[str, Any]], fmt: str) -> bytes:
    return to_csv(rows) if fmt == "csv" else _ROWS.dump_json(_ROWS.validate_python(rows)) + b"\n"


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark: without it, Excel in China reads the file as GBK."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ExportRow.model_fields), lineterminator="\r\n")
    writer.writeheader()
    for row in _ROWS.dump_python(_ROWS.validate_python(rows), mode="json"):
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    if isinstance(value, list):  # visit ids: letters and digits, so a space separates them
        value = " ".join(map(str, value))
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value
