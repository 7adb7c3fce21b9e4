"""Bucket configurations through the blocking facade (cos_sync.CosClient)."""

from __future__ import annotations

import pytest

import cos_async
import cos_sync
from cos_async.testing import ThreadedLocalCosServer
from cos_sync import (
    CorsConfiguration,
    CorsRule,
    CosClient,
    LifecycleConfiguration,
    LifecycleExpiration,
    LifecycleFilter,
    LifecycleRule,
    LifecycleTransition,
    Tagging,
)

CORS = CorsConfiguration(
    rules=[
        CorsRule(
            id="web",
            allowed_origins=["https://app.example.com", "https://*.example.org"],
            allowed_methods=["GET", "PUT"],
            allowed_headers=["content-type"],
            expose_headers=["ETag"],
            max_age_seconds=300,
        )
    ]
)

LIFECYCLE = LifecycleConfiguration(
    rules=[
        LifecycleRule(
            id="logs",
            filter=LifecycleFilter(prefix="logs/"),
            transitions=[LifecycleTransition(days=30, storage_class="STANDARD_IA")],
            expiration=LifecycleExpiration(days=365),
        ),
        LifecycleRule(id="tmp", status="Disabled", expiration=LifecycleExpiration(days=1)),
    ]
)

TAGS = Tagging.of({"env": "prod", "team": "storage"})


def test_models_are_the_async_ones() -> None:
    assert cos_sync.Tagging is cos_async.Tagging
    assert cos_sync.NoSuchConfiguration is cos_async.NoSuchConfiguration


def test_cors_round_trip(cos: CosClient, sync_bucket: str) -> None:
    cos.put_bucket_cors(sync_bucket, CORS)
    assert cos.get_bucket_cors(sync_bucket) == CORS
    cos.delete_bucket_cors(sync_bucket)
    with pytest.raises(cos_sync.NoSuchConfiguration) as info:
        cos.get_bucket_cors(sync_bucket)
    assert info.value.code == "NoSuchCORSConfiguration"


def test_lifecycle_round_trip(cos: CosClient, sync_bucket: str) -> None:
    cos.put_bucket_lifecycle(sync_bucket, LIFECYCLE)
    got = cos.get_bucket_lifecycle(sync_bucket)
    assert got == LIFECYCLE
    assert [r.id for r in got.rules] == ["logs", "tmp"]
    cos.delete_bucket_lifecycle(sync_bucket)
    with pytest.raises(cos_sync.NoSuchConfiguration):
        cos.get_bucket_lifecycle(sync_bucket)


def test_tagging_round_trip(
    cos: CosClient, sync_server: ThreadedLocalCosServer, sync_bucket: str
) -> None:
    cos.put_bucket_tagging(sync_bucket, TAGS)
    assert cos.get_bucket_tagging(sync_bucket).as_dict() == {"env": "prod", "team": "storage"}
    assert sync_server.store.buckets[sync_bucket].tags == {"env": "prod", "team": "storage"}
    cos.delete_bucket_tagging(sync_bucket)
    with pytest.raises(cos_sync.NoSuchConfiguration):
        cos.get_bucket_tagging(sync_bucket)


def test_no_such_configuration_is_caught_by_the_async_class(
    cos: CosClient, sync_bucket: str
) -> None:
    caught: list[cos_async.NoSuchConfiguration] = []
    for get in (cos.get_bucket_cors, cos.get_bucket_tagging, cos.get_bucket_policy):
        try:
            get(sync_bucket)
        except cos_async.NoSuchConfiguration as exc:
            caught.append(exc)
    assert [e.code for e in caught] == [
        "NoSuchCORSConfiguration",
        "NoSuchTagSet",
        "NoSuchBucketPolicy",
    ]
    assert all(isinstance(e, FileNotFoundError) and e.status == 404 for e in caught)
    assert all(e.bucket == sync_bucket for e in caught)


def test_wrong_model_sends_nothing(
    cos: CosClient, sync_server: ThreadedLocalCosServer, sync_bucket: str
) -> None:
    before = len(sync_server.requests.records())
    with pytest.raises(cos_async.InvalidArgument, match="config must be a CorsConfiguration"):
        cos.put_bucket_cors(sync_bucket, TAGS)  # type: ignore[arg-type]
    assert len(sync_server.requests.records()) == before
