"""Password hashing and checking with argon2 (argon2-cffi's defaults: argon2id, RFC 9106 low-memory)."""

from __future__ import annotations

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("The password is empty.")
    return _hasher.hash(password)


def is_password_hash(value: str) -> bool:
    return value.startswith("$argon2")


def verify_password(password_hash: str, password: str) -> bool:
    """argon2's verify compares in constant time; any mismatch or malformed input is just False."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_credentials(username: str, password_hash: str, given_user: str, given_password: str) -> bool:
    """Both checks always run, so a wrong name takes as long as a wrong password and tells nothing."""
    name_ok = hmac.compare_digest(given_user.encode(), username.encode())
    password_ok = verify_password(password_hash, given_password)
    return name_ok and password_ok
