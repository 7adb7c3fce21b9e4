"""Bucket configurations: the ACL, versioning, and the documents stored per sub-resource
(CORS, lifecycle, replication, website, logging, policy, domain, inventory, tagging, referer,
encryption, intelligent tiering, object lock, origin, response control), validated by
``_documents``; those kept by id (inventories, intelligent-tiering rules) or by domain (domain
certificates, of which only the status is kept: never the private key); and one-off
inventories."""

from __future__ import annotations

from aiohttp import web

from cos_async._xml import build, parse, text_of
from cos_async.testing._acl import acl_from_document, acl_from_headers, acl_response
from cos_async.testing._bodies import check_content_md5, read_small
from cos_async.testing._context import Ctx, err
from cos_async.testing._documents import (
    CONFIG_ROOTS,
    MAX_BUCKET_TAGS,
    certificate_domains,
    parse_tagging,
    validate_config,
    validate_one_off_inventory,
)
from cos_async.testing._operations import CONFIG_SUBRESOURCE, Operation
from cos_async.testing._responses import base_headers, empty_response, xml_response
from cos_async.testing._state import AppState
from cos_async.testing._store import BucketState

__all__ = [
    "delete_bucket_config",
    "delete_domain_certificate",
    "get_bucket_acl",
    "get_bucket_config",
    "get_bucket_versioning",
    "get_domain_certificate",
    "list_inventory_configurations",
    "list_tiering_rules",
    "post_bucket_inventory",
    "put_bucket_acl",
    "put_bucket_config",
    "put_bucket_versioning",
    "put_domain_certificate",
]

#: inventory configurations of a bucket, at most
MAX_INVENTORIES = 1000
#: intelligent-tiering rules of a bucket, at most
MAX_TIERING_RULES = 1000
#: the sub-resources kept by id (``?<sub>&id=<id>``), stored as ``"<sub>:<id>"``
_BY_ID = ("inventory", "intelligent-tiering")


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
    """Where a configuration is kept: by sub-resource, inventories and tiering rules by id too."""
    return f"{sub}:{ctx.get('id')}" if sub in _BY_ID else sub


def _with_id(body: bytes, rule_id: str) -> bytes:
    """A tiering rule's document with its ``<Id>`` (the official SDK sends it as a parameter
    only), as COS answers it."""
    root = parse(body)["IntelligentTieringConfiguration"]
    if "Id" in root:
        return body
    return build("IntelligentTieringConfiguration", {"Id": rule_id, **root})


def _required_id(ctx: Ctx, sub: str) -> str:
    rid = ctx.get("id")
    if not rid:
        raise err(400, "InvalidArgument", f"{ctx.method} ?{sub} needs an id parameter")
    return rid


async def put_bucket_config(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """PUT ``?<sub-resource>`` of a stored configuration document."""
    sub = CONFIG_SUBRESOURCE[ctx.operation]
    body = await _read_document(ctx)
    if sub == "referer" and not body.strip():
        # COS has no DELETE ?referer: an empty configuration removes it (official SDK)
        bucket.configs.pop("referer", None)
        app.store.persist_bucket(bucket)
        return empty_response(ctx, 200)
    inventory_id = _required_id(ctx, sub) if sub in _BY_ID else None
    if inventory_id is not None:
        limit = MAX_INVENTORIES if sub == "inventory" else MAX_TIERING_RULES
        count = sum(1 for k in bucket.configs if k.startswith(f"{sub}:"))
        if f"{sub}:{inventory_id}" not in bucket.configs and count >= limit:
            raise err(400, "TooManyConfigurations", f"at most {limit} {sub} configurations")
    validate_config(sub, body, inventory_id=inventory_id)
    if sub == "intelligent-tiering" and inventory_id == "default":
        kept = bucket.configs.get(_config_key(ctx, sub))
        if kept is not None and parse(kept) != parse(body):
            raise err(
                400,
                "InvalidRequest",
                "the intelligent-tiering rule 'default' cannot be changed once set",
            )
    if sub == "replication" and bucket.versioning != "Enabled":
        raise err(400, "InvalidRequest", "replication needs versioning enabled on the bucket")
    if sub == "tagging":
        bucket.tags = parse_tagging(parse(body), limit=MAX_BUCKET_TAGS)
    if sub == "intelligent-tiering":
        body = _with_id(body, inventory_id or "")
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
    """DELETE ``?<sub-resource>`` (204 also when there is none, except for an id)."""
    sub = CONFIG_SUBRESOURCE[ctx.operation]
    if sub in _BY_ID:
        rid = _required_id(ctx, sub)
        if sub == "intelligent-tiering" and rid == "default":
            raise err(
                400, "InvalidRequest", "the intelligent-tiering rule 'default' cannot be deleted"
            )
    if bucket.configs.pop(_config_key(ctx, sub), None) is None and sub in _BY_ID:
        raise err(404, CONFIG_ROOTS[sub][1], f"The {sub} configuration does not exist.")
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


async def list_tiering_rules(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """GET ``?intelligent-tiering`` without an id: every rule."""
    rules = [
        parse(doc)["IntelligentTieringConfiguration"]
        for k, doc in sorted(bucket.configs.items())
        if k.startswith("intelligent-tiering:")
    ]
    return xml_response(
        ctx,
        "ListBucketIntelligentTieringConfigurationsOutput",
        {"IntelligentTieringConfiguration": rules},
    )


async def post_bucket_inventory(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """POST ``?inventory&id=``: a one-off inventory, checked and accepted (the local server
    writes no report)."""
    body = await _read_document(ctx)
    validate_one_off_inventory(body, _required_id(ctx, "inventory"))
    return empty_response(ctx, 200)


# --- domain certificates: kept by domain, and only their status -------------------------------

#: what ``GET ?domaincertificate&domainname=`` answers for a domain with a certificate
_CERTIFICATE_STATUS = b"<DomainCertificate><Status>Enabled</Status></DomainCertificate>"


def _domain_name(ctx: Ctx) -> str:
    domain = ctx.get("domainname")
    if not domain:
        raise err(400, "InvalidArgument", f"{ctx.method} ?domaincertificate needs domainname")
    return domain.lower()


async def put_domain_certificate(
    app: AppState, ctx: Ctx, bucket: BucketState
) -> web.StreamResponse:
    """PUT ``?domaincertificate``: for each domain of the document (each bound to the bucket
    with PUT ?domain), keep that it has a certificate. The document (it holds a private key)
    is neither stored nor kept in the request log."""
    ctx.keep_document = False
    body = await _read_document(ctx)
    validate_config("domaincertificate", body)
    domains = [d.lower() for d in certificate_domains(parse(body)["DomainCertificate"])]
    bound = bucket.configs.get("domain")
    names = (
        {text_of(r.get("Name")).lower() for r in _as_list(parse(bound)["DomainConfiguration"])}
        if bound is not None
        else set()
    )
    for domain in domains:
        if domain not in names:
            raise err(
                400,
                "InvalidArgument",
                f"the domain {domain!r} is not bound to the bucket (PUT ?domain first)",
            )
    for domain in domains:
        bucket.configs[f"domaincertificate:{domain}"] = _CERTIFICATE_STATUS
    app.store.persist_bucket(bucket)
    return empty_response(ctx, 200)


def _as_list(root: object) -> list[dict[str, object]]:
    rules = root.get("DomainRule") if isinstance(root, dict) else None
    items = rules if isinstance(rules, list) else [rules] if rules is not None else []
    return [r for r in items if isinstance(r, dict)]


async def get_domain_certificate(
    app: AppState, ctx: Ctx, bucket: BucketState
) -> web.StreamResponse:
    """GET ``?domaincertificate&domainname=``: the status of the domain's certificate."""
    doc = bucket.configs.get(f"domaincertificate:{_domain_name(ctx)}")
    if doc is None:
        raise err(404, CONFIG_ROOTS["domaincertificate"][1], "The domain has no certificate.")
    h = base_headers(ctx.request_id)
    h["Content-Type"] = "application/xml"
    return web.Response(status=200, body=doc, headers=h)


async def delete_domain_certificate(
    app: AppState, ctx: Ctx, bucket: BucketState
) -> web.StreamResponse:
    """DELETE ``?domaincertificate&domainname=`` (204 also when there is none)."""
    bucket.configs.pop(f"domaincertificate:{_domain_name(ctx)}", None)
    app.store.persist_bucket(bucket)
    return empty_response(ctx, 204)
