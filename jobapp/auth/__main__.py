"""`python -m jobapp.auth hash | secret | check`: the login's command-line helpers.

- hash:   asks for a password (or reads one line from standard input) and prints its argon2 hash,
          the value for JOBAPP_PASSWORD_HASH;
- secret: prints a random signing key for JOBAPP_SECRET_KEY;
- check:  validates the login configuration for JOBAPP_HOST and prints the address the app will use;
          exits 2 with the variables to set when it cannot start safely.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from jobapp.auth._config import AuthConfigError, load_auth_config
from jobapp.auth._passwords import hash_password


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("The two passwords differ.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobapp.auth", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("hash", help="print the argon2 hash of a password (for JOBAPP_PASSWORD_HASH)")
    commands.add_parser("secret", help="print a random key (for JOBAPP_SECRET_KEY)")
    check = commands.add_parser("check", help="validate the login settings and print the address")
    check.add_argument("--port", default=os.environ.get("JOBAPP_PORT", "3000"))
    args = parser.parse_args(argv)

    if args.command == "hash":
        password = _read_password()
        if not password:
            raise SystemExit("The password is empty.")
        print(hash_password(password))
    elif args.command == "secret":
        print(secrets.token_urlsafe(48))
    else:
        try:
            config = load_auth_config()
        except AuthConfigError as exc:
            print(f"Refusing to start: {exc}", file=sys.stderr)
            return 2
        print(config.describe(args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
