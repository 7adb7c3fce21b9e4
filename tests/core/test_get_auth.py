"""``get_auth`` and presigned URLs for browsers and mobile apps (issue 19, item 3): the signer,
public, checked against the official SDK's ``get_auth`` and used against the local server;
presigned URLs without ``Host`` in the signature and at bucket level."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import aiohttp
import pytest
from qcloud_cos import CosConfig as OfficialConfig
from qcloud_cos import CosS3Client

from cos_async import (
    AsyncCosClient,
    CosConfig,
    InvalidArgument,
    SignedAuthorization,
)
from cos_async.testing import LocalCosServer, ServerCredential

NOW = 1_760_000_000
SECRET_ID = "AKIDexampleexampleexampleexample"
SECRET_KEY = "exampleSecretKeyexampleSecretKey"
BUCKET = "examplebucket-1250000000"


@pytest.fixture
def official() -> Iterator[CosS3Client]:
    """The official SDK, offline (it only signs), its clock fixed at NOW."""
    client = CosS3Client(
        OfficialConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY)
    )
    with mock.patch("qcloud_cos.cos_auth.time.time", return_value=NOW):
        yield client


@pytest.fixture
async def offline() -> AsyncCosClient:
    return AsyncCosClient(
        CosConfig(region="ap-guangzhou", secret_id=SECRET_ID, secret_key=SECRET_KEY)
    )


CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"Method": "GET", "Key": "test.txt"}, {"method": "GET", "key": "test.txt"}),
    (
        {"Method": "PUT", "Key": "dir/ü x.txt", "Expired": 600},
        {"method": "PUT", "key": "dir/ü x.txt", "expires": 600},
    ),
    (
        {
            "Method": "PUT",
            "Key": "a.txt",
            "Headers": {"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-cos-traffic-limit": "819200"},
            "Params": {"acl": ""},
        },
        {
            "method": "PUT",
            "key": "a.txt",
            "headers": {"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-cos-traffic-limit": "819200"},
            "params": {"acl": ""},
        },
    ),
    ({"Method": "GET", "Key": "/"}, {"method": "GET", "key": None}),
    (
        {"Method": "GET", "Key": "k", "SignHost": False},
        {"method": "GET", "key": "k", "sign_host": False},
    ),
]


@pytest.mark.parametrize(("theirs", "ours"), CASES)
async def test_the_official_sdks_get_auth_agrees(
    official: CosS3Client, offline: AsyncCosClient, theirs: dict[str, Any], ours: dict[str, Any]
) -> None:
    expected = official.get_auth(Bucket=BUCKET, **theirs)
    got = await offline.get_auth(bucket=BUCKET, now=NOW, **ours)
    assert isinstance(got, SignedAuthorization)
    assert str(got) == expected
    assert got.as_headers() == {"Authorization": expected}
    assert "q-signature" not in repr(got)


async def _send(server: LocalCosServer, method: str, path: str, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, server.endpoint + path, headers=headers) as resp,
    ):
        await resp.read()
        return resp.status


async def test_an_authorization_made_for_someone_else_is_accepted(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient
) -> None:
    await cos.put_object(bucket, "k", b"data")
    host = f"127.0.0.1:{server.port}"
    auth = await cos.get_auth("GET", bucket, "k")
    assert auth.host == host
    assert await _send(server, "GET", f"/{bucket}/k", auth.as_headers()) == 200
    # bound to its method, key and host
    assert await _send(server, "DELETE", f"/{bucket}/k", auth.as_headers()) == 403
    assert await _send(server, "GET", f"/{bucket}/other", auth.as_headers()) == 403
    bucket_level = await cos.get_auth("GET", bucket)
    assert await _send(server, "GET", f"/{bucket}/", bucket_level.as_headers()) == 200
    hostless = await cos.get_auth("GET", bucket, "k", sign_host=False)
    assert hostless.host is None
    assert await _send(server, "GET", f"/{bucket}/k", hostless.as_headers()) == 200
    bound = await cos.get_auth("PUT", bucket, "k2", headers={"x-cos-meta-who": "app"})
    ok = {**bound.as_headers(), "x-cos-meta-who": "app"}
    assert await _send(server, "PUT", f"/{bucket}/k2", ok) == 200
    forged = {**bound.as_headers(), "x-cos-meta-who": "someone else"}
    assert await _send(server, "PUT", f"/{bucket}/k2", forged) == 403


async def test_temporary_credentials_carry_their_token() -> None:
    token = "tok+en/x=="
    async with LocalCosServer(
        credentials=[ServerCredential(SECRET_ID, SECRET_KEY, token=token)]
    ) as server:
        bucket = server.create_bucket()
        config = CosConfig(
            region=server.region,
            endpoint_url=server.endpoint,
            secret_id=SECRET_ID,
            secret_key=SECRET_KEY,
            token=token,
        )
        async with AsyncCosClient(config) as temp:
            auth = await temp.get_auth("GET", bucket)
            assert auth.security_token == token
            assert auth.as_headers()["x-cos-security-token"] == token
            assert "x-cos-security-token" in str(auth).split("q-header-list=")[1].split("&")[0]
            assert await _send(server, "GET", f"/{bucket}/", auth.as_headers()) == 200
            without = {"Authorization": str(auth)}
            assert await _send(server, "GET", f"/{bucket}/", without) == 403


async def test_presigned_urls_at_bucket_level_and_without_host(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient
) -> None:
    await cos.put_object(bucket, "k", b"data")
    async with aiohttp.ClientSession() as session:
        url = await cos.presign_url("GET", bucket)
        async with session.get(url) as resp:
            assert resp.status == 200
            assert b"<Key>k</Key>" in await resp.read()
        url = await cos.presign_url("GET", bucket, "k", sign_host=False)
        assert "host" not in url.split("q-header-list=")[1].split("&")[0]
        # the same server under another name (as behind a CDN or proxy)
        other = {"Host": f"localhost:{server.port}"}
        async with session.get(url, headers=other) as resp:
            assert resp.status == 200
            assert await resp.read() == b"data"
        url = await cos.presign_url("GET", bucket, "k")
        async with session.get(url, headers=other) as resp:
            assert resp.status == 403  # the host is signed


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"method": "PATCH"}, "method must be one of"),
        ({"key": "/k"}, "must not start with '/'"),
        ({"expires": 0}, "expires"),
        ({"sign_host": "no"}, "sign_host"),
        ({"headers": {"Host": "x"}}, "Host header is made by the signer"),
        ({"headers": {"x-a": "b\nc"}}, "control character"),
    ],
)
async def test_bad_input(offline: AsyncCosClient, kwargs: dict[str, Any], named: str) -> None:
    call: dict[str, Any] = {"method": "GET", "bucket": BUCKET, "key": "k", **kwargs}
    with pytest.raises(InvalidArgument, match=named):
        await offline.get_auth(**call)
    with pytest.raises(InvalidArgument, match=named):
        await offline.presign_url(**call)
