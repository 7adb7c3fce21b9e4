"""POST Object (HTML form uploads) and CORS preflights (OPTIONS) on the local COS server."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from typing import Any

import aiohttp
import pytest

from cos_async import _signing
from cos_async._crc64 import crc64
from cos_async._xml import parse
from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp, Reply


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:500])
    assert reply.headers["x-cos-request-id"]
    doc = reply.xml()["Error"]
    assert doc["Code"] == code, doc
    assert doc["Message"]
    assert doc["RequestId"] == reply.headers["x-cos-request-id"]
    return doc


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def key_time(start_offset: int = -60, end_offset: int = 3600) -> str:
    now = int(time.time())
    return f"{now + start_offset};{now + end_offset}"


def make_policy(
    server: LocalCosServer,
    bucket: str,
    keytime: str,
    *,
    expiration: float | None = None,
    prefix: str = "uploads/",
    max_size: int = 1000,
) -> bytes:
    policy = {
        "expiration": iso(expiration if expiration is not None else time.time() + 3600),
        "conditions": [
            {"bucket": bucket},
            ["starts-with", "$key", prefix],
            ["content-length-range", 1, max_size],
            {"q-sign-algorithm": "sha1"},
            {"q-ak": server.secret_id},
            {"q-sign-time": keytime},
        ],
    }
    return json.dumps(policy).encode()


def make_form(
    server: LocalCosServer,
    bucket: str,
    key: str,
    content: bytes,
    *,
    policy: bytes | None = None,
    keytime: str | None = None,
    signature: str | None = None,
    filename: str = "local.txt",
    extra: dict[str, str] | None = None,
    signed: bool = True,
) -> aiohttp.FormData:
    keytime = keytime or key_time()
    form = aiohttp.FormData()
    form.add_field("key", key)
    if signed:
        policy = policy if policy is not None else make_policy(server, bucket, keytime)
        if signature is None:
            signature = _signing.post_policy_signature(
                secret_key=server.secret_key, key_time=keytime, policy=policy
            )
        form.add_field("policy", base64.b64encode(policy).decode())
        form.add_field("q-sign-algorithm", "sha1")
        form.add_field("q-ak", server.secret_id)
        form.add_field("q-key-time", keytime)
        form.add_field("q-signature", signature)
    form.add_field("Content-Type", "text/plain")
    form.add_field("x-cos-meta-a", "form value")
    for name, value in (extra or {}).items():
        form.add_field(name, value)
    form.add_field("file", content, filename=filename, content_type="application/octet-stream")
    return form


async def post_form(
    session: aiohttp.ClientSession, server: LocalCosServer, bucket: str, form: aiohttp.FormData
) -> Reply:
    async with session.post(f"{server.endpoint}/{bucket}", data=form) as resp:
        return Reply(resp.status, resp.headers, await resp.read())


# --- POST Object ------------------------------------------------------------------------------


async def test_post_object(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    content = b"uploaded through a form"
    form = make_form(server, bucket, "uploads/a.txt", content)
    reply = await post_form(session, server, bucket, form)
    assert reply.status == 204, reply.body
    assert reply.body == b""
    assert reply.headers["ETag"] == f'"{hashlib.md5(content).hexdigest()}"'
    assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(content))
    assert reply.headers["Location"].endswith(f"/{'uploads/a.txt'}")
    assert reply.headers["x-cos-request-id"]

    got = await http.request("GET", bucket, "uploads/a.txt")
    assert got.status == 200
    assert got.body == content
    assert got.headers["x-cos-meta-a"] == "form value"
    assert got.headers["Content-Type"] == "text/plain"
    assert got.headers["ETag"] == f'"{hashlib.md5(content).hexdigest()}"'


async def test_post_object_201(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    content = b"two oh one"
    form = make_form(
        server, bucket, "uploads/b.txt", content, extra={"success_action_status": "201"}
    )
    reply = await post_form(session, server, bucket, form)
    assert reply.status == 201, reply.body
    doc = parse(reply.body)["PostResponse"]
    assert doc["Key"] == "uploads/b.txt"
    assert doc["ETag"] == f'"{hashlib.md5(content).hexdigest()}"'
    assert doc["Location"].endswith("/uploads/b.txt")
    assert (await http.request("GET", bucket, "uploads/b.txt")).body == content


async def test_post_object_filename_substitution(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    form = make_form(server, bucket, "uploads/${filename}", b"photo", filename="cat.jpg")
    reply = await post_form(session, server, bucket, form)
    assert reply.status == 204, reply.body
    got = await http.request("GET", bucket, "uploads/cat.jpg")
    assert got.status == 200
    assert got.body == b"photo"
    assert (await http.request("HEAD", bucket, "uploads/${filename}")).status == 404


async def test_post_object_key_outside_prefix(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    form = make_form(server, bucket, "elsewhere/a.txt", b"nope")
    reply = await post_form(session, server, bucket, form)
    assert_error(reply, 403, "AccessDenied")
    assert (await http.request("HEAD", bucket, "elsewhere/a.txt")).status == 404


async def test_post_object_too_large(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    form = make_form(server, bucket, "uploads/big.bin", b"x" * 1001)
    reply = await post_form(session, server, bucket, form)
    assert_error(reply, 400, "EntityTooLarge")
    assert (await http.request("HEAD", bucket, "uploads/big.bin")).status == 404
    exact = make_form(server, bucket, "uploads/big.bin", b"x" * 1000)
    assert (await post_form(session, server, bucket, exact)).status == 204


async def test_post_object_expired_policy(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    keytime = key_time()
    policy = make_policy(server, bucket, keytime, expiration=time.time() - 60)
    form = make_form(server, bucket, "uploads/old.txt", b"late", policy=policy, keytime=keytime)
    reply = await post_form(session, server, bucket, form)
    assert_error(reply, 403, "AccessDenied")
    expired_key = key_time(-7200, -3600)
    form = make_form(server, bucket, "uploads/old.txt", b"late", keytime=expired_key)
    reply = await post_form(session, server, bucket, form)
    assert_error(reply, 403, "AccessDenied")
    assert (await http.request("HEAD", bucket, "uploads/old.txt")).status == 404


async def test_post_object_wrong_signature(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    form = make_form(server, bucket, "uploads/s.txt", b"sig", signature="0" * 40)
    assert_error(await post_form(session, server, bucket, form), 403, "SignatureDoesNotMatch")
    # Signed with another secret key.
    keytime = key_time()
    policy = make_policy(server, bucket, keytime)
    other = _signing.post_policy_signature(secret_key="wrong", key_time=keytime, policy=policy)
    form = make_form(
        server, bucket, "uploads/s.txt", b"sig", policy=policy, keytime=keytime, signature=other
    )
    assert_error(await post_form(session, server, bucket, form), 403, "SignatureDoesNotMatch")
    # A policy for another bucket, correctly signed.
    policy = make_policy(server, "other-1250000000", keytime)
    form = make_form(server, bucket, "uploads/s.txt", b"sig", policy=policy, keytime=keytime)
    assert_error(await post_form(session, server, bucket, form), 403, "AccessDenied")
    assert (await http.request("HEAD", bucket, "uploads/s.txt")).status == 404


async def test_post_object_unsigned(
    http: CosHttp, server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    form = make_form(server, bucket, "anon.txt", b"anon", signed=False)
    assert_error(await post_form(session, server, bucket, form), 403, "AccessDenied")
    assert (await http.request("HEAD", bucket, "anon.txt")).status == 404
    public = server.create_bucket(acl="public-read-write")
    form = make_form(server, public, "anon.txt", b"anon", signed=False)
    reply = await post_form(session, server, public, form)
    assert reply.status == 204, reply.body
    assert (await http.request("GET", public, "anon.txt")).body == b"anon"


async def test_post_object_without_file(
    server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("key", "uploads/x")
    form.add_field("other", b"data", filename="f")  # multipart, but no "file" part
    reply = await post_form(session, server, bucket, form)
    assert_error(reply, 400, "MalformedPOSTRequest")


# --- CORS preflight ---------------------------------------------------------------------------

CORS = (
    b"<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>"
    b"<AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-cos-*</AllowedHeader>"
    b"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>"
    b"</CORSConfiguration>"
)


async def preflight(http: CosHttp, bucket: str, headers: dict[str, str]) -> Reply:
    return await http.request("OPTIONS", bucket, "some/key", signed=False, unsigned_headers=headers)


GOOD = {
    "Origin": "https://a.example.com",
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "x-cos-meta-a",
}


async def test_preflight_without_cors(http: CosHttp, bucket: str) -> None:
    assert_error(await preflight(http, bucket, GOOD), 403, "AccessForbidden")


async def test_preflight_with_cors(http: CosHttp, bucket: str) -> None:
    reply = await http.request("PUT", bucket, params={"cors": None}, data=CORS)
    assert reply.status == 200, reply.body
    ok = await preflight(http, bucket, GOOD)
    assert ok.status == 200, ok.body
    assert ok.headers["Access-Control-Allow-Origin"] == "https://a.example.com"
    assert ok.headers["Access-Control-Allow-Methods"] == "PUT"
    assert ok.headers["Access-Control-Allow-Headers"].lower() == "x-cos-meta-a"
    assert ok.headers["Access-Control-Expose-Headers"] == "ETag"
    assert ok.headers["Access-Control-Max-Age"] == "600"
    assert ok.headers["x-cos-request-id"]

    no_headers = await preflight(
        http, bucket, {"Origin": "https://b.example.com", "Access-Control-Request-Method": "PUT"}
    )
    assert no_headers.status == 200
    on_bucket = await http.request("OPTIONS", bucket, signed=False, unsigned_headers=GOOD)
    assert on_bucket.status == 200


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"Origin": "https://evil.com"}, 403, "AccessForbidden"),
        ({"Origin": "http://a.example.com"}, 403, "AccessForbidden"),
        ({"Access-Control-Request-Method": "DELETE"}, 403, "AccessForbidden"),
        ({"Access-Control-Request-Headers": "authorization"}, 403, "AccessForbidden"),
        ({"Access-Control-Request-Headers": "x-cos-meta-a, content-md5"}, 403, "AccessForbidden"),
        ({"Origin": None}, 400, "InvalidArgument"),
        ({"Access-Control-Request-Method": None}, 400, "InvalidArgument"),
    ],
)
async def test_preflight_refused(
    http: CosHttp, bucket: str, change: dict[str, str | None], status: int, code: str
) -> None:
    assert (await http.request("PUT", bucket, params={"cors": None}, data=CORS)).status == 200
    headers = {**GOOD, **change}
    sent = {k: v for k, v in headers.items() if v is not None}
    assert_error(await preflight(http, bucket, sent), status, code)
