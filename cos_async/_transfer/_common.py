"""What every transfer shares: the defaults, the part size rule, the worker pool, cleanup that
survives a cancellation, and initiating a multipart upload without leaving one behind."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from cos_async._engine import Reply, RequestEngine
from cos_async._errors import IntegrityError, InvalidArgument
from cos_async._limits import MAX_PART_SIZE, MAX_PARTS, MiB
from cos_async._models import MultipartUpload, MultipartUploadInfo
from cos_async._ops import multipart, objects
from cos_async._options import WriteOptions
from cos_async._validate import check_part_size

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_COPY_PART_SIZE",
    "DEFAULT_DOWNLOAD_PART_SIZE",
    "DEFAULT_PART_SIZE",
    "PART_ATTEMPTS",
    "abort_upload",
    "assembled_wrongly",
    "choose_part_size",
    "finish_anyway",
    "initiate_upload",
    "run_workers",
]

log = logging.getLogger("cos_async")

DEFAULT_PART_SIZE = 16 * MiB
DEFAULT_DOWNLOAD_PART_SIZE = 16 * MiB
DEFAULT_COPY_PART_SIZE = 64 * MiB
DEFAULT_CONCURRENCY = 8
#: attempts per part for failures after the response started (the engine retries the rest)
PART_ATTEMPTS = 3
#: after a retried Initiate, an upload of the same key by the same initiator started this many
#: seconds (plus the retries' duration) before ours is taken for one of our earlier attempts
INITIATE_SLACK = 2.0
#: the pages of uploads listed to find them (a key with more uploads in progress is left alone)
INITIATE_PAGES = 10
T = TypeVar("T")


def choose_part_size(size: int, requested: int | None, default: int = DEFAULT_PART_SIZE) -> int:
    """A part size in 1 MiB..5 GiB giving at most 10,000 parts (``InvalidArgument`` otherwise)."""
    if requested is not None:
        check_part_size(requested)
        if math.ceil(size / requested) > MAX_PARTS:
            raise InvalidArgument(
                f"part_size {requested} gives {math.ceil(size / requested)} parts for {size} bytes; "
                f"COS allows {MAX_PARTS}"
            )
        return requested
    ps = max(default, math.ceil(size / MAX_PARTS))
    ps = math.ceil(ps / MiB) * MiB
    if ps > MAX_PART_SIZE:
        raise InvalidArgument(f"{size} bytes exceed what {MAX_PARTS} parts of 5 GiB can hold")
    return ps


async def run_workers(count: int, worker: Callable[[], Awaitable[None]]) -> None:
    """Run ``count`` copies of ``worker``; the first failure cancels the others and is raised
    (itself, not an exception group); a cancellation of the caller cancels them all."""
    tasks = [asyncio.ensure_future(worker()) for _ in range(count)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for t in done:
            exc = None if t.cancelled() else t.exception()
            if exc is not None:
                raise exc
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def finish_anyway(aw: Awaitable[T], timeout: float = 60.0) -> T | None:
    """Run cleanup to its end even if the calling task is being cancelled (bounded)."""
    task = asyncio.ensure_future(aw)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            task.cancel()
            break
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({task}, timeout=remaining)
    if task.cancelled():
        return None
    exc = task.exception()
    if exc is not None:
        log.warning("cleanup failed: %r", exc)
        return None
    return task.result()


async def abort_upload(engine: RequestEngine, bucket: str, key: str, upload_id: str) -> None:
    """Abort a transfer's multipart upload, to its end even if the caller is cancelled or the
    client is closing (bounded; a failure is logged, not raised over the error being handled)."""
    await finish_anyway(
        multipart.abort_multipart_upload(engine, bucket, key, upload_id, cleanup=True)
    )


async def initiate_upload(
    engine: RequestEngine,
    bucket: str,
    key: str,
    *,
    write: WriteOptions,
    sse_customer_key: bytes | None,
    extra: Mapping[str, str] | None,
    guess_type: bool = True,
) -> str:
    """Initiate Multipart Upload for a transfer, leaving no upload behind: a cancellation while
    it is in flight lets it finish (bounded) and aborts the upload it made; when it needed
    retries (an attempt that timed out may still have run on the server), the uploads of the
    same key by the same initiator started while it was retried are aborted. The upload id."""
    task = asyncio.ensure_future(
        multipart.initiate(
            engine,
            bucket,
            key,
            write=write,
            sse_customer_key=sse_customer_key,
            guess_type=guess_type,
            extra=extra,
        )
    )
    try:
        created, reply = await asyncio.shield(task)
    except asyncio.CancelledError:
        await finish_anyway(_abort_once_made(engine, task))
        raise
    if reply.attempts > 1:
        await finish_anyway(
            _abort_earlier_attempts(engine, bucket, key, created.upload_id, reply.elapsed)
        )
    return created.upload_id


async def _abort_once_made(
    engine: RequestEngine, task: asyncio.Future[tuple[MultipartUpload, Reply]]
) -> None:
    try:
        created, _ = await task
    except Exception:  # no upload was made (or none we can know of)
        return
    await multipart.abort_multipart_upload(
        engine, created.bucket, created.key, created.upload_id, cleanup=True
    )


async def _abort_earlier_attempts(
    engine: RequestEngine, bucket: str, key: str, upload_id: str, elapsed: float
) -> None:
    uploads: list[MultipartUploadInfo] = []
    markers = ("", "")
    for _ in range(INITIATE_PAGES):
        page = await multipart.list_multipart_uploads_page(
            engine, bucket, prefix=key, key_marker=markers[0], upload_id_marker=markers[1]
        )
        uploads.extend(u for u in page.uploads if u.key == key)
        if not page.is_truncated or page.next_key_marker is None:
            break
        markers = (page.next_key_marker, page.next_upload_id_marker or "")
    else:
        log.warning("%s/%s: too many multipart uploads to look for our earlier ones", bucket, key)
        return
    ours = next((u for u in uploads if u.upload_id == upload_id), None)
    if ours is None or ours.initiated is None:
        log.warning(
            "%s/%s: upload %s not listed: earlier attempts not looked for", bucket, key, upload_id
        )
        return
    since = ours.initiated - _dt.timedelta(seconds=elapsed + INITIATE_SLACK)
    for u in uploads:
        if (
            u.upload_id != upload_id
            and u.initiator_id == ours.initiator_id
            and u.initiated is not None
            and since <= u.initiated <= ours.initiated
        ):
            log.info(
                "%s/%s: aborting upload %s made by an earlier attempt", bucket, key, u.upload_id
            )
            await multipart.abort_multipart_upload(engine, bucket, key, u.upload_id, cleanup=True)


async def assembled_wrongly(
    engine: RequestEngine, bucket: str, key: str, version_id: str | None, message: str
) -> IntegrityError:
    """The error of a completed multipart upload whose object does not have the CRC-64 of its
    parts (or source): the object is not ours, so it is deleted first (its version, in a
    versioned bucket), and the error says so."""
    error = IntegrityError(message)
    await finish_anyway(objects.discard_damaged(engine, bucket, key, [version_id], error))
    return error
