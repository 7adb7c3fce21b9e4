"""``download_file``: ranged GETs pinned to the ETag (``If-Match``), received on the transport's
threaded path through one reusable buffer per worker and written at their offsets into a
temporary file beside the destination (:class:`RangeSink`), the CRC-64 of each part combined and
checked against the object's; renamed into place only when everything checked out, removed
otherwise. ``checkpoint=path`` makes it resumable after an exception, a cancellation or SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from cos_async._body import (
    CIPHER_SLACK,
    ObjectCipher,
    RangeSink,
    about_destination,
    temporary_beside,
)
from cos_async._crc64 import Crc64, combine_all
from cos_async._engine import RequestEngine
from cos_async._errors import (
    CosTransportError,
    IntegrityError,
    InvalidArgument,
    PreconditionFailed,
    RetryExhausted,
)
from cos_async._models import ObjectMeta, TransferResult
from cos_async._ops import objects
from cos_async._options import PartOptions
from cos_async._progress import ProgressCallback, ProgressTracker
from cos_async._validate import check_concurrency

from ._common import DEFAULT_DOWNLOAD_PART_SIZE, PART_ATTEMPTS, choose_part_size, run_workers
from .checkpoint import Checkpoint, entry_int

__all__ = ["download_file"]

log = logging.getLogger("cos_async")

#: the receive buffer of each download worker (bytes go from the socket through it to the file)
RECEIVE_BUFFER = 1 << 20
_VERIFY_READ = 4 << 20


async def _fetch_range(
    engine: RequestEngine,
    bucket: str,
    key: str,
    sink: RangeSink,
    *,
    etag: str,
    version_id: str | None,
    part: PartOptions,
    tracker: ProgressTracker,
    piece: object,
) -> int:
    """GET the sink's range into its file; returns the CRC64 of the bytes written. A body cut
    short or damaged is fetched again (``PART_ATTEMPTS``)."""
    start, end = sink.offset, sink.offset + sink.length
    for attempt in range(1, PART_ATTEMPTS + 1):
        tracker.restart(piece)
        try:
            await objects.get_range_into(
                engine,
                bucket,
                key,
                sink,
                if_match=etag,
                version_id=version_id,
                part=part,
                # no callback: no wake-up of the loop per buffer received
                on_bytes=(lambda n: tracker.advance(piece, n)) if tracker.reporting else None,
            )
            if sink.written != sink.length:
                raise CosTransportError(f"range {start}-{end - 1} returned {sink.written} bytes")
            return sink.crc.value
        except RetryExhausted:
            raise  # the engine's retries are spent: no more rounds
        except (CosTransportError, IntegrityError):
            if attempt == PART_ATTEMPTS:
                raise
            log.debug(
                "range %d-%d of %s/%s failed (attempt %d); fetching again",
                start,
                end - 1,
                bucket,
                key,
                attempt,
            )
    raise AssertionError("unreachable")


async def download_file(
    engine: RequestEngine,
    bucket: str,
    key: str,
    path: str | os.PathLike[str],
    *,
    part_size: int | None,
    concurrency: int,
    threshold: int | None,
    checkpoint: str | os.PathLike[str] | None,
    progress: ProgressCallback | None,
    version_id: str | None,
    part: PartOptions,
    verify_crc: bool,
    fsync: bool,
    decipher: Callable[[ObjectMeta], Awaitable[ObjectCipher | None]] | None = None,
) -> TransferResult:
    """``decipher`` (client-side encryption) is given the object's metadata, from the HEAD
    that pins the download to one ETag, and returns the cipher of its bytes (or ``None``), before
    anything is written; it has no checkpoint. The CRC-64s are those of the bytes received."""
    check_concurrency(concurrency)
    if decipher is not None and checkpoint is not None:
        raise InvalidArgument("an encrypted download cannot be resumed: checkpoint must be None")
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(
            f"download_file takes the path of a file, got {type(path).__name__}: to write into "
            "a file object, use get_object(...) and its iter_chunks()"
        )
    dest = Path(path)
    if dest.is_dir():
        raise InvalidArgument(f"destination is a directory: {os.fspath(path)!r}")
    if not dest.parent.is_dir():
        raise InvalidArgument(
            f"the destination's directory does not exist: {os.fspath(dest.parent)!r}"
        )
    meta = await objects.head_object(
        engine, bucket, key, version_id=version_id, sse_customer_key=part.sse_customer_key
    )
    cipher = await decipher(meta) if decipher is not None else None
    size = meta.size
    ps = choose_part_size(size, part_size, DEFAULT_DOWNLOAD_PART_SIZE)
    limit = ps if threshold is None else threshold
    tracker = ProgressTracker(progress, size)
    ckpt = Checkpoint(checkpoint, guards=(dest,)) if checkpoint is not None else None
    identity = {
        "kind": "download",
        "bucket": bucket,
        "key": key,
        "version_id": version_id,
        "etag": meta.etag,
        "size": size,
        "last_modified": meta.last_modified.isoformat() if meta.last_modified else None,
        "part_size": ps,
        "dest": os.path.abspath(dest),
    }
    nparts = max(1, math.ceil(size / ps)) if size > limit else 1
    part_len = ps if nparts > 1 else max(size, 1)
    done: dict[int, int] = {}  # part -> crc64
    # with a checkpoint, the temporary file's name is derived from the destination and the
    # object (never read from the checkpoint, which may be stale or planted)
    tmp = _resumable_temp(dest, identity) if ckpt is not None else None
    if ckpt is not None:
        assert tmp is not None
        loaded = ckpt.load()
        if loaded is not None:
            header, entries = loaded
            if (
                all(header.get(k) == v for k, v in identity.items())
                and header.get("tmp") == str(tmp)
                and tmp.is_file()
                and tmp.stat().st_size == size
            ):
                done = _done_ranges(entries, nparts)
                # what a crash may have lost: every kept range is read back and checked
                done = await asyncio.to_thread(_still_in_file, tmp, part_len, size, done)
            else:
                log.info("checkpoint %s no longer matches the object: starting over", ckpt.path)
                # the temporary file of the checkpoint's own download, only if it is ours
                stale = _resumable_temp(dest, {k: header.get(k) for k in identity})
                if header.get("dest") == identity["dest"] and header.get("tmp") == str(stale):
                    _unlink(str(stale))
                ckpt.remove()
    resumed = len(done)
    try:
        if tmp is None:
            tmp = temporary_beside(dest, "cos-download")
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        elif done:
            fd = os.open(tmp, os.O_RDWR)
        else:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        if not done:
            os.ftruncate(fd, size)
    except OSError as exc:
        raise about_destination(exc, dest) from exc
    if ckpt is not None and not done:
        ckpt.start({**identity, "tmp": str(tmp)})

    def span(n: int) -> tuple[int, int]:
        """Byte range ``[start, end)`` of part ``n`` (empty for an empty object)."""
        start = (n - 1) * part_len
        return start, max(start, min(size, start + part_len))

    def length(n: int) -> int:
        start, end = span(n)
        return end - start

    for n in done:
        tracker.add_done(length(n))
    ok = False
    discard = False  # the partial data is useless: remove it even with a checkpoint
    try:
        pending = iter([n for n in range(1, nparts + 1) if n not in done])

        async def worker() -> None:
            buffer: bytearray | None = None  # one receive buffer per worker, reused
            scratch: bytearray | None = None  # where it is deciphered (with a cipher)
            for n in pending:
                start, end = span(n)
                if end <= start:
                    done[n] = 0
                    continue
                if buffer is None:
                    buffer = bytearray(min(RECEIVE_BUFFER, part_len))
                    scratch = bytearray(len(buffer) + CIPHER_SLACK) if cipher is not None else None
                crc = await _fetch_range(
                    engine,
                    bucket,
                    key,
                    RangeSink(fd, start, end - start, buffer, cipher=cipher, scratch=scratch),
                    etag=meta.etag,
                    version_id=version_id,
                    part=part,
                    tracker=tracker,
                    piece=n,
                )
                done[n] = crc
                tracker.finish_piece(n, end - start)
                if ckpt is not None:
                    ckpt.append({"part": n, "crc64": crc})

        for round_no in range(1, PART_ATTEMPTS + 1):
            try:
                await run_workers(min(concurrency, nparts), worker)
            except PreconditionFailed as exc:
                discard = True
                raise IntegrityError(
                    f"{bucket}/{key} changed during the download (its ETag is no longer {meta.etag}); "
                    "nothing was written to the destination"
                ) from exc
            total = combine_all((done[n], length(n)) for n in range(1, nparts + 1))
            if not verify_crc or meta.crc64 is None or total == meta.crc64:
                break
            if round_no == PART_ATTEMPTS:
                discard = True
                raise IntegrityError(
                    f"{bucket}/{key}: the downloaded data has CRC64 {total}, COS says {meta.crc64}"
                )
            # a range was damaged on the way, and a ranged answer carries no CRC of its own to
            # tell which: fetch them all again
            log.warning("%s/%s: CRC64 mismatch; fetching every range again", bucket, key)
            done.clear()
            if ckpt is not None:
                ckpt.start({**identity, "tmp": str(tmp)})
            pending = iter(range(1, nparts + 1))
        if fsync:
            await asyncio.to_thread(os.fsync, fd)
        os.close(fd)
        fd = -1
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            raise about_destination(exc, dest) from exc
        ok = True
    finally:
        if fd >= 0:
            os.close(fd)
        if not ok:
            # keep the partial file and the checkpoint for a resume, unless the data is useless
            if ckpt is None or discard:
                _unlink(str(tmp))
            if ckpt is not None and discard:
                ckpt.remove()
    if ckpt is not None:
        ckpt.remove()
    tracker.finish()
    return TransferResult(
        bucket=bucket,
        key=key,
        size=size,
        etag=meta.etag,
        crc64=meta.crc64 if meta.crc64 is not None else total,
        version_id=meta.version_id,
        parts=nparts,
        resumed_parts=resumed,
        request_id=meta.request_id,
    )


def _resumable_temp(dest: Path, identity: Mapping[str, object]) -> Path:
    """The temporary file of a resumable download: beside the destination, named after it and
    the object (so a resume finds it, and nothing else is ever taken for it)."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
    dest = Path(os.path.abspath(dest))
    return dest.with_name(f".{dest.name}.{digest.hexdigest()[:16]}.cos-download")


def _done_ranges(entries: list[dict[str, Any]], nparts: int) -> dict[int, int]:
    """The finished ranges a checkpoint lists, each field checked (others are fetched again)."""
    done: dict[int, int] = {}
    for e in entries:
        n = entry_int(e, "part", 1, nparts)
        crc = entry_int(e, "crc64", 0, 2**64 - 1)
        if n is not None and crc is not None:
            done[n] = crc
    return done


def _still_in_file(tmp: Path, part_len: int, size: int, done: dict[int, int]) -> dict[int, int]:
    """The finished ranges whose bytes the temporary file still holds (a crash can lose
    writes): their CRC-64 read back and compared."""
    kept: dict[int, int] = {}
    with open(tmp, "rb", buffering=0) as f:
        for n, crc in done.items():
            start = (n - 1) * part_len
            length = max(0, min(size, start + part_len) - start)
            f.seek(start)
            got = Crc64()
            while got.length < length:
                chunk = f.read(min(_VERIFY_READ, length - got.length))
                if not chunk:
                    break
                got.update(chunk)
            if got.length == length and got.value == crc:
                kept[n] = crc
            else:
                log.warning("range %d of %s is not what was received: fetching it again", n, tmp)
    return kept


def _unlink(path: str | None) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
