"""A stand-in Nominatim, and a closed port for an unreachable geocoder.

The stand-in is a real HTTP server on 127.0.0.1 in a daemon thread; geopy
talks to it over the network exactly as it would to nominatim.openstreetmap.org.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FOUND = [
    {
        "lat": "28.2282",
        "lon": "112.9388",
        "display_name": "长沙市岳麓区",
        "place_id": 1,
        "boundingbox": ["28.2", "28.3", "112.9", "113.0"],
    }
]


FOUND_LAT, FOUND_LON = 28.2282, 112.9388


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class StandIn:
    port: int
    queries: list[str] = field(default_factory=list)

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "geocoder": "nominatim",
            "geocoder_domain": f"127.0.0.1:{self.port}",
            "geocoder_scheme": "http",
        }


@contextmanager
def nominatim_stand_in() -> Iterator[StandIn]:
    """A Nominatim answering /search: one place in Changsha, nothing for
    queries containing "nowhere"."""
    queries: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/search":
                self.send_error(404)
                return
            query = parse_qs(parts.query).get("q", [""])[0]
            queries.append(query)
            body = json.dumps([] if "nowhere" in query else FOUND).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StandIn(server.server_address[1], queries)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
