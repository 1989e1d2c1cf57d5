"""A fake EC2 instance metadata service for the node scripts: IMDSv2 only, as the launch templates require."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


class FakeImdsV2(BaseHTTPRequestHandler):
    """GETs without the session token get 401 (HttpTokens=required); the values are class state, set per test."""

    token = "test-session-token"
    values: dict[str, str] = {}
    failures = 0  # the next this many token requests answer 503 (IMDS throttles and has outages too)

    def do_PUT(self):  # noqa: N802 (http.server naming)
        if FakeImdsV2.failures > 0:
            FakeImdsV2.failures -= 1
            return self._reply(503, "")
        ok = self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self._reply(200 if ok else 400, self.token if ok else "")

    def do_GET(self):  # noqa: N802
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            return self._reply(401, "")
        value = self.values.get(self.path.removeprefix("/latest/meta-data/"))
        self._reply(200 if value else 404, value or "")

    def _reply(self, status: int, body: str) -> None:
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@contextmanager
def serving() -> Iterator[str]:
    """The fake IMDS on a free loopback port, no failures pending; yields its base URL."""
    FakeImdsV2.failures = 0
    server = HTTPServer(("127.0.0.1", 0), FakeImdsV2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
