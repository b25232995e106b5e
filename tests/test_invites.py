"""Invitations: round trip, size in a real QR code, and that nothing altered, foreign, early,
late or for another site is ever accepted."""

import pytest
import qrcode
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from kiosk.core import invites, tokens
from kiosk.core.invites import Invitation
from kiosk.core.tokens import KeyRing, PublicKey, key_id_of
from kiosk.errors import ValidationError

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
KEY_ID = key_id_of(KEY.public_key())
NOW = 1_800_000_000
DAY = 86_400
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
EXT_B = "𠀀"  # four bytes of UTF-8: the widest a character packs


def ring(*entries):
    return KeyRing(PublicKey(key_id_of(k.public_key()), k.public_key().public_bytes_raw(), site, "server", revoked, "server")
                   for k, site, revoked in entries)


RING = ring((KEY, "hq", False))


def invitation(**changes) -> Invitation:
    fields = dict(invite_id=invites.new_invite_id(), site="hq", key_id=KEY_ID, valid_from=NOW, expires=NOW + DAY,
                  visitor_type="guest", name="张三", company="华为技术有限公司", phone="138 0013 8000",
                  host_id="0123456789ab", host="李四", purpose="商务洽谈")
    return Invitation(**{**fields, **changes})


def read(text, keyring=RING, now=NOW, site="hq"):
    return invites.read(text, keyring, now=now, site=site)


def signed_payload(text: str) -> bytes:
    return tokens.unb32(text[len(invites.PREFIX):])[:-64]


def worst_case() -> Invitation:
    return invitation(site="s" * tokens.MAX_SITE_LEN, valid_from=0, expires=2**32 - 1,
                      visitor_type="t" * invites.MAX_TYPE, name=EXT_B * invites.MAX_NAME,
                      company=EXT_B * invites.MAX_COMPANY, phone="+" + "9" * 15,
                      host=EXT_B * invites.MAX_HOST, purpose=EXT_B * invites.MAX_PURPOSE)


def qr_version(text: str) -> int:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    # only QR: a QR's modules now and then also read as a Codabar or DataBar by chance
    [found] = zxingcpp.read_barcodes(qr.make_image().get_image(), formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == text and found.ec_level == "M"
    return qr.version


# Letters of several scripts and widths, and the punctuation names and companies use; the
# cleaners decide what is valid, and whatever they accept must come back unchanged.
_letters = "张三李四王欧阳娜𠀀𡒄AbcZéÅñßДж"
texts = st.text(alphabet=_letters + " ·-'.()&,/", max_size=70)
names = st.text(alphabet=_letters + " ·-'.", min_size=1, max_size=34)


@st.composite
def invitations(draw) -> Invitation:
    valid_from = draw(st.integers(0, 2**32 - 2))
    try:
        return Invitation(
            invite_id=invites.new_invite_id(), key_id=KEY_ID, valid_from=valid_from,
            site=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}", fullmatch=True)),
            expires=draw(st.integers(valid_from + 1, 2**32 - 1)),
            visitor_type=draw(st.sampled_from(["guest", "contractor", "interview", "delivery", "vip-2"])),
            name=draw(names), company=draw(texts), purpose=draw(texts), host=draw(names),
            phone=draw(st.sampled_from(["", "13800138000", "+86 138-0013-8000", "(010) 6552 9988", "+" + "1" * 15])),
            host_id=draw(st.sampled_from(["", "0123456789ab", "ffffffffffff"])))
    except ValidationError:
        reject()


@settings(max_examples=300)
@given(invitations())
def test_any_valid_invitation_reads_back_equal(original):
    text = invites.sign(original, KEY)
    assert len(text) <= invites.MAX_TEXT_LEN
    assert text.startswith(invites.PREFIX) and set(text[len(invites.PREFIX):]) <= set(BASE32)
    verdict = read(text, ring((KEY, original.site, False)), now=original.valid_from, site=original.site)
    assert verdict.ok and verdict.invitation == original


def test_fields_are_cleaned_on_creation():
    made = invitation(name="  张  三 ", company=" 华为 ", phone="+86 138-0013-8000", purpose="")
    assert (made.name, made.company, made.phone, made.purpose) == ("张 三", "华为", "+8613800138000", "")


@pytest.mark.parametrize("changes,field", [
    ({"name": "张三😀"}, "name"), ({"name": "x" * 31}, "name"), ({"name": ""}, "name"),
    ({"company": "c" * 61}, "company"), ({"purpose": "p" * 61}, "purpose"), ({"host": "h" * 31}, "host"),
    ({"host": ""}, "host"), ({"phone": "call me"}, "phone"), ({"company": "华为\n"}, "company"),
    ({"purpose": "送货📦"}, "purpose"),
    ({"invite_id": "short"}, "invite_id"), ({"invite_id": "A" * 15 + "1"}, "invite_id"),
    ({"site": ""}, "site"), ({"site": "总部"}, "site"), ({"site": "s" * 21}, "site"),
    ({"key_id": "ABCDEF01"}, "key_id"), ({"host_id": "0123"}, "host_id"),
    ({"visitor_type": "Guest"}, "visitor_type"), ({"visitor_type": "g" * 17}, "visitor_type"),
    ({"expires": NOW}, "expires"), ({"valid_from": -1}, "expires"), ({"expires": 2**32}, "expires"),
])
def test_invalid_fields_are_refused_by_name(changes, field):
    with pytest.raises(ValidationError) as info:
        invitation(**changes)
    assert info.value.field == field


def test_signing_with_a_key_the_invitation_does_not_name_is_refused():
    with pytest.raises(ValueError):
        invites.sign(invitation(), OTHER)


def changed(text: str, positions):
    for position in positions:
        for replacement in BASE32.replace(text[position], ""):
            yield position, replacement, text[:position] + replacement + text[position + 1:]


def test_no_changed_character_anywhere_verifies():
    text = invites.sign(invitation(), KEY)
    for position, replacement, tampered in changed(text, range(len(invites.PREFIX), len(text))):
        assert not read(tampered).ok, (position, replacement)


@pytest.mark.parametrize("purpose", ["", "a", "ab", "abc", "abcd"])
def test_spare_bits_of_the_last_character_matter(purpose):
    """The five purpose lengths give every count of unused bits in the last character: a text
    that differs only there decodes to the same bytes, and is still refused."""
    text = invites.sign(invitation(purpose=purpose), KEY)
    for position, replacement, tampered in changed(text, [len(text) - 1]):
        assert not read(tampered).ok, (position, replacement)


def test_signed_text_that_cleaning_would_change_is_malformed():
    """A signer that skipped cleaning (a double space, a control character) made text the kiosk
    would never make; it is refused rather than quietly tidied."""
    for name in ("张  三", "张三\x1b[2J"):
        untidy = invitation()
        object.__setattr__(untidy, "name", name)  # as a careless signer would have it
        assert read(invites.sign(untidy, KEY)).reason == invites.MALFORMED


def test_a_cut_or_extended_text_is_malformed():
    text = invites.sign(invitation(), KEY)
    as_badge = tokens.PREFIX + text[len(invites.PREFIX):]
    for bad in (text[:-1], text + "A", text + "AA", text[:-8], invites.PREFIX, "", as_badge):
        assert read(bad).reason == invites.MALFORMED


@given(st.text(max_size=300))
def test_garbage_is_malformed_not_a_crash(text):
    assert read(text).reason == invites.MALFORMED


def test_scanner_noise_is_forgiven():
    text = invites.sign(invitation(), KEY)
    assert read(" " + text.lower() + "\r\n").ok
    assert invites.is_invite("\t" + text.lower() + "\n")
    assert not invites.is_invite(tokens.PREFIX + text[len(invites.PREFIX):])
    assert not invites.is_invite("")


def test_keys():
    text = invites.sign(invitation(), KEY)
    assert read(text, ring((OTHER, "hq", False))).reason == invites.UNKNOWN_KEY
    assert read(text, ring((KEY, "hq", True))).reason == invites.REVOKED_KEY
    # another key's signature over the very same bytes
    payload = signed_payload(text)
    forged = invites.PREFIX + tokens.b32(payload + OTHER.sign(invites.PREFIX.encode() + payload))
    assert read(forged).reason == invites.BAD_SIGNATURE
    assert read(forged).invitation is None  # nothing forged is ever shown


def test_a_badge_signature_does_not_make_an_invitation():
    """The prefix is signed: the same key's signature over the payload alone is refused."""
    payload = signed_payload(invites.sign(invitation(), KEY))
    assert read(invites.PREFIX + tokens.b32(payload + KEY.sign(payload))).reason == invites.BAD_SIGNATURE


def test_other_site():
    assert read(invites.sign(invitation(), KEY), site="branch").reason == invites.OTHER_SITE
    # a key registered for another site cannot invite visitors to this one
    branch_key = ring((KEY, "branch", False))
    verdict = read(invites.sign(invitation(), KEY), branch_key)
    assert verdict.reason == invites.OTHER_SITE and verdict.invitation.site == "hq"


def test_validity_window_with_skew_only_before_it():
    text = invites.sign(invitation(valid_from=NOW, expires=NOW + DAY), KEY)
    skew = invites.CLOCK_SKEW
    assert read(text, now=NOW - skew - 1).reason == invites.NOT_YET_VALID
    assert read(text, now=NOW - skew).ok
    assert read(text, now=NOW + DAY - 1).ok
    assert read(text, now=NOW + DAY).reason == invites.EXPIRED
    assert read(text, now=NOW + DAY).invitation.name == "张三"  # reception can see whose it was


def test_worst_case_is_the_computed_maximum_and_scans_back_from_qr_version_25():
    text = invites.sign(worst_case(), KEY)
    assert len(text) == invites.MAX_TEXT_LEN == 1400
    assert qrcode.util.optimal_mode(text.encode()) == qrcode.util.MODE_ALPHA_NUM
    assert qr_version(text) == 25
    assert read(text, ring((KEY, "s" * 20, False)), site="s" * 20).ok


def test_a_long_chinese_invitation_and_a_typical_one_make_smaller_codes():
    longest_bmp = invitation(name="张" * 30, company="张" * 60, host="张" * 30, purpose="张" * 60)
    assert qr_version(invites.sign(longest_bmp, KEY)) <= 22
    assert qr_version(invites.sign(invitation(), KEY)) <= 10
