"""Hostile input (the "Reliability and security, round 2" campaign): numbers that are not ASCII
or are thousands of digits long, documents nested a hundred thousand levels deep, ... Each gets
the COS error a client expects (a 4xx it does not retry), never a 500."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import aiohttp
import pytest

from cos_async import _signing
from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp, Reply
from tests.server.test_bad_input import assert_error

HUGE = "9" * 5000  # int() refuses it (more than 4300 digits)
NOT_ASCII = ["²", "١٢", "1²", "１"]  # "²".isdigit() is True; int("١٢") == 12


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


async def initiate(http: CosHttp, bucket: str, key: str) -> str:
    reply = await http.request("POST", bucket, key, params={"uploads": None})
    assert reply.status == 200, reply.body
    return str(reply.xml()["InitiateMultipartUploadResult"]["UploadId"])


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE, "-1", "1e3", " "])
async def test_part_number(http: CosHttp, bucket: str, value: str) -> None:
    upload_id = await initiate(http, bucket, "mp")
    params = {"partNumber": value, "uploadId": upload_id}
    assert_error(
        await http.request("PUT", bucket, "mp", params=params, data=b"x"), 400, "InvalidArgument"
    )


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_part_number_before_authentication(http: CosHttp, bucket: str, value: str) -> None:
    # the request log reads partNumber before the signature is checked
    params = {"partNumber": value, "uploadId": "x"}
    reply = await http.request("PUT", bucket, "mp", params=params, data=b"x", signed=False)
    assert_error(reply, 403, "AccessDenied")


@pytest.mark.parametrize("name", ["max-keys", "max-uploads", "max-parts", "part-number-marker"])
@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_listing_numbers(http: CosHttp, bucket: str, name: str, value: str) -> None:
    if name in ("max-parts", "part-number-marker"):
        params: dict[str, str | None] = {"uploadId": await initiate(http, bucket, "mp")}
        key: str | None = "mp"
    else:
        params = {"uploads": None} if name == "max-uploads" else {}
        key = None
    params[name] = value
    assert_error(await http.request("GET", bucket, key, params=params), 400, "InvalidArgument")


async def test_listing_numbers_that_are_numbers(http: CosHttp, bucket: str) -> None:
    reply = await http.request("GET", bucket, params={"max-keys": "9" * 19})
    assert reply.status == 200
    assert reply.xml()["ListBucketResult"]["MaxKeys"] == "1000"


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_append_position(http: CosHttp, bucket: str, value: str) -> None:
    params = {"append": None, "position": value}
    assert_error(
        await http.request("POST", bucket, "a", params=params, data=b"x"), 400, "InvalidArgument"
    )


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_traffic_limit(http: CosHttp, bucket: str, value: str) -> None:
    reply = await http.request(
        "PUT", bucket, "k", headers={"x-cos-traffic-limit": value}, data=b"x"
    )
    assert_error(reply, 400, "InvalidArgument")
    reply = await http.request("GET", bucket, "k", params={"x-cos-traffic-limit": value})
    assert_error(reply, 400, "InvalidArgument")


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_complete_part_number(http: CosHttp, bucket: str, value: str) -> None:
    upload_id = await initiate(http, bucket, "mp")
    doc = f"<CompleteMultipartUpload><Part><PartNumber>{value}</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"
    reply = await http.request(
        "POST", bucket, "mp", params={"uploadId": upload_id}, data=doc.encode()
    )
    assert_error(reply, 400, "MalformedXML")


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE, "0", "9" * 18])
async def test_restore_days(http: CosHttp, bucket: str, value: str) -> None:
    headers = {"x-cos-storage-class": "ARCHIVE"}
    assert (await http.request("PUT", bucket, "cold", headers=headers, data=b"x")).status == 200
    doc = f"<RestoreRequest><Days>{value}</Days></RestoreRequest>".encode()
    reply = await http.request("POST", bucket, "cold", params={"restore": None}, data=doc)
    assert_error(reply, 400, "InvalidArgument")
    assert (await http.request("HEAD", bucket, "cold")).status == 200


@pytest.mark.parametrize(
    ("value", "status", "content_range"),
    [
        (f"bytes={HUGE}-", 416, "bytes */10"),
        (f"bytes=0-{HUGE}", 206, "bytes 0-9/10"),
        (f"bytes=-{HUGE}", 206, "bytes 0-9/10"),
        ("bytes=" + "9" * 30 + "-" + HUGE, 416, "bytes */10"),
        ("bytes=²-", 200, None),  # not a byte range: the header is ignored, as COS does
        ("bytes=-١", 200, None),
    ],
)
async def test_range_numbers(
    http: CosHttp, bucket: str, value: str, status: int, content_range: str | None
) -> None:
    assert (await http.request("PUT", bucket, "k", data=b"0123456789")).status == 200
    reply = await http.request("GET", bucket, "k", headers={"Range": value})
    assert reply.status == status, reply.body[:300]
    assert reply.headers.get("Content-Range") == content_range
    if status == 416:
        assert_error(reply, 416, "InvalidRange")


@pytest.mark.parametrize("value", [f"bytes=0-{HUGE}", "bytes=0-²", f"bytes={HUGE}-1"])
async def test_copy_source_range_numbers(http: CosHttp, bucket: str, value: str) -> None:
    assert (await http.request("PUT", bucket, "src", data=b"0123456789")).status == 200
    upload_id = await initiate(http, bucket, "mp")
    headers = {"x-cos-copy-source": f"/{bucket}/src", "x-cos-copy-source-range": value}
    params = {"partNumber": "1", "uploadId": upload_id}
    reply = await http.request("PUT", bucket, "mp", params=params, headers=headers)
    assert_error(reply, 400, "InvalidArgument")


async def test_suffix_range_of_an_empty_object(http: CosHttp, bucket: str) -> None:
    assert (await http.request("PUT", bucket, "empty", data=b"")).status == 200
    reply = await http.request("GET", bucket, "empty", headers={"Range": "bytes=-5"})
    assert_error(reply, 416, "InvalidRange")
    assert reply.headers["Content-Range"] == "bytes */0"


# --- JSON documents -----------------------------------------------------------------------------

DEEP_JSON = ("[" * 100_000 + "]" * 100_000).encode()


@pytest.mark.parametrize(
    "body",
    [
        DEEP_JSON,
        json.dumps(
            {"Statement": [{"Effect": "Allow", "x": json.loads("[" * 40 + "]" * 40)}]}
        ).encode(),
        b'{"Statement": [{"Effect": "Allow", "n": ' + HUGE.encode() + b"}]}",
    ],
    ids=["100k-deep", "40-deep", "5000-digits"],
)
async def test_bucket_policy_bounds(http: CosHttp, bucket: str, body: bytes) -> None:
    reply = await http.request("PUT", bucket, params={"policy": None}, data=body)
    assert_error(reply, 400, "MalformedPolicy")


async def test_post_policy_bounds(
    server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    now = int(time.time())
    keytime = f"{now - 60};{now + 600}"
    deep = ("[" * 20_000 + "]" * 20_000).encode()  # within the 64 KiB of a form field
    infinite = b'{"expiration": "2099-01-01T00:00:00Z", "conditions": '
    infinite += b'[["content-length-range", 0, Infinity]]}'
    for policy_json in (deep, infinite):
        form = aiohttp.FormData()
        form.add_field("key", "k")
        form.add_field("policy", base64.b64encode(policy_json).decode())
        form.add_field("q-sign-algorithm", "sha1")
        form.add_field("q-ak", server.secret_id)
        form.add_field("q-key-time", keytime)
        signature = _signing.post_policy_signature(
            secret_key=server.secret_key, key_time=keytime, policy=policy_json
        )
        form.add_field("q-signature", signature)
        form.add_field("file", b"data", filename="f")
        async with session.post(f"{server.endpoint}/{bucket}", data=form) as resp:
            reply = Reply(resp.status, resp.headers, await resp.read())
        assert_error(reply, 400, "InvalidPolicyDocument")


async def test_post_form_key_time(
    server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    for keytime in ("²;³", f"1;{HUGE}", "1;2;3"):
        form = aiohttp.FormData()
        form.add_field("key", "k")
        form.add_field("policy", base64.b64encode(b'{"conditions": []}').decode())
        form.add_field("q-ak", server.secret_id)
        form.add_field("q-key-time", keytime)
        form.add_field("q-signature", "0" * 40)
        form.add_field("file", b"data", filename="f")
        async with session.post(f"{server.endpoint}/{bucket}", data=form) as resp:
            reply = Reply(resp.status, resp.headers, await resp.read())
        assert_error(reply, 403, "AccessDenied")


async def test_control_endpoint_bounds(
    server: LocalCosServer, session: aiohttp.ClientSession
) -> None:
    base = f"{server.endpoint}/_cos_testing"
    for url, method, body in (
        (f"{base}/faults/²", "DELETE", None),
        (f"{base}/faults/{HUGE}", "DELETE", None),
        (f"{base}/faults", "POST", DEEP_JSON),
        (f"{base}/buckets", "POST", DEEP_JSON),
        (f"{base}/faults", "POST", b"x" * 100_000),
    ):
        async with session.request(method, url, data=body) as resp:
            assert resp.status == 400, (url, await resp.text())
            assert "error" in await resp.json()
