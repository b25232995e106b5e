"""Channel URLs over plain http:// reach only the hosts ``allow_plain_http`` lists: the attack is
a host directory entry (an HR export, an admin upload) whose channel points a kiosk inside the
lobby network at a printer, camera or admin page there. Refused when the directory is imported
(on the device and on the server, naming the entry), and again when a notice is sent (a
directory synced from elsewhere); the 127.0.0.1 test receivers work only when listed."""

from __future__ import annotations

import ipaddress

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.hosts import Host
from kiosk.errors import HostFileError, SettingsError
from kiosk.hostcsv import read_hosts_csv
from kiosk.notifier import Notifier
from kiosk.notify import BadChannel, channel_from_url
from kiosk.notify.plainhttp import NOWHERE, PlainHttp
from kiosk.services import Kiosk
from kiosk.settings import Settings, load_settings
from kiosk.store.outbox import OutboxTable
from printer.device import PreviewPrinter
from sync.server import store
from sync.server.cli import main
from sync.server.db import Database
from tests.notify_fixtures import ALLOW_LOCAL_HTTP, Reply, http_receiver  # noqa: F401
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

SECRET = "SECRETX9"
INSIDE = ["10.0.0.5", "172.16.3.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "[::1]", "[fe80::1]",
          "[fd00::5]", "[::ffff:192.168.1.1]"]


# -- the rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("host", INSIDE)
def test_http_to_an_inside_address_is_refused_by_default_saying_why(host):
    with pytest.raises(BadChannel) as caught:
        channel_from_url(f"webhook+http://{host}:8080/admin/reboot?token={SECRET}#secret={SECRET}")
    said = str(caught.value)
    assert "plain http://" in said and "inside a private network" in said and "allow_plain_http" in said
    assert SECRET not in said


@pytest.mark.parametrize("url", ["webhook+http://hooks.example.com/x", "slack+http://hooks.slack.com/services/T/B/X",
                                 "wecom+http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"])
def test_http_is_refused_to_names_too_and_https_is_not(url):
    with pytest.raises(BadChannel, match="use https://"):
        channel_from_url(url)
    assert channel_from_url(url.replace("+http://", "+https://")).kind == url.split("+")[0]


def test_the_setting_allows_names_addresses_and_networks_it_lists():
    allowed = PlainHttp.parse("relay.lobby.lan, 10.20.0.0/24 127.0.0.1 [::1]")
    for host in ("relay.lobby.lan", "RELAY.lobby.lan.", "10.20.0.7", "127.0.0.1", "::1", "::ffff:10.20.0.9"):
        assert allowed.allows(host), host
    for host in ("10.20.1.7", "127.0.0.2", "lobby.lan", "evil.relay.lobby.lan", "2130706433", "0x7f.1", "localhost"):
        assert not allowed.allows(host), host  # a name is never resolved into a listed network
    assert channel_from_url("webhook+http://10.20.0.7/hook", plain_http=allowed).kind == "webhook"


@given(st.ip_addresses())
def test_nothing_is_allowed_by_default(address):
    assert not NOWHERE.allows(str(address))


@given(st.ip_addresses(), st.integers(0, 32))
def test_a_listed_network_allows_exactly_its_addresses(address, prefix):
    network = ipaddress.ip_network(f"{address}/{prefix if address.version == 4 else prefix * 4}", strict=False)
    allowed = PlainHttp.parse(str(network))
    assert allowed.allows(str(address))
    other = network.broadcast_address + 1 if int(network.broadcast_address) < (2 ** network.max_prefixlen - 1) else None
    if other is not None:
        assert not allowed.allows(str(other))


@pytest.mark.parametrize("value", ["10.0.0.0/33", "http://relay", "relay lobby/x", "a..b"])
def test_a_bad_setting_stops_the_start_naming_it(value):
    with pytest.raises(SettingsError, match="KIOSK_ALLOW_PLAIN_HTTP"):
        load_settings(env={"KIOSK_ALLOW_PLAIN_HTTP": value})


def test_the_sites_own_channels_follow_the_rule(tmp_path):
    with pytest.raises(SettingsError, match="KIOSK_NOTIFY: slack 192.168.1.1: plain http://"):
        load_settings(env={"KIOSK_NOTIFY": "slack+http://192.168.1.1/hook"})
    with pytest.raises(SettingsError, match="KIOSK_WEBHOOK: webhook 10.0.0.5"):
        load_settings(env={"KIOSK_WEBHOOK": "webhook+http://10.0.0.5/x"})
    settings = load_settings(env={"KIOSK_NOTIFY": "slack+http://192.168.1.1/hook",
                                  "KIOSK_ALLOW_PLAIN_HTTP": "192.168.1.0/24"})
    assert settings.notify == "slack+http://192.168.1.1/hook"


# -- import: the device's CSV, the server's CSV and API --------------------------------------

def _csv(tmp_path, channel: str):
    path = tmp_path / "hosts.csv"
    path.write_text(f"name,department,channels\n李四,研发部,{channel}\n王芳,财务部,\n", encoding="utf-8")
    return path


def test_a_directory_file_with_an_inside_http_channel_is_refused_whole_naming_the_line(tmp_path):
    path = _csv(tmp_path, f"webhook+http://192.168.1.20/api/door/open?key={SECRET}")
    with pytest.raises(HostFileError) as caught:
        read_hosts_csv(path)
    said = str(caught.value)
    assert "line 2" in said and "channel 1" in said and "webhook 192.168.1.20: plain http://" in said
    assert SECRET not in said
    hosts = read_hosts_csv(path, PlainHttp.parse("192.168.1.20"))
    assert hosts[0].channels == (f"webhook+http://192.168.1.20/api/door/open?key={SECRET}",)


def test_kiosk_hosts_import_uses_the_devices_setting(tmp_path, kiosk_cmd):
    path = _csv(tmp_path, "slack+http://10.1.2.3/hook")
    refused = kiosk_cmd("hosts", "import", str(path), check=1)
    assert "line 2" in refused.stderr and "plain http://" in refused.stderr
    kiosk_cmd.env["KIOSK_ALLOW_PLAIN_HTTP"] = "10.1.2.0/24"
    assert "imported 2 hosts" in kiosk_cmd("hosts", "import", str(path), check=0).stdout


def test_the_servers_upload_refuses_an_inside_http_channel_naming_the_entry(server):
    admin = {"Authorization": f"Bearer {server.admin}"}
    good = {"name": "王芳", "channels": ["slack+https://hooks.slack.com/services/T/B/X"]}
    assert requests.put(server.url + "/v1/hosts", json={"hosts": [good]}, headers=admin, timeout=30).status_code == 200
    bad = {"name": "李四", "channels": [f"webhook+http://169.254.169.254/latest/meta-data?x={SECRET}"]}
    answer = requests.put(server.url + "/v1/hosts", json={"hosts": [good, bad]}, headers=admin, timeout=30)
    assert answer.status_code == 422
    said = answer.json()["error"]
    assert said.startswith("hosts[1]: channels: channel 1 cannot be used: webhook 169.254.169.254: plain http://")
    assert SECRET not in answer.text
    kiosk = {"Authorization": f"Bearer {server.device('hq', 'kiosk-a')}"}
    directory = requests.get(server.url + "/v1/hosts", headers=kiosk, timeout=30).json()["hosts"]
    assert [h["name"] for h in directory] == ["王芳"]  # the devices' directory is unchanged


def test_kiosk_server_hosts_import_uses_its_setting(tmp_path, db_url, capsys, monkeypatch):
    path = _csv(tmp_path, "teams+http://10.9.8.7/flow")
    assert main(["--db", db_url, "hosts", "import", str(path)]) == 1
    assert "line 2" in capsys.readouterr().err
    monkeypatch.setenv("KIOSK_ALLOW_PLAIN_HTTP", "10.9.8.7")
    assert main(["--db", db_url, "hosts", "import", str(path)]) == 0
    db = Database(db_url)
    try:
        assert [h.channels for h in store.all_hosts(db) if h.name == "李四"] == [("teams+http://10.9.8.7/flow",)]
    finally:
        db.close()


# -- send time --------------------------------------------------------------------------------

def _kiosk(tmp_path, **settings) -> Kiosk:
    return Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", **settings),
                      PreviewPrinter(tmp_path / "previews"))


def test_a_directory_from_elsewhere_is_judged_again_when_a_notice_goes(tmp_path, http_receiver):
    """A directory that reached the device unchecked (an older server, a copied database) still
    sends nothing over http:// to a host the device does not list; listed, it goes."""
    http_receiver.script(Reply(200, b"ok"))
    host = Host("h1", "李四", channels=(f"slack+{http_receiver.url}/hook",))
    unlisted = _kiosk(tmp_path / "a")
    unlisted.import_hosts([host])
    visit = unlisted.check_in(name="王小明", host=host).visit
    assert Notifier(unlisted, timeout=2).deliver_due().failed == 1
    assert http_receiver.hits == []
    [failed] = [e for e in unlisted.log.events(visit.visit_id) if e.kind == "notify_failed"]
    assert "plain http://" in failed.data["error"] and "allow_plain_http" in failed.data["error"]
    assert OutboxTable(unlisted.log.db).counts()["failed"] == 1

    listed = _kiosk(tmp_path / "b", allow_plain_http=ALLOW_LOCAL_HTTP)
    listed.import_hosts([host])
    listed.check_in(name="王小明", host=host)
    assert Notifier(listed, timeout=2).deliver_due().delivered == 1
    assert len(http_receiver.hits) == 1
