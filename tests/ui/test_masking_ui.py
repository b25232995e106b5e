"""A visitor's whole phone number and an ID number they gave appear on no screen, list or print
(kiosk.core.masking): every screen of the visitor kiosk in every language, reception's console
with each visit selected in each list, a search by the last digits and the roll call, and the
bytes of the badge and of the roll call the virtual printer received. The only place a whole
number shows is the field the visitor is typing it into (the tour types part of one)."""

from __future__ import annotations

import pytest

from kiosk.ui.i18n import LANGUAGES
from tests.ui.test_console import a_busy_day, unlock
from tests.ui.test_screens import visit_every_screen
from tests.ui.test_visitor_flow import HOSTS

PHONE = "13812345678"  # the visitor of visit_every_screen
ID_NUMBER = "110101199001011234"


def shown_but_typed(d) -> list[str]:
    """The texts on screen, but those of the field the visitor types into (their own number,
    as they type it, is theirs to see)."""
    from tests.ui.driver import _shown

    screen = d.current()
    typing = screen.typing_field() if screen.keyboard_mode else None
    typed = {id(w) for w in typing.walk()} if typing is not None else set()
    return [w.text for w in d.app.root.walk() if isinstance(getattr(w, "text", None), str) and w.text
            and _shown(w) and id(w) not in typed]


def hits(texts, *numbers) -> list[str]:
    return [text for text in texts for number in numbers if number in text]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_screen_of_the_visitor_kiosk_shows_a_whole_phone_number(drive, make_kiosk, virtual_printer, lang):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    d.app.flow.set_language(lang)
    found = []
    try:
        for name, show in visit_every_screen(d, kiosk, virtual_printer):
            show()
            d.pump(0.1)
            found += [f"{name}: {text!r}" for text in hits(shown_but_typed(d), PHONE)]
    finally:
        d.app.flow.set_language("zh_CN")
    assert not found, found
    jobs = virtual_printer.wait_for_jobs(1)  # the badge of visit_every_screen's visitor
    assert not hits([job.text for job in jobs], PHONE)


def test_reception_sees_no_whole_phone_or_id_number_anywhere(drive, make_kiosk, virtual_printer):
    reception = make_kiosk(role="reception", device="desk-1")
    a_busy_day(reception, 3)
    visit = reception.check_in(name="赵七", company="安装工程公司", host=HOSTS[0], phone=PHONE, visitor_type="contractor",
                               purpose=f"维修，电话 {PHONE}",
                               answers={"work_area": "3F 机房", "permit": ID_NUMBER, "tools": "yes"}).visit
    reception.leave_message(visit.visit_id, f"请回电 {PHONE}")
    reception.complain(visit.visit_id, f"身份证 {ID_NUMBER} 与本人不符")
    d = drive(reception)
    unlock(d)
    console, seen = d.current(), []
    console.refresh()
    d.pump(0.3)
    for tab in ("waiting", "approval", "with_host", "left"):
        console.show_tab(tab)
        d.pump(0.1)
        for row in list(console.rows):
            console.select(row["visit_id"])
            d.pump(0.05)
            seen += d.texts() + [console.selected_text]
    assert any("1101**********1234" in text for text in seen)  # the permit was shown, masked
    assert any("138****5678" in text for text in seen)  # and the number in the purpose and message
    console.start_entry("search")
    d.physical_keys("5678")  # the last digits of the number
    d.wait_for(lambda: console.tab == "search" and any(r["visit_id"] == visit.visit_id for r in console.rows),
               what="the visit found by its last digits")
    seen += d.texts()
    console.cancel_entry()
    console.call_roll()
    d.wait_for(lambda: console.roll_call, what="the roll call")
    console.show_tab("roll_call")
    d.pump(0.1)
    seen += d.texts()
    assert not hits(seen, PHONE, ID_NUMBER), hits(seen, PHONE, ID_NUMBER)
    jobs = virtual_printer.wait_for_jobs(4)  # three badges (the contractors await approval) and the roll call
    assert not hits([job.text for job in jobs], PHONE, ID_NUMBER)
