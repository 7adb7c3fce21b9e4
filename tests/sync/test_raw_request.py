"""``cos_sync.CosClient.request``: the blocking raw request and its response."""

from __future__ import annotations

import inspect

import pytest

from cos_sync import CosClient, NoSuchKey, RawResponse


def test_a_raw_round_trip(cos: CosClient, sync_bucket: str) -> None:
    with cos.request("PUT", sync_bucket, "k", body=b"hello") as put:
        assert put.status == 200
    got = cos.request("GET", sync_bucket, "k")
    assert isinstance(got, RawResponse)
    assert got.status == 200
    assert got.request_id
    assert got.headers["Content-Length"] == "5"
    assert got.read() == b"hello"
    big = b"x" * (1024 * 1024)  # larger than the prefetch: streamed
    cos.put_object(sync_bucket, "big", big)
    streamed = cos.request("GET", sync_bucket, "big")
    assert b"".join(streamed.iter_chunks(65536)) == big
    with pytest.raises(NoSuchKey):
        cos.request("GET", sync_bucket, "absent")


def test_the_mirror_introspects() -> None:
    sig = inspect.signature(CosClient.request)
    assert list(sig.parameters)[:4] == ["self", "method", "bucket", "key"]
    assert sig.return_annotation == "RawResponse"
    assert "signed" in (CosClient.request.__doc__ or "")
