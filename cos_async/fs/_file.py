"""The file object of :class:`~cos_async.fs.CosFileSystem` and its read cache.

Reading (``"rb"``): :class:`CosReadCache` keeps the file in aligned blocks of ``block_size``
bytes, each one ranged GET pinned to the ETag the file was opened with (an object replaced while
it is read fails with :class:`~cos_async.PreconditionFailed` instead of mixing two versions).
Reads that go on where the last one ended are *sequential*: they fetch whole blocks and start
``readahead`` more in the background, concurrently, over the client's pool. Other reads shorter
than a block (a parquet footer, a column chunk) are *random*: they fetch just their bytes (at
least ``MIN_RANDOM_READ``), so a footer read never downloads the file. Blocks read in order are
checked against the object's CRC-64 once the last one has arrived.

Writing (``"wb"``, ``"xb"``): bytes are buffered up to ``block_size``; a file that never fills a
block is one PUT at ``close()``; past a block, the blocks stream into
:meth:`~cos_async.AsyncCosClient.upload_stream` (a multipart upload, parts uploaded concurrently,
every part and the assembled object CRC-64-checked). An exception inside ``with fs.open(...)``,
or :meth:`CosFile.discard`, aborts the upload: nothing is written.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import io
from types import TracebackType
from typing import TYPE_CHECKING, Any

from fsspec.asyn import sync
from fsspec.caching import BaseCache
from fsspec.spec import AbstractBufferedFile

from cos_async import AsyncCosClient, IntegrityError, InvalidArgument, InvalidRange
from cos_async._crc64 import Crc64
from cos_async._limits import MIN_PART_SIZE

if TYPE_CHECKING:
    from ._core import CosFileSystem

__all__ = ["MIN_RANDOM_READ", "CosFile", "CosReadCache"]

#: the least a random read fetches (reads of a few bytes near each other then hit the cache)
MIN_RANDOM_READ = 64 * 1024
#: random reads kept for the reads that follow them
_EXTENTS = 4


def _write_options() -> frozenset[str]:
    """The keyword options both ``put_object`` and ``upload_stream`` take (what ``open(path,
    "wb", **options)`` may set: content_type, metadata, storage_class, ...)."""

    def keywords(fn: Any) -> set[str]:
        return {
            name
            for name, p in inspect.signature(fn).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }

    shared = keywords(AsyncCosClient.put_object) & keywords(AsyncCosClient.upload_stream)
    return frozenset(shared - {"progress", "part_size", "concurrency"})


WRITE_OPTIONS = _write_options()


class CosReadCache(BaseCache):  # type: ignore[misc]  # fsspec is untyped
    """Blocks of a file read with ranged GETs on the filesystem's loop, with readahead (see the
    module docstring). ``cache_type="cos"``, the default of :meth:`CosFileSystem.open`;
    ``cache_options={"readahead": n}`` sets how many blocks a sequential read fetches ahead."""

    name = "cos"

    def __init__(
        self,
        blocksize: int,
        fetcher: Any,
        size: int,
        *,
        file: CosFile,
        readahead: int,
        etag: str | None,
        crc64: int | None,
    ) -> None:
        super().__init__(blocksize, fetcher, size)
        if not isinstance(readahead, int) or isinstance(readahead, bool) or readahead < 0:
            raise InvalidArgument(f"readahead must be an integer >= 0, got {readahead!r}")
        self._file = file
        self.readahead = readahead
        self.etag = etag
        self.nblocks = (size + blocksize - 1) // blocksize
        #: blocks by number, least recently used first (touched on the loop thread only)
        self._blocks: collections.OrderedDict[int, bytes] = collections.OrderedDict()
        self._pending: dict[int, asyncio.Task[bytes]] = {}
        self._extents: collections.deque[tuple[int, bytes]] = collections.deque(maxlen=_EXTENTS)
        self._max_blocks = readahead + 2
        #: where the last read ended (the next sequential read starts there)
        self._next = 0
        #: the block the last loop-side read ended in (reads inside it need no hop)
        self._current: int | None = None
        self._crc = Crc64()
        self._expected_crc = crc64
        #: set once the blocks read in order do not match the object's CRC-64: every read
        #: from then on raises it
        self._damaged: IntegrityError | None = None

    # --- the caller's thread -----------------------------------------------------------------

    def _fetch(self, start: int | None, stop: int | None) -> bytes:
        start = 0 if start is None else start
        stop = self.size if stop is None else min(stop, self.size)
        if start >= stop:
            return b""
        if self._damaged is not None:
            raise self._damaged
        first = start // self.blocksize
        if first == self._current and (stop - 1) // self.blocksize == first:
            block = self._blocks.get(first)  # an atomic dict read; the loop may evict meanwhile
            if block is not None:
                self.hit_count += 1
                self._next = stop
                offset = first * self.blocksize
                return block[start - offset : stop - offset]
        fs = self._file.fs
        data: bytes = sync(fs.loop, self._read, start, stop)
        return data

    # --- the loop ----------------------------------------------------------------------------

    async def _read(self, start: int, stop: int) -> bytes:
        for origin, data in self._extents:
            if origin <= start and stop <= origin + len(data):
                self.hit_count += 1
                self._next = stop
                return data[start - origin : stop - origin]
        bs = self.blocksize
        first, last = start // bs, (stop - 1) // bs
        wanted = range(first, last + 1)
        held = all(b in self._blocks or b in self._pending for b in wanted)
        sequential = start == self._next
        self._next = stop
        if not (sequential or held) and stop - start < bs:
            self.miss_count += 1
            end = min(self.size, max(stop, start + MIN_RANDOM_READ))
            data = await self._get(start, end)
            self._extents.append((start, data))
            return data[: stop - start]
        ahead = range(last + 1, min(last + 1 + self.readahead, self.nblocks)) if sequential else ()
        for b in (*wanted, *ahead):
            if b not in self._blocks and b not in self._pending:
                self._start_block(b)
        if held:
            self.hit_count += 1
        else:
            self.miss_count += 1
        blocks = [await self._block(b) for b in wanted]
        if self._damaged is not None:
            raise self._damaged
        self._current = last
        self._evict(keep=set(wanted))
        if first == last:
            return blocks[0][start - first * bs : stop - first * bs]
        out = [blocks[0][start - first * bs :], *blocks[1:-1], blocks[-1][: stop - last * bs]]
        return b"".join(out)

    def _start_block(self, b: int) -> None:
        task = asyncio.get_running_loop().create_task(self._fetch_block(b))
        # a readahead block nobody reads (the file was closed): its error is not worth a warning
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        self._pending[b] = task

    async def _fetch_block(self, b: int) -> bytes:
        try:
            start = b * self.blocksize
            data = await self._get(start, min(self.size, start + self.blocksize))
        finally:
            self._pending.pop(b, None)
        self._blocks[b] = data
        self._check_crc()
        return data

    async def _block(self, b: int) -> bytes:
        block = self._blocks.get(b)
        if block is not None:
            self._blocks.move_to_end(b)
            return block
        task = self._pending.get(b)
        if task is None:  # fetched, then evicted by a concurrent read: fetch it again
            self._start_block(b)
            task = self._pending[b]
        return await asyncio.shield(task)

    def _evict(self, keep: set[int]) -> None:
        while len(self._blocks) > max(self._max_blocks, len(keep)):
            for b in self._blocks:
                if b not in keep:
                    del self._blocks[b]
                    break
            else:  # pragma: no cover - every block is wanted (a huge read)
                return

    async def _get(self, start: int, end: int) -> bytes:
        """Bytes ``start..end`` (exclusive) of the object, as it was when the file was opened."""
        f = self._file
        self.total_requested_bytes += end - start
        cos = f.fs._client()
        try:
            body = await cos.get_object(f.bucket, f.key, range=(start, end - 1), if_match=self.etag)
        except InvalidRange:  # the object is shorter than it was: it changed
            raise IntegrityError(
                f"cos://{f.path}: bytes {start}..{end - 1} are gone; the object changed while "
                "it was read"
            ) from None
        want, got = end - start, 0
        parts: list[bytes] = []
        async with body:  # never more than was asked for: a bad answer is refused, not kept
            if body.size != want:
                raise IntegrityError(
                    f"cos://{f.path}: asked for bytes {start}..{end - 1}, the answer has "
                    f"{body.size} bytes"
                )
            async for chunk in body.iter_chunks():
                got += len(chunk)
                if got > want:
                    raise IntegrityError(
                        f"cos://{f.path}: asked for {want} bytes from {start}, got more"
                    )
                parts.append(chunk)
        if got != want:
            raise IntegrityError(f"cos://{f.path}: asked for {want} bytes from {start}, got {got}")
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _check_crc(self) -> None:
        """Feed the blocks that continue the in-order prefix to the CRC-64; check it at the end
        (a file read out of order, or with blocks evicted before their turn, is not checked).
        A mismatch is kept in ``_damaged`` for the reads to raise (this runs in whichever
        block's task completes the prefix, perhaps a readahead nobody awaits)."""
        while self._crc.length < self.size:
            b, rest = divmod(self._crc.length, self.blocksize)
            block = self._blocks.get(b)
            if rest or block is None:
                return
            self._crc.update(block)
        if self._expected_crc is not None and self._crc.value != self._expected_crc:
            self._damaged = IntegrityError(
                f"cos://{self._file.path}: CRC64 mismatch: read {self._crc.value}, COS says "
                f"{self._expected_crc}"
            )

    @property
    def verified(self) -> bool:
        """True once the whole file was read in order and matched the object's CRC-64."""
        return (
            self._expected_crc is not None
            and self._crc.length == self.size
            and self._crc.value == self._expected_crc
        )

    async def _cancel(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._blocks.clear()
        self._extents.clear()

    def close(self) -> None:
        """Stop the readahead in flight and drop the blocks (called when the file closes)."""
        loop = self._file.fs.loop
        if self._pending and loop is not None and not loop.is_closed():
            with contextlib.suppress(Exception):
                sync(loop, self._cancel, timeout=30)
        self._blocks.clear()
        self._extents.clear()


class CosFile(AbstractBufferedFile):  # type: ignore[misc]  # fsspec is untyped
    """A file of :class:`~cos_async.fs.CosFileSystem` (see the module docstring). Made by
    ``fs.open(path, mode)``: ``"rb"`` to read, ``"wb"`` to write, ``"xb"`` to write a new object
    (``FileExistsError`` when it exists). Write options (``content_type``, ``metadata``,
    ``storage_class``, ...) are keyword arguments of ``open``."""

    fs: CosFileSystem

    def __init__(
        self,
        fs: CosFileSystem,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = None,
        autocommit: bool = True,
        cache_type: str = "cos",
        cache_options: dict[str, Any] | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> None:
        bucket, key = fs.split_path(path)
        if not key:
            raise IsADirectoryError(f"cannot open a bucket as a file: cos://{path}")
        self.bucket, self.key = bucket, key
        if block_size is None or block_size == "default":
            block_size = fs.default_block_size
        if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size < 1:
            raise InvalidArgument(f"block_size must be a positive integer, got {block_size!r}")
        if mode not in ("rb", "wb", "xb"):
            raise InvalidArgument(
                f"mode must be 'rb', 'wb' or 'xb' (or their text forms), got {mode!r}: COS "
                "objects are written whole, not appended to"
            )
        self._task: asyncio.Task[Any] | None = None
        self._queue: asyncio.Queue[bytes | None] | None = None
        self._small: bytes | None = None
        cache_options = dict(cache_options or {})
        if mode == "rb":
            if kwargs:
                raise InvalidArgument(f"unknown option(s) for reading: {', '.join(sorted(kwargs))}")
            readahead = cache_options.pop("readahead", fs.default_readahead)
            details = None
            if size is None:
                details = fs.info(path, refresh=True)
                if details["type"] != "file":
                    raise IsADirectoryError(f"cos://{path} is a directory")
                size = details["size"]
                self._details = details
            ours = cache_type == "cos"
            super().__init__(
                fs,
                path,
                mode,
                block_size,
                autocommit,
                cache_type="none" if ours else cache_type,
                cache_options=None if ours else cache_options,
                size=size,
            )
            if ours:
                if cache_options:
                    raise InvalidArgument(
                        f"unknown cache option(s): {', '.join(sorted(cache_options))}"
                    )
                self.cache = CosReadCache(
                    block_size,
                    self._fetch_range,
                    size,
                    file=self,
                    readahead=readahead,
                    etag=details.get("ETag") if details else None,
                    crc64=details.get("crc64") if details else None,
                )
            return
        unknown = set(kwargs) - WRITE_OPTIONS
        if unknown:
            raise InvalidArgument(
                f"unknown option(s) for writing: {', '.join(sorted(unknown))} (writes take "
                f"{', '.join(sorted(WRITE_OPTIONS))})"
            )
        if block_size < MIN_PART_SIZE:
            raise InvalidArgument(
                f"block_size for writing must be at least {MIN_PART_SIZE} bytes (COS's least "
                f"part size), got {block_size}"
            )
        if mode == "xb" and fs.exists(path):
            raise FileExistsError(f"cos://{path} exists")
        super().__init__(fs, path, mode, block_size, autocommit, cache_options=cache_options)
        self.kwargs = kwargs

    # --- reading -----------------------------------------------------------------------------

    def _fetch_range(self, start: int, end: int) -> bytes:
        data: bytes = self.fs.cat_file(self.path, start=start, end=end)
        return data

    # --- writing -----------------------------------------------------------------------------

    def _initiate_upload(self) -> None:
        """Nothing yet: the upload starts with the first full block (a file smaller than one
        block is a single PUT at close)."""

    def _upload_chunk(self, final: bool = False) -> bool:
        data = self.buffer.getvalue()
        loop = self.fs.loop
        if self._task is None and final:
            self._small = data
        else:
            if self._task is None:
                sync(loop, self._start)
            if data:
                sync(loop, self._feed, data)
        if final and self.autocommit:
            self.commit()
        return True

    async def _start(self) -> None:
        cos = self.fs._client()
        self._queue = asyncio.Queue(maxsize=1)
        self._task = asyncio.ensure_future(
            cos.upload_stream(
                self.bucket,
                self.key,
                self._chunks(),
                part_size=self.blocksize,
                concurrency=self.fs.concurrency,
                **self.kwargs,
            )
        )

    async def _chunks(self) -> Any:
        assert self._queue is not None
        while (chunk := await self._queue.get()) is not None:
            yield chunk

    async def _feed(self, data: bytes | None) -> None:
        """Hand ``data`` (``None``: the end) to the upload; raise its error if it failed."""
        assert self._queue is not None
        assert self._task is not None
        put = asyncio.ensure_future(self._queue.put(data))
        await asyncio.wait({put, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await put
        if self._task.done():
            self._task.result()  # raises the upload's error

    async def _finish(self) -> None:
        assert self._task is not None
        await self._feed(None)
        await self._task

    def commit(self) -> None:
        """Write the object: the single PUT of a small file, or the completion of its multipart
        upload (called by ``close()``, or by a transaction that ends well)."""
        if self._task is not None:
            sync(self.fs.loop, self._finish)
            self._task = None
        elif self._small is not None:
            data, self._small = self._small, None
            self.fs.pipe_file(self.path, data, **self.kwargs)
        self.fs.invalidate_cache(self.path)

    def discard(self) -> None:
        """Throw the written bytes away: abort the multipart upload (if one started); the object
        is not written."""
        task, self._task = self._task, None
        self._small = None
        if task is not None and not task.done():
            sync(self.fs.loop, _cancelled, task)
        elif task is not None:
            with contextlib.suppress(BaseException):
                task.result()
        if self.mode != "rb":
            self.buffer = io.BytesIO()

    def close(self) -> None:
        """Close: a written file is committed (unless in a transaction); a read file stops its
        readahead."""
        if self.closed:
            return
        try:
            super().close()
        except BaseException:
            if self.mode != "rb":
                self.discard()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        closed: bool = getattr(self, "_closed", True)
        if exc_type is not None and self.mode != "rb" and not closed:
            # the block raised: what was written is incomplete, never make it an object
            try:
                self.discard()
            finally:
                self.closed = True
            return
        self.close()


async def _cancelled(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` (an upload: it aborts its multipart upload) and wait for it."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
