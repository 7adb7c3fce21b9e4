"""Directory transfers and prefix deletes: ``upload_dir``, ``download_prefix``,
``delete_prefix``, file by file over the transfer functions."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from cos_async._engine import RequestEngine
from cos_async._errors import CosError, InvalidArgument
from cos_async._models import TransferSummary
from cos_async._ops import listing, objects
from cos_async._options import PartOptions, WriteOptions
from cos_async._progress import ProgressCallback, ProgressTracker
from cos_async._validate import check_concurrency

from ._common import run_workers
from .download import download_file
from .upload import upload_file

__all__ = ["delete_prefix", "download_prefix", "safe_relative", "upload_dir"]


def safe_relative(key: str, prefix: str) -> str | None:
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
    engine: RequestEngine,
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
    check_concurrency(concurrency)
    root = Path(local_dir)
    listed = [o async for o in listing.list_objects(engine, bucket, prefix=prefix)]
    unsafe = [o.key for o in listed if safe_relative(o.key, prefix) is None]
    if unsafe:
        raise InvalidArgument(
            f"refusing to download: these keys would land outside {os.fspath(root)!r}: {unsafe[:10]!r}"
            + (f" and {len(unsafe) - 10} more" if len(unsafe) > 10 else "")
        )
    root.mkdir(parents=True, exist_ok=True)
    total = sum(o.size for o in listed)
    tracker = ProgressTracker(progress, total)
    transferred: list[str] = []
    skipped: list[str] = []
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
                target.parent.mkdir(parents=True, exist_ok=True)
                await download_file(
                    engine,
                    bucket,
                    obj.key,
                    target,
                    part_size=part_size,
                    concurrency=2,
                    threshold=None,
                    checkpoint=None,
                    progress=None,
                    version_id=None,
                    part=PartOptions(),
                    verify_crc=True,
                    fsync=False,
                )
            except (CosError, OSError) as exc:
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
    )


async def upload_dir(
    engine: RequestEngine,
    local_dir: str | os.PathLike[str],
    bucket: str,
    prefix: str,
    *,
    concurrency: int,
    part_size: int | None,
    progress: ProgressCallback | None,
) -> TransferSummary:
    """Upload every file under ``local_dir`` to ``prefix`` + its relative path ('/'-separated)."""
    check_concurrency(concurrency)
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
                res = await upload_file(
                    engine,
                    bucket,
                    key,
                    p,
                    part_size=part_size,
                    concurrency=2,
                    threshold=None,
                    checkpoint=None,
                    progress=None,
                    write=WriteOptions(),
                    part=PartOptions(),
                    content_md5=False,
                    extra={},
                )
            except (CosError, OSError) as exc:
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
    )


async def delete_prefix(engine: RequestEngine, bucket: str, prefix: str) -> TransferSummary:
    """Delete every object under ``prefix`` (1000 per request)."""
    if not prefix:
        raise InvalidArgument(
            "delete_prefix needs a non-empty prefix (to empty a bucket, pass it explicitly per key)"
        )
    items = [(o.key, None) async for o in listing.list_objects(engine, bucket, prefix=prefix)]
    result = await objects.delete_objects(engine, bucket, items, quiet=False)
    failed = tuple((e.key, f"{e.code}: {e.message}") for e in result.errors)
    deleted = tuple(sorted(d.key for d in result.deleted))
    return TransferSummary(transferred=deleted, skipped=(), failed=failed, bytes=0)
