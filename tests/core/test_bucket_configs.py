"""AsyncCosClient bucket configurations against the local COS server: every family round-trips
put -> get -> delete, inventory by id, the JSON policy, bucket and object ACLs, and the checks
that refuse a bad call before any request is sent."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cos_async import (
    AsyncCosClient,
    BucketLoggingStatus,
    ConfigModel,
    CorsConfiguration,
    CosServiceError,
    Grant,
    InvalidArgument,
    InventoryConfiguration,
    InventoryDestination,
    LifecycleConfiguration,
    LifecycleExpiration,
    LifecycleFilter,
    LifecycleRule,
    NoSuchBucket,
    NoSuchConfiguration,
    Tag,
    Tagging,
    VersioningConfiguration,
)
from cos_async._xml import parse
from cos_async.testing import LocalCosServer, Operation
from tests.unit.test_bucket_config_models import (
    FULL_CORS,
    FULL_DOMAIN,
    FULL_ENCRYPTION,
    FULL_INVENTORY,
    FULL_LIFECYCLE,
    FULL_LOGGING,
    FULL_OBJECT_LOCK,
    FULL_REFERER,
    FULL_REPLICATION,
    FULL_TAGGING,
    FULL_TIERING,
    FULL_VERSIONING,
    FULL_WEBSITE,
    MINIMAL,
)

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"
SUB_USER = "qcs::cam::uin/100000000001:uin/100000000002"
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"

Call = Callable[..., Awaitable[Any]]

#: (method name part, model instance, sub-resource the server stores it under)
FAMILIES: list[Any] = [
    pytest.param("cors", FULL_CORS, "cors", id="cors"),
    pytest.param("lifecycle", FULL_LIFECYCLE, "lifecycle", id="lifecycle"),
    pytest.param("replication", FULL_REPLICATION, "replication", id="replication"),
    pytest.param("tagging", FULL_TAGGING, "tagging", id="tagging"),
    pytest.param("website", FULL_WEBSITE, "website", id="website"),
    pytest.param("logging", FULL_LOGGING, "logging", id="logging"),
    pytest.param("referer", FULL_REFERER, "referer", id="referer"),
    pytest.param("domain", FULL_DOMAIN, "domain", id="domain"),
    pytest.param("encryption", FULL_ENCRYPTION, "encryption", id="encryption"),
    pytest.param(
        "intelligent_tiering", FULL_TIERING, "intelligenttiering", id="intelligent_tiering"
    ),
    pytest.param("object_lock", FULL_OBJECT_LOCK, "object-lock", id="object_lock"),
]

#: families with a delete method: (method name part, error code of a missing configuration)
DELETABLE: list[Any] = [
    pytest.param("cors", FULL_CORS, "NoSuchCORSConfiguration", id="cors"),
    pytest.param("lifecycle", FULL_LIFECYCLE, "NoSuchLifecycleConfiguration", id="lifecycle"),
    pytest.param(
        "replication", FULL_REPLICATION, "NoSuchReplicationConfiguration", id="replication"
    ),
    pytest.param("tagging", FULL_TAGGING, "NoSuchTagSet", id="tagging"),
    pytest.param("website", FULL_WEBSITE, "NoSuchWebsiteConfiguration", id="website"),
    pytest.param("referer", FULL_REFERER, "NoSuchRefererConfiguration", id="referer"),
    pytest.param("domain", FULL_DOMAIN, "NoSuchDomainConfiguration", id="domain"),
    pytest.param("encryption", FULL_ENCRYPTION, "NoSuchEncryptionConfiguration", id="encryption"),
]


def method(cos: AsyncCosClient, verb: str, family: str) -> Call:
    fn: Call = getattr(cos, f"{verb}_bucket_{family}")
    return fn


def request_count(server: LocalCosServer) -> int:
    return len(server.requests.records())


def sent_documents(server: LocalCosServer, operation: Operation) -> list[bytes]:
    """The documents the server received for ``operation`` (the log must keep documents)."""
    return [
        r.document
        for r in server.requests.records()
        if r.operation == operation and r.document is not None
    ]


async def prepare(cos: AsyncCosClient, bucket: str, family: str) -> None:
    """What a family needs on the bucket first (replication: versioning enabled)."""
    if family == "replication":
        await cos.put_bucket_versioning(bucket, FULL_VERSIONING)


# --- every family -----------------------------------------------------------------------------


@pytest.mark.parametrize(("family", "model", "subresource"), FAMILIES)
async def test_put_get_round_trip(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    family: str,
    model: ConfigModel,
    subresource: str,
) -> None:
    await prepare(cos, bucket, family)
    await method(cos, "put", family)(bucket, model)
    # the server stored a document of the family's root element under its sub-resource
    stored = server.store.buckets[bucket].configs[subresource]
    assert list(parse(stored)) == [type(model).xml_root]
    got = await method(cos, "get", family)(bucket)
    assert type(got) is type(model)
    assert got == model


@pytest.mark.parametrize(("family", "model", "subresource"), FAMILIES)
async def test_put_replaces(
    cos: AsyncCosClient, bucket: str, family: str, model: ConfigModel, subresource: str
) -> None:
    (smaller,) = [m for m in MINIMAL if type(m) is type(model)]
    if family == "tagging":
        # an empty Tagging has no <TagSet>, which COS (and the local server) refuse
        smaller = Tagging.of({"only": "one"})
    await prepare(cos, bucket, family)
    await method(cos, "put", family)(bucket, model)
    await method(cos, "put", family)(bucket, smaller)
    got = await method(cos, "get", family)(bucket)
    assert got == smaller
    assert got != model


@pytest.mark.parametrize(("family", "model", "code"), DELETABLE)
async def test_delete_then_get_is_no_such_configuration(
    cos: AsyncCosClient, bucket: str, family: str, model: ConfigModel, code: str
) -> None:
    get = method(cos, "get", family)
    with pytest.raises(NoSuchConfiguration):
        await get(bucket)  # never configured
    await prepare(cos, bucket, family)
    await method(cos, "put", family)(bucket, model)
    assert await get(bucket) == model
    await method(cos, "delete", family)(bucket)
    with pytest.raises(NoSuchConfiguration) as info:
        await get(bucket)
    err = info.value
    assert isinstance(err, FileNotFoundError)
    assert err.status == 404
    assert err.code == code
    assert err.bucket == bucket


async def test_delete_tagging_clears_the_bucket_tags(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_bucket_tagging(bucket, FULL_TAGGING)
    assert server.store.buckets[bucket].tags == FULL_TAGGING.as_dict()
    await cos.delete_bucket_tagging(bucket)
    assert server.store.buckets[bucket].tags == {}


async def test_delete_referer_puts_an_empty_configuration(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_bucket_referer(bucket, FULL_REFERER)
    assert "referer" in server.store.buckets[bucket].configs
    before = request_count(server)
    await cos.delete_bucket_referer(bucket)
    # COS has no DELETE ?referer: one PUT of an empty body
    [record] = server.requests.records()[before:]
    assert (record.method, record.operation) == ("PUT", "PutBucketReferer")
    assert "referer" not in server.store.buckets[bucket].configs
    with pytest.raises(NoSuchConfiguration) as info:
        await cos.get_bucket_referer(bucket)
    assert info.value.code == "NoSuchRefererConfiguration"


@pytest.mark.parametrize(
    ("family", "code"),
    [
        ("intelligent_tiering", "NoSuchIntelligentTieringConfiguration"),
        ("object_lock", "NoSuchObjectLockConfiguration"),
    ],
)
async def test_never_configured_is_no_such_configuration(
    cos: AsyncCosClient, bucket: str, family: str, code: str
) -> None:
    with pytest.raises(NoSuchConfiguration) as info:
        await method(cos, "get", family)(bucket)
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.code == code


async def test_logging_off(cos: AsyncCosClient, bucket: str) -> None:
    # a bucket without logging reports an empty status (COS answers 200, not 404)
    assert await cos.get_bucket_logging(bucket) == BucketLoggingStatus()
    await cos.put_bucket_logging(bucket, FULL_LOGGING)
    got = await cos.get_bucket_logging(bucket)
    assert got.logging_enabled is not None
    assert got.logging_enabled.target_bucket == "logs-1250000000"
    assert got.logging_enabled.target_prefix == "access/"
    # putting an empty status turns logging off
    await cos.put_bucket_logging(bucket, BucketLoggingStatus())
    assert (await cos.get_bucket_logging(bucket)).logging_enabled is None


async def test_replication_needs_versioning(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(CosServiceError) as info:
        await cos.put_bucket_replication(bucket, FULL_REPLICATION)
    assert info.value.code == "InvalidRequest"
    assert "versioning" in str(info.value)


# --- versioning -------------------------------------------------------------------------------


async def test_versioning_states(cos: AsyncCosClient, server: LocalCosServer, bucket: str) -> None:
    never = await cos.get_bucket_versioning(bucket)
    assert never == VersioningConfiguration()
    assert never.status is None

    await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Enabled"))
    assert (await cos.get_bucket_versioning(bucket)).status == "Enabled"
    assert server.store.buckets[bucket].versioning == "Enabled"

    await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Suspended"))
    assert await cos.get_bucket_versioning(bucket) == VersioningConfiguration(status="Suspended")
    assert server.store.buckets[bucket].versioning == "Suspended"

    await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Enabled"))
    assert (await cos.get_bucket_versioning(bucket)).status == "Enabled"


async def test_versioning_without_status_is_refused(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument, match=r"VersioningConfiguration\.status"):
        await cos.put_bucket_versioning(bucket, VersioningConfiguration())
    assert request_count(server) == before
    assert server.store.buckets[bucket].versioning == ""


# --- inventory --------------------------------------------------------------------------------

SECOND_INVENTORY = InventoryConfiguration(
    id="weekly",
    is_enabled=False,
    destination=InventoryDestination(bucket="qcs::cos:ap-beijing::other-1250000000"),
    frequency="Weekly",
    included_object_versions="Current",
    optional_fields=["Size", "ETag"],
)


async def test_inventory_by_id(cos: AsyncCosClient, server: LocalCosServer, bucket: str) -> None:
    assert await cos.list_bucket_inventory_configurations(bucket) == ()
    with pytest.raises(NoSuchConfiguration):
        await cos.get_bucket_inventory(bucket, FULL_INVENTORY.id)

    await cos.put_bucket_inventory(bucket, FULL_INVENTORY)
    await cos.put_bucket_inventory(bucket, SECOND_INVENTORY)
    assert sorted(k for k in server.store.buckets[bucket].configs if k.startswith("inventory")) == [
        f"inventory:{FULL_INVENTORY.id}",
        "inventory:weekly",
    ]

    assert await cos.get_bucket_inventory(bucket, FULL_INVENTORY.id) == FULL_INVENTORY
    assert await cos.get_bucket_inventory(bucket, "weekly") == SECOND_INVENTORY
    listed = await cos.list_bucket_inventory_configurations(bucket)
    assert isinstance(listed, tuple)
    assert sorted(listed, key=lambda c: c.id) == [FULL_INVENTORY, SECOND_INVENTORY]

    await cos.delete_bucket_inventory(bucket, FULL_INVENTORY.id)
    assert await cos.list_bucket_inventory_configurations(bucket) == (SECOND_INVENTORY,)
    with pytest.raises(NoSuchConfiguration) as info:
        await cos.get_bucket_inventory(bucket, FULL_INVENTORY.id)
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.code == "NoSuchInventoryConfiguration"
    with pytest.raises(NoSuchConfiguration):
        await cos.delete_bucket_inventory(bucket, FULL_INVENTORY.id)
    assert await cos.get_bucket_inventory(bucket, "weekly") == SECOND_INVENTORY


async def test_inventory_put_replaces_same_id(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_bucket_inventory(bucket, SECOND_INVENTORY)
    changed = InventoryConfiguration(
        id="weekly", destination=SECOND_INVENTORY.destination, frequency="Daily"
    )
    await cos.put_bucket_inventory(bucket, changed)
    assert await cos.list_bucket_inventory_configurations(bucket) == (changed,)


@pytest.mark.parametrize("bad_id", ["has space", "i" * 65, "", "a/b"])
async def test_inventory_bad_id_sends_nothing(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, bad_id: str
) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument, match="inventory_id") as info:
        await cos.get_bucket_inventory(bucket, bad_id)
    assert repr(bad_id) in str(info.value)
    with pytest.raises(InvalidArgument, match="inventory_id"):
        await cos.delete_bucket_inventory(bucket, bad_id)
    assert request_count(server) == before


# --- policy -----------------------------------------------------------------------------------

POLICY: dict[str, Any] = {
    "version": "2.0",
    "Statement": [
        {
            "Principal": {"qcs": ["qcs::cam::anyone:anyone"]},
            "Effect": "Allow",
            "Action": ["name/cos:GetObject"],
            "Resource": ["qcs::cos:ap-guangzhou:uid/1250000000:test-1250000000/*"],
        },
        {
            "Principal": {"qcs": [SUB_USER]},
            "Effect": "Deny",
            "Action": ["name/cos:DeleteObject"],
            "Resource": ["qcs::cos:ap-guangzhou:uid/1250000000:test-1250000000/*"],
            "Condition": {"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}},
        },
    ],
}


async def test_policy_round_trip(cos: AsyncCosClient, server: LocalCosServer, bucket: str) -> None:
    with pytest.raises(NoSuchConfiguration) as missing:
        await cos.get_bucket_policy(bucket)
    assert missing.value.code == "NoSuchBucketPolicy"
    assert isinstance(missing.value, FileNotFoundError)

    await cos.put_bucket_policy(bucket, POLICY)
    assert json.loads(server.store.buckets[bucket].configs["policy"]) == POLICY
    got = await cos.get_bucket_policy(bucket)
    assert got == POLICY

    # the JSON text form, with other content
    text = json.dumps({"version": "2.0", "Statement": [POLICY["Statement"][1]]}, indent=2)
    await cos.put_bucket_policy(bucket, text)
    assert await cos.get_bucket_policy(bucket) == json.loads(text)

    await cos.delete_bucket_policy(bucket)
    with pytest.raises(NoSuchConfiguration):
        await cos.get_bucket_policy(bucket)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"version": "2.0"}, "non-empty Statement"),
        ({"version": "2.0", "Statement": []}, "non-empty Statement"),
        ('{"version": "2.0"}', "non-empty Statement"),
        ({"Statement": [{"Effect": "Maybe"}]}, r"Statement\[0\] needs an Effect"),
        ({"Statement": [{"Effect": "Allow"}, "x"]}, r"Statement\[1\] needs an Effect"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (42, "must be a mapping or its JSON text, got int"),
    ],
)
async def test_bad_policy_sends_nothing(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, policy: Any, message: str
) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument, match=message):
        await cos.put_bucket_policy(bucket, policy)
    assert request_count(server) == before
    assert "policy" not in server.store.buckets[bucket].configs


# --- ACLs -------------------------------------------------------------------------------------

OWNER_FULL = Grant(permission="FULL_CONTROL", id=OWNER, display_name="100000000001")
ALL_USERS_READ = Grant(permission="READ", uri=ALL_USERS)


@pytest.mark.parametrize(
    ("acl", "grants"),
    [
        ("private", (OWNER_FULL,)),
        ("public-read", (OWNER_FULL, ALL_USERS_READ)),
        (
            "public-read-write",
            (OWNER_FULL, ALL_USERS_READ, Grant(permission="WRITE", uri=ALL_USERS)),
        ),
    ],
)
async def test_bucket_canned_acl(
    cos: AsyncCosClient, bucket: str, acl: Any, grants: tuple[Grant, ...]
) -> None:
    await cos.put_bucket_acl(bucket, acl=acl)
    got = await cos.get_bucket_acl(bucket)
    assert got.owner_id == OWNER
    assert got.grants == grants
    assert got.request_id
    assert got.headers["x-cos-acl"] == acl


async def test_bucket_acl_grants(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.requests, "keep_documents", True)
    await cos.put_bucket_acl(
        bucket,
        grants=[
            Grant(permission="FULL_CONTROL", id=OWNER),
            Grant(permission="READ", id=SUB_USER),
            Grant(permission="READ_ACP", uri=ALL_USERS),
        ],
        owner_id=OWNER,
    )
    [body] = sent_documents(server, Operation.PutBucketACL)
    doc = parse(body)["AccessControlPolicy"]
    assert doc["Owner"]["ID"] == OWNER
    assert [g["Permission"] for g in doc["AccessControlList"]["Grant"]] == [
        "FULL_CONTROL",
        "READ",
        "READ_ACP",
    ]
    assert doc["AccessControlList"]["Grant"][2]["Grantee"]["@type"] == "Group"

    got = await cos.get_bucket_acl(bucket)
    assert got.owner_id == OWNER
    assert got.grants == (
        OWNER_FULL,
        Grant(permission="READ", id=SUB_USER, display_name="100000000002"),
        Grant(permission="READ_ACP", uri=ALL_USERS),
    )


async def test_bucket_acl_grant_headers(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_bucket_acl(
        bucket,
        grant_read=f'id="{SUB_USER}"',
        grant_full_control=f'id="{OWNER}"',
    )
    got = await cos.get_bucket_acl(bucket)
    assert set(got.grants) == {
        Grant(permission="READ", id=SUB_USER, display_name="100000000002"),
        OWNER_FULL,
    }


async def test_object_acl(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "doc.txt", b"hello")
    await cos.put_object_acl(bucket, "doc.txt", acl="public-read")
    got = await cos.get_object_acl(bucket, "doc.txt")
    assert got.owner_id == OWNER
    assert got.grants == (OWNER_FULL, ALL_USERS_READ)

    await cos.put_object_acl(
        bucket,
        "doc.txt",
        grants=[Grant(permission="FULL_CONTROL", id=OWNER), Grant(permission="READ", id=SUB_USER)],
        owner_id=OWNER,
    )
    got = await cos.get_object_acl(bucket, "doc.txt")
    assert got.grants == (
        OWNER_FULL,
        Grant(permission="READ", id=SUB_USER, display_name="100000000002"),
    )

    await cos.put_object_acl(bucket, "doc.txt", acl="private")
    assert (await cos.get_object_acl(bucket, "doc.txt")).grants == (OWNER_FULL,)
    # the bucket's own ACL is untouched
    assert (await cos.get_bucket_acl(bucket)).grants == (OWNER_FULL,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c, b: c.put_bucket_acl(b), "put_bucket_acl needs acl, a grant_"),
        (lambda c, b: c.put_bucket_acl(b, acl="default"), "acl must be one of"),
        (
            lambda c, b: c.put_bucket_acl(
                b, acl="private", grants=[Grant(permission="READ", id=OWNER)]
            ),
            "not both",
        ),
        (lambda c, b: c.put_bucket_acl(b, grant_read=OWNER), "grant_read must look like"),
        (
            lambda c, b: c.put_bucket_acl(b, grants=[Grant(permission="ALL", id=OWNER)]),
            "unknown ACL permission 'ALL'",
        ),
        (
            lambda c, b: c.put_bucket_acl(b, grants=[Grant(permission="READ", id="uin/1")]),
            "a Grant id must look like",
        ),
        (lambda c, b: c.put_object_acl(b, "k", acl="public-read-write"), "acl must be one of"),
        (lambda c, b: c.put_object_acl(b, "k"), "put_object_acl needs acl"),
    ],
)
async def test_bad_acl_sends_nothing(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    call: Callable[[AsyncCosClient, str], Awaitable[None]],
    message: str,
) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument, match=message):
        await call(cos, bucket)
    assert request_count(server) == before


# --- checked before sending -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "wrong", "expected", "right"),
    [
        ("cors", FULL_TAGGING, "config must be a CorsConfiguration, got Tagging", FULL_CORS),
        ("cors", {"rules": []}, "config must be a CorsConfiguration, got dict", FULL_CORS),
        (
            "lifecycle",
            FULL_CORS,
            "config must be a LifecycleConfiguration, got CorsConfiguration",
            FULL_LIFECYCLE,
        ),
        ("tagging", {"env": "prod"}, "config must be a Tagging, got dict", FULL_TAGGING),
        ("logging", None, "config must be a BucketLoggingStatus, got NoneType", FULL_LOGGING),
    ],
)
async def test_wrong_model_type_sends_nothing(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    family: str,
    wrong: Any,
    expected: str,
    right: ConfigModel,
) -> None:
    put = method(cos, "put", family)
    before = request_count(server)
    with pytest.raises(InvalidArgument) as info:
        await put(bucket, wrong)
    assert str(info.value) == expected
    assert request_count(server) == before
    assert server.store.buckets[bucket].configs == {}
    # the log does count requests: a valid call is one more
    await put(bucket, right)
    assert request_count(server) == before + 1


async def test_bad_bucket_name_sends_nothing(cos: AsyncCosClient, server: LocalCosServer) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument):
        await cos.put_bucket_cors("Not_A_Bucket", FULL_CORS)
    with pytest.raises(InvalidArgument):
        await cos.get_bucket_tagging("no-appid")
    with pytest.raises(InvalidArgument):
        await cos.delete_bucket_lifecycle("")
    assert request_count(server) == before


async def test_missing_bucket(cos: AsyncCosClient, server: LocalCosServer) -> None:
    with pytest.raises(NoSuchBucket):
        await cos.put_bucket_cors("absent-1250000000", CorsConfiguration(rules=FULL_CORS.rules))
    with pytest.raises(NoSuchBucket):
        await cos.get_bucket_cors("absent-1250000000")


# --- fixes found in review: what COS needs, refused or filled in before sending ----------------


async def test_grants_without_owner_id_name_the_first_user_as_owner(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.requests, "keep_documents", True)
    await cos.put_bucket_acl(
        bucket,
        grants=[Grant(permission="READ", uri=ALL_USERS), Grant(permission="READ", id=SUB_USER)],
    )
    [body] = sent_documents(server, Operation.PutBucketACL)
    assert parse(body)["AccessControlPolicy"]["Owner"]["ID"] == SUB_USER  # COS needs <Owner>


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"grants": [Grant(permission="READ", uri=ALL_USERS)]},
            "owner_id is needed when no grant names a user",
        ),
        (
            {"grants": [Grant(permission="READ", id=SUB_USER)], "owner_id": "100000000001"},
            "owner_id must look like qcs::cam::uin/<owner uin>:uin/<owner uin>, got '100000000001'",
        ),
    ],
)
async def test_bad_acl_owner_refused_before_sending(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, kwargs: Any, message: str
) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        await cos.put_bucket_acl(bucket, **kwargs)
    assert request_count(server) == before


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"Statement": [{"Effect": "Allow", "Action": {"name/cos:GetObject"}}]},
            "policy cannot be written as JSON",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Condition": {"n": float("nan")}}]},
            "policy cannot be written as JSON",
        ),
        ('{"Statement": [{"Effect": "Allow", "n": NaN}]}', "NaN is not JSON"),
    ],
)
async def test_policy_that_is_not_json_refused_before_sending(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, policy: Any, message: str
) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument, match=message):
        await cos.put_bucket_policy(bucket, policy)
    assert request_count(server) == before


async def test_empty_tagging_refused_before_sending(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    before = request_count(server)
    with pytest.raises(InvalidArgument, match=r"Tagging\.tags is empty.*delete_bucket_tagging"):
        await cos.put_bucket_tagging(bucket, Tagging())
    assert request_count(server) == before


async def test_lifecycle_filter_with_prefix_and_tags_round_trips(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    config = LifecycleConfiguration(
        rules=[
            LifecycleRule(
                id="logs",
                filter=LifecycleFilter(prefix="logs/", tags=[Tag(key="type", value="image")]),
                expiration=LifecycleExpiration(days=30),
            )
        ]
    )
    await cos.put_bucket_lifecycle(bucket, config)
    assert await cos.get_bucket_lifecycle(bucket) == config
