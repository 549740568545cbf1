"""Secrets the application must read back (webhook signing secrets) kept sealed in the database.

Sealed with Fernet (AES-128-CBC and HMAC-SHA256, from the maintained `cryptography` package)
under a key derived from SECRET_KEY with HKDF, so a copy of the database alone does not give
them away. SECRET_KEY_FALLBACKS (Flask's list of earlier keys) still open what they sealed, so
the key can be rotated; a secret sealed under a key no longer listed cannot be read and must be
made again (the admin page's "Make a new secret").
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

PREFIX = "sealed:"
_KEYS: tuple[str, ...] = ()


class Unreadable(RuntimeError):
    """A sealed value whose key is no longer SECRET_KEY nor one of its fallbacks."""


def configure(secret_key: str, fallbacks: Sequence[str] = ()) -> None:
    """The key to seal with and the earlier ones still accepted to open (the app factory)."""
    global _KEYS
    _KEYS = tuple(str(key) for key in (secret_key, *fallbacks) if key)


def seal(text: str) -> str:
    """The text encrypted under the current key, marked as sealed."""
    return PREFIX + _fernet(_KEYS).encrypt(text.encode()).decode()


def unseal(stored: str) -> str:
    """The text `seal` sealed; a value stored before sealing is returned as it is."""
    if not stored.startswith(PREFIX):
        return stored
    return _open(stored[len(PREFIX) :].encode()).decode()


def seal_bytes(data: bytes) -> bytes:
    """`data` encrypted under the current key, marked as sealed (seal, for bytes)."""
    return PREFIX.encode() + _fernet(_KEYS).encrypt(data)


def unseal_bytes(stored: bytes) -> bytes:
    """The bytes `seal_bytes` sealed; bytes stored before sealing are returned as they are."""
    if not stored.startswith(PREFIX.encode()):
        return stored
    return _open(stored[len(PREFIX) :])


def _open(token: bytes) -> bytes:
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(_KEYS).decrypt(token)
    except InvalidToken as exc:
        raise Unreadable("sealed under a SECRET_KEY that is no longer configured") from exc


def derive(secret_key: str, info: bytes = b"complaintflow stored secrets") -> bytes:
    """The Fernet key HKDF derives from a SECRET_KEY for one purpose, named by `info` (stored
    secrets here, the session's sealed values in app/security.py): no key serves two."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(key)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> Any:
    # cryptography (about 8 MiB) is loaded by the first seal, not by every worker at start.
    from cryptography.fernet import Fernet, MultiFernet

    if not keys:
        raise RuntimeError("sealing.configure() was not called (SECRET_KEY)")
    return MultiFernet([Fernet(derive(key)) for key in keys])
