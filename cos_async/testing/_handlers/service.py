"""The service and its buckets: list, create, head, delete, location."""

from __future__ import annotations

from aiohttp import web

from cos_async._xml import XMLError, parse
from cos_async.testing._acl import acl_from_headers
from cos_async.testing._bodies import read_small
from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import empty_response, iso_date, xml_response
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl, BucketState

from .common import valid_bucket_name

__all__ = [
    "delete_bucket",
    "get_bucket_location",
    "head_bucket",
    "list_buckets",
    "put_bucket",
]


async def list_buckets(app: AppState, ctx: Ctx) -> web.StreamResponse:
    buckets = [
        {"Name": b.name, "Location": b.region, "CreationDate": iso_date(b.created)}
        for b in sorted(app.store.buckets.values(), key=lambda b: b.name)
    ]
    return xml_response(
        ctx,
        "ListAllMyBucketsResult",
        {"Owner": app.account(), "Buckets": {"Bucket": buckets} if buckets else None},
    )


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
