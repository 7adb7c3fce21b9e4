"""Objects: PUT, GET, HEAD, DELETE (one or many), append, copy, restore, and an object's ACL
and tags."""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
from aiohttp import web

from cos_async._crc64 import combine
from cos_async._limits import (
    ARCHIVE_STORAGE_CLASSES,
    DELETE_BATCH,
    MAX_KEY_BYTES,
    MAX_OBJECT_TAGS,
    MAX_SINGLE_PUT,
)
from cos_async._xml import XMLError, parse, text_of
from cos_async.testing._acl import acl_from_document, acl_from_headers, acl_response
from cos_async.testing._bodies import check_content_md5, read_small, receive, stream
from cos_async.testing._conditions import check_conditions, parse_range
from cos_async.testing._context import Ctx, err
from cos_async.testing._documents import parse_tagging
from cos_async.testing._responses import (
    base_headers,
    empty_response,
    http_date,
    iso_date,
    late_error,
    xml_response,
)
from cos_async.testing._sse import check_sse_access, sse_echo, sse_of_request
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl, BucketState, ObjectVersion, iter_segments
from cos_async.testing._values import parse_number

from .common import (
    check_readable,
    check_traffic_limit,
    copy_source,
    find_version,
    new_version_id_for,
    object_headers,
    requested_storage_class,
    tags_from_header,
    write_response_headers,
)
from .symlink import follow

__all__ = [
    "append_object",
    "copy_object",
    "delete_multiple",
    "delete_object",
    "delete_object_tagging",
    "get_object",
    "get_object_acl",
    "get_object_tagging",
    "head_object",
    "put_object",
    "put_object_acl",
    "put_object_tagging",
    "restore_object",
]

#: The most days a restored copy may be kept. COS documents no upper bound ("Days >= 1"); this
#: one keeps the expiry a date that ``Last-Modified``-style headers can still write (year 9999).
MAX_RESTORE_DAYS = 100 * 365

#: ``response-*`` parameters of a GET, and the header each overrides
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def _canonical_header(name: str) -> str:
    """A stored (lower-case) header name as answered: ``Content-Type``, ``x-cos-meta-a``."""
    if name.startswith("x-cos-"):
        return name
    return "-".join(p.capitalize() for p in name.split("-"))


# --- write ------------------------------------------------------------------------------------


async def put_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    assert ctx.key is not None
    check_traffic_limit(ctx)
    headers = object_headers(ctx)
    storage_class = requested_storage_class(ctx)
    acl = acl_from_headers(ctx, for_bucket=False) or Acl(canned="default")
    tags = tags_from_header(ctx)
    sse = sse_of_request(ctx)
    body = await receive(app, ctx)
    version = ObjectVersion(
        key=ctx.key,
        version_id=new_version_id_for(bucket),
        segments=[body.blob],
        size=body.size,
        etag=app.etag_for(body.md5_hex, body.crc64, body.size),
        crc64=body.crc64,
        last_modified=app.clock(),
        headers=headers,
        storage_class=storage_class,
        acl=acl,
        tags=tags,
        sse=sse,
    )
    app.store.put_version(bucket, version)
    return empty_response(ctx, 200, write_response_headers(bucket, version))


async def append_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    assert ctx.key is not None
    check_traffic_limit(ctx)
    position = parse_number(ctx.get("position"), "position")
    current = bucket.current(ctx.key)
    if current is not None and current.delete_marker:
        current = None
    if current is not None and current.object_type != "appendable":
        raise err(409, "ObjectNotAppendable", "The object is not appendable.")
    length = current.size if current is not None else 0
    if position != length:
        raise err(
            409,
            "PositionNotEqualToLength",
            f"The position {position} is not the object's length {length}.",
            **{"x-cos-next-append-position": str(length)},
        )
    body = await receive(app, ctx, limit=MAX_SINGLE_PUT - length, keep_md5_state=True)
    if current is None:
        md5_state = body.md5_state
        version = ObjectVersion(
            key=ctx.key,
            version_id=new_version_id_for(bucket),
            segments=[body.blob],
            size=body.size,
            etag="",
            crc64=body.crc64,
            last_modified=app.clock(),
            headers=object_headers(ctx),
            storage_class=requested_storage_class(ctx),
            acl=acl_from_headers(ctx, for_bucket=False) or Acl(canned="default"),
            tags=tags_from_header(ctx),
            object_type="appendable",
            sse=sse_of_request(ctx),
        )
    else:
        md5_state = current.md5_state
        if md5_state is None:  # after a restart: rebuild from the stored content
            md5_state = hashlib.md5()
            async for chunk in iter_segments(current.segments, 0, current.size):
                md5_state.update(chunk)
        data = await body.blob.read_all()
        md5_state.update(data)
        old_crc = current.crc64 if current.crc64 is not None else 0
        version = attrs.evolve(
            current,
            segments=[*current.segments, body.blob],
            size=current.size + body.size,
            crc64=combine(old_crc, body.crc64, body.size),
            last_modified=app.clock(),
        )
    version.etag = f'"{md5_state.hexdigest()}"'
    version.md5_state = md5_state
    if current is not None:
        # Replace in place: appends do not create versions.
        versions = bucket.objects[ctx.key]
        versions[-1] = version
        app.store._incref([body.blob])
        app.store.persist_key(bucket, ctx.key)
    else:
        app.store.put_version(bucket, version)
    headers = write_response_headers(bucket, version)
    headers["x-cos-next-append-position"] = str(version.size)
    return empty_response(ctx, 200, headers)


# --- read -------------------------------------------------------------------------------------


def _object_response_headers(
    app: AppState, bucket: BucketState, v: ObjectVersion
) -> dict[str, str]:
    h: dict[str, str] = {
        "ETag": v.etag,
        "Last-Modified": http_date(v.last_modified),
        "Accept-Ranges": "bytes",
    }
    for name, value in v.headers.items():
        h[_canonical_header(name)] = value
    if v.crc64 is not None:
        h["x-cos-hash-crc64ecma"] = str(v.crc64)
    if v.storage_class != "STANDARD":
        h["x-cos-storage-class"] = v.storage_class
    if v.object_type != "normal":
        h["x-cos-object-type"] = v.object_type
        h["x-cos-next-append-position"] = str(v.size)
    if bucket.versioning in ("Enabled", "Suspended"):
        h["x-cos-version-id"] = v.version_id
    if v.tags:
        h["x-cos-tagging-count"] = str(len(v.tags))
    h.update(sse_echo(v.sse))
    if v.storage_class in ARCHIVE_STORAGE_CLASSES and v.restore_ready_at is not None:
        if app.clock() < v.restore_ready_at:
            h["x-cos-restore"] = 'ongoing-request="true"'
        elif v.restore_expiry is not None:
            h["x-cos-restore"] = (
                f'ongoing-request="false", expiry-date="{http_date(v.restore_expiry)}"'
            )
    return h


async def head_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    v = follow(bucket, find_version(ctx, bucket))
    check_sse_access(ctx, v)
    h = _object_response_headers(app, bucket, v)
    check_conditions(ctx, v, h)
    h.update(base_headers(ctx.request_id))
    resp = web.Response(status=200, headers=h)
    resp.headers["Content-Length"] = str(v.size)
    return resp


async def get_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    check_traffic_limit(ctx)
    v = follow(bucket, find_version(ctx, bucket))
    check_sse_access(ctx, v)
    h = _object_response_headers(app, bucket, v)
    check_conditions(ctx, v, h)
    check_readable(app, v)
    for param, header in RESPONSE_OVERRIDES.items():
        value = ctx.get(param)
        if value is not None:
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise err(400, "InvalidArgument", f"{param} has a control character")
            h[header] = value
    start, end, status = 0, v.size, 200
    range_header = ctx.header("Range")
    if range_header is not None:
        parsed = parse_range(range_header, v.size)
        if parsed is not None:
            start, end = parsed
            status = 206
            h["Content-Range"] = f"bytes {start}-{end - 1}/{v.size}"
    h.update(base_headers(ctx.request_id))
    return await stream(ctx, status, h, v.segments, start, end)


# --- delete -----------------------------------------------------------------------------------


def _delete_one(
    app: AppState, bucket: BucketState, key: str, version_id: str | None
) -> tuple[str | None, bool, str | None]:
    """Delete a key or one version: returns (version id, delete marker?, marker version id)."""
    if version_id:
        removed = app.store.remove_version(bucket, key, version_id)
        if removed is None:
            if bucket.versioning or version_id != "null":
                return version_id, False, None
            return None, False, None
        return version_id, removed.delete_marker, None
    if bucket.versioning in ("Enabled", "Suspended"):
        marker = ObjectVersion(
            key=key,
            version_id=new_version_id_for(bucket),
            segments=[],
            size=0,
            etag="",
            crc64=None,
            last_modified=app.clock(),
            headers={},
            delete_marker=True,
        )
        app.store.put_version(bucket, marker)
        return None, True, marker.version_id
    app.store.remove_version(bucket, key, "null")
    return None, False, None


async def delete_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    assert ctx.key is not None
    version_id, was_marker, marker_id = _delete_one(app, bucket, ctx.key, ctx.get("versionId"))
    h: dict[str, str] = {}
    if marker_id is not None:
        h["x-cos-delete-marker"] = "true"
        h["x-cos-version-id"] = marker_id
    elif version_id is not None:
        h["x-cos-version-id"] = version_id
        if was_marker:
            h["x-cos-delete-marker"] = "true"
    return empty_response(ctx, 204, h)


async def delete_multiple(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    body = await read_small(ctx)
    # S3 clients may send a checksum instead (x-amz-checksum-*, checked as the body was read)
    checked = ctx.s3 is not None and getattr(ctx.s3.payload, "checksum", None) is not None
    if ctx.header("Content-MD5") is None and not checked:
        raise err(400, "InvalidRequest", "Missing required header for this request: Content-MD5")
    check_content_md5(ctx, body)
    try:
        doc = parse(body)
    except XMLError as exc:
        raise err(400, "MalformedXML", str(exc)) from exc
    root = doc.get("Delete")
    if not isinstance(root, dict):
        raise err(400, "MalformedXML", "expected a <Delete> document")
    objects = root.get("Object") or []
    if not objects:
        raise err(400, "MalformedXML", "<Delete> lists no <Object>")
    if len(objects) > DELETE_BATCH:
        raise err(
            400,
            "MalformedXML",
            f"at most {DELETE_BATCH} keys per request, got {len(objects)}",
        )
    quiet = text_of(root.get("Quiet")).lower() == "true"
    deleted: list[dict[str, str]] = []
    errors: list[dict[str, str]] = []
    for obj in objects:
        if not isinstance(obj, dict) or not text_of(obj.get("Key")):
            raise err(400, "MalformedXML", "each <Object> needs a <Key>")
        key = text_of(obj["Key"])
        vid = text_of(obj.get("VersionId")) or None
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            errors.append({"Key": key, "Code": "KeyTooLong", "Message": "key too long"})
            continue
        version_id, was_marker, marker_id = _delete_one(app, bucket, key, vid)
        if quiet:
            continue
        entry = {"Key": key}
        if version_id is not None:
            entry["VersionId"] = version_id
        if marker_id is not None:
            entry["DeleteMarker"] = "true"
            entry["DeleteMarkerVersionId"] = marker_id
        elif was_marker:
            entry["DeleteMarker"] = "true"
            entry["DeleteMarkerVersionId"] = version_id or ""
        deleted.append(entry)
    result: dict[str, Any] = {}
    if deleted:
        result["Deleted"] = deleted
    if errors:
        result["Error"] = errors
    return xml_response(ctx, "DeleteResult", result)


# --- copy and restore -------------------------------------------------------------------------


async def copy_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    assert ctx.key is not None
    src_bucket, src = copy_source(app, ctx)
    directive = (ctx.header("x-cos-metadata-directive") or "Copy").strip()
    if directive not in ("Copy", "Replaced"):
        raise err(
            400,
            "InvalidArgument",
            f"x-cos-metadata-directive must be Copy or Replaced: {directive!r}",
        )
    # Without x-cos-storage-class a copy is STANDARD, not the source's class: copy_object's
    # StorageClass is "STANDARD (default)" (seeds/003 L164893-L164895), and so is the
    # destination's of Java's TransferManager.copy, multipart for large objects (003 L88713).
    storage_class = requested_storage_class(ctx)
    same = src_bucket is bucket and src.key == ctx.key
    if same and directive == "Copy" and storage_class == src.storage_class:
        raise err(
            400,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata or storage class.",
        )
    headers = object_headers(ctx) if directive == "Replaced" else dict(src.headers)
    tags = tags_from_header(ctx) if ctx.header("x-cos-tagging") else dict(src.tags)
    version = ObjectVersion(
        key=ctx.key,
        version_id=new_version_id_for(bucket),
        segments=list(src.segments),
        size=src.size,
        etag=src.etag,
        crc64=src.crc64,
        last_modified=app.clock(),
        headers=headers,
        storage_class=storage_class,
        acl=acl_from_headers(ctx, for_bucket=False) or Acl(canned="default"),
        tags=tags,
        sse=sse_of_request(ctx),
    )
    result = {"ETag": version.etag, "LastModified": iso_date(version.last_modified)}
    if bucket.versioning == "Enabled":
        result["VersionId"] = version.version_id
    if version.crc64 is not None:
        result["CRC64"] = str(version.crc64)
    h = write_response_headers(bucket, version)
    if src.version_id != "null":
        h["x-cos-copy-source-version-id"] = src.version_id
    if ctx.fault is not None and ctx.fault.action == "error_after_200":
        return await late_error(ctx, ctx.fault)
    app.store.put_version(bucket, version)
    return xml_response(ctx, "CopyObjectResult", result, headers=h)


async def restore_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    v = find_version(ctx, bucket)
    check_sse_access(ctx, v)
    body = await read_small(ctx)
    try:
        root = parse(body).get("RestoreRequest")
    except XMLError as exc:
        raise err(400, "MalformedXML", str(exc)) from exc
    if not isinstance(root, dict):
        raise err(400, "MalformedXML", "expected a <RestoreRequest> document")
    days = parse_number(
        text_of(root.get("Days")), "RestoreRequest Days", minimum=1, maximum=MAX_RESTORE_DAYS
    )
    params = root.get("CASJobParameters") or {}
    tier = text_of(params.get("Tier")) if isinstance(params, dict) else ""
    tier = tier or "Standard"
    if v.storage_class not in ARCHIVE_STORAGE_CLASSES:
        raise err(
            403,
            "InvalidObjectState",
            f"restore applies to ARCHIVE and DEEP_ARCHIVE objects, not {v.storage_class}",
        )
    allowed = (
        {"Expedited", "Standard", "Bulk"} if v.storage_class == "ARCHIVE" else {"Standard", "Bulk"}
    )
    if tier not in allowed:
        raise err(
            400,
            "InvalidArgument",
            f"Tier {tier!r} is not valid for {v.storage_class}; use one of {sorted(allowed)}",
        )
    now = app.clock()
    if v.restore_ready_at is not None and now < v.restore_ready_at:
        raise err(409, "RestoreAlreadyInProgress", "Object restore is already in progress.")
    already = v.restore_ready_at is not None and (
        v.restore_expiry is None or now < v.restore_expiry
    )
    if not already:
        v.restore_ready_at = now + app.restore_delay
    v.restore_expiry = max(now, v.restore_ready_at or now) + days * 86400
    app.store.persist_key(bucket, v.key)
    return empty_response(ctx, 200 if already else 202)


# --- ACL and tags -----------------------------------------------------------------------------


async def get_object_acl(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    v = find_version(ctx, bucket)
    return acl_response(app, ctx, v.acl)


async def put_object_acl(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    v = find_version(ctx, bucket)
    body = await read_small(ctx)
    acl = acl_from_headers(ctx, for_bucket=False)
    if acl is None:
        acl = acl_from_document(body)
    v.acl = acl
    app.store.persist_key(bucket, v.key)
    return empty_response(ctx)


async def get_object_tagging(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    v = find_version(ctx, bucket)
    tags = [{"Key": k, "Value": val} for k, val in v.tags.items()]
    return xml_response(ctx, "Tagging", {"TagSet": {"Tag": tags} if tags else None})


async def put_object_tagging(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    v = find_version(ctx, bucket)
    body = await read_small(ctx)
    try:
        doc = parse(body)
    except XMLError as exc:
        raise err(400, "MalformedXML", str(exc)) from exc
    if "Tagging" not in doc:
        raise err(400, "MalformedXML", "expected a <Tagging> document")
    v.tags = parse_tagging(doc, limit=MAX_OBJECT_TAGS)
    app.store.persist_key(bucket, v.key)
    return empty_response(
        ctx, 200, {"x-cos-version-id": v.version_id} if bucket.versioning else None
    )


async def delete_object_tagging(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    v = find_version(ctx, bucket)
    v.tags = {}
    app.store.persist_key(bucket, v.key)
    return empty_response(ctx, 204)
