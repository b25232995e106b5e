"""Whose signature a site trusts for what: the role of the key behind each signed text.

Every signed text a kiosk or the server checks (badge ``VB1``, invitation ``VI1``, approval
link ``VA1``) names a key of the site's key ring, and the key ring says which role holds each
key (the server knows every device's role and serves it with the key). A valid signature is not
enough: the key must belong to a role that makes that kind of text.

- badges are issued by the devices that sign visitors in: visitor kiosks and reception;
- approval links are asked for by the same devices (the kiosk where the visitor waits,
  reception when it signs someone in);
- invitations are made by the server alone (its own key per site, device "server"), whoever
  asked for them (an admin, a reception device);
- an exit post holds no key at all: it verifies and never signs, so no key of an exit post is
  trusted for anything (the server refuses to register one and reports any it registered
  before as revoked).

``UNKNOWN`` is the role of a key a device learnt before key rings named roles: such a key is
trusted for badges as it was, so that an exit post upgraded while offline still lets visitors
out, until its next sync names the key's role (and marks an exit post's key revoked).
Invitations and approval links are never checked under a key of unknown role.
"""

from __future__ import annotations

VISITOR = "visitor"
RECEPTION = "reception"
EXIT = "exit"
SERVER = "server"  # the role (and device name) of the server's own key in a site's key ring
UNKNOWN = ""

KEY_HOLDERS = frozenset({VISITOR, RECEPTION})  # device roles that may register a signing key
BADGE_SIGNERS = KEY_HOLDERS
APPROVAL_SIGNERS = KEY_HOLDERS
INVITATION_SIGNERS = frozenset({SERVER})
ROLES = frozenset({VISITOR, RECEPTION, EXIT, SERVER})

WRONG_SIGNER = "wrong_signer"  # a verdict: a good signature by a key whose role may not sign this


def signs_badges(role: str) -> bool:
    return role in BADGE_SIGNERS or role == UNKNOWN


def signs_approval_links(role: str) -> bool:
    return role in APPROVAL_SIGNERS


def signs_invitations(role: str) -> bool:
    return role in INVITATION_SIGNERS


def wrong_signer_detail(role: str, what: str, signers: frozenset[str]) -> str:
    """Why a key's signature does not count, for a person reading a refusal."""
    if role == SERVER:
        holder = "the server's own key"
    elif role in (VISITOR, RECEPTION, EXIT):
        holder = f"a key of the {role} device"
    else:
        holder = f"a key of a device of role {role!r}" if role else "a key of unknown role"
    return f"signed by {holder}; {what} are signed only by {' or '.join(sorted(signers))} keys"
