"""A device's purge, on a real data directory: retention by a fake clock, the server's purged
event as a pull brings it, and then no byte of the forgotten visitors anywhere in the files."""

from datetime import datetime

import pytest

from kiosk import retention
from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.events import Event, new_id
from kiosk.core.hosts import Host, host_id_for
from kiosk.core.purge import DAY_MS
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from tests.privacy_bytes import hits, sqlite_files

PEOPLE = [("欧阳娜娜", "星辰量子科技", "139 1234 5678"), ("Bartholomew Quince", "Zephyrine Ltd", "+44 7700 900123"),
          ("司马懿然", "青鸾数据", "186-0000-4321")]
SIGNATURE = {"version": "2026-01", "lang": "zh_CN", "strokes": [[[1, 2], [3, 4]]]}


class Clock:
    def __init__(self):
        self.ms = int(datetime(2026, 3, 2, 9, 30).astimezone().timestamp() * 1000)

    def __call__(self):
        return self.ms


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def kiosk(tmp_path, clock):
    settings = Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", role="reception")
    return Kiosk.open(settings, PreviewPrinter(tmp_path / "previews"), clock)


def texts(people=PEOPLE):
    return [t for person in people for t in person]


def sign_in_everyone(kiosk, clock, people=PEOPLE):
    visits = []
    for name, company, phone in people:
        done = kiosk.check_in(name=name, company=company, phone=phone, purpose=f"见 {name}",
                              host=Host(host_id_for("李四", "研发部"), "李四", "研发部"), agreement=SIGNATURE)
        kiosk.leave_message(done.visit.visit_id, f"{name} 在大厅等, 电话 {phone}")
        kiosk.complain(done.visit.visit_id, f"{company} 的访客很吵")
        clock.ms += 3_600_000
        kiosk.sign_out_by_hand(done.visit.visit_id, f"{name} forgot the badge")
        kiosk.rate(done.visit.visit_id, 4)
        visits.append(done)
    return visits


def files(kiosk):
    """Every SQLite file of the device as it is on disk while the kiosk runs (its connection
    open: closing the last one would checkpoint and delete the WAL, hiding what a running
    kiosk leaves there)."""
    return sqlite_files(kiosk.settings.data_path)


def test_retention_leaves_no_byte_of_the_visitors_and_keeps_the_statistics(kiosk, clock):
    visits = sign_in_everyone(kiosk, clock)
    assert hits(files(kiosk), texts())  # the search finds them while they are kept
    clock.ms += 180 * DAY_MS + 2 * 3_600_000
    done = retention.purge_now(kiosk)
    assert done.visits == 3 and done.scope == {"all": 3, "sensitive": 0}
    assert hits(files(kiosk), texts()) == []
    for checked_in in visits:
        visit = kiosk.log.visit(checked_in.visit.visit_id)
        assert (visit.state, visit.site, visit.host["department"], visit.rating) == ("signed_out", "hq", "研发部", 4)
        assert visit.signed_in_at == checked_in.visit.signed_in_at and visit.signed_out_at is not None
        assert visit.visitor == {} and visit.messages == ("",) and visit.complaints == ("",)
        assert visit.visitor_type == "guest"
    assert kiosk.log.count_in({"signed_out"}) == 3
    assert retention.purge_now(kiosk).visits == 0  # once is enough


def test_sensitive_data_goes_first_and_recent_visits_stay(kiosk, clock):
    old = sign_in_everyone(kiosk, clock, PEOPLE[:1])[0]
    clock.ms += 20 * DAY_MS
    recent = sign_in_everyone(kiosk, clock, PEOPLE[1:2])[0]
    clock.ms += 11 * DAY_MS  # old: 31 days; recent: 11
    assert retention.purge_now(kiosk, dry_run=True).scope == {"all": 0, "sensitive": 1}
    assert [e.data.get("agreement") for e in kiosk.log.events(old.visit.visit_id) if e.kind == ev.SIGNED_IN] \
        == [SIGNATURE]  # a dry run changes nothing
    assert retention.purge_now(kiosk).scope == {"all": 0, "sensitive": 1}
    signed_in = next(e for e in kiosk.log.events(old.visit.visit_id) if e.kind == ev.SIGNED_IN)
    assert signed_in.data["agreement"] == {"version": "2026-01", "lang": "zh_CN"}
    assert signed_in.data["visitor"]["name"] == "欧阳娜娜"  # identifying data: kept until retention_days
    assert kiosk.log.events(recent.visit.visit_id)[0].data["agreement"] == SIGNATURE


def test_settings_decide_on_a_stand_alone_device_and_the_sites_policy_wins(tmp_path, clock):
    settings = Settings(data_dir=str(tmp_path / "d"), site="hq", device="k1", role="reception", retention_days=10,
                        sensitive_retention_days=5)
    kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / "p"), clock)
    sign_in_everyone(kiosk, clock, PEOPLE[:1])
    clock.ms += 11 * DAY_MS
    assert retention.purge_now(kiosk, dry_run=True).scope == {"all": 1, "sensitive": 0}
    retention.keep_site_policy(kiosk.log.db, {"retention_days": 90, "sensitive_retention_days": 7})
    assert retention.purge_now(kiosk, dry_run=True).scope == {"all": 0, "sensitive": 1}


def server_purge(kiosk, visit_id, scope="all"):
    return Event(new_id(), kiosk.settings.site, ev.SERVER_DEVICE, 1, kiosk.clock(), ev.PURGED, visit_id,
                 {"scope": scope, "reason": "erasure"})


def test_a_pulled_purge_forgets_the_visit_and_its_badge_is_expired(tmp_path, clock):
    settings = Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", role="reception",
                        webhook="webhook+https://hooks.example.com/in#secret=s")
    kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / "previews"), clock)
    visit = kiosk.check_in(name="欧阳娜娜", company="星辰量子科技", phone="13912345678",
                           host=Host(host_id_for("李四", ""), "李四", ""))
    assert kiosk.verdict(visit.badge).ok
    bad = Event(new_id(), "hq", "k2", 3, clock(), ev.RATED, visit.visit.visit_id, {"rating": "欧阳娜娜 13912345678"})
    kiosk.log.ingest([bad])  # set aside in the quarantine, as received (ASCII JSON)
    assert kiosk.log.db.read("SELECT COUNT(*) FROM quarantine")[0][0] == 1
    assert kiosk.log.db.read("SELECT COUNT(*) FROM outbox WHERE visit_id = ?", (visit.visit.visit_id,))[0][0] == 1
    late = Event(new_id(), "hq", "k2", 7, clock(), ev.MESSAGE_LEFT, visit.visit.visit_id, {"text": "欧阳娜娜 again"})
    kiosk.log.ingest([server_purge(kiosk, visit.visit.visit_id), late])
    assert kiosk.verdict(visit.badge).reason == tokens.EXPIRED and kiosk.verdict(visit.badge).visit is None
    assert kiosk.log.visit(visit.visit.visit_id).purged == "all"
    assert kiosk.log.db.read("SELECT (SELECT COUNT(*) FROM quarantine) + (SELECT COUNT(*) FROM outbox)")[0][0] == 0
    later = Event(new_id(), "hq", "k3", 9, clock(), ev.COMPLAINT, visit.visit.visit_id, {"text": "星辰量子科技 rude"})
    kiosk.log.ingest([later])  # a copy arriving after the purge is stripped before it is stored
    from kiosk.store.purge import scrub
    scrub(kiosk.log.db)
    assert hits(files(kiosk), ["欧阳娜娜", "星辰量子科技", "13912345678"]) == []


def test_a_page_that_brings_a_visit_with_its_purge_is_taken_in_stripped(kiosk, tmp_path, clock):
    # A new kiosk (or one back from offline) catches up: one pulled page holds a visit's events
    # and the server's purge of it. The purge found nothing stored yet; the events are stored
    # stripped after it (the page failed whole before, and with it every later sync round).
    [done] = sign_in_everyone(kiosk, clock, PEOPLE[:1])
    page = kiosk.log.events(done.visit.visit_id) + [server_purge(kiosk, done.visit.visit_id)]
    settings = Settings(data_dir=str(tmp_path / "new"), site="hq", device="k9", role="reception")
    newcomer = Kiosk.open(settings, PreviewPrinter(tmp_path / "new-previews"), clock)
    assert len(newcomer.log.ingest(page)) == len(page)
    visit = newcomer.log.visit(done.visit.visit_id)
    assert visit.purged == "all" and visit.visitor == {} and visit.state == "signed_out"
    assert hits(files(newcomer), texts(PEOPLE[:1])) == []


def test_a_purge_killed_half_way_leaves_the_visit_or_its_purge(kiosk, clock):
    visits = sign_in_everyone(kiosk, clock, PEOPLE[:2])
    clock.ms += 200 * DAY_MS

    class Killed(Exception):
        pass

    real = kiosk.log.refold

    def dies(conn, visit_ids):
        real(conn, visit_ids)
        raise Killed  # after every row was rewritten, before the commit

    kiosk.log.refold = dies
    with pytest.raises(Killed):
        retention.purge_now(kiosk)
    kiosk.log.refold = real
    for checked_in in visits:
        assert kiosk.log.visit(checked_in.visit.visit_id).visitor["name"] in (PEOPLE[0][0], PEOPLE[1][0])
    assert retention.purge_now(kiosk).visits == 2
