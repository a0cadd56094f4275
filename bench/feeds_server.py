"""Serve a folder of feeds from many loopback addresses, with a delay per response."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(SimpleHTTPRequestHandler):
    delay = 0.1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.delay)  # as on the internet: every response waits a little
        super().do_GET()


@contextmanager
def serve_many(root: Path, hosts: int, delay: float) -> Iterator[list[str]]:
    """One server per address 127.0.0.2 ... (all of 127.0.0.0/8 is loopback); base URLs."""
    handler = type("Handler", (_Handler,), {"delay": delay})
    servers = []
    for number in range(hosts):
        address = f"127.0.{(number + 2) // 250}.{(number + 2) % 250 or 1}"
        server = ThreadingHTTPServer((address, 0), functools.partial(handler, directory=str(root)))
        server.daemon_threads = True
        server.request_queue_size = 64
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        servers.append(server)
    try:
        yield [f"http://{s.server_address[0]}:{s.server_address[1]}" for s in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def main() -> None:
    """`python -m bench.feeds_server ROOT HOSTS DELAY`: print the base URLs, serve until killed."""
    import json
    import sys

    root, hosts, delay = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    with serve_many(root, hosts, delay) as bases:
        print(json.dumps(bases), flush=True)
        sys.stdin.read()  # until the parent closes our stdin


if __name__ == "__main__":
    main()
