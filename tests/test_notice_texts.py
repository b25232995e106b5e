"""The privacy notices (assets/notice/): versioned like the agreements, since the version a
visitor accepted is kept in their consent event, and each says what the law asks it to say."""

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk.notice_texts import NOTICE_DIR, load_notice
from kiosk.settings import LANGUAGES

FILES = sorted(NOTICE_DIR.glob("*.txt"))
# The words of each text (summary, placeholder defaults and text; spaces and line breaks aside)
# under each version. A changed text needs a new `version:` line and a new entry here.
WORDED = {
    ("en.txt", "2026-12-07"): "055d473ac679f7f0",
    ("zh_CN.txt", "2026-12-07"): "d23f5b312703320a",
    ("zh_TW.txt", "2026-12-07"): "de334caf1cf7f4f9",
}
SETTINGS = SimpleNamespace(organisation="", privacy_notice="", privacy_contact="")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_version_names_one_wording(path):
    head, _, body = path.read_text(encoding="utf-8").partition("\n")
    version = head.partition(":")[2].strip()
    assert WORDED.get((path.name, version)) == hashlib.sha256("".join(body.split()).encode()).hexdigest()[:16], (
        f"{path}: its words changed under version {version}: give it a new version")


def test_every_language_has_one():
    assert sorted(p.stem for p in FILES) == sorted(LANGUAGES)


@pytest.mark.parametrize("lang, words", [
    ("zh_CN", ("本公司", "为什么", "180天", "30天", "撤回同意", "前台", "单独同意")),
    ("zh_TW", ("本公司", "為什麼", "180天", "30天", "撤回同意", "櫃檯", "單獨同意")),
    ("en", ("the company you are visiting", "Why", "180 days", "30 days", "withdraw", "reception", "separately")),
])
def test_each_says_who_why_how_long_whom_to_ask_and_how_to_withdraw(lang, words):
    notice = load_notice(lang, SETTINGS)
    assert "{" not in notice.text + notice.summary  # every placeholder filled
    for word in words:
        assert word in notice.text, word
    assert len(notice.summary) <= (90 if lang == "en" else 30)  # one short line on the welcome screen
