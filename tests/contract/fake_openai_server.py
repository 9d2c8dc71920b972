"""A local server speaking an OpenAI-compatible endpoint, with scripted failures, for contract tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A scripted step: an HTTP status to answer with, "stall" (sleep {"seconds": s}, answer nothing)
# or "drop" (the connection dies mid-request); its dict holds response headers or the stall time.
Step = tuple[int | str, dict[str, str]]


@dataclass
class FakeEndpoint:
    """One route (e.g. /v1/embeddings) behind a bearer key; plays the script, then answers."""

    route: str
    key: str
    answer: Callable[[dict[str, Any]], dict[str, Any]]
    url: str = ""
    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def serving(fake: FakeEndpoint) -> Iterator[FakeEndpoint]:
    """Serve `fake` on a free port for the block; `fake.url` is its base URL (…/v1)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            fake.requests.append({"path": self.path, "auth": self.headers["authorization"], **body})
            if self.path != fake.route:
                return self.reply(404, {"error": {"message": "no such route"}})
            if self.headers["authorization"] != f"Bearer {fake.key}":
                return self.reply(401, {"error": {"message": "bad key"}})
            if fake.script:
                status, headers = fake.script.pop(0)
                if status == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if status == "stall":
                    time.sleep(float(headers["seconds"]))
                    return None
                return self.reply(int(status), {"error": {"message": "scripted"}}, headers)
            return self.reply(200, fake.answer(body))

        def reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
