"""Every operation returns a typed result that keeps the answer's ``request_id`` and headers
(what Tencent Cloud support asks for), while what used to be a plain value still behaves like
one: tags and policies are mappings, the location a str, a restore's status an int."""

from __future__ import annotations

import inspect

import pytest

from cos_async import (
    AsyncCosClient,
    BucketLocation,
    BucketPolicy,
    CorsConfiguration,
    CorsRule,
    InventoryConfiguration,
    InventoryConfigurations,
    InventoryDestination,
    ObjectTagging,
    RestoreObjectResult,
    Result,
    Tagging,
    VersioningConfiguration,
)
from cos_async.testing import LocalCosServer

#: what a plain-value return type used to be: none of these may come back
_BARE = {"None", "dict[str, str]", "dict[str, Any]", "str", "int"}
#: convenience checks answered with a bool, and the client's own lifecycle
_EXEMPT = {"aclose", "bucket_exists", "object_exists", "object_url", "presign_url"}


def test_no_operation_returns_a_bare_value() -> None:
    for name in dir(AsyncCosClient):
        fn = getattr(AsyncCosClient, name)
        if name.startswith("_") or name in _EXEMPT or not inspect.iscoroutinefunction(fn):
            continue
        returned = inspect.signature(fn).return_annotation
        assert returned not in _BARE, f"{name} returns {returned}"


async def test_bucket_configuration_calls_carry_the_answer(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    cors = CorsConfiguration(rules=[CorsRule(allowed_origins=["*"], allowed_methods=["GET"])])
    put = await cos.put_bucket_cors(bucket, cors)
    assert isinstance(put, Result)
    assert put.request_id
    got = await cos.get_bucket_cors(bucket)
    assert got == cors  # the answer's fields are not compared
    assert got.request_id
    assert got.request_id != put.request_id
    assert got.headers["x-cos-request-id"] == got.request_id
    deleted = await cos.delete_bucket_cors(bucket)
    assert deleted.request_id
    versioning = await cos.get_bucket_versioning(bucket)
    assert isinstance(versioning, VersioningConfiguration)
    assert versioning.request_id
    assert (await cos.put_bucket_tagging(bucket, Tagging.of({"a": "b"}))).request_id
    assert (await cos.delete_bucket_tagging(bucket)).request_id


async def test_plain_values_still_behave_as_before(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", b"x")
    assert (await cos.put_object_tagging(bucket, "k", {"t": "v"})).request_id
    tags = await cos.get_object_tagging(bucket, "k")
    assert isinstance(tags, ObjectTagging)
    assert tags == {"t": "v"}
    assert dict(tags) == {"t": "v"}
    assert tags["t"] == "v"
    assert tags.request_id
    assert (await cos.delete_object_tagging(bucket, "k")).request_id
    location = await cos.get_bucket_location(bucket)
    assert isinstance(location, BucketLocation)
    assert location == server.region
    assert location.upper() == server.region.upper()
    assert location.request_id
    policy_doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"qcs": ["qcs::cam::anyone:anyone"]},
                "Action": ["name/cos:GetObject"],
                "Resource": [f"qcs::cos:{server.region}:uid/{server.appid}:{bucket}/*"],
            }
        ],
        "version": "2.0",
    }
    assert (await cos.put_bucket_policy(bucket, policy_doc)).request_id
    policy = await cos.get_bucket_policy(bucket)
    assert isinstance(policy, BucketPolicy)
    assert policy["Statement"][0]["Effect"] == "Allow"
    assert policy.request_id
    assert (await cos.delete_bucket_policy(bucket)).request_id
    assert (await cos.put_object_acl(bucket, "k", acl="private")).request_id
    up = await cos.create_multipart_upload(bucket, "m")
    assert (await cos.abort_multipart_upload(bucket, "m", up.upload_id)).request_id


async def test_restore_and_inventories_carry_their_answers(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "cold", b"x", storage_class="ARCHIVE")
    status = await cos.restore_object(bucket, "cold", days=1)
    assert isinstance(status, RestoreObjectResult)
    assert status == 202
    assert status.status == 202
    assert status.request_id
    inventory = InventoryConfiguration(
        id="inv1",
        is_enabled=True,
        destination=InventoryDestination(
            bucket=f"qcs::cos:{server.region}::{bucket}", format="CSV"
        ),
        frequency="Daily",
        included_object_versions="Current",
    )
    await cos.put_bucket_inventory(bucket, inventory)
    listed = await cos.list_bucket_inventory_configurations(bucket)
    assert isinstance(listed, InventoryConfigurations)
    assert isinstance(listed, tuple)
    assert [c.id for c in listed] == ["inv1"]
    assert len(listed.request_ids) == 1
    assert (await cos.delete_bucket_inventory(bucket, "inv1")).request_id


@pytest.mark.parametrize("name", ["delete_bucket"])
async def test_deleting_a_bucket_answers_too(
    cos: AsyncCosClient, server: LocalCosServer, name: str
) -> None:
    bucket = server.create_bucket()
    assert (await getattr(cos, name)(bucket)).request_id
