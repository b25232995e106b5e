"""An invitation at the kiosk: checked offline with the key ring (the server's key arrives with
the site's keys), used once, refused with a reason when forged, expired, early, for another
site or used. Real SQLite; the clock is the test's."""

from __future__ import annotations

from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core import invites
from kiosk.core.hosts import Host
from kiosk.core.invites import Invitation
from kiosk.core.tokens import PublicKey, key_id_of, new_visit_id
from kiosk.errors import InvitationRefused
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
    assert result.printed and result.visit.visit_id == invited.invite_id
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
