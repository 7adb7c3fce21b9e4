"""Directory transfers and prefix deletes: ``upload_dir``, ``download_prefix``,
``delete_prefix``, file by file over the transfer functions.

A prefix names a directory: ``upload_dir(d, b, "backup")`` stores ``d/x/y.txt`` under
``backup/x/y.txt`` (a prefix without a trailing ``/`` gets one; ``""`` is the bucket's root), and
``download_prefix(b, "backup", d)`` writes the objects under ``backup/`` into ``d``; a prefix that
is exactly one object's key downloads that object under its file name.

A file or an object that cannot be transferred (an unreadable file, a name that is no valid
key, a failed request) is reported in ``TransferSummary.failed`` and the others carry on. With
``skip_unchanged`` a file whose size and CRC-64 match the other side's is not sent again and is
reported in ``TransferSummary.unchanged``.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import stat
from pathlib import Path

from cos_async._crc64 import Crc64
from cos_async._engine import RequestEngine
from cos_async._errors import CosError, InvalidArgument, NoSuchKey
from cos_async._models import ObjectInfo, TransferSummary
from cos_async._ops import listing, objects
from cos_async._options import PartOptions, WriteOptions
from cos_async._progress import Progress, ProgressCallback, ProgressTracker
from cos_async._validate import check_concurrency, check_key

from ._common import run_workers
from .download import download_file
from .upload import upload_file

__all__ = [
    "delete_prefix",
    "directory_prefix",
    "download_prefix",
    "safe_relative",
    "upload_dir",
]

#: how many files a directory transfer moves at once; each file uses 2 connections when large
FILE_CONCURRENCY = 2
_CRC_READ = 4 << 20


def directory_prefix(prefix: str) -> str:
    """A prefix as a directory: ``""`` stays the bucket's root, ``p`` and ``p/`` are ``p/``."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def safe_relative(key: str, prefix: str) -> str | None:
    """The local relative path for ``key`` in the directory ``prefix`` (``""``: a directory
    marker, nothing to write), or ``None`` if it would land outside the local directory."""
    if key == prefix and prefix and not key.endswith("/"):
        rel = posixpath.basename(key)  # the prefix names one object: keep its file name
    else:
        rel = key[len(directory_prefix(prefix)) :]
    if not rel or rel.endswith("/"):
        return ""
    if key.startswith("/") or rel.startswith("/") or "\\" in rel or "\x00" in rel:
        return None
    norm = posixpath.normpath(rel)
    if norm.startswith("../") or norm == ".." or posixpath.isabs(norm) or norm == ".":
        return None
    if any(part == ".." for part in rel.split("/")):
        return None
    return norm


def _in_directory(key: str, prefix: str) -> bool:
    """Whether a listed key belongs to the directory ``prefix`` (``p`` lists ``px`` too)."""
    return key == prefix or key.startswith(directory_prefix(prefix))


class _Bytes:
    """The progress of one file of a directory transfer, fed into the directory's tracker as its
    bytes move (not only when the file is done)."""

    def __init__(self, tracker: ProgressTracker, piece: str) -> None:
        self._tracker = tracker
        self._piece = piece
        self._seen = 0

    def __call__(self, report: Progress) -> None:
        moved = report.bytes_done - self._seen
        if moved > 0:
            self._seen = report.bytes_done
            self._tracker.advance(self._piece, moved)


def _file_progress(tracker: ProgressTracker, piece: str) -> ProgressCallback | None:
    return _Bytes(tracker, piece) if tracker.reporting else None


def _local_crc64(path: Path) -> tuple[int, int]:
    """(CRC-64, size) of a local file (in a worker thread: fastcrc releases the GIL)."""
    crc = Crc64()
    with open(path, "rb") as f:
        while chunk := f.read(_CRC_READ):
            crc.update(chunk)
    return crc.value, crc.length


async def _same_content(
    engine: RequestEngine, bucket: str, key: str, local: Path, remote_size: int
) -> bool:
    """Whether the object ``key`` holds exactly the bytes of ``local``: same size, and same
    CRC-64 (COS's ``x-cos-hash-crc64ecma``; an object without one counts as changed)."""
    try:
        if local.stat().st_size != remote_size:
            return False
    except FileNotFoundError:
        return False
    try:
        meta = await objects.head_object(engine, bucket, key)
    except NoSuchKey:
        return False
    if meta.crc64 is None or meta.size != remote_size:
        return False
    crc, size = await asyncio.to_thread(_local_crc64, local)
    return size == meta.size and crc == meta.crc64


def _files(root: Path, follow_symlinks: bool) -> tuple[list[Path], list[str]]:
    """The regular files under ``root`` (sorted) and what was passed over (relative names):
    special files, dangling links, links when they are not followed, and a link back to a
    directory it is in (a cycle)."""
    files: list[Path] = []
    passed: list[str] = []
    start = root.stat()
    stack: list[tuple[Path, frozenset[tuple[int, int]]]] = [
        (root, frozenset({(start.st_dev, start.st_ino)}))
    ]
    while stack:
        here, ancestors = stack.pop()
        for entry in sorted(os.scandir(here), key=lambda e: e.name):
            path = Path(entry.path)
            rel = path.relative_to(root).as_posix()
            if entry.is_symlink() and not follow_symlinks:
                passed.append(rel)
                continue
            try:
                st = path.stat()  # follows a link when links are followed
            except OSError:
                passed.append(rel)  # a dangling link, or gone meanwhile
                continue
            if stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) in ancestors:
                    passed.append(rel)  # a link back up: a cycle
                else:
                    stack.append((path, ancestors | {(st.st_dev, st.st_ino)}))
            elif stat.S_ISREG(st.st_mode):
                files.append(path)
            else:
                passed.append(rel)
    return sorted(files), sorted(passed)


async def upload_dir(
    engine: RequestEngine,
    local_dir: str | os.PathLike[str],
    bucket: str,
    prefix: str,
    *,
    concurrency: int,
    part_size: int | None,
    progress: ProgressCallback | None,
    follow_symlinks: bool,
    skip_unchanged: bool,
) -> TransferSummary:
    """Upload every file under ``local_dir`` to the directory ``prefix`` (see the module
    docstring); '/'-separated keys."""
    check_concurrency(concurrency)
    if not isinstance(prefix, str):
        raise InvalidArgument(f"prefix must be a string, got {prefix!r}")
    root = Path(local_dir)
    if not root.is_dir():
        raise InvalidArgument(f"not a directory: {os.fspath(local_dir)!r}")
    base = directory_prefix(prefix)
    files, skipped = await asyncio.to_thread(_files, root, follow_symlinks)
    sizes = {p: p.stat().st_size for p in files}
    remote: dict[str, int] = {}
    if skip_unchanged:
        remote = {o.key: o.size async for o in listing.list_objects(engine, bucket, prefix=base)}
    tracker = ProgressTracker(progress, sum(sizes.values()))
    transferred: list[str] = []
    unchanged: list[str] = []
    failed: list[tuple[str, str]] = []
    nbytes = 0
    queue = iter(files)

    async def worker() -> None:
        nonlocal nbytes
        for p in queue:
            key = base + p.relative_to(root).as_posix()
            try:
                check_key(key)
                if key in remote and await _same_content(engine, bucket, key, p, remote[key]):
                    unchanged.append(key)
                    tracker.finish_piece(key, sizes[p])
                    continue
                res = await upload_file(
                    engine,
                    bucket,
                    key,
                    p,
                    part_size=part_size,
                    concurrency=FILE_CONCURRENCY,
                    threshold=None,
                    checkpoint=None,
                    progress=_file_progress(tracker, key),
                    write=WriteOptions(),
                    part=PartOptions(),
                    content_md5=False,
                    extra={},
                )
            except (CosError, OSError) as exc:
                tracker.restart(key)
                failed.append((key, f"{type(exc).__name__}: {exc}"))
                continue
            transferred.append(key)
            nbytes += res.size
            tracker.finish_piece(key, res.size)

    await run_workers(min(concurrency, max(1, len(files))), worker)
    tracker.finish()
    return TransferSummary(
        transferred=tuple(sorted(transferred)),
        skipped=tuple(skipped),
        failed=tuple(sorted(failed)),
        bytes=nbytes,
        unchanged=tuple(sorted(unchanged)),
    )


async def download_prefix(
    engine: RequestEngine,
    bucket: str,
    prefix: str,
    local_dir: str | os.PathLike[str],
    *,
    concurrency: int,
    part_size: int | None,
    progress: ProgressCallback | None,
    skip_unchanged: bool,
) -> TransferSummary:
    """Download every object of the directory ``prefix`` into ``local_dir``. Keys that would
    land outside ``local_dir`` (``..``, absolute paths) are refused before anything is written."""
    check_concurrency(concurrency)
    if not isinstance(prefix, str):
        raise InvalidArgument(f"prefix must be a string, got {prefix!r}")
    root = Path(local_dir)
    listed: list[ObjectInfo] = [
        o
        async for o in listing.list_objects(engine, bucket, prefix=prefix)
        if _in_directory(o.key, prefix)
    ]
    unsafe = [o.key for o in listed if safe_relative(o.key, prefix) is None]
    if unsafe:
        raise InvalidArgument(
            f"refusing to download: these keys would land outside {os.fspath(root)!r}: {unsafe[:10]!r}"
            + (f" and {len(unsafe) - 10} more" if len(unsafe) > 10 else "")
        )
    root.mkdir(parents=True, exist_ok=True)
    tracker = ProgressTracker(progress, sum(o.size for o in listed))
    transferred: list[str] = []
    skipped: list[str] = []
    unchanged: list[str] = []
    failed: list[tuple[str, str]] = []
    nbytes = 0
    queue = iter(listed)

    async def worker() -> None:
        nonlocal nbytes
        for obj in queue:
            rel = safe_relative(obj.key, prefix)
            if not rel:
                skipped.append(obj.key)  # a "directory" marker
                continue
            target = root / rel
            try:
                if skip_unchanged and await _same_content(
                    engine, bucket, obj.key, target, obj.size
                ):
                    unchanged.append(obj.key)
                    tracker.finish_piece(obj.key, obj.size)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                await download_file(
                    engine,
                    bucket,
                    obj.key,
                    target,
                    part_size=part_size,
                    concurrency=FILE_CONCURRENCY,
                    threshold=None,
                    checkpoint=None,
                    progress=_file_progress(tracker, obj.key),
                    version_id=None,
                    part=PartOptions(),
                    verify_crc=True,
                    fsync=False,
                )
            except (CosError, OSError) as exc:
                tracker.restart(obj.key)
                failed.append((obj.key, f"{type(exc).__name__}: {exc}"))
                continue
            transferred.append(obj.key)
            nbytes += obj.size
            tracker.finish_piece(obj.key, obj.size)

    await run_workers(min(concurrency, max(1, len(listed))), worker)
    tracker.finish()
    return TransferSummary(
        transferred=tuple(sorted(transferred)),
        skipped=tuple(sorted(skipped)),
        failed=tuple(sorted(failed)),
        bytes=nbytes,
        unchanged=tuple(sorted(unchanged)),
    )


async def delete_prefix(engine: RequestEngine, bucket: str, prefix: str) -> TransferSummary:
    """Delete every object whose key starts with ``prefix`` (1000 per request)."""
    if not isinstance(prefix, str) or not prefix:
        raise InvalidArgument(
            "delete_prefix needs a non-empty prefix (to empty a bucket, pass it explicitly per key)"
        )
    items = [(o.key, None) async for o in listing.list_objects(engine, bucket, prefix=prefix)]
    result = await objects.delete_objects(engine, bucket, items, quiet=False)
    failed = tuple((e.key, f"{e.code}: {e.message}") for e in result.errors)
    deleted = tuple(sorted(d.key for d in result.deleted))
    return TransferSummary(transferred=deleted, skipped=(), failed=failed, bytes=0)
