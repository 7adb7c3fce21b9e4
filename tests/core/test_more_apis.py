"""AsyncCosClient against the local COS server for the rest of the storage API (issue 19,
item 5): symbolic links, async fetch, origin-pull, response control, domain certificates,
intelligent-tiering rules, one-off inventories, ``get_bucket_meta``, and the changes made by
copying an object onto itself (``change_object_storage_class``, ``update_object_meta``)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from cos_async import (
    AsyncCosClient,
    AsyncFetchTask,
    CorsConfiguration,
    CorsRule,
    CosConfig,
    CosServiceError,
    DomainCertificate,
    DomainConfiguration,
    DomainRule,
    IntelligentTieringRule,
    IntelligentTieringTier,
    InvalidArgument,
    InventoryDestination,
    NoSuchBucket,
    NoSuchConfiguration,
    NoSuchKey,
    OneOffInventoryConfiguration,
    OriginConfiguration,
    OriginInfo,
    OriginRule,
    PreconditionFailed,
    RequestEvent,
    ResponseControlConfiguration,
    Tagging,
    VersioningConfiguration,
)
from cos_async._endpoint import Endpoint
from cos_async.testing import LocalCosServer, Operation
from tests.seams import record

CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nLOCAL-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"
DEST = "qcs::cos:ap-guangzhou::dest-1250000000"

ORIGIN = OriginConfiguration(
    rules=[
        OriginRule(priority=1, origin_type="Mirror", info=OriginInfo(host_name="o.example.com")),
        OriginRule(priority=2, origin_type="Proxy", info=OriginInfo(host_name="p.example.com")),
    ]
)
RESPONSE_CONTROL = ResponseControlConfiguration(
    params=["response-content-type", "response-cache-control"]
)
DEFAULT_RULE = IntelligentTieringRule(
    id="default",
    tierings=[IntelligentTieringTier(access_tier="INFREQUENT", days=30, request_frequent=1)],
)
ARCHIVE_RULE = IntelligentTieringRule(
    id="archive",
    tierings=[
        IntelligentTieringTier(access_tier="ARCHIVE_ACCESS", days=91),
        IntelligentTieringTier(access_tier="DEEP_ARCHIVE_ACCESS", days=180),
    ],
)


def request_count(server: LocalCosServer) -> int:
    return len(server.requests.records())


# --- symbolic links ---------------------------------------------------------------------------


async def test_symlink_round_trip_and_reads_through(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "data/target.txt", b"target bytes", content_type="text/plain")
    result = await cos.put_symlink(bucket, "links/latest", "data/target.txt")
    assert result.request_id
    link = await cos.get_symlink(bucket, "links/latest")
    assert link.target == "data/target.txt"
    # reading the link reads its target
    assert await (await cos.get_object(bucket, "links/latest")).read() == b"target bytes"
    meta = await cos.head_object(bucket, "links/latest")
    assert meta.size == len(b"target bytes")
    assert meta.content_type == "text/plain"
    # the link follows the target's current version
    await cos.put_object(bucket, "data/target.txt", b"newer")
    assert await (await cos.get_object(bucket, "links/latest")).read() == b"newer"


async def test_symlink_to_a_missing_key(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_symlink(bucket, "dangling", "nowhere/at/all")  # COS does not check targets
    assert (await cos.get_symlink(bucket, "dangling")).target == "nowhere/at/all"
    with pytest.raises(NoSuchKey):
        await cos.get_object(bucket, "dangling")


async def test_symlink_on_a_versioned_bucket(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Enabled"))
    await cos.put_object(bucket, "t", b"x")
    first = await cos.put_symlink(bucket, "l", "t")
    second = await cos.put_symlink(bucket, "l", "t2")
    assert first.version_id
    assert second.version_id
    assert first.version_id != second.version_id
    assert (await cos.get_symlink(bucket, "l")).target == "t2"
    old = await cos.get_symlink(bucket, "l", version_id=first.version_id)
    assert (old.target, old.version_id) == ("t", first.version_id)


async def test_get_symlink_of_an_object_that_is_no_link(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "plain", b"x")
    with pytest.raises(CosServiceError) as info:
        await cos.get_symlink(bucket, "plain")
    assert (info.value.status, info.value.code) == (400, "InvalidArgument")


async def test_symlink_bad_input_sends_nothing(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    before = request_count(server)
    for bad in ("", "a\x00b", "x" * 851):
        with pytest.raises(InvalidArgument):
            await cos.put_symlink(bucket, "link", bad)
    assert request_count(server) == before


# --- async fetch ------------------------------------------------------------------------------


async def test_async_fetch_from_a_local_url(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = bytes(range(256)) * 64
    await cos.put_object(bucket, "source.bin", data)
    url = await cos.presign_url("GET", bucket, "source.bin")
    task = await cos.put_async_fetch_task(
        bucket,
        AsyncFetchTask(url=url, key="fetched/copy.bin", md5=hashlib.md5(data).hexdigest()),
    )
    assert task.task_id
    status = await cos.get_async_fetch_task(bucket, task.task_id)
    assert (status.status, status.percent) == ("TASK_SUCCESS", 100)
    assert await (await cos.get_object(bucket, "fetched/copy.bin")).read() == data
    # both went to the migration service: its own operations, the bucket in the path
    assert server.requests.count(Operation.PutAsyncFetchTask, bucket=bucket) == 1
    assert server.requests.count(Operation.GetAsyncFetchTask, key=task.task_id) == 1


async def test_async_fetch_failures_are_reported_by_the_task(
    cos: AsyncCosClient, bucket: str
) -> None:
    await cos.put_object(bucket, "source.bin", b"abc")
    url = await cos.presign_url("GET", bucket, "source.bin")
    wrong = await cos.put_async_fetch_task(
        bucket, AsyncFetchTask(url=url, key="k", md5=hashlib.md5(b"other").hexdigest())
    )
    status = await cos.get_async_fetch_task(bucket, wrong.task_id)
    assert (status.status, status.code) == ("TASK_FAILED", "BadDigest")
    missing = await cos.put_async_fetch_task(
        bucket, AsyncFetchTask(url=await cos.presign_url("GET", bucket, "nope"), key="k")
    )
    status = await cos.get_async_fetch_task(bucket, missing.task_id)
    assert status.status == "TASK_FAILED"
    assert status.message
    assert "404" in status.message
    with pytest.raises(NoSuchKey):
        await cos.head_object(bucket, "k")


async def test_async_fetch_never_leaves_the_machine(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(CosServiceError) as info:
        await cos.put_async_fetch_task(
            bucket, AsyncFetchTask(url="http://example.com/a.bin", key="a.bin")
        )
    assert (info.value.status, info.value.code) == (400, "InvalidArgument")
    assert "127.0.0.1" in str(info.value)


async def test_async_fetch_unknown_task(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(CosServiceError) as info:
        await cos.get_async_fetch_task(bucket, "no-such-task")
    assert info.value.status == 404
    with pytest.raises(InvalidArgument, match="task_id"):
        await cos.get_async_fetch_task(bucket, "a/b")


async def test_async_fetch_sends_the_migration_host(
    cos: AsyncCosClient, config: CosConfig, bucket: str
) -> None:
    await cos.put_object(bucket, "s", b"1")
    url = await cos.presign_url("GET", bucket, "s")
    sent = record(cos)
    task = await cos.put_async_fetch_task(bucket, AsyncFetchTask(url=url, key="d"))
    await cos.get_async_fetch_task(bucket, task.task_id)
    post, get = sent.sent
    # an endpoint_url keeps its address, and names the migration service in Host
    assert post.url == f"{config.endpoint_url}/{bucket}/"
    assert get.url == f"{config.endpoint_url}/{bucket}/{task.task_id}"
    for request in (post, get):
        assert request.headers["Host"] == "ap-guangzhou.migration.myqcloud.com"
        assert request.headers["Content-Type"] == "application/json"
        assert "q-sign-algorithm=sha1" in request.headers["Authorization"]


def test_the_migration_service_of_a_production_config() -> None:
    config = CosConfig(region="ap-beijing", secret_id="id", secret_key="key")
    endpoint = Endpoint(config)
    host = "ap-beijing.migration.myqcloud.com"
    assert endpoint.locate("b-1250000000", "t1", service_host=host) == (
        f"https://{host}",
        "/b-1250000000/t1",
        "/b-1250000000/t1",
    )
    assert endpoint.locate("b-1250000000", None, service_host=host)[1:] == (
        "/b-1250000000/",
        "/b-1250000000/",
    )
    assert endpoint.url("b-1250000000", None, service_host=host) == f"https://{host}/b-1250000000/"


# --- origin, response control -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "model"),
    [
        pytest.param("origin", ORIGIN, id="origin"),
        pytest.param("response_control", RESPONSE_CONTROL, id="response_control"),
    ],
)
async def test_put_get_delete(cos: AsyncCosClient, bucket: str, family: str, model: Any) -> None:
    with pytest.raises(NoSuchConfiguration):
        await getattr(cos, f"get_bucket_{family}")(bucket)
    await getattr(cos, f"put_bucket_{family}")(bucket, model)
    got = await getattr(cos, f"get_bucket_{family}")(bucket)
    assert got == model
    assert got.request_id
    await getattr(cos, f"delete_bucket_{family}")(bucket)
    with pytest.raises(NoSuchConfiguration):
        await getattr(cos, f"get_bucket_{family}")(bucket)


# --- domain certificates ----------------------------------------------------------------------


async def test_domain_certificate(cos: AsyncCosClient, server: LocalCosServer, bucket: str) -> None:
    server.requests.keep_documents = True
    cert = DomainCertificate(certificate=CERT, private_key=KEY, domains=["cdn.example.com"])
    # the domain must be bound to the bucket first
    with pytest.raises(CosServiceError) as info:
        await cos.put_bucket_domain_certificate(bucket, cert)
    assert (info.value.status, info.value.code) == (400, "InvalidArgument")
    await cos.put_bucket_domain(
        bucket, DomainConfiguration(rules=[DomainRule(name="cdn.example.com")])
    )
    await cos.put_bucket_domain_certificate(bucket, cert)
    status = await cos.get_bucket_domain_certificate(bucket, "cdn.example.com")
    assert status.status == "Enabled"
    with pytest.raises(NoSuchConfiguration):
        await cos.get_bucket_domain_certificate(bucket, "other.example.com")
    await cos.delete_bucket_domain_certificate(bucket, "cdn.example.com")
    with pytest.raises(NoSuchConfiguration):
        await cos.get_bucket_domain_certificate(bucket, "cdn.example.com")
    # the private key was sent, and kept nowhere: not in the store, not in the request log
    secret = b"LOCAL-SECRET-KEY-MATERIAL"
    assert all(secret not in doc for doc in server.store.buckets[bucket].configs.values())
    assert all(secret not in (r.document or b"") for r in server.requests.records())
    with pytest.raises(InvalidArgument, match="domain"):
        await cos.get_bucket_domain_certificate(bucket, "not a domain")


# --- intelligent-tiering rules ----------------------------------------------------------------


async def test_intelligent_tiering_rules(cos: AsyncCosClient, bucket: str) -> None:
    assert await cos.list_bucket_intelligent_tiering_configurations(bucket) == ()
    await cos.put_bucket_intelligent_tiering_rule(bucket, DEFAULT_RULE)
    await cos.put_bucket_intelligent_tiering_rule(bucket, ARCHIVE_RULE)
    assert await cos.get_bucket_intelligent_tiering_rule(bucket, "archive") == ARCHIVE_RULE
    listed = await cos.list_bucket_intelligent_tiering_configurations(bucket)
    assert sorted(listed, key=lambda r: r.id) == [ARCHIVE_RULE, DEFAULT_RULE]
    assert listed.request_id
    await cos.delete_bucket_intelligent_tiering_rule(bucket, "archive")
    with pytest.raises(NoSuchConfiguration):
        await cos.get_bucket_intelligent_tiering_rule(bucket, "archive")
    # the rule "default" stays as it was set
    with pytest.raises(CosServiceError) as info:
        await cos.delete_bucket_intelligent_tiering_rule(bucket, "default")
    assert info.value.status == 400
    changed = IntelligentTieringRule(
        id="default",
        tierings=[IntelligentTieringTier(access_tier="INFREQUENT", days=60, request_frequent=1)],
    )
    with pytest.raises(CosServiceError) as info:
        await cos.put_bucket_intelligent_tiering_rule(bucket, changed)
    assert info.value.status == 400
    await cos.put_bucket_intelligent_tiering_rule(bucket, DEFAULT_RULE)  # the same: accepted
    with pytest.raises(InvalidArgument, match="rule_id"):
        await cos.get_bucket_intelligent_tiering_rule(bucket, "bad id")


# --- one-off inventory ------------------------------------------------------------------------


async def test_post_bucket_inventory(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.requests.keep_documents = True
    config = OneOffInventoryConfiguration(
        id="once", destination=InventoryDestination(bucket=DEST), prefix="logs/"
    )
    result = await cos.post_bucket_inventory(bucket, config)
    assert result.request_id
    (record,) = [r for r in server.requests.records() if r.operation == "PostBucketInventory"]
    assert record.method == "POST"
    assert record.document is not None
    assert b"<Id>once</Id>" in record.document
    assert b"Schedule" not in record.document
    with pytest.raises(InvalidArgument):
        await cos.post_bucket_inventory(bucket, "once")  # type: ignore[arg-type]


# --- get_bucket_meta --------------------------------------------------------------------------


async def test_get_bucket_meta(cos: AsyncCosClient, config: CosConfig, bucket: str) -> None:
    empty = await cos.get_bucket_meta(bucket)
    assert empty.bucket == bucket
    assert empty.region == config.region
    assert empty.url == f"{config.endpoint_url}/{bucket}"
    assert (empty.ofs, empty.maz) == (False, False)
    assert empty.acl is not None
    assert empty.acl.grants
    for name in (
        "cors",
        "encryption",
        "website",
        "logging",
        "versioning",
        "intelligent_tiering",
        "lifecycle",
        "tagging",
        "object_lock",
        "replication",
    ):
        assert getattr(empty, name) is None, name
    cors = CorsConfiguration(rules=[CorsRule(allowed_origins=["*"], allowed_methods=["GET"])])
    await cos.put_bucket_cors(bucket, cors)
    await cos.put_bucket_tagging(bucket, Tagging.of({"team": "storage"}))
    await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Enabled"))
    await cos.put_bucket_intelligent_tiering_rule(bucket, DEFAULT_RULE)
    meta = await cos.get_bucket_meta(bucket)
    assert meta.cors == cors
    assert meta.tagging is not None
    assert meta.tagging.as_dict() == {"team": "storage"}
    assert meta.versioning == VersioningConfiguration(status="Enabled")
    assert meta.intelligent_tiering == (DEFAULT_RULE,)
    assert meta.lifecycle is None
    assert len(meta.request_ids) >= 6


async def test_get_bucket_meta_of_a_missing_bucket(cos: AsyncCosClient) -> None:
    with pytest.raises(NoSuchBucket):
        await cos.get_bucket_meta("missing-1250000000")


# --- copy in place ----------------------------------------------------------------------------


async def test_change_object_storage_class_keeps_what_the_object_has(
    cos: AsyncCosClient, bucket: str
) -> None:
    await cos.put_object(
        bucket,
        "doc.txt",
        b"content",
        content_type="text/plain",
        cache_control="max-age=60",
        metadata={"owner": "ana"},
        sse="AES256",
    )
    result = await cos.change_object_storage_class(bucket, "doc.txt", "standard_ia")
    assert result.etag
    meta = await cos.head_object(bucket, "doc.txt")
    assert meta.storage_class == "STANDARD_IA"
    assert (meta.content_type, meta.cache_control) == ("text/plain", "max-age=60")
    assert meta.metadata == {"owner": "ana"}
    assert meta.server_side_encryption == "AES256"
    assert await (await cos.get_object(bucket, "doc.txt")).read() == b"content"
    with pytest.raises(InvalidArgument, match="storage_class"):
        await cos.change_object_storage_class(bucket, "doc.txt", "COLD")


async def test_update_object_meta(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(
        bucket,
        "doc.txt",
        b"content",
        content_type="text/plain",
        content_disposition="inline",
        metadata={"a": "1", "b": "2"},
        storage_class="STANDARD_IA",
    )
    await cos.update_object_meta(
        bucket, "doc.txt", metadata={"c": "3"}, content_type="text/markdown", content_disposition=""
    )
    meta = await cos.head_object(bucket, "doc.txt")
    assert meta.metadata == {"c": "3"}
    assert meta.content_type == "text/markdown"
    assert meta.content_disposition is None
    assert meta.storage_class == "STANDARD_IA"  # kept: a plain copy would make it STANDARD
    await cos.update_object_meta(bucket, "doc.txt", metadata={})
    assert (await cos.head_object(bucket, "doc.txt")).metadata == {}
    with pytest.raises(InvalidArgument, match="something to change"):
        await cos.update_object_meta(bucket, "doc.txt")
    with pytest.raises(NoSuchKey):
        await cos.update_object_meta(bucket, "missing", cache_control="no-cache")


async def test_copy_in_place_refuses_an_object_changed_meanwhile(
    config: CosConfig, cos: AsyncCosClient, bucket: str
) -> None:
    await cos.put_object(bucket, "doc.txt", b"first", metadata={"v": "1"})

    async def overwrite_before_the_copy(event: RequestEvent) -> None:
        if event.method == "PUT" and event.key == "doc.txt":
            await cos.put_object(bucket, "doc.txt", b"second, written in between")

    async with AsyncCosClient(config, on_request=overwrite_before_the_copy) as racing:
        with pytest.raises(PreconditionFailed):
            await racing.update_object_meta(bucket, "doc.txt", metadata={"v": "2"})
    body = await (await cos.get_object(bucket, "doc.txt")).read()
    assert body == b"second, written in between"  # the newer object was not replaced


async def test_the_client_shows_its_config(cos: AsyncCosClient, config: CosConfig) -> None:
    assert cos.config is config  # the official SDK's get_conf()
