"""``python -m cos_async.testing``: run the local COS server until interrupted.

It prints what a client needs to reach it: the endpoint, the region, the APPID, the SecretId and
the SecretKey. The built-in key pair (``DEFAULT_SECRET_ID`` / ``DEFAULT_SECRET_KEY``) is a
well-known test credential, printed in full; a key given with ``--secret-key`` is never echoed.
Bad input (a bucket name the client would refuse, ``--secret-id`` without ``--secret-key``)
and a port that cannot be bound are reported in one line, with exit status 2 and 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import NoReturn

from ._faults import DEFAULT_REQUEST_LOG_SIZE
from ._handlers import valid_bucket_name
from ._server import (
    DEFAULT_APPID,
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    LocalCosServer,
)
from ._state import ServerCredential
from ._store import retain_freed_memory

PROG = "python -m cos_async.testing"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    return value


def _log_size(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of records (1 or more): {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="A local COS-compatible server (COS XML API and signatures).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="port (0 picks a free one; default 9000)")
    p.add_argument("--data-dir", default=None, help="keep data on disk here (default: in memory)")
    p.add_argument(
        "--secret-id", default=None, help=f"accepted SecretId (default {DEFAULT_SECRET_ID})"
    )
    p.add_argument(
        "--secret-key", default=None, help="accepted SecretKey (default: the well-known test key)"
    )
    p.add_argument(
        "--token", default=None, help="require this x-cos-security-token (temporary keys)"
    )
    p.add_argument("--region", default=DEFAULT_REGION, help=f"region (default {DEFAULT_REGION})")
    p.add_argument("--appid", default=DEFAULT_APPID, help=f"APPID (default {DEFAULT_APPID})")
    p.add_argument(
        "--bucket",
        action="append",
        default=[],
        help="create this bucket at start, named <name>-<appid> (repeatable)",
    )
    p.add_argument(
        "--fast-etag",
        action="store_true",
        help="derive ETags from CRC64 instead of MD5 (saves ~1.3 CPU s/GiB; for benchmarks)",
    )
    p.add_argument(
        "--request-log-size",
        type=_log_size,
        default=DEFAULT_REQUEST_LOG_SIZE,
        help=f"how many recent requests the request log keeps (default {DEFAULT_REQUEST_LOG_SIZE})",
    )
    p.add_argument(
        "--idle-timeout",
        type=_positive,
        default=DEFAULT_IDLE_TIMEOUT,
        help="seconds a connection may go without a complete request head "
        f"(default {DEFAULT_IDLE_TIMEOUT:g})",
    )
    p.add_argument(
        "--body-timeout",
        type=_positive,
        default=DEFAULT_BODY_TIMEOUT,
        help=f"seconds a request body may stall (default {DEFAULT_BODY_TIMEOUT:g})",
    )
    return p


class _CannotListen(Exception):
    """The server could not bind its address (reported in one line, exit status 1)."""


def _fail(message: str, status: int) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def _check(args: argparse.Namespace) -> None:
    """Refuse bad input before binding anything (one line, exit status 2)."""
    if (args.secret_id is None) != (args.secret_key is None):
        _fail("--secret-id and --secret-key go together", 2)
    for name in args.bucket:
        if not valid_bucket_name(name):
            _fail(
                f"invalid bucket name {name!r}: a bucket is named <name>-<appid> (lower-case "
                f"letters, digits and dashes, at most 60 characters), e.g. "
                f"'examplebucket-{args.appid}'",
                2,
            )


async def _serve(args: argparse.Namespace) -> None:
    builtin_key = args.secret_key is None
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
        idle_timeout=args.idle_timeout,
        body_timeout=args.body_timeout,
        request_log_size=args.request_log_size,
    )
    try:
        await server.start()
    except OSError as exc:
        message = f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        raise _CannotListen(message) from None
    for name in args.bucket:
        if name not in server.store.buckets:
            server.create_bucket(name)
    key = server.secret_key if builtin_key else "(the one given with --secret-key)"
    lines = [
        f"local COS server listening on {server.endpoint}",
        f"  region:     {server.region}",
        f"  appid:      {server.appid}",
    ]
    if args.bucket:
        lines.append(f"  buckets:    {', '.join(args.bucket)}")
    if args.token is not None:
        lines.append("  token:      (the one given with --token)")
    if builtin_key:
        lines.append(
            "  keys:       the well-known test keys of cos_async.testing (never real ones)"
        )
    lines += [f"  secret id:  {server.secret_id}", f"  secret key: {key}"]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # after the handlers: whoever waits for the banner may stop the server at once
    print("\n".join(lines), flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    _check(args)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args))
    except _CannotListen as exc:
        _fail(str(exc), 1)


if __name__ == "__main__":
    main()
