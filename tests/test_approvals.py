"""Approval links: a round trip for any visit and site, and nothing else verifies."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import tokens
from kiosk.core.approvals import VALID_S, approval_token, read_approval
from kiosk.core.tokens import KeyRing, PublicKey, Signer

NOW = 1_796_000_000
SIGNER = Signer(Ed25519PrivateKey.generate())


def ring(site="hq", revoked=False, signer=SIGNER) -> KeyRing:
    return KeyRing([PublicKey(signer.key_id, signer.public_key.public_bytes_raw(), site, "k1", revoked, "visitor")])


visit_ids = st.binary(min_size=10, max_size=10).map(tokens.b32)
sites = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}", fullmatch=True)


@given(visit_ids, sites)
def test_a_link_reads_back_its_visit(visit_id, site):
    verdict = read_approval(approval_token(SIGNER, visit_id=visit_id, site=site, now=NOW), ring(site), now=NOW + 60,
                            site=site)
    assert verdict.ok and (verdict.visit_id, verdict.site) == (visit_id, site)


@settings(max_examples=200)
@given(visit_ids, st.data())
def test_a_changed_character_never_verifies(visit_id, data):
    text = approval_token(SIGNER, visit_id=visit_id, site="hq", now=NOW)
    at = data.draw(st.integers(3, len(text) - 1))
    other = data.draw(st.sampled_from([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" if c != text[at]]))
    assert not read_approval(text[:at] + other + text[at + 1:], ring(), now=NOW, site="hq").ok


def test_expired_revoked_unknown_and_other_site_links_are_refused():
    text = approval_token(SIGNER, visit_id="A" * 16, site="hq", now=NOW)
    assert read_approval(text, ring(), now=NOW + VALID_S, site="hq").reason == tokens.EXPIRED
    assert read_approval(text, ring(revoked=True), now=NOW, site="hq").reason == tokens.REVOKED
    assert read_approval(text, ring(signer=Signer(Ed25519PrivateKey.generate())), now=NOW,
                         site="hq").reason == tokens.UNKNOWN_KEY
    assert read_approval(text, ring(site="branch"), now=NOW, site="branch").reason == tokens.OTHER_SITE
    assert read_approval("VA1" + "A" * 50, ring(), now=NOW, site="hq").reason == tokens.MALFORMED
