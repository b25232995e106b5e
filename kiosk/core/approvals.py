"""Approval links: what lets a host approve or deny a visit from the notice on their phone.

The kiosk that asks signs ``VA1`` + Base32 of (version, its key id, the visit id, an expiry, the
site) with its badge key, and the notice links to the server's page for that text. The server
checks it against the keys the site's devices registered, so a link can neither be forged nor
turned to another visit or site, and it stops working when it expires or its device is revoked.
Only a key of a device that signs visitors in (visitor, reception) counts (kiosk.core.trust).
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from kiosk.core import trust
from kiosk.core.tokens import (BAD_SIGNATURE, EXPIRED, MALFORMED, MAX_SITE_LEN, OK, OTHER_SITE, REVOKED, UNKNOWN_KEY,
                               WRONG_SIGNER, KeyRing, Signer, b32, unb32)

PREFIX = "VA1"
VERSION = 1
VALID_S = 24 * 3600  # a host may answer the next morning; reception usually answers sooner
_HEAD = struct.Struct(">B4s10sI")
_SIG_LEN = 64


@dataclass(frozen=True)
class ApprovalVerdict:
    reason: str
    visit_id: str = ""
    site: str = ""

    @property
    def ok(self) -> bool:
        return self.reason == OK


def approval_token(signer: Signer, *, visit_id: str, site: str, now: int) -> str:
    payload = _HEAD.pack(VERSION, bytes.fromhex(signer.key_id), unb32(visit_id), now + VALID_S) + site.encode("ascii")
    return PREFIX + b32(payload + signer.signature(PREFIX.encode() + payload))


def read_approval(text: str, keyring: KeyRing, *, now: int, site: str) -> ApprovalVerdict:
    """Whether ``text`` is a live approval link of a key of ``site`` held by a visitor or
    reception device (kiosk.core.trust), and for which visit."""
    raw = _raw(text)
    if raw is None:
        return ApprovalVerdict(MALFORMED)
    payload, signature = raw[:-_SIG_LEN], raw[-_SIG_LEN:]
    version, key_id, visit, expires = _HEAD.unpack_from(payload)
    claimed_site = payload[_HEAD.size:].decode("ascii", "replace")
    key = keyring.get(key_id.hex())
    if version != VERSION or not 0 < len(claimed_site) <= MAX_SITE_LEN:
        return ApprovalVerdict(MALFORMED)
    if key is None:
        return ApprovalVerdict(UNKNOWN_KEY)
    try:
        keyring.verifier(key.key_id).verify(signature, PREFIX.encode() + payload)
    except InvalidSignature:
        return ApprovalVerdict(BAD_SIGNATURE)
    if not trust.signs_approval_links(key.role):  # an exit post's key, the server's, or one of unknown role
        return ApprovalVerdict(WRONG_SIGNER)
    if key.revoked:
        return ApprovalVerdict(REVOKED)
    if claimed_site != site or key.site != site:
        return ApprovalVerdict(OTHER_SITE)
    if now >= expires:
        return ApprovalVerdict(EXPIRED)
    return ApprovalVerdict(OK, b32(visit), claimed_site)


def claimed_site(text: str) -> str:
    """The site a link names, unchecked ("" if it is no link): the server needs it to choose
    the key ring that read_approval then checks the link with."""
    raw = _raw(text)
    return "" if raw is None else raw[_HEAD.size:-_SIG_LEN].decode("ascii", "replace")


def _raw(text: str) -> bytes | None:
    if not text.startswith(PREFIX) or len(text) > 200:
        return None
    try:
        raw = unb32(text[len(PREFIX):])
    except (binascii.Error, ValueError):
        return None
    if b32(raw) != text[len(PREFIX):] or len(raw) <= _HEAD.size + _SIG_LEN:
        return None
    return raw
