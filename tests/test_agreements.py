"""The visitor agreements (assets/agreement/): written in paragraphs the screen reflows, and
versioned honestly, since the version a visitor signed is kept in the signed_in event."""

import hashlib
from pathlib import Path

import pytest

from printer.linebreak import reflow

FOLDER = Path(__file__).resolve().parents[1] / "assets" / "agreement"
FILES = sorted(FOLDER.rglob("*.txt"))

# The terms of each text as signed under each version: a digest of its words with every
# space and line break taken out, so reflowing the text keeps the version and changing a
# word does not. A changed text needs a new `version:` line and a new entry here.
SIGNED_TERMS = {
    ("en.txt", "2026-12-01"): "73382d304a8a1909",
    ("zh_CN.txt", "2026-12-01"): "22dd6c62fcf58198",
    ("zh_TW.txt", "2026-12-01"): "0ef9febc3d94bef4",
    ("contractor/en.txt", "2026-12-01"): "aed8e6481f0fc8d1",
    ("contractor/zh_CN.txt", "2026-12-01"): "df9236d6d37427fc",
    ("contractor/zh_TW.txt", "2026-12-01"): "0b632bf54efb588f",
}


def split(path: Path) -> tuple[str, str]:
    head, _, body = path.read_text(encoding="utf-8").partition("\n")
    return head.partition(":")[2].strip(), body


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FOLDER)))
def test_each_version_names_one_wording(path):
    version, body = split(path)
    terms = hashlib.sha256("".join(body.split()).encode()).hexdigest()[:16]
    assert SIGNED_TERMS.get((str(path.relative_to(FOLDER)), version)) == terms, (
        f"{path}: its words changed under version {version}: give it a new version")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FOLDER)))
def test_paragraphs_are_separated_by_blank_lines_and_never_broken_by_hand(path):
    _, body = split(path)
    lines = body.strip("\n").split("\n")
    assert all(not a.strip() or not b.strip() for a, b in zip(lines, lines[1:])), (
        f"{path}: two lines in a row: a paragraph is one line, paragraphs are apart by a blank line")


def test_reflow_makes_each_paragraph_one_line():
    text = "Title\n\n1. Keep confidential any non-public information\n   you learn.\n\n\n二、请全程佩戴\n访客卡，离开时签退。\n"
    assert reflow(text) == "Title\n\n1. Keep confidential any non-public information you learn.\n\n二、请全程佩戴访客卡，离开时签退。"
