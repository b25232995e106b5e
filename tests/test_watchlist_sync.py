"""The watchlist from the operator to every kiosk: the CSV file (kiosk.watchcsv), the admin API
and ``kiosk-server watchlist`` over a real server on 127.0.0.1 (SQLite and PostgreSQL), and real
devices that take it by sync and then stop the people on it at sign-in."""

from __future__ import annotations

import pytest
import requests

from kiosk.core.hosts import Host
from kiosk.core.visits import AWAITING_APPROVAL
from kiosk.core.watchlist import APPROVE, BLOCK, WatchEntry
from kiosk.errors import KioskError, VisitorBlocked
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.errors import WatchlistFileError
from kiosk.watchcsv import read_watchlist_csv, watch_entry
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.server.cli import main
from sync.worker import Syncer
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

LISI = Host("a1b2c3d4e5f6", "李四", "研发部")
ZHANGWEI = {"name": "张伟", "aliases": ["Zhang Wei"], "phone": "13800138000", "action": "block", "note": "2024 年盗窃"}
RIVAL = {"entry_id": "rival-1", "company": "竞品科技有限公司", "action": "approve", "note": "竞争对手"}


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "watchlist.csv"
    path.write_bytes(text.encode(encoding))
    return path


def refusal(path) -> str:
    with pytest.raises(WatchlistFileError) as caught:
        read_watchlist_csv(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    return str(caught.value)


# -- the file ---------------------------------------------------------------------------------

def test_a_file_from_excel_with_chinese_headers(tmp_path):
    path = write(tmp_path, "姓名,别名,公司,电话,处理,备注\n"
                           "张伟,Zhang Wei；老张,,+86 138 0013 8000,拦截,2024 年盗窃\n"
                           ",,竞品科技有限公司,,审批,竞争对手\n"
                           "王芳,,,,,\n", "gb18030")
    zhang, rival, wang = read_watchlist_csv(path)
    assert (zhang.name, zhang.aliases, zhang.phone, zhang.action, zhang.note) == (
        "张伟", ("Zhang Wei", "老张"), "+8613800138000", BLOCK, "2024 年盗窃")
    assert rival.is_company and rival.action == APPROVE
    assert wang.action == BLOCK  # a blank action blocks, as the list is for
    assert len({zhang.entry_id, rival.entry_id, wang.entry_id}) == 3
    assert [e.entry_id for e in read_watchlist_csv(path)] == [zhang.entry_id, rival.entry_id, wang.entry_id]


def test_english_headers_单位_and_the_last_of_a_repeated_row(tmp_path):
    path = write(tmp_path, "name,company,action,note,工号\nZhang Wei,,approve,first,1\n李雷,,Block,,2\n"
                           "Zhang Wei,,APPROVE,second,3\n", "utf-8-sig")
    assert [(e.name, e.action, e.note) for e in read_watchlist_csv(path)] == [
        ("李雷", BLOCK, ""), ("Zhang Wei", APPROVE, "second")]
    [entry] = read_watchlist_csv(write(tmp_path, "姓名,单位\n,华为技术有限公司\n"))
    assert entry.is_company


def test_bad_rows_refuse_the_file_naming_each_line(tmp_path):
    message = refusal(write(tmp_path, "name,company,phone,action,note\n"
                                      "张伟,,,ban,\n"            # line 2
                                      ",,,block,nobody\n"        # line 3
                                      "李雷,,call me,,\n"        # line 4
                                      "王芳,,,,a\x07b\n"          # line 5
                                      "赵六,,,,\n"))             # line 6: fine
    assert "4 bad row(s)" in message
    assert "line 2: action 'ban' is not block or approve" in message
    assert "line 3: " in message and "is required" in message
    assert "line 4: phone" in message
    assert "line 5: note contains a character that is not allowed" in message
    assert "line 6" not in message


def test_files_that_are_not_a_watchlist(tmp_path):
    assert "no entries below the header row" in refusal(write(tmp_path, "姓名,别名,单位,电话,处理,备注\n"))
    assert "no name column" in refusal(write(tmp_path, "who,what\nx,y\n"))
    assert "no such file" in refusal(tmp_path / "absent.csv")
    with pytest.raises(KioskError):
        read_watchlist_csv(tmp_path / "absent.csv")


def test_an_entry_s_id_is_derived_unless_given():
    assert watch_entry(RIVAL).entry_id == "rival-1"
    assert watch_entry(ZHANGWEI).entry_id == watch_entry({**ZHANGWEI, "note": "other"}).entry_id


# -- the admin API ------------------------------------------------------------------------------

def call(server, method: str, token: str | None, **kw) -> requests.Response:
    headers = server.headers(token) if token else {}
    return requests.request(method, f"{server.url}/v1/watchlist", headers=headers, timeout=30, **kw)


def refused(response: requests.Response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    for fragment in fragments:
        assert fragment in response.json()["error"], response.json()["error"]


def test_admins_replace_the_list_and_the_devices_that_sign_in_read_it(server):
    assert call(server, "GET", server.admin).json() == {"entries": [], "replaced_at": None}
    put = call(server, "PUT", server.admin, json={"entries": [ZHANGWEI, RIVAL]})
    assert put.status_code == 200, put.text
    entries = put.json()["entries"]
    assert [e["entry_id"] for e in entries][1] == "rival-1" and put.json()["replaced_at"]
    for role in ("visitor", "reception"):
        assert call(server, "GET", server.device("hq", f"k-{role}", role)).json() == put.json()
    assert call(server, "GET", server.device("branch", "k-1")).json()["entries"] == entries  # every site's
    refused(call(server, "GET", server.device("hq", "exit-1", "exit")), 403, "visitor and reception")
    refused(call(server, "PUT", server.device("hq", "desk", "reception"), json={"entries": []}), 403, "admin")
    refused(call(server, "GET", None), 401)


@pytest.mark.parametrize("bad, fragments", [
    ({"action": "ban"}, ["entries[1].action"]),
    ({"phone": "12"}, ["entries[1]", "phone"]),
    ({"name": "张\x07伟"}, ["entries[1]", "name"]),
    ({"name": "", "aliases": [], "phone": ""}, ["entries[1]", "required"]),
    ({"title": "CEO"}, ["entries[1].title"]),
    ({"entry_id": "rival-1"}, ["entries[1]: entry_id rival-1 is also entries[0]"]),
    ({"note": "长" * 201}, ["entries[1]", "note is too long"]),
])
def test_a_bad_entry_is_named_and_changes_nothing(server, bad, fragments):
    call(server, "PUT", server.admin, json={"entries": [RIVAL]})
    refused(call(server, "PUT", server.admin, json={"entries": [RIVAL, {**ZHANGWEI, **bad}]}), 422, *fragments)
    assert [e["entry_id"] for e in call(server, "GET", server.admin).json()["entries"]] == ["rival-1"]


def test_kiosk_server_imports_and_lists_the_watchlist_with_phones_masked(db_url, tmp_path, capsys):
    path = write(tmp_path, "姓名,别名,单位,电话,处理,备注\n张伟,Zhang Wei,,13800138000,拦截,2024 年盗窃\n"
                           ",,竞品科技有限公司,,审批,竞争对手\n", "gb18030")
    assert main(["--db", db_url, "watchlist", "import", str(path)]) == 0
    assert capsys.readouterr().out == "2 watchlist entries imported\n"
    assert main(["--db", db_url, "watchlist", "list"]) == 0
    header, zhang, rival = capsys.readouterr().out.splitlines()
    assert header.split("\t") == ["entry_id", "name", "aliases", "company", "phone", "action", "note"]
    assert zhang.split("\t")[1:] == ["张伟", "Zhang Wei", "", "138****8000", "block", "2024 年盗窃"]
    assert rival.split("\t")[1:] == ["", "", "竞品科技有限公司", "", "approve", "竞争对手"]
    assert "13800138000" not in zhang
    bad = write(tmp_path, "name,action\n张伟,ban\n")
    assert main(["--db", db_url, "watchlist", "import", str(bad)]) == 1
    assert "line 2: action 'ban'" in capsys.readouterr().err
    assert main(["--db", db_url, "watchlist", "list"]) == 0 and len(capsys.readouterr().out.splitlines()) == 3


# -- to the devices -----------------------------------------------------------------------------

class Device:
    def __init__(self, tmp_path, server, name: str, role: str = "visitor"):
        settings = Settings(data_dir=str(tmp_path / name), site="hq", device=name, role=role)
        self.kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / name / "paper"))
        self.syncer = Syncer(self.kiosk, SyncClient(server.url, server.device("hq", name, role)))

    def listed(self) -> list[str]:
        return [e.entry_id for e in self.kiosk.entry.watchlist().entries]


def test_a_kiosk_stops_the_people_on_the_server_s_list_once_it_syncs(server, tmp_path):
    device = Device(tmp_path, server, "kiosk-a")
    device.syncer.sync_once()
    assert device.kiosk.check_in(name="张伟", host=LISI).printed  # not on any list yet
    call(server, "PUT", server.admin, json={"entries": [ZHANGWEI, RIVAL]})
    assert device.syncer.sync_once().watchlist == 2
    with pytest.raises(VisitorBlocked):
        device.kiosk.check_in(name="Zhang Wei", host=LISI)
    assert device.kiosk.check_in(name="王芳", company="竞品科技", host=LISI).visit.state == AWAITING_APPROVAL
    assert device.syncer.sync_once().watchlist is None  # unchanged: not stored nor indexed again
    call(server, "PUT", server.admin, json={"entries": [RIVAL]})
    done = device.syncer.sync_once()
    assert done.watchlist == 1 and "watchlist now 1 entries" in str(done)
    assert device.kiosk.check_in(name="张伟", host=LISI).printed


def test_a_list_imported_on_the_device_stays_until_the_server_has_one(server, tmp_path):
    device = Device(tmp_path, server, "kiosk-a")
    device.kiosk.entry.replace_watchlist([WatchEntry("local-1", "李雷")])
    assert device.syncer.sync_once().watchlist is None  # none ever uploaded: the local one stays
    assert device.listed() == ["local-1"]
    call(server, "PUT", server.admin, json={"entries": [RIVAL]})
    device.syncer.sync_once()
    assert device.listed() == ["rival-1"]
    call(server, "PUT", server.admin, json={"entries": []})  # emptied on purpose: that reaches devices too
    assert device.syncer.sync_once().watchlist == 0
    assert device.listed() == []


def test_an_exit_post_syncs_without_the_list(server, tmp_path):
    call(server, "PUT", server.admin, json={"entries": [ZHANGWEI]})
    exit_post = Device(tmp_path, server, "exit-1", "exit")
    assert exit_post.syncer.sync_once().watchlist is None
    assert exit_post.listed() == []
