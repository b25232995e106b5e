"""An invitation at the kiosk: checked offline with the key ring (the server's key arrives with
the site's keys), used once, refused with a reason when forged, expired, early, for another
site or used. Real SQLite; the clock is the test's."""

from __future__ import annotations

from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core import events as ev
from kiosk.core import invites
from kiosk.core.events import Event, new_id
from kiosk.core.hosts import Host
from kiosk.core.invites import Invitation
from kiosk.core.tokens import PublicKey, key_id_of, new_visit_id
from kiosk.core.watchlist import BLOCK, WatchEntry
from kiosk.errors import InvitationRefused, VisitorBlocked
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter

SERVER_KEY = Ed25519PrivateKey.generate()
LISI = Host("a1b2c3d4e5f6", "李四", "研发部", "lisi@example.com")


class Clock:
    def __init__(self):
        self.ms = int(datetime(2026, 12, 1, 10, 0).astimezone().timestamp() * 1000)

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def kiosk(tmp_path):
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1"),
                       PreviewPrinter(tmp_path / "previews"), Clock())
    kiosk.trust(PublicKey(key_id_of(SERVER_KEY.public_key()), SERVER_KEY.public_key().public_bytes_raw(), "hq",
                          "server", role="server"))
    kiosk.import_hosts([LISI])
    return kiosk


def invitation(kiosk, key=SERVER_KEY, site="hq", hours=(-1, 8), **fields) -> str:
    now = kiosk.clock() // 1000
    details = {"name": "王小明", "company": "华为", "phone": "13900000000", "host_id": LISI.host_id, "host": "李四",
               "purpose": "商务洽谈", "visitor_type": "guest", **fields}
    return invites.sign(Invitation(new_visit_id(), site, key_id_of(key.public_key()), now + hours[0] * 3600,
                                   now + hours[1] * 3600, **details), key)


def sign_in(kiosk, invited: Invitation):
    return kiosk.check_in(name=invited.name, company=invited.company, phone=invited.phone, purpose=invited.purpose,
                          host=kiosk.invited_host(invited), visitor_type=invited.visitor_type, invitation=invited)


def test_an_invitation_signs_its_visitor_in_once(kiosk):
    text = invitation(kiosk)
    invited = kiosk.read_invitation(text)
    assert (invited.name, invited.company, kiosk.invited_host(invited)) == ("王小明", "华为", LISI)
    result = sign_in(kiosk, invited)
    # A visit of its own, linked to the invitation's visit as its use.
    assert result.printed and result.visit.visit_id != invited.invite_id
    assert result.visit.invite_id == invited.invite_id
    assert kiosk.log.visit(invited.invite_id).invitation_uses == (result.visit.visit_id,)
    assert result.visit.visitor["purpose"] == "商务洽谈"
    with pytest.raises(InvitationRefused) as again:
        kiosk.read_invitation(text)
    assert again.value.reason == invites.USED
    with pytest.raises(InvitationRefused):  # even if it was read before the first use
        sign_in(kiosk, invited)


@pytest.mark.parametrize("make, reason", [
    (lambda k: invitation(k, key=Ed25519PrivateKey.generate()), invites.UNKNOWN_KEY),
    (lambda k: invitation(k, hours=(-10, -1)), invites.EXPIRED),
    (lambda k: invitation(k, hours=(2, 8)), invites.NOT_YET_VALID),
    (lambda k: invitation(k, site="branch"), invites.OTHER_SITE),
    (lambda k: invitation(k)[:-3] + "AAA", invites.BAD_SIGNATURE),
    (lambda k: "VI1" + "A" * 40, invites.MALFORMED),
])
def test_a_bad_invitation_is_refused_with_its_reason(kiosk, make, reason):
    with pytest.raises(InvitationRefused) as refused:
        kiosk.read_invitation(make(kiosk))
    assert refused.value.reason == reason
    assert kiosk.log.count_events() == 0


def signed_in_before_invitation_used(kiosk, invited: Invitation, device="lobby-old") -> str:
    """A kiosk's sign-in with this invitation as kiosks recorded it before ``invitation_used``:
    under the invitation's own id, brought here by sync. Returns that visit's id."""
    ts = kiosk.clock() - 60_000
    person = {"visitor": {"name": invited.name, "company": invited.company, "phone": invited.phone,
                          "purpose": invited.purpose}, "host": {"host_id": LISI.host_id, "name": "李四",
                                                                "department": "研发部"},
              "lang": "zh_CN", "visitor_type": "guest", "answers": {}, "invite_id": invited.invite_id}
    kiosk.log.ingest([
        Event(new_id(), "hq", device, 1, ts, ev.SIGNED_IN, invited.invite_id, person),
        Event(new_id(), "hq", device, 2, ts, ev.BADGE_ISSUED, invited.invite_id,
              {"badge_id": "OLDBADGE", "issued_at": ts, "expires_at": ts + 3_600_000, "key_id": "old"})])
    return invited.invite_id


def test_a_sign_in_under_the_invitations_id_from_an_older_kiosk_counts_as_its_use(kiosk):
    text = invitation(kiosk)
    invited = kiosk.read_invitation(text)  # read before the older kiosk's sign-in arrives
    old = signed_in_before_invitation_used(kiosk, invited)
    visit = kiosk.log.visit(old)
    assert (visit.state, visit.visitor["name"], visit.invitation_uses) == ("waiting", "王小明", (old,))
    assert [v.visit_id for v in kiosk.in_building()] == [old]
    for attempt in (lambda: kiosk.read_invitation(text), lambda: sign_in(kiosk, invited)):
        with pytest.raises(InvitationRefused) as refused:
            attempt()
        assert refused.value.reason == invites.USED
    assert [v.visit_id for v in kiosk.in_building()] == [old]


def test_a_new_use_and_an_older_kiosks_use_are_two_people_marked_for_reception(kiosk):
    """This kiosk took the invitation while cut off from an older kiosk that took it too: when
    their logs meet, both are on site, each naming the other (the older kiosk's use came first)."""
    invited = kiosk.read_invitation(invitation(kiosk))
    mine = sign_in(kiosk, invited).visit
    old = signed_in_before_invitation_used(kiosk, invited)
    here = {v.visit_id: v for v in kiosk.in_building()}
    assert set(here) == {old, mine.visit_id}
    assert kiosk.log.visit(old).invitation_uses == (old, mine.visit_id)
    assert [(o["visit_id"], o["badge_id"]) for o in here[mine.visit_id].invitation_shared_with] == [(old, "OLDBADGE")]
    assert [o["visit_id"] for o in here[old].invitation_shared_with] == [mine.visit_id]
    assert (here[old].invitation_use, here[mine.visit_id].invitation_use) == (1, 2)


def test_an_invited_visitor_the_watchlist_stops_has_used_the_invitation(kiosk):
    kiosk.entry.replace_watchlist([WatchEntry("w1", "王小明", action=BLOCK, note="banned")])
    text = invitation(kiosk)
    with pytest.raises(VisitorBlocked):
        sign_in(kiosk, kiosk.read_invitation(text))
    invite_id = invites.read(text, kiosk.keyring(), now=kiosk.clock() // 1000, site="hq").invitation.invite_id
    invited_visit = kiosk.log.visit(invite_id)
    [stopped] = invited_visit.invitation_uses
    assert kiosk.log.visit(stopped).state == "blocked"
    with pytest.raises(InvitationRefused) as again:
        kiosk.read_invitation(text)
    assert again.value.reason == invites.USED


def _push_order(kiosk) -> list[tuple[str, str]]:
    return [(e.kind, e.visit_id) for _, e in kiosk.log.own_events_after(0, 1000)]


def test_the_sign_in_is_pushed_before_the_use_of_the_invitation(kiosk):
    """The server stores a use only beside the sign-in it names (sync.server.accept): the log,
    pushed in order and cut into batches anywhere, holds the sign-in first."""
    invited = kiosk.read_invitation(invitation(kiosk))
    visit = sign_in(kiosk, invited).visit
    order = _push_order(kiosk)
    assert order.index((ev.SIGNED_IN, visit.visit_id)) < order.index((ev.INVITATION_USED, invited.invite_id))


def test_the_blocked_registration_is_pushed_before_the_use_of_the_invitation(kiosk):
    kiosk.entry.replace_watchlist([WatchEntry("w1", "王小明", action=BLOCK, note="banned")])
    invited = kiosk.read_invitation(invitation(kiosk))
    with pytest.raises(VisitorBlocked):
        sign_in(kiosk, invited)
    [stopped] = kiosk.log.visit(invited.invite_id).invitation_uses
    order = _push_order(kiosk)
    assert order.index((ev.BLOCKED, stopped)) < order.index((ev.INVITATION_USED, invited.invite_id))
