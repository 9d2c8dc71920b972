"""The local S3: moto's server on a fixed port, quiet, with the media bucket created.

`python -m dotline_local.s3_server --port 54329 --bucket dotline-media-local`. Objects live in
memory: they are gone when it stops (the media rows in Postgres stay, pointing at nothing).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence

from moto.server import ThreadedMotoServer

from dotline.settings import get_settings
from dotline_local.s3_notifications import ensure_bucket


def main(argv: Sequence[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=54329)
    parser.add_argument("--bucket", default=settings.media_bucket)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    endpoint = f"http://{args.host}:{args.port}"
    local = settings.model_copy(update={"s3_endpoint_url": endpoint, "media_bucket": args.bucket})
    if ensure_bucket(local):
        print(f"s3: created bucket {args.bucket} at {endpoint}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
