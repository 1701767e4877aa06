"""`GET /api/health` on a running backend whose database goes away and comes back.

The backend reaches PostgreSQL through a TCP forwarder on loopback; closing the forwarder closes the
port the backend was given (and every connection through it), as when a database server stops.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from harness import Backend, free_port

from jobapp.db import migrate

pytestmark = pytest.mark.e2e

PG_PORT = 5432


class Forwarder:
    """Forwards 127.0.0.1:`port` to PostgreSQL until `close()`; `open()` listens on the same port again."""

    def __init__(self) -> None:
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def open(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        if self._listener is not None:
            sockets.add(self._listener)  # shut down first: closing alone does not end a blocked accept()
            self._listener = None
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", PG_PORT))
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def forwarder() -> Iterator[Forwarder]:
    forward = Forwarder()
    forward.open()
    yield forward
    forward.close()


def test_health_is_503_while_the_database_is_unreachable_and_200_again_after(tmp_path, pg_url, forwarder):
    db_url = pg_url.replace(f"127.0.0.1:{PG_PORT}", f"127.0.0.1:{forwarder.port}")
    migrate(db_url)
    backend = Backend(free_port(), tmp_path / "data", tmp_path, {"JOBAPP_POLL_SECONDS": "0.5"}, db_url=db_url)
    backend.start()
    url = f"http://127.0.0.1:{backend.port}/api/health"
    try:
        healthy = httpx.get(url, timeout=10)
        assert healthy.status_code == 200, healthy.text
        assert healthy.json()["database"] == "ok"
        assert healthy.json()["queue"] == {"queued": 0, "running": 0}

        forwarder.close()
        down = httpx.get(url, timeout=10)
        assert down.status_code == 503, down.text
        report = down.json()
        assert (report["status"], report["queue"]) == ("unhealthy", None)
        assert report["database"].startswith("unreachable (")
        # This worker's own state is still reported, and nothing about where the database is.
        assert report["runner"] == "fetching"
        assert report["worker"]["id"]
        assert str(forwarder.port) not in down.text and "postgres" not in down.text.lower()

        forwarder.open()
        assert httpx.get(url, timeout=10).status_code == 200
    finally:
        backend.stop()
