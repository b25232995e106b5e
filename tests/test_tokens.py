"""Badge tokens: round trip, size, and that nothing altered or foreign ever verifies."""

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import tokens
from kiosk.core.tokens import KeyRing, PublicKey, Signer

SIGNER = Signer(Ed25519PrivateKey.generate())
OTHER = Signer(Ed25519PrivateKey.generate())
NOW = 1_800_000_000


def ring(*entries):
    return KeyRing(PublicKey(s.key_id, s.public_key.public_bytes_raw(), site, "k1", revoked)
                   for s, site, revoked in entries)


RING = ring((SIGNER, "hq", False))
sites = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)


def mint(site="hq", signer=SIGNER, issued=NOW, expires=NOW + 3600):
    return signer.sign(badge_id=tokens.new_badge_id(), visit_id=tokens.new_visit_id(), site=site,
                       issued_at=issued, expires_at=expires)


@settings(max_examples=200)
@given(site=sites, issued=st.integers(0, 2**32 - 3601))
def test_round_trip(site, issued):
    badge, visit = tokens.new_badge_id(), tokens.new_visit_id()
    text = SIGNER.sign(badge_id=badge, visit_id=visit, site=site, issued_at=issued, expires_at=issued + 3600)
    verdict = tokens.verify(text, ring((SIGNER, site, False)), site, issued)
    assert verdict.ok
    assert verdict.claims == tokens.Claims(SIGNER.key_id, badge, visit, issued, issued + 3600, site)


@pytest.mark.parametrize("site_length", range(1, tokens.MAX_SITE_LEN + 1))
def test_no_changed_character_anywhere_verifies(site_length):
    """Every position, every other Base32 character, for every site length: lengths whose
    payload does not fill the last Base32 character leave spare bits that must not matter."""
    site = "s" * site_length
    text = mint(site=site)
    keys = ring((SIGNER, site, False))
    for position in range(len(tokens.PREFIX), len(text)):
        for replacement in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567":
            if replacement != text[position]:
                tampered = text[:position] + replacement + text[position + 1:]
                assert not tokens.verify(tampered, keys, site, NOW).ok, (position, replacement)


@given(st.text(max_size=400))
def test_garbage_is_malformed_not_a_crash(text):
    assert tokens.verify(text, RING, "hq", NOW).reason in {tokens.MALFORMED, tokens.UNKNOWN_KEY,
                                                           tokens.BAD_SIGNATURE}


def test_text_is_qr_alphanumeric_and_fits_version_8_at_level_m():
    text = mint(site="a-twenty-char-site-x")
    assert len(text) <= tokens.MAX_TEXT_LEN
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") | set(tokens.PREFIX)
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    assert qr.version <= 8
    assert qrcode.util.optimal_mode(text.encode()) == qrcode.util.MODE_ALPHA_NUM


def test_scanner_noise_is_forgiven():
    text = mint()
    assert tokens.verify("  " + text.lower() + "\r\n", RING, "hq", NOW).ok


def test_reasons():
    assert tokens.verify(mint(), RING, "hq", NOW + 3600).reason == tokens.EXPIRED
    assert tokens.verify(mint(), RING, "hq", NOW + 3599).ok
    assert tokens.verify(mint(signer=OTHER), RING, "hq", NOW).reason == tokens.UNKNOWN_KEY
    assert tokens.verify(mint(), RING, "branch", NOW).reason == tokens.OTHER_SITE
    # a key registered for another site cannot mint badges for this one
    both = ring((SIGNER, "hq", False), (OTHER, "branch", False))
    assert tokens.verify(mint(site="hq", signer=OTHER), both, "hq", NOW).reason == tokens.OTHER_SITE
    revoked = ring((SIGNER, "hq", True))
    assert tokens.verify(mint(), revoked, "hq", NOW).reason == tokens.REVOKED
    assert tokens.verify("", RING, "hq", NOW).reason == tokens.MALFORMED
    assert tokens.verify("VB1", RING, "hq", NOW).reason == tokens.MALFORMED


def test_another_keys_signature_over_the_same_claims_fails():
    text = mint()
    claims, signed, _ = tokens.parse(text)
    forged_sig = OTHER._key.sign(signed)
    forged = tokens.PREFIX + tokens.b32(signed[len(tokens.PREFIX):] + forged_sig)
    assert tokens.verify(forged, RING, "hq", NOW).reason == tokens.BAD_SIGNATURE


def test_badge_numbers():
    badge = tokens.new_badge_id()
    number = tokens.badge_number(badge)
    assert len(number) == 9 and number[4] == "-"
    assert tokens.parse_badge_number(number.lower().replace("-", " ")) == badge
    assert tokens.parse_badge_number("1234-5678") is None
    assert tokens.parse_badge_number("short") is None
    assert tokens.parse_badge_number(number[:-1] + ("B" if number[-1] == "A" else "A")) != badge
