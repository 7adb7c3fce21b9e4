"""Small get_object bodies are read in the same hop onto the loop thread (one round trip)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import cos_async
from cos_async.testing import ThreadedLocalCosServer
from cos_sync import CosClient
from cos_sync._client import PREFETCH_LIMIT


def test_small_body_read_chunks_and_once(cos: CosClient, sync_bucket: str) -> None:
    data = os.urandom(1000)
    cos.put_object(sync_bucket, "small", data)
    body = cos.get_object(sync_bucket, "small")
    assert body.size == 1000
    assert body.read() == data
    assert body.crc64 == body.meta.crc64  # verified during the prefetch
    with pytest.raises(cos_async.InvalidArgument, match="already read"):
        body.read()
    chunks = list(cos.get_object(sync_bucket, "small").iter_chunks(300))
    assert [len(c) for c in chunks] == [300, 300, 300, 100]
    assert b"".join(chunks) == data
    with cos.get_object(sync_bucket, "small") as unread:  # closing an unread prefetched body
        assert unread.meta.size == 1000


def test_prefetch_errors_are_raised_by_read_not_by_get(
    cos: CosClient, sync_server: ThreadedLocalCosServer, sync_bucket: str, tmp_path: Path
) -> None:
    cos.put_object(sync_bucket, "small", b"0123456789")
    sync_server.faults.add(action="corrupt", operation="GetObject", after_bytes=3, times=2)
    body = cos.get_object(sync_bucket, "small")  # the damaged read happened here, silently
    with pytest.raises(cos_async.IntegrityError, match="CRC64"):
        body.read()
    target = tmp_path / "out.bin"
    damaged = cos.get_object(sync_bucket, "small")
    with pytest.raises(cos_async.IntegrityError):
        damaged.save(target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left


def test_save_of_a_prefetched_body_is_atomic(
    cos: CosClient, sync_bucket: str, tmp_path: Path
) -> None:
    cos.put_object(sync_bucket, "small", b"payload")
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    assert cos.get_object(sync_bucket, "small").save(target) == 7
    assert target.read_bytes() == b"payload"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_large_bodies_still_stream(
    cos: CosClient, sync_server: ThreadedLocalCosServer, sync_bucket: str
) -> None:
    data = os.urandom(PREFETCH_LIMIT + 1)
    cos.put_object(sync_bucket, "large", data)
    body = cos.get_object(sync_bucket, "large")
    got = b"".join(body.iter_chunks(65536))
    assert got == data
