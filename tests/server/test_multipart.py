"""Multipart uploads of the local COS server: initiate, parts, copy parts, list, complete, abort."""

from __future__ import annotations

import hashlib
import io
import random
from typing import Any
from urllib.parse import quote

import pytest

from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp, Reply

MIB = 1024 * 1024


def etag_of(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def multipart_etag(parts: list[bytes]) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def payload(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def scalar(value: Any) -> Any:
    """``Bucket`` is a repeated element for the parser (ListBuckets), so it comes as a list."""
    if isinstance(value, list):
        assert len(value) == 1, value
        return value[0]
    return value


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:500])
    doc = reply.xml()["Error"]
    assert doc["Code"] == code, doc
    assert doc["Message"]
    assert doc["RequestId"] == reply.headers["x-cos-request-id"]
    return doc


def complete_xml(parts: list[tuple[int, str]]) -> bytes:
    inner = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in parts
    )
    return f"<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode()


async def initiate(
    http: CosHttp, bucket: str, key: str, headers: dict[str, str] | None = None
) -> str:
    reply = await http.request("POST", bucket, key, params={"uploads": None}, headers=headers)
    assert reply.status == 200, reply.body
    doc = reply.xml()["InitiateMultipartUploadResult"]
    assert scalar(doc["Bucket"]) == bucket
    assert doc["Key"] == key
    return str(doc["UploadId"])


async def upload_part(
    http: CosHttp, bucket: str, key: str, upload_id: str, number: int, data: bytes
) -> Reply:
    headers: dict[str, str] = {}
    body: bytes | io.BytesIO = data
    if len(data) > MIB:  # aiohttp warns about raw bytes bodies above 1 MiB
        headers["Content-Length"] = str(len(data))
        body = io.BytesIO(data)
    return await http.request(
        "PUT",
        bucket,
        key,
        params={"partNumber": str(number), "uploadId": upload_id},
        headers=headers,
        data=body,
    )


async def complete(
    http: CosHttp, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
) -> Reply:
    return await http.request(
        "POST", bucket, key, params={"uploadId": upload_id}, data=complete_xml(parts)
    )


# --- the happy path ---------------------------------------------------------------------------


async def test_multipart_upload_complete(http: CosHttp, bucket: str) -> None:
    key = "mp/目录 object+1.bin"
    parts = [payload(MIB, 1), payload(MIB + 5, 2), payload(1234, 3)]
    upload_id = await initiate(
        http,
        bucket,
        key,
        {
            "x-cos-meta-author": "多段",
            "Content-Type": "video/mp4",
            "Cache-Control": "no-cache",
            "x-cos-storage-class": "STANDARD_IA",
            "x-cos-acl": "public-read",
            "x-cos-tagging": "a=1&b=2",
        },
    )
    listed: list[tuple[int, str]] = []
    for n, data in enumerate(parts, start=1):
        reply = await upload_part(http, bucket, key, upload_id, n, data)
        assert reply.status == 200, reply.body
        assert reply.headers["ETag"] == etag_of(data)
        assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(data))
        listed.append((n, reply.headers["ETag"]))

    reply = await complete(http, bucket, key, upload_id, listed)
    assert reply.status == 200, reply.body
    assert reply.body[:1].isspace()  # COS keeps the connection alive with whitespace first
    whole = b"".join(parts)
    assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(whole))
    result = reply.xml()["CompleteMultipartUploadResult"]
    assert scalar(result["Bucket"]) == bucket
    assert result["Key"] == key
    assert result["Location"] == f"{bucket}.cos.ap-guangzhou.myqcloud.com/{key}"
    assert result["ETag"] == multipart_etag(parts)

    got = await http.request("GET", bucket, key)
    assert got.status == 200
    assert hashlib.sha256(got.body).digest() == hashlib.sha256(whole).digest()
    h = got.headers
    assert h["ETag"] == multipart_etag(parts)
    assert h["x-cos-hash-crc64ecma"] == str(crc64(whole))
    assert h["Content-Length"] == str(len(whole))
    assert h["x-cos-meta-author"] == "多段"
    assert h["Content-Type"] == "video/mp4"
    assert h["Cache-Control"] == "no-cache"
    assert h["x-cos-storage-class"] == "STANDARD_IA"
    assert h["x-cos-tagging-count"] == "2"
    acl = await http.request("GET", bucket, key, params={"acl": None})
    assert acl.headers["x-cos-acl"] == "public-read"
    anon = await http.request("GET", bucket, key, signed=False)
    assert anon.status == 200

    # A range across a part boundary.
    ranged = await http.request("GET", bucket, key, headers={"Range": f"bytes={MIB - 3}-{MIB + 2}"})
    assert ranged.status == 206
    assert ranged.body == whole[MIB - 3 : MIB + 3]

    # The upload is gone once completed.
    gone = await http.request("GET", bucket, key, params={"uploadId": upload_id})
    assert_error(gone, 404, "NoSuchUpload")


async def test_single_small_part_and_unquoted_etags(http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "one")
    reply = await upload_part(http, bucket, "one", upload_id, 1, b"tiny")
    assert reply.status == 200
    done = await complete(http, bucket, "one", upload_id, [(1, hashlib.md5(b"tiny").hexdigest())])
    assert done.status == 200, done.body
    assert done.xml()["CompleteMultipartUploadResult"]["ETag"] == multipart_etag([b"tiny"])
    assert (await http.request("GET", bucket, "one")).body == b"tiny"


async def test_overwrite_part(http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "ow")
    old = await upload_part(http, bucket, "ow", upload_id, 1, b"old part")
    new = await upload_part(http, bucket, "ow", upload_id, 1, b"new part!")
    assert new.headers["ETag"] == etag_of(b"new part!")
    listing = await http.request("GET", bucket, "ow", params={"uploadId": upload_id})
    part_list = listing.xml()["ListPartsResult"]["Part"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in part_list] == [
        ("1", etag_of(b"new part!"), "9")
    ]
    stale = await complete(http, bucket, "ow", upload_id, [(1, old.headers["ETag"])])
    assert_error(stale, 400, "InvalidPart")
    ok = await complete(http, bucket, "ow", upload_id, [(1, new.headers["ETag"])])
    assert ok.status == 200
    assert (await http.request("GET", bucket, "ow")).body == b"new part!"


@pytest.mark.parametrize("number", ["0", "10001", "-1", "abc", ""])
async def test_part_number_out_of_range(http: CosHttp, bucket: str, number: str) -> None:
    upload_id = await initiate(http, bucket, "pn")
    reply = await http.request(
        "PUT", bucket, "pn", params={"partNumber": number, "uploadId": upload_id}, data=b"x"
    )
    assert_error(reply, 400, "InvalidArgument")
    listing = await http.request("GET", bucket, "pn", params={"uploadId": upload_id})
    assert "Part" not in listing.xml()["ListPartsResult"]


async def test_part_number_limits_ok(http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "pn")
    for n in (1, 10000):
        reply = await upload_part(http, bucket, "pn", upload_id, n, b"p")
        assert reply.status == 200, reply.body


async def test_unknown_upload_id(http: CosHttp, bucket: str) -> None:
    await initiate(http, bucket, "k")
    fake = "1700000000000" + "0" * 32
    assert_error(await upload_part(http, bucket, "k", fake, 1, b"x"), 404, "NoSuchUpload")
    assert_error(
        await http.request("GET", bucket, "k", params={"uploadId": fake}), 404, "NoSuchUpload"
    )
    assert_error(await complete(http, bucket, "k", fake, [(1, '"x"')]), 404, "NoSuchUpload")
    assert_error(
        await http.request("DELETE", bucket, "k", params={"uploadId": fake}), 404, "NoSuchUpload"
    )


async def test_upload_id_of_another_key(http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "first")
    reply = await upload_part(http, bucket, "second", upload_id, 1, b"x")
    assert_error(reply, 404, "NoSuchUpload")


# --- list parts -------------------------------------------------------------------------------


async def test_list_parts_paging(http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "lp", {"x-cos-storage-class": "STANDARD_IA"})
    datas = {n: f"part-{n}".encode() * n for n in (1, 2, 3, 5, 8)}
    for n, data in datas.items():
        assert (await upload_part(http, bucket, "lp", upload_id, n, data)).status == 200

    seen: list[tuple[int, str, int, str]] = []
    marker = "0"
    for _ in range(10):
        reply = await http.request(
            "GET",
            bucket,
            "lp",
            params={"uploadId": upload_id, "max-parts": "2", "part-number-marker": marker},
        )
        assert reply.status == 200, reply.body
        doc = reply.xml()["ListPartsResult"]
        assert doc["UploadId"] == upload_id
        assert doc["Key"] == "lp"
        assert scalar(doc["Bucket"]) == bucket
        assert doc["MaxParts"] == "2"
        assert doc["PartNumberMarker"] == marker
        assert doc["StorageClass"] == "STANDARD_IA"
        page = doc.get("Part") or []
        assert len(page) <= 2
        seen += [(int(p["PartNumber"]), p["ETag"], int(p["Size"]), p["CRC64"]) for p in page]
        if doc["IsTruncated"] == "false":
            break
        assert doc["NextPartNumberMarker"] == page[-1]["PartNumber"]
        marker = doc["NextPartNumberMarker"]
    else:
        pytest.fail("part listing did not end")
    assert seen == [(n, etag_of(d), len(d), str(crc64(d))) for n, d in datas.items()]

    all_parts = await http.request("GET", bucket, "lp", params={"uploadId": upload_id})
    doc = all_parts.xml()["ListPartsResult"]
    assert doc["IsTruncated"] == "false"
    assert [p["PartNumber"] for p in doc["Part"]] == ["1", "2", "3", "5", "8"]
    bad = await http.request(
        "GET", bucket, "lp", params={"uploadId": upload_id, "part-number-marker": "x"}
    )
    assert_error(bad, 400, "InvalidArgument")


# --- complete: failures -----------------------------------------------------------------------


async def test_complete_failures(http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "cf")
    big1, big2, small, last = payload(MIB, 11), payload(MIB, 12), b"small", b"end"
    etags: dict[int, str] = {}
    for n, data in ((1, big1), (2, big2), (3, small), (4, last)):
        reply = await upload_part(http, bucket, "cf", upload_id, n, data)
        etags[n] = reply.headers["ETag"]

    out_of_order = await complete(http, bucket, "cf", upload_id, [(2, etags[2]), (1, etags[1])])
    assert_error(out_of_order, 400, "InvalidPartOrder")
    duplicate = await complete(http, bucket, "cf", upload_id, [(1, etags[1]), (1, etags[1])])
    assert_error(duplicate, 400, "InvalidPartOrder")
    gap = await complete(http, bucket, "cf", upload_id, [(1, etags[1]), (3, etags[3])])
    assert_error(gap, 400, "InvalidPart")
    wrong_etag = await complete(http, bucket, "cf", upload_id, [(1, etags[2]), (2, etags[2])])
    assert_error(wrong_etag, 400, "InvalidPart")
    missing = await complete(http, bucket, "cf", upload_id, [(4, etags[4]), (5, etags[4])])
    assert_error(missing, 400, "InvalidPart")
    too_small = await complete(
        http,
        bucket,
        "cf",
        upload_id,
        [(1, etags[1]), (2, etags[2]), (3, etags[3]), (4, etags[4])],
    )
    assert_error(too_small, 400, "EntityTooSmall")
    empty = await http.request(
        "POST",
        bucket,
        "cf",
        params={"uploadId": upload_id},
        data=b"<CompleteMultipartUpload></CompleteMultipartUpload>",
    )
    assert_error(empty, 400, "MalformedXML")
    # None of the failures consumed the upload; a good list still completes.
    ok = await complete(
        http, bucket, "cf", upload_id, [(1, etags[1]), (2, etags[2]), (3, etags[3])]
    )
    assert ok.status == 200, ok.body
    assert ok.xml()["CompleteMultipartUploadResult"]["ETag"] == multipart_etag([big1, big2, small])
    got = await http.request("GET", bucket, "cf")
    assert got.body == big1 + big2 + small


@pytest.mark.parametrize(
    "body",
    [
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
        b"not xml at all",
        b"",
        b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part>"
        b"</CompleteMultipartUpload>",
        b"<Other><Part><PartNumber>1</PartNumber></Part></Other>",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol2;</ETag></Part>"
        b"</CompleteMultipartUpload>",
        b'<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&ext;</ETag></Part>"
        b"</CompleteMultipartUpload>",
    ],
    ids=["truncated", "text", "empty", "nan-part", "wrong-root", "entity-bomb", "external-entity"],
)
async def test_complete_malformed_xml(http: CosHttp, bucket: str, body: bytes) -> None:
    upload_id = await initiate(http, bucket, "mx")
    await upload_part(http, bucket, "mx", upload_id, 1, b"data")
    reply = await http.request("POST", bucket, "mx", params={"uploadId": upload_id}, data=body)
    doc = assert_error(reply, 400, "MalformedXML")
    assert "lol" not in doc["Message"]
    assert "root:" not in doc["Message"]
    # The upload survives a bad request.
    listing = await http.request("GET", bucket, "mx", params={"uploadId": upload_id})
    assert listing.status == 200


# --- upload part copy -------------------------------------------------------------------------


async def test_upload_part_copy(http: CosHttp, bucket: str, server: LocalCosServer) -> None:
    source_key = "源/source.bin"
    source = payload(2 * MIB + 100, 21)
    src_body = io.BytesIO(source)
    put = await http.request(
        "PUT",
        bucket,
        source_key,
        data=src_body,
        headers={"Content-Length": str(len(source))},
    )
    assert put.status == 200
    copy_source = f"{bucket}.cos.{server.region}.myqcloud.com/{quote(source_key.encode())}"
    upload_id = await initiate(http, bucket, "assembled")

    first = await http.request(
        "PUT",
        bucket,
        "assembled",
        params={"partNumber": "1", "uploadId": upload_id},
        headers={"x-cos-copy-source": copy_source, "x-cos-copy-source-range": f"bytes=0-{MIB - 1}"},
    )
    assert first.status == 200, first.body
    piece1 = source[:MIB]
    result = first.xml()["CopyPartResult"]
    assert result["ETag"] == etag_of(piece1)
    assert result["CRC64"] == str(crc64(piece1))
    assert result["LastModified"].endswith("Z")
    assert first.headers["x-cos-hash-crc64ecma"] == str(crc64(piece1))

    second = await http.request(
        "PUT",
        bucket,
        "assembled",
        params={"partNumber": "2", "uploadId": upload_id},
        headers={"x-cos-copy-source": copy_source},
    )
    assert second.status == 200, second.body
    assert second.xml()["CopyPartResult"]["ETag"] == etag_of(source)

    third = await upload_part(http, bucket, "assembled", upload_id, 3, b"tail")
    for bad_range in (
        f"bytes=0-{len(source)}",
        f"bytes={len(source)}-{len(source) + 5}",
        "bytes=10-5",
        "bytes=abc",
        "bytes=5-",
    ):
        bad = await http.request(
            "PUT",
            bucket,
            "assembled",
            params={"partNumber": "4", "uploadId": upload_id},
            headers={"x-cos-copy-source": copy_source, "x-cos-copy-source-range": bad_range},
        )
        assert_error(bad, 400, "InvalidArgument")

    parts = [(1, etag_of(piece1)), (2, etag_of(source)), (3, third.headers["ETag"])]
    done = await complete(http, bucket, "assembled", upload_id, parts)
    assert done.status == 200, done.body
    whole = piece1 + source + b"tail"
    assert done.xml()["CompleteMultipartUploadResult"]["ETag"] == multipart_etag(
        [piece1, source, b"tail"]
    )
    assert done.headers["x-cos-hash-crc64ecma"] == str(crc64(whole))
    got = await http.request("GET", bucket, "assembled")
    assert hashlib.md5(got.body).digest() == hashlib.md5(whole).digest()

    missing = await http.request(
        "PUT",
        bucket,
        "assembled2",
        params={"partNumber": "1", "uploadId": upload_id},
        headers={"x-cos-copy-source": copy_source},
    )
    assert_error(missing, 404, "NoSuchUpload")


# --- abort ------------------------------------------------------------------------------------


async def test_multipart_copy_without_storage_class_lands_in_standard(
    http: CosHttp, bucket: str, server: LocalCosServer
) -> None:
    """An upload initiated for a copy (parts by Upload Part - Copy) without
    ``x-cos-storage-class`` is STANDARD, whatever the source's class (seeds/003 L88713: the
    destination of Java's TransferManager.copy is "STANDARD (default)")."""
    source = payload(1000, 31)
    put = await http.request(
        "PUT", bucket, "ia-source", data=source, headers={"x-cos-storage-class": "STANDARD_IA"}
    )
    assert put.status == 200
    upload_id = await initiate(http, bucket, "assembled")
    part = await http.request(
        "PUT",
        bucket,
        "assembled",
        params={"partNumber": "1", "uploadId": upload_id},
        headers={"x-cos-copy-source": f"{bucket}.cos.{server.region}.myqcloud.com/ia-source"},
    )
    assert part.status == 200, part.body
    etag = part.xml()["CopyPartResult"]["ETag"]
    listed = await http.request("GET", bucket, "assembled", params={"uploadId": upload_id})
    assert listed.xml()["ListPartsResult"]["StorageClass"] == "STANDARD"
    assert (await complete(http, bucket, "assembled", upload_id, [(1, etag)])).status == 200
    head = await http.request("HEAD", bucket, "assembled")
    assert head.status == 200
    assert "x-cos-storage-class" not in head.headers


async def test_abort(http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "ab")
    keep_id = await initiate(http, bucket, "ab")
    await upload_part(http, bucket, "ab", upload_id, 1, b"one")
    await upload_part(http, bucket, "ab", upload_id, 2, b"two")
    reply = await http.request("DELETE", bucket, "ab", params={"uploadId": upload_id})
    assert reply.status == 204
    assert reply.body == b""
    assert_error(
        await http.request("GET", bucket, "ab", params={"uploadId": upload_id}),
        404,
        "NoSuchUpload",
    )
    assert_error(await upload_part(http, bucket, "ab", upload_id, 3, b"x"), 404, "NoSuchUpload")
    listing = await http.request("GET", bucket, params={"uploads": None})
    uploads = listing.xml()["ListMultipartUploadsResult"]["Upload"]
    assert [u["UploadId"] for u in uploads] == [keep_id]
    assert (await http.request("HEAD", bucket, "ab")).status == 404
    again = await http.request("DELETE", bucket, "ab", params={"uploadId": upload_id})
    assert_error(again, 404, "NoSuchUpload")
