"""Request and response bodies of the local COS server: receiving uploads into the store (with
their MD5 and CRC-64, and the faults that strike them), reading small documents, and streaming
stored data back (with the faults that strike downloads)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from cos_async._crc64 import crc64
from cos_async._limits import MAX_SINGLE_PUT

from ._context import BodyTimeout, BodyWatch, CosServerError, Ctx, Disconnected, err
from ._faults import FaultRule
from ._responses import start_stream
from ._state import AppState
from ._store import Blob, iter_segments

__all__ = [
    "READ_SIZE",
    "ReceivedBody",
    "body_chunks",
    "check_content_md5",
    "drained",
    "read_small",
    "receive",
    "reset_connection",
    "stalled",
    "stream",
    "widen_reads",
    "write_body",
]

#: bytes the server's connections read per ``recv()`` (asyncio's selector transports: 256 KiB)
READ_SIZE = 1 << 20
#: the largest document (configuration, ACL, tag set, delete list...) a request may carry
MAX_DOCUMENT = 4 * 1024 * 1024


def widen_reads(transport: asyncio.BaseTransport | None) -> None:
    """Let ``transport`` read up to :data:`READ_SIZE` bytes per ``recv()``.

    Large bodies then arrive in fewer, larger chunks: less work per chunk, and a body kept in the
    chunks it arrived in (``keep_received_chunks``) is sent back in 1 MiB writes rather than
    256 KiB ones. asyncio's selector transports read ``max_size`` bytes at a time, a class
    attribute that an instance attribute overrides; a transport without one (another event loop
    implementation) is left as it is."""
    if transport is None or getattr(transport, "max_size", READ_SIZE) >= READ_SIZE:
        return
    with contextlib.suppress(AttributeError):
        transport.max_size = READ_SIZE  # type: ignore[attr-defined]


def reset_connection(request: web.BaseRequest) -> None:
    """Abort the connection with a TCP RST (``SO_LINGER`` 0)."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def body_chunks(
    request: web.BaseRequest, watch: BodyWatch | None = None
) -> AsyncIterator[bytes]:
    """The request body chunk by chunk, as received (``watch`` is told while we wait).

    Not ``iter_any()``: ``readany()`` joins everything buffered into a fresh allocation whenever
    the handler lags (a page fault per 4 KiB on small VMs). Not ``iter_chunks()``: aiohttp's shared
    ``EMPTY_PAYLOAD`` answers ``(b"", True)`` forever after its first use, so iterating a body-less
    request spins without ever yielding to the loop.
    """
    stream = request.content
    while True:
        if watch is not None:
            watch.waiting = True
        data, _end_of_http_chunk = await stream.readchunk()
        if watch is not None:
            watch.waiting = False
        if data:
            yield data
        elif stream.at_eof():
            return


def stalled(exc: BodyTimeout) -> CosServerError:
    """The answer to a stalled body (the connection is closed after it)."""
    return err(
        400,
        "RequestTimeout",
        f"Your socket connection to the server was not read from or written to within the "
        f"timeout period ({exc}).",
        Connection="close",
    )


async def read_small(
    ctx: Ctx, limit: int = MAX_DOCUMENT, *, too_large: str = "MalformedXML"
) -> bytes:
    """The whole body of a request that carries a document (kept in the request log's record
    when the log keeps documents); a body over ``limit`` bytes answers 400 ``too_large`` (a
    document too large is a malformed one: ``MalformedXML``, or ``MalformedPolicy``)."""
    if ctx.request.content_length is not None and ctx.request.content_length > limit:
        raise err(400, too_large, f"the request's document exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in body_chunks(ctx.request, ctx.body_watch):
            size += len(chunk)
            if size > limit:
                raise err(400, too_large, f"the request's document exceeds {limit} bytes")
            chunks.append(chunk)
    except CosServerError:
        raise
    except BodyTimeout as exc:
        raise stalled(exc) from None
    except Exception as exc:
        raise Disconnected from exc
    body = b"".join(chunks)
    if ctx.keep_document and ctx.record is not None:
        ctx.record.document = body
    return body


def check_content_md5(ctx: Ctx, body: bytes) -> None:
    """400 unless ``Content-MD5`` (when sent) is the MD5 of ``body``."""
    value = ctx.header("Content-MD5")
    if value is None:
        return
    try:
        want = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise err(400, "InvalidDigest", f"Content-MD5 is not base64: {value!r}") from exc
    if want != hashlib.md5(body).digest():
        raise err(
            400, "BadDigest", "The Content-MD5 you specified did not match what was received."
        )


async def drained(request: web.BaseRequest, timeout: float = 60.0) -> None:
    """Wait until the transport has handed everything written so far to the kernel."""
    transport = request.transport
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # Polling: asyncio has no event for "write buffer drained".
    while (  # noqa: ASYNC110
        transport is not None
        and not transport.is_closing()
        and transport.get_write_buffer_size() > 0
        and loop.time() < deadline
    ):
        await asyncio.sleep(0.001)


class ReceivedBody:
    """An upload's body, stored: the blob, its size, MD5 (hex; empty when not computed) and
    CRC-64, and the MD5 state when asked to keep it (appends continue it)."""

    __slots__ = ("blob", "crc64", "md5_hex", "md5_state", "size")

    def __init__(self, blob: Blob, size: int, md5_hex: str, crc: int, md5_state: Any) -> None:
        self.blob = blob
        self.size = size
        self.md5_hex = md5_hex
        self.crc64 = crc
        self.md5_state = md5_state


async def receive(
    state: AppState,
    ctx: Ctx,
    *,
    limit: int = MAX_SINGLE_PUT,
    want_md5: bool | None = None,
    keep_md5_state: bool = False,
) -> ReceivedBody:
    """Store the request body (at most ``limit`` bytes), checking ``Content-MD5`` and the
    announced length, and applying an armed ``reset`` or ``corrupt`` fault."""
    request = ctx.request
    expected = request.content_length
    if expected is not None and expected > limit:
        raise err(400, "EntityTooLarge", f"Your proposed upload {expected} exceeds {limit} bytes.")
    content_md5 = ctx.header("Content-MD5")
    need_md5 = (not state.fast_etag) if want_md5 is None else want_md5
    need_md5 = need_md5 or content_md5 is not None or keep_md5_state
    md5 = hashlib.md5() if need_md5 else None
    crc = 0
    writer = state.store.writer(expected)
    fault = ctx.fault
    reset_at = fault.after_bytes if fault is not None and fault.action == "reset" else None
    # The received chunks one by one; readany()/iter_any() would join everything buffered into
    # a fresh allocation whenever we lag behind.
    chunks = body_chunks(request, ctx.body_watch)
    if fault is not None and fault.action == "corrupt":
        chunks = _corrupted(ctx, chunks, fault.after_bytes)
    size = 0
    try:
        async for chunk in chunks:
            n = len(chunk)
            if reset_at is not None and size + n >= reset_at:
                ctx.fault_spent = True
                reset_connection(request)
                raise Disconnected
            if size + n > limit:
                raise err(400, "EntityTooLarge", f"Your upload exceeds {limit} bytes.")
            if md5 is not None:
                md5.update(chunk)
            crc = crc64(chunk, crc)
            await writer.write(chunk)
            size += n
    except (CosServerError, Disconnected):
        await writer.abort()
        raise
    except BodyTimeout as exc:
        await writer.abort()
        raise stalled(exc) from None
    except Exception as exc:  # the client went away mid-body
        await writer.abort()
        raise Disconnected from exc
    if reset_at is not None:  # the body ended before the reset point: reset at the end
        await writer.abort()
        ctx.fault_spent = True
        reset_connection(request)
        raise Disconnected
    if expected is not None and size != expected:
        await writer.abort()
        raise err(400, "IncompleteBody", f"received {size} of {expected} bytes")
    md5_hex = md5.hexdigest() if md5 is not None else ""
    if content_md5 is not None:
        try:
            want = base64.b64decode(content_md5.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            await writer.abort()
            raise err(400, "InvalidDigest", f"Content-MD5 is not base64: {content_md5!r}") from exc
        if len(want) != 16:
            await writer.abort()
            raise err(400, "InvalidDigest", f"Content-MD5 is not an MD5: {content_md5!r}")
        if want.hex() != md5_hex:
            await writer.abort()
            raise err(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what was received.",
            )
    blob = await writer.finish()
    return ReceivedBody(blob, size, md5_hex, crc, md5 if keep_md5_state else None)


async def stream(
    ctx: Ctx,
    status: int,
    headers: dict[str, str],
    segments: list[Blob],
    start: int,
    end: int,
) -> web.StreamResponse:
    """Answer bytes ``start..end`` of stored ``segments`` (small ones in one piece)."""
    length = end - start
    if ctx.fault is None and length <= 256 * 1024:
        data = b"".join([bytes(c) async for c in iter_segments(segments, start, end)])
        return web.Response(status=status, body=data, headers=headers)
    resp = web.StreamResponse(status=status, headers=headers)
    resp.content_length = length
    # Pooled buffers are recycled once an object is deleted and nobody reads it. The event
    # loop's transport may still hold views of them in its write buffer (Python 3.12+ does not
    # copy), so the content stays pinned until that buffer has drained.
    for seg in segments:
        seg.pin()
    try:
        await start_stream(ctx, resp)
        return await write_body(ctx, resp, iter_segments(segments, start, end))
    finally:
        await drained(ctx.request)
        for seg in segments:
            seg.unpin()


async def write_body(
    ctx: Ctx,
    resp: web.StreamResponse,
    chunks: AsyncIterator[bytes | memoryview],
) -> web.StreamResponse:
    """Write ``chunks`` to a prepared response, applying an armed reset, truncate or
    corrupt fault at ``after_bytes`` (at the last byte when the body is shorter)."""
    fault = ctx.fault
    try:
        if fault is None or fault.action not in ("reset", "truncate", "corrupt"):
            async for chunk in chunks:
                await resp.write(chunk)
        elif not await _write_faulted(ctx, resp, fault, chunks):
            return resp  # cut short on purpose
        await resp.write_eof()
    except ConnectionError as exc:  # the client went away
        raise Disconnected from exc
    return resp


async def _write_faulted(
    ctx: Ctx,
    resp: web.StreamResponse,
    fault: FaultRule,
    chunks: AsyncIterator[bytes | memoryview],
) -> bool:
    """Write ``chunks`` with ``fault`` applied; False once the connection has been cut."""
    action, cut, sent = fault.action, fault.after_bytes, 0
    async for chunk, last in _with_last(chunks):
        n = len(chunk)
        if last:
            cut = min(cut, sent + n - 1)  # a strike point past the body: its last byte
        if action in ("reset", "truncate") and sent + n > cut:
            ctx.fault_spent = True
            await resp.write(chunk[: cut - sent])
            await _cut(ctx, action)
            return False
        if action == "corrupt" and sent <= cut < sent + n:
            ctx.fault_spent = True
            chunk = _flipped(chunk, cut - sent)
        await resp.write(chunk)
        sent += n
    if sent == 0 and action == "reset":  # an empty body: reset instead of ending it
        ctx.fault_spent = True
        await _cut(ctx, action)
        return False
    return True  # an empty body cannot be truncated or corrupted: the rule did not fire


async def _cut(ctx: Ctx, action: str) -> None:
    if action == "reset":
        reset_connection(ctx.request)
        return
    await asyncio.sleep(0.05)  # truncate: let what was written go, then close
    if ctx.request.transport is not None:
        ctx.request.transport.close()


async def _with_last(
    chunks: AsyncIterator[bytes | memoryview],
) -> AsyncIterator[tuple[bytes | memoryview, bool]]:
    """The non-empty chunks, each with whether it is the last (one chunk of look-ahead)."""
    pending: bytes | memoryview | None = None
    async for chunk in chunks:
        if not len(chunk):
            continue
        if pending is not None:
            yield pending, False
        pending = chunk
    if pending is not None:
        yield pending, True


async def _corrupted(ctx: Ctx, chunks: AsyncIterator[bytes], at: int) -> AsyncIterator[bytes]:
    """``chunks`` with the byte at ``at`` flipped (the last byte when the body is shorter)."""
    size = 0
    async for chunk, last in _with_last(chunks):
        n = len(chunk)
        if not ctx.fault_spent and (size <= at < size + n or (last and at >= size + n)):
            ctx.fault_spent = True
            chunk = _flipped(chunk, min(at, size + n - 1) - size)
        yield bytes(chunk)
        size += n


def _flipped(chunk: bytes | memoryview, offset: int) -> bytes:
    buf = bytearray(chunk)
    buf[offset] ^= 0xFF
    return bytes(buf)
