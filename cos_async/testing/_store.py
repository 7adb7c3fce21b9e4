"""Storage for the local COS server: buckets, object versions, multipart uploads, blobs.

Content lives in immutable *blobs*; an object version is a list of blob segments (a multipart
object keeps its parts as segments, a copy shares its source's blobs), so completing, copying and
appending never copy bytes. Two backends:

* memory (default): blobs are ``bytes``/``bytearray`` objects: received bodies copied into
  pooled 1 MiB slabs, or (``keep_chunks``, for a process that retains freed memory) the received
  chunks kept as they are, which saves a copy of every uploaded byte.
* disk (``data_dir``): blobs are files under ``blobs/``; metadata are JSON records written with
  write-to-temporary-then-``os.replace``, the record last, so a crash at any point leaves either
  the old state or the new one and never a torn object. Unreferenced blobs and temporary files
  are removed when the store opens.

All metadata operations are synchronous and run on the server's event loop; only blob I/O awaits.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import bisect
import contextlib
import ctypes
import hashlib
import json
import os
import platform
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "Blob",
    "BucketState",
    "FileBlob",
    "MemoryBlob",
    "ObjectVersion",
    "Part",
    "Store",
    "Upload",
]

STREAM_CHUNK = 1 << 20
_FILE_READ = 4 << 20
_FILE_WRITE_BATCH = 4 << 20


# --- blobs ------------------------------------------------------------------------------------


class Blob(abc.ABC):
    """Immutable content of a known size, reference-counted by the store (``refs``)."""

    size: int
    blob_id: str | None = None
    refs: int = 0

    @abc.abstractmethod
    def release(self) -> None:
        """Called when no object, version or part refers to the blob any more."""

    @abc.abstractmethod
    def pin(self) -> None:
        """Keep the content alive (a response is still being sent from it)."""

    @abc.abstractmethod
    def unpin(self) -> None:
        """Undo :meth:`pin`."""

    @abc.abstractmethod
    def iter_range(self, start: int, end: int) -> AsyncIterator[bytes | memoryview]:
        """Yield the bytes ``[start, end)`` in chunks of at most about 1 MiB."""

    async def read_all(self) -> bytes:
        return b"".join([bytes(c) async for c in self.iter_range(0, self.size)])


# glibc's mallopt() parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def retain_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory in this process: blocks up to 32 MiB come from
    the heap (not from fresh mappings each) and the heap is not trimmed, so the chunks of one
    upload, once freed, are reused by the next with their pages already present. Returns
    whether that took effect (False, and nothing changed, where the C library is not glibc).

    The process keeps up to its peak memory use; meant for a dedicated server process
    (``python -m cos_async.testing`` calls it), not for a process that embeds the server."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    )


class SlabPool:
    """Reusable 1 MiB buffers for in-memory blobs.

    Fresh memory costs a page fault per 4 KiB page on first touch (about 1 CPU s/GiB on small
    VMs); buffers that come back from deleted or overwritten objects are already mapped, so a
    server that keeps replacing objects (a benchmark, a test suite) stops paying it.
    """

    def __init__(self, slab_size: int = 1 << 20, max_free: int = 2048) -> None:
        self.slab_size = slab_size
        self.max_free = max_free
        self._free: list[bytearray] = []

    def take(self) -> bytearray:
        return self._free.pop() if self._free else bytearray(self.slab_size)

    def give(self, slabs: Iterable[bytes | bytearray]) -> None:
        for slab in slabs:
            if (
                isinstance(slab, bytearray)
                and len(slab) == self.slab_size
                and len(self._free) < self.max_free
            ):
                self._free.append(slab)


class MemoryBlob(Blob):
    """Content held in memory: ``(buffer, used length)`` segments (pooled slabs or ``bytes``)."""

    __slots__ = ("_dead", "_readers", "offsets", "pool", "refs", "segments", "size")

    def __init__(
        self,
        segments: list[tuple[bytes | bytearray, int]] | bytes,
        *,
        pool: SlabPool | None = None,
    ) -> None:
        if isinstance(segments, bytes):
            segments = [(segments, len(segments))]
        self.segments = segments
        self.offsets: list[int] = []
        pos = 0
        for _buf, used in segments:
            self.offsets.append(pos)
            pos += used
        self.size = pos
        self.pool = pool
        self.refs = 0
        self._readers = 0
        self._dead = False

    def release(self) -> None:
        self._dead = True
        self._recycle()

    def pin(self) -> None:
        self._readers += 1

    def unpin(self) -> None:
        self._readers -= 1
        self._recycle()

    def _recycle(self) -> None:
        if self._dead and self._readers == 0 and self.pool is not None:
            self.pool.give(buf for buf, _ in self.segments)
            self.segments = []
            self.pool = None

    async def iter_range(self, start: int, end: int) -> AsyncIterator[bytes | memoryview]:
        end = min(end, self.size)
        if start >= end:
            return
        if self._dead and not self.segments:
            raise OSError("blob was released")
        self._readers += 1
        try:
            i = max(0, bisect.bisect_right(self.offsets, start) - 1)
            pos = start
            while pos < end and i < len(self.segments):
                buf, used = self.segments[i]
                base = self.offsets[i]
                lo = pos - base
                hi = min(used, end - base)
                view = memoryview(buf)
                while lo < hi:
                    nxt = min(hi, lo + STREAM_CHUNK)
                    yield view[lo:nxt]
                    lo = nxt
                pos = base + hi
                i += 1
        finally:
            self._readers -= 1
            self._recycle()


class FileBlob(Blob):
    __slots__ = ("blob_id", "path", "refs", "size")

    def __init__(self, path: Path, blob_id: str, size: int) -> None:
        self.path = path
        self.blob_id = blob_id
        self.size = size
        self.refs = 0

    def release(self) -> None:
        # An open reader keeps its file descriptor: POSIX lets it finish reading.
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def pin(self) -> None:
        """Nothing to do: a file is never reused, and readers hold their own descriptors."""

    def unpin(self) -> None:
        """Nothing to do (see :meth:`pin`)."""

    async def iter_range(self, start: int, end: int) -> AsyncIterator[bytes | memoryview]:
        loop = asyncio.get_running_loop()
        fd = await loop.run_in_executor(None, os.open, str(self.path), os.O_RDONLY)
        try:
            pos = start
            while pos < end:
                n = min(_FILE_READ, end - pos)
                data = await loop.run_in_executor(None, os.pread, fd, n, pos)
                if not data:
                    raise OSError(f"blob {self.blob_id} is shorter than recorded")
                view = memoryview(data)
                for off in range(0, len(data), STREAM_CHUNK):
                    yield view[off : off + STREAM_CHUNK]
                pos += len(data)
        finally:
            os.close(fd)


class BlobWriter(abc.ABC):
    """Collects a body; ``finish()`` returns the blob, ``abort()`` discards it."""

    size: int = 0

    @abc.abstractmethod
    async def write(self, data: bytes | bytearray | memoryview) -> None: ...

    @abc.abstractmethod
    async def finish(self) -> Blob: ...

    @abc.abstractmethod
    async def abort(self) -> None: ...


class _MemoryWriter(BlobWriter):
    """Copies the body into pooled slabs; a small tail is kept as ``bytes`` (no wasted slab)."""

    def __init__(self, pool: SlabPool) -> None:
        self._pool = pool
        self._slabs: list[bytearray] = []
        self._pos = pool.slab_size
        self.size = 0

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        slab_size = self._pool.slab_size
        while view:
            if self._pos == slab_size:
                self._slabs.append(self._pool.take())
                self._pos = 0
            n = min(len(view), slab_size - self._pos)
            self._slabs[-1][self._pos : self._pos + n] = view[:n]
            self._pos += n
            view = view[n:]
        self.size += len(data)

    async def finish(self) -> Blob:
        slab_size = self._pool.slab_size
        segments: list[tuple[bytes | bytearray, int]] = [(b, slab_size) for b in self._slabs]
        if segments and self._pos < slab_size:
            last = self._slabs[-1]
            if self._pos <= slab_size // 2:  # a short tail: keep bytes, give the slab back
                segments[-1] = (bytes(last[: self._pos]), self._pos)
                self._pool.give([last])
            else:
                segments[-1] = (last, self._pos)
        self._slabs = []
        return MemoryBlob(segments, pool=self._pool)

    async def abort(self) -> None:
        self._pool.give(self._slabs)
        self._slabs = []


#: received chunks at least this large are kept as they are by a :class:`_KeepingWriter`
KEEP_MIN = 64 * 1024


class _KeepingWriter(BlobWriter):
    """Keeps the received ``bytes`` chunks themselves (no copy): for a process whose allocator
    keeps freed memory mapped (see :func:`retain_freed_memory`), where a new
    chunk reuses a freed one's pages instead of faulting fresh ones in. Chunks smaller than
    :data:`KEEP_MIN`, and anything that is not ``bytes`` (mutable, or a view of a buffer the
    caller reuses), are joined into ``bytes`` segments of about 1 MiB."""

    def __init__(self) -> None:
        self._segments: list[tuple[bytes | bytearray, int]] = []
        self._small: list[bytes] = []
        self._small_size = 0
        self.size = 0

    def _flush_small(self) -> None:
        if self._small:
            joined = b"".join(self._small)
            self._segments.append((joined, len(joined)))
            self._small = []
            self._small_size = 0

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        n = len(data)
        if not n:
            return
        if type(data) is bytes and n >= KEEP_MIN:
            self._flush_small()
            self._segments.append((data, n))
        else:
            self._small.append(bytes(data))
            self._small_size += n
            if self._small_size >= STREAM_CHUNK:
                self._flush_small()
        self.size += n

    async def finish(self) -> Blob:
        self._flush_small()
        segments, self._segments = self._segments, []
        return MemoryBlob(segments)

    async def abort(self) -> None:
        self._segments = []
        self._small = []
        self._small_size = 0


class _FileWriter(BlobWriter):
    def __init__(self, store: Store) -> None:
        self._store = store
        self.blob_id = uuid.uuid4().hex
        assert store.blob_dir is not None
        self._tmp = store.blob_dir / f".tmp-{self.blob_id}"
        self._final = store.blob_dir / self.blob_id
        self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.size = 0

    async def _flush(self) -> None:
        if not self._pending:
            return
        chunks = self._pending
        self._pending = []
        self._pending_size = 0
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, _writev_all, self._fd, chunks)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        self._pending.append(data if isinstance(data, bytes) else bytes(data))
        self._pending_size += len(data)
        self.size += len(data)
        if self._pending_size >= _FILE_WRITE_BATCH:
            await self._flush()

    async def finish(self) -> Blob:
        await self._flush()
        os.close(self._fd)
        os.replace(self._tmp, self._final)
        return FileBlob(self._final, self.blob_id, self.size)

    async def abort(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)


def _writev_all(fd: int, chunks: list[bytes]) -> None:
    views = [memoryview(c) for c in chunks]
    while views:
        n = os.writev(fd, views[:1024])
        while n and views:
            if n >= len(views[0]):
                n -= len(views[0])
                views.pop(0)
            else:
                views[0] = views[0][n:]
                n = 0


# --- records ----------------------------------------------------------------------------------


@attrs.define
class Acl:
    """A canned ACL (``private``, ``public-read``, ``public-read-write``, ``default``) or grants."""

    canned: str = "private"
    #: (grantee kind "id"|"uri", grantee value, permission)
    grants: list[tuple[str, str, str]] = attrs.Factory(list)

    def to_json(self) -> dict[str, Any]:
        return {"canned": self.canned, "grants": [list(g) for g in self.grants]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Acl:
        return cls(canned=d["canned"], grants=[(g[0], g[1], g[2]) for g in d["grants"]])


@attrs.define
class ObjectVersion:
    key: str
    version_id: str
    segments: list[Blob]
    size: int
    etag: str
    crc64: int | None
    last_modified: float
    headers: dict[str, str]
    storage_class: str = "STANDARD"
    acl: Acl = attrs.Factory(lambda: Acl(canned="default"))
    tags: dict[str, str] = attrs.Factory(dict)
    object_type: str = "normal"
    delete_marker: bool = False
    restore_expiry: float | None = None
    restore_ready_at: float | None = None
    sse: dict[str, str] = attrs.Factory(dict)
    #: running MD5 of an appendable object (memory only; rebuilt from the content when absent)
    md5_state: Any = attrs.field(default=None, eq=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "version_id": self.version_id,
            "segments": [[b.blob_id, b.size] for b in self.segments],
            "size": self.size,
            "etag": self.etag,
            "crc64": self.crc64,
            "last_modified": self.last_modified,
            "headers": self.headers,
            "storage_class": self.storage_class,
            "acl": self.acl.to_json(),
            "tags": self.tags,
            "object_type": self.object_type,
            "delete_marker": self.delete_marker,
            "restore_expiry": self.restore_expiry,
            "restore_ready_at": self.restore_ready_at,
            "sse": self.sse,
        }


@attrs.define
class Part:
    number: int
    blob: Blob
    size: int
    etag: str
    crc64: int
    last_modified: float


@attrs.define
class Upload:
    upload_id: str
    key: str
    initiated: float
    headers: dict[str, str]
    storage_class: str
    acl: Acl
    tags: dict[str, str]
    sse: dict[str, str]
    parts: dict[int, Part] = attrs.Factory(dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "upload_id": self.upload_id,
            "key": self.key,
            "initiated": self.initiated,
            "headers": self.headers,
            "storage_class": self.storage_class,
            "acl": self.acl.to_json(),
            "tags": self.tags,
            "sse": self.sse,
            "parts": [
                [p.number, p.blob.blob_id, p.size, p.etag, p.crc64, p.last_modified]
                for p in self.parts.values()
            ],
        }


@attrs.define
class BucketState:
    name: str
    region: str
    created: float
    acl: Acl = attrs.Factory(Acl)
    versioning: str = ""  # "", "Enabled", "Suspended"
    #: bucket sub-resource documents, keyed by sub-resource (inventory: "inventory:<id>")
    configs: dict[str, bytes] = attrs.Factory(dict)
    tags: dict[str, str] = attrs.Factory(dict)
    objects: dict[str, list[ObjectVersion]] = attrs.Factory(dict)
    uploads: dict[str, Upload] = attrs.Factory(dict)
    _sorted_keys: list[str] | None = None

    def sorted_keys(self) -> list[str]:
        if self._sorted_keys is None:
            self._sorted_keys = sorted(self.objects)
        return self._sorted_keys

    def current(self, key: str) -> ObjectVersion | None:
        versions = self.objects.get(key)
        if not versions:
            return None
        return versions[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "created": self.created,
            "acl": self.acl.to_json(),
            "versioning": self.versioning,
            "configs": {k: base64.b64encode(v).decode() for k, v in self.configs.items()},
            "tags": self.tags,
        }


def new_version_id() -> str:
    return secrets.token_urlsafe(24)


def new_upload_id() -> str:
    return f"{int(time.time() * 1000)}{secrets.token_hex(16)}"


def _key_file(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest() + ".json"


def _atomic_write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


class Store:
    """All buckets of one server. Metadata in memory; optionally mirrored to ``data_dir``."""

    def __init__(
        self, data_dir: str | os.PathLike[str] | None = None, *, keep_chunks: bool = False
    ) -> None:
        self.buckets: dict[str, BucketState] = {}
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.blob_dir: Path | None = None
        self.pool = SlabPool()
        #: in memory: keep received chunks as they are instead of copying them into slabs
        self.keep_chunks = keep_chunks
        if self.data_dir is not None:
            self._open_disk(self.data_dir)

    # --- blobs ---

    def writer(self, expected_size: int | None) -> BlobWriter:
        if self.blob_dir is not None:
            return _FileWriter(self)
        if self.keep_chunks:
            return _KeepingWriter()
        return _MemoryWriter(self.pool)

    async def blob_from_bytes(self, data: bytes) -> Blob:
        w = self.writer(len(data))
        await w.write(data)
        return await w.finish()

    def _incref(self, blobs: Iterable[Blob]) -> None:
        for b in blobs:
            b.refs += 1

    def _decref(self, blobs: Iterable[Blob]) -> None:
        for b in blobs:
            b.refs -= 1
            if b.refs <= 0:
                b.release()

    async def discard_blob(self, blob: Blob) -> None:
        """Drop a blob that was written but never referenced."""
        if blob.refs <= 0:
            blob.release()

    # --- buckets ---

    def create_bucket(self, name: str, region: str, acl: Acl) -> BucketState:
        state = BucketState(name=name, region=region, created=time.time(), acl=acl)
        self.buckets[name] = state
        self.persist_bucket(state)
        return state

    def delete_bucket(self, name: str) -> None:
        state = self.buckets.pop(name)
        for upload in list(state.uploads.values()):
            self._decref(p.blob for p in upload.parts.values())
        if self.data_dir is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.data_dir / "buckets" / f"{name}.json")
            for sub in ("objects", "uploads"):
                d = self.data_dir / sub / name
                if d.is_dir():
                    for f in d.iterdir():
                        f.unlink()
                    d.rmdir()

    def persist_bucket(self, state: BucketState) -> None:
        if self.data_dir is None:
            return
        _atomic_write_json(self.data_dir / "buckets" / f"{state.name}.json", state.to_json())

    # --- objects ---

    def put_version(self, bucket: BucketState, version: ObjectVersion) -> list[ObjectVersion]:
        """Make ``version`` the current version of its key; returns the versions it replaced."""
        versions = bucket.objects.get(version.key)
        if versions is None:
            versions = bucket.objects[version.key] = []
            bucket._sorted_keys = None
        replaced: list[ObjectVersion] = []
        if bucket.versioning == "Enabled":
            pass
        else:
            # Unversioned or suspended: the "null" version is replaced.
            keep = []
            for v in versions:
                if v.version_id == "null":
                    replaced.append(v)
                else:
                    keep.append(v)
            versions[:] = keep
        versions.append(version)
        self._incref(version.segments)
        self.persist_key(bucket, version.key)
        self._decref(seg for v in replaced for seg in v.segments)
        return replaced

    def remove_version(
        self, bucket: BucketState, key: str, version_id: str
    ) -> ObjectVersion | None:
        versions = bucket.objects.get(key)
        if not versions:
            return None
        for i, v in enumerate(versions):
            if v.version_id == version_id:
                del versions[i]
                if not versions:
                    del bucket.objects[key]
                    bucket._sorted_keys = None
                self.persist_key(bucket, key)
                self._decref(v.segments)
                return v
        return None

    def persist_key(self, bucket: BucketState, key: str) -> None:
        if self.data_dir is None:
            return
        path = self.data_dir / "objects" / bucket.name / _key_file(key)
        versions = bucket.objects.get(key)
        if not versions:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_json(path, {"key": key, "versions": [v.to_json() for v in versions]})

    # --- uploads ---

    def add_upload(self, bucket: BucketState, upload: Upload) -> None:
        bucket.uploads[upload.upload_id] = upload
        self.persist_upload(bucket, upload)

    def set_part(self, bucket: BucketState, upload: Upload, part: Part) -> None:
        old = upload.parts.get(part.number)
        upload.parts[part.number] = part
        self._incref([part.blob])
        self.persist_upload(bucket, upload)
        if old is not None:
            self._decref([old.blob])

    def remove_upload(self, bucket: BucketState, upload: Upload, *, keep_blobs: bool) -> None:
        bucket.uploads.pop(upload.upload_id, None)
        if self.data_dir is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.data_dir / "uploads" / bucket.name / f"{upload.upload_id}.json")
        if not keep_blobs:
            self._decref(p.blob for p in upload.parts.values())

    def persist_upload(self, bucket: BucketState, upload: Upload) -> None:
        if self.data_dir is None:
            return
        path = self.data_dir / "uploads" / bucket.name / f"{upload.upload_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_json(path, upload.to_json())

    # --- disk ---

    def _open_disk(self, root: Path) -> None:
        for sub in ("buckets", "objects", "uploads", "blobs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self.blob_dir = root / "blobs"
        sizes: dict[str, int] = {}
        for f in self.blob_dir.iterdir():
            if f.name.startswith(".tmp-"):
                f.unlink()  # an upload that never finished
            else:
                sizes[f.name] = f.stat().st_size

        loaded: dict[str, FileBlob] = {}

        def blob(blob_id: str, size: int) -> Blob:
            if blob_id not in sizes:
                raise RuntimeError(f"data dir {root}: blob {blob_id} is missing")
            fb = loaded.get(blob_id)
            if fb is None:
                assert self.blob_dir is not None
                fb = loaded[blob_id] = FileBlob(self.blob_dir / blob_id, blob_id, size)
            fb.refs += 1
            return fb

        for f in _json_files(root / "buckets"):
            d = json.loads(f.read_text(encoding="utf-8"))
            self.buckets[d["name"]] = BucketState(
                name=d["name"],
                region=d["region"],
                created=d["created"],
                acl=Acl.from_json(d["acl"]),
                versioning=d["versioning"],
                configs={k: base64.b64decode(v) for k, v in d["configs"].items()},
                tags=d["tags"],
            )
        for name, state in self.buckets.items():
            for f in _json_files(root / "objects" / name):
                d = json.loads(f.read_text(encoding="utf-8"))
                versions = [
                    ObjectVersion(
                        key=v["key"],
                        version_id=v["version_id"],
                        segments=[blob(bid, size) for bid, size in v["segments"]],
                        size=v["size"],
                        etag=v["etag"],
                        crc64=v["crc64"],
                        last_modified=v["last_modified"],
                        headers=v["headers"],
                        storage_class=v["storage_class"],
                        acl=Acl.from_json(v["acl"]),
                        tags=v["tags"],
                        object_type=v["object_type"],
                        delete_marker=v["delete_marker"],
                        restore_expiry=v["restore_expiry"],
                        restore_ready_at=v["restore_ready_at"],
                        sse=v["sse"],
                    )
                    for v in d["versions"]
                ]
                if versions:
                    state.objects[d["key"]] = versions
            for f in _json_files(root / "uploads" / name):
                d = json.loads(f.read_text(encoding="utf-8"))
                up = Upload(
                    upload_id=d["upload_id"],
                    key=d["key"],
                    initiated=d["initiated"],
                    headers=d["headers"],
                    storage_class=d["storage_class"],
                    acl=Acl.from_json(d["acl"]),
                    tags=d["tags"],
                    sse=d["sse"],
                )
                for number, bid, size, etag, crc, lm in d["parts"]:
                    up.parts[number] = Part(number, blob(bid, size), size, etag, crc, lm)
                state.uploads[up.upload_id] = up
        for blob_id in sizes:
            if blob_id not in loaded:
                (self.blob_dir / blob_id).unlink()  # written, never committed
        for sub in ("buckets", "objects", "uploads"):
            for tmp in (root / sub).rglob(".tmp-*"):
                tmp.unlink()

    # --- queries ---

    @staticmethod
    def start_index(keys: list[str], start_after: str, prefix: str) -> int:
        """Where a listing of sorted ``keys`` after ``start_after`` under ``prefix`` begins."""
        lo = bisect.bisect_right(keys, start_after) if start_after else 0
        if prefix:
            lo = max(lo, bisect.bisect_left(keys, prefix))
        return lo

    @staticmethod
    def iter_keys_from(bucket: BucketState, start_after: str, prefix: str) -> Iterator[str]:
        """Keys (with at least one version) that start with ``prefix`` and sort after
        ``start_after``, in order."""
        keys = bucket.sorted_keys()
        for i in range(Store.start_index(keys, start_after, prefix), len(keys)):
            k = keys[i]
            if prefix and not k.startswith(prefix):
                return
            if k in bucket.objects:
                yield k


def _json_files(d: Path) -> list[Path]:
    if not d.is_dir():
        return []
    return [f for f in d.iterdir() if f.suffix == ".json" and not f.name.startswith(".tmp-")]


async def iter_segments(
    segments: list[Blob], start: int, end: int
) -> AsyncIterator[bytes | memoryview]:
    """Yield ``[start, end)`` of the concatenation of ``segments``."""
    offset = 0
    for seg in segments:
        seg_end = offset + seg.size
        if seg_end > start and offset < end:
            async for chunk in seg.iter_range(
                max(start, offset) - offset, min(end, seg_end) - offset
            ):
                yield chunk
        offset = seg_end
        if offset >= end:
            return
