"""Invitations: a visitor registered ahead, carried as signed text in a QR code sent by email.

A host or reception fills in the visit before the visitor comes; at the kiosk one scan fills in
the form and goes straight to the agreement and the badge. The text is ``VI1`` followed by the
Base32 (RFC 4648, no padding) of a packed payload and its Ed25519 signature, like a badge token
(:mod:`kiosk.core.tokens`), so the same keys, key ring and scanners serve both. The signed bytes
start with the prefix, so a badge's signature can never pass for an invitation's. The payload:

    version u8 | key id 4 bytes | invite id 10 bytes | valid from u32 (s) | expires u32 (s) |
    then, each as a u8 byte length and its bytes: site | visitor type | name | company |
    phone | host | purpose (UTF-8; site, type and phone are ASCII) | host id (6 bytes or none)

Limits, in characters: site 20 (as for badges), visitor type 16, name 30, company 60, phone 16
(what ``clean_phone`` keeps: "+" and 15 digits), host 30, purpose 60. An invitation is read
off a phone screen, so these are tighter than the form's: the worst case (every text field full
of four-byte characters, CJK extension B) is 873 bytes, 1,400 characters of text, QR version 25
at level M; every field full of common Chinese characters, version 22. A typical one (张三 of
华为技术有限公司 to see 李四 for 商务洽谈, with a phone) is 271 characters, version 10.

Reading checks what can be checked offline: signature, key, site and the validity window.
Whether an invitation was already used lives in the log; the store answers :data:`USED`.
"""

from __future__ import annotations

import binascii
import re
import secrets
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core import trust
from kiosk.core.tokens import (BAD_SIGNATURE, EXPIRED, MALFORMED, MAX_SITE_LEN, OK, OTHER_SITE,
                               UNKNOWN_KEY, WRONG_SIGNER, KeyRing, b32, key_id_of, normalise_scan, unb32)
from kiosk.core.validation import clean_name, clean_phone, clean_text
from kiosk.errors import ValidationError

PREFIX = "VI1"
VERSION = 1
_HEAD = struct.Struct(">B4s10sII")
_SIG_LEN = 64

MAX_TYPE = 16
MAX_NAME = 30
MAX_COMPANY = 60
MAX_PHONE = 16
MAX_HOST = 30
MAX_PURPOSE = 60
# The text fields in packing order, with their bytes at most: UTF-8 takes up to 4 bytes a
# character (rare characters of names are in CJK extension B); site, type and phone are ASCII. The host id follows
# them as 6 bytes or none. Every bound is below 256, so one length byte each is enough.
_TEXT_BYTES = {"site": MAX_SITE_LEN, "visitor_type": MAX_TYPE, "name": 4 * MAX_NAME,
               "company": 4 * MAX_COMPANY, "phone": MAX_PHONE, "host": 4 * MAX_HOST,
               "purpose": 4 * MAX_PURPOSE}
_MAX_PAYLOAD = _HEAD.size + sum(1 + n for n in _TEXT_BYTES.values()) + 1 + 6
MAX_TEXT_LEN = len(PREFIX) + -(-(_MAX_PAYLOAD + _SIG_LEN) * 8 // 5)

# A visitor may arrive a little before the hour the host chose, at a kiosk whose clock is a few
# minutes behind the server that signed; turning them away for that helps nobody. The skew only
# ever lets a visitor in early: expiry is strict, as for badges.
CLOCK_SKEW = 600

NOT_YET_VALID = "not_yet_valid"
REVOKED_KEY = "revoked_key"
USED = "used"  # answered by the store, which knows the log; never by read()

_SITE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # as the site setting accepts
_TYPE_RE = re.compile(r"[a-z][a-z0-9_-]*")
_KEY_ID_RE = re.compile(r"[0-9a-f]{8}")
_HOST_ID_RE = re.compile(r"(?:[0-9a-f]{12})?")  # empty: a host not (yet) in the directory


def new_invite_id() -> str:
    return b32(secrets.token_bytes(10))  # 16 characters


@dataclass(frozen=True)
class Invitation:
    """One expected visit. Creating one cleans and checks every field (ValidationError)."""

    invite_id: str
    site: str
    key_id: str  # of the key that signs it
    valid_from: int  # seconds since the epoch, UTC
    expires: int
    visitor_type: str  # guest, contractor, interview, delivery, ...
    name: str
    company: str = ""
    phone: str = ""
    host_id: str = ""
    host: str = ""
    purpose: str = ""

    def __post_init__(self) -> None:
        _check(_is_b32_id(self.invite_id), "invite_id", "16 Base32 characters")
        _check(_fits(_SITE_RE, self.site, MAX_SITE_LEN), "site", f"1-{MAX_SITE_LEN} letters, digits, '-', '_' or '.'")
        _check(_fits(_KEY_ID_RE, self.key_id, 8), "key_id", "8 hex digits")
        _check(_fits(_HOST_ID_RE, self.host_id, 12), "host_id", "empty or 12 hex digits")
        _check(_fits(_TYPE_RE, self.visitor_type, MAX_TYPE), "visitor_type",
               f"1-{MAX_TYPE} lower-case letters, digits, '-' or '_'")
        _check(_is_u32(self.valid_from) and _is_u32(self.expires) and self.valid_from < self.expires,
               "expires", "valid_from before expires, both whole seconds since 1970 before 2106")
        cleaned = {
            "name": _at_most(clean_name(self.name), "name", MAX_NAME),
            "company": clean_text(self.company, "company", MAX_COMPANY),
            "phone": clean_phone(self.phone),  # at most MAX_PHONE by its own rule
            "host": _at_most(clean_name(self.host, "host"), "host", MAX_HOST),
            "purpose": clean_text(self.purpose, "purpose", MAX_PURPOSE),
        }
        for name, value in cleaned.items():
            object.__setattr__(self, name, value)


def _check(ok: bool, field: str, wanted: str) -> None:
    if not ok:
        raise ValidationError(field, "invalid", f"{field} must be {wanted}")


def _fits(pattern: re.Pattern, value: str, max_len: int) -> bool:
    return isinstance(value, str) and len(value) <= max_len and pattern.fullmatch(value) is not None


def _is_u32(value: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32


def _is_b32_id(value: str) -> bool:
    try:
        return len(value) == 16 and b32(unb32(value)) == value
    except (binascii.Error, ValueError, TypeError):
        return False


def _at_most(text: str, field: str, max_len: int) -> str:
    # validation's cleaners allow what the kiosk form allows; an invitation must fit a QR code.
    if len(text) > max_len:
        raise ValidationError(field, "too_long", f"{field} is too long ({len(text)} characters, at most {max_len})")
    return text


# -- the text --------------------------------------------------------------------------------

def _pack(invitation: Invitation) -> bytes:
    i = invitation
    head = _HEAD.pack(VERSION, bytes.fromhex(i.key_id), unb32(i.invite_id), i.valid_from, i.expires)
    parts = [getattr(i, name).encode() for name in _TEXT_BYTES] + [bytes.fromhex(i.host_id)]
    return head + b"".join(bytes([len(part)]) + part for part in parts)


def _unpack(payload: bytes) -> Invitation | None:
    """The invitation packed in ``payload``, or None unless it is exactly what _pack makes."""
    version, key_id, invite_id, valid_from, expires = _HEAD.unpack_from(payload)
    parts, at = [], _HEAD.size
    while at < len(payload):
        parts.append(payload[at + 1:at + 1 + payload[at]])
        at += 1 + payload[at]
    if version != VERSION or at != len(payload) or len(parts) != len(_TEXT_BYTES) + 1:
        return None
    *texts, host_id = parts
    try:
        invitation = Invitation(invite_id=b32(invite_id), key_id=key_id.hex(), valid_from=valid_from,
                                expires=expires, host_id=host_id.hex(),
                                **{name: text.decode() for name, text in zip(_TEXT_BYTES, texts)})
    except (UnicodeDecodeError, ValidationError):
        return None
    # Cleaning would quietly accept text the signer never cleaned (a control character, an
    # untidy space); refuse it, so that one invitation has exactly one text.
    return invitation if _pack(invitation) == payload else None


def sign(invitation: Invitation, private_key: Ed25519PrivateKey) -> str:
    if key_id_of(private_key.public_key()) != invitation.key_id:
        raise ValueError("the invitation names another key than the one signing it")
    payload = _pack(invitation)
    return PREFIX + b32(payload + private_key.sign(PREFIX.encode() + payload))


def is_invite(text: str) -> bool:
    """Whether a scan is meant as an invitation (it may still be refused): scanners add
    whitespace and may change case, as for badges."""
    return normalise_scan(text).startswith(PREFIX)


@dataclass(frozen=True)
class InviteVerdict:
    reason: str
    # Only once the signature checked out: nothing forged is ever shown or filled in.
    invitation: Invitation | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason == OK


def _split(text: str) -> tuple[bytes, bytes] | None:
    """Payload and signature of an invitation's text, or None if it is not one."""
    text = normalise_scan(text)
    body = text[len(PREFIX):]
    if not text.startswith(PREFIX) or len(text) > MAX_TEXT_LEN:
        return None
    try:
        raw = unb32(body)
    except (binascii.Error, ValueError):
        return None
    # Base32 ignores the unused low bits of the last character: accept only the spelling we make.
    if b32(raw) != body or len(raw) < _HEAD.size + _SIG_LEN:
        return None
    return raw[:-_SIG_LEN], raw[-_SIG_LEN:]


def read(text: str, keyring: KeyRing, *, now: int, site: str) -> InviteVerdict:
    """Check a scanned invitation offline, under the server's key alone (kiosk.core.trust).
    Whether it was used already is the store's to say."""
    split = _split(text)
    invitation = None if split is None else _unpack(split[0])
    if invitation is None:
        return InviteVerdict(MALFORMED)
    key = keyring.get(invitation.key_id)
    if key is None:
        return InviteVerdict(UNKNOWN_KEY)
    try:
        keyring.verifier(key.key_id).verify(split[1], PREFIX.encode() + split[0])
    except (InvalidSignature, ValueError):
        return InviteVerdict(BAD_SIGNATURE)
    # Only the server's own key invites: a device's signature, however good, fills in nothing.
    if not trust.signs_invitations(key.role):
        return InviteVerdict(WRONG_SIGNER, detail=trust.wrong_signer_detail(key.role, "invitations",
                                                                           trust.INVITATION_SIGNERS))
    if key.revoked:
        return InviteVerdict(REVOKED_KEY, invitation)
    # A key registered for another site cannot invite visitors to this one.
    if invitation.site != site or key.site != site:
        return InviteVerdict(OTHER_SITE, invitation)
    if now >= invitation.expires:
        return InviteVerdict(EXPIRED, invitation)
    if now + CLOCK_SKEW < invitation.valid_from:
        return InviteVerdict(NOT_YET_VALID, invitation)
    return InviteVerdict(OK, invitation)
