"""The commands that do not move files: ``ls``, ``stat``, ``du``, ``cat``, ``rm``, ``mb``, ``rb``
and ``presign``. Each is ``async def command(ctx) -> int`` (the exit status)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from cos_async import CommonPrefix, NoSuchKey, ObjectInfo

from ._context import Context, Filters, cos_path
from ._errors import EXIT_FAILED, EXIT_OK, CommandFailed, UsageError
from ._output import format_time, human_size, print_failures, print_json, printable
from ._paths import SCHEME, CosPath, directory_prefix, relative_key

__all__ = ["cat", "du", "ls", "mb", "presign", "rb", "rm", "stat"]

_SIZE_WIDTH = 12


def _size(n: int, human: bool) -> str:
    return human_size(n) if human else str(n)


def _object_record(o: ObjectInfo, bucket: str) -> dict[str, Any]:
    return {
        "type": "object",
        "bucket": bucket,
        "key": o.key,
        "size": o.size,
        "last_modified": o.last_modified,
        "etag": o.etag,
        "storage_class": o.storage_class,
    }


async def ls(ctx: Context) -> int:
    a = ctx.args
    if a.path is None or a.path.lower() == SCHEME:
        return await _ls_buckets(ctx)
    path = cos_path(a.path, "PATH")
    out = sys.stdout
    listed = 0
    # names relative to the directory being listed (``ls cos://b/photos/`` shows ``a.jpg``)
    base = path.key[: path.key.rfind("/") + 1]
    if a.recursive:
        async for o in ctx.cos.list_objects(path.bucket, prefix=path.key):
            listed += 1
            if a.json:
                print_json(_object_record(o, path.bucket))
            else:
                size = _size(o.size, a.human_readable)
                name = printable(o.key)
                out.write(f"{format_time(o.last_modified)} {size:>{_SIZE_WIDTH}} {name}\n")
    else:
        async for entry in ctx.cos.list_dir(path.bucket, prefix=path.key):
            listed += 1
            if isinstance(entry, CommonPrefix):
                if a.json:
                    print_json({"type": "prefix", "bucket": path.bucket, "prefix": entry.prefix})
                else:
                    name = printable(entry.prefix[len(base) :])
                    out.write(f"{'':19} {'PRE':>{_SIZE_WIDTH}} {name}\n")
            elif a.json:
                print_json(_object_record(entry, path.bucket))
            else:
                size = _size(entry.size, a.human_readable)
                name = printable(entry.key[len(base) :])
                out.write(f"{format_time(entry.last_modified)} {size:>{_SIZE_WIDTH}} {name}\n")
    if not listed and path.key:
        raise CommandFailed(f"nothing under {path}")
    return EXIT_OK


async def _ls_buckets(ctx: Context) -> int:
    async for b in ctx.cos.list_buckets():
        if ctx.args.json:
            print_json({"type": "bucket", "name": b.name, "region": b.region, "created": b.created})
        else:
            line = f"{format_time(b.created)} {b.region:<16} {SCHEME}{b.name}"
            sys.stdout.write(printable(line) + "\n")
    return EXIT_OK


async def stat(ctx: Context) -> int:
    path = cos_path(ctx.args.path, "PATH")
    if path.is_dir:
        head = await ctx.cos.head_bucket(path.bucket)
        bucket_record: dict[str, Any] = {
            "type": "bucket",
            "name": path.bucket,
            "region": head.region,
        }
        if ctx.args.json:
            print_json(bucket_record)
        else:
            region = printable(head.region or "-")
            sys.stdout.write(f"bucket:  {SCHEME}{path.bucket}\nregion:  {region}\n")
        return EXIT_OK
    try:
        meta = await ctx.cos.head_object(path.bucket, path.key)
    except NoSuchKey:
        raise CommandFailed(f"{path}: no such object") from None
    record: dict[str, Any] = {
        "type": "object",
        "bucket": path.bucket,
        "key": path.key,
        "size": meta.size,
        "last_modified": meta.last_modified,
        "etag": meta.etag,
        "crc64": meta.crc64,
        "content_type": meta.content_type,
        "storage_class": meta.storage_class,
        "version_id": meta.version_id,
        "object_type": meta.object_type,
        "metadata": dict(meta.metadata),
    }
    if ctx.args.json:
        print_json(record)
        return EXIT_OK
    rows = [
        ("path", str(path)),
        ("size", f"{meta.size} ({human_size(meta.size)})"),
        ("last modified", format_time(meta.last_modified)),
        ("etag", meta.etag),
        ("crc64", "-" if meta.crc64 is None else str(meta.crc64)),
        ("content type", meta.content_type or "-"),
        ("storage class", meta.storage_class),
        ("object type", meta.object_type),
    ]
    if meta.version_id:
        rows.append(("version id", meta.version_id))
    for k, v in sorted(meta.metadata.items()):
        rows.append((f"meta {k}", v))
    for name, value in rows:
        sys.stdout.write(f"{printable(name + ':'):<15} {printable(value)}\n")
    return EXIT_OK


async def du(ctx: Context) -> int:
    path = cos_path(ctx.args.path, "PATH")
    count = total = 0
    async for o in ctx.cos.list_objects(path.bucket, prefix=path.key):
        count += 1
        total += o.size
    if ctx.args.json:
        print_json({"path": str(path), "objects": count, "bytes": total})
    else:
        size = _size(total, ctx.args.human_readable)
        objects = f"{count} object{'' if count == 1 else 's'}"
        sys.stdout.write(f"{size}\t{objects}\t{printable(str(path))}\n")
    return EXIT_OK


async def cat(ctx: Context) -> int:
    path = cos_path(ctx.args.path, "PATH")
    if path.is_dir:
        raise UsageError(f"cat needs an object, not a bucket or a directory: {path}")
    out = sys.stdout.buffer
    try:
        body = await ctx.cos.get_object(path.bucket, path.key)
    except NoSuchKey:
        raise CommandFailed(f"{path}: no such object") from None
    async with body:
        async for chunk in body.iter_chunks():
            await asyncio.to_thread(out.write, chunk)
    await asyncio.to_thread(out.flush)
    return EXIT_OK


def _bucket_only(text: str) -> CosPath:
    path = cos_path(text, "BUCKET")
    if path.key:
        raise UsageError(f"BUCKET must be cos://<name>-<appid> alone, without a key: {text!r}")
    return path


async def mb(ctx: Context) -> int:
    path = _bucket_only(ctx.args.path)
    await ctx.cos.create_bucket(path.bucket, acl=ctx.args.acl)
    ctx.reporter.line(f"make_bucket: {SCHEME}{path.bucket}")
    return EXIT_OK


async def rb(ctx: Context) -> int:
    path = _bucket_only(ctx.args.path)
    if ctx.args.force:
        await ctx.cos.head_bucket(path.bucket)  # a typo fails here, before the question
        if not ctx.confirm(
            f"delete every object, version and multipart upload of {SCHEME}{path.bucket}, "
            "and the bucket?"
        ):
            raise CommandFailed("nothing deleted")
        failures = await _empty_bucket(ctx, path.bucket)
        if failures:
            print_failures(failures, "delete")
            return EXIT_FAILED
    await ctx.cos.delete_bucket(path.bucket)
    ctx.reporter.line(f"remove_bucket: {SCHEME}{path.bucket}")
    return EXIT_OK


async def _empty_bucket(ctx: Context, bucket: str) -> list[tuple[str, str]]:
    cos = ctx.cos
    async for upload in cos.list_multipart_uploads(bucket):
        await cos.abort_multipart_upload(bucket, upload.key, upload.upload_id)
    items: list[tuple[str, str | None]] = [
        (v.key, None if v.version_id == "null" else v.version_id)
        async for v in cos.list_object_versions(bucket)
    ]
    result = await cos.delete_objects(bucket, items)
    failures = [(f"{SCHEME}{bucket}/{e.key}", f"{e.code}: {e.message}") for e in result.errors]
    if not failures:
        # an unversioned bucket lists its objects as versions "null": anything left over
        rest = [o.key async for o in cos.list_objects(bucket)]
        if rest:
            result = await cos.delete_objects(bucket, rest)
            failures = [
                (f"{SCHEME}{bucket}/{e.key}", f"{e.code}: {e.message}") for e in result.errors
            ]
    return failures


async def presign(ctx: Context) -> int:
    path = cos_path(ctx.args.path, "PATH")
    if path.is_dir:
        raise UsageError(f"presign needs an object key: {ctx.args.path!r}")
    if not 1 <= ctx.args.expires <= 7 * 86400:
        raise UsageError(f"--expires must be 1 to 604800 seconds, got {ctx.args.expires}")
    url = await ctx.cos.presign_url(
        ctx.args.method, path.bucket, path.key, expires=ctx.args.expires
    )
    sys.stdout.write(url + "\n")
    return EXIT_OK


async def rm(ctx: Context) -> int:
    a = ctx.args
    path = cos_path(a.path, "PATH")
    if not a.recursive:
        if a.filters:
            raise UsageError("--include/--exclude need -r")
        if path.is_dir:
            raise UsageError(f"{path} is a bucket or a directory: use -r to delete what is in it")
        try:
            await ctx.cos.head_object(path.bucket, path.key)
        except NoSuchKey:
            raise CommandFailed(f"{path}: no such object") from None
        if a.dry_run:
            ctx.reporter.line(f"(dry run) delete: {path}")
            return EXIT_OK
        if not ctx.confirm(f"delete {path}?"):
            raise CommandFailed("nothing deleted")
        await ctx.cos.delete_object(path.bucket, path.key)
        ctx.reporter.line(f"delete: {path}")
        return EXIT_OK
    keep = Filters.of(a.filters)
    keys: list[str] = []
    total = 0
    async for o in ctx.cos.list_objects(path.bucket, prefix=path.key):
        rel = relative_key(o.key, path.key)
        if rel is not None and keep(rel):
            keys.append(o.key)
            total += o.size
    where = f"{SCHEME}{path.bucket}/{directory_prefix(path.key)}"
    if not keys:
        raise CommandFailed(f"nothing to delete under {where}")
    if a.dry_run:
        for k in keys:
            ctx.reporter.line(f"(dry run) delete: {SCHEME}{path.bucket}/{k}")
        return EXIT_OK
    n = len(keys)
    if not ctx.confirm(
        f"delete {n} object{'' if n == 1 else 's'} ({human_size(total)}) under {where}?"
    ):
        raise CommandFailed("nothing deleted")
    result = await ctx.cos.delete_objects(path.bucket, keys)
    failed = {e.key for e in result.errors}
    for k in keys:
        if k not in failed:
            ctx.reporter.line(f"delete: {SCHEME}{path.bucket}/{k}")
    if result.errors:
        print_failures(
            [(f"{SCHEME}{path.bucket}/{e.key}", f"{e.code}: {e.message}") for e in result.errors],
            "delete",
            of=n,
        )
        return EXIT_FAILED
    return EXIT_OK
