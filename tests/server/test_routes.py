"""The route table of the local COS server: which operation each request is, the answers to
requests no route takes, and that the route and handler tables agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cos_async.testing import LocalCosServer, Operation
from cos_async.testing._documents import CONFIG_ROOTS
from cos_async.testing._handlers import HANDLERS, SERVICE_HANDLERS
from cos_async.testing._operations import BUCKET_CONFIGS, CONFIG_SUBRESOURCE
from cos_async.testing._routes import PRECEDENCE, REFUSED, ROUTES, route_operations
from tests.cos_http import CosHttp

# --- the tables -------------------------------------------------------------------------------


def test_every_routed_operation_has_a_handler() -> None:
    handled = set(HANDLERS) | set(SERVICE_HANDLERS)
    assert route_operations() <= handled, sorted(route_operations() - handled)


def test_every_handler_is_reachable() -> None:
    handled = set(HANDLERS) | set(SERVICE_HANDLERS)
    assert handled <= route_operations(), sorted(handled - route_operations())


def test_every_operation_is_routed() -> None:
    assert route_operations() == set(Operation)


def test_an_operation_has_one_handler() -> None:
    assert not set(HANDLERS) & set(SERVICE_HANDLERS)


def test_routes_name_only_subresources_of_their_group() -> None:
    for route in ROUTES:
        if route.sub is not None:
            assert route.sub in PRECEDENCE[(route.method, route.scope)], route
    for key, refused in REFUSED.items():
        assert refused <= set(PRECEDENCE[key]), key


def test_stored_configurations_are_documents() -> None:
    # ACL and versioning are bucket state; every other family is a stored document
    stored = {CONFIG_SUBRESOURCE[op] for op in CONFIG_SUBRESOURCE} - {"acl"}
    assert stored <= set(CONFIG_ROOTS)
    assert set(BUCKET_CONFIGS) == stored | {"acl"}


def test_the_testing_guide_names_every_operation() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text("utf-8")
    missing = []
    for op in Operation:
        if op in CONFIG_SUBRESOURCE and op not in (
            Operation.GetBucketACL,
            Operation.PutBucketACL,
            Operation.GetBucketVersioning,
            Operation.PutBucketVersioning,
        ):
            family = re.sub(r"^(Get|Put|Delete)Bucket", "", op.value)  # Get/Put/DeleteBucket<F>
            if f"`{family}`" not in guide:
                missing.append(op.value)
        elif f"`{op.value}`" not in guide:
            missing.append(op.value)
    assert not missing


# --- classification over HTTP -----------------------------------------------------------------

COPY = "copy"  # an x-cos-copy-source header
EMPTY_COPY = "empty-copy"  # an empty one
FORM = "form"  # Content-Type: multipart/form-data

SERVICE_CASES = [
    ("GET", "", None, "ListBuckets"),
    ("GET", "acl", None, "ListBuckets"),
    ("PUT", "", None, (405, "MethodNotAllowed", "PUT is not allowed on the service endpoint")),
    ("POST", "", None, (405, "MethodNotAllowed", "POST is not allowed on the service endpoint")),
    ("HEAD", "", None, (405, None, None)),
]

BUCKET_CASES = [
    ("GET", "", None, "GetBucket"),
    ("GET", "uploads", None, "ListMultipartUploads"),
    ("GET", "versions", None, "ListObjectVersions"),
    ("GET", "location", None, "GetBucketLocation"),
    ("GET", "acl", None, "GetBucketACL"),
    ("GET", "object-lock", None, "GetBucketObjectLock"),
    ("GET", "inventory", None, "ListBucketInventoryConfigurations"),
    ("GET", "inventory&id=i1", None, "GetBucketInventory"),
    ("GET", "delete", None, "GetBucket"),
    ("GET", "delete&acl", None, "GetBucket"),  # ?delete comes first, and means nothing here
    ("GET", "uploads&acl", None, "ListMultipartUploads"),
    ("GET", "tagging&cors", None, "GetBucketCORS"),
    ("GET", "bogus", None, (400, "InvalidArgument", "unknown subresource ?bogus")),
    ("GET", "bogus=1", None, "GetBucket"),  # a parameter with a value is no sub-resource
    ("GET", "response-x", None, "GetBucket"),
    ("GET", "uploadId=u", None, "GetBucket"),
    ("PUT", "", None, "PutBucket"),
    ("PUT", "versioning", None, "PutBucketVersioning"),
    ("PUT", "intelligenttiering", None, "PutBucketIntelligentTiering"),
    ("PUT", "uploads", None, (405, "MethodNotAllowed", "PUT is not allowed on ?uploads")),
    ("PUT", "acl&delete", None, (405, "MethodNotAllowed", "PUT is not allowed on ?delete")),
    ("DELETE", "", None, "DeleteBucket"),
    ("DELETE", "cors", None, "DeleteBucketCORS"),
    ("DELETE", "referer", None, "DeleteBucketReferer"),
    ("DELETE", "acl", None, (405, "MethodNotAllowed", "DELETE is not allowed on ?acl")),
    (
        "DELETE",
        "versioning",
        None,
        (405, "MethodNotAllowed", "DELETE is not allowed on ?versioning"),
    ),
    ("DELETE", "location", None, (405, "MethodNotAllowed", "DELETE is not allowed on ?location")),
    ("HEAD", "acl", None, "HeadBucket"),
    ("HEAD", "bogus", None, (400, None, None)),
    ("POST", "delete", None, "DeleteMultipleObjects"),
    ("POST", "acl&delete", None, "DeleteMultipleObjects"),
    ("POST", "delete", FORM, "DeleteMultipleObjects"),
    ("POST", "", FORM, "PostObject"),
    ("POST", "acl", FORM, "PostObject"),
    (
        "POST",
        "",
        None,
        (400, "InvalidRequest", "POST on a bucket needs ?delete or a form upload"),
    ),
    (
        "POST",
        "uploads",
        None,
        (400, "InvalidRequest", "POST on a bucket needs ?delete or a form upload"),
    ),
    ("OPTIONS", "cors", None, "OptionsObject"),
    ("PATCH", "", None, (405, "MethodNotAllowed", "PATCH is not allowed")),
    ("PATCH", "bogus", None, (400, "InvalidArgument", "unknown subresource ?bogus")),
]

OBJECT_CASES = [
    ("GET", "", None, "GetObject"),
    ("GET", "versionId=v", None, "GetObject"),
    ("GET", "acl", None, "GetObjectACL"),
    ("GET", "tagging&acl", None, "GetObjectACL"),
    ("GET", "tagging&uploadId=u", None, "GetObjectTagging"),
    ("GET", "uploads&uploadId=u", None, "ListParts"),
    ("GET", "uploads", None, "GetObject"),
    ("GET", "cors", None, "GetObject"),
    ("GET", "bogus", None, (400, "InvalidArgument", "unknown subresource ?bogus")),
    ("HEAD", "uploads", None, "HeadObject"),
    ("PUT", "", None, "PutObject"),
    ("PUT", "", COPY, "PutObjectCopy"),
    ("PUT", "", EMPTY_COPY, "PutObject"),
    ("PUT", "uploads", None, "PutObject"),
    ("PUT", "partNumber=1", None, "UploadPart"),
    ("PUT", "uploadId=u", None, "UploadPart"),
    ("PUT", "partNumber=1&uploadId=u", COPY, "UploadPartCopy"),
    ("PUT", "acl", COPY, "PutObjectACL"),
    ("PUT", "tagging&uploadId=u", None, "PutObjectTagging"),
    ("POST", "uploads", None, "InitiateMultipartUpload"),
    ("POST", "uploadId=u&uploads", None, "InitiateMultipartUpload"),
    ("POST", "tagging&uploadId=u", None, "CompleteMultipartUpload"),
    ("POST", "select&append", None, "AppendObject"),
    ("POST", "restore&select", None, "PostObjectRestore"),
    ("POST", "select", None, "SelectObjectContent"),
    ("POST", "", None, (400, "InvalidRequest", "POST on an object needs a subresource")),
    ("POST", "acl", FORM, (400, "InvalidRequest", "POST on an object needs a subresource")),
    ("DELETE", "", None, "DeleteObject"),
    ("DELETE", "acl", None, "DeleteObject"),
    ("DELETE", "acl&tagging", None, "DeleteObjectTagging"),
    ("DELETE", "partNumber=1&uploadId=u", None, "AbortMultipartUpload"),
    ("OPTIONS", "acl", None, "OptionsObject"),
    ("PATCH", "", None, (405, "MethodNotAllowed", "PATCH is not allowed")),
]

Expected = str | tuple[int, str | None, str | None]


def _params(query: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for item in filter(None, query.split("&")):
        name, eq, value = item.partition("=")
        params[name] = value if eq else None
    return params


async def _classify(
    server: LocalCosServer,
    http: CosHttp,
    scope: str,
    method: str,
    query: str,
    extra: str | None,
) -> Expected:
    """The operation the server logged for the request, or (status, code, message) of the
    answer when it logged none (the request was refused before it was classified)."""
    bucket = server.create_bucket()
    assert (await http.request("PUT", bucket, "obj", data=b"x")).status == 200
    headers: dict[str, str] = {}
    if extra == COPY:
        headers["x-cos-copy-source"] = f"{bucket}.cos.{server.region}.myqcloud.com/obj"
    elif extra == EMPTY_COPY:
        headers["x-cos-copy-source"] = ""
    elif extra == FORM:
        headers["Content-Type"] = "multipart/form-data; boundary=xyz"
    before = len(server.requests.records())
    reply = await http.request(
        method,
        None if scope == "service" else bucket,
        "obj" if scope == "object" else None,
        params=_params(query),
        headers=headers,
        data=b"",
    )
    records = server.requests.records()[before:]
    if records:
        [record] = records
        assert record.operation is Operation(record.operation)
        return record.operation.value
    if not reply.body:
        return (reply.status, None, None)
    error = reply.xml()["Error"]
    return (reply.status, error["Code"], error["Message"])


@pytest.mark.parametrize(
    ("scope", "method", "query", "extra", "expected"),
    [
        *(("service", *case) for case in SERVICE_CASES),
        *(("bucket", *case) for case in BUCKET_CASES),
        *(("object", *case) for case in OBJECT_CASES),
    ],
)
async def test_classification(
    server: LocalCosServer,
    http: CosHttp,
    scope: str,
    method: str,
    query: str,
    extra: str | None,
    expected: Expected,
) -> None:
    assert await _classify(server, http, scope, method, query, extra) == expected
