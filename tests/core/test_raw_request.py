"""The signed raw request (issue 19, item 2): any COS API, signed, retried and error-mapped like
every other call, with the status, headers and a streaming body."""

from __future__ import annotations

import random

import pytest

from cos_async import (
    AsyncCosClient,
    IntegrityError,
    InvalidArgument,
    NoSuchKey,
    RawResponse,
    SlowDown,
)
from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer


async def test_an_object_round_trip(cos: AsyncCosClient, bucket: str) -> None:
    data = random.Random(1).randbytes(300_000)
    put = await cos.request("PUT", bucket, "raw/k", body=data, headers={"x-cos-meta-a": "1"})
    async with put:
        assert put.status == 200
        assert await put.read() == b""
    assert put.headers["x-cos-hash-crc64ecma"] == str(crc64(data))
    got = await cos.request("GET", bucket, "raw/k")
    assert isinstance(got, RawResponse)
    assert got.status == 200
    assert got.meta.metadata == {"a": "1"}
    assert got.request_id
    assert b"".join([c async for c in got.iter_chunks(65536)]) == data
    assert got.crc64 == crc64(data)  # checked, as get_object does


async def test_sub_resources_and_the_service(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "k", b"x")
    await cos.put_object_tagging(bucket, "k", {"team": "blue"})
    tagging = await (await cos.request("GET", bucket, "k", params={"tagging": None})).read()
    assert b"<Key>team</Key>" in tagging
    assert b"<Value>blue</Value>" in tagging
    listing = await (await cos.request("GET")).read()
    assert f"<Name>{bucket}</Name>".encode() in listing
    head = await cos.request("HEAD", bucket, "k")
    assert head.status == 200
    assert head.meta.size == 1
    assert await head.read() == b""
    ranged = await cos.request("GET", bucket, "k", headers={"Range": "bytes=0-0"})
    assert ranged.status == 206
    assert await ranged.read() == b"x"


async def test_errors_are_mapped(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey):
        await cos.request("GET", bucket, "absent")
    with pytest.raises(NoSuchKey):
        await cos.request("HEAD", bucket, "absent")


async def test_retried_like_every_call(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="error", operation="PutObject", status=503, code="SlowDown")
    async with await cos.request("PUT", bucket, "k", body=b"data"):
        pass
    assert server.requests.count("PutObject") == 2
    server.faults.add(
        action="error", operation="GetObject", status=503, code="SlowDown", times=None
    )
    with pytest.raises(SlowDown) as info:
        await cos.request("GET", bucket, "k")
    assert info.value.attempts == cos.config.retry.max_attempts  # type: ignore[attr-defined]


async def test_a_damaged_body_is_caught_on_a_plain_get_only(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = b"abcdefgh" * 1000
    await cos.put_object(bucket, "k", data)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=100, times=2)
    with pytest.raises(IntegrityError):
        await (await cos.request("GET", bucket, "k")).read()
    unchecked = await cos.request("GET", bucket, "k", verify_crc=False)
    assert await unchecked.read() != data


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"method": "get"}, "HTTP method in capitals"),
        ({"method": "G ET"}, "HTTP method"),
        ({"bucket": None, "key": "k"}, "a key needs a bucket"),
        ({"key": "/k"}, "must not start with '/'"),
        ({"bucket": "nobucket"}, "bucket"),
        ({"headers": {"Authorization": "x"}}, "computed by the client"),
        ({"headers": {"host": "x"}}, "computed by the client"),
        ({"headers": {"x-a": "b\nc"}}, "control character"),
        ({"headers": {"": "b"}}, "header names"),
        ({"params": {"a\nb": None}}, "parameter names"),
        ({"params": {"a": "b\nc"}}, "line break"),
        ({"read_timeout": 0}, "read_timeout"),
        ({"body": {"a": 1}}, "dict"),
    ],
)
async def test_bad_input_is_refused_before_any_request(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    kwargs: dict[str, object],
    named: str,
) -> None:
    call: dict[str, object] = {"method": "GET", "bucket": bucket, "key": "k", **kwargs}
    with pytest.raises(InvalidArgument, match=named):
        await cos.request(**call)  # type: ignore[arg-type]
    assert server.requests.records() == []
