"""``cp``, ``mv`` and ``sync``: a plan of file transfers, run ``--jobs`` at a time over the
client's transfers (``upload_file``, ``download_file``, ``copy``, ``upload_stream``).

A plan is a list of :class:`Job`. Each job moves one file or object; one that fails is
reported (``failed``) and the others carry on; the command then exits with status 1 and a
summary of what failed and why. ``sync`` skips a file whose object already has its size and
CRC-64 (the rule of the client's ``skip_unchanged``: a HEAD for the object's
``x-cos-hash-crc64ecma``, the local file's CRC-64 computed in a worker thread).

Interrupted (Ctrl-C), the transfers in flight are cancelled: a multipart upload is aborted (with
``--resume``, its checkpoint is kept instead), a download leaves no file under its name.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import mimetypes
import os
import posixpath
import stat as stat_
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Literal

import attrs

from cos_async import CosError, NoSuchKey
from cos_async._crc64 import Crc64

from ._context import Context, Filters
from ._errors import EXIT_FAILED, EXIT_OK, CommandFailed, UsageError
from ._output import FileProgress, human_size, one_line, parse_size, print_failures
from ._paths import (
    SCHEME,
    CosPath,
    LocalPath,
    Path_,
    directory_prefix,
    parse_path,
    relative_key,
    safe_local_relative,
)

__all__ = ["checkpoint_dir", "cp", "mv", "sync"]

Kind = Literal["upload", "download", "copy"]
_CRC_READ = 4 << 20
MIN_PART_SIZE = 1024**2
MAX_PART_SIZE = 5 * 1024**3
#: stdin uploads have no size to choose a part size from
STREAM_PART_SIZE = 8 * 1024**2


@attrs.frozen
class Job:
    """One file or object to move."""

    kind: Kind
    src: Path_
    dst: Path_
    size: int | None


#: why a key is not downloaded: it cannot be a file under the destination directory
OUTSIDE = "refused: its key would land outside the destination directory"


@attrs.define
class Plan:
    """The jobs of a command, what was passed over (special files, links, directory markers),
    and what is refused before anything is done (``(name, why)``, reported as failures)."""

    jobs: list[Job] = attrs.field(factory=list)
    passed: list[str] = attrs.field(factory=list)
    refused: list[tuple[str, str]] = attrs.field(factory=list)


@attrs.frozen
class Options:
    """The transfer options of ``cp``/``mv``/``sync``, checked once."""

    part_size: int | None
    concurrency: int
    jobs: int
    storage_class: str | None
    metadata: Mapping[str, str] | None
    content_type: str | None
    resume: bool
    dry_run: bool
    follow_symlinks: bool
    filters: Filters

    @classmethod
    def of(cls, a: argparse.Namespace) -> Options:
        part_size = None
        if getattr(a, "part_size", None):
            part_size = parse_size(a.part_size)
            if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
                raise UsageError(f"--part-size must be 1 MiB to 5 GiB, got {a.part_size!r}")
        for name in ("concurrency", "jobs"):
            value = getattr(a, name)
            if not 1 <= value <= 256:
                raise UsageError(f"--{name} must be 1 to 256, got {value}")
        metadata: dict[str, str] = {}
        for item in getattr(a, "metadata", []):
            k, sep, v = item.partition("=")
            if not sep or not k.strip():
                raise UsageError(f"--metadata takes KEY=VALUE, got {item!r}")
            metadata[k.strip()] = v
        return cls(
            part_size=part_size,
            concurrency=a.concurrency,
            jobs=a.jobs,
            storage_class=getattr(a, "storage_class", None),
            metadata=metadata or None,
            content_type=getattr(a, "content_type", None),
            resume=getattr(a, "resume", False),
            dry_run=getattr(a, "dry_run", False),
            follow_symlinks=getattr(a, "follow_symlinks", True),
            filters=Filters.of(getattr(a, "filters", None)),
        )


def checkpoint_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cos-async" / "checkpoints"


def _checkpoint(job: Job, opts: Options) -> Path | None:
    if not opts.resume or job.kind == "copy":
        return None
    src = os.path.abspath(str(job.src)) if isinstance(job.src, LocalPath) else str(job.src)
    dst = os.path.abspath(str(job.dst)) if isinstance(job.dst, LocalPath) else str(job.dst)
    digest = hashlib.sha256(f"{job.kind}\0{src}\0{dst}".encode()).hexdigest()[:32]
    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{job.kind}-{digest}.ckpt"


# --- local files -------------------------------------------------------------------------------


def walk(root: str, follow_symlinks: bool) -> tuple[list[tuple[str, str, int]], list[str]]:
    """The regular files under ``root`` as ``(relative posix path, path, size)``, sorted, and
    what was passed over (special files, dangling or unfollowed links, links back up a tree)."""
    files: list[tuple[str, str, int]] = []
    passed: list[str] = []
    top = os.stat(root)
    stack: list[tuple[str, str, frozenset[tuple[int, int]]]] = [
        (root, "", frozenset({(top.st_dev, top.st_ino)}))
    ]
    while stack:
        here, rel_here, ancestors = stack.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError:
            passed.append(rel_here or ".")
            continue
        for entry in entries:
            rel = f"{rel_here}{entry.name}"
            if entry.is_symlink() and not follow_symlinks:
                passed.append(rel)
                continue
            try:
                st = os.stat(entry.path)
            except OSError:
                passed.append(rel)
                continue
            if stat_.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) in ancestors:
                    passed.append(rel)
                else:
                    stack.append((entry.path, rel + "/", ancestors | {(st.st_dev, st.st_ino)}))
            elif stat_.S_ISREG(st.st_mode):
                files.append((rel, entry.path, st.st_size))
            else:
                passed.append(rel)
    files.sort()
    return files, sorted(passed)


def local_crc64(path: str) -> tuple[int, int]:
    crc = Crc64()
    with open(path, "rb") as f:
        while chunk := f.read(_CRC_READ):
            crc.update(chunk)
    return crc.value, crc.length


async def same_content(ctx: Context, bucket: str, key: str, local: str, size: int) -> bool:
    """Whether the object holds exactly the bytes of the local file: size and CRC-64."""
    try:
        if os.stat(local).st_size != size:
            return False
    except FileNotFoundError:
        return False
    try:
        meta = await ctx.cos.head_object(bucket, key)
    except NoSuchKey:
        return False
    if meta.crc64 is None or meta.size != size:
        return False
    crc, length = await asyncio.to_thread(local_crc64, local)
    return length == size and crc == meta.crc64


# --- planning --------------------------------------------------------------------------------


def _paths(ctx: Context) -> tuple[Path_, Path_]:
    src = parse_path(ctx.args.src, what="SRC")
    dst = parse_path(ctx.args.dst, what="DST")
    if isinstance(src, LocalPath) and isinstance(dst, LocalPath):
        raise UsageError("one of SRC and DST must be a cos:// path (for two local paths, use cp)")
    if isinstance(src, LocalPath) and src.is_stdio and isinstance(dst, LocalPath):
        raise UsageError("'-' needs a cos:// path on the other side")
    return src, dst


async def plan_copy(ctx: Context, opts: Options) -> Plan:
    """The jobs of ``cp``/``mv`` and what was passed over."""
    src, dst = _paths(ctx)
    recursive = ctx.args.recursive
    if opts.filters.rules and not recursive:
        raise UsageError("--include/--exclude need -r")
    if isinstance(src, LocalPath):
        assert isinstance(dst, CosPath)
        if src.is_stdio:
            if recursive or dst.is_dir:
                raise UsageError("uploading standard input needs an object key: cos://bucket/key")
            return Plan([Job("upload", src, dst, None)])
        if os.path.isdir(src.path):
            if not recursive:
                raise UsageError(f"{src.path!r} is a directory: use -r")
            files, passed = await asyncio.to_thread(walk, src.path, opts.follow_symlinks)
            base = directory_prefix(dst.key)
            jobs = [
                Job("upload", LocalPath(path), CosPath(dst.bucket, base + rel), size)
                for rel, path, size in files
                if opts.filters(rel)
            ]
            return Plan(jobs, passed)
        try:
            size = os.stat(src.path).st_size
        except OSError as exc:
            raise CommandFailed(f"cannot read {src.path!r}: {exc.strerror}") from None
        target = dst.child(os.path.basename(src.path)) if dst.is_dir else dst
        return Plan([Job("upload", src, target, size)])
    # from COS
    if not recursive:
        if src.is_dir:
            raise UsageError(f"{src} is a bucket or a directory: use -r")
        try:
            meta = await ctx.cos.head_object(src.bucket, src.key)
        except NoSuchKey:
            raise CommandFailed(f"{src}: no such object (use -r for a prefix)") from None
        name = posixpath.basename(src.key)
        if isinstance(dst, LocalPath):
            if dst.is_stdio:
                return Plan([Job("download", src, dst, meta.size)])
            local = dst.path
            if os.path.isdir(local) or local.endswith(os.sep):
                local = os.path.join(local, name)
            return Plan([Job("download", src, LocalPath(local), meta.size)])
        target = dst.child(name) if dst.is_dir else dst
        if target == src:
            raise UsageError(f"{src} would be copied onto itself")
        return Plan([Job("copy", src, target, meta.size)])
    if isinstance(dst, LocalPath) and dst.is_stdio:
        raise UsageError("-r cannot write to standard output")
    plan = Plan()
    async for o in ctx.cos.list_objects(src.bucket, prefix=src.key):
        rel = relative_key(o.key, src.key)
        if rel is None or not opts.filters(rel):
            continue
        obj = CosPath(src.bucket, o.key)
        if not rel or rel.endswith("/"):
            plan.passed.append(str(obj))  # a directory marker
        elif isinstance(dst, LocalPath):
            local_rel = safe_local_relative(rel)
            if local_rel is None:
                plan.refused.append((str(obj), OUTSIDE))
            else:
                into = LocalPath(os.path.join(dst.path, local_rel))
                plan.jobs.append(Job("download", obj, into, o.size))
        else:
            copy_to = CosPath(dst.bucket, directory_prefix(dst.key) + rel)
            if copy_to == obj:
                raise UsageError(f"{src} would be copied onto itself")
            plan.jobs.append(Job("copy", obj, copy_to, o.size))
    if not plan.jobs and not plan.passed and not plan.refused:
        raise CommandFailed(f"nothing under {SCHEME}{src.bucket}/{directory_prefix(src.key)}")
    return plan


# --- running ---------------------------------------------------------------------------------


@attrs.define
class Outcome:
    done: list[Job] = attrs.field(factory=list)
    unchanged: list[Job] = attrs.field(factory=list)
    failed: list[tuple[str, str]] = attrs.field(factory=list)
    nbytes: int = 0


def _label(job: Job) -> str:
    return str(job.src) if job.kind != "download" else str(job.dst)


async def _transfer(ctx: Context, job: Job, opts: Options, fp: FileProgress) -> None:
    cos = ctx.cos
    ckpt = _checkpoint(job, opts)
    if job.kind == "upload":
        assert isinstance(job.src, LocalPath)
        assert isinstance(job.dst, CosPath)
        content_type = opts.content_type
        if job.src.is_stdio:
            await cos.upload_stream(
                job.dst.bucket,
                job.dst.key,
                sys.stdin.buffer,
                part_size=opts.part_size or STREAM_PART_SIZE,
                concurrency=opts.concurrency,
                progress=fp,
                content_type=content_type,
                metadata=opts.metadata,
                storage_class=opts.storage_class,
            )
            return
        if content_type is None:
            content_type = mimetypes.guess_type(job.src.path)[0]
        await cos.upload_file(
            job.dst.bucket,
            job.dst.key,
            job.src.path,
            part_size=opts.part_size,
            concurrency=opts.concurrency,
            checkpoint=ckpt,
            progress=fp,
            content_type=content_type,
            metadata=opts.metadata,
            storage_class=opts.storage_class,
        )
    elif job.kind == "download":
        assert isinstance(job.src, CosPath)
        assert isinstance(job.dst, LocalPath)
        if job.dst.is_stdio:
            await _download_to_stdout(ctx, job.src, fp)
            return
        parent = os.path.dirname(job.dst.path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        await cos.download_file(
            job.src.bucket,
            job.src.key,
            job.dst.path,
            part_size=opts.part_size,
            concurrency=opts.concurrency,
            checkpoint=ckpt,
            progress=fp,
        )
    else:
        assert isinstance(job.src, CosPath)
        assert isinstance(job.dst, CosPath)
        replace = opts.metadata is not None or opts.content_type is not None
        await cos.copy(
            job.src.bucket,
            job.src.key,
            job.dst.bucket,
            job.dst.key,
            part_size=opts.part_size,
            concurrency=opts.concurrency,
            progress=fp,
            metadata_directive="Replaced" if replace else "Copy",
            metadata=opts.metadata,
            content_type=opts.content_type,
            storage_class=opts.storage_class,
        )


async def _download_to_stdout(ctx: Context, src: CosPath, fp: FileProgress) -> None:
    from cos_async import Progress

    out = sys.stdout.buffer
    done = 0
    async with await ctx.cos.get_object(src.bucket, src.key) as body:
        async for chunk in body.iter_chunks():
            await asyncio.to_thread(out.write, chunk)
            done += len(chunk)
            fp(Progress(done, fp.size, 0.0))
    await asyncio.to_thread(out.flush)


async def _unchanged(ctx: Context, job: Job) -> bool:
    if job.size is None:
        return False
    if job.kind == "upload":
        assert isinstance(job.src, LocalPath)
        assert isinstance(job.dst, CosPath)
        return await same_content(ctx, job.dst.bucket, job.dst.key, job.src.path, job.size)
    if job.kind == "download":
        assert isinstance(job.src, CosPath)
        assert isinstance(job.dst, LocalPath)
        return await same_content(ctx, job.src.bucket, job.src.key, job.dst.path, job.size)
    return False


async def run_jobs(
    ctx: Context,
    jobs: list[Job],
    opts: Options,
    verb: str,
    *,
    skip_unchanged: bool = False,
    after: Callable[[Job], Awaitable[None]] | None = None,
    line_verb: str | None = None,
) -> Outcome:
    """Run ``jobs``, ``opts.jobs`` at a time; print a line per file done."""
    reporter = ctx.reporter
    outcome = Outcome()
    sizes = [j.size for j in jobs]
    total = None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)
    if not opts.dry_run:
        reporter.begin(verb, total, len(jobs))
    queue = iter(jobs)

    async def worker() -> None:
        for job in queue:
            label = _label(job)
            fp = reporter.file(label, job.size)
            try:
                if skip_unchanged and await _unchanged(ctx, job):
                    outcome.unchanged.append(job)
                    fp.finish(True)
                    continue
                if opts.dry_run:
                    reporter.line(f"(dry run) {job.kind}: {job.src} -> {job.dst}")
                    outcome.done.append(job)
                    continue
                await _transfer(ctx, job, opts, fp)
                if after is not None:
                    await after(job)
            except (CosError, OSError) as exc:
                fp.finish(False)
                outcome.failed.append((label, one_line(exc)))
                continue
            fp.finish(True)
            outcome.done.append(job)
            outcome.nbytes += fp.done
            if not (isinstance(job.dst, LocalPath) and job.dst.is_stdio):  # stdout is the data
                reporter.line(f"{line_verb or job.kind}: {job.src} -> {job.dst}")

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, min(opts.jobs, len(jobs))))]
    try:
        await asyncio.gather(*workers)
    finally:
        # after a failure or a cancellation: the others stop, and their clean-up (aborting a
        # multipart upload, removing a partial download) runs to its end before we return
        for w in workers:
            if not w.done():
                w.cancel()
        await asyncio.wait(workers)
    return outcome


_PAST = {"upload": "uploaded", "download": "downloaded", "copy": "copied", "move": "moved"}


def _summary(ctx: Context, outcome: Outcome, verb: str, plan: Plan) -> int:
    passed = plan.passed
    failed = sorted(plan.refused + outcome.failed)
    if passed:
        more = " ..." if len(passed) > 5 else ""
        ctx.reporter.note(
            f"passed over {len(passed)} (special files, links, directory markers): "
            f"{', '.join(passed[:5])}{more}"
        )
    if not ctx.args.dry_run:
        done = len(outcome.done)
        parts = [
            f"{_PAST.get(verb, verb)} {done} file{'' if done == 1 else 's'} "
            f"({human_size(outcome.nbytes)}) in {ctx.reporter.elapsed:.1f}s"
        ]
        if outcome.unchanged:
            parts.append(f"{len(outcome.unchanged)} unchanged")
        ctx.reporter.note(", ".join(parts))
    if failed:
        print_failures(failed, verb, len(plan.jobs) + len(plan.refused))
        return EXIT_FAILED
    return EXIT_OK


async def cp(ctx: Context) -> int:
    return await _copy_or_move(ctx, move=False)


async def mv(ctx: Context) -> int:
    return await _copy_or_move(ctx, move=True)


async def _copy_or_move(ctx: Context, *, move: bool) -> int:
    opts = Options.of(ctx.args)
    plan = await plan_copy(ctx, opts)
    jobs = plan.jobs
    if move and any(isinstance(j.src, LocalPath) and j.src.is_stdio for j in jobs):
        raise UsageError("mv cannot move standard input")
    if move and any(isinstance(j.dst, LocalPath) and j.dst.is_stdio for j in jobs):
        raise UsageError("mv cannot move to standard output")

    async def delete_source(job: Job) -> None:
        if isinstance(job.src, LocalPath):
            await asyncio.to_thread(os.remove, job.src.path)
        else:
            await ctx.cos.delete_object(job.src.bucket, job.src.key)

    verb = "move" if move else jobs[0].kind if jobs else "copy"
    if jobs and any(j.kind != jobs[0].kind for j in jobs):
        verb = "copy"
    try:
        outcome = await run_jobs(
            ctx,
            jobs,
            opts,
            verb,
            after=delete_source if move else None,
            line_verb="move" if move else None,
        )
    finally:
        await ctx.reporter.aclose()
    return _summary(ctx, outcome, verb, plan)


# --- sync ------------------------------------------------------------------------------------


async def sync(ctx: Context) -> int:
    opts = Options.of(ctx.args)
    src, dst = _paths(ctx)
    if isinstance(src, CosPath) and isinstance(dst, CosPath):
        raise UsageError("sync goes between a local directory and a cos:// prefix")
    if (isinstance(src, LocalPath) and src.is_stdio) or (
        isinstance(dst, LocalPath) and dst.is_stdio
    ):
        raise UsageError("sync needs a directory, not '-'")
    deletions: list[Path_] = []
    plan = Plan()
    if isinstance(src, LocalPath):
        assert isinstance(dst, CosPath)
        if not os.path.isdir(src.path):
            raise UsageError(f"SRC {src.path!r} is not a directory")
        files, plan.passed = await asyncio.to_thread(walk, src.path, opts.follow_symlinks)
        base = directory_prefix(dst.key)
        plan.jobs = [
            Job("upload", LocalPath(path), CosPath(dst.bucket, base + rel), size)
            for rel, path, size in files
            if opts.filters(rel)
        ]
        if ctx.args.delete:
            wanted = {rel for rel, _, _ in files}
            async for o in ctx.cos.list_objects(dst.bucket, prefix=base):
                rel = relative_key(o.key, base)
                if rel and not rel.endswith("/") and rel not in wanted and opts.filters(rel):
                    deletions.append(CosPath(dst.bucket, o.key))
        verb = "upload"
    else:
        assert isinstance(dst, LocalPath)
        if os.path.exists(dst.path) and not os.path.isdir(dst.path):
            raise UsageError(f"DST {dst.path!r} is not a directory")
        remote_rels: set[str] = set()
        base = directory_prefix(src.key)
        async for o in ctx.cos.list_objects(src.bucket, prefix=base):
            rel = relative_key(o.key, base)
            if rel is None or not rel or rel.endswith("/") or not opts.filters(rel):
                continue
            obj = CosPath(src.bucket, o.key)
            remote_rels.add(rel)
            local_rel = safe_local_relative(rel)
            if local_rel is None:
                plan.refused.append((str(obj), OUTSIDE))
                continue
            target = LocalPath(os.path.join(dst.path, local_rel))
            plan.jobs.append(Job("download", obj, target, o.size))
        if ctx.args.delete and os.path.isdir(dst.path):
            local_files, _ = await asyncio.to_thread(walk, dst.path, False)
            for rel, path, _size in local_files:
                if rel not in remote_rels and opts.filters(rel):
                    deletions.append(LocalPath(path))
        verb = "download"
    try:
        outcome = await run_jobs(ctx, plan.jobs, opts, verb, skip_unchanged=True)
        if deletions and not outcome.failed and not plan.refused:
            await _delete(ctx, deletions, opts.dry_run, outcome)
        elif deletions:
            ctx.reporter.note("not deleting anything: some transfers failed")
    finally:
        await ctx.reporter.aclose()
    return _summary(ctx, outcome, verb, plan)


async def _delete(ctx: Context, paths: list[Path_], dry_run: bool, outcome: Outcome) -> None:
    if dry_run:
        for p in paths:
            ctx.reporter.line(f"(dry run) delete: {p}")
        return
    remote = [p for p in paths if isinstance(p, CosPath)]
    if remote:
        bucket = remote[0].bucket
        result = await ctx.cos.delete_objects(bucket, [p.key for p in remote])
        failed = {e.key: f"{e.code}: {e.message}" for e in result.errors}
        for p in remote:
            if p.key in failed:
                outcome.failed.append((str(p), failed[p.key]))
            else:
                ctx.reporter.line(f"delete: {p}")
    for p in paths:
        if isinstance(p, LocalPath):
            try:
                await asyncio.to_thread(os.remove, p.path)
            except OSError as exc:
                outcome.failed.append((p.path, one_line(exc)))
            else:
                ctx.reporter.line(f"delete: {p.path}")
