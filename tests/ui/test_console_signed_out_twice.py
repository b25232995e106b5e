"""A visit signed out twice, on the reception console: signed out by hand at the desk, and its
badge scanned at an exit post that had not heard of it yet; once the desk has the exit post's
event, the selected visit says who else signed it out and when (kiosk.core.visits keeps the
first in causal order and flags the other instead of hiding it)."""

from __future__ import annotations

import pytest

from kiosk.core.hosts import Host
from kiosk.core.tokens import PublicKey
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.ui.i18n import LANGUAGES, tr
from kiosk.ui.verdicts import clock_text
from printer.device import PreviewPrinter
from tests.ui.test_console import unlock

HOST = Host("h1", "李四", "研发部")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_console_says_a_visit_was_signed_out_twice(drive, make_kiosk, tmp_path, lang):
    desk = make_kiosk(role="reception", device="desk-1", printer="")
    exit_post = Kiosk.open(Settings(data_dir=str(tmp_path / "exit"), site="hq", device="exit-b", role="exit"),
                           PreviewPrinter(tmp_path / "exit" / "paper"))
    checked_in = desk.check_in(name="张三", host=HOST, company="华为")
    # it verifies the desk's badges with the desk's key, as sync would give it
    exit_post.trust(PublicKey(desk.signer.key_id, desk.signer.public_key.public_bytes_raw(), "hq", "desk-1",
                              role="reception"))
    desk.sign_out_by_hand(checked_in.visit.visit_id, "left by the side door")
    assert exit_post.check_out(checked_in.badge).ok  # it had not heard of the sign-out
    desk.log.ingest(event for _, event in exit_post.log.own_events_after(0, 100))
    visit = desk.log.visit(checked_in.visit.visit_id)
    assert visit.signed_out_by == "manual" and visit.signed_out_twice

    d = drive(desk)
    try:
        d.app.flow.set_language(lang)
        unlock(d)
        console = d.current()
        console.show_tab("left")
        d.wait_for(lambda: len(console.rows) == 1, what="the visitor in the left-today list")
        d.tap(next(w for w in console.ids.list.walk() if getattr(w, "visit_id", "") == visit.visit_id))
        d.pump(0.2)
        said = tr("Signed out twice: also at {device}, {time}: check which is right").format(
            device="exit-b", time=clock_text(visit.other_sign_outs[0]["at"]))
        assert said in console.selected_text
    finally:
        d.app.flow.set_language("zh_CN")
