"""Settings: defaults, TOML file, environment overrides, and one clear line for a bad value."""

import pytest

from kiosk.errors import SettingsError
from kiosk.settings import load_settings


def test_defaults_without_file_or_environment(tmp_path):
    s = load_settings(env={"XDG_DATA_HOME": str(tmp_path)})
    assert s.data_dir == str(tmp_path / "kiosk")
    assert s.printer_url == f"preview://{tmp_path / 'kiosk' / 'previews'}"
    assert (s.role, s.site, s.server, s.language) == ("visitor", "default", "", "zh_CN")
    assert s.device


def test_environment_overrides_file(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('site = "shanghai"\nrole = "exit"\nbadge_valid_hours = 8\norganisation = "华为"\n', "utf-8")
    s = load_settings(env={"KIOSK_CONFIG": str(config), "KIOSK_ROLE": "reception", "KIOSK_BADGE_VALID_HOURS": "4"})
    assert (s.site, s.role, s.badge_valid_hours, s.organisation) == ("shanghai", "reception", 4, "华为")


@pytest.mark.parametrize("env,names", [
    ({"KIOSK_ROLE": "guard"}, ["KIOSK_ROLE", "visitor, reception, exit", "guard"]),
    ({"KIOSK_PRINTER": "lpt1"}, ["KIOSK_PRINTER", "network://HOST:9100"]),
    ({"KIOSK_SERVER": "ftp://x"}, ["KIOSK_SERVER", "http"]),
    ({"KIOSK_SITE": "上海 HQ"}, ["KIOSK_SITE", "1-20 characters"]),
    ({"KIOSK_BADGE_VALID_HOURS": "0"}, ["KIOSK_BADGE_VALID_HOURS", "1 to 168"]),
    ({"KIOSK_AUTO_SIGNOUT_AT": "25:00"}, ["KIOSK_AUTO_SIGNOUT_AT", "HH:MM"]),
])
def test_bad_values_name_the_setting_and_what_it_accepts(env, names):
    with pytest.raises(SettingsError) as info:
        load_settings(env=env)
    message = str(info.value)
    assert "\n" not in message
    for part in names:
        assert part in message


def test_bad_config_files(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("site = \n", "utf-8")
    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings(broken, env={})
    typo = tmp_path / "typo.toml"
    typo.write_text('sitee = "hq"\n', "utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'sitee'"):
        load_settings(typo, env={})
    wrong_type = tmp_path / "type.toml"
    wrong_type.write_text("site = 5\n", "utf-8")
    with pytest.raises(SettingsError, match="site in"):
        load_settings(wrong_type, env={})


def test_the_default_preview_printer_stays_inside_an_odd_data_dir(tmp_path):
    from printer.device import open_printer

    odd = tmp_path / "site #2?x=%41" / "data"
    s = load_settings(env={"KIOSK_DATA_DIR": str(odd)})
    assert open_printer(s.printer_url).directory == odd / "previews"
