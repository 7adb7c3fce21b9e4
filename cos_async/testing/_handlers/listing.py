"""Listings: objects (GET Bucket), object versions and multipart uploads, paged by markers."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from cos_async._limits import MAX_PAGE_SIZE
from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import iso_date, xml_response
from cos_async.testing._state import AppState
from cos_async.testing._store import BucketState, ObjectVersion, Store
from cos_async.testing._values import parse_number

__all__ = [
    "encoder",
    "encoding_type",
    "get_bucket",
    "list_multipart_uploads",
    "list_object_versions",
    "list_page",
    "max_param",
]


def max_param(ctx: Ctx, name: str) -> int:
    """A page size parameter (``max-keys``...): at most :data:`MAX_PAGE_SIZE`, the default."""
    text = ctx.get(name)
    if text is None or text == "":
        return MAX_PAGE_SIZE
    return min(parse_number(text, name), MAX_PAGE_SIZE)


def encoding_type(ctx: Ctx) -> str:
    """``encoding-type``: ``url`` or nothing."""
    value = ctx.get("encoding-type") or ""
    if value and value != "url":
        raise err(400, "InvalidArgument", f"encoding-type must be url, got {value!r}")
    return value


def encoder(encoding: str) -> Callable[[str], str]:
    """How keys and prefixes are written under ``encoding``."""
    if encoding == "url":
        return lambda s: quote(s, safe="/")
    return lambda s: s


def list_page(
    app: AppState,
    bucket: BucketState,
    *,
    prefix: str,
    delimiter: str,
    marker: str,
    max_keys: int,
    enc: Callable[[str], str],
) -> tuple[list[dict[str, Any]], list[str], bool, str]:
    """One page of a bucket's current objects after ``marker``: ``(contents, common prefixes,
    truncated, next marker)`` (also ListObjectsV2's, ``_handlers.listing_v2``)."""
    contents: list[dict[str, Any]] = []
    prefixes: list[str] = []
    truncated = False
    next_marker = ""
    count = 0
    keys = bucket.sorted_keys()
    i = Store.start_index(keys, marker, prefix)
    if (
        delimiter
        and marker.startswith(prefix)
        and marker.endswith(delimiter)
        and marker.find(delimiter, len(prefix)) == len(marker) - len(delimiter)
    ):
        # The marker is a common prefix (a NextMarker): skip every key it rolls up.
        i = max(i, bisect.bisect_left(keys, marker + "\U0010ffff"))
    while i < len(keys):
        key = keys[i]
        i += 1
        if prefix and not key.startswith(prefix):
            break
        current = bucket.current(key)
        if current is None or current.delete_marker:
            continue
        if delimiter:
            pos = key.find(delimiter, len(prefix))
            if pos >= 0:
                cp = key[: pos + len(delimiter)]
                if count >= max_keys:
                    truncated = True
                    break
                prefixes.append(cp)
                count += 1
                next_marker = cp
                i = bisect.bisect_left(keys, cp + "\U0010ffff", lo=i)
                continue
        if count >= max_keys:
            truncated = True
            break
        contents.append(_content_entry(app, current, enc))
        count += 1
        next_marker = key
    return contents, prefixes, truncated, next_marker


async def get_bucket(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    prefix = ctx.get("prefix") or ""
    delimiter = ctx.get("delimiter") or ""
    marker = ctx.get("marker") or ""
    max_keys = max_param(ctx, "max-keys")
    encoding = encoding_type(ctx)
    enc = encoder(encoding)
    contents, prefixes, truncated, next_marker = list_page(
        app,
        bucket,
        prefix=prefix,
        delimiter=delimiter,
        marker=marker,
        max_keys=max_keys,
        enc=enc,
    )
    body: dict[str, Any] = {"Name": bucket.name}
    if encoding:
        body["EncodingType"] = encoding
    body.update(
        {
            "Prefix": enc(prefix),
            "Marker": enc(marker),
            "MaxKeys": str(max_keys),
        }
    )
    if delimiter:
        body["Delimiter"] = enc(delimiter)
    body["IsTruncated"] = "true" if truncated else "false"
    if truncated:
        body["NextMarker"] = enc(next_marker)
    if contents:
        body["Contents"] = contents
    if prefixes:
        body["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
    return xml_response(ctx, "ListBucketResult", body)


def _content_entry(app: AppState, v: ObjectVersion, enc: Callable[[str], str]) -> dict[str, Any]:
    return {
        "Key": enc(v.key),
        "LastModified": iso_date(v.last_modified),
        "ETag": v.etag,
        "Size": str(v.size),
        "Owner": app.owner(),
        "StorageClass": v.storage_class,
    }


async def list_object_versions(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    prefix = ctx.get("prefix") or ""
    delimiter = ctx.get("delimiter") or ""
    key_marker = ctx.get("key-marker") or ""
    vid_marker = ctx.get("version-id-marker") or ""
    max_keys = max_param(ctx, "max-keys")
    encoding = encoding_type(ctx)
    enc = encoder(encoding)
    entries: list[tuple[str, dict[str, Any]]] = []
    prefixes: list[str] = []
    truncated = False
    next_key = next_vid = ""
    done = False
    for key in sorted(bucket.objects):
        if prefix and not key.startswith(prefix):
            continue
        if key_marker and key < key_marker:
            continue
        if delimiter:
            pos = key.find(delimiter, len(prefix))
            if pos >= 0:
                cp = key[: pos + len(delimiter)]
                if cp in prefixes or (key_marker and cp <= key_marker):
                    continue
                if len(entries) + len(prefixes) >= max_keys:
                    truncated = True
                    break
                prefixes.append(cp)
                next_key, next_vid = cp, ""
                continue
        versions = list(reversed(bucket.objects[key]))
        start = 0
        if key_marker and key == key_marker:
            if not vid_marker:
                continue
            idx = next((j for j, v in enumerate(versions) if v.version_id == vid_marker), None)
            if idx is None:
                continue
            start = idx + 1
        for j in range(start, len(versions)):
            v = versions[j]
            if len(entries) + len(prefixes) >= max_keys:
                truncated = True
                done = True
                break
            entry = {
                "Key": enc(v.key),
                "VersionId": v.version_id,
                "IsLatest": "true" if j == 0 else "false",
                "LastModified": iso_date(v.last_modified),
                "Owner": app.owner(),
            }
            if not v.delete_marker:
                entry.update({"ETag": v.etag, "Size": str(v.size), "StorageClass": v.storage_class})
            entries.append(("DeleteMarker" if v.delete_marker else "Version", entry))
            next_key, next_vid = v.key, v.version_id
        if done:
            break
    body: dict[str, Any] = {"Name": bucket.name}
    if encoding:
        body["EncodingType"] = encoding
    body.update(
        {
            "Prefix": enc(prefix),
            "KeyMarker": enc(key_marker),
            "VersionIdMarker": vid_marker,
            "MaxKeys": str(max_keys),
        }
    )
    if delimiter:
        body["Delimiter"] = enc(delimiter)
    body["IsTruncated"] = "true" if truncated else "false"
    if truncated:
        body["NextKeyMarker"] = enc(next_key)
        body["NextVersionIdMarker"] = next_vid
    versions_out = [e for kind, e in entries if kind == "Version"]
    markers_out = [e for kind, e in entries if kind == "DeleteMarker"]
    if versions_out:
        body["Version"] = versions_out
    if markers_out:
        body["DeleteMarker"] = markers_out
    if prefixes:
        body["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
    return xml_response(ctx, "ListVersionsResult", body)


async def list_multipart_uploads(
    app: AppState, ctx: Ctx, bucket: BucketState
) -> web.StreamResponse:
    prefix = ctx.get("prefix") or ""
    delimiter = ctx.get("delimiter") or ""
    key_marker = ctx.get("key-marker") or ""
    id_marker = ctx.get("upload-id-marker") or ""
    max_uploads = max_param(ctx, "max-uploads")
    encoding = encoding_type(ctx)
    enc = encoder(encoding)
    # By upload id within a key (ids start with the initiation time in ms), the order
    # upload-id-marker compares in; sorting by time first loses uploads of the same ms.
    uploads = sorted(bucket.uploads.values(), key=lambda u: (u.key, u.upload_id))
    out: list[dict[str, Any]] = []
    prefixes: list[str] = []
    truncated = False
    next_key = next_id = ""
    for up in uploads:
        if prefix and not up.key.startswith(prefix):
            continue
        if key_marker:
            if up.key < key_marker:
                continue
            if up.key == key_marker and (not id_marker or up.upload_id <= id_marker):
                continue
        if delimiter:
            pos = up.key.find(delimiter, len(prefix))
            if pos >= 0:
                cp = up.key[: pos + len(delimiter)]
                if cp in prefixes:
                    continue
                if len(out) + len(prefixes) >= max_uploads:
                    truncated = True
                    break
                prefixes.append(cp)
                continue
        if len(out) + len(prefixes) >= max_uploads:
            truncated = True
            break
        out.append(
            {
                "Key": enc(up.key),
                "UploadId": up.upload_id,
                "StorageClass": up.storage_class,
                "Initiator": app.account(),
                "Owner": app.account(),
                "Initiated": iso_date(up.initiated),
            }
        )
        next_key, next_id = up.key, up.upload_id
    body: dict[str, Any] = {"Bucket": bucket.name}
    if encoding:
        body["EncodingType"] = encoding
    body.update(
        {
            "KeyMarker": enc(key_marker),
            "UploadIdMarker": id_marker,
            "MaxUploads": str(max_uploads),
            "Prefix": enc(prefix),
        }
    )
    if delimiter:
        body["Delimiter"] = enc(delimiter)
    body["IsTruncated"] = "true" if truncated else "false"
    if truncated:
        body["NextKeyMarker"] = enc(next_key)
        body["NextUploadIdMarker"] = next_id
    if out:
        body["Upload"] = out
    if prefixes:
        body["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
    return xml_response(ctx, "ListMultipartUploadsResult", body)
