"""Temporary (STS) keys given as fixed secret_id / secret_key / token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from yarl import URL

from cos_async import AccessDenied, AsyncCosClient, CosConfig, InvalidAccessKeyId
from cos_async.testing import LocalCosServer, ServerCredential

SECRET_ID = "AKIDTemporaryKeyId00000000000000000"
SECRET_KEY = "TemporarySecretKey00000000000000"
TOKEN = "tok+en/x=="


@pytest.fixture
async def sts_server() -> AsyncIterator[LocalCosServer]:
    async with LocalCosServer(
        credentials=[ServerCredential(SECRET_ID, SECRET_KEY, token=TOKEN)]
    ) as srv:
        yield srv


@pytest.fixture
def sts_bucket(sts_server: LocalCosServer) -> str:
    return sts_server.create_bucket()


def token_config(srv: LocalCosServer, token: str | None = TOKEN) -> CosConfig:
    return CosConfig(
        region=srv.region,
        endpoint_url=srv.endpoint,
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        token=token,
    )


@pytest.fixture
async def sts_cos(sts_server: LocalCosServer) -> AsyncIterator[AsyncCosClient]:
    async with AsyncCosClient(token_config(sts_server)) as client:
        yield client


async def test_put_get_head_delete_with_a_token(
    sts_cos: AsyncCosClient, sts_server: LocalCosServer, sts_bucket: str
) -> None:
    data = b"temporary keys work" * 100
    result = await sts_cos.put_object(sts_bucket, "dir/obj.bin", data)
    assert result.etag
    body = await sts_cos.get_object(sts_bucket, "dir/obj.bin")
    assert await body.read() == data
    meta = await sts_cos.head_object(sts_bucket, "dir/obj.bin")
    assert meta.size == len(data)
    assert [o.key async for o in sts_cos.list_objects(sts_bucket)] == ["dir/obj.bin"]
    await sts_cos.delete_object(sts_bucket, "dir/obj.bin")
    assert not await sts_cos.object_exists(sts_bucket, "dir/obj.bin")
    assert sts_server.requests.count("PutObject") == 1


async def test_multipart_with_a_token(sts_cos: AsyncCosClient, sts_bucket: str) -> None:
    up = await sts_cos.create_multipart_upload(sts_bucket, "mp")
    part = await sts_cos.upload_part(sts_bucket, "mp", up.upload_id, 1, b"abc")
    await sts_cos.complete_multipart_upload(sts_bucket, "mp", up.upload_id, [part])
    assert await (await sts_cos.get_object(sts_bucket, "mp")).read() == b"abc"


async def test_presigned_url_carries_the_token(
    sts_cos: AsyncCosClient, sts_server: LocalCosServer, sts_bucket: str
) -> None:
    await sts_cos.put_object(sts_bucket, "a b+c.txt", b"presigned")
    url = await sts_cos.presign_url("GET", sts_bucket, "a b+c.txt", expires=300)
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query["x-cos-security-token"] == [TOKEN]
    assert query["q-ak"] == [SECRET_ID]
    assert "x-cos-security-token" in query["q-url-param-list"][0].split(";")
    assert SECRET_KEY not in url

    async with aiohttp.ClientSession() as session:
        # a plain GET of the string, as a browser or curl would do it
        async with session.get(url) as resp:
            assert resp.status == 200, await resp.text()
            assert await resp.read() == b"presigned"
        async with session.get(URL(url, encoded=True)) as resp:
            assert resp.status == 200, await resp.text()
            assert await resp.read() == b"presigned"


async def test_presigned_put_with_a_token(
    sts_cos: AsyncCosClient, sts_server: LocalCosServer, sts_bucket: str
) -> None:
    url = await sts_cos.presign_url("PUT", sts_bucket, "up.txt", expires=300)
    async with aiohttp.ClientSession() as session, session.put(url, data=b"uploaded") as resp:
        assert resp.status == 200, await resp.text()
    assert await (await sts_cos.get_object(sts_bucket, "up.txt")).read() == b"uploaded"


async def test_presigned_url_without_the_token_is_refused(
    sts_cos: AsyncCosClient, sts_bucket: str
) -> None:
    await sts_cos.put_object(sts_bucket, "k", b"x")
    url = await sts_cos.presign_url("GET", sts_bucket, "k", expires=300)
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if not p.startswith("x-cos-security-token="))
    stripped = parts._replace(query=query).geturl()
    async with aiohttp.ClientSession() as session, session.get(stripped) as resp:
        assert resp.status == 403
        assert b"AccessDenied" in await resp.read()


async def test_client_without_the_token_is_denied(
    sts_server: LocalCosServer, sts_bucket: str
) -> None:
    async with AsyncCosClient(token_config(sts_server, token=None)) as cos:
        with pytest.raises(AccessDenied) as info:
            await cos.put_object(sts_bucket, "k", b"x")
    assert info.value.status == 403
    assert info.value.code == "AccessDenied"
    assert TOKEN not in str(info.value)
    assert sts_server.requests.count("PutObject") == 1


async def test_client_with_a_wrong_token_is_denied(
    sts_server: LocalCosServer, sts_bucket: str
) -> None:
    async with AsyncCosClient(token_config(sts_server, token="tok+en/y==")) as cos:
        with pytest.raises(InvalidAccessKeyId) as info:
            await cos.get_object(sts_bucket, "k")
    assert isinstance(info.value, AccessDenied)
    assert "tok+en" not in str(info.value)
    assert "tok+en" not in repr(info.value)


async def test_presigned_url_of_a_client_without_the_token_is_denied(
    sts_server: LocalCosServer, sts_bucket: str, sts_cos: AsyncCosClient
) -> None:
    await sts_cos.put_object(sts_bucket, "k", b"x")
    async with AsyncCosClient(token_config(sts_server, token=None)) as cos:
        url = await cos.presign_url("GET", sts_bucket, "k", expires=300)
    assert "x-cos-security-token" not in url
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 403
