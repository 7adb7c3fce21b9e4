"""A raw TCP server that answers every request with one hostile HTTP answer (issue 16, items 8
and 15), and a client run against it.

Run as a script (``python -m tests.faults.hostile_server MODE``) it prints, as JSON, how each
client call ended: the tests run it under ``AIOHTTP_NO_EXTENSIONS=1`` to exercise aiohttp's
pure-Python HTTP parser too (the parser is chosen when aiohttp is imported).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cos_async import AsyncCosClient, CosConfig, RetryConfig

_HEAD = (
    b'HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: "e"\r\nx-cos-request-id: r\r\n'
    b"Last-Modified: Sat, 05 Dec 2026 10:00:00 GMT\r\nx-cos-hash-crc64ecma: 1\r\n\r\n"
)

#: what the server sends after the request head: a head, then the body in steps (``None``: a
#: pause of 0.2 s; an ``int``: drip that many bytes of ``a`` forever, 100 every 50 ms)
MODES: dict[str, list[bytes | int | None]] = {
    # bytes that never make body: aiohttp's sock_read timer is reset by each of them
    "endless-chunk-extension": [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;", 100],
    # a malformed chunk after the head: aiohttp's C parser leaves the read waiting forever,
    # its Python parser raises HttpProcessingError (no ClientError)
    "bad-chunk-mid-body": [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        None,
        b"zz\r\nhello\r\n0\r\n\r\n",
    ],
    "malformed-status-line": [b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"],
}


@contextlib.asynccontextmanager
async def serve(mode: str) -> AsyncIterator[str]:
    """Serve ``mode`` on 127.0.0.1; yields the endpoint URL."""
    steps = MODES[mode]
    handlers: set[asyncio.Task[Any]] = set()
    stop = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"HEAD "):
                    writer.write(_HEAD)
                    await writer.drain()
                    continue
                for step in steps:
                    if step is None:
                        await asyncio.sleep(0.2)
                    elif isinstance(step, int):
                        while not stop.is_set():
                            writer.write(b"a" * step)
                            await writer.drain()
                            await asyncio.sleep(0.05)
                    else:
                        writer.write(step)
                        await writer.drain()
                await stop.wait()  # the connection stays open: the client must not wait for it
                return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        server.close()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


def _config(endpoint: str, read_timeout: float) -> CosConfig:
    return CosConfig(
        region="ap-guangzhou",
        secret_id="AKIDhostile",
        secret_key="hostile-secret",
        endpoint_url=endpoint,
        read_timeout=read_timeout,
        retry=RetryConfig(max_attempts=1),
    )


async def run_calls(mode: str, tmp: Path, read_timeout: float = 1.0) -> dict[str, list[Any]]:
    """Each call against ``mode``: ``[exception class names, seconds taken]``."""
    outcomes: dict[str, list[Any]] = {}
    async with serve(mode) as endpoint, AsyncCosClient(_config(endpoint, read_timeout)) as cos:

        async def get_body() -> object:
            body = await cos.get_object("b-1250000000", "k")
            return await body.read()

        calls = {
            "get_object": get_body,
            "get_object_tagging": lambda: cos.get_object_tagging("b-1250000000", "k"),
            "download_file": lambda: cos.download_file(
                "b-1250000000", "k", tmp / "out.bin", threshold=1
            ),
        }
        for name, call in calls.items():
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(call(), 60)
                classes = ["ok"]
            except BaseException as exc:
                classes = [c.__name__ for c in type(exc).__mro__]
            outcomes[name] = [classes, time.monotonic() - t0]
    return outcomes


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(asyncio.run(run_calls(sys.argv[1], Path(d)))))
