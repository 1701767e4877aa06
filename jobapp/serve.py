"""`python -m jobapp.serve run …`: Reflex's own `reflex` command, with Granian told to respawn a dead worker.

Reflex 0.10.1 builds Granian's server itself in prod mode and passes no option for it. By default Granian
stops every worker as soon as one dies unexpectedly (killed, out of memory): with several workers, one
crash would take the whole deployment down, and the tasks the survivors were running with it. Respawning
keeps the survivors serving their tabs and running their tasks; the dead worker's tasks are rescued by
the others once their lease expires, and a new worker takes its place. (Granian still gives up on a
worker that keeps dying, as it should.)

`scripts/start` and the tests run the app through this module; everything else is `reflex run`'s.
"""

from __future__ import annotations

import sys
from typing import Any


def respawn_failed_workers() -> None:
    import granian.server

    class RespawningServer(granian.server.Server):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("respawn_failed_workers", True)
            super().__init__(*args, **kwargs)

    # Reflex imports the class from this module when it starts the server, so the subclass is what it builds.
    granian.server.Server = RespawningServer  # type: ignore[misc]


def main() -> None:
    respawn_failed_workers()
    from reflex.reflex import cli

    sys.argv[0] = "reflex"
    cli()


if __name__ == "__main__":
    main()
