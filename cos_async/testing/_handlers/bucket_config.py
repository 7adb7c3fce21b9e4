"""Bucket configurations: the ACL, versioning, and the documents stored per sub-resource
(CORS, lifecycle, replication, website, logging, policy, domain, inventory, tagging, referer,
encryption, intelligent tiering, object lock), validated by ``_documents``."""

from __future__ import annotations

from aiohttp import web

from cos_async._xml import parse, text_of
from cos_async.testing._acl import acl_from_document, acl_from_headers, acl_response
from cos_async.testing._bodies import check_content_md5, read_small
from cos_async.testing._context import Ctx, err
from cos_async.testing._documents import (
    CONFIG_ROOTS,
    MAX_BUCKET_TAGS,
    parse_tagging,
    validate_config,
)
from cos_async.testing._operations import CONFIG_SUBRESOURCE, Operation
from cos_async.testing._responses import base_headers, empty_response, xml_response
from cos_async.testing._state import AppState
from cos_async.testing._store import BucketState

__all__ = [
    "delete_bucket_config",
    "get_bucket_acl",
    "get_bucket_config",
    "get_bucket_versioning",
    "list_inventory_configurations",
    "put_bucket_acl",
    "put_bucket_config",
    "put_bucket_versioning",
]

#: inventory configurations of a bucket, at most
MAX_INVENTORIES = 1000


async def _read_document(ctx: Ctx) -> bytes:
    too_large = "MalformedPolicy" if ctx.operation == Operation.PutBucketPolicy else "MalformedXML"
    body = await read_small(ctx, too_large=too_large)
    check_content_md5(ctx, body)
    return body


async def get_bucket_acl(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    return acl_response(app, ctx, bucket.acl)


async def put_bucket_acl(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    body = await _read_document(ctx)
    acl = acl_from_headers(ctx, for_bucket=True)
    if acl is None:
        acl = acl_from_document(body)
    bucket.acl = acl
    app.store.persist_bucket(bucket)
    return empty_response(ctx)


async def get_bucket_versioning(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    body = {"Status": bucket.versioning} if bucket.versioning else None
    return xml_response(ctx, "VersioningConfiguration", body or {})


async def put_bucket_versioning(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    body = await _read_document(ctx)
    validate_config("versioning", body)
    bucket.versioning = text_of(parse(body)["VersioningConfiguration"]["Status"])
    app.store.persist_bucket(bucket)
    return empty_response(ctx)


def _config_key(ctx: Ctx, sub: str) -> str:
    """Where a configuration is kept: by sub-resource, inventories by id too."""
    return f"inventory:{ctx.get('id')}" if sub == "inventory" else sub


async def put_bucket_config(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """PUT ``?<sub-resource>`` of a stored configuration document."""
    sub = CONFIG_SUBRESOURCE[ctx.operation]
    body = await _read_document(ctx)
    if sub == "referer" and not body.strip():
        # COS has no DELETE ?referer: an empty configuration removes it (official SDK)
        bucket.configs.pop("referer", None)
        app.store.persist_bucket(bucket)
        return empty_response(ctx, 200)
    inventory_id = ctx.get("id") if sub == "inventory" else None
    if sub == "inventory":
        if not inventory_id:
            raise err(400, "InvalidArgument", "PUT ?inventory needs an id parameter")
        count = sum(1 for k in bucket.configs if k.startswith("inventory:"))
        if f"inventory:{inventory_id}" not in bucket.configs and count >= MAX_INVENTORIES:
            raise err(
                400,
                "TooManyConfigurations",
                f"at most {MAX_INVENTORIES} inventory configurations",
            )
    validate_config(sub, body, inventory_id=inventory_id)
    if sub == "replication" and bucket.versioning != "Enabled":
        raise err(400, "InvalidRequest", "replication needs versioning enabled on the bucket")
    if sub == "tagging":
        bucket.tags = parse_tagging(parse(body), limit=MAX_BUCKET_TAGS)
    bucket.configs[_config_key(ctx, sub)] = body
    app.store.persist_bucket(bucket)
    return empty_response(ctx, 200)


async def get_bucket_config(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """GET ``?<sub-resource>``: the stored document as it was put (404 with the family's code
    when there is none; an empty logging status)."""
    sub = CONFIG_SUBRESOURCE[ctx.operation]
    doc = bucket.configs.get(_config_key(ctx, sub))
    if doc is None:
        if sub == "logging":
            return xml_response(ctx, "BucketLoggingStatus", {})
        code = CONFIG_ROOTS[sub][1]
        raise err(404, code, f"The {sub} configuration does not exist.")
    h = base_headers(ctx.request_id)
    h["Content-Type"] = "application/json" if sub == "policy" else "application/xml"
    return web.Response(status=200, body=doc, headers=h)


async def delete_bucket_config(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """DELETE ``?<sub-resource>`` (204 also when there is none, except for an inventory id)."""
    sub = CONFIG_SUBRESOURCE[ctx.operation]
    if bucket.configs.pop(_config_key(ctx, sub), None) is None and sub == "inventory":
        raise err(
            404, "NoSuchInventoryConfiguration", "The inventory configuration does not exist."
        )
    if sub == "tagging":
        bucket.tags = {}
    app.store.persist_bucket(bucket)
    return empty_response(ctx, 204)


async def list_inventory_configurations(
    app: AppState, ctx: Ctx, bucket: BucketState
) -> web.StreamResponse:
    configs = [
        parse(doc)["InventoryConfiguration"]
        for k, doc in sorted(bucket.configs.items())
        if k.startswith("inventory:")
    ]
    return xml_response(
        ctx,
        "ListInventoryConfigurationResult",
        {"InventoryConfiguration": configs, "IsTruncated": "false"},
    )
