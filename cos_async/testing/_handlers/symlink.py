"""Symbolic links: ``PUT /<key>?symlink`` with ``x-cos-symlink-target`` makes ``key`` a link to
another key of the bucket; ``GET /<key>?symlink`` answers its target in ``x-cos-symlink-target``.
A GET or HEAD of the link itself reads its target (:func:`follow`): a link to a missing key is
404, and a link to a link is not followed (404 too: COS reads one level)."""

from __future__ import annotations

import hashlib

from aiohttp import web

from cos_async._limits import MAX_KEY_BYTES
from cos_async.testing._bodies import read_small
from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import empty_response, http_date
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl, BucketState, ObjectVersion

from .common import find_version, new_version_id_for, requested_storage_class

__all__ = ["SYMLINK", "TARGET_HEADER", "follow", "get_symlink", "put_symlink"]

#: the ``object_type`` of a symbolic link in the store
SYMLINK = "symlink"
#: the header that names a link's target (sent with PUT, answered to GET ?symlink)
TARGET_HEADER = "x-cos-symlink-target"


def _target(ctx: Ctx) -> str:
    target = ctx.header(TARGET_HEADER)
    if not target:
        raise err(400, "InvalidArgument", f"PUT ?symlink needs the header {TARGET_HEADER}")
    if target.startswith("/"):
        target = target[1:]
    if (
        not target
        or "\x00" in target
        or len(target.encode("utf-8", "surrogatepass")) > (MAX_KEY_BYTES)
    ):
        raise err(
            400,
            "InvalidArgument",
            f"{TARGET_HEADER} must be a key of 1..{MAX_KEY_BYTES} bytes without NUL, got "
            f"{target[:100]!r}",
        )
    if target == ctx.key:
        raise err(400, "InvalidArgument", f"a symbolic link cannot point to itself: {target!r}")
    return target


async def put_symlink(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """PUT ?symlink: the key becomes a link (an empty object) to ``x-cos-symlink-target``;
    COS does not check that the target exists."""
    assert ctx.key is not None
    target = _target(ctx)
    await read_small(ctx)  # a link has no body; whatever came is drained and dropped
    version = ObjectVersion(
        key=ctx.key,
        version_id=new_version_id_for(bucket),
        segments=[],
        size=0,
        etag=f'"{hashlib.md5(b"").hexdigest()}"',
        crc64=0,
        last_modified=app.clock(),
        headers={TARGET_HEADER: target, "Content-Type": "application/octet-stream"},
        storage_class=requested_storage_class(ctx),
        acl=Acl(canned="default"),
        object_type=SYMLINK,
    )
    app.store.put_version(bucket, version)
    headers = {"ETag": version.etag}
    if bucket.versioning in ("Enabled", "Suspended"):
        headers["x-cos-version-id"] = version.version_id
    return empty_response(ctx, 200, headers)


async def get_symlink(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """GET ?symlink: the link's target, in ``x-cos-symlink-target`` (400 for an object that is
    not a link)."""
    v = find_version(ctx, bucket)
    if v.object_type != SYMLINK:
        raise err(400, "InvalidArgument", f"{v.key!r} is not a symbolic link")
    headers = {
        TARGET_HEADER: v.headers[TARGET_HEADER],
        "ETag": v.etag,
        "Last-Modified": http_date(v.last_modified),
    }
    if bucket.versioning in ("Enabled", "Suspended"):
        headers["x-cos-version-id"] = v.version_id
    return empty_response(ctx, 200, headers)


def follow(bucket: BucketState, v: ObjectVersion) -> ObjectVersion:
    """What a GET or HEAD of ``v`` reads: ``v``, or the current version of the key a link
    points to (404 when there is none, or when that is a link too)."""
    if v.object_type != SYMLINK:
        return v
    target = bucket.current(v.headers[TARGET_HEADER])
    if target is None or target.delete_marker or target.object_type == SYMLINK:
        raise err(
            404,
            "NoSuchKey",
            f"The target of the symbolic link {v.key!r} ({v.headers[TARGET_HEADER]!r}) does not "
            "exist.",
        )
    return target
