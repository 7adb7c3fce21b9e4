"""What the handler families share: bucket names, the headers stored with an object, storage
classes, version lookup, copy sources and the readability of archived objects."""

from __future__ import annotations

import re
from urllib.parse import unquote

from cos_async._limits import (
    ARCHIVE_STORAGE_CLASSES,
    MAX_BUCKET_NAME,
    MAX_METADATA_BYTES,
    MAX_OBJECT_TAGS,
    STORAGE_CLASSES,
    TRAFFIC_LIMIT_MAX,
    TRAFFIC_LIMIT_MIN,
)
from cos_async.testing._conditions import check_copy_conditions
from cos_async.testing._context import Ctx, err, hostname_of, is_virtual_host
from cos_async.testing._documents import parse_tag_header
from cos_async.testing._sse import COPY_SOURCE_CUSTOMER, check_sse_access, sse_echo
from cos_async.testing._state import AppState
from cos_async.testing._store import BucketState, ObjectVersion, new_version_id
from cos_async.testing._values import number_or_none

__all__ = [
    "STORED_HEADERS",
    "check_readable",
    "check_traffic_limit",
    "copy_source",
    "find_version",
    "new_version_id_for",
    "object_headers",
    "requested_storage_class",
    "tags_from_header",
    "valid_bucket_name",
    "write_response_headers",
]

_BUCKET_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")
_STORAGE_CLASSES = frozenset(STORAGE_CLASSES)

#: the standard headers stored with an object and answered by GET and HEAD
STORED_HEADERS = (
    "content-type",
    "content-disposition",
    "content-encoding",
    "content-language",
    "cache-control",
    "expires",
)


def valid_bucket_name(name: str) -> bool:
    """``<name>-<appid>``: lower-case letters, digits and dashes."""
    return bool(_BUCKET_RE.match(name)) and len(name) <= MAX_BUCKET_NAME


def check_traffic_limit(ctx: Ctx) -> None:
    """``x-cos-traffic-limit`` (header or parameter) is validated, not enforced."""
    value = ctx.header("x-cos-traffic-limit") or ctx.get("x-cos-traffic-limit")
    if value is None:
        return
    lo, hi = TRAFFIC_LIMIT_MIN, TRAFFIC_LIMIT_MAX
    rate = number_or_none(value.strip())
    if rate is None or not lo <= rate <= hi:
        shown = value if len(value) <= 40 else f"{value[:40]}... ({len(value)} chars)"
        raise err(
            400, "InvalidArgument", f"x-cos-traffic-limit must be {lo}..{hi} bit/s, got {shown!r}"
        )


def object_headers(ctx: Ctx) -> dict[str, str]:
    """The headers a new object keeps: :data:`STORED_HEADERS` and ``x-cos-meta-*``."""
    headers: dict[str, str] = {}
    meta_bytes = 0
    for name, value in ctx.request.headers.items():
        low = name.lower()
        if low in STORED_HEADERS:
            headers[low] = value
        elif low.startswith("x-cos-meta-"):
            headers[low] = value
            meta_bytes += len(low) + len(value.encode("utf-8"))
    if meta_bytes > MAX_METADATA_BYTES:
        raise err(
            400,
            "MetadataTooLarge",
            f"Your metadata headers ({meta_bytes} bytes) exceed the maximum of {MAX_METADATA_BYTES}.",
        )
    headers.setdefault("content-type", "application/octet-stream")
    return headers


def requested_storage_class(ctx: Ctx) -> str:
    """``x-cos-storage-class``, STANDARD when absent (400 for an unknown class): for uploads,
    and for copies too, whatever the source's class."""
    value = ctx.header("x-cos-storage-class")
    if value is None:
        return "STANDARD"
    sc = value.strip().upper()
    if sc not in _STORAGE_CLASSES:
        raise err(
            400,
            "InvalidStorageClass",
            f"The storage class you specified is not valid: {value!r}",
        )
    return sc


def tags_from_header(ctx: Ctx) -> dict[str, str]:
    """The tags of ``x-cos-tagging`` (``k1=v1&k2=v2``)."""
    value = ctx.header("x-cos-tagging")
    if not value:
        return {}
    return parse_tag_header(value, limit=MAX_OBJECT_TAGS)


def new_version_id_for(bucket: BucketState) -> str:
    """A fresh version id under versioning, else ``"null"``."""
    return new_version_id() if bucket.versioning == "Enabled" else "null"


def write_response_headers(bucket: BucketState, v: ObjectVersion) -> dict[str, str]:
    """What a write answers: ETag, CRC-64, version id (on versioned buckets), encryption."""
    h = {"ETag": v.etag}
    if v.crc64 is not None:
        h["x-cos-hash-crc64ecma"] = str(v.crc64)
    if bucket.versioning in ("Enabled", "Suspended"):
        h["x-cos-version-id"] = v.version_id
    h.update(sse_echo(v.sse))
    return h


def find_version(ctx: Ctx, bucket: BucketState) -> ObjectVersion:
    """The version a request addresses (``?versionId``, else the current one); 404 when there is
    none, 404 or 405 for a delete marker."""
    assert ctx.key is not None
    version_id = ctx.get("versionId")
    versions = bucket.objects.get(ctx.key)
    if version_id:
        for v in versions or []:
            if v.version_id == version_id:
                if v.delete_marker:
                    raise err(
                        405,
                        "MethodNotAllowed",
                        "The specified method is not allowed against a delete marker.",
                        **{"x-cos-delete-marker": "true", "x-cos-version-id": v.version_id},
                    )
                return v
        raise err(404, "NoSuchVersion", "The specified version does not exist.")
    if not versions:
        raise err(404, "NoSuchKey", "The specified key does not exist.")
    v = versions[-1]
    if v.delete_marker:
        raise err(
            404,
            "NoSuchKey",
            "The specified key does not exist.",
            **{"x-cos-delete-marker": "true", "x-cos-version-id": v.version_id},
        )
    return v


def check_readable(state: AppState, v: ObjectVersion) -> None:
    """An archived object is read only while a restored copy is available (403 otherwise)."""
    if v.storage_class not in ARCHIVE_STORAGE_CLASSES:
        return
    now = state.clock()
    restored = (
        v.restore_ready_at is not None
        and now >= v.restore_ready_at
        and (v.restore_expiry is None or now < v.restore_expiry)
    )
    if not restored:
        raise err(
            403,
            "InvalidObjectState",
            "The operation is not valid for the object's storage class (restore it first).",
        )


def copy_source(state: AppState, ctx: Ctx) -> tuple[BucketState, ObjectVersion]:
    """The bucket and version ``x-cos-copy-source`` names, checked: it exists, its SSE-C key
    and ``x-cos-copy-source-If-*`` conditions hold, and it is readable."""
    raw = ctx.header("x-cos-copy-source") or ""
    src_bucket, src_key, src_vid = _parse_copy_source(raw)
    if src_bucket is None or not src_key:
        raise err(400, "InvalidArgument", f"x-cos-copy-source is malformed: {raw!r}")
    bucket = state.store.buckets.get(src_bucket)
    if bucket is None:
        raise err(404, "NoSuchBucket", f"The source bucket does not exist: {src_bucket!r}")
    named = _source_region(raw)
    if named is not None and named != bucket.region:
        raise err(
            404,
            "NoSuchBucket",
            f"The source bucket {src_bucket!r} is in {bucket.region}, not in {named}",
        )
    versions = bucket.objects.get(src_key) or []
    if src_vid:
        v = next((x for x in versions if x.version_id == src_vid), None)
    else:
        v = versions[-1] if versions else None
    if v is None or v.delete_marker:
        raise err(404, "NoSuchKey", f"The source key does not exist: {src_key!r}")
    check_sse_access(ctx, v, COPY_SOURCE_CUSTOMER)
    check_copy_conditions(ctx, v)
    check_readable(state, v)
    return bucket, v


_REGIONAL_HOST = re.compile(
    r"^[^.]+\.cos(?:-internal)?\.([a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)$"
)


def _source_region(raw: str) -> str | None:
    """The region a copy source's host names (``<bucket>.cos.<region>.myqcloud.com``), if any."""
    value = raw.strip().split("://", 1)[-1]
    if value.startswith("/"):
        return None
    match = _REGIONAL_HOST.match(hostname_of(value.partition("/")[0]))
    return match.group(1) if match else None


def _parse_copy_source(raw: str) -> tuple[str | None, str, str | None]:
    """``(bucket, key, version id)`` of ``<bucket>.cos.<region>.myqcloud.com/<key>[?versionId=]``
    (or a path-style ``/<bucket>/<key>``, or ``<host>/<bucket>/<key>``)."""
    value = raw.strip()
    version_id = None
    if "?" in value:
        value, _, query = value.partition("?")
        for item in query.split("&"):
            k, _, v = item.partition("=")
            if k == "versionId":
                version_id = unquote(v)
    if "://" in value:
        value = value.split("://", 1)[1]
    if value.startswith("/"):
        bucket, _, key = value[1:].partition("/")
        return bucket or None, unquote(key), version_id
    host, _, key = value.partition("/")
    hostname = hostname_of(host)
    if is_virtual_host(hostname):
        return hostname.split(".", 1)[0], unquote(key), version_id
    bucket, _, rest = key.partition("/")
    return bucket or None, unquote(rest), version_id
