"""The privacy notice's texts on disk: ``assets/notice/<lang>.txt``, or the site's own folder
(the ``privacy_notice`` setting) holding the same three files, read as kiosk.core.consent
describes and filled in from the device's settings (who keeps the data, whom to ask, how long).

A site that replaces the text writes its own ``version:`` line; whatever it says, the consent
event also keeps a digest of the words shown (kiosk.core.consent.Notice.digest)."""

from __future__ import annotations

from pathlib import Path

from kiosk.core.consent import Notice, parse_notice
from printer.linebreak import reflow

NOTICE_DIR = Path(__file__).resolve().parents[1] / "assets" / "notice"
# Until the retention settings (issue 15's purge) say otherwise: the issue's defaults.
DEFAULT_RETENTION_DAYS, DEFAULT_SENSITIVE_RETENTION_DAYS = 180, 30


def notice_folder(settings) -> Path:
    return Path(settings.privacy_notice).expanduser() if getattr(settings, "privacy_notice", "") else NOTICE_DIR


def load_notice(lang: str, settings) -> Notice:
    """The notice in ``lang`` as this device shows it."""
    path = notice_folder(settings) / f"{lang}.txt"
    values = {"organisation": settings.organisation, "contact": getattr(settings, "privacy_contact", ""),
              "retention_days": getattr(settings, "retention_days", DEFAULT_RETENTION_DAYS),
              "sensitive_retention_days": getattr(settings, "sensitive_retention_days",
                                                  DEFAULT_SENSITIVE_RETENTION_DAYS)}
    try:
        notice = parse_notice(path.read_text(encoding="utf-8"), values, lang)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return Notice(notice.version, notice.summary, reflow(notice.text), lang)
