"""Listings of the local COS server: objects (v1), versions, multipart uploads, buckets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import pytest

from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp, Reply


def assert_error(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, (reply.status, reply.body[:300])
    doc = reply.xml()["Error"]
    assert doc["Code"] == code
    assert doc["Message"]
    assert doc["RequestId"] == reply.headers["x-cos-request-id"]


async def put_many(http: CosHttp, bucket: str, keys: Iterable[str], data: bytes = b"x") -> None:
    sem = asyncio.Semaphore(32)

    async def one(key: str) -> None:
        async with sem:
            reply = await http.request("PUT", bucket, key, data=data)
            assert reply.status == 200, (key, reply.body)

    await asyncio.gather(*(one(k) for k in keys))


async def list_v1(http: CosHttp, bucket: str, **params: str) -> dict[str, Any]:
    reply = await http.request("GET", bucket, params=params)
    assert reply.status == 200, reply.body
    return reply.xml()["ListBucketResult"]


def keys_of(result: dict[str, Any]) -> list[str]:
    return [c["Key"] for c in result.get("Contents") or []]


def prefixes_of(result: dict[str, Any]) -> list[str]:
    return [p["Prefix"] for p in result.get("CommonPrefixes") or []]


# --- list objects (v1) ------------------------------------------------------------------------


async def test_prefix_and_delimiter(http: CosHttp, bucket: str) -> None:
    keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d/e/f", "dz"]
    await put_many(http, bucket, keys)

    everything = await list_v1(http, bucket)
    assert keys_of(everything) == sorted(keys)
    assert everything["IsTruncated"] == "false"
    assert "NextMarker" not in everything
    assert everything["Name"] == bucket
    assert everything["MaxKeys"] == "1000"
    first = everything["Contents"][0]
    assert first["ETag"] == '"9dd4e461268c8034f5c8564e155c67a6"'  # md5(b"x")
    assert first["Size"] == "1"
    assert first["StorageClass"] == "STANDARD"
    assert first["LastModified"].endswith("Z")

    top = await list_v1(http, bucket, delimiter="/")
    assert keys_of(top) == ["c", "dz"]
    assert prefixes_of(top) == ["a/", "b/", "d/"]
    assert top["Delimiter"] == "/"

    in_a = await list_v1(http, bucket, prefix="a/", delimiter="/")
    assert keys_of(in_a) == ["a/1", "a/2"]
    assert prefixes_of(in_a) == ["a/b/"]
    assert in_a["Prefix"] == "a/"

    by_prefix = await list_v1(http, bucket, prefix="d")
    assert keys_of(by_prefix) == ["d/e/f", "dz"]
    assert prefixes_of(by_prefix) == []

    none = await list_v1(http, bucket, prefix="zzz")
    assert keys_of(none) == []
    assert none["IsTruncated"] == "false"

    after = await list_v1(http, bucket, marker="b/1")
    assert keys_of(after) == ["c", "d/e/f", "dz"]
    assert after["Marker"] == "b/1"


async def test_delimiter_paging_never_repeats(http: CosHttp, bucket: str) -> None:
    keys = ["a/1", "a/2", "a/3", "b", "c/1", "c/2", "d"]
    await put_many(http, bucket, keys)
    seen: list[str] = []
    marker = ""
    for _ in range(20):
        params = {"delimiter": "/", "max-keys": "1"}
        if marker:
            params["marker"] = marker
        page = await list_v1(http, bucket, **params)
        entries = keys_of(page) + prefixes_of(page)
        assert len(entries) <= 1
        seen.extend(entries)
        if page["IsTruncated"] == "false":
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
        assert marker == entries[-1]
    else:
        pytest.fail(f"listing did not end; seen {seen}")
    assert seen == ["a/", "b", "c/", "d"]


async def test_marker_inside_common_prefix(http: CosHttp, bucket: str) -> None:
    await put_many(http, bucket, ["a/1", "a/2", "b/1", "c"])
    # A marker that is a common prefix skips that whole prefix.
    page = await list_v1(http, bucket, delimiter="/", marker="a/")
    assert prefixes_of(page) == ["b/"]
    assert keys_of(page) == ["c"]
    # A marker inside a prefix with keys left after it rolls those keys up again.
    page = await list_v1(http, bucket, delimiter="/", marker="a/1")
    assert prefixes_of(page) == ["a/", "b/"]
    assert keys_of(page) == ["c"]
    # After the last key of a prefix, that prefix is done.
    page = await list_v1(http, bucket, delimiter="/", marker="a/2")
    assert prefixes_of(page) == ["b/"]
    assert keys_of(page) == ["c"]


async def test_pages_of_1000_over_2500_keys(http: CosHttp, bucket: str) -> None:
    keys = [f"obj/{i:05d}" for i in range(2500)]
    await put_many(http, bucket, keys[::-1])
    collected: list[str] = []
    marker = ""
    pages = 0
    while True:
        params = {"max-keys": "1000"}
        if marker:
            params["marker"] = marker
        page = await list_v1(http, bucket, **params)
        pages += 1
        got = keys_of(page)
        collected.extend(got)
        if page["IsTruncated"] == "true":
            assert len(got) == 1000
            assert page["NextMarker"] == got[-1]
            marker = page["NextMarker"]
        else:
            assert "NextMarker" not in page
            break
        assert pages < 5
    assert pages == 3
    assert collected == keys
    assert len(set(collected)) == len(collected)


async def test_max_keys_capped_and_validated(http: CosHttp, bucket: str) -> None:
    keys = [f"k{i:04d}" for i in range(1005)]
    await put_many(http, bucket, keys)
    page = await list_v1(http, bucket, **{"max-keys": "5000"})
    assert page["MaxKeys"] == "1000"
    assert len(keys_of(page)) == 1000
    assert page["IsTruncated"] == "true"
    assert page["NextMarker"] == "k0999"
    default = await list_v1(http, bucket)
    assert len(keys_of(default)) == 1000
    small = await list_v1(http, bucket, **{"max-keys": "3"})
    assert keys_of(small) == ["k0000", "k0001", "k0002"]
    assert small["NextMarker"] == "k0002"
    for bad in ("abc", "-1", "1.5"):
        reply = await http.request("GET", bucket, params={"max-keys": bad})
        assert_error(reply, 400, "InvalidArgument")
    bad_enc = await http.request("GET", bucket, params={"encoding-type": "base64"})
    assert_error(bad_enc, 400, "InvalidArgument")


async def test_encoding_type_url(http: CosHttp, bucket: str) -> None:
    keys = ["dir one/a b.txt", "dir one/a+b.txt", "dir one/100%.txt", "dir one/中文.txt", "x&y<z"]
    await put_many(http, bucket, keys)
    page = await list_v1(
        http, bucket, **{"encoding-type": "url", "prefix": "dir one/", "max-keys": "2"}
    )
    assert page["EncodingType"] == "url"
    raw_keys = keys_of(page)
    for raw in [*raw_keys, page["Prefix"], page["NextMarker"]]:
        assert " " not in raw
        assert "+" not in raw
    assert unquote(page["Prefix"]) == "dir one/"
    expected = sorted(k for k in keys if k.startswith("dir one/"))
    assert [unquote(k) for k in raw_keys] == expected[:2]
    assert unquote(page["NextMarker"]) == expected[1]
    rest = await list_v1(
        http,
        bucket,
        **{"encoding-type": "url", "prefix": "dir one/", "marker": unquote(page["NextMarker"])},
    )
    assert [unquote(k) for k in keys_of(rest)] == expected[2:]
    assert unquote(rest["Marker"]) == expected[1]

    grouped = await list_v1(http, bucket, **{"encoding-type": "url", "delimiter": "/"})
    assert [unquote(p) for p in prefixes_of(grouped)] == ["dir one/"]
    assert prefixes_of(grouped) != ["dir one/"]  # the space is encoded
    assert [unquote(k) for k in keys_of(grouped)] == ["x&y<z"]

    plain = await list_v1(http, bucket, prefix="dir one/")
    assert keys_of(plain) == expected


# --- list object versions ---------------------------------------------------------------------


async def enable_versioning(http: CosHttp, bucket: str) -> None:
    body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    reply = await http.request("PUT", bucket, params={"versioning": None}, data=body)
    assert reply.status == 200


async def test_list_versions_paging(http: CosHttp, bucket: str) -> None:
    await enable_versioning(http, bucket)
    vids: dict[str, list[str]] = {"x": [], "y": [], "z": []}
    for key, count in (("x", 3), ("y", 1), ("z", 2)):
        for i in range(count):
            reply = await http.request("PUT", bucket, key, data=f"{key}{i}".encode())
            vids[key].append(reply.headers["x-cos-version-id"])
    marker = (await http.request("DELETE", bucket, "y")).headers["x-cos-version-id"]

    full = await http.request("GET", bucket, params={"versions": None})
    doc = full.xml()["ListVersionsResult"]
    assert doc["IsTruncated"] == "false"
    versions = [(v["Key"], v["VersionId"], v["IsLatest"]) for v in doc["Version"]]
    assert versions == [
        ("x", vids["x"][2], "true"),
        ("x", vids["x"][1], "false"),
        ("x", vids["x"][0], "false"),
        ("y", vids["y"][0], "false"),
        ("z", vids["z"][1], "true"),
        ("z", vids["z"][0], "false"),
    ]
    markers = [(m["Key"], m["VersionId"], m["IsLatest"]) for m in doc["DeleteMarker"]]
    assert markers == [("y", marker, "true")]
    assert "ETag" not in doc["DeleteMarker"][0]
    sizes = {v["VersionId"]: v["Size"] for v in doc["Version"]}
    assert sizes[vids["x"][0]] == "2"

    # Pages of two, resumed with key-marker + version-id-marker.
    expected = [("x", v) for v in reversed(vids["x"])] + [("y", marker), ("y", vids["y"][0])]
    expected += [("z", v) for v in reversed(vids["z"])]
    seen: list[tuple[str, str]] = []
    params: dict[str, str | None] = {"versions": None, "max-keys": "2"}
    for _ in range(10):
        reply = await http.request("GET", bucket, params=params)
        page = reply.xml()["ListVersionsResult"]
        entries = [(e["Key"], e["VersionId"]) for e in page.get("Version") or []] + [
            (e["Key"], e["VersionId"]) for e in page.get("DeleteMarker") or []
        ]
        assert len(entries) <= 2
        seen.extend(sorted(entries, key=expected.index))
        if page["IsTruncated"] == "false":
            assert "NextKeyMarker" not in page
            break
        params = {
            "versions": None,
            "max-keys": "2",
            "key-marker": page["NextKeyMarker"],
            "version-id-marker": page["NextVersionIdMarker"],
        }
    else:
        pytest.fail("version listing did not end")
    assert seen == expected

    # A key-marker alone starts after that key.
    after_x = await http.request("GET", bucket, params={"versions": None, "key-marker": "x"})
    page = after_x.xml()["ListVersionsResult"]
    assert {v["Key"] for v in page["Version"]} == {"y", "z"}

    by_prefix = await http.request("GET", bucket, params={"versions": None, "prefix": "z"})
    page = by_prefix.xml()["ListVersionsResult"]
    assert [v["VersionId"] for v in page["Version"]] == list(reversed(vids["z"]))
    assert "DeleteMarker" not in page


async def test_list_versions_of_unversioned_bucket(http: CosHttp, bucket: str) -> None:
    await put_many(http, bucket, ["p", "q"])
    reply = await http.request("GET", bucket, params={"versions": None})
    doc = reply.xml()["ListVersionsResult"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in doc["Version"]] == [
        ("p", "null", "true"),
        ("q", "null", "true"),
    ]


# --- list multipart uploads -------------------------------------------------------------------


async def initiate(http: CosHttp, bucket: str, key: str) -> str:
    reply = await http.request("POST", bucket, key, params={"uploads": None})
    assert reply.status == 200, reply.body
    return str(reply.xml()["InitiateMultipartUploadResult"]["UploadId"])


async def test_list_multipart_uploads_paging(http: CosHttp, bucket: str) -> None:
    created: list[tuple[str, str]] = []
    # Many uploads of one key, started together: several share a millisecond.
    ids = await asyncio.gather(*(initiate(http, bucket, "same") for _ in range(25)))
    created += [("same", i) for i in ids]
    for key in ("a/1", "a/2", "b"):
        created.append((key, await initiate(http, bucket, key)))

    full = await http.request("GET", bucket, params={"uploads": None})
    doc = full.xml()["ListMultipartUploadsResult"]
    assert doc["IsTruncated"] == "false"
    listed = [(u["Key"], u["UploadId"]) for u in doc["Upload"]]
    assert sorted(listed) == sorted(created)
    assert [k for k, _ in listed] == sorted(k for k, _ in created)
    assert doc["Upload"][0]["StorageClass"] == "STANDARD"

    for size in (1, 2, 7):
        seen: list[tuple[str, str]] = []
        params: dict[str, str | None] = {"uploads": None, "max-uploads": str(size)}
        for _ in range(100):
            reply = await http.request("GET", bucket, params=params)
            page = reply.xml()["ListMultipartUploadsResult"]
            got = [(u["Key"], u["UploadId"]) for u in page.get("Upload") or []]
            assert len(got) <= size
            seen.extend(got)
            if page["IsTruncated"] == "false":
                break
            assert (page["NextKeyMarker"], page["NextUploadIdMarker"]) == got[-1]
            params = {
                "uploads": None,
                "max-uploads": str(size),
                "key-marker": page["NextKeyMarker"],
                "upload-id-marker": page["NextUploadIdMarker"],
            }
        else:
            pytest.fail("upload listing did not end")
        assert seen == listed, f"max-uploads={size}"

    grouped = await http.request("GET", bucket, params={"uploads": None, "delimiter": "/"})
    page = grouped.xml()["ListMultipartUploadsResult"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/"]
    assert {u["Key"] for u in page["Upload"]} == {"b", "same"}
    prefixed = await http.request("GET", bucket, params={"uploads": None, "prefix": "a/"})
    page = prefixed.xml()["ListMultipartUploadsResult"]
    assert [u["Key"] for u in page["Upload"]] == ["a/1", "a/2"]


# --- list buckets -----------------------------------------------------------------------------


async def test_list_buckets(http: CosHttp, server: LocalCosServer, bucket: str) -> None:
    other = server.create_bucket("zeta-1250000000")
    reply = await http.request("GET", None)
    assert reply.status == 200, reply.body
    doc = reply.xml()["ListAllMyBucketsResult"]
    buckets = doc["Buckets"]["Bucket"]
    names = [b["Name"] for b in buckets]
    assert names == sorted([bucket, other])
    assert all(b["Location"] == "ap-guangzhou" for b in buckets)
    assert all(b["CreationDate"].endswith("Z") for b in buckets)
    assert doc["Owner"]["ID"]
    anonymous = await http.request("GET", None, signed=False)
    assert_error(anonymous, 403, "AccessDenied")


async def test_list_buckets_empty(http: CosHttp) -> None:
    reply = await http.request("GET", None)
    assert reply.status == 200
    doc = reply.xml()["ListAllMyBucketsResult"]
    assert not doc.get("Buckets")


async def test_list_buckets_pages(http: CosHttp, server: LocalCosServer) -> None:
    names = sorted(server.create_bucket(f"p{i}-1250000000") for i in range(3))
    reply = await http.request("GET", None, params={"max-keys": "2"})
    doc = reply.xml()["ListAllMyBucketsResult"]
    assert [b["Name"] for b in doc["Buckets"]["Bucket"]] == names[:2]
    assert doc["IsTruncated"] == "true"
    assert doc["NextMarker"] == names[1]
    reply = await http.request("GET", None, params={"marker": names[1], "max-keys": "2"})
    doc = reply.xml()["ListAllMyBucketsResult"]
    assert doc["Marker"] == names[1]
    assert doc["IsTruncated"] == "false"
    assert "NextMarker" not in doc


@pytest.mark.parametrize(
    "params",
    [
        {"max-keys": "0"},
        {"max-keys": "2001"},
        {"max-keys": "²"},
        {"tagkey": "k"},
        {"create-time": "5"},
        {"create-time": "5", "range": "before"},
        {"create-time": "x", "range": "lt"},
    ],
)
async def test_list_buckets_bad_parameters(http: CosHttp, params: dict[str, str]) -> None:
    reply = await http.request("GET", None, params=params)
    assert_error(reply, 400, "InvalidArgument")
