"""Object operations of the local COS server, over raw signed HTTP (no SDK).

Every expected checksum is computed here independently (hashlib, ``cos_async._crc64.crc64``).
"""

from __future__ import annotations

import base64
import email.utils
import gzip
import hashlib
import io
import random
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
import pytest

from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp, Reply

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"


# --- helpers ----------------------------------------------------------------------------------


def etag_of(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def payload(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


def assert_error(reply: Reply, status: int, code: str) -> dict[str, str]:
    """The reply is a COS ``<Error>`` with ``status``/``code``; returns the Error fields."""
    assert reply.status == status, (reply.status, reply.body[:500])
    rid = reply.headers["x-cos-request-id"]
    assert rid
    doc = reply.xml()["Error"]
    assert doc["Code"] == code, doc
    assert doc["Message"]
    assert doc["RequestId"] == rid
    return doc


async def put(
    http: CosHttp, bucket: str, key: str, data: bytes, headers: dict[str, str] | None = None
) -> Reply:
    body: bytes | io.BytesIO = data
    if len(data) > 1024 * 1024:  # aiohttp warns about large raw bytes bodies
        headers = {**(headers or {}), "Content-Length": str(len(data))}
        body = io.BytesIO(data)
    reply = await http.request("PUT", bucket, key, data=body, headers=headers)
    assert reply.status == 200, reply.body
    return reply


async def enable_versioning(http: CosHttp, bucket: str, status: str = "Enabled") -> None:
    body = (
        f"<VersioningConfiguration><Status>{status}</Status></VersioningConfiguration>"
    ).encode()
    reply = await http.request("PUT", bucket, params={"versioning": None}, data=body)
    assert reply.status == 200, reply.body


def copy_source(server: LocalCosServer, bucket: str, key: str) -> str:
    return f"{bucket}.cos.{server.region}.myqcloud.com/{quote(key.encode(), safe='/')}"


def sse_c_headers(key: bytes, prefix: str = "x-cos-server-side-encryption-customer-") -> dict:
    return {
        prefix + "algorithm": "AES256",
        prefix + "key": base64.b64encode(key).decode(),
        prefix + "key-MD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


# --- put / get / head / delete ----------------------------------------------------------------


async def test_put_get_head_delete_with_metadata_and_content_headers(
    http: CosHttp, bucket: str
) -> None:
    plain = b"hello metadata " * 20
    data = gzip.compress(plain, mtime=0)
    headers = {
        "x-cos-meta-author": "张三 Ünïcode",
        "x-cos-meta-plain": "value",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": 'attachment; filename="r.txt"',
        "Content-Encoding": "gzip",
        "Content-Language": "zh-CN",
        "Cache-Control": "max-age=3600",
        "Expires": "Wed, 21 Oct 2037 07:28:00 GMT",
    }
    reply = await put(http, bucket, "doc/report.txt", data, headers)
    assert reply.headers["ETag"] == etag_of(data)
    assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(data))
    assert reply.headers["x-cos-request-id"]
    assert "x-cos-version-id" not in reply.headers  # versioning never enabled

    for method in ("GET", "HEAD"):
        got = await http.request(method, bucket, "doc/report.txt")
        assert got.status == 200
        h = got.headers
        assert h["x-cos-request-id"]
        assert h["ETag"] == etag_of(data)
        assert h["x-cos-hash-crc64ecma"] == str(crc64(data))
        assert h["Content-Length"] == str(len(data))
        assert h["x-cos-meta-author"] == "张三 Ünïcode"
        assert h["x-cos-meta-plain"] == "value"
        for name in (
            "Content-Type",
            "Content-Disposition",
            "Content-Encoding",
            "Content-Language",
            "Cache-Control",
            "Expires",
        ):
            assert h[name] == headers[name], name
        assert "x-cos-storage-class" not in h  # STANDARD is not announced
        assert "x-cos-object-type" not in h
        assert email.utils.parsedate_to_datetime(h["Last-Modified"]) is not None
        if method == "GET":
            assert got.body == plain  # aiohttp undid the gzip Content-Encoding
        else:
            assert got.body == b""

    deleted = await http.request("DELETE", bucket, "doc/report.txt")
    assert deleted.status == 204
    assert deleted.headers["x-cos-request-id"]
    assert deleted.body == b""
    assert_error(await http.request("GET", bucket, "doc/report.txt"), 404, "NoSuchKey")


async def test_virtual_hosted_addressing(vhttp: CosHttp, http: CosHttp, bucket: str) -> None:
    key = "虚拟/host key+1.txt"
    reply = await vhttp.request("PUT", bucket, key, data=b"vhost", headers={"x-cos-meta-a": "1"})
    assert reply.status == 200, reply.body
    got = await vhttp.request("GET", bucket, key)
    assert got.body == b"vhost"
    assert got.headers["x-cos-meta-a"] == "1"
    # The same object, path-style.
    assert (await http.request("GET", bucket, key)).body == b"vhost"
    listing = await vhttp.request("GET", bucket, params={"prefix": "虚拟/"})
    assert [c["Key"] for c in listing.xml()["ListBucketResult"]["Contents"]] == [key]


async def test_default_content_type_and_empty_object(http: CosHttp, bucket: str) -> None:
    reply = await put(http, bucket, "empty", b"")
    assert reply.headers["ETag"] == etag_of(b"")
    assert reply.headers["x-cos-hash-crc64ecma"] == "0"
    got = await http.request("GET", bucket, "empty")
    assert got.status == 200
    assert got.body == b""
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Length"] == "0"


async def test_storage_class_header(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "std", b"x", {"x-cos-storage-class": "STANDARD"})
    await put(http, bucket, "ia", b"y", {"x-cos-storage-class": "STANDARD_IA"})
    std = await http.request("HEAD", bucket, "std")
    ia = await http.request("HEAD", bucket, "ia")
    assert "x-cos-storage-class" not in std.headers
    assert ia.headers["x-cos-storage-class"] == "STANDARD_IA"
    got = await http.request("GET", bucket, "ia")
    assert got.headers["x-cos-storage-class"] == "STANDARD_IA"
    assert got.body == b"y"


async def test_acl_headers_on_put(http: CosHttp, bucket: str, server: LocalCosServer) -> None:
    await put(
        http,
        bucket,
        "acl-obj",
        b"data",
        {"x-cos-acl": "private", "x-cos-grant-read": 'id="100000000002"'},
    )
    acl = await http.request("GET", bucket, "acl-obj", params={"acl": None})
    assert acl.status == 200
    assert acl.headers["x-cos-acl"] == "private"
    grants = acl.xml()["AccessControlPolicy"]["AccessControlList"]["Grant"]
    pairs = [(g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"]) for g in grants]
    assert pairs == [
        (OWNER, "FULL_CONTROL"),
        ("qcs::cam::uin/100000000002:uin/100000000002", "READ"),
    ]
    # A public-read object in a private bucket is readable anonymously; a default one is not.
    await put(http, bucket, "public", b"pub", {"x-cos-acl": "public-read"})
    await put(http, bucket, "default", b"def")
    anon = await http.request("GET", bucket, "public", signed=False)
    assert anon.status == 200
    assert anon.body == b"pub"
    assert_error(await http.request("GET", bucket, "default", signed=False), 403, "AccessDenied")


async def test_tagging_header_and_get_tagging(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "tagged", b"t", {"x-cos-tagging": "project=alpha&team=a%20b&empty="})
    head = await http.request("HEAD", bucket, "tagged")
    assert head.headers["x-cos-tagging-count"] == "3"
    tagging = await http.request("GET", bucket, "tagged", params={"tagging": None})
    assert tagging.status == 200
    tags = tagging.xml()["Tagging"]["TagSet"]["Tag"]
    assert {t["Key"]: t["Value"] or "" for t in tags} == {
        "project": "alpha",
        "team": "a b",
        "empty": "",
    }
    untagged = await put(http, bucket, "untagged", b"u")
    assert "x-cos-tagging-count" not in untagged.headers
    assert "x-cos-tagging-count" not in (await http.request("HEAD", bucket, "untagged")).headers


async def test_sse_cos_is_echoed(http: CosHttp, bucket: str) -> None:
    reply = await put(http, bucket, "enc", b"secret", {"x-cos-server-side-encryption": "AES256"})
    assert reply.headers["x-cos-server-side-encryption"] == "AES256"
    for method in ("GET", "HEAD"):
        got = await http.request(method, bucket, "enc")
        assert got.status == 200
        assert got.headers["x-cos-server-side-encryption"] == "AES256"
    plain = await http.request("HEAD", bucket, "enc-none")
    assert plain.status == 404
    await put(http, bucket, "enc-none", b"x")
    plain = await http.request("HEAD", bucket, "enc-none")
    assert "x-cos-server-side-encryption" not in plain.headers
    bad = await http.request(
        "PUT", bucket, "enc-bad", data=b"x", headers={"x-cos-server-side-encryption": "DES"}
    )
    assert_error(bad, 400, "InvalidArgument")


async def test_sse_customer_key(http: CosHttp, bucket: str) -> None:
    key = bytes(range(32))
    other = bytes(range(1, 33))
    reply = await put(http, bucket, "ssec", b"customer data", sse_c_headers(key))
    assert reply.headers["x-cos-server-side-encryption-customer-algorithm"] == "AES256"
    assert (
        reply.headers["x-cos-server-side-encryption-customer-key-MD5"]
        == base64.b64encode(hashlib.md5(key).digest()).decode()
    )
    # Without the key: refused; with another key: 403; with the key: the content.
    assert_error(await http.request("GET", bucket, "ssec"), 400, "InvalidRequest")
    head = await http.request("HEAD", bucket, "ssec")
    assert head.status == 400
    assert head.body == b""
    assert_error(
        await http.request("GET", bucket, "ssec", headers=sse_c_headers(other)), 403, "AccessDenied"
    )
    head = await http.request("HEAD", bucket, "ssec", headers=sse_c_headers(other))
    assert head.status == 403
    got = await http.request("GET", bucket, "ssec", headers=sse_c_headers(key))
    assert got.status == 200
    assert got.body == b"customer data"
    head = await http.request("HEAD", bucket, "ssec", headers=sse_c_headers(key))
    assert head.status == 200
    assert head.headers["x-cos-server-side-encryption-customer-algorithm"] == "AES256"
    # A key that is not 32 bytes is rejected at upload.
    short = await http.request("PUT", bucket, "ssec2", data=b"x", headers=sse_c_headers(b"k" * 16))
    assert_error(short, 400, "InvalidArgument")


async def test_content_md5(http: CosHttp, bucket: str) -> None:
    data = b"checked body"
    ok = await http.request("PUT", bucket, "md5", data=data, headers={"Content-MD5": b64md5(data)})
    assert ok.status == 200
    assert ok.headers["ETag"] == etag_of(data)
    wrong = await http.request(
        "PUT", bucket, "md5-wrong", data=data, headers={"Content-MD5": b64md5(b"other")}
    )
    assert_error(wrong, 400, "BadDigest")
    not_b64 = await http.request(
        "PUT", bucket, "md5-bad", data=data, headers={"Content-MD5": "not base64!!"}
    )
    assert_error(not_b64, 400, "InvalidDigest")
    # Neither failed upload left an object behind.
    assert (await http.request("HEAD", bucket, "md5-wrong")).status == 404
    assert (await http.request("HEAD", bucket, "md5-bad")).status == 404


@pytest.mark.parametrize(
    ("limit", "status"),
    [("819199", 400), ("819200", 200), ("838860800", 200), ("838860801", 400), ("abc", 400)],
)
async def test_traffic_limit(http: CosHttp, bucket: str, limit: str, status: int) -> None:
    reply = await http.request(
        "PUT", bucket, "limited", data=b"x", headers={"x-cos-traffic-limit": limit}
    )
    if status == 200:
        assert reply.status == 200
        got = await http.request("GET", bucket, "limited", headers={"x-cos-traffic-limit": limit})
        assert got.status == 200
        assert got.body == b"x"
    else:
        assert_error(reply, 400, "InvalidArgument")


async def test_request_id_on_every_response(http: CosHttp, bucket: str) -> None:
    replies = [
        await http.request("PUT", bucket, "k", data=b"v"),
        await http.request("GET", bucket, "k"),
        await http.request("HEAD", bucket, "k"),
        await http.request("GET", bucket),
        await http.request("HEAD", bucket),
        await http.request("GET", bucket, "missing"),
        await http.request("HEAD", bucket, "missing"),
        await http.request("DELETE", bucket, "k"),
        await http.request("GET", None),
    ]
    ids = [r.headers.get("x-cos-request-id") for r in replies]
    assert all(ids), ids
    assert len(set(ids)) == len(ids)


async def test_head_missing_has_no_body(http: CosHttp, bucket: str) -> None:
    reply = await http.request("HEAD", bucket, "nothing-here")
    assert reply.status == 404
    assert reply.body == b""
    assert reply.headers["x-cos-request-id"]


async def test_delete_missing_key_is_204(http: CosHttp, bucket: str) -> None:
    reply = await http.request("DELETE", bucket, "never-existed")
    assert reply.status == 204
    assert reply.body == b""


# --- ranges and conditions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "body", "content_range"),
    [
        ("bytes=0-0", b"0", "bytes 0-0/10"),
        ("bytes=5-", b"56789", "bytes 5-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=2-4", b"234", "bytes 2-4/10"),
        ("bytes=8-100", b"89", "bytes 8-9/10"),
    ],
)
async def test_range(
    http: CosHttp, bucket: str, spec: str, body: bytes, content_range: str
) -> None:
    await put(http, bucket, "digits", b"0123456789")
    got = await http.request("GET", bucket, "digits", headers={"Range": spec})
    assert got.status == 206
    assert got.body == body
    assert got.headers["Content-Range"] == content_range
    assert got.headers["Content-Length"] == str(len(body))
    # The whole-object CRC64 is still announced (it describes the object, not the range).
    assert got.headers["x-cos-hash-crc64ecma"] == str(crc64(b"0123456789"))


@pytest.mark.parametrize("spec", ["bytes=10-", "bytes=10-20", "bytes=100-200"])
async def test_range_beyond_size(http: CosHttp, bucket: str, spec: str) -> None:
    await put(http, bucket, "digits", b"0123456789")
    got = await http.request("GET", bucket, "digits", headers={"Range": spec})
    assert_error(got, 416, "InvalidRange")
    assert got.headers["Content-Range"] == "bytes */10"


async def test_conditional_get(http: CosHttp, bucket: str) -> None:
    data = b"conditional"
    await put(http, bucket, "cond", data)
    etag = etag_of(data)
    future = email.utils.formatdate(2_000_000_000, usegmt=True)
    past = email.utils.formatdate(1_000_000_000, usegmt=True)

    match = await http.request("GET", bucket, "cond", headers={"If-Match": etag})
    assert match.status == 200
    assert match.body == data
    assert_error(
        await http.request("GET", bucket, "cond", headers={"If-Match": '"0000"'}),
        412,
        "PreconditionFailed",
    )

    not_modified = await http.request("GET", bucket, "cond", headers={"If-None-Match": etag})
    assert not_modified.status == 304
    assert not_modified.body == b""
    assert not_modified.headers["ETag"] == etag
    other = await http.request("GET", bucket, "cond", headers={"If-None-Match": '"0000"'})
    assert other.status == 200
    assert other.body == data

    since_future = await http.request("GET", bucket, "cond", headers={"If-Modified-Since": future})
    assert since_future.status == 304
    assert since_future.body == b""
    since_past = await http.request("GET", bucket, "cond", headers={"If-Modified-Since": past})
    assert since_past.status == 200

    assert_error(
        await http.request("GET", bucket, "cond", headers={"If-Unmodified-Since": past}),
        412,
        "PreconditionFailed",
    )
    unmod_future = await http.request(
        "GET", bucket, "cond", headers={"If-Unmodified-Since": future}
    )
    assert unmod_future.status == 200

    head = await http.request("HEAD", bucket, "cond", headers={"If-None-Match": etag})
    assert head.status == 304
    head = await http.request("HEAD", bucket, "cond", headers={"If-Match": '"0000"'})
    assert head.status == 412


async def test_response_overrides(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "over", b"o", {"Content-Type": "application/json"})
    got = await http.request(
        "GET",
        bucket,
        "over",
        params={
            "response-content-type": "text/csv",
            "response-content-disposition": 'attachment; filename="a b.csv"',
            "response-cache-control": "no-cache",
        },
    )
    assert got.status == 200
    assert got.headers["Content-Type"] == "text/csv"
    assert got.headers["Content-Disposition"] == 'attachment; filename="a b.csv"'
    assert got.headers["Cache-Control"] == "no-cache"
    plain = await http.request("GET", bucket, "over")
    assert plain.headers["Content-Type"] == "application/json"
    assert "Content-Disposition" not in plain.headers


# --- bodies: chunked, larger, streamed --------------------------------------------------------


async def test_chunked_upload(http: CosHttp, bucket: str) -> None:
    pieces = [bytes([i]) * (1000 + i) for i in range(7)]

    async def body() -> AsyncIterator[bytes]:
        for p in pieces:
            yield p

    whole = b"".join(pieces)
    reply = await http.request("PUT", bucket, "chunked", data=body())
    assert reply.status == 200, reply.body
    assert reply.headers["ETag"] == etag_of(whole)
    assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(whole))
    got = await http.request("GET", bucket, "chunked")
    assert got.body == whole


async def test_three_mib_plus_seven_round_trip(http: CosHttp, bucket: str) -> None:
    data = payload(3 * 1024 * 1024 + 7, seed=3)
    reply = await put(http, bucket, "big", data)
    assert reply.headers["ETag"] == etag_of(data)
    got = await http.request("GET", bucket, "big")
    assert got.status == 200
    assert len(got.body) == len(data)
    assert hashlib.sha256(got.body).digest() == hashlib.sha256(data).digest()
    assert got.headers["x-cos-hash-crc64ecma"] == str(crc64(data))
    tail = await http.request("GET", bucket, "big", headers={"Range": "bytes=1048570-2097160"})
    assert tail.status == 206
    assert tail.body == data[1048570:2097161]


async def test_large_object_streams(
    http: CosHttp, bucket: str, session: aiohttp.ClientSession
) -> None:
    size = 64 * 1024 * 1024
    block = payload(1024 * 1024, seed=64)
    data = b"".join(bytes([i]) + block[1:] for i in range(64))
    assert len(data) == size
    await put(http, bucket, "huge", data)
    want = hashlib.md5(data).hexdigest()
    del data

    auth = http.sign("GET", bucket, "huge")
    headers = {"Host": http.host_for(bucket), "Authorization": auth.to_header()}
    digest = hashlib.md5()
    total = 0
    chunks = 0
    async with session.get(http.url(bucket, "huge", {}), headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Length"] == str(size)
        async for chunk in resp.content.iter_chunked(1 << 20):
            digest.update(chunk)
            total += len(chunk)
            chunks += 1
    assert total == size
    assert chunks >= 64
    assert digest.hexdigest() == want


# --- versions ---------------------------------------------------------------------------------


async def test_versioning_lifecycle(http: CosHttp, bucket: str) -> None:
    await enable_versioning(http, bucket)
    one = await put(http, bucket, "v", b"one")
    two = await put(http, bucket, "v", b"two")
    v1, v2 = one.headers["x-cos-version-id"], two.headers["x-cos-version-id"]
    assert v1 != v2
    assert "null" not in (v1, v2)

    for vid, body in ((v1, b"one"), (v2, b"two")):
        got = await http.request("GET", bucket, "v", params={"versionId": vid})
        assert got.status == 200
        assert got.body == body
        assert got.headers["x-cos-version-id"] == vid
    current = await http.request("GET", bucket, "v")
    assert current.body == b"two"
    assert current.headers["x-cos-version-id"] == v2

    deleted = await http.request("DELETE", bucket, "v")
    assert deleted.status == 204
    assert deleted.headers["x-cos-delete-marker"] == "true"
    marker = deleted.headers["x-cos-version-id"]
    assert marker not in (v1, v2, "null")

    gone = await http.request("GET", bucket, "v")
    assert_error(gone, 404, "NoSuchKey")
    assert gone.headers["x-cos-delete-marker"] == "true"
    assert (await http.request("HEAD", bucket, "v")).status == 404
    old = await http.request("GET", bucket, "v", params={"versionId": v1})
    assert old.status == 200
    assert old.body == b"one"

    # A delete marker has no content: GET/HEAD of it by version id is not allowed.
    on_marker = await http.request("GET", bucket, "v", params={"versionId": marker})
    assert_error(on_marker, 405, "MethodNotAllowed")
    assert on_marker.headers["x-cos-delete-marker"] == "true"
    head_marker = await http.request("HEAD", bucket, "v", params={"versionId": marker})
    assert head_marker.status == 405

    undo = await http.request("DELETE", bucket, "v", params={"versionId": marker})
    assert undo.status == 204
    assert undo.headers["x-cos-version-id"] == marker
    assert undo.headers["x-cos-delete-marker"] == "true"
    restored = await http.request("GET", bucket, "v")
    assert restored.status == 200
    assert restored.body == b"two"

    # Deleting one version for good.
    drop = await http.request("DELETE", bucket, "v", params={"versionId": v1})
    assert drop.status == 204
    assert drop.headers["x-cos-version-id"] == v1
    assert "x-cos-delete-marker" not in drop.headers
    assert_error(
        await http.request("GET", bucket, "v", params={"versionId": v1}), 404, "NoSuchVersion"
    )


async def test_versioning_suspended_uses_null(http: CosHttp, bucket: str) -> None:
    await enable_versioning(http, bucket)
    kept = (await put(http, bucket, "s", b"kept")).headers["x-cos-version-id"]
    await enable_versioning(http, bucket, "Suspended")
    three = await put(http, bucket, "s", b"three")
    assert three.headers["x-cos-version-id"] == "null"
    four = await put(http, bucket, "s", b"four")
    assert four.headers["x-cos-version-id"] == "null"
    null = await http.request("GET", bucket, "s", params={"versionId": "null"})
    assert null.body == b"four"
    old = await http.request("GET", bucket, "s", params={"versionId": kept})
    assert old.body == b"kept"
    listing = await http.request("GET", bucket, params={"versions": None})
    versions = listing.xml()["ListVersionsResult"]["Version"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [
        ("null", "true"),
        (kept, "false"),
    ]
    # A delete under suspension writes a "null" delete marker.
    deleted = await http.request("DELETE", bucket, "s")
    assert deleted.headers["x-cos-delete-marker"] == "true"
    assert deleted.headers["x-cos-version-id"] == "null"
    assert (await http.request("GET", bucket, "s")).status == 404
    old = await http.request("GET", bucket, "s", params={"versionId": kept})
    assert old.body == b"kept"


# --- copy -------------------------------------------------------------------------------------


async def test_copy_virtual_hosted_source_with_unicode_key(
    http: CosHttp, bucket: str, server: LocalCosServer
) -> None:
    key = "源 目录/文件 1+%.txt"
    data = b"copy me" * 100
    src = await put(http, bucket, key, data, {"x-cos-meta-a": "1", "Content-Type": "text/plain"})
    reply = await http.request(
        "PUT",
        bucket,
        "dest/copied",
        headers={"x-cos-copy-source": copy_source(server, bucket, key)},
    )
    assert reply.status == 200, reply.body
    result = reply.xml()["CopyObjectResult"]
    assert result["ETag"] == etag_of(data) == src.headers["ETag"]
    assert result["CRC64"] == str(crc64(data))
    assert result["LastModified"].endswith("Z")
    assert "VersionId" not in result
    got = await http.request("GET", bucket, "dest/copied")
    assert got.body == data
    assert got.headers["x-cos-meta-a"] == "1"  # metadata directive Copy is the default
    assert got.headers["Content-Type"] == "text/plain"


async def test_copy_path_style_source_and_across_buckets(
    http: CosHttp, bucket: str, server: LocalCosServer
) -> None:
    other = server.create_bucket()
    key = "路径/a b.bin"
    data = payload(5000, seed=5)
    await put(http, bucket, key, data)
    reply = await http.request(
        "PUT",
        other,
        "copy-of",
        headers={"x-cos-copy-source": f"/{bucket}/{quote(key.encode(), safe='/')}"},
    )
    assert reply.status == 200, reply.body
    assert reply.xml()["CopyObjectResult"]["ETag"] == etag_of(data)
    got = await http.request("GET", other, "copy-of")
    assert got.body == data
    # The copy shares no state with its source: deleting the source keeps the copy.
    await http.request("DELETE", bucket, key)
    again = await http.request("GET", other, "copy-of")
    assert again.body == data


async def test_copy_metadata_directive(http: CosHttp, bucket: str, server: LocalCosServer) -> None:
    await put(
        http,
        bucket,
        "src",
        b"meta",
        {"x-cos-meta-old": "o", "Content-Type": "text/plain", "Cache-Control": "no-store"},
    )
    source = copy_source(server, bucket, "src")
    copied = await http.request(
        "PUT",
        bucket,
        "same-meta",
        headers={"x-cos-copy-source": source, "x-cos-meta-new": "ignored"},
    )
    assert copied.status == 200
    h = (await http.request("HEAD", bucket, "same-meta")).headers
    assert h["x-cos-meta-old"] == "o"
    assert "x-cos-meta-new" not in h
    assert h["Cache-Control"] == "no-store"

    replaced = await http.request(
        "PUT",
        bucket,
        "new-meta",
        headers={
            "x-cos-copy-source": source,
            "x-cos-metadata-directive": "Replaced",
            "x-cos-meta-new": "n",
            "Content-Type": "image/png",
        },
    )
    assert replaced.status == 200
    h = (await http.request("HEAD", bucket, "new-meta")).headers
    assert h["x-cos-meta-new"] == "n"
    assert "x-cos-meta-old" not in h
    assert "Cache-Control" not in h
    assert h["Content-Type"] == "image/png"

    bad = await http.request(
        "PUT",
        bucket,
        "x",
        headers={"x-cos-copy-source": source, "x-cos-metadata-directive": "Sometimes"},
    )
    assert_error(bad, 400, "InvalidArgument")


async def test_copy_to_itself(http: CosHttp, bucket: str, server: LocalCosServer) -> None:
    await put(http, bucket, "self", b"me", {"x-cos-meta-a": "1"})
    source = copy_source(server, bucket, "self")
    refused = await http.request("PUT", bucket, "self", headers={"x-cos-copy-source": source})
    assert_error(refused, 400, "InvalidRequest")
    ok = await http.request(
        "PUT",
        bucket,
        "self",
        headers={
            "x-cos-copy-source": source,
            "x-cos-metadata-directive": "Replaced",
            "x-cos-meta-a": "2",
        },
    )
    assert ok.status == 200
    got = await http.request("GET", bucket, "self")
    assert got.body == b"me"
    assert got.headers["x-cos-meta-a"] == "2"
    # Changing only the storage class is a legal self-copy too.
    ia = await http.request(
        "PUT",
        bucket,
        "self",
        headers={"x-cos-copy-source": source, "x-cos-storage-class": "STANDARD_IA"},
    )
    assert ia.status == 200
    head = await http.request("HEAD", bucket, "self")
    assert head.headers["x-cos-storage-class"] == "STANDARD_IA"


async def test_copy_without_storage_class_lands_in_standard(
    http: CosHttp, bucket: str, server: LocalCosServer
) -> None:
    """A copy takes ``x-cos-storage-class`` from its own request, STANDARD by default, not the
    source's class (seeds/003 L164893-L164895: copy_object ``StorageClass`` "STANDARD (default)")."""
    await put(http, bucket, "ia", b"infrequent", {"x-cos-storage-class": "STANDARD_IA"})
    source = copy_source(server, bucket, "ia")
    copied = await http.request("PUT", bucket, "copy", headers={"x-cos-copy-source": source})
    assert copied.status == 200, copied.body
    head = await http.request("HEAD", bucket, "copy")
    assert head.status == 200
    assert "x-cos-storage-class" not in head.headers  # STANDARD is not announced
    listing = (await http.request("GET", bucket, params={"prefix": "copy"})).xml()
    assert listing["ListBucketResult"]["Contents"][0]["StorageClass"] == "STANDARD"
    # ...and a copy that names a class gets it.
    archived = await http.request(
        "PUT",
        bucket,
        "copy-ia",
        headers={"x-cos-copy-source": source, "x-cos-storage-class": "STANDARD_IA"},
    )
    assert archived.status == 200
    head = await http.request("HEAD", bucket, "copy-ia")
    assert head.headers["x-cos-storage-class"] == "STANDARD_IA"


async def test_copy_source_conditions(http: CosHttp, bucket: str, server: LocalCosServer) -> None:
    await put(http, bucket, "cs", b"cond")
    source = copy_source(server, bucket, "cs")
    mismatch = await http.request(
        "PUT",
        bucket,
        "cd",
        headers={"x-cos-copy-source": source, "x-cos-copy-source-If-Match": '"deadbeef"'},
    )
    assert_error(mismatch, 412, "PreconditionFailed")
    assert (await http.request("HEAD", bucket, "cd")).status == 404
    match = await http.request(
        "PUT",
        bucket,
        "cd",
        headers={"x-cos-copy-source": source, "x-cos-copy-source-If-Match": etag_of(b"cond")},
    )
    assert match.status == 200
    none_match = await http.request(
        "PUT",
        bucket,
        "cd2",
        headers={"x-cos-copy-source": source, "x-cos-copy-source-If-None-Match": etag_of(b"cond")},
    )
    assert_error(none_match, 412, "PreconditionFailed")


async def test_copy_missing_source(http: CosHttp, bucket: str, server: LocalCosServer) -> None:
    reply = await http.request(
        "PUT", bucket, "d", headers={"x-cos-copy-source": copy_source(server, bucket, "nope")}
    )
    assert_error(reply, 404, "NoSuchKey")
    reply = await http.request(
        "PUT", bucket, "d", headers={"x-cos-copy-source": "/nosuch-1250000000/k"}
    )
    assert_error(reply, 404, "NoSuchBucket")


async def test_copy_in_versioned_bucket(http: CosHttp, bucket: str, server: LocalCosServer) -> None:
    await enable_versioning(http, bucket)
    first = (await put(http, bucket, "vs", b"first")).headers["x-cos-version-id"]
    await put(http, bucket, "vs", b"second")
    reply = await http.request(
        "PUT",
        bucket,
        "vd",
        headers={"x-cos-copy-source": copy_source(server, bucket, "vs") + f"?versionId={first}"},
    )
    assert reply.status == 200, reply.body
    result = reply.xml()["CopyObjectResult"]
    assert result["ETag"] == etag_of(b"first")
    assert result["VersionId"] == reply.headers["x-cos-version-id"]
    assert reply.headers["x-cos-copy-source-version-id"] == first
    assert (await http.request("GET", bucket, "vd")).body == b"first"


# --- append -----------------------------------------------------------------------------------


async def test_append(http: CosHttp, bucket: str) -> None:
    a, b, c = b"first-", b"second-", payload(300_000, seed=9)
    r1 = await http.request("POST", bucket, "app", params={"append": None, "position": "0"}, data=a)
    assert r1.status == 200, r1.body
    assert r1.headers["x-cos-next-append-position"] == str(len(a))
    assert r1.headers["x-cos-hash-crc64ecma"] == str(crc64(a))
    r2 = await http.request(
        "POST", bucket, "app", params={"append": None, "position": str(len(a))}, data=b
    )
    assert r2.status == 200, r2.body
    assert r2.headers["x-cos-next-append-position"] == str(len(a + b))
    r3 = await http.request(
        "POST", bucket, "app", params={"append": None, "position": str(len(a + b))}, data=c
    )
    assert r3.status == 200
    whole = a + b + c
    assert r3.headers["x-cos-hash-crc64ecma"] == str(crc64(whole))
    assert r3.headers["ETag"] == etag_of(whole)

    wrong = await http.request(
        "POST", bucket, "app", params={"append": None, "position": "3"}, data=b"x"
    )
    assert_error(wrong, 409, "PositionNotEqualToLength")
    assert wrong.headers["x-cos-next-append-position"] == str(len(whole))

    head = await http.request("HEAD", bucket, "app")
    assert head.headers["x-cos-object-type"] == "appendable"
    assert head.headers["x-cos-hash-crc64ecma"] == str(crc64(whole))
    assert head.headers["Content-Length"] == str(len(whole))
    assert head.headers["x-cos-next-append-position"] == str(len(whole))
    got = await http.request("GET", bucket, "app")
    assert got.body == whole


async def test_append_to_normal_object(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "normal", b"abc")
    reply = await http.request(
        "POST", bucket, "normal", params={"append": None, "position": "3"}, data=b"d"
    )
    assert_error(reply, 409, "ObjectNotAppendable")
    assert (await http.request("GET", bucket, "normal")).body == b"abc"
    first = await http.request(
        "POST", bucket, "fresh", params={"append": None, "position": "5"}, data=b"x"
    )
    assert_error(first, 409, "PositionNotEqualToLength")
    assert first.headers["x-cos-next-append-position"] == "0"
    bad = await http.request(
        "POST", bucket, "fresh", params={"append": None, "position": "-1"}, data=b"x"
    )
    assert_error(bad, 400, "InvalidArgument")


# --- restore ----------------------------------------------------------------------------------

RESTORE = (
    b"<RestoreRequest><Days>1</Days><CASJobParameters><Tier>{tier}</Tier>"
    b"</CASJobParameters></RestoreRequest>"
)


def restore_body(tier: str = "Standard") -> bytes:
    return RESTORE.replace(b"{tier}", tier.encode())


async def test_restore_archive(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "cold", b"frozen", {"x-cos-storage-class": "ARCHIVE"})
    head = await http.request("HEAD", bucket, "cold")
    assert head.status == 200
    assert head.headers["x-cos-storage-class"] == "ARCHIVE"
    assert "x-cos-restore" not in head.headers
    assert_error(await http.request("GET", bucket, "cold"), 403, "InvalidObjectState")

    reply = await http.request(
        "POST", bucket, "cold", params={"restore": None}, data=restore_body()
    )
    assert reply.status == 202, reply.body
    got = await http.request("GET", bucket, "cold")
    assert got.status == 200
    assert got.body == b"frozen"
    head = await http.request("HEAD", bucket, "cold")
    assert head.headers["x-cos-restore"].startswith('ongoing-request="false"')
    assert "expiry-date=" in head.headers["x-cos-restore"]
    # Restoring a restored copy again extends it: 200.
    again = await http.request(
        "POST", bucket, "cold", params={"restore": None}, data=restore_body()
    )
    assert again.status == 200


async def test_restore_tiers_and_classes(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "deep", b"d", {"x-cos-storage-class": "DEEP_ARCHIVE"})
    expedited = await http.request(
        "POST", bucket, "deep", params={"restore": None}, data=restore_body("Expedited")
    )
    assert_error(expedited, 400, "InvalidArgument")
    bulk = await http.request(
        "POST", bucket, "deep", params={"restore": None}, data=restore_body("Bulk")
    )
    assert bulk.status == 202

    await put(http, bucket, "warm", b"w")
    standard = await http.request(
        "POST", bucket, "warm", params={"restore": None}, data=restore_body()
    )
    assert_error(standard, 403, "InvalidObjectState")

    zero = await http.request(
        "POST",
        bucket,
        "deep",
        params={"restore": None},
        data=b"<RestoreRequest><Days>0</Days></RestoreRequest>",
    )
    assert_error(zero, 400, "InvalidArgument")
    missing = await http.request(
        "POST", bucket, "absent", params={"restore": None}, data=restore_body()
    )
    assert_error(missing, 404, "NoSuchKey")


# --- object ACL and tagging -------------------------------------------------------------------


async def test_object_acl_put_get(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "a", b"acl")
    default = await http.request("GET", bucket, "a", params={"acl": None})
    assert default.status == 200
    assert default.headers["x-cos-acl"] == "default"
    doc = default.xml()["AccessControlPolicy"]
    assert doc["Owner"]["ID"] == OWNER

    by_header = await http.request(
        "PUT", bucket, "a", params={"acl": None}, headers={"x-cos-acl": "public-read"}
    )
    assert by_header.status == 200
    got = await http.request("GET", bucket, "a", params={"acl": None})
    assert got.headers["x-cos-acl"] == "public-read"
    grants = got.xml()["AccessControlPolicy"]["AccessControlList"]["Grant"]
    assert [(g["Grantee"].get("ID") or g["Grantee"]["URI"], g["Permission"]) for g in grants] == [
        (OWNER, "FULL_CONTROL"),
        (ALL_USERS, "READ"),
    ]
    assert (await http.request("GET", bucket, "a", signed=False)).status == 200

    body = (
        "<AccessControlPolicy><Owner><ID>qcs::cam::uin/100000000001:uin/100000000001</ID></Owner>"
        "<AccessControlList>"
        '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:type="CanonicalUser"><ID>qcs::cam::uin/100000000001:uin/100000000003</ID></Grantee>'
        "<Permission>WRITE_ACP</Permission></Grant>"
        '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">'
        f"<URI>{ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>"
    ).encode()
    by_body = await http.request("PUT", bucket, "a", params={"acl": None}, data=body)
    assert by_body.status == 200, by_body.body
    got = await http.request("GET", bucket, "a", params={"acl": None})
    grants = got.xml()["AccessControlPolicy"]["AccessControlList"]["Grant"]
    assert [
        (g["Grantee"]["@type"], g["Grantee"].get("ID") or g["Grantee"]["URI"], g["Permission"])
        for g in grants
    ] == [
        ("CanonicalUser", "qcs::cam::uin/100000000001:uin/100000000003", "WRITE_ACP"),
        ("Group", ALL_USERS, "READ"),
    ]
    bad_perm = body.replace(b"WRITE_ACP", b"EVERYTHING")
    assert_error(
        await http.request("PUT", bucket, "a", params={"acl": None}, data=bad_perm),
        400,
        "MalformedACLError",
    )
    bad_canned = await http.request(
        "PUT", bucket, "a", params={"acl": None}, headers={"x-cos-acl": "world-writable"}
    )
    assert_error(bad_canned, 400, "InvalidArgument")
    assert_error(
        await http.request("GET", bucket, "missing", params={"acl": None}), 404, "NoSuchKey"
    )


def tagging_body(tags: dict[str, str]) -> bytes:
    inner = "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in tags.items())
    return f"<Tagging><TagSet>{inner}</TagSet></Tagging>".encode()


async def test_object_tagging_put_get_delete(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "t", b"tags")
    empty = await http.request("GET", bucket, "t", params={"tagging": None})
    assert empty.status == 200
    assert not empty.xml()["Tagging"].get("TagSet")

    tags = {"env": "prod", "team": "a b:c/d", "k.1": "v=1"}
    reply = await http.request(
        "PUT", bucket, "t", params={"tagging": None}, data=tagging_body(tags)
    )
    assert reply.status == 200, reply.body
    got = await http.request("GET", bucket, "t", params={"tagging": None})
    assert {t["Key"]: t["Value"] for t in got.xml()["Tagging"]["TagSet"]["Tag"]} == tags
    head = await http.request("HEAD", bucket, "t")
    assert head.headers["x-cos-tagging-count"] == "3"

    deleted = await http.request("DELETE", bucket, "t", params={"tagging": None})
    assert deleted.status == 204
    got = await http.request("GET", bucket, "t", params={"tagging": None})
    assert not got.xml()["Tagging"].get("TagSet")
    assert "x-cos-tagging-count" not in (await http.request("HEAD", bucket, "t")).headers
    # The object itself is untouched.
    assert (await http.request("GET", bucket, "t")).body == b"tags"


@pytest.mark.parametrize(
    "tags",
    [
        {f"k{i}": "v" for i in range(11)},
        {"k" * 129: "v"},
        {"k": "v" * 257},
        {"bad*key": "v"},
        {"k": "bad#value"},
        {"": "v"},
    ],
    ids=["11-tags", "key-129", "value-257", "bad-key-char", "bad-value-char", "empty-key"],
)
async def test_object_tagging_validation(http: CosHttp, bucket: str, tags: dict[str, str]) -> None:
    await put(http, bucket, "t", b"x")
    reply = await http.request(
        "PUT", bucket, "t", params={"tagging": None}, data=tagging_body(tags)
    )
    if "" in tags:
        assert reply.status == 400
        assert reply.code in ("InvalidTag", "MalformedXML")
    else:
        assert_error(reply, 400, "InvalidTag")
    got = await http.request("GET", bucket, "t", params={"tagging": None})
    assert not got.xml()["Tagging"].get("TagSet")


async def test_object_tagging_limits_ok(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "t", b"x")
    tags = {f"k{i}": "v" for i in range(10)}
    tags["k" * 128] = "v" * 256
    del tags["k9"]
    reply = await http.request(
        "PUT", bucket, "t", params={"tagging": None}, data=tagging_body(tags)
    )
    assert reply.status == 200, reply.body
    got = await http.request("GET", bucket, "t", params={"tagging": None})
    assert {t["Key"]: t["Value"] for t in got.xml()["Tagging"]["TagSet"]["Tag"]} == tags


async def test_tagging_header_validation(http: CosHttp, bucket: str) -> None:
    too_many = "&".join(f"k{i}=v" for i in range(11))
    reply = await http.request("PUT", bucket, "t", data=b"x", headers={"x-cos-tagging": too_many})
    assert_error(reply, 400, "InvalidTag")
    assert (await http.request("HEAD", bucket, "t")).status == 404
