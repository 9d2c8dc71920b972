"""The local embedder (WordLlama) behind an OpenAI-compatible `/v1/embeddings` route, so code that
runs without WordLlama (the Lambda layer) can still embed locally the way production does, through
EMBEDDINGS_URL. Serves on a free loopback port in a background thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder

ROUTE = "/v1/embeddings"


@contextmanager
def serving_embeddings() -> Iterator[str]:
    """An endpoint for the block; yields its base URL (…/v1) for EMBEDDINGS_URL."""
    embedder = WordLlamaEmbedder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != ROUTE:
                return self._reply(404, {"error": {"message": "no such route"}})
            request = json.loads(self.rfile.read(int(self.headers["content-length"])))
            texts = request["input"]
            vectors = embedder.embed([texts] if isinstance(texts, str) else texts)
            data = [
                {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)
            ]
            return self._reply(200, {"object": "list", "data": data, "model": request["model"]})

        def _reply(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the caller's results say what happened

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="embeddings", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
