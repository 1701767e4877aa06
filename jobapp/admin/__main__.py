"""`python -m jobapp.admin`: print an argon2 hash of a password, for JOBAPP_ADMIN_PASSWORD_HASH."""

from __future__ import annotations

import getpass
import sys

from jobapp.admin.auth import hash_password


def main() -> int:
    password = getpass.getpass("Admin password: ")
    if not password or password != getpass.getpass("Again: "):
        print("The passwords are empty or differ; nothing was printed.", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
