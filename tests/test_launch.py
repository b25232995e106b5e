"""The staff PIN a kiosk starts with: the configured one, else one made up once and kept."""

import stat

from kiosk.ui.launch import PIN_FILE, staff_pin


def test_a_pin_is_made_up_once_kept_private_and_reused(tmp_path):
    pin, new = staff_pin("", tmp_path / "data")
    assert new and len(pin) == 6 and pin.isdigit()
    assert stat.S_IMODE((tmp_path / "data" / PIN_FILE).stat().st_mode) == 0o600
    assert staff_pin("", tmp_path / "data") == (pin, False)


def test_a_configured_pin_wins(tmp_path):
    staff_pin("", tmp_path)
    assert staff_pin("4321", tmp_path) == ("4321", False)
