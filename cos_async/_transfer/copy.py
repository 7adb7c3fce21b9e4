"""``copy``: an object of any size, server-side. ``copy_object`` up to a threshold (5 GiB), else
concurrent part copies (``upload_part_copy``) of one multipart upload, pinned to the source's
ETag and checked against its CRC-64."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import attrs

from cos_async._engine import RequestEngine
from cos_async._errors import InvalidArgument
from cos_async._models import ObjectMeta, TransferResult
from cos_async._ops import multipart, objects
from cos_async._options import CopySource, PartOptions, ReadConditions, WriteOptions
from cos_async._progress import ProgressCallback, ProgressTracker
from cos_async._validate import check_concurrency

from ._common import (
    DEFAULT_COPY_PART_SIZE,
    abort_upload,
    assembled_wrongly,
    choose_part_size,
    initiate_upload,
    run_workers,
)

__all__ = ["copy"]


def _as_copied(write: WriteOptions, meta: ObjectMeta) -> WriteOptions:
    """What a multipart copy must set to do what ``metadata_directive="Copy"`` does: the
    source's content headers and metadata, with the caller's other options (storage class, ACL,
    tags, encryption; a copy without a storage class is STANDARD, as COS documents for copies,
    not the source's class)."""
    return attrs.evolve(
        write,
        content_type=meta.content_type,
        content_disposition=meta.content_disposition,
        content_encoding=meta.content_encoding,
        content_language=meta.content_language,
        cache_control=meta.cache_control,
        expires=meta.expires,
        metadata=dict(meta.metadata) or None,
    )


async def copy(
    engine: RequestEngine,
    source: CopySource,
    dst_bucket: str,
    dst_key: str,
    *,
    part_size: int | None,
    concurrency: int,
    threshold: int,
    progress: ProgressCallback | None,
    metadata_directive: Literal["Copy", "Replaced"],
    write: WriteOptions,
    part: PartOptions,
    extra: Mapping[str, str],
) -> TransferResult:
    """Copy any size: ``copy_object`` up to ``threshold``, concurrent part copies above. The
    source's metadata is kept unless ``metadata_directive="Replaced"``. ``part`` is the
    destination's traffic limit (per request) and SSE-C key."""
    check_concurrency(concurrency)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise InvalidArgument(f"threshold must be a number of bytes >= 0, got {threshold!r}")
    if metadata_directive not in ("Copy", "Replaced"):
        raise InvalidArgument(
            f"metadata_directive must be 'Copy' or 'Replaced', got {metadata_directive!r}"
        )
    if metadata_directive == "Copy" and write.describes_content:
        raise InvalidArgument("content headers and metadata need metadata_directive='Replaced'")
    meta = await objects.head_object(
        engine,
        source.bucket,
        source.key,
        version_id=source.version_id,
        sse_customer_key=source.sse_customer_key,
        region=source.region,
        endpoint=source.endpoint,
    )
    size = meta.size
    pinned = ReadConditions(if_match=meta.etag)
    tracker = ProgressTracker(progress, size)
    if size <= threshold:
        res = await objects.copy_object(
            engine,
            dst_bucket,
            dst_key,
            source,
            metadata_directive=metadata_directive,
            write=write,
            conditions=pinned,
            part=part,
            extra=extra,
        )
        tracker.finish()
        return TransferResult(
            bucket=dst_bucket,
            key=dst_key,
            size=size,
            etag=res.etag,
            crc64=res.crc64,
            version_id=res.version_id,
            request_id=res.request_id,
        )
    ps = choose_part_size(size, part_size, DEFAULT_COPY_PART_SIZE)
    copied = metadata_directive == "Copy"
    upload_id = await initiate_upload(
        engine,
        dst_bucket,
        dst_key,
        write=_as_copied(write, meta) if copied else write,
        sse_customer_key=part.sse_customer_key,
        guess_type=not copied,
        extra=extra,
    )
    nparts = math.ceil(size / ps)
    done: dict[int, tuple[str, int | None, int]] = {}
    pending = iter(range(1, nparts + 1))

    async def worker() -> None:
        for n in pending:
            start = (n - 1) * ps
            end = min(size, start + ps) - 1
            res = await multipart.upload_part_copy(
                engine,
                dst_bucket,
                dst_key,
                upload_id,
                n,
                source,
                source_range=(start, end),
                conditions=pinned,
                part=part,
            )
            done[n] = (res.etag, res.crc64, end - start + 1)
            tracker.finish_piece(n, end - start + 1)

    try:
        await run_workers(min(concurrency, nparts), worker)
        result = await multipart.complete_multipart_upload(
            engine,
            dst_bucket,
            dst_key,
            upload_id,
            [(n, done[n][0]) for n in range(1, nparts + 1)],
        )
    except BaseException:
        await abort_upload(engine, dst_bucket, dst_key, upload_id)
        raise
    if meta.crc64 is not None and result.crc64 is not None and result.crc64 != meta.crc64:
        raise await assembled_wrongly(
            engine,
            dst_bucket,
            dst_key,
            result.version_id,
            f"copy of {source.bucket}/{source.key}: the copy has CRC64 {result.crc64}, "
            f"the source {meta.crc64}",
        )
    tracker.finish()
    return TransferResult(
        bucket=dst_bucket,
        key=dst_key,
        size=size,
        etag=result.etag,
        crc64=result.crc64,
        version_id=result.version_id,
        parts=nparts,
        request_id=result.request_id,
    )
