"""The cards' management keys: per card, derived by HKDF (RFC 5869) over its serial.

The blank key comes from a supplier secret (itself derived one way from the master
secret), so the card supplier can set blank cards' keys and open blank cards only; the
personalised key comes from the master secret, which never leaves us. The composition
root, the CLI's supplier export and the reader's sealing step all derive them here."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KDF_SALT = b"zorgid-piv-management-key/v2"  # fixed; what differs goes in `info`
MANAGEMENT_KEY_LENGTH = 16  # AES-128, the PIV management key algorithm our cards use


def supplier_secret(master_secret: bytes) -> bytes:
    """What the card supplier gets to set the blank cards' management keys."""
    return HKDF(hashes.SHA256(), 32, salt=KDF_SALT,
                info=b"blank-card supplier secret").derive(master_secret)


def blank_management_key(supplier: bytes, serial: str,
                         length: int = MANAGEMENT_KEY_LENGTH) -> bytes:
    """A blank card's management key, as the supplier sets it: `length` bytes for the
    card's algorithm (24 for 3DES and AES-192, 16 and 32 for AES-128 and AES-256; a
    shorter key is the start of a longer one)."""
    return HKDF(hashes.SHA256(), length, salt=KDF_SALT,
                info=b"blank\0" + serial.encode()).derive(supplier)


def management_key(master_secret: bytes, serial: str, personalised: bool,
                   length: int = MANAGEMENT_KEY_LENGTH) -> bytes:
    """The card's management key: the blank card's before personalisation, another
    after, so the blank key no longer opens a personalised card and the supplier cannot
    open it either."""
    if not personalised:
        return blank_management_key(supplier_secret(master_secret), serial, length)
    return HKDF(hashes.SHA256(), length, salt=KDF_SALT,
                info=b"personalised\0" + serial.encode()).derive(master_secret)
