"""Which COS operation a request is: the route table of the local COS server.

A request is classified by its method, its scope (the service, a bucket, or an object), the
sub-resource it names in its query (``?acl``, ``?uploads``, ``?uploadId=...``) and, for a few
routes, a predicate (an ``x-cos-copy-source`` header, a form upload). :data:`ROUTES` lists every
route; it is grouped once, at import, per (method, scope), so that :func:`classify` costs a dict
lookup per query parameter and a comparison or two.

When a query names several sub-resources, the one that counts is the first of the group's
:data:`PRECEDENCE` order present; parameters outside it (``?versionId``, ``?prefix``...) do
not select a route.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

import attrs

from ._context import CosServerError, Ctx, err, hostname_of, is_migration_host
from ._operations import BUCKET_CONFIGS, Operation

__all__ = [
    "PRECEDENCE",
    "REFUSED",
    "ROUTES",
    "SUBRESOURCES",
    "Route",
    "Scope",
    "classify",
    "route_operations",
]


class Scope(enum.Enum):
    """What a request addresses."""

    SERVICE = "service"  # no bucket: GET / lists the buckets
    BUCKET = "bucket"
    OBJECT = "object"


@attrs.frozen
class Route:
    """``method`` on ``scope`` with sub-resource ``sub`` (``None``: none of the group's
    sub-resources), and ``when`` holds, is ``operation``."""

    method: str
    scope: Scope
    sub: str | None
    operation: Operation
    when: Callable[[Ctx], bool] | None = None


def copies(ctx: Ctx) -> bool:
    """The request names a copy source (PUT Object - Copy, Upload Part - Copy)."""
    return bool(ctx.header("x-cos-copy-source"))


def is_form_upload(ctx: Ctx) -> bool:
    """A ``multipart/form-data`` POST to a bucket: an HTML form upload (POST Object)."""
    return (ctx.header("Content-Type") or "").lower().startswith("multipart/form-data")


def processes_upload(ctx: Ctx) -> bool:
    """A PUT Object with ``Pic-Operations``: processing on upload."""
    return ctx.header("Pic-Operations") is not None


#: query parameters (lower-case) that make a GET of an object an image query
IMAGE_QUERIES = frozenset({"imageinfo", "exif", "imageave"})
#: the beginnings (lower-case) of processing rules in a query (``?imageMogr2/thumbnail/...``)
RULE_PREFIXES = ("imagemogr2/", "imageview2/", "watermark/", "style/", "qrcode/")


def is_processing_rule(name: str) -> bool:
    """A (lower-case) query parameter that is a processing rule, or a pipeline of them."""
    return name.startswith(RULE_PREFIXES)


def processes_download(ctx: Ctx) -> bool:
    """A GET of an object with a processing rule, an image query or ``?ci-process=QRcode``."""
    if (ctx.get("ci-process") or "").lower() == "qrcode":
        return True
    return any(name in IMAGE_QUERIES or is_processing_rule(name) for name in ctx.lparams)


def generates_qrcode(ctx: Ctx) -> bool:
    """A GET of a bucket with ``?ci-process=qrcode-generate``."""
    return (ctx.get("ci-process") or "").lower() == "qrcode-generate"


def lists_v2(ctx: Ctx) -> bool:
    """GET Bucket with ``list-type=2``: S3's ListObjectsV2 (continuation tokens)."""
    return ctx.get("list-type") == "2"


def lists_inventories(ctx: Ctx) -> bool:
    """GET ``?inventory`` without ``?id``: list the inventory configurations."""
    return not ctx.has("id")


def lists_tiering_rules(ctx: Ctx) -> bool:
    """GET ``?intelligent-tiering`` without ``?id``: list the intelligent-tiering rules."""
    return not ctx.has("id")


def on_migration_host(ctx: Ctx) -> bool:
    """A request to the migration service (``<region>.migration.myqcloud.com``): async fetch."""
    return is_migration_host(hostname_of(ctx.host))


_O = Operation
GET, PUT, POST, DELETE, HEAD, OPTIONS = "GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"
SERVICE, BUCKET, OBJECT = Scope.SERVICE, Scope.BUCKET, Scope.OBJECT

#: the bucket sub-resources that are no configuration, before the configuration families
_BUCKET_SUBRESOURCES = ("uploads", "versions", "location", "delete", *BUCKET_CONFIGS)

#: Per (method, scope): the sub-resources that select a route, the first present winning.
#: Lower-case, as queries are matched case-insensitively (``uploadid`` is ``?uploadId``).
PRECEDENCE: Mapping[tuple[str, Scope], tuple[str, ...]] = {
    (GET, BUCKET): _BUCKET_SUBRESOURCES,
    (PUT, BUCKET): _BUCKET_SUBRESOURCES,
    (DELETE, BUCKET): _BUCKET_SUBRESOURCES,
    (POST, BUCKET): ("delete", "inventory"),
    (GET, OBJECT): ("acl", "tagging", "uploadid", "symlink"),
    (PUT, OBJECT): ("acl", "tagging", "partnumber", "uploadid", "symlink"),
    (POST, OBJECT): ("uploads", "uploadid", "append", "restore", "select", "image_process"),
    (DELETE, OBJECT): ("tagging", "uploadid"),
}

#: Every route, in the order they are tried within a (method, scope, sub-resource).
ROUTES: tuple[Route, ...] = (
    Route(GET, SERVICE, None, _O.ListBuckets),
    # --- buckets --------------------------------------------------------------------------------
    Route(GET, BUCKET, None, _O.GenerateQRCode, when=generates_qrcode),
    Route(GET, BUCKET, None, _O.ListObjectsV2, when=lists_v2),
    Route(GET, BUCKET, None, _O.GetBucket),
    Route(GET, BUCKET, "delete", _O.GetBucket),  # ?delete means nothing to a GET
    Route(GET, BUCKET, "uploads", _O.ListMultipartUploads),
    Route(GET, BUCKET, "versions", _O.ListObjectVersions),
    Route(GET, BUCKET, "location", _O.GetBucketLocation),
    Route(GET, BUCKET, "inventory", _O.ListBucketInventoryConfigurations, when=lists_inventories),
    Route(
        GET,
        BUCKET,
        "intelligent-tiering",
        _O.ListBucketIntelligentTieringConfigurations,
        when=lists_tiering_rules,
    ),
    Route(PUT, BUCKET, None, _O.PutBucket),
    Route(DELETE, BUCKET, None, _O.DeleteBucket),
    Route(HEAD, BUCKET, None, _O.HeadBucket),
    Route(POST, BUCKET, "delete", _O.DeleteMultipleObjects),
    Route(POST, BUCKET, "inventory", _O.PostBucketInventory),
    Route(POST, BUCKET, None, _O.PutAsyncFetchTask, when=on_migration_host),
    Route(POST, BUCKET, None, _O.PostObject, when=is_form_upload),
    Route(OPTIONS, BUCKET, None, _O.OptionsObject),
    # --- bucket configurations: GET/PUT/DELETE ?<family> ----------------------------------------
    *(
        Route(method, BUCKET, sub, op)
        for sub, ops in BUCKET_CONFIGS.items()
        for method, op in zip((GET, PUT, DELETE), ops, strict=True)
        if op is not None
    ),
    # --- objects --------------------------------------------------------------------------------
    Route(GET, OBJECT, None, _O.GetAsyncFetchTask, when=on_migration_host),
    Route(GET, OBJECT, "symlink", _O.GetSymlink),
    Route(PUT, OBJECT, "symlink", _O.PutSymlink),
    Route(GET, OBJECT, None, _O.GetObjectProcessed, when=processes_download),
    Route(GET, OBJECT, None, _O.GetObject),
    Route(GET, OBJECT, "acl", _O.GetObjectACL),
    Route(GET, OBJECT, "tagging", _O.GetObjectTagging),
    Route(GET, OBJECT, "uploadid", _O.ListParts),
    Route(HEAD, OBJECT, None, _O.HeadObject),
    Route(PUT, OBJECT, None, _O.PutObjectCopy, when=copies),
    Route(PUT, OBJECT, None, _O.PutObjectWithProcessing, when=processes_upload),
    Route(PUT, OBJECT, None, _O.PutObject),
    Route(PUT, OBJECT, "acl", _O.PutObjectACL),
    Route(PUT, OBJECT, "tagging", _O.PutObjectTagging),
    Route(PUT, OBJECT, "partnumber", _O.UploadPartCopy, when=copies),
    Route(PUT, OBJECT, "partnumber", _O.UploadPart),
    Route(PUT, OBJECT, "uploadid", _O.UploadPartCopy, when=copies),
    Route(PUT, OBJECT, "uploadid", _O.UploadPart),
    Route(POST, OBJECT, "uploads", _O.InitiateMultipartUpload),
    Route(POST, OBJECT, "uploadid", _O.CompleteMultipartUpload),
    Route(POST, OBJECT, "append", _O.AppendObject),
    Route(POST, OBJECT, "restore", _O.PostObjectRestore),
    Route(POST, OBJECT, "select", _O.SelectObjectContent),
    Route(POST, OBJECT, "image_process", _O.ImageProcess),
    Route(DELETE, OBJECT, None, _O.DeleteObject),
    Route(DELETE, OBJECT, "tagging", _O.DeleteObjectTagging),
    Route(DELETE, OBJECT, "uploadid", _O.AbortMultipartUpload),
    Route(OPTIONS, OBJECT, None, _O.OptionsObject),
)

#: Sub-resources a method cannot act on: 405, as COS answers.
REFUSED: Mapping[tuple[str, Scope], frozenset[str]] = {
    (PUT, BUCKET): frozenset({"uploads", "versions", "location", "delete"}),
    (DELETE, BUCKET): frozenset(
        {"uploads", "versions", "location", "delete"}
        | {sub for sub, (_get, _put, delete) in BUCKET_CONFIGS.items() if delete is None}
    ),
}

#: When no route of a (method, scope) group matches: (status, code, message).
_UNMATCHED: Mapping[tuple[str, Scope], tuple[int, str, str]] = {
    (POST, BUCKET): (400, "InvalidRequest", "POST on a bucket needs ?delete or a form upload"),
    (POST, OBJECT): (400, "InvalidRequest", "POST on an object needs a subresource"),
}

#: the object sub-resources (lower-case)
_OBJECT_SUBRESOURCES = (
    "acl", "tagging", "uploads", "uploadid", "partnumber", "append", "restore", "select", "symlink",
    "image_process",
)  # fmt: skip

#: Every sub-resource (lower-case): the query parameters that choose the operation
SUBRESOURCES: frozenset[str] = frozenset((*_BUCKET_SUBRESOURCES, *_OBJECT_SUBRESOURCES))

#: Sub-resources (lower-case) and ordinary parameters a query may name without a value; any other
#: valueless name is an unknown sub-resource (400).
KNOWN_PARAMETERS = frozenset(
    {
        *_BUCKET_SUBRESOURCES,
        *_OBJECT_SUBRESOURCES,
        "prefix",
        "delimiter",
        "marker",
        "max-keys",
        "encoding-type",
        "key-marker",
        "version-id-marker",
        "upload-id-marker",
        "max-uploads",
        "part-number-marker",
        "max-parts",
        "versionid",
        "position",
        "id",
        "select-type",
        "sign",
        "x-cos-security-token",
        "x-cos-traffic-limit",
        "tagkey",
        "tagvalue",
        "region",
        "create-time",
        "range",
        # ListObjectsV2 (S3 clients send an empty continuation token or start-after)
        "list-type",
        "continuation-token",
        "start-after",
        "fetch-owner",
        "domainname",
        *IMAGE_QUERIES,
    }
)


@attrs.frozen
class _Group:
    """The routes of one (method, scope)."""

    rank: Mapping[str, int]  # sub-resource -> precedence (lower wins)
    routes: Mapping[str | None, tuple[Route, ...]]
    refused: frozenset[str]
    unmatched: tuple[int, str, str] | None

    def subresource(self, lparams: Mapping[str, str]) -> str | None:
        best: str | None = None
        best_rank = len(self.rank)
        for name in lparams:
            r = self.rank.get(name)
            if r is not None and r < best_rank:
                best, best_rank = name, r
        return best


def _groups() -> dict[tuple[str, Scope], _Group]:
    keys = {(r.method, r.scope) for r in ROUTES}
    groups: dict[tuple[str, Scope], _Group] = {}
    for key in keys:
        order = PRECEDENCE.get(key, ())
        refused = REFUSED.get(key, frozenset())
        routes: dict[str | None, tuple[Route, ...]] = {}
        for route in ROUTES:
            if (route.method, route.scope) == key:
                if route.sub is not None and route.sub not in order:
                    raise AssertionError(f"{route}: {route.sub!r} is not in PRECEDENCE[{key}]")
                routes[route.sub] = (*routes.get(route.sub, ()), route)
        missing = [s for s in order if s not in routes and s not in refused]
        if missing:
            raise AssertionError(f"{key}: no route for sub-resource(s) {missing}")
        groups[key] = _Group(
            rank={s: i for i, s in enumerate(order)},
            routes=routes,
            refused=refused,
            unmatched=_UNMATCHED.get(key),
        )
    return groups


_GROUPS = _groups()


def route_operations() -> frozenset[Operation]:
    """Every operation some route leads to."""
    return frozenset(r.operation for r in ROUTES)


def classify(ctx: Ctx) -> Operation:
    """The operation of a request, or the COS error that answers it (unknown sub-resource 400,
    disallowed method 405, POST without a sub-resource 400)."""
    method = ctx.method
    if on_migration_host(ctx):
        _check_migration(ctx)
    if ctx.bucket is None:
        scope = SERVICE
    else:
        _check_unknown_subresources(ctx)
        scope = BUCKET if ctx.key is None else OBJECT
    group = _GROUPS.get((method, scope))
    if group is None:
        where = " on the service endpoint" if scope is SERVICE else ""
        raise err(405, "MethodNotAllowed", f"{method} is not allowed{where}")
    sub = group.subresource(ctx.lparams) if group.rank else None
    if sub in group.refused:
        raise err(405, "MethodNotAllowed", f"{method} is not allowed on ?{sub}")
    for route in group.routes.get(sub, ()):
        if route.when is None or route.when(ctx):
            return route.operation
    raise _unmatched(group, method)


def _check_migration(ctx: Ctx) -> None:
    """The migration service answers two requests only: ``POST /<bucket>/`` (a fetch task)
    and ``GET /<bucket>/<task id>`` (405 for anything else)."""
    fetch = ctx.method == POST and ctx.bucket is not None and ctx.key is None
    task = ctx.method == GET and ctx.bucket is not None and ctx.key is not None
    if not (fetch or task) or any(name in SUBRESOURCES for name in ctx.lparams):
        raise err(
            405,
            "MethodNotAllowed",
            f"{ctx.method} {ctx.path} is not a request of the migration service (async fetch "
            "answers POST /<bucket>/ and GET /<bucket>/<task id>)",
        )


def _unmatched(group: _Group, method: str) -> CosServerError:
    if group.unmatched is None:
        return err(405, "MethodNotAllowed", f"{method} is not allowed")
    return err(*group.unmatched)


def _check_unknown_subresources(ctx: Ctx) -> None:
    for name, value in ctx.lparams.items():
        if value:
            continue
        if name in KNOWN_PARAMETERS or name.startswith(("response-", "q-")):
            continue
        if is_processing_rule(name):
            continue
        raise err(400, "InvalidArgument", f"unknown subresource ?{name}")
