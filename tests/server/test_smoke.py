from __future__ import annotations

import asyncio
import hashlib

from cos_async._crc64 import crc64
from tests.cos_http import CosHttp


async def test_put_get_roundtrip(http: CosHttp, bucket: str) -> None:
    put = await http.request("PUT", bucket, "a b/c+d.txt", data=b"hello")
    assert put.status == 200
    assert put.headers["x-cos-hash-crc64ecma"] == str(crc64(b"hello")) == "11177612005948864433"
    assert put.headers["ETag"] == f'"{hashlib.md5(b"hello").hexdigest()}"'
    got = await http.request("GET", bucket, "a b/c+d.txt")
    assert got.status == 200
    assert got.body == b"hello"
    assert got.headers["x-cos-hash-crc64ecma"] == put.headers["x-cos-hash-crc64ecma"]


async def test_body_less_requests_do_not_hang(http: CosHttp, bucket: str) -> None:
    # aiohttp shares one EMPTY_PAYLOAD whose readchunk() returns (b"", True) forever after its
    # first use; a server that iterates it with iter_chunks() spins on the second such request.
    assert (await http.request("PUT", bucket, "k", data=b"x")).status == 200
    for acl in ("public-read", "private", "default"):
        reply = await asyncio.wait_for(
            http.request("PUT", bucket, "k", params={"acl": None}, headers={"x-cos-acl": acl}), 10
        )
        assert reply.status == 200
    acl_doc = (await http.request("GET", bucket, "k", params={"acl": None})).xml()
    grants = acl_doc["AccessControlPolicy"]["AccessControlList"]["Grant"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
