"""The rest of the storage API (issue 19, item 5) through the blocking facade: the same
coroutines, plain calls, the same models."""

from __future__ import annotations

import pytest

from cos_sync import (
    AsyncFetchTask,
    BucketMeta,
    CosClient,
    CosServiceError,
    OriginConfiguration,
    OriginInfo,
    OriginRule,
    Symlink,
)


def test_symlink_fetch_and_meta(cos: CosClient, sync_bucket: str) -> None:
    cos.put_object(sync_bucket, "t.txt", b"through the link", metadata={"a": "1"})
    cos.put_symlink(sync_bucket, "l.txt", "t.txt")
    link = cos.get_symlink(sync_bucket, "l.txt")
    assert isinstance(link, Symlink)
    assert link.target == "t.txt"
    assert cos.get_object(sync_bucket, "l.txt").read() == b"through the link"

    url = cos.presign_url("GET", sync_bucket, "t.txt")
    task = cos.put_async_fetch_task(sync_bucket, AsyncFetchTask(url=url, key="copy.txt"))
    assert cos.get_async_fetch_task(sync_bucket, task.task_id).status == "TASK_SUCCESS"
    assert cos.get_object(sync_bucket, "copy.txt").read() == b"through the link"

    cos.update_object_meta(sync_bucket, "t.txt", metadata={"b": "2"})
    assert cos.head_object(sync_bucket, "t.txt").metadata == {"b": "2"}

    origin = OriginConfiguration(
        rules=[OriginRule(priority=1, origin_type="Proxy", info=OriginInfo(host_name="o.example"))]
    )
    cos.put_bucket_origin(sync_bucket, origin)
    meta = cos.get_bucket_meta(sync_bucket)
    assert isinstance(meta, BucketMeta)
    assert meta.bucket == sync_bucket
    assert meta.cors is None
    assert cos.get_bucket_origin(sync_bucket) == origin


def test_errors_are_the_same_classes(cos: CosClient, sync_bucket: str) -> None:
    with pytest.raises(CosServiceError) as info:
        cos.put_async_fetch_task(sync_bucket, AsyncFetchTask(url="http://example.com/x", key="x"))
    assert info.value.code == "InvalidArgument"
