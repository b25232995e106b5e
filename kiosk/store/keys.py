"""This device's signing key (a file) and the key ring of public keys it trusts (a table).

The private key is created on first start, written with mode 0600 before any byte of it
exists on disk, and never leaves the device. Public keys of other devices arrive by sync.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.tokens import KeyRing, PublicKey, Signer
from kiosk.errors import StoreError
from kiosk.store.db import Database
from kiosk.privatefiles import replace_private

KEY_FILE = "device-ed25519.pem"


def load_or_create_signer(data_dir: Path) -> Signer:
    path = Path(data_dir) / "keys" / KEY_FILE
    try:
        if not path.exists():
            _create_key(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise StoreError(f"device key {path} cannot be read or created: {exc.strerror}") from None
    except ValueError:
        raise StoreError(f"device key {path} is damaged; move it away to create a new one "
                         "(badges it signed will then need the old public key to verify)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise StoreError(f"device key {path} is not an Ed25519 key")
    return Signer(key)


def _create_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    replace_private(path, pem)  # atomic: a crash leaves either no key or a whole one


class KeyTable:
    def __init__(self, db: Database):
        self.db = db

    def add(self, key: PublicKey) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT INTO keys (key_id, public_key, site, device, revoked, role)"
                         " VALUES (?, ?, ?, ?, ?, ?)"
                         # The site and name follow the device's settings (a site renamed after the
                         # first start); a revocation is never undone; a role, once known, is
                         # forgotten only for another one (an older server names none).
                         " ON CONFLICT (key_id) DO UPDATE SET site = excluded.site, device = excluded.device,"
                         " revoked = MAX(revoked, excluded.revoked),"
                         " role = CASE WHEN excluded.role = '' THEN role ELSE excluded.role END",
                         (key.key_id, key.public_key, key.site, key.device, int(key.revoked), key.role))

    def keyring(self) -> KeyRing:
        rows = self.db.read("SELECT key_id, public_key, site, device, revoked, role FROM keys")
        return KeyRing(PublicKey(k, bytes(pk), s, d, bool(r), role) for k, pk, s, d, r, role in rows)
