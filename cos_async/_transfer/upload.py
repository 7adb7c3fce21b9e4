"""Uploads: ``upload_file`` (one PUT up to a threshold, else a concurrent, resumable multipart
upload) and ``upload_stream`` (a stream of unknown length), over the typed operations of
:mod:`cos_async._ops.objects` and :mod:`cos_async._ops.multipart`.

The parts of ``upload_file`` go from the file through one small reusable buffer per worker
(:class:`FilePartBody`, which the transport sends on its threaded path), each part's CRC-64 is
checked against COS's answer, and the whole object's CRC-64 is obtained by combining the part
CRCs (no second pass) and checked against Complete's answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from cos_async._body import (
    CIPHER_SLACK,
    CipheredBody,
    FilePartBody,
    FileRangeBody,
    ObjectCipher,
    RequestBody,
    make_body,
)
from cos_async._crc64 import Crc64, combine_all
from cos_async._engine import RequestEngine
from cos_async._errors import IntegrityError, InvalidArgument, NoSuchUpload
from cos_async._limits import MAX_PART_SIZE, MAX_PARTS, MAX_SINGLE_PUT, MIN_PART_SIZE, MiB
from cos_async._models import TransferResult
from cos_async._ops import multipart, objects
from cos_async._options import PartOptions, WriteOptions
from cos_async._progress import ProgressCallback, ProgressTracker
from cos_async._validate import check_concurrency

from ._common import (
    abort_upload,
    assembled_wrongly,
    choose_part_size,
    initiate_upload,
    run_workers,
)
from .checkpoint import Checkpoint, entry_int

__all__ = ["upload_file", "upload_stream"]

log = logging.getLogger("cos_async")

#: the send buffer of each upload worker (bytes go from the file through it to the socket)
SEND_BUFFER = 1 << 20
_VERIFY_READ = 4 << 20


def _options_digest(
    write: WriteOptions, part: PartOptions, extra: Mapping[str, str], part_size: int
) -> str:
    """What a resumed upload must share with the interrupted one, as a stable digest."""
    text = json.dumps(
        {
            "write": write.digest(),
            "sse_c": part.digest(),
            "extra": sorted(extra.items()),
            "part_size": part_size,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def upload_file(
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
    write: WriteOptions,
    part: PartOptions,
    content_md5: bool,
    extra: Mapping[str, str],
    cipher: ObjectCipher | None = None,
) -> TransferResult:
    """``cipher``: client-side encryption (``cos_async.crypto``), which builds ``write`` with
    the metadata of the object's data key; it has no checkpoint (a resume would need the data
    key on disk)."""
    check_concurrency(concurrency)
    if cipher is not None and checkpoint is not None:
        raise InvalidArgument("an encrypted upload cannot be resumed: checkpoint must be None")
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(
            f"upload_file takes the path of a file, got {type(path).__name__}: for a file "
            "object or a stream, use upload_stream (or put_object)"
        )
    src = Path(path)
    try:
        st = src.stat()
    except OSError as exc:
        raise InvalidArgument(f"cannot read {os.fspath(path)!r}: {exc.strerror}") from exc
    if not src.is_file():
        raise InvalidArgument(f"not a file: {os.fspath(path)!r}")
    size = st.st_size
    ps = choose_part_size(size, part_size)
    limit = ps if threshold is None else threshold
    if not isinstance(limit, int) or limit < 0 or limit > MAX_SINGLE_PUT:
        raise InvalidArgument(f"threshold must be 0..{MAX_SINGLE_PUT} bytes, got {threshold!r}")
    tracker = ProgressTracker(progress, size)
    ckpt = Checkpoint(checkpoint, guards=(src,)) if checkpoint is not None else None
    if size <= limit:
        body = FileRangeBody(src, cipher=cipher)
        body.on_open = lambda: tracker.restart("put")
        if tracker.reporting:
            body.on_bytes = lambda n: tracker.advance("put", n)
        put = await objects.put_object(
            engine,
            bucket,
            key,
            body,
            write=write,
            part=part,
            content_md5=content_md5,
            extra=extra,
        )
        tracker.finish()
        if ckpt is not None:  # one of an earlier multipart attempt: done with
            loaded = ckpt.load()
            if loaded is not None:
                await _abort_stale(engine, loaded[0], bucket, key)
                ckpt.remove()
        return TransferResult(
            bucket=bucket,
            key=key,
            size=size,
            etag=put.etag,
            crc64=put.crc64,
            version_id=put.version_id,
            request_id=put.request_id,
        )

    nparts = math.ceil(size / ps)
    identity = {
        "kind": "upload",
        "bucket": bucket,
        "key": key,
        "file": os.path.abspath(src),
        "size": size,
        "mtime_ns": st.st_mtime_ns,
        "part_size": ps,
        "options": _options_digest(write, part, extra, ps),
    }
    done: dict[int, tuple[str, int, int]] = {}  # part -> (etag, crc64, size)
    upload_id: str | None = None
    if ckpt is not None:
        loaded = ckpt.load()
        if loaded is not None:
            header, entries = loaded
            stored_id = header.get("upload_id")
            if (
                all(header.get(k) == v for k, v in identity.items())
                and isinstance(stored_id, str)
                and stored_id
            ):
                upload_id = stored_id
                done = _done_parts(entries, nparts, ps, size)
                # the file may have been rewritten with the same size and time: a part whose
                # bytes are no longer those sent is sent again (CRC-64 costs little)
                done = await asyncio.to_thread(_still_in_file, src, ps, done)
                confirmed = await _confirm_parts(engine, bucket, key, upload_id, done)
                if confirmed is None:
                    upload_id, done = None, {}
                else:
                    done = confirmed
            else:
                log.info("checkpoint %s is for another file or options: starting over", ckpt.path)
                await _abort_stale(engine, header, bucket, key)
                ckpt.remove()
    resumed = len(done)
    if upload_id is None:
        upload_id = await initiate_upload(
            engine, bucket, key, write=write, sse_customer_key=part.sse_customer_key, extra=extra
        )
        if ckpt is not None:
            ckpt.start({**identity, "upload_id": upload_id})
    for _etag, _crc, psize in done.values():
        tracker.add_done(psize)

    pending = iter([n for n in range(1, nparts + 1) if n not in done])

    async def worker() -> None:
        # one small send buffer per worker, reused slice after slice and part after part (a
        # slice is only overwritten once the socket has taken it): no fresh memory per part
        buffer: bytearray | None = None
        scratch: bytearray | None = None  # where the slices are enciphered (with a cipher)
        for n in pending:
            offset = (n - 1) * ps
            length = min(ps, size - offset)
            if os.stat(src).st_size != size:
                raise IntegrityError(f"{os.fspath(path)!r} changed while it was being uploaded")
            if buffer is None:
                buffer = bytearray(min(SEND_BUFFER, ps))
                scratch = bytearray(len(buffer) + CIPHER_SLACK) if cipher is not None else None
            body = FilePartBody(src, offset, length, buffer, cipher=cipher, scratch=scratch)
            body.on_open = lambda n=n: tracker.restart(n)
            if tracker.reporting:  # else no wake-up of the loop per slice sent
                body.on_bytes = lambda k, n=n: tracker.advance(n, k)
            res = await multipart.upload_part(
                engine, bucket, key, upload_id, n, body, part=part, content_md5=content_md5
            )
            crc = res.crc64 if res.crc64 is not None else body.crc.value
            if body.crc.length != length:
                raise IntegrityError(
                    f"part {n}: {body.crc.length} bytes read from the file, expected {length}"
                )
            done[n] = (res.etag, crc, length)
            tracker.finish_piece(n, length)
            if ckpt is not None:
                ckpt.append({"part": n, "etag": res.etag, "crc64": crc, "size": length})

    try:
        await run_workers(min(concurrency, nparts), worker)
        if os.stat(src).st_mtime_ns != st.st_mtime_ns or os.stat(src).st_size != size:
            raise IntegrityError(f"{os.fspath(path)!r} changed while it was being uploaded")
        expected = combine_all((done[n][1], done[n][2]) for n in range(1, nparts + 1))
        result = await multipart.complete_multipart_upload(
            engine, bucket, key, upload_id, [(n, done[n][0]) for n in range(1, nparts + 1)]
        )
    except BaseException:
        if ckpt is None:
            await abort_upload(engine, bucket, key, upload_id)
        raise
    if ckpt is not None:
        ckpt.remove()
    if result.crc64 is not None and result.crc64 != expected:
        raise await assembled_wrongly(
            engine,
            bucket,
            key,
            result.version_id,
            f"{bucket}/{key}: COS assembled CRC64 {result.crc64}, the parts combine to {expected}",
        )
    tracker.finish()
    return TransferResult(
        bucket=bucket,
        key=key,
        size=size,
        etag=result.etag,
        crc64=result.crc64 if result.crc64 is not None else expected,
        version_id=result.version_id,
        parts=nparts,
        resumed_parts=resumed,
        request_id=result.request_id,
    )


async def _abort_stale(
    engine: RequestEngine, header: dict[str, Any], bucket: str, key: str
) -> None:
    """Abort the multipart upload of a checkpoint that is being discarded: it would otherwise
    stay on the server, billed (only one of this bucket and key)."""
    stale = header.get("upload_id")
    if (
        isinstance(stale, str)
        and stale
        and header.get("bucket") == bucket
        and header.get("key") == key
    ):
        await abort_upload(engine, bucket, key, stale)


def _done_parts(
    entries: list[dict[str, Any]], nparts: int, part_size: int, size: int
) -> dict[int, tuple[str, int, int]]:
    """The finished parts a checkpoint lists, each field checked (others are sent again)."""
    done: dict[int, tuple[str, int, int]] = {}
    for e in entries:
        n = entry_int(e, "part", 1, nparts)
        crc = entry_int(e, "crc64", 0, 2**64 - 1)
        length = entry_int(e, "size", 0, part_size)
        etag = e.get("etag")
        if n is None or crc is None or length is None or not isinstance(etag, str):
            continue
        if length != min(part_size, size - (n - 1) * part_size):
            continue
        done[n] = (etag, crc, length)
    return done


def _still_in_file(
    src: Path, part_size: int, done: dict[int, tuple[str, int, int]]
) -> dict[int, tuple[str, int, int]]:
    """The finished parts whose bytes the file still holds (their CRC-64 read back)."""
    kept: dict[int, tuple[str, int, int]] = {}
    with open(src, "rb", buffering=0) as f:
        for n, (etag, crc, length) in done.items():
            f.seek((n - 1) * part_size)
            got = Crc64()
            while got.length < length:
                chunk = f.read(min(_VERIFY_READ, length - got.length))
                if not chunk:
                    break
                got.update(chunk)
            if got.length == length and got.value == crc:
                kept[n] = (etag, crc, length)
            else:
                log.warning("part %d of %s changed since it was sent: sending it again", n, src)
    return kept


async def _confirm_parts(
    engine: RequestEngine,
    bucket: str,
    key: str,
    upload_id: str,
    done: dict[int, tuple[str, int, int]],
) -> dict[int, tuple[str, int, int]] | None:
    """Keep the checkpointed parts that COS still has, unchanged; ``None`` if the upload is gone."""
    try:
        remote = {
            p.part_number: p async for p in multipart.list_parts(engine, bucket, key, upload_id)
        }
    except NoSuchUpload:
        return None
    kept: dict[int, tuple[str, int, int]] = {}
    for n, (etag, crc, size) in done.items():
        part = remote.get(n)
        if part is not None and part.etag == etag and part.size == size:
            if part.crc64 is not None and part.crc64 != crc:
                continue
            kept[n] = (etag, crc, size)
    return kept


# --- upload_stream ----------------------------------------------------------------------------


async def _stream_chunks(source: Any, read_size: int) -> AsyncIterator[bytes]:
    if hasattr(source, "read"):
        reader = source.read
        is_async = asyncio.iscoroutinefunction(reader)
        while True:
            data = (
                await reader(read_size) if is_async else await asyncio.to_thread(reader, read_size)
            )
            if isinstance(data, str):
                raise InvalidArgument("the file object is in text mode; open it with 'rb'")
            if not data:
                return
            yield bytes(data)
    elif isinstance(source, AsyncIterable):
        async for chunk in source:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise InvalidArgument(f"the stream must yield bytes, got {type(chunk).__name__}")
            yield bytes(chunk)
    elif isinstance(source, Iterable) and not isinstance(source, str | bytes | bytearray):
        for chunk in source:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise InvalidArgument(f"the stream must yield bytes, got {type(chunk).__name__}")
            yield bytes(chunk)
    else:
        raise InvalidArgument(
            f"upload_stream needs a binary file object or an iterable of bytes, got {type(source).__name__}"
        )


async def _parts_of(source: Any, part_size: int) -> AsyncIterator[bytes]:
    buf = bytearray()
    async for chunk in _stream_chunks(source, min(part_size, 4 * MiB)):
        buf += chunk
        while len(buf) >= part_size:
            yield bytes(buf[:part_size])
            del buf[:part_size]
    if buf:
        yield bytes(buf)


async def upload_stream(
    engine: RequestEngine,
    bucket: str,
    key: str,
    source: IO[bytes] | Iterable[bytes] | AsyncIterable[bytes],
    *,
    part_size: int,
    concurrency: int,
    progress: ProgressCallback | None,
    write: WriteOptions,
    part: PartOptions,
    extra: Mapping[str, str],
    cipher: ObjectCipher | None = None,
) -> TransferResult:
    """Upload a stream of unknown length; at most ``concurrency + 1`` parts are buffered.
    ``cipher``: client-side encryption (part ``n`` is enciphered as the bytes from
    ``(n - 1) * part_size`` on)."""

    def body_of(data: bytes, offset: int) -> RequestBody:
        body = make_body(data)
        return body if cipher is None else CipheredBody(body, cipher, offset)

    check_concurrency(concurrency)
    if (
        not isinstance(part_size, int)
        or isinstance(part_size, bool)
        or not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE
    ):
        raise InvalidArgument(
            f"part_size must be {MIN_PART_SIZE}..{MAX_PART_SIZE} bytes, got {part_size!r}"
        )
    tracker = ProgressTracker(progress, None)
    parts = _parts_of(source, part_size)
    first = await anext(parts, None)
    second = await anext(parts, None) if first is not None else None
    if second is None:
        data = first or b""
        put = await objects.put_object(
            engine, bucket, key, body_of(data, 0), write=write, part=part, extra=extra
        )
        tracker.total = len(data)
        tracker.finish()
        return TransferResult(
            bucket=bucket,
            key=key,
            size=len(data),
            etag=put.etag,
            crc64=put.crc64,
            version_id=put.version_id,
            request_id=put.request_id,
        )
    upload_id = await initiate_upload(
        engine, bucket, key, write=write, sse_customer_key=part.sse_customer_key, extra=extra
    )
    queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue(maxsize=concurrency)
    done: dict[int, tuple[str, int, int]] = {}

    async def producer() -> None:
        n = 0
        for data in (first, second):
            n += 1
            assert data is not None
            await queue.put((n, data))
        async for data in parts:
            n += 1
            if n > MAX_PARTS:
                raise InvalidArgument(
                    f"the stream needs more than {MAX_PARTS} parts of {part_size} bytes; use a larger part_size"
                )
            await queue.put((n, data))
        for _ in range(concurrency):
            await queue.put(None)

    async def worker() -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            n, data = item
            body = body_of(data, (n - 1) * part_size)
            body.on_open = lambda n=n: tracker.restart(n)
            if tracker.reporting:
                body.on_bytes = lambda k, n=n: tracker.advance(n, k)
            res = await multipart.upload_part(engine, bucket, key, upload_id, n, body, part=part)
            done[n] = (res.etag, res.crc64 if res.crc64 is not None else body.crc.value, len(data))
            tracker.finish_piece(n, len(data))

    tasks = [producer, *([worker] * concurrency)]
    it = iter(tasks)

    async def run_next() -> None:
        await next(it)()

    try:
        await run_workers(len(tasks), run_next)
        numbers = sorted(done)
        expected = combine_all((done[n][1], done[n][2]) for n in numbers)
        result = await multipart.complete_multipart_upload(
            engine, bucket, key, upload_id, [(n, done[n][0]) for n in numbers]
        )
    except BaseException:
        await abort_upload(engine, bucket, key, upload_id)
        raise
    total = sum(d[2] for d in done.values())
    if result.crc64 is not None and result.crc64 != expected:
        raise await assembled_wrongly(
            engine,
            bucket,
            key,
            result.version_id,
            f"{bucket}/{key}: COS assembled CRC64 {result.crc64}, the parts combine to {expected}",
        )
    tracker.total = total
    tracker.finish()
    return TransferResult(
        bucket=bucket,
        key=key,
        size=total,
        etag=result.etag,
        crc64=result.crc64 if result.crc64 is not None else expected,
        version_id=result.version_id,
        parts=len(numbers),
        request_id=result.request_id,
    )
