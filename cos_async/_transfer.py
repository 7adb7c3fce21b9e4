"""Large transfers: concurrent, resumable, CRC64-verified, on the client's operations (its
public API, plus ``_get_range_into`` for a ranged GET straight into a file).

* ``upload_file``: one PUT up to ``threshold``; above it, a multipart upload whose parts go from
  the file through one small reusable buffer per worker (:class:`FilePartBody`) on the
  transport's threaded path, each part's CRC64 checked against COS's answer, and the whole object's CRC64
  obtained by combining the part CRCs (no second pass) and checked against Complete's answer.
* ``download_file``: ranged GETs pinned to the ETag (``If-Match``), received on the threaded path
  through one reusable buffer per worker and written at their offsets into a temporary file
  beside the destination (:class:`RangeSink`), CRC64 of each part combined and checked against
  the object's; renamed into place only when everything checked out, removed otherwise.
* ``checkpoint=path`` makes both resumable after an exception, a cancellation or SIGKILL: the
  checkpoint is an append-only JSON-lines file (a header, then one line per finished part; a torn
  last line is ignored), discarded when the file, the object or the options changed. Without a
  checkpoint a failed or cancelled upload aborts its multipart upload.
* ``copy``, ``upload_stream``, ``upload_dir``, ``download_prefix``, ``delete_prefix``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import posixpath
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from ._body import FilePartBody, FileRangeBody, make_body
from ._crc64 import combine_all
from ._errors import (
    CosClientError,
    CosError,
    CosTransportError,
    IntegrityError,
    InvalidArgument,
    NoSuchUpload,
    PreconditionFailed,
)
from ._models import ObjectMeta, StorageClass
from ._progress import ProgressCallback, ProgressTracker
from ._transport import RangeSink

if TYPE_CHECKING:
    from ._client import AsyncCosClient

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_DOWNLOAD_PART_SIZE",
    "DEFAULT_PART_SIZE",
    "TransferResult",
    "TransferSummary",
    "choose_part_size",
]

log = logging.getLogger("cos_async")

MiB = 1024 * 1024
GiB = 1024 * MiB
MIN_PART_SIZE = 1 * MiB
MAX_PART_SIZE = 5 * GiB
MAX_PARTS = 10000
MAX_SINGLE_PUT = 5 * GiB
DEFAULT_PART_SIZE = 16 * MiB
DEFAULT_DOWNLOAD_PART_SIZE = 16 * MiB
DEFAULT_COPY_PART_SIZE = 64 * MiB
DEFAULT_CONCURRENCY = 8
#: attempts per part for failures after the response started (the client retries the rest)
PART_ATTEMPTS = 3
#: the send buffer of each upload worker (bytes go from the file through it to the socket)
_SEND_BUFFER = 1 << 20
#: the receive buffer of each download worker (bytes go from the socket through it to the file)
_RECEIVE_BUFFER = 1 << 20
_CHECKPOINT_VERSION = 1
T = TypeVar("T")


@attrs.frozen(kw_only=True)
class TransferResult:
    """The outcome of ``upload_file`` / ``upload_stream`` / ``copy`` / ``download_file``."""

    bucket: str
    key: str
    size: int
    etag: str
    crc64: int | None
    version_id: str | None = None
    parts: int = 1
    #: parts found done in the checkpoint and not transferred again
    resumed_parts: int = 0
    request_id: str | None = None


@attrs.frozen(kw_only=True)
class TransferSummary:
    """The outcome of a directory transfer or a prefix delete."""

    transferred: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]
    bytes: int

    @property
    def ok(self) -> bool:
        return not self.failed


def choose_part_size(size: int, requested: int | None, default: int = DEFAULT_PART_SIZE) -> int:
    """A part size in 1 MiB..5 GiB giving at most 10,000 parts (``InvalidArgument`` otherwise)."""
    if requested is not None:
        if not isinstance(requested, int) or not MIN_PART_SIZE <= requested <= MAX_PART_SIZE:
            raise InvalidArgument(
                f"part_size must be {MIN_PART_SIZE}..{MAX_PART_SIZE} bytes, got {requested!r}"
            )
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


def _check_concurrency(concurrency: int) -> int:
    if (
        not isinstance(concurrency, int)
        or isinstance(concurrency, bool)
        or not 1 <= concurrency <= 256
    ):
        raise InvalidArgument(f"concurrency must be 1..256, got {concurrency!r}")
    return concurrency


async def _run_workers(count: int, worker: Callable[[], Awaitable[None]]) -> None:
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


async def _finish_anyway(aw: Awaitable[T], timeout: float = 60.0) -> T | None:
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


# --- checkpoints ------------------------------------------------------------------------------


class _Checkpoint:
    """An append-only JSON-lines file: a header, then one line per finished part."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CosClientError(f"cannot read checkpoint {str(self.path)!r}: {exc}") from exc
        if not lines:
            return None
        try:
            header = json.loads(lines[0])
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("version") != _CHECKPOINT_VERSION:
            return None
        entries: list[dict[str, Any]] = []
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except ValueError:
                # A line torn by a crash: everything before it is good. Rewrite the file without
                # it, or the lines appended after it by this run would be unreadable next time.
                self.start(header)
                for e in entries:
                    self.append(e)
                break
            if isinstance(entry, dict):
                entries.append(entry)
        return header, entries

    def start(self, header: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(
            json.dumps({**header, "version": _CHECKPOINT_VERSION}) + "\n", encoding="utf-8"
        )
        os.replace(tmp, self.path)

    def append(self, entry: Mapping[str, Any]) -> None:
        line = (json.dumps(entry) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _options_digest(options: Mapping[str, Any]) -> str:
    text = json.dumps(options, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- upload_file ------------------------------------------------------------------------------


async def upload_file(
    client: AsyncCosClient,
    bucket: str,
    key: str,
    path: str | os.PathLike[str],
    *,
    part_size: int | None,
    concurrency: int,
    threshold: int | None,
    checkpoint: str | os.PathLike[str] | None,
    progress: ProgressCallback | None,
    traffic_limit: int | None,
    content_md5: bool,
    sse_customer_key: bytes | None,
    object_options: Mapping[str, Any],
) -> TransferResult:
    _check_concurrency(concurrency)
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
    if size <= limit:
        body = FileRangeBody(src)
        body.on_open = lambda: tracker.restart("put")
        if tracker.reporting:
            body.on_bytes = lambda n: tracker.advance("put", n)
        put = await client.put_object(
            bucket,
            key,
            body,
            traffic_limit=traffic_limit,
            content_md5=content_md5,
            sse_customer_key=sse_customer_key,
            **object_options,
        )
        tracker.finish()
        if checkpoint is not None:
            _Checkpoint(checkpoint).remove()
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
    digest = _options_digest(
        {
            "options": object_options,
            "part_size": ps,
            "sse_c": hashlib.sha256(sse_customer_key).hexdigest() if sse_customer_key else None,
        }
    )
    identity = {
        "kind": "upload",
        "bucket": bucket,
        "key": key,
        "file": os.path.abspath(src),
        "size": size,
        "mtime_ns": st.st_mtime_ns,
        "part_size": ps,
        "options": digest,
    }
    ckpt = _Checkpoint(checkpoint) if checkpoint is not None else None
    done: dict[int, tuple[str, int, int]] = {}  # part -> (etag, crc64, size)
    upload_id: str | None = None
    if ckpt is not None:
        loaded = ckpt.load()
        if loaded is not None:
            header, entries = loaded
            if all(header.get(k) == v for k, v in identity.items()) and header.get("upload_id"):
                upload_id = str(header["upload_id"])
                done = {
                    int(e["part"]): (str(e["etag"]), int(e["crc64"]), int(e["size"]))
                    for e in entries
                }
                confirmed = await _confirm_parts(client, bucket, key, upload_id, done)
                if confirmed is None:
                    upload_id, done = None, {}
                else:
                    done = confirmed
            else:
                log.info("checkpoint %s is for another file or options: starting over", ckpt.path)
                stale = header.get("upload_id")
                if stale and header.get("bucket") == bucket and header.get("key") == key:
                    # its multipart upload would otherwise stay on the server, billed
                    await _finish_anyway(client.abort_multipart_upload(bucket, key, str(stale)))
                ckpt.remove()
    resumed = len(done)
    if upload_id is None:
        created = await client.create_multipart_upload(
            bucket, key, sse_customer_key=sse_customer_key, **object_options
        )
        upload_id = created.upload_id
        if ckpt is not None:
            ckpt.start({**identity, "upload_id": upload_id})
    for _etag, _crc, psize in done.values():
        tracker.add_done(psize)

    pending = iter([n for n in range(1, nparts + 1) if n not in done])

    async def worker() -> None:
        # one small send buffer per worker, reused slice after slice and part after part (a
        # slice is only overwritten once the socket has taken it): no fresh memory per part
        buffer: bytearray | None = None
        for n in pending:
            offset = (n - 1) * ps
            length = min(ps, size - offset)
            if os.stat(src).st_size != size:
                raise IntegrityError(f"{os.fspath(path)!r} changed while it was being uploaded")
            if buffer is None:
                buffer = bytearray(min(_SEND_BUFFER, ps))
            body = FilePartBody(src, offset, length, buffer)
            body.on_open = lambda n=n: tracker.restart(n)
            if tracker.reporting:  # else no wake-up of the loop per slice sent
                body.on_bytes = lambda k, n=n: tracker.advance(n, k)
            res = await client.upload_part(
                bucket,
                key,
                upload_id,
                n,
                body,
                traffic_limit=traffic_limit,
                content_md5=content_md5,
                sse_customer_key=sse_customer_key,
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
        await _run_workers(min(concurrency, nparts), worker)
        if os.stat(src).st_mtime_ns != st.st_mtime_ns or os.stat(src).st_size != size:
            raise IntegrityError(f"{os.fspath(path)!r} changed while it was being uploaded")
        expected = combine_all((done[n][1], done[n][2]) for n in range(1, nparts + 1))
        result = await client.complete_multipart_upload(
            bucket, key, upload_id, [(n, done[n][0]) for n in range(1, nparts + 1)]
        )
    except BaseException:
        if ckpt is None:
            await _finish_anyway(client.abort_multipart_upload(bucket, key, upload_id))
        raise
    if ckpt is not None:
        ckpt.remove()
    if result.crc64 is not None and result.crc64 != expected:
        raise IntegrityError(
            f"{bucket}/{key}: COS assembled CRC64 {result.crc64}, the parts combine to {expected}"
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


async def _confirm_parts(
    client: AsyncCosClient,
    bucket: str,
    key: str,
    upload_id: str,
    done: dict[int, tuple[str, int, int]],
) -> dict[int, tuple[str, int, int]] | None:
    """Keep the checkpointed parts that COS still has, unchanged; ``None`` if the upload is gone."""
    try:
        remote = {p.part_number: p async for p in client.list_parts(bucket, key, upload_id)}
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
    client: AsyncCosClient,
    bucket: str,
    key: str,
    source: IO[bytes] | Iterable[bytes] | AsyncIterable[bytes],
    *,
    part_size: int,
    concurrency: int,
    progress: ProgressCallback | None,
    traffic_limit: int | None,
    object_options: Mapping[str, Any],
) -> TransferResult:
    """Upload a stream of unknown length; at most ``concurrency + 1`` parts are buffered."""
    _check_concurrency(concurrency)
    if not isinstance(part_size, int) or not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
        raise InvalidArgument(
            f"part_size must be {MIN_PART_SIZE}..{MAX_PART_SIZE} bytes, got {part_size!r}"
        )
    tracker = ProgressTracker(progress, None)
    parts = _parts_of(source, part_size)
    first = await anext(parts, None)
    second = await anext(parts, None) if first is not None else None
    if second is None:
        data = first or b""
        put = await client.put_object(
            bucket, key, data, traffic_limit=traffic_limit, **object_options
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
    created = await client.create_multipart_upload(bucket, key, **object_options)
    upload_id = created.upload_id
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
            body = make_body(data)
            body.on_open = lambda n=n: tracker.restart(n)
            if tracker.reporting:
                body.on_bytes = lambda k, n=n: tracker.advance(n, k)
            res = await client.upload_part(
                bucket, key, upload_id, n, body, traffic_limit=traffic_limit
            )
            done[n] = (res.etag, res.crc64 if res.crc64 is not None else body.crc.value, len(data))
            tracker.finish_piece(n, len(data))

    tasks = [producer, *([worker] * concurrency)]
    it = iter(tasks)

    async def run_next() -> None:
        await next(it)()

    try:
        await _run_workers(len(tasks), run_next)
        numbers = sorted(done)
        expected = combine_all((done[n][1], done[n][2]) for n in numbers)
        result = await client.complete_multipart_upload(
            bucket, key, upload_id, [(n, done[n][0]) for n in numbers]
        )
    except BaseException:
        await _finish_anyway(client.abort_multipart_upload(bucket, key, upload_id))
        raise
    total = sum(d[2] for d in done.values())
    if result.crc64 is not None and result.crc64 != expected:
        raise IntegrityError(
            f"{bucket}/{key}: COS assembled CRC64 {result.crc64}, the parts combine to {expected}"
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


# --- download_file ----------------------------------------------------------------------------


async def _fetch_range(
    client: AsyncCosClient,
    bucket: str,
    key: str,
    sink: RangeSink,
    *,
    etag: str,
    version_id: str | None,
    traffic_limit: int | None,
    sse_customer_key: bytes | None,
    tracker: ProgressTracker,
    piece: object,
) -> int:
    """GET the sink's range into its file; returns the CRC64 of the bytes written. A body cut
    short or damaged is fetched again (``PART_ATTEMPTS``)."""
    start, end = sink.offset, sink.offset + sink.length
    for attempt in range(1, PART_ATTEMPTS + 1):
        tracker.restart(piece)
        try:
            await client._get_range_into(
                bucket,
                key,
                sink,
                if_match=etag,
                version_id=version_id,
                traffic_limit=traffic_limit,
                sse_customer_key=sse_customer_key,
                # no callback: no wake-up of the loop per buffer received
                on_bytes=(lambda n: tracker.advance(piece, n)) if tracker.reporting else None,
            )
            if sink.written != sink.length:
                raise CosTransportError(f"range {start}-{end - 1} returned {sink.written} bytes")
            return sink.crc.value
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
    client: AsyncCosClient,
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
    traffic_limit: int | None,
    sse_customer_key: bytes | None,
    verify_crc: bool,
    fsync: bool,
) -> TransferResult:
    _check_concurrency(concurrency)
    dest = Path(path)
    if dest.is_dir():
        raise InvalidArgument(f"destination is a directory: {os.fspath(path)!r}")
    if not dest.parent.is_dir():
        raise InvalidArgument(
            f"the destination's directory does not exist: {os.fspath(dest.parent)!r}"
        )
    meta = await client.head_object(
        bucket, key, version_id=version_id, sse_customer_key=sse_customer_key
    )
    size = meta.size
    ps = choose_part_size(size, part_size, DEFAULT_DOWNLOAD_PART_SIZE)
    limit = ps if threshold is None else threshold
    tracker = ProgressTracker(progress, size)
    ckpt = _Checkpoint(checkpoint) if checkpoint is not None else None
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
    done: dict[int, int] = {}  # part -> crc64
    tmp: Path | None = None
    if ckpt is not None:
        loaded = ckpt.load()
        if loaded is not None:
            header, entries = loaded
            tmp_name = header.get("tmp")
            if (
                all(header.get(k) == v for k, v in identity.items())
                and isinstance(tmp_name, str)
                and Path(tmp_name).is_file()
                and Path(tmp_name).stat().st_size == size
            ):
                tmp = Path(tmp_name)
                done = {int(e["part"]): int(e["crc64"]) for e in entries}
            else:
                log.info("checkpoint %s no longer matches the object: starting over", ckpt.path)
                _unlink(header.get("tmp") if isinstance(header.get("tmp"), str) else None)
                ckpt.remove()
    resumed = len(done)
    if tmp is None:
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.cos-download")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        os.ftruncate(fd, size)
        if ckpt is not None:
            ckpt.start({**identity, "tmp": str(tmp)})
    else:
        fd = os.open(tmp, os.O_RDWR)
    nparts = max(1, math.ceil(size / ps)) if size > limit else 1
    part_len = ps if nparts > 1 else max(size, 1)

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
            for n in pending:
                start, end = span(n)
                if end <= start:
                    done[n] = 0
                    continue
                if buffer is None:
                    buffer = bytearray(min(_RECEIVE_BUFFER, part_len))
                crc = await _fetch_range(
                    client,
                    bucket,
                    key,
                    RangeSink(fd, start, end - start, buffer),
                    etag=meta.etag,
                    version_id=version_id,
                    traffic_limit=traffic_limit,
                    sse_customer_key=sse_customer_key,
                    tracker=tracker,
                    piece=n,
                )
                done[n] = crc
                tracker.finish_piece(n, end - start)
                if ckpt is not None:
                    ckpt.append({"part": n, "crc64": crc})

        for round_no in range(1, PART_ATTEMPTS + 1):
            try:
                await _run_workers(min(concurrency, nparts), worker)
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
        os.replace(tmp, dest)
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


def _unlink(path: str | None) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


# --- copy -------------------------------------------------------------------------------------


async def copy(
    client: AsyncCosClient,
    src_bucket: str,
    src_key: str,
    dst_bucket: str,
    dst_key: str,
    *,
    source_version_id: str | None,
    part_size: int | None,
    concurrency: int,
    threshold: int,
    progress: ProgressCallback | None,
    metadata_directive: Literal["Copy", "Replaced"],
    object_options: Mapping[str, Any],
) -> TransferResult:
    """Copy any size: ``copy_object`` up to ``threshold`` (5 GiB), concurrent part copies above.
    The source's metadata is kept unless ``metadata_directive="Replaced"``."""
    _check_concurrency(concurrency)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise InvalidArgument(f"threshold must be a number of bytes >= 0, got {threshold!r}")
    meta = await client.head_object(src_bucket, src_key, version_id=source_version_id)
    size = meta.size
    tracker = ProgressTracker(progress, size)
    if size <= threshold:
        res = await client.copy_object(
            dst_bucket,
            dst_key,
            source_bucket=src_bucket,
            source_key=src_key,
            source_version_id=source_version_id,
            metadata_directive=metadata_directive,
            if_match=meta.etag,
            **object_options,
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
    options = dict(object_options)
    traffic_limit = options.pop("traffic_limit", None)  # per part copy, not an object option
    if metadata_directive == "Copy":
        if any(k in options for k in _CONTENT_OPTIONS):
            raise InvalidArgument("content headers and metadata need metadata_directive='Replaced'")
        options.update(_options_from_meta(meta))
    created = await client.create_multipart_upload(dst_bucket, dst_key, **options)
    upload_id = created.upload_id
    nparts = math.ceil(size / ps)
    done: dict[int, tuple[str, int | None, int]] = {}
    pending = iter(range(1, nparts + 1))

    async def worker() -> None:
        for n in pending:
            start = (n - 1) * ps
            end = min(size, start + ps) - 1
            res = await client.upload_part_copy(
                dst_bucket,
                dst_key,
                upload_id,
                n,
                source_bucket=src_bucket,
                source_key=src_key,
                source_version_id=source_version_id,
                source_range=(start, end),
                if_match=meta.etag,
                traffic_limit=traffic_limit,
            )
            done[n] = (res.etag, res.crc64, end - start + 1)
            tracker.finish_piece(n, end - start + 1)

    try:
        await _run_workers(min(concurrency, nparts), worker)
        result = await client.complete_multipart_upload(
            dst_bucket, dst_key, upload_id, [(n, done[n][0]) for n in range(1, nparts + 1)]
        )
    except BaseException:
        await _finish_anyway(client.abort_multipart_upload(dst_bucket, dst_key, upload_id))
        raise
    if meta.crc64 is not None and result.crc64 is not None and result.crc64 != meta.crc64:
        raise IntegrityError(
            f"copy of {src_bucket}/{src_key}: the copy has CRC64 {result.crc64}, the source {meta.crc64}"
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


_CONTENT_OPTIONS = (
    "content_type",
    "content_disposition",
    "content_encoding",
    "content_language",
    "cache_control",
    "expires",
    "metadata",
)


def _options_from_meta(meta: ObjectMeta) -> dict[str, Any]:
    out: dict[str, Any] = {"metadata": dict(meta.metadata) or None}
    for name in (
        "content_type",
        "content_disposition",
        "content_encoding",
        "content_language",
        "cache_control",
        "expires",
    ):
        value = getattr(meta, name)
        if value is not None:
            out[name] = value
    if meta.storage_class and meta.storage_class != StorageClass.STANDARD.value:
        out.setdefault("storage_class", meta.storage_class)
    return out


# --- directories ------------------------------------------------------------------------------


def _safe_relative(key: str, prefix: str) -> str | None:
    """The local relative path for ``key`` below ``prefix``, or ``None`` if it would escape."""
    rel = key[len(prefix) :].lstrip("/") if prefix else key
    if not rel and key == prefix and not key.endswith("/"):
        rel = posixpath.basename(key)  # the prefix names one object: keep its file name
    if not rel or rel.endswith("/"):
        return ""
    if key.startswith("/") or "\\" in rel or "\x00" in rel:
        return None
    norm = posixpath.normpath(rel)
    if norm.startswith("../") or norm == ".." or posixpath.isabs(norm) or norm == ".":
        return None
    if any(part == ".." for part in rel.split("/")):
        return None
    return norm


async def download_prefix(
    client: AsyncCosClient,
    bucket: str,
    prefix: str,
    local_dir: str | os.PathLike[str],
    *,
    concurrency: int,
    part_size: int | None,
    progress: ProgressCallback | None,
) -> TransferSummary:
    """Download every object under ``prefix`` into ``local_dir``. Keys that would land outside
    ``local_dir`` (``..``, absolute paths) are refused before anything is written."""
    _check_concurrency(concurrency)
    root = Path(local_dir)
    objects = [o async for o in client.list_objects(bucket, prefix=prefix)]
    unsafe = [o.key for o in objects if _safe_relative(o.key, prefix) is None]
    if unsafe:
        raise InvalidArgument(
            f"refusing to download: these keys would land outside {os.fspath(root)!r}: {unsafe[:10]!r}"
            + (f" and {len(unsafe) - 10} more" if len(unsafe) > 10 else "")
        )
    root.mkdir(parents=True, exist_ok=True)
    total = sum(o.size for o in objects)
    tracker = ProgressTracker(progress, total)
    transferred: list[str] = []
    skipped: list[str] = []
    failed: list[tuple[str, str]] = []
    nbytes = 0
    queue = iter(objects)

    async def worker() -> None:
        nonlocal nbytes
        for obj in queue:
            rel = _safe_relative(obj.key, prefix)
            if not rel:
                skipped.append(obj.key)  # a "directory" marker
                continue
            target = root / rel
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                await client.download_file(
                    bucket, obj.key, target, part_size=part_size, concurrency=2
                )
            except (CosError, OSError) as exc:
                failed.append((obj.key, f"{type(exc).__name__}: {exc}"))
                continue
            transferred.append(obj.key)
            nbytes += obj.size
            tracker.finish_piece(obj.key, obj.size)

    await _run_workers(min(concurrency, max(1, len(objects))), worker)
    tracker.finish()
    return TransferSummary(
        transferred=tuple(sorted(transferred)),
        skipped=tuple(sorted(skipped)),
        failed=tuple(sorted(failed)),
        bytes=nbytes,
    )


async def upload_dir(
    client: AsyncCosClient,
    local_dir: str | os.PathLike[str],
    bucket: str,
    prefix: str,
    *,
    concurrency: int,
    part_size: int | None,
    progress: ProgressCallback | None,
) -> TransferSummary:
    """Upload every file under ``local_dir`` to ``prefix`` + its relative path ('/'-separated)."""
    _check_concurrency(concurrency)
    root = Path(local_dir)
    if not root.is_dir():
        raise InvalidArgument(f"not a directory: {os.fspath(local_dir)!r}")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    skipped = sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if not p.is_file() and not p.is_dir()
    )
    total = sum(p.stat().st_size for p in files)
    tracker = ProgressTracker(progress, total)
    transferred: list[str] = []
    failed: list[tuple[str, str]] = []
    nbytes = 0
    queue = iter(files)

    async def worker() -> None:
        nonlocal nbytes
        for p in queue:
            key = prefix + p.relative_to(root).as_posix()
            try:
                res = await client.upload_file(bucket, key, p, part_size=part_size, concurrency=2)
            except (CosError, OSError) as exc:
                failed.append((key, f"{type(exc).__name__}: {exc}"))
                continue
            transferred.append(key)
            nbytes += res.size
            tracker.finish_piece(key, res.size)

    await _run_workers(min(concurrency, max(1, len(files))), worker)
    tracker.finish()
    return TransferSummary(
        transferred=tuple(sorted(transferred)),
        skipped=tuple(skipped),
        failed=tuple(sorted(failed)),
        bytes=nbytes,
    )


async def delete_prefix(client: AsyncCosClient, bucket: str, prefix: str) -> TransferSummary:
    """Delete every object under ``prefix`` (1000 per request)."""
    if not prefix:
        raise InvalidArgument(
            "delete_prefix needs a non-empty prefix (to empty a bucket, pass it explicitly per key)"
        )
    keys = [o.key async for o in client.list_objects(bucket, prefix=prefix)]
    result = await client.delete_objects(bucket, keys)
    failed = tuple((e.key, f"{e.code}: {e.message}") for e in result.errors)
    deleted = tuple(sorted(d.key for d in result.deleted))
    return TransferSummary(transferred=deleted, skipped=(), failed=failed, bytes=0)
