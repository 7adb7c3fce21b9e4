"""Request bodies (what ``put_object`` and friends accept) and the streaming object body.

Request bodies are streamed to aiohttp as an async generator of slices of at most
``CHUNK`` bytes with an explicit ``Content-Length`` when the length is known (handing aiohttp one
large ``bytes`` costs 10x the CPU). Each attempt of a request gets a fresh stream; a body that
cannot be produced again (an iterator, a non-seekable file) is *one-shot* and is never replayed.
The CRC-64 of what was sent is computed on the way, to check the server's answer.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import hashlib
import inspect
import os
import threading
import uuid
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Protocol, cast

from ._crc64 import Crc64
from ._errors import CosTransportError, IntegrityError, InvalidArgument
from ._models import ObjectMeta

__all__ = [
    "CHUNK",
    "CIPHER_SLACK",
    "Body",
    "CipheredBody",
    "Keystream",
    "ObjectBody",
    "ObjectCipher",
    "RangeSink",
    "RequestBody",
    "ThreadedBody",
    "about_destination",
    "make_body",
    "temporary_beside",
    "write_atomically",
]

CHUNK = 1 << 20
_FILE_CHUNK = 1 << 20  # 1 MiB reads: allocations small enough to be reused hot


# --- positional file I/O ----------------------------------------------------------------------


class _LockedPositionalIO:
    """``pread``/``pwrite`` where the platform has none (Windows): a seek and a read or write
    under one lock per file descriptor, so that the workers of a transfer, which share the
    descriptor, never interleave a seek and its read or write."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}

    def _lock(self, fd: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(fd, threading.Lock())

    def pread(self, fd: int, n: int, offset: int) -> bytes:
        with self._lock(fd):
            os.lseek(fd, offset, os.SEEK_SET)
            return os.read(fd, n)

    def pwrite(self, fd: int, data: bytes | memoryview, offset: int) -> int:
        with self._lock(fd):
            os.lseek(fd, offset, os.SEEK_SET)
            return os.write(fd, data)


class _NativePositionalIO:
    """The platform's ``os.pread`` / ``os.pwrite`` (no shared file position, no lock)."""

    def pread(self, fd: int, n: int, offset: int) -> bytes:
        return os.pread(fd, n, offset)

    def pwrite(self, fd: int, data: bytes | memoryview, offset: int) -> int:
        return os.pwrite(fd, data, offset)


#: positional reads and writes of transfers: native where the platform has them
positional_io: _LockedPositionalIO | _NativePositionalIO = (
    _NativePositionalIO()
    if hasattr(os, "pread") and hasattr(os, "pwrite")
    else _LockedPositionalIO()
)


class Keystream(Protocol):
    """A length-preserving cipher running from one offset of an object on (a ``cryptography``
    AES-CTR context): each call transforms the bytes that follow those of the previous one."""

    def update(self, data: bytes | memoryview, /) -> bytes: ...

    def update_into(self, data: bytes | memoryview, buf: bytearray | memoryview, /) -> int: ...


#: what a buffer that ``Keystream.update_into`` writes into needs beyond the data: a block less
#: one byte (``cryptography`` 42 asks for it even in CTR mode, which writes no more)
CIPHER_SLACK = 15


class ObjectCipher(Protocol):
    """Client-side encryption of one object (``cos_async.crypto``): a length-preserving cipher
    addressed by the offset in the object, in which encrypting and decrypting are the same
    operation (AES-CTR). The bodies, sinks and object bodies here take one and never know more
    of it; the CRC-64 they compute is always that of the bytes on the wire, as COS computes it."""

    def at(self, offset: int) -> Keystream:
        """The cipher from byte ``offset`` of the object on."""
        ...


class RequestBody(abc.ABC):
    """A body that can open a fresh byte stream for each attempt (if ``replayable``)."""

    length: int | None = None
    replayable: bool = True
    #: a body that sends itself from a worker thread (:class:`ThreadedBody`): the transport
    #: gives it the threaded path
    sends_itself: ClassVar[bool] = False
    #: CRC-64 of the bytes of the last attempt (complete when its stream was exhausted)
    crc: Crc64

    def __init__(self) -> None:
        self.crc = Crc64()
        self._opened = False
        #: called with the size of each chunk as it is handed to the connection
        self.on_bytes: Callable[[int], None] | None = None
        #: called when a (new) attempt opens the body
        self.on_open: Callable[[], None] | None = None

    def begin(self) -> None:
        """Start an attempt: the CRC-64 counts from the first byte again (a one-shot body that
        was opened before cannot start again)."""
        if self._opened and not self.replayable:
            raise InvalidArgument(
                "a one-shot body (iterator or non-seekable file) cannot be sent twice"
            )
        self._opened = True
        self.crc = Crc64()
        if self.on_open is not None:
            self.on_open()

    def stream(self) -> AsyncIterator[bytes | memoryview]:
        """The bytes of the attempt :meth:`begin` started, CRC-64 counted on the way."""
        return self._tracked(self._stream())

    def open(self) -> AsyncIterator[bytes | memoryview]:
        """:meth:`begin` an attempt and return its :meth:`stream`."""
        self.begin()
        return self.stream()

    async def _tracked(
        self, stream: AsyncIterator[bytes | memoryview]
    ) -> AsyncIterator[bytes | memoryview]:
        crc = self.crc
        on_bytes = self.on_bytes
        async for chunk in stream:
            if chunk:
                crc.update(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
                yield chunk

    @abc.abstractmethod
    def _stream(self) -> AsyncIterator[bytes | memoryview]:
        """A fresh stream of the body's bytes (one per attempt)."""

    async def content_md5(self) -> str:
        """Base64 MD5 of the whole body (needs a replayable body: it reads it once more)."""
        if not self.replayable:
            raise InvalidArgument("Content-MD5 needs the body twice; a one-shot stream cannot")
        md5 = hashlib.md5()
        async for chunk in self._stream():
            await asyncio.to_thread(md5.update, chunk) if len(chunk) > CHUNK else md5.update(chunk)
        return base64.b64encode(md5.digest()).decode()


class _Readable(Protocol):
    def readinto(self, buffer: memoryview, /) -> int: ...


class RangeSink:
    """Where the body of a successful ranged GET goes in a threaded exchange: ``length`` bytes
    written at ``offset`` of the open file ``fd`` through ``buffer`` (reused across exchanges),
    with their CRC-64 computed as they arrive. Reset for every attempt."""

    def __init__(
        self,
        fd: int,
        offset: int,
        length: int,
        buffer: bytearray,
        *,
        cipher: ObjectCipher | None = None,
        scratch: bytearray | None = None,
    ) -> None:
        """With a ``cipher`` the bytes are deciphered before they are written (their CRC-64 is
        still that of what was received), through ``scratch`` (a reused buffer of
        ``len(buffer) + CIPHER_SLACK`` bytes) when given."""
        if not buffer:
            raise ValueError("RangeSink needs a non-empty buffer")
        self.fd = fd
        self.offset = offset
        self.length = length
        self._buffer = buffer
        self.crc = Crc64()
        self._cipher = cipher
        self._scratch = scratch
        self._keystream: Keystream | None = None
        self._keystream_at = -1

    @property
    def written(self) -> int:
        return self.crc.length

    def reset(self) -> None:
        self.crc = Crc64()
        self._keystream = None

    def check_room(self, n: int) -> None:
        """Refuse ``n`` more bytes than the range holds (before any of them is written)."""
        if self.crc.length + n > self.length:
            raise CosTransportError(
                f"the range at {self.offset} sent more than its {self.length} bytes"
            )

    def _put(self, view: memoryview) -> None:
        self.check_room(len(view))
        pos, done = self.offset + self.crc.length, 0
        data = view if self._cipher is None else self._decipher(view, pos)
        while done < len(data):
            done += positional_io.pwrite(self.fd, data[done:], pos + done)
        self.crc.update(view)  # fastcrc releases the GIL

    def _decipher(self, view: memoryview, pos: int) -> memoryview:
        """``view`` (the bytes at ``pos`` of the object) through the cipher, into the scratch
        buffer when it is large enough."""
        assert self._cipher is not None
        if self._keystream is None or self._keystream_at != pos:
            self._keystream = self._cipher.at(pos)
        self._keystream_at = pos + len(view)
        scratch = self._scratch
        n = len(view)
        if scratch is not None and len(scratch) >= n + CIPHER_SLACK:
            out = memoryview(scratch)
            self._keystream.update_into(view, out[: n + CIPHER_SLACK])
            return out[:n]
        return memoryview(self._keystream.update(view))

    def write(self, chunks: list[bytes]) -> None:
        """Append ``chunks`` to what was written (CRC-64 included)."""
        for chunk in chunks:
            self._put(memoryview(chunk))

    def fill(self, resp: _Readable, notify: Callable[[int], None]) -> None:
        """Read the whole body into the file (in the worker thread)."""
        view = memoryview(self._buffer)
        while n := resp.readinto(view):
            self._put(view[:n])
            notify(n)


class ThreadedBody(Protocol):
    """A request body that sends itself from a worker thread (``_body.FilePartBody``)."""

    length: int | None

    def send_to(self, send: Callable[[memoryview], object], notify: Callable[[int], None]) -> None:
        """Send every byte through ``send``, from the first, telling ``notify`` as it goes."""


#: What a request body may be.
Body = (
    bytes
    | bytearray
    | memoryview
    | str
    | os.PathLike[str]
    | IO[bytes]
    | Iterable[bytes]
    | AsyncIterable[bytes]
    | RequestBody
)


class BytesBody(RequestBody):
    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        super().__init__()
        view = memoryview(data)
        if not view.c_contiguous:  # cast() refuses non-contiguous views (e.g. mv[::2])
            view = memoryview(view.tobytes())
        self._view = view.cast("B")
        self.length = len(self._view)

    async def _stream(self) -> AsyncIterator[bytes | memoryview]:
        view = self._view
        for off in range(0, len(view), CHUNK):
            yield view[off : off + CHUNK]

    async def content_md5(self) -> str:
        md5 = hashlib.md5(self._view) if self.length and self.length < (8 << 20) else None
        if md5 is None:
            md5 = await asyncio.to_thread(hashlib.md5, self._view)
        return base64.b64encode(md5.digest()).decode()


class FileRangeBody(RequestBody):
    """``length`` bytes of a file from ``offset``, re-read for every attempt (off the event loop)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        offset: int = 0,
        length: int | None = None,
        *,
        cipher: ObjectCipher | None = None,
    ):
        """With a ``cipher``, the bytes are sent enciphered as those at ``offset`` of the
        object (client-side encryption)."""
        super().__init__()
        self.path = os.fspath(path)
        self.cipher = cipher
        try:
            size = os.stat(self.path).st_size
        except OSError as exc:
            raise InvalidArgument(f"cannot read {self.path!r}: {exc.strerror}") from exc
        if offset < 0 or offset > size:
            raise InvalidArgument(f"offset {offset} is outside {self.path!r} ({size} bytes)")
        self.offset = offset
        self.length = size - offset if length is None else length
        if self.length < 0 or offset + self.length > size:
            raise InvalidArgument(
                f"range {offset}+{self.length} is outside {self.path!r} ({size} bytes)"
            )

    async def _stream(self) -> AsyncIterator[bytes | memoryview]:
        fd = await asyncio.to_thread(os.open, self.path, os.O_RDONLY)
        keystream = self.cipher.at(self.offset) if self.cipher is not None else None
        try:
            pos = self.offset
            end = self.offset + (self.length or 0)
            while pos < end:
                data = await asyncio.to_thread(
                    positional_io.pread, fd, min(_FILE_CHUNK, end - pos), pos
                )
                if not data:
                    raise IntegrityError(f"{self.path!r} shrank while being uploaded")
                pos += len(data)
                if keystream is not None:
                    data = keystream.update(data)
                view = memoryview(data)
                for off in range(0, len(data), CHUNK):
                    yield view[off : off + CHUNK]
        finally:
            await asyncio.to_thread(os.close, fd)


class FilePartBody(FileRangeBody):
    """A part of a file for the transport's threaded path: :meth:`send_to`, run in the worker
    thread of the exchange, reads it slice by slice into ``buffer`` (a small ``bytearray``
    reused by the caller for part after part) and sends each slice before reading the next, with
    the CRC-64 computed on the way. A slice is only overwritten once the socket has taken it
    (``sendall`` returned), so one buffer per part in flight is all the memory it needs, and no
    fresh memory is faulted in per part. Through aiohttp (behind a proxy) it streams like a
    :class:`FileRangeBody`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        offset: int,
        length: int,
        buffer: bytearray,
        *,
        cipher: ObjectCipher | None = None,
        scratch: bytearray | None = None,
    ) -> None:
        """With a ``cipher`` each slice is enciphered into ``scratch`` (a second reused buffer
        of ``len(buffer) + CIPHER_SLACK`` bytes, made here when none is given) before it is
        sent."""
        super().__init__(path, offset, length, cipher=cipher)
        if not buffer:
            raise InvalidArgument("FilePartBody needs a non-empty buffer")
        self._buffer = buffer
        if cipher is not None and (scratch is None or len(scratch) < len(buffer) + CIPHER_SLACK):
            scratch = bytearray(len(buffer) + CIPHER_SLACK)
        self._scratch = scratch

    sends_itself = True

    def send_to(self, send: Callable[[memoryview], object], notify: Callable[[int], None]) -> None:
        """Read the part and ``send`` it slice by slice (in the worker thread); ``notify`` is
        told of each slice sent. Starts from the part's first byte every time it is called."""
        self.crc = crc = Crc64()
        view = memoryview(self._buffer)
        keystream = self.cipher.at(self.offset) if self.cipher is not None else None
        out = memoryview(self._scratch) if self._scratch is not None else view
        try:
            f = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InvalidArgument(f"cannot read {self.path!r}: {exc.strerror}") from exc
        length = self.length or 0
        with f:
            f.seek(self.offset)
            while crc.length < length:
                n = f.readinto(view[: min(len(view), length - crc.length)])  # no copy
                if not n:
                    raise IntegrityError(
                        f"{self.path!r} shrank while being uploaded: "
                        f"{self.offset + crc.length} bytes"
                    )
                piece = view[:n]
                if keystream is not None:
                    keystream.update_into(piece, out[: n + CIPHER_SLACK])
                    piece = out[:n]
                crc.update(piece)  # fastcrc releases the GIL
                send(piece)  # the whole slice is with the socket when this returns
                notify(n)


class FileObjectBody(RequestBody):
    """A binary file object; replayable when seekable (rewound to where it started)."""

    def __init__(self, f: Any) -> None:
        super().__init__()
        self._f = f
        self._async = inspect.iscoroutinefunction(getattr(f, "read", None))
        self._start: int | None = None
        seekable = getattr(f, "seekable", None)
        if not self._async and callable(seekable) and seekable():
            self._start = f.tell()
            end = f.seek(0, os.SEEK_END)
            f.seek(self._start)
            self.length = end - self._start
        self.replayable = self._start is not None

    async def _stream(self) -> AsyncIterator[bytes | memoryview]:
        f = self._f
        if self._start is not None:
            await asyncio.to_thread(f.seek, self._start)
        while True:
            if self._async:
                data = await f.read(CHUNK)
            else:
                data = await asyncio.to_thread(f.read, CHUNK)
            if isinstance(data, str):
                raise InvalidArgument("the file object is in text mode; open it with 'rb'")
            if not data:
                return
            yield data


class IterableBody(RequestBody):
    """A sync or async iterable of bytes: one-shot, sent with chunked transfer encoding."""

    replayable = False

    def __init__(self, source: Iterable[bytes] | AsyncIterable[bytes], length: int | None = None):
        super().__init__()
        self._source = source
        self.length = length

    async def _stream(self) -> AsyncIterator[bytes | memoryview]:
        src = self._source
        if isinstance(src, AsyncIterable):
            async for chunk in src:
                yield _check_chunk(chunk)
        else:
            for chunk in src:
                yield _check_chunk(chunk)


def _check_chunk(chunk: object) -> bytes | memoryview:
    if isinstance(chunk, bytes | memoryview):
        return chunk
    if isinstance(chunk, bytearray):
        return bytes(chunk)
    raise InvalidArgument(f"an iterable body must yield bytes, got {type(chunk).__name__}")


class CipheredBody(RequestBody):
    """The bytes of ``inner`` enciphered as those at ``offset`` of the object (client-side
    encryption): the CRC-64 and Content-MD5 are those of what is sent, as COS computes them. A
    body longer than ``limit`` fails before its excess is sent (a part that ran into the next
    part's bytes would reuse their keystream)."""

    def __init__(
        self, inner: RequestBody, cipher: ObjectCipher, offset: int = 0, *, limit: int | None = None
    ) -> None:
        super().__init__()
        if limit is not None and inner.length is not None and inner.length > limit:
            raise InvalidArgument(f"the body is {inner.length} bytes, more than {limit}")
        self._inner = inner
        self._cipher = cipher
        self._offset = offset
        self._limit = limit
        self.length = inner.length
        self.replayable = inner.replayable

    async def _stream(self) -> AsyncIterator[bytes | memoryview]:
        keystream = self._cipher.at(self._offset)
        total, limit = 0, self._limit
        async for chunk in self._inner._stream():
            total += len(chunk)
            if limit is not None and total > limit:
                raise InvalidArgument(f"the body is more than {limit} bytes")
            yield keystream.update(chunk)


def make_body(data: Body | RequestBody, *, length: int | None = None) -> RequestBody:
    """Adapt anything ``put_object`` accepts; ``InvalidArgument`` names what was given."""
    if isinstance(data, RequestBody):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return BytesBody(data)
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise InvalidArgument(
                f"not a file: {os.fspath(data)!r} (to send text, encode it to bytes)"
            )
        return FileRangeBody(path)
    if hasattr(data, "read"):
        mode = getattr(data, "mode", "rb")
        if isinstance(mode, str) and "b" not in mode:
            raise InvalidArgument(f"the file object is in text mode {mode!r}; open it with 'rb'")
        return FileObjectBody(data)
    if isinstance(data, Mapping | set | frozenset):
        raise InvalidArgument(
            f"cannot send a {type(data).__name__} as data: encode it to bytes first "
            "(for example json.dumps(data).encode())"
        )
    if isinstance(data, AsyncIterable | Iterable):
        return IterableBody(cast("Iterable[bytes] | AsyncIterable[bytes]", data), length)
    raise InvalidArgument(
        f"cannot send a {type(data).__name__} as data ({data!r:.80}): give bytes, a path, a binary file or an iterable of bytes"
    )


# --- the streaming object body ----------------------------------------------------------------


class ObjectBody:
    """The body of ``get_object``: stream it (``iter_chunks``), ``read()`` it, or ``save()`` it.

    Use it as an async context manager, or consume it fully: either releases the connection.
    When the whole object was requested and COS sent ``x-cos-hash-crc64ecma``, the CRC-64 of
    what was read is checked at the end (:class:`IntegrityError` on mismatch).
    """

    def __init__(
        self,
        meta: ObjectMeta,
        chunks: Callable[[], AsyncIterator[bytes]],
        release: Callable[[], None],
        *,
        verify_crc: bool,
        expected_length: int | None,
        transform: Callable[[bytes], bytes] | None = None,
    ) -> None:
        """``transform`` (client-side decryption) turns each chunk received into the chunk the
        caller reads, after its CRC-64 was counted: the check is on what COS sent."""
        self.meta = meta
        self._chunks = chunks
        self._transform = transform
        self._release = release
        # where the connection lives: a body dropped unread releases it there (see __del__)
        self._loop = asyncio.get_running_loop()
        self._verify = verify_crc and meta.crc64 is not None
        self._expected = expected_length
        self._consumed = False
        self._closed = False
        self.crc64: int | None = None
        self.bytes_read = 0

    @property
    def size(self) -> int:
        """Bytes in this body (the range length for a ranged GET)."""
        return self._expected if self._expected is not None else self.meta.size

    async def iter_chunks(self, size: int | None = None) -> AsyncIterator[bytes]:
        """Yield the body as it arrives, or in pieces of exactly ``size`` bytes (the last shorter)."""
        if size is not None and size < 1:
            raise InvalidArgument(f"chunk size must be >= 1, got {size}")
        if self._consumed:
            raise InvalidArgument("the body was already read")
        self._consumed = True
        crc = Crc64()
        buf = bytearray()
        transform = self._transform
        try:
            async for chunk in self._chunks():
                if self._verify:
                    crc.update(chunk)
                self.bytes_read += len(chunk)
                if transform is not None:
                    chunk = transform(chunk)
                if size is None:
                    yield chunk
                    continue
                if not buf and len(chunk) == size:
                    yield chunk
                    continue
                buf += chunk
                while len(buf) >= size:
                    yield bytes(buf[:size])
                    del buf[:size]
            if buf:
                yield bytes(buf)
            if self._expected is not None and self.bytes_read != self._expected:
                raise CosTransportError(
                    f"body ended after {self.bytes_read} of {self._expected} bytes"
                )
            self.crc64 = crc.value if self._verify else None
            if self._verify and crc.value != self.meta.crc64:
                raise IntegrityError(
                    f"CRC64 mismatch: received data has {crc.value}, COS says {self.meta.crc64}"
                )
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        """The whole body."""
        parts = [c async for c in self.iter_chunks()]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def save(self, path: str | os.PathLike[str]) -> int:
        """Write the body to ``path`` atomically (a temporary file renamed on success, removed on
        failure, so a failed or corrupt download never leaves a partial file). Returns the size."""
        dest = Path(path)
        tmp = temporary_beside(dest, "cos-part")
        try:
            fd = await asyncio.to_thread(os.open, tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except BaseException as exc:
            await self.aclose()  # the body will not be read: release the connection
            if isinstance(exc, OSError) and exc.errno is not None:
                raise about_destination(exc, dest) from exc
            raise
        ok = False
        try:
            async for chunk in self.iter_chunks():
                await asyncio.to_thread(_write_all, fd, chunk)
            ok = True
        finally:
            await asyncio.to_thread(os.close, fd)
            if ok:
                try:
                    await asyncio.to_thread(os.replace, tmp, dest)
                except OSError as exc:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise about_destination(exc, dest) from exc
            else:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return self.bytes_read

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._release()

    def __del__(self) -> None:
        # A body dropped without being read or closed would hold its connection forever (and
        # with the pool's connections all held, every later request would wait for one): give
        # it back, and say so, as an unclosed file does.
        if getattr(self, "_closed", True):
            return
        self._closed = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: so is the connection
            self._loop.call_soon_threadsafe(self._release)
        warnings.warn(
            f"unclosed {self!r}: read it to the end or close it "
            "('async with await cos.get_object(...)'); its connection was released",
            ResourceWarning,
            source=self,
            stacklevel=2,
        )

    async def __aenter__(self) -> ObjectBody:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"ObjectBody(size={self.size}, etag={self.meta.etag!r})"


def temporary_beside(path: str | os.PathLike[str], kind: str) -> Path:
    """A hidden, unique name in the directory of ``path`` for a file that becomes ``path`` by a
    rename once it is whole (``kind``: ``cos-part``, ``cos-download``, ``tmp``)."""
    dest = Path(os.path.abspath(path))
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.{kind}")


def about_destination(exc: OSError, path: str | os.PathLike[str]) -> OSError:
    """``exc`` (raised by the hidden temporary file) told about the destination the caller gave,
    in the same class (a PermissionError stays one)."""
    dest = os.fspath(path)
    return type(exc)(exc.errno, f"cannot write {dest!r}: {exc.strerror}", dest)


def write_atomically(path: str | os.PathLike[str], data: bytes, kind: str = "cos-part") -> int:
    """Write ``data`` to ``path`` all or nothing: into a temporary file beside it, renamed into
    place when written, removed on failure. Returns the size."""
    tmp = temporary_beside(path, kind)
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise about_destination(exc, path) from exc
        raise
    return len(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
