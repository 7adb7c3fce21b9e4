"""Compatibility: the official Tencent COS SDK (``qcloud_cos``, cos-python-sdk-v5) works unchanged
against the local COS server.

Each test drives the SDK the way an application would and checks the values it gets back against
independent oracles (``hashlib`` MD5, ``crcmod`` CRC-64/XZ, the bytes that were uploaded). Plain
HTTP requests (``http.client``) are used where the SDK cannot express the request: anonymous
access, presigned URLs and deliberately tampered signatures. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import time
import types
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

import crcmod
import pytest
import qcloud_cos.cos_auth
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosClientError, CosServiceError

from cos_async.testing import LocalCosServer, ServerCredential, ThreadedLocalCosServer

if TYPE_CHECKING:
    from .conftest import ClientFactory

MiB = 1024 * 1024
CRC64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def crc64(data: bytes) -> str:
    """CRC-64/XZ as COS reports it in ``x-cos-hash-crc64ecma`` (a decimal string)."""
    return str(CRC64(data))


def quoted_md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def read_body(response: dict[str, object]) -> bytes:
    """The whole body of an SDK ``get_object`` response (reading it releases the connection)."""
    body = response["Body"]
    data = body.get_raw_stream().read()  # type: ignore[attr-defined]
    assert isinstance(data, bytes)
    return data


@contextlib.contextmanager
def cos_error(status: int, code: str) -> Iterator[pytest.ExceptionInfo[CosServiceError]]:
    """Expect the SDK to raise ``CosServiceError`` with this HTTP status and COS error code."""
    with pytest.raises(CosServiceError) as info:
        yield info
    assert info.value.get_status_code() == status, info.value.get_origin_msg()
    assert info.value.get_error_code() == code, info.value.get_origin_msg()


@dataclass
class RawResponse:
    status: int
    headers: Message
    body: bytes

    @property
    def error_code(self) -> str | None:
        if not self.body:
            return None
        return ET.fromstring(self.body).findtext("Code")

    @property
    def error_message(self) -> str:
        return ET.fromstring(self.body).findtext("Message") or ""


def raw_request(
    server: ThreadedLocalCosServer,
    method: str,
    host: str,
    target: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> RawResponse:
    """One plain HTTP request to the local server with an explicit ``Host`` header."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, target, body=body, headers={"Host": host, **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, resp.msg, data)
    finally:
        conn.close()


def fetch_url(server: ThreadedLocalCosServer, url: str) -> RawResponse:
    """GET a (presigned) COS URL from the local server, sending its own host name as ``Host``."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return raw_request(server, "GET", parts.netloc, target)


def get_status(server: ThreadedLocalCosServer, operation: str, key: str) -> int | None:
    """The HTTP status the server answered to the last ``operation`` request on ``key``."""
    statuses = [
        r.status for r in server.requests.records() if r.operation == operation and r.key == key
    ]
    assert statuses, f"the server saw no {operation} request for {key!r}"
    return statuses[-1]


def put_many(client: CosS3Client, bucket: str, keys: list[str], body: bytes = b"") -> None:
    with ThreadPoolExecutor(16) as pool:
        for result in pool.map(lambda k: client.put_object(Bucket=bucket, Key=k, Body=body), keys):
            assert result["ETag"] == quoted_md5(body)


def list_all(
    client: CosS3Client, bucket: str, **kwargs: object
) -> tuple[list[str], list[str], int]:
    """Follow ``NextMarker`` while ``IsTruncated``: (keys, common prefixes, number of pages)."""
    keys: list[str] = []
    prefixes: list[str] = []
    marker = ""
    pages = 0
    while True:
        page = client.list_objects(Bucket=bucket, Marker=marker, MaxKeys=1000, **kwargs)
        pages += 1
        assert int(page["MaxKeys"]) == 1000
        keys.extend(c["Key"] for c in page.get("Contents", []))
        prefixes.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
        assert len(page.get("Contents", [])) + len(page.get("CommonPrefixes", [])) <= 1000
        if page["IsTruncated"] != "true":
            assert "NextMarker" not in page
            return keys, prefixes, pages
        assert page["NextMarker"]
        marker = page["NextMarker"]
        assert pages < 10, "listing does not terminate"


# --- buckets -----------------------------------------------------------------------------------


def test_bucket_create_list_head_exists_delete(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, bucket_name: str
) -> None:
    assert cos_client.bucket_exists(Bucket=bucket_name) is False
    cos_client.create_bucket(Bucket=bucket_name)

    listed = cos_client.list_buckets()["Buckets"]["Bucket"]
    mine = [b for b in listed if b["Name"] == bucket_name]
    assert len(mine) == 1
    assert mine[0]["Location"] == cos_server.region
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", mine[0]["CreationDate"])

    head = cos_client.head_bucket(Bucket=bucket_name)
    assert head["x-cos-bucket-region"] == cos_server.region
    assert head["x-cos-request-id"]
    assert cos_client.bucket_exists(Bucket=bucket_name) is True

    cos_client.delete_bucket(Bucket=bucket_name)
    assert cos_client.bucket_exists(Bucket=bucket_name) is False
    names = [b["Name"] for b in (cos_client.list_buckets().get("Buckets") or {}).get("Bucket", [])]
    assert bucket_name not in names


def test_create_existing_bucket_is_409(cos_client: CosS3Client, cos_bucket: str) -> None:
    with cos_error(409, "BucketAlreadyExists") as info:
        cos_client.create_bucket(Bucket=cos_bucket)
    assert info.value.get_request_id()


def test_delete_non_empty_bucket_is_409(cos_client: CosS3Client, cos_bucket: str) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="keep", Body=b"x")
    with cos_error(409, "BucketNotEmpty"):
        cos_client.delete_bucket(Bucket=cos_bucket)
    assert cos_client.bucket_exists(Bucket=cos_bucket) is True
    assert cos_client.object_exists(Bucket=cos_bucket, Key="keep") is True


def test_missing_bucket_is_404_no_such_bucket(cos_client: CosS3Client, bucket_name: str) -> None:
    with cos_error(404, "NoSuchBucket"):
        cos_client.list_objects(Bucket=bucket_name)
    with cos_error(404, "NoSuchBucket"):
        cos_client.get_object(Bucket=bucket_name, Key="k")
    with cos_error(404, "NoSuchBucket"):
        cos_client.put_object(Bucket=bucket_name, Key="k", Body=b"x")
    assert cos_client.bucket_exists(Bucket=bucket_name) is False


# --- simple objects ----------------------------------------------------------------------------


def test_put_get_head_with_metadata(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    data = os.urandom(3000) + "结尾".encode()
    put = cos_client.put_object(
        Bucket=cos_bucket,
        Key="docs/report.bin",
        Body=data,
        EnableMD5=True,
        Metadata={"x-cos-meta-author": "张三"},
        ContentType="application/x-report",
        StorageClass="STANDARD_IA",
    )
    assert put["ETag"] == quoted_md5(data)
    assert put["x-cos-hash-crc64ecma"] == crc64(data)
    assert put["x-cos-request-id"]

    got = cos_client.get_object(Bucket=cos_bucket, Key="docs/report.bin")
    assert read_body(got) == data
    assert got["Content-Type"] == "application/x-report"
    assert got["Content-Length"] == str(len(data))
    assert got["x-cos-storage-class"] == "STANDARD_IA"
    assert got["ETag"] == quoted_md5(data)
    assert got["x-cos-hash-crc64ecma"] == crc64(data)
    # The SDK sends the UTF-8 bytes of the value; they come back unchanged, and the HTTP stack
    # (http.client) hands them to the caller as latin-1 text.
    assert got["x-cos-meta-author"].encode("latin-1").decode("utf-8") == "张三"

    head = cos_client.head_object(Bucket=cos_bucket, Key="docs/report.bin")
    assert head["Content-Length"] == str(len(data))
    assert head["ETag"] == quoted_md5(data)
    assert head["x-cos-hash-crc64ecma"] == crc64(data)
    assert head["x-cos-storage-class"] == "STANDARD_IA"
    assert head["Content-Type"] == "application/x-report"
    assert head["x-cos-meta-author"].encode("latin-1").decode("utf-8") == "张三"
    assert cos_server.requests.count("PutObject", key="docs/report.bin", status=200) == 1


def test_put_with_wrong_md5_is_rejected(cos_client: CosS3Client, cos_bucket: str) -> None:
    with cos_error(400, "BadDigest"):
        cos_client.put_object(
            Bucket=cos_bucket, Key="k", Body=b"payload", ContentMD5="XUFAKrxLKna5cZ2REBfFkg=="
        )
    assert cos_client.object_exists(Bucket=cos_bucket, Key="k") is False


def test_object_exists_delete_and_no_such_key(cos_client: CosS3Client, cos_bucket: str) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="gone.txt", Body=b"bye")
    assert cos_client.object_exists(Bucket=cos_bucket, Key="gone.txt") is True
    assert cos_client.object_exists(Bucket=cos_bucket, Key="never.txt") is False

    deleted = cos_client.delete_object(Bucket=cos_bucket, Key="gone.txt")
    assert deleted["x-cos-request-id"]
    assert cos_client.object_exists(Bucket=cos_bucket, Key="gone.txt") is False
    with cos_error(404, "NoSuchKey") as info:
        cos_client.get_object(Bucket=cos_bucket, Key="gone.txt")
    assert info.value.get_request_id()
    assert info.value.get_trace_id()
    assert info.value.get_resource_location().endswith("/gone.txt")
    # deleting a missing key is not an error
    assert cos_client.delete_object(Bucket=cos_bucket, Key="gone.txt")["x-cos-request-id"]


SPECIAL_KEYS = [
    "with space.txt",
    "a+b+c",
    "中文/文件 名.txt",
    "tilde~name",
    "star*name",
    "amp&name",
    "eq=name",
    "mix ~*&=+%20?#;,@$!'()[].txt",
    "dir/sub dir/./odd..name",
]


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_special_character_keys_round_trip(
    cos_client: CosS3Client, cos_bucket: str, key: str
) -> None:
    data = f"content of {key}".encode()
    put = cos_client.put_object(Bucket=cos_bucket, Key=key, Body=data)
    assert put["ETag"] == quoted_md5(data)
    assert read_body(cos_client.get_object(Bucket=cos_bucket, Key=key)) == data
    assert cos_client.head_object(Bucket=cos_bucket, Key=key)["Content-Length"] == str(len(data))
    listed = cos_client.list_objects(Bucket=cos_bucket)
    assert [c["Key"] for c in listed["Contents"]] == [key]
    cos_client.delete_object(Bucket=cos_bucket, Key=key)
    assert cos_client.object_exists(Bucket=cos_bucket, Key=key) is False


# --- conditional and ranged reads --------------------------------------------------------------


def test_range_get_is_206_with_the_slice(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    data = b"0123456789abcdef"
    cos_client.put_object(Bucket=cos_bucket, Key="r", Body=data)
    got = cos_client.get_object(Bucket=cos_bucket, Key="r", Range="bytes=2-5")
    assert read_body(got) == b"2345"
    assert got["Content-Range"] == f"bytes 2-5/{len(data)}"
    assert got["Content-Length"] == "4"
    assert got["x-cos-hash-crc64ecma"] == crc64(data)  # always the whole object's CRC
    assert get_status(cos_server, "GetObject", "r") == 206


def test_if_none_match_current_etag_is_304(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    data = b"cached"
    etag = cos_client.put_object(Bucket=cos_bucket, Key="c", Body=data)["ETag"]

    # The SDK treats every status below 400 as success, so a 304 is not a CosServiceError.
    # HeadObject simply returns the 304's headers.
    head = cos_client.head_object(Bucket=cos_bucket, Key="c", IfNoneMatch=etag)
    assert head["ETag"] == etag
    assert get_status(cos_server, "HeadObject", "c") == 304
    # GetObject wraps the response in a StreamBody, which insists on Content-Length or chunked
    # encoding; a 304 (no body, RFC 9110) has neither, so the SDK raises IOError (OSError) itself.
    with pytest.raises(OSError, match="StreamBody"):
        cos_client.get_object(Bucket=cos_bucket, Key="c", IfNoneMatch=etag)
    assert get_status(cos_server, "GetObject", "c") == 304

    # A different ETag does not match: the object is returned.
    other = cos_client.get_object(Bucket=cos_bucket, Key="c", IfNoneMatch=quoted_md5(b"other"))
    assert read_body(other) == data
    assert get_status(cos_server, "GetObject", "c") == 200


def test_if_match_wrong_etag_is_412(cos_client: CosS3Client, cos_bucket: str) -> None:
    data = b"guarded"
    cos_client.put_object(Bucket=cos_bucket, Key="g", Body=data)
    with cos_error(412, "PreconditionFailed"):
        cos_client.get_object(Bucket=cos_bucket, Key="g", IfMatch=quoted_md5(b"something else"))
    ok = cos_client.get_object(Bucket=cos_bucket, Key="g", IfMatch=quoted_md5(data))
    assert read_body(ok) == data


# --- listing -----------------------------------------------------------------------------------


def test_list_objects_pagination_with_delimiter(cos_client: CosS3Client, cos_bucket: str) -> None:
    flat = [f"obj-{i:04d}" for i in range(2450)]
    # Directories that sort between flat keys ("obj-0999" < "obj-0999/" < "obj-1000"), so common
    # prefixes land inside pages and on page boundaries, not just at the end.
    dirs = ["obj-0000/", "obj-0499/", "obj-0999/", "obj-1000/", "obj-2449/"]
    nested = [f"{d}f{j}" for d in dirs for j in range(10)]
    assert len(flat) + len(nested) == 2500
    put_many(cos_client, cos_bucket, flat + nested)

    keys, prefixes, pages = list_all(cos_client, cos_bucket, Delimiter="/")
    assert pages == 3  # 2,455 entries (2,450 keys + 5 prefixes) in pages of 1,000
    assert len(keys) == len(set(keys)) == 2450
    assert keys == sorted(flat)
    assert prefixes == dirs

    keys, prefixes, pages = list_all(cos_client, cos_bucket)
    assert pages == 3
    assert prefixes == []
    assert len(keys) == len(set(keys)) == 2500
    assert keys == sorted(flat + nested)

    inside = cos_client.list_objects(Bucket=cos_bucket, Prefix="obj-0999/", Delimiter="/")
    assert [c["Key"] for c in inside["Contents"]] == [f"obj-0999/f{j}" for j in range(10)]
    assert inside["IsTruncated"] == "false"
    assert "CommonPrefixes" not in inside


def test_list_objects_url_encoding(cos_client: CosS3Client, cos_bucket: str) -> None:
    keys = ["a b/1", "a b/2", "top level.txt", "中文/x+y.txt", "中文 目录/z", "100%.txt"]
    put_many(cos_client, cos_bucket, keys)

    # Without EncodingType the SDK asks for encoding-type=url itself and decodes the answer.
    plain = cos_client.list_objects(Bucket=cos_bucket, Delimiter="/")
    assert plain["EncodingType"] == "url"
    assert [c["Key"] for c in plain["Contents"]] == ["100%.txt", "top level.txt"]
    assert [p["Prefix"] for p in plain["CommonPrefixes"]] == ["a b/", "中文 目录/", "中文/"]

    # With EncodingType='url' the SDK leaves the values encoded for the caller.
    encoded = cos_client.list_objects(Bucket=cos_bucket, EncodingType="url")
    raw = [c["Key"] for c in encoded["Contents"]]
    assert raw == [quote(k, safe="/") for k in sorted(keys)]
    assert "a%20b/1" in raw
    assert [unquote(k) for k in raw] == sorted(keys)

    nested = cos_client.list_objects(Bucket=cos_bucket, Prefix="中文/", EncodingType="url")
    assert unquote(nested["Prefix"]) == "中文/"
    assert [unquote(c["Key"]) for c in nested["Contents"]] == ["中文/x+y.txt"]


# --- delete, copy, append ----------------------------------------------------------------------


def test_delete_objects_verbose_and_quiet(cos_client: CosS3Client, cos_bucket: str) -> None:
    put_many(cos_client, cos_bucket, ["d/1", "d/2", "d/3", "d/4", "keep"])

    verbose = cos_client.delete_objects(
        Bucket=cos_bucket,
        Delete={"Object": [{"Key": "d/1"}, {"Key": "d/2"}, {"Key": "missing"}], "Quiet": "false"},
    )
    assert sorted(d["Key"] for d in verbose["Deleted"]) == ["d/1", "d/2", "missing"]
    assert "Error" not in verbose

    quiet = cos_client.delete_objects(
        Bucket=cos_bucket, Delete={"Object": [{"Key": "d/3"}, {"Key": "d/4"}], "Quiet": "true"}
    )
    assert "Deleted" not in quiet
    assert "Error" not in quiet

    remaining = cos_client.list_objects(Bucket=cos_bucket)
    assert [c["Key"] for c in remaining["Contents"]] == ["keep"]


def test_copy_object_same_bucket_with_replaced_metadata(
    cos_client: CosS3Client, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    data = b"copy me" * 100
    cos_client.put_object(
        Bucket=cos_bucket,
        Key="src",
        Body=data,
        ContentType="text/plain",
        Metadata={"x-cos-meta-origin": "first"},
    )
    source = {"Bucket": cos_bucket, "Key": "src", "Region": cos_server.region}

    kept = cos_client.copy_object(Bucket=cos_bucket, Key="dst-copy", CopySource=source)
    assert kept["ETag"] == quoted_md5(data)
    assert kept["CRC64"] == crc64(data)
    head = cos_client.head_object(Bucket=cos_bucket, Key="dst-copy")
    assert head["x-cos-meta-origin"] == "first"
    assert head["Content-Type"] == "text/plain"

    replaced = cos_client.copy_object(
        Bucket=cos_bucket,
        Key="dst-replaced",
        CopySource=source,
        CopyStatus="Replaced",
        ContentType="application/json",
        Metadata={"x-cos-meta-origin": "second", "x-cos-meta-extra": "yes"},
    )
    assert replaced["ETag"] == quoted_md5(data)
    got = cos_client.get_object(Bucket=cos_bucket, Key="dst-replaced")
    assert read_body(got) == data
    assert got["x-cos-meta-origin"] == "second"
    assert got["x-cos-meta-extra"] == "yes"
    assert got["Content-Type"] == "application/json"
    assert got["x-cos-hash-crc64ecma"] == crc64(data)


def test_copy_object_across_buckets(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    other = cos_server.create_bucket()
    try:
        data = os.urandom(5000)
        cos_client.put_object(Bucket=other, Key="from/other", Body=data)
        result = cos_client.copy_object(
            Bucket=cos_bucket,
            Key="to/here",
            CopySource={"Bucket": other, "Key": "from/other", "Region": cos_server.region},
        )
        assert result["ETag"] == quoted_md5(data)
        assert read_body(cos_client.get_object(Bucket=cos_bucket, Key="to/here")) == data
        assert cos_client.object_exists(Bucket=other, Key="from/other") is True
    finally:
        cos_server.delete_bucket(other)


def test_copy_object_onto_itself(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    cos_client.put_object(
        Bucket=cos_bucket, Key="self", Body=b"same", Metadata={"x-cos-meta-v": "1"}
    )
    source = {"Bucket": cos_bucket, "Key": "self", "Region": cos_server.region}
    with cos_error(400, "InvalidRequest"):
        cos_client.copy_object(Bucket=cos_bucket, Key="self", CopySource=source, CopyStatus="Copy")
    # Replacing the metadata is the supported way to update it in place.
    cos_client.copy_object(
        Bucket=cos_bucket,
        Key="self",
        CopySource=source,
        CopyStatus="Replaced",
        Metadata={"x-cos-meta-v": "2"},
    )
    head = cos_client.head_object(Bucket=cos_bucket, Key="self")
    assert head["x-cos-meta-v"] == "2"
    assert head["ETag"] == quoted_md5(b"same")


def test_append_object(cos_client: CosS3Client, cos_bucket: str) -> None:
    first = cos_client.append_object(Bucket=cos_bucket, Key="log", Position=0, Data=b"hello ")
    assert first["x-cos-next-append-position"] == "6"
    assert first["x-cos-hash-crc64ecma"] == crc64(b"hello ")
    second = cos_client.append_object(Bucket=cos_bucket, Key="log", Position=6, Data=b"world")
    assert second["x-cos-next-append-position"] == "11"
    assert second["x-cos-hash-crc64ecma"] == crc64(b"hello world")

    got = cos_client.get_object(Bucket=cos_bucket, Key="log")
    assert read_body(got) == b"hello world"
    assert got["x-cos-object-type"] == "appendable"

    with cos_error(409, "PositionNotEqualToLength") as info:
        cos_client.append_object(Bucket=cos_bucket, Key="log", Position=3, Data=b"!")
    assert "11" in info.value.get_error_msg()
    head = cos_client.head_object(Bucket=cos_bucket, Key="log")
    assert head["x-cos-next-append-position"] == "11"
    assert head["x-cos-hash-crc64ecma"] == crc64(b"hello world")

    cos_client.put_object(Bucket=cos_bucket, Key="normal", Body=b"abc")
    with cos_error(409, "ObjectNotAppendable"):
        cos_client.append_object(Bucket=cos_bucket, Key="normal", Position=3, Data=b"d")
    assert read_body(cos_client.get_object(Bucket=cos_bucket, Key="normal")) == b"abc"


# --- tagging and ACL ---------------------------------------------------------------------------


def test_object_tagging(cos_client: CosS3Client, cos_bucket: str) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="t", Body=b"x")
    cos_client.put_object_tagging(
        Bucket=cos_bucket,
        Key="t",
        Tagging={
            "TagSet": {
                "Tag": [{"Key": "env", "Value": "prod:v1/a@b"}, {"Key": "team", "Value": "a b"}]
            }
        },
    )
    tags = cos_client.get_object_tagging(Bucket=cos_bucket, Key="t")["TagSet"]["Tag"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "prod:v1/a@b"), ("team", "a b")]
    assert cos_client.head_object(Bucket=cos_bucket, Key="t")["x-cos-tagging-count"] == "2"

    cos_client.delete_object_tagging(Bucket=cos_bucket, Key="t")
    after = cos_client.get_object_tagging(Bucket=cos_bucket, Key="t")
    assert not (after.get("TagSet") or {}).get("Tag")
    assert "x-cos-tagging-count" not in cos_client.head_object(Bucket=cos_bucket, Key="t")


def test_object_acl_and_anonymous_access(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    host = cos_server.host_for(cos_bucket)
    cos_client.put_object(Bucket=cos_bucket, Key="public.txt", Body=b"for everyone")
    cos_client.put_object(Bucket=cos_bucket, Key="private.txt", Body=b"secret")

    denied = raw_request(cos_server, "GET", host, "/public.txt")
    assert (denied.status, denied.error_code) == (403, "AccessDenied")

    cos_client.put_object_acl(Bucket=cos_bucket, Key="public.txt", ACL="public-read")
    acl = cos_client.get_object_acl(Bucket=cos_bucket, Key="public.txt")
    grants = acl["AccessControlList"]["Grant"]
    assert {
        "Grantee": {"Type": "Group", "URI": "http://cam.qcloud.com/groups/global/AllUsers"},
        "Permission": "READ",
    } in grants
    owner = acl["Owner"]["ID"]
    assert any(
        g["Grantee"].get("ID") == owner and g["Permission"] == "FULL_CONTROL" for g in grants
    )

    public = raw_request(cos_server, "GET", host, "/public.txt")
    assert public.status == 200
    assert public.body == b"for everyone"
    assert public.headers["x-cos-hash-crc64ecma"] == crc64(b"for everyone")

    private = raw_request(cos_server, "GET", host, "/private.txt")
    assert (private.status, private.error_code) == (403, "AccessDenied")
    assert private.headers["x-cos-request-id"]
    anonymous_put = raw_request(cos_server, "PUT", host, "/public.txt", body=b"overwrite")
    assert (anonymous_put.status, anonymous_put.error_code) == (403, "AccessDenied")
    assert read_body(cos_client.get_object(Bucket=cos_bucket, Key="public.txt")) == b"for everyone"


# --- multipart ---------------------------------------------------------------------------------


def test_multipart_upload_complete(
    cos_client: CosS3Client, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    part1 = os.urandom(MiB + 17)
    part2 = b"the small last part"
    upload_id = cos_client.create_multipart_upload(
        Bucket=cos_bucket, Key="mp/object", ContentType="video/mp4"
    )["UploadId"]
    e1 = cos_client.upload_part(
        Bucket=cos_bucket, Key="mp/object", Body=part1, PartNumber=1, UploadId=upload_id
    )
    e2 = cos_client.upload_part(
        Bucket=cos_bucket, Key="mp/object", Body=part2, PartNumber=2, UploadId=upload_id
    )
    assert e1["ETag"] == quoted_md5(part1)
    assert e2["x-cos-hash-crc64ecma"] == crc64(part2)

    listed = cos_client.list_parts(Bucket=cos_bucket, Key="mp/object", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Part"]] == [
        ("1", quoted_md5(part1), str(len(part1))),
        ("2", quoted_md5(part2), str(len(part2))),
    ]
    assert listed["UploadId"] == upload_id
    assert listed["IsTruncated"] == "false"

    done = cos_client.complete_multipart_upload(
        Bucket=cos_bucket,
        Key="mp/object",
        UploadId=upload_id,
        MultipartUpload={
            "Part": [{"ETag": e1["ETag"], "PartNumber": 1}, {"ETag": e2["ETag"], "PartNumber": 2}]
        },
    )
    assert re.fullmatch(r'"[0-9a-f]{32}-2"', done["ETag"])
    assert done["Key"] == "mp/object"
    assert done["Bucket"] == cos_bucket
    whole = part1 + part2
    head = cos_client.head_object(Bucket=cos_bucket, Key="mp/object")
    assert head["x-cos-hash-crc64ecma"] == crc64(whole)
    assert head["Content-Length"] == str(len(whole))
    assert head["ETag"] == done["ETag"]
    assert head["Content-Type"] == "video/mp4"
    assert read_body(cos_client.get_object(Bucket=cos_bucket, Key="mp/object")) == whole
    assert cos_server.requests.count("UploadPart", bucket=cos_bucket, key="mp/object") == 2


def test_multipart_abort_and_list_uploads(cos_client: CosS3Client, cos_bucket: str) -> None:
    first = cos_client.create_multipart_upload(Bucket=cos_bucket, Key="up/a")["UploadId"]
    second = cos_client.create_multipart_upload(Bucket=cos_bucket, Key="up/b")["UploadId"]
    cos_client.upload_part(Bucket=cos_bucket, Key="up/a", Body=b"x", PartNumber=1, UploadId=first)

    before = cos_client.list_multipart_uploads(Bucket=cos_bucket)
    assert sorted((u["Key"], u["UploadId"]) for u in before["Upload"]) == [
        ("up/a", first),
        ("up/b", second),
    ]

    cos_client.abort_multipart_upload(Bucket=cos_bucket, Key="up/a", UploadId=first)
    after = cos_client.list_multipart_uploads(Bucket=cos_bucket)
    assert [(u["Key"], u["UploadId"]) for u in after["Upload"]] == [("up/b", second)]
    with cos_error(404, "NoSuchUpload"):
        cos_client.list_parts(Bucket=cos_bucket, Key="up/a", UploadId=first)
    assert cos_client.object_exists(Bucket=cos_bucket, Key="up/a") is False


def test_multipart_small_non_last_part_is_entity_too_small(
    cos_client: CosS3Client, cos_bucket: str
) -> None:
    upload_id = cos_client.create_multipart_upload(Bucket=cos_bucket, Key="tiny")["UploadId"]
    parts = []
    for number, body in ((1, b"too small for a non-last part"), (2, b"last")):
        etag = cos_client.upload_part(
            Bucket=cos_bucket, Key="tiny", Body=body, PartNumber=number, UploadId=upload_id
        )["ETag"]
        parts.append({"ETag": etag, "PartNumber": number})
    with cos_error(400, "EntityTooSmall"):
        cos_client.complete_multipart_upload(
            Bucket=cos_bucket, Key="tiny", UploadId=upload_id, MultipartUpload={"Part": parts}
        )
    assert cos_client.object_exists(Bucket=cos_bucket, Key="tiny") is False
    # the upload is still there to be fixed or aborted
    listed = cos_client.list_parts(Bucket=cos_bucket, Key="tiny", UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Part"]] == ["1", "2"]


# --- high-level transfers ----------------------------------------------------------------------


def test_upload_file_in_three_parts(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(30 * MiB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    result = cos_client.upload_file(
        Bucket=cos_bucket, Key="big/upload.bin", LocalFilePath=str(source), PartSize=10, MAXThread=5
    )
    assert re.fullmatch(r'"[0-9a-f]{32}-3"', result["ETag"])
    assert cos_server.requests.count("UploadPart", bucket=cos_bucket, key="big/upload.bin") == 3
    assert cos_server.requests.count("CompleteMultipartUpload", key="big/upload.bin") == 1

    head = cos_client.head_object(Bucket=cos_bucket, Key="big/upload.bin")
    assert head["Content-Length"] == str(len(data))
    assert head["x-cos-hash-crc64ecma"] == crc64(data)
    assert read_body(cos_client.get_object(Bucket=cos_bucket, Key="big/upload.bin")) == data


def test_download_file_with_crc_check(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(30 * MiB)
    cos_client.put_object(Bucket=cos_bucket, Key="big/download.bin", Body=data)
    records = tmp_path / "records"  # the SDK's resume records, kept out of ~/.cos_download_tmp_file

    # One flipped byte in one ranged GET: the SDK's CRC64 check must notice.
    cos_server.faults.add(
        action="corrupt", operation="GetObject", key="big/download.bin", after_bytes=1234
    )
    with pytest.raises(CosClientError, match="crc"):
        cos_client.download_file(
            Bucket=cos_bucket,
            Key="big/download.bin",
            DestFilePath=str(tmp_path / "corrupt.bin"),
            PartSize=10,
            EnableCRC=True,
            DumpRecordDir=str(records),
        )

    cos_server.requests.clear()
    dest = tmp_path / "download.bin"
    cos_client.download_file(
        Bucket=cos_bucket,
        Key="big/download.bin",
        DestFilePath=str(dest),
        PartSize=10,
        EnableCRC=True,
        DumpRecordDir=str(records),
    )
    assert dest.read_bytes() == data
    assert cos_server.requests.count("GetObject", key="big/download.bin", status=206) == 3


# --- presigned URLs and signatures -------------------------------------------------------------


@pytest.fixture
def presigner(cos_server: ThreadedLocalCosServer, make_cos_client: ClientFactory) -> CosS3Client:
    """A client configured like production (URLs on the bucket's myqcloud.com host), used only to
    presign: its URLs are fetched from 127.0.0.1 with that host name in ``Host``."""
    return make_cos_client(cos_server, ip_mode=False)


def test_presigned_get(
    cos_server: ThreadedLocalCosServer,
    presigner: CosS3Client,
    cos_client: CosS3Client,
    cos_bucket: str,
) -> None:
    data = b"shared via a presigned URL"
    key = "share/file name+1.txt"
    cos_client.put_object(Bucket=cos_bucket, Key=key, Body=data)
    url = presigner.get_presigned_url(Bucket=cos_bucket, Key=key, Method="GET", Expired=300)
    parts = urlsplit(url)
    assert parts.netloc == cos_server.host_for(cos_bucket)
    assert "q-signature=" in parts.query
    resp = fetch_url(cos_server, url)
    assert resp.status == 200
    assert resp.body == data
    assert resp.headers["ETag"] == quoted_md5(data)


def test_presigned_url_from_ip_mode_client_signs_the_ip(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    """In IP mode the SDK signs the URL's host (127.0.0.1), not the bucket host it sends on real
    requests; such a URL is valid for neither, and the server must say so."""
    cos_client.put_object(Bucket=cos_bucket, Key="k", Body=b"v")
    url = cos_client.get_presigned_url(Bucket=cos_bucket, Key="k", Method="GET", Expired=300)
    parts = urlsplit(url)
    assert parts.netloc == f"127.0.0.1:{cos_server.port}"
    assert "q-header-list=host" in parts.query
    resp = raw_request(cos_server, "GET", cos_server.host_for(cos_bucket), f"/k?{parts.query}")
    assert (resp.status, resp.error_code) == (403, "SignatureDoesNotMatch")
    # Signing the bucket host explicitly fixes it.
    signed = cos_client.get_presigned_url(
        Bucket=cos_bucket, Key="k", Method="GET", Headers={"Host": cos_server.host_for(cos_bucket)}
    )
    good = raw_request(
        cos_server, "GET", cos_server.host_for(cos_bucket), f"/k?{urlsplit(signed).query}"
    )
    assert (good.status, good.body) == (200, b"v")


def test_wrong_secret_key_is_signature_does_not_match(
    cos_server: ThreadedLocalCosServer, make_cos_client: ClientFactory, cos_bucket: str
) -> None:
    client = make_cos_client(cos_server, SecretKey="not-the-right-key-0000000000000")
    with cos_error(403, "SignatureDoesNotMatch"):
        client.list_objects(Bucket=cos_bucket)
    with cos_error(403, "SignatureDoesNotMatch"):
        client.put_object(Bucket=cos_bucket, Key="k", Body=b"x")
    assert cos_server.requests.count("PutObject", key="k", status=403) == 1


def test_unknown_secret_id_is_invalid_access_key_id(
    cos_server: ThreadedLocalCosServer, make_cos_client: ClientFactory, cos_bucket: str
) -> None:
    client = make_cos_client(cos_server, SecretId="AKIDUnknownUnknownUnknownUnknown0000")
    with cos_error(403, "InvalidAccessKeyId"):
        client.get_object(Bucket=cos_bucket, Key="k")


def test_presigned_url_for_another_key_is_rejected(
    cos_server: ThreadedLocalCosServer,
    presigner: CosS3Client,
    cos_client: CosS3Client,
    cos_bucket: str,
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="allowed", Body=b"ok")
    cos_client.put_object(Bucket=cos_bucket, Key="forbidden", Body=b"no")
    url = presigner.get_presigned_url(Bucket=cos_bucket, Key="allowed", Method="GET")
    assert fetch_url(cos_server, url).body == b"ok"
    tampered = fetch_url(cos_server, url.replace("/allowed?", "/forbidden?"))
    assert (tampered.status, tampered.error_code) == (403, "SignatureDoesNotMatch")


def test_presigned_url_with_tampered_parameter_is_rejected(
    cos_server: ThreadedLocalCosServer,
    presigner: CosS3Client,
    cos_client: CosS3Client,
    cos_bucket: str,
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="doc", Body=b"<p>hi</p>", ContentType="text/html")
    url = presigner.get_presigned_url(
        Bucket=cos_bucket, Key="doc", Method="GET", Params={"response-content-type": "text/plain"}
    )
    assert "q-url-param-list=response-content-type" in url
    good = fetch_url(cos_server, url)
    assert good.status == 200
    assert good.headers["Content-Type"] == "text/plain"

    assert "response-content-type=text%2Fplain" in url
    evil = url.replace("response-content-type=text%2Fplain", "response-content-type=text%2Fhtml")
    tampered = fetch_url(cos_server, evil)
    assert (tampered.status, tampered.error_code) == (403, "SignatureDoesNotMatch")


def test_expired_presigned_url_is_access_denied(
    cos_server: ThreadedLocalCosServer,
    presigner: CosS3Client,
    cos_client: CosS3Client,
    cos_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="old", Body=b"stale")
    past = time.time() - 100_000
    # The SDK backdates the start by 60 s, so a short expiry is not enough: sign in the past.
    monkeypatch.setattr(qcloud_cos.cos_auth, "time", types.SimpleNamespace(time=lambda: past))
    url = presigner.get_presigned_url(Bucket=cos_bucket, Key="old", Method="GET", Expired=300)
    monkeypatch.undo()
    assert f"q-sign-time={int(past) - 60}%3B{int(past) + 300}" in url
    resp = fetch_url(cos_server, url)
    assert (resp.status, resp.error_code) == (403, "AccessDenied")
    assert "expired" in resp.error_message.lower()


def test_tampered_signed_header_is_rejected(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    host = cos_server.host_for(cos_bucket)
    auth = cos_client.get_auth(
        Method="PUT",
        Bucket=cos_bucket,
        Key="typed.txt",
        Headers={"Content-Type": "text/plain", "Host": host},
    )
    assert "q-header-list=content-type;host" in auth

    tampered = raw_request(
        cos_server,
        "PUT",
        host,
        "/typed.txt",
        headers={"Authorization": auth, "Content-Type": "text/html"},
        body=b"<script>",
    )
    assert (tampered.status, tampered.error_code) == (403, "SignatureDoesNotMatch")
    assert cos_client.object_exists(Bucket=cos_bucket, Key="typed.txt") is False

    honest = raw_request(
        cos_server,
        "PUT",
        host,
        "/typed.txt",
        headers={"Authorization": auth, "Content-Type": "text/plain"},
        body=b"plain text",
    )
    assert honest.status == 200
    head = cos_client.head_object(Bucket=cos_bucket, Key="typed.txt")
    assert head["Content-Type"] == "text/plain"
    assert head["ETag"] == quoted_md5(b"plain text")


# --- temporary credentials ---------------------------------------------------------------------

TEMP_ID = "AKIDtempLocalCosCompat0000000000000"
TEMP_KEY = "keyTempLocalCosCompat00000000000"
TEMP_TOKEN = "tok+en/x=="


@pytest.fixture(scope="module")
def sts_server() -> Iterator[ThreadedLocalCosServer]:
    credential = ServerCredential(TEMP_ID, TEMP_KEY, token=TEMP_TOKEN)
    with LocalCosServer.run_in_thread(credentials=[credential]) as server:
        yield server


def test_temporary_credentials_with_token(
    sts_server: ThreadedLocalCosServer, make_cos_client: ClientFactory
) -> None:
    bucket = sts_server.create_bucket()
    client = make_cos_client(sts_server, SecretId=TEMP_ID, SecretKey=TEMP_KEY, Token=TEMP_TOKEN)
    put = client.put_object(Bucket=bucket, Key="sts.txt", Body=b"temporary")
    assert put["ETag"] == quoted_md5(b"temporary")
    assert read_body(client.get_object(Bucket=bucket, Key="sts.txt")) == b"temporary"
    assert [c["Key"] for c in client.list_objects(Bucket=bucket)["Contents"]] == ["sts.txt"]


@pytest.mark.parametrize(
    ("token", "code"),
    [("tok+en/x=", "InvalidAccessKeyId"), ("other", "InvalidAccessKeyId"), (None, "AccessDenied")],
)
def test_temporary_credentials_without_the_right_token(
    sts_server: ThreadedLocalCosServer, make_cos_client: ClientFactory, token: str | None, code: str
) -> None:
    bucket = sts_server.create_bucket()
    client = make_cos_client(sts_server, SecretId=TEMP_ID, SecretKey=TEMP_KEY, Token=token)
    with cos_error(403, code):
        client.put_object(Bucket=bucket, Key="sts.txt", Body=b"temporary")
    with cos_error(403, code):
        client.list_objects(Bucket=bucket)
    assert sts_server.requests.count("PutObject", bucket=bucket, status=403) == 1
