"""The service and its buckets: list, create, head, delete, location."""

from __future__ import annotations

from aiohttp import web

from cos_async._limits import MAX_BUCKET_PAGE
from cos_async._xml import XMLError, parse
from cos_async.testing._acl import acl_from_headers
from cos_async.testing._bodies import read_small
from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import empty_response, iso_date, xml_response
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl, BucketState
from cos_async.testing._values import parse_number

from .common import valid_bucket_name

__all__ = [
    "delete_bucket",
    "get_bucket_location",
    "head_bucket",
    "list_buckets",
    "put_bucket",
]


_RANGES = {
    "lt": lambda t, at: t < at,
    "gt": lambda t, at: t > at,
    "lte": lambda t, at: t <= at,
    "gte": lambda t, at: t >= at,
}


async def list_buckets(app: AppState, ctx: Ctx) -> web.StreamResponse:
    """GET Service: the buckets in name order after ``marker``, at most ``max-keys``, filtered
    by ``region``, one tag (``tagkey`` and ``tagvalue``) and the creation time (``create-time``,
    a Unix time, with ``range``: lt, gt, lte or gte)."""
    marker = ctx.get("marker") or ""
    text = ctx.get("max-keys")
    max_keys = MAX_BUCKET_PAGE if not text else parse_number(text, "max-keys")
    if not 1 <= max_keys <= MAX_BUCKET_PAGE:
        raise err(400, "InvalidArgument", f"max-keys must be 1..{MAX_BUCKET_PAGE}, got {text}")
    region = ctx.get("region") or None
    tag_key, tag_value = ctx.get("tagkey"), ctx.get("tagvalue")
    if (tag_key is None) != (tag_value is None):
        raise err(400, "InvalidArgument", "tagkey and tagvalue go together")
    create_time, how = ctx.get("create-time"), ctx.get("range")
    if (create_time is None) != (how is None):
        raise err(400, "InvalidArgument", "create-time and range go together")
    if how is not None and how not in _RANGES:
        raise err(400, "InvalidArgument", f"range must be lt, gt, lte or gte, got {how!r}")
    at = parse_number(create_time, "create-time") if create_time is not None else 0
    chosen = [
        b
        for b in sorted(app.store.buckets.values(), key=lambda b: b.name)
        if b.name > marker
        and (region is None or b.region == region)
        and (tag_key is None or b.tags.get(tag_key) == tag_value)
        and (how is None or _RANGES[how](int(b.created), at))
    ]
    page = chosen[:max_keys]
    truncated = len(chosen) > max_keys
    buckets = [
        {"Name": b.name, "Location": b.region, "CreationDate": iso_date(b.created)} for b in page
    ]
    doc: dict[str, object] = {"Owner": app.account(), "Marker": marker}
    if truncated:
        doc["NextMarker"] = page[-1].name
    doc["IsTruncated"] = "true" if truncated else "false"
    doc["Buckets"] = {"Bucket": buckets} if buckets else None
    return xml_response(ctx, "ListAllMyBucketsResult", doc)


async def put_bucket(app: AppState, ctx: Ctx) -> web.StreamResponse:
    assert ctx.bucket is not None
    if not valid_bucket_name(ctx.bucket):
        raise err(400, "InvalidBucketName", f"The specified bucket is not valid: {ctx.bucket!r}")
    if ctx.bucket in app.store.buckets:
        raise err(409, "BucketAlreadyExists", "The requested bucket name is not available.")
    body = await read_small(ctx)
    if body.strip():
        try:
            parse(body)
        except XMLError as exc:
            raise err(400, "MalformedXML", str(exc)) from exc
    acl = acl_from_headers(ctx, for_bucket=True) or Acl(canned="private")
    app.store.create_bucket(ctx.bucket, app.region, acl)
    return empty_response(ctx, 200, {"Location": f"/{ctx.bucket}"})


async def head_bucket(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    return empty_response(ctx, 200, {"x-cos-bucket-region": bucket.region})


async def delete_bucket(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    if bucket.objects:
        raise err(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
    app.store.delete_bucket(bucket.name)
    return empty_response(ctx, 204)


async def get_bucket_location(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    return xml_response(ctx, "LocationConstraint", {"#text": bucket.region})
