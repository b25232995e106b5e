"""The operator's contract, end to end: the real command, a real data directory, a real badge
PNG whose QR is read back with zxing-cpp."""

import zxingcpp
from PIL import Image

from tests.conftest import KioskCommand


def decode_badge(path):
    found = zxingcpp.read_barcodes(Image.open(path))
    assert len(found) == 1, f"{path}: {len(found)} codes"
    return found[0].text


def checkin(kiosk_cmd, *extra):
    return kiosk_cmd.json("checkin", "--name", "张三", "--company", "华为技术有限公司", "--host", "李四", *extra)


def test_sign_in_print_and_sign_out_once(kiosk_cmd, hosts_csv):
    kiosk_cmd("hosts", "import", str(hosts_csv), check=0)
    result = checkin(kiosk_cmd, "--phone", "138 0013 8000")
    assert result["printed"] is True and result["host"] == "李四"
    [png] = kiosk_cmd.previews.glob("*.png")
    assert decode_badge(png) == result["badge"]

    onsite = kiosk_cmd.json("onsite")
    assert onsite["count"] == 1 and onsite["visits"][0]["name"] == "张三"
    assert "13800138000" not in kiosk_cmd("onsite", "--json").stdout  # phone numbers stay private

    out = kiosk_cmd("checkout", "--scan", result["badge"], "--json", check=0)
    assert '"ok": true' in out.stdout and '"reason": "ok"' in out.stdout
    again = kiosk_cmd.json("checkout", "--scan", result["badge"], check=1)
    assert again["ok"] is False and again["reason"] == "already_signed_out" and again["signed_out_at"]
    assert kiosk_cmd.json("onsite")["count"] == 0


def test_one_changed_character_is_refused(kiosk_cmd):
    badge = checkin(kiosk_cmd)["badge"]
    i = len(badge) // 2
    tampered = badge[:i] + ("A" if badge[i] != "A" else "B") + badge[i + 1:]
    refused = kiosk_cmd.json("checkout", "--scan", tampered, check=1)
    assert refused["reason"] in {"bad_signature", "malformed", "unknown_key"}
    assert kiosk_cmd.json("onsite")["count"] == 1  # still on site: nothing was signed out


def test_scans_that_are_not_badges(kiosk_cmd):
    for scan in ["", "hello", "VB1", "VB1" + "A" * 300, "\x1b[2J", "张三"]:
        refused = kiosk_cmd.json("checkout", "--scan", scan, check=1)
        assert refused == {**refused, "ok": False, "reason": "malformed"}


def test_badge_of_another_site_is_refused(tmp_path):
    other = KioskCommand(tmp_path / "branch", KIOSK_SITE="branch")
    badge = checkin(other)["badge"]
    here = KioskCommand(tmp_path / "hq")
    # This kiosk does not know the branch's key; even if it did, the site would not match.
    assert here.json("checkout", "--scan", badge, check=1)["reason"] == "unknown_key"


def test_lost_badge_no_longer_lets_anyone_out(kiosk_cmd):
    result = checkin(kiosk_cmd)
    kiosk_cmd("lost", result["badge_number"].lower(), check=0)
    refused = kiosk_cmd.json("checkout", "--scan", result["badge"], check=1)
    assert (refused["reason"], refused["detail"]) == ("revoked", "lost")


def test_reprint_revokes_the_old_badge(kiosk_cmd):
    first = checkin(kiosk_cmd)
    second = kiosk_cmd.json("reprint", first["visit_id"])
    assert second["badge"] != first["badge"] and second["visit_id"] == first["visit_id"]
    assert len(list(kiosk_cmd.previews.glob("*.png"))) == 2
    assert kiosk_cmd.json("checkout", "--scan", first["badge"], check=1)["detail"] == "reprinted"
    assert kiosk_cmd.json("checkout", "--scan", second["badge"], check=0)["ok"] is True


def test_bad_input_gets_one_clear_line_and_a_failure_status(kiosk_cmd, hosts_csv):
    kiosk_cmd("hosts", "import", str(hosts_csv), check=0)
    cases = {
        ("--name", "张三\x1b[31m", "--host", "李四"): "not allowed",
        ("--name", "张" * 10_000, "--host", "李四"): "too long",
        ("--name", "张三😀", "--host", "李四"): "not allowed",
        ("--name", "张三", "--host", "nobody-by-that-name"): "no host matches",
        ("--name", "张三", "--host", "李四", "--phone", "call me"): "phone",
    }
    for args, message in cases.items():
        proc = kiosk_cmd("checkin", *args, check=1)
        assert message in proc.stderr and proc.stderr.count("\n") == 1
    assert kiosk_cmd.json("onsite")["count"] == 0
    assert not list(kiosk_cmd.previews.glob("*.png"))


def test_bad_settings_and_files(kiosk_cmd, tmp_path):
    bad_role = KioskCommand(kiosk_cmd.data_dir, KIOSK_ROLE="guard")
    assert "KIOSK_ROLE" in bad_role("onsite", check=1).stderr
    assert "no such file" in kiosk_cmd("hosts", "import", str(tmp_path / "none.csv"), check=1).stderr
    blocked = KioskCommand(tmp_path / "afile" / "data")
    (tmp_path / "afile").write_text("x")
    assert "cannot be created" in blocked("onsite", check=1).stderr


def test_end_of_day_needs_a_cutoff(kiosk_cmd):
    checkin(kiosk_cmd)
    assert "automatic sign-out is off" in kiosk_cmd("end-of-day", check=1).stderr


def test_a_stand_alone_kiosk_imports_its_watchlist_and_lists_it_without_phones(kiosk_cmd, hosts_csv, tmp_path):
    watchlist = tmp_path / "watchlist.csv"
    watchlist.write_text("姓名,别名,单位,电话,处理,备注\n张伟,Zhang Wei,,13800138000,拦截,2024 年盗窃\n"
                         "王芳,,竞品科技,,审批,竞争对手\n", encoding="gb18030")
    imported = kiosk_cmd("watchlist", "import", str(watchlist), check=0)
    assert imported.stdout == f"imported 2 watchlist entries from {watchlist}\n"
    listed = kiosk_cmd("watchlist", "list", check=0).stdout
    assert listed.splitlines()[1].split("\t") == ["张伟", "Zhang Wei", "", "138****8000", "block", "2024 年盗窃"]
    assert kiosk_cmd.json("watchlist", "list")["entries"][1] == {
        "name": "王芳", "aliases": "", "company": "竞品科技", "phone": "", "action": "approve", "note": "竞争对手"}
    assert "13800138000" not in listed
    kiosk_cmd("hosts", "import", str(hosts_csv), check=0)
    assert "please see reception" in kiosk_cmd("checkin", "--name", "Zhang Wei", "--host", "李四", check=1).stderr
    watchlist.write_text("name,action\n张伟,ban\n", encoding="utf-8")
    refused = kiosk_cmd("watchlist", "import", str(watchlist), check=1).stderr
    assert "line 2: action 'ban'" in refused and refused.count("\n") == 1
    assert kiosk_cmd.json("watchlist", "list")["count"] == 2  # the refused file changed nothing


def test_an_exit_post_refuses_lost_and_checkin_and_records_nothing(kiosk_cmd, tmp_path):
    """Its role never writes badge_lost nor a sign-in: one clear line, a failure status, and no
    event the server would refuse its whole push for."""
    import sqlite3

    badge = checkin(kiosk_cmd)
    post = KioskCommand(kiosk_cmd.data_dir, KIOSK_DEVICE="exit-1", KIOSK_ROLE="exit")
    events = lambda: sqlite3.connect(kiosk_cmd.data_dir / "kiosk.sqlite3").execute(
        "SELECT COUNT(*) FROM events").fetchone()[0]
    before = events()
    lost = post("lost", badge["badge_number"], check=1)
    assert lost.stderr.strip() == "kiosk: an exit post cannot mark badges lost: do it at reception"
    signing_in = post("checkin", "--name", "王五", "--host", "李四", check=1)
    assert signing_in.stderr.strip().startswith("kiosk: an exit post cannot sign visitors in")
    assert events() == before
    assert post.json("onsite")["count"] == 1
    assert post.json("checkout", "--scan", badge["badge"])["ok"] is True  # what it does write, it writes
