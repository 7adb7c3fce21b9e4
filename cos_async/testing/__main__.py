"""``python -m cos_async.testing``: run the local COS server until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ._server import (
    DEFAULT_APPID,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    LocalCosServer,
)
from ._state import ServerCredential
from ._store import retain_freed_memory


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cos_async.testing",
        description="A local COS-compatible server (COS XML API and signatures).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="port (0 picks a free one; default 9000)")
    p.add_argument("--data-dir", default=None, help="keep data on disk here (default: in memory)")
    p.add_argument(
        "--secret-id", default=None, help=f"accepted SecretId (default {DEFAULT_SECRET_ID})"
    )
    p.add_argument("--secret-key", default=None, help="accepted SecretKey (default: the test key)")
    p.add_argument(
        "--token", default=None, help="require this x-cos-security-token (temporary keys)"
    )
    p.add_argument("--region", default=DEFAULT_REGION, help=f"region (default {DEFAULT_REGION})")
    p.add_argument("--appid", default=DEFAULT_APPID, help=f"APPID (default {DEFAULT_APPID})")
    p.add_argument(
        "--bucket", action="append", default=[], help="create this bucket at start (repeatable)"
    )
    p.add_argument(
        "--fast-etag",
        action="store_true",
        help="derive ETags from CRC64 instead of MD5 (saves ~1.3 CPU s/GiB; for benchmarks)",
    )
    return p


async def _serve(args: argparse.Namespace) -> None:
    if (args.secret_id is None) != (args.secret_key is None):
        sys.exit("--secret-id and --secret-key go together")
    credentials = [
        ServerCredential(
            args.secret_id or DEFAULT_SECRET_ID, args.secret_key or DEFAULT_SECRET_KEY, args.token
        )
    ]
    server = LocalCosServer(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        credentials=credentials,
        region=args.region,
        appid=args.appid,
        fast_etag=args.fast_etag,
        # a dedicated process: keep freed memory, and with it the received chunks (one copy less)
        keep_received_chunks=args.data_dir is None and retain_freed_memory(),
    )
    await server.start()
    for name in args.bucket:
        if name not in server.store.buckets:
            server.create_bucket(name)
    print(f"local COS server listening on {server.endpoint}", flush=True)
    print(f"  secret id: {server.secret_id}", flush=True)
    print(f"  region: {server.region}  appid: {server.appid}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
