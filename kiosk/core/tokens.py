"""Badge tokens: the signed text inside a badge's QR code, and its offline verification.

A token is ``VB1`` followed by the Base32 (RFC 4648, no padding) of a packed payload and its
Ed25519 signature. Base32's alphabet is a subset of QR's alphanumeric mode, so the QR stays
small, and keyboard-wedge scanners type it reliably. The payload:

    version u8 | key id 4 bytes | badge id 5 bytes | visit id 10 bytes |
    issued at u32 (s) | expires at u32 (s) | site length u8 | site (ASCII, at most 20)

at most 49 bytes plus 64 of signature: 181 characters of text, which fits QR version 8 at
error-correction level M. An exit post needs only public keys (a :class:`KeyRing`) to check a
badge: it can verify but never mint one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import struct
from dataclasses import dataclass
from typing import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.core import trust

PREFIX = "VB1"
VERSION = 1
_HEAD = struct.Struct(">B4s5s10sIIB")
_SIG_LEN = 64
MAX_SITE_LEN = 20
MAX_TEXT_LEN = len(PREFIX) + -(-(_HEAD.size + MAX_SITE_LEN + _SIG_LEN) * 8 // 5)

OK = "ok"
MALFORMED = "malformed"
UNKNOWN_KEY = "unknown_key"
BAD_SIGNATURE = "bad_signature"
EXPIRED = "expired"
REVOKED = "revoked"
OTHER_SITE = "other_site"
ALREADY_SIGNED_OUT = "already_signed_out"
WRONG_SIGNER = trust.WRONG_SIGNER  # signed by a key whose role issues no badges (an exit post's, the server's)


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def new_badge_id() -> str:
    return b32(secrets.token_bytes(5))  # 8 characters


def new_visit_id() -> str:
    return b32(secrets.token_bytes(10))  # 16 characters


def badge_number(badge_id: str) -> str:
    """The badge id as printed and typed by people: K7QF-2M9X."""
    return f"{badge_id[:4]}-{badge_id[4:]}"


def parse_badge_number(text: str) -> str | None:
    """A badge id from what a person typed (case, spaces and dashes forgiven), else None."""
    compact = "".join(text.split()).replace("-", "").upper()
    if len(compact) != 8:
        return None
    try:
        raw = unb32(compact)
    except binascii.Error:
        return None
    return compact if len(raw) == 5 and b32(raw) == compact else None


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes_raw()
    return hashlib.sha256(raw).hexdigest()[:8]


@dataclass(frozen=True)
class Claims:
    key_id: str
    badge_id: str
    visit_id: str
    issued_at: int  # seconds since the epoch
    expires_at: int
    site: str


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: bytes  # raw 32 bytes
    site: str
    device: str
    revoked: bool = False
    role: str = trust.UNKNOWN  # of the device holding the key (kiosk.core.trust): what it may sign


class KeyRing:
    """Public keys an exit post trusts, by key id."""

    def __init__(self, keys: Iterable[PublicKey] = ()):
        self._keys = {k.key_id: k for k in keys}
        self._loaded: dict[str, Ed25519PublicKey] = {}

    def get(self, key_id: str) -> PublicKey | None:
        return self._keys.get(key_id)

    def verifier(self, key_id: str) -> Ed25519PublicKey:
        if key_id not in self._loaded:
            self._loaded[key_id] = Ed25519PublicKey.from_public_bytes(self._keys[key_id].public_key)
        return self._loaded[key_id]

    def __len__(self) -> int:
        return len(self._keys)


class Signer:
    """Mints tokens with this device's private key."""

    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    def signature(self, message: bytes) -> bytes:
        """This device's signature of other signed texts (approval links): the key stays here."""
        return self._key.sign(message)

    def sign(self, *, badge_id: str, visit_id: str, site: str, issued_at: int, expires_at: int) -> str:
        site_raw = site.encode("ascii")
        if not 0 < len(site_raw) <= MAX_SITE_LEN:
            raise ValueError(f"site must be 1-{MAX_SITE_LEN} ASCII characters")
        payload = _HEAD.pack(VERSION, bytes.fromhex(self.key_id), unb32(badge_id), unb32(visit_id),
                             issued_at, expires_at, len(site_raw)) + site_raw
        return PREFIX + b32(payload + self._key.sign(PREFIX.encode() + payload))


@dataclass(frozen=True)
class Verdict:
    reason: str
    claims: Claims | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason == OK


def normalise_scan(text: str) -> str:
    """What a scanner or a person typed, with the noise they add removed (case, whitespace)."""
    return "".join(text.split()).upper()


def parse(text: str) -> tuple[Claims, bytes, bytes] | None:
    """Claims, signed bytes and signature of a token, or None if it is not one."""
    text = normalise_scan(text)
    if not text.startswith(PREFIX) or len(text) > MAX_TEXT_LEN:
        return None
    try:
        raw = unb32(text[len(PREFIX):])
    except (binascii.Error, ValueError):
        return None
    # Base32 decoding ignores the unused low bits of the last character, so several texts
    # decode to the same bytes; only the one spelling we mint is a badge.
    if b32(raw) != text[len(PREFIX):] or len(raw) < _HEAD.size + _SIG_LEN:
        return None
    payload, signature = raw[:-_SIG_LEN], raw[-_SIG_LEN:]
    version, key_id, badge, visit, issued, expires, site_len = _HEAD.unpack_from(payload)
    site_raw = payload[_HEAD.size:]
    if version != VERSION or len(site_raw) != site_len:
        return None
    try:
        site = site_raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    claims = Claims(key_id.hex(), b32(badge), b32(visit), issued, expires, site)
    return claims, PREFIX.encode() + payload, signature


def verify(text: str, keyring: KeyRing, site: str, now: float) -> Verdict:
    """Check a scanned token offline. Only a key of a device that issues badges counts
    (kiosk.core.trust). Revocation and sign-out live in the log; the caller checks those after
    this says OK."""
    parsed = parse(text)
    if parsed is None:
        return Verdict(MALFORMED)
    claims, signed, signature = parsed
    key = keyring.get(claims.key_id)
    if key is None:
        return Verdict(UNKNOWN_KEY, claims)
    try:
        keyring.verifier(claims.key_id).verify(signature, signed)
    except (InvalidSignature, ValueError):
        return Verdict(BAD_SIGNATURE, claims)
    if not trust.signs_badges(key.role):
        return Verdict(WRONG_SIGNER, claims, trust.wrong_signer_detail(key.role, "badges", trust.BADGE_SIGNERS))
    if key.revoked:
        return Verdict(REVOKED, claims, "key revoked")
    if claims.site != site or key.site != site:
        return Verdict(OTHER_SITE, claims, claims.site)
    if now >= claims.expires_at:
        return Verdict(EXPIRED, claims)
    return Verdict(OK, claims)
