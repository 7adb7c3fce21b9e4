"""Downloads into a stream: ``download_stream`` (an async iterator of the object's bytes, in
order) and ``download_fileobj`` (into any writable binary file object, sync or async).

Ranged GETs pinned to the object's ETag (``If-Match``) run ``concurrency`` at a time ahead of the
consumer; their bytes come out in order, and the CRC-64 of the whole is checked against the
object's at the end. Memory is bounded by ``concurrency`` parts. Unlike ``download_file``, what
was handed over cannot be taken back: a failure (an object replaced during the download, a
CRC-64 that does not match) is raised after the bytes before it were delivered.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import math
from collections.abc import AsyncIterator
from typing import Any

from cos_async._crc64 import combine_all, crc64
from cos_async._engine import Request, RequestEngine
from cos_async._errors import CosTransportError, IntegrityError, InvalidArgument, PreconditionFailed
from cos_async._limits import MIN_PART_SIZE, MiB
from cos_async._models import ObjectMeta, TransferResult
from cos_async._ops import objects
from cos_async._options import PartOptions, ReadConditions
from cos_async._progress import ProgressCallback, ProgressTracker
from cos_async._validate import check_concurrency

__all__ = ["MAX_STREAM_PART_SIZE", "download_fileobj", "stream_object"]

#: the largest part of a streamed download (each is held in memory, ``concurrency`` at a time)
MAX_STREAM_PART_SIZE = 64 * MiB


def check_stream_part_size(part_size: object) -> int:
    if (
        not isinstance(part_size, int)
        or isinstance(part_size, bool)
        or not MIN_PART_SIZE <= part_size <= MAX_STREAM_PART_SIZE
    ):
        raise InvalidArgument(
            f"part_size must be {MIN_PART_SIZE}..{MAX_STREAM_PART_SIZE} bytes, got {part_size!r}"
        )
    return part_size


async def _fetch(
    engine: RequestEngine,
    bucket: str,
    key: str,
    first: int,
    length: int,
    *,
    etag: str,
    version_id: str | None,
    part: PartOptions,
) -> bytes:
    headers = ReadConditions(if_match=etag).headers()
    headers.update(part.headers())
    headers["Range"] = f"bytes={first}-{first + length - 1}"
    params = {"versionId": version_id} if version_id is not None else {}
    try:
        reply = await engine.send(
            Request(method="GET", bucket=bucket, key=key, params=params, headers=headers)
        )
    except PreconditionFailed as exc:
        raise IntegrityError(
            f"{bucket}/{key} was replaced during the download (its ETag is no longer {etag})"
        ) from exc
    if len(reply.body) != length or reply.status not in (200, 206):
        raise CosTransportError(
            f"GET {bucket}/{key} with Range {headers['Range']}: {len(reply.body)} bytes "
            f"(status {reply.status}), expected {length}"
        )
    return reply.body


async def stream_object(
    engine: RequestEngine,
    bucket: str,
    key: str,
    *,
    part_size: int,
    concurrency: int,
    version_id: str | None,
    part: PartOptions,
    verify_crc: bool,
    tracker: ProgressTracker | None = None,
    meta: ObjectMeta | None = None,
) -> AsyncIterator[bytes]:
    """The object's bytes in order, one part at a time, ``concurrency`` parts fetched ahead."""
    check_concurrency(concurrency)
    check_stream_part_size(part_size)
    if meta is None:
        meta = await objects.head_object(
            engine, bucket, key, version_id=version_id, sse_customer_key=part.sse_customer_key
        )
    size = meta.size
    if tracker is not None:
        tracker.total = size
    nparts = math.ceil(size / part_size)
    pending: dict[int, asyncio.Task[bytes]] = {}
    crcs: list[tuple[int, int]] = []

    def start(n: int) -> None:
        first = n * part_size
        pending[n] = asyncio.ensure_future(
            _fetch(
                engine,
                bucket,
                key,
                first,
                min(part_size, size - first),
                etag=meta.etag,
                version_id=version_id,
                part=part,
            )
        )

    try:
        for n in range(min(concurrency, nparts)):
            start(n)
        for n in range(nparts):
            data = await pending.pop(n)
            if n + concurrency < nparts:
                start(n + concurrency)
            if verify_crc:
                crcs.append((await asyncio.to_thread(crc64, data), len(data)))
            if tracker is not None:
                tracker.finish_piece(n, len(data))
            yield data
    finally:
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)
    if verify_crc and meta.crc64 is not None:
        got = combine_all(crcs) if crcs else 0
        if got != meta.crc64:
            raise IntegrityError(
                f"CRC64 mismatch: the bytes of {bucket}/{key} streamed have {got}, COS says "
                f"{meta.crc64}"
            )
    if tracker is not None:
        tracker.finish()


def _writer(fileobj: Any) -> Any:
    if isinstance(fileobj, io.TextIOBase):
        raise InvalidArgument(
            "download_fileobj writes bytes: open the file in binary mode ('wb'), got a text file"
        )
    write = getattr(fileobj, "write", None)
    if not callable(write):
        raise InvalidArgument(
            f"download_fileobj needs a writable binary file object (with write()), got "
            f"{type(fileobj).__name__}"
        )
    return write


async def download_fileobj(
    engine: RequestEngine,
    bucket: str,
    key: str,
    fileobj: Any,
    *,
    part_size: int,
    concurrency: int,
    progress: ProgressCallback | None,
    version_id: str | None,
    part: PartOptions,
    verify_crc: bool,
) -> TransferResult:
    """Write the object into ``fileobj`` (``write()`` plain or a coroutine: a plain one runs in
    a worker thread, part by part, in order)."""
    write = _writer(fileobj)
    asynchronous = inspect.iscoroutinefunction(write)
    check_concurrency(concurrency)
    check_stream_part_size(part_size)
    meta = await objects.head_object(
        engine, bucket, key, version_id=version_id, sse_customer_key=part.sse_customer_key
    )
    tracker = ProgressTracker(progress, meta.size)
    written = 0
    async for data in stream_object(
        engine,
        bucket,
        key,
        part_size=part_size,
        concurrency=concurrency,
        version_id=version_id,
        part=part,
        verify_crc=verify_crc,
        tracker=tracker,
        meta=meta,
    ):
        if asynchronous:
            await write(data)
        else:
            await asyncio.to_thread(write, data)
        written += len(data)
    return TransferResult(
        bucket=bucket,
        key=key,
        size=written,
        etag=meta.etag,
        crc64=meta.crc64,
        version_id=meta.version_id,
        parts=math.ceil(meta.size / part_size),
        request_id=meta.request_id,
    )
