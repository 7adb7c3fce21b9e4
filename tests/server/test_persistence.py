"""The on-disk store (``data_dir``): state survives restarts, blobs are reclaimed, crashes leave
no torn objects."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from cos_async._crc64 import crc64
from cos_async._xml import parse
from cos_async.testing import FaultRule, LocalCosServer
from tests.cos_http import CosHttp, Reply

MIB = 1024 * 1024
BUCKET = "persist-1250000000"
CORS = (
    b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
    b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
)
INVENTORY = (
    b"<InventoryConfiguration><Id>inv1</Id><IsEnabled>true</IsEnabled><Destination>"
    b"<COSBucketDestination><Format>CSV</Format><Bucket>qcs::cos:ap-guangzhou::d-1250000000"
    b"</Bucket></COSBucketDestination></Destination><Schedule><Frequency>Daily</Frequency>"
    b"</Schedule><IncludedObjectVersions>All</IncludedObjectVersions></InventoryConfiguration>"
)


def etag_of(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def payload(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def body_of(data: bytes) -> tuple[bytes | io.BytesIO, dict[str, str]]:
    if len(data) > MIB:  # aiohttp warns about raw bytes bodies above 1 MiB
        return io.BytesIO(data), {"Content-Length": str(len(data))}
    return data, {}


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def tmp_files(root: Path) -> list[Path]:
    return sorted(root.rglob(".tmp-*"))


@pytest.fixture
def cos_at(
    session: aiohttp.ClientSession,
) -> Callable[[Path], object]:
    """``async with cos_at(dir) as (server, http)``: a server on ``dir`` and a client for it."""

    @asynccontextmanager
    async def run(data_dir: Path) -> AsyncIterator[tuple[LocalCosServer, CosHttp]]:
        async with LocalCosServer(data_dir=data_dir) as server:
            yield server, CosHttp(server.endpoint, server.secret_id, server.secret_key, session)

    return run


async def ok(reply: Reply, status: int = 200) -> Reply:
    assert reply.status == status, (reply.status, reply.body[:300])
    return reply


async def put(
    http: CosHttp, bucket: str, key: str, data: bytes, headers: dict[str, str] | None = None
) -> Reply:
    body, extra = body_of(data)
    return await ok(
        await http.request("PUT", bucket, key, data=body, headers={**extra, **(headers or {})})
    )


async def upload_part(http: CosHttp, key: str, upload_id: str, n: int, data: bytes) -> str:
    body, extra = body_of(data)
    reply = await http.request(
        "PUT",
        BUCKET,
        key,
        params={"partNumber": str(n), "uploadId": upload_id},
        data=body,
        headers=extra,
    )
    await ok(reply)
    return reply.headers["ETag"]


async def initiate(http: CosHttp, key: str, headers: dict[str, str] | None = None) -> str:
    reply = await ok(
        await http.request("POST", BUCKET, key, params={"uploads": None}, headers=headers)
    )
    return str(reply.xml()["InitiateMultipartUploadResult"]["UploadId"])


def complete_xml(etags: list[str]) -> bytes:
    parts = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
        for n, e in enumerate(etags, start=1)
    )
    return f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()


# --- state survives a restart -----------------------------------------------------------------


async def test_state_survives_restart(tmp_path: Path, cos_at: Callable) -> None:
    simple = b"simple content"
    part1, part2 = payload(MIB, 1), payload(300, 2)
    done1, done2 = payload(MIB + 1, 3), payload(10, 4)
    appended = b"first half|"

    async with cos_at(tmp_path) as (_server, http):
        await ok(await http.request("PUT", BUCKET, headers={"x-cos-acl": "public-read"}))
        await put(
            http,
            BUCKET,
            "dir/simple.txt",
            simple,
            {
                "x-cos-meta-owner": "李雷",
                "Content-Type": "text/plain",
                "x-cos-tagging": "k=v",
                "x-cos-acl": "private",
                "x-cos-storage-class": "STANDARD_IA",
            },
        )
        # A completed multipart object and one still in progress.
        done_id = await initiate(http, "done.bin")
        etags = [
            await upload_part(http, "done.bin", done_id, 1, done1),
            await upload_part(http, "done.bin", done_id, 2, done2),
        ]
        await ok(
            await http.request(
                "POST", BUCKET, "done.bin", params={"uploadId": done_id}, data=complete_xml(etags)
            )
        )
        pending_id = await initiate(http, "pending.bin", {"x-cos-meta-m": "multi"})
        pending_etags = [
            await upload_part(http, "pending.bin", pending_id, 1, part1),
            await upload_part(http, "pending.bin", pending_id, 2, part2),
        ]
        # An appendable object.
        await ok(
            await http.request(
                "POST", BUCKET, "log", params={"append": None, "position": "0"}, data=appended
            )
        )
        # Bucket configurations.
        await ok(await http.request("PUT", BUCKET, params={"cors": None}, data=CORS))
        await ok(
            await http.request(
                "PUT", BUCKET, params={"inventory": None, "id": "inv1"}, data=INVENTORY
            )
        )
        tagging = b"<Tagging><TagSet><Tag><Key>b</Key><Value>1</Value></Tag></TagSet></Tagging>"
        await ok(await http.request("PUT", BUCKET, params={"tagging": None}, data=tagging))
        # Versions in a second bucket.
        versioned = "versioned-1250000000"
        await ok(await http.request("PUT", versioned))
        await ok(
            await http.request(
                "PUT",
                versioned,
                params={"versioning": None},
                data=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
            )
        )
        v1 = (await put(http, versioned, "v", b"one")).headers["x-cos-version-id"]
        v2 = (await put(http, versioned, "v", b"two")).headers["x-cos-version-id"]
        marker = (await http.request("DELETE", versioned, "v")).headers["x-cos-version-id"]

    async with cos_at(tmp_path) as (_server, http):
        listing = await ok(await http.request("GET", None))
        names = [b["Name"] for b in listing.xml()["ListAllMyBucketsResult"]["Buckets"]["Bucket"]]
        assert names == [BUCKET, versioned]

        got = await ok(await http.request("GET", BUCKET, "dir/simple.txt"))
        assert got.body == simple
        assert got.headers["x-cos-meta-owner"] == "李雷"
        assert got.headers["Content-Type"] == "text/plain"
        assert got.headers["ETag"] == etag_of(simple)
        assert got.headers["x-cos-hash-crc64ecma"] == str(crc64(simple))
        assert got.headers["x-cos-tagging-count"] == "1"
        assert got.headers["x-cos-storage-class"] == "STANDARD_IA"
        acl = await ok(await http.request("GET", BUCKET, "dir/simple.txt", params={"acl": None}))
        assert acl.headers["x-cos-acl"] == "private"
        tags = await ok(
            await http.request("GET", BUCKET, "dir/simple.txt", params={"tagging": None})
        )
        assert tags.xml()["Tagging"]["TagSet"]["Tag"] == [{"Key": "k", "Value": "v"}]
        bucket_acl = await ok(await http.request("GET", BUCKET, params={"acl": None}))
        assert bucket_acl.headers["x-cos-acl"] == "public-read"

        done = await ok(await http.request("GET", BUCKET, "done.bin"))
        assert done.body == done1 + done2
        assert done.headers["x-cos-hash-crc64ecma"] == str(crc64(done1 + done2))

        cors = await ok(await http.request("GET", BUCKET, params={"cors": None}))
        assert parse(cors.body) == parse(CORS)
        inv = await ok(await http.request("GET", BUCKET, params={"inventory": None, "id": "inv1"}))
        assert parse(inv.body) == parse(INVENTORY)
        btags = await ok(await http.request("GET", BUCKET, params={"tagging": None}))
        assert parse(btags.body) == parse(tagging)

        # The pending upload kept its parts and completes into the right content.
        parts = await ok(
            await http.request("GET", BUCKET, "pending.bin", params={"uploadId": pending_id})
        )
        listed = parts.xml()["ListPartsResult"]["Part"]
        assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [
            ("1", etag_of(part1), str(len(part1))),
            ("2", etag_of(part2), str(len(part2))),
        ]
        uploads = await ok(await http.request("GET", BUCKET, params={"uploads": None}))
        assert [u["UploadId"] for u in uploads.xml()["ListMultipartUploadsResult"]["Upload"]] == [
            pending_id
        ]
        completed = await ok(
            await http.request(
                "POST",
                BUCKET,
                "pending.bin",
                params={"uploadId": pending_id},
                data=complete_xml(pending_etags),
            )
        )
        assert completed.headers["x-cos-hash-crc64ecma"] == str(crc64(part1 + part2))
        got = await ok(await http.request("GET", BUCKET, "pending.bin"))
        assert got.body == part1 + part2
        assert got.headers["x-cos-meta-m"] == "multi"

        # Appending continues where it stopped; the ETag covers all the content.
        more = b"second half"
        reply = await ok(
            await http.request(
                "POST",
                BUCKET,
                "log",
                params={"append": None, "position": str(len(appended))},
                data=more,
            )
        )
        assert reply.headers["ETag"] == etag_of(appended + more)
        assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(appended + more))
        assert (await http.request("GET", BUCKET, "log")).body == appended + more

        # Versions and the delete marker.
        assert (await http.request("GET", versioned, "v")).status == 404
        for vid, data in ((v1, b"one"), (v2, b"two")):
            got = await ok(await http.request("GET", versioned, "v", params={"versionId": vid}))
            assert got.body == data
        await ok(await http.request("DELETE", versioned, "v", params={"versionId": marker}), 204)
        assert (await http.request("GET", versioned, "v")).body == b"two"
        versioning = await ok(await http.request("GET", versioned, params={"versioning": None}))
        assert versioning.xml() == {"VersioningConfiguration": {"Status": "Enabled"}}

    # And the changes made after the restart survive the next one.
    async with cos_at(tmp_path) as (_server, http):
        assert (await http.request("GET", versioned, "v")).body == b"two"
        assert (await http.request("GET", BUCKET, "pending.bin")).body == part1 + part2
        assert (await http.request("GET", BUCKET, "log")).body == appended + b"second half"
        uploads = await ok(await http.request("GET", BUCKET, params={"uploads": None}))
        assert not uploads.xml()["ListMultipartUploadsResult"].get("Upload")


async def test_deleted_bucket_stays_deleted(tmp_path: Path, cos_at: Callable) -> None:
    async with cos_at(tmp_path) as (_server, http):
        await ok(await http.request("PUT", BUCKET))
        await ok(await http.request("PUT", "other-1250000000"))
        await ok(await http.request("DELETE", "other-1250000000"), 204)
    async with cos_at(tmp_path) as (_server, http):
        listing = await ok(await http.request("GET", None))
        names = [b["Name"] for b in listing.xml()["ListAllMyBucketsResult"]["Buckets"]["Bucket"]]
        assert names == [BUCKET]


# --- blobs are reclaimed ----------------------------------------------------------------------


async def test_deleting_everything_removes_every_blob(tmp_path: Path, cos_at: Callable) -> None:
    blobs = tmp_path / "blobs"
    async with cos_at(tmp_path) as (_server, http):
        await ok(await http.request("PUT", BUCKET))
        await put(http, BUCKET, "a", b"aaa")
        await put(http, BUCKET, "a", b"overwritten")  # the first blob goes at once
        assert len(files_in(blobs)) == 1
        await put(http, BUCKET, "big", payload(3 * MIB, 5))
        await ok(
            await http.request(
                "PUT", BUCKET, "copy", headers={"x-cos-copy-source": f"/{BUCKET}/big"}
            )
        )
        upload_id = await initiate(http, "mp")
        etags = [await upload_part(http, "mp", upload_id, 1, payload(MIB, 6))]
        etags.append(await upload_part(http, "mp", upload_id, 2, b"x"))
        await upload_part(http, "mp", upload_id, 2, b"y")  # replaces the previous part 2 blob
        etags[1] = etag_of(b"y")
        await ok(
            await http.request(
                "POST", BUCKET, "mp", params={"uploadId": upload_id}, data=complete_xml(etags)
            )
        )
        aborted = await initiate(http, "aborted")
        await upload_part(http, "aborted", aborted, 1, b"gone")
        await ok(await http.request("DELETE", BUCKET, "aborted", params={"uploadId": aborted}), 204)
        for i, piece in enumerate((b"ap1", b"ap2")):
            await ok(
                await http.request(
                    "POST",
                    BUCKET,
                    "app",
                    params={"append": None, "position": str(3 * i)},
                    data=piece,
                )
            )
        # The source of a copy can go: the copy keeps the shared blob.
        await ok(await http.request("DELETE", BUCKET, "big"), 204)
        assert (await http.request("GET", BUCKET, "copy")).body == payload(3 * MIB, 5)

    async with cos_at(tmp_path) as (_server, http):
        assert (await http.request("GET", BUCKET, "copy")).body == payload(3 * MIB, 5)
        await ok(
            await http.request(
                "PUT",
                BUCKET,
                params={"versioning": None},
                data=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
            )
        )
        v1 = (await put(http, BUCKET, "ver", b"v1")).headers["x-cos-version-id"]
        v2 = (await put(http, BUCKET, "ver", b"v2")).headers["x-cos-version-id"]
        marker = (await http.request("DELETE", BUCKET, "ver")).headers["x-cos-version-id"]
        assert files_in(blobs)
        for key in ("a", "copy", "mp", "app"):
            versions = await ok(
                await http.request("GET", BUCKET, params={"versions": None, "prefix": key})
            )
            for v in versions.xml()["ListVersionsResult"].get("Version") or []:
                await ok(
                    await http.request(
                        "DELETE", BUCKET, v["Key"], params={"versionId": v["VersionId"]}
                    ),
                    204,
                )
        for vid in (v1, v2, marker):
            await ok(await http.request("DELETE", BUCKET, "ver", params={"versionId": vid}), 204)
        assert files_in(blobs) == []
        listing = await ok(await http.request("GET", BUCKET, params={"versions": None}))
        doc = listing.xml()["ListVersionsResult"]
        assert not doc.get("Version")
        assert not doc.get("DeleteMarker")
        await ok(await http.request("DELETE", BUCKET), 204)

    assert files_in(blobs) == []
    assert tmp_files(tmp_path) == []
    assert files_in(tmp_path / "buckets") == []
    assert not any((tmp_path / "objects").rglob("*.json"))
    assert not any((tmp_path / "uploads").rglob("*.json"))


# --- crashes ----------------------------------------------------------------------------------


async def test_crash_leftovers_are_removed(tmp_path: Path, cos_at: Callable) -> None:
    async with cos_at(tmp_path) as (_server, http):
        await ok(await http.request("PUT", BUCKET))
        await put(http, BUCKET, "kept", b"kept content")
    blobs = tmp_path / "blobs"
    kept_blobs = files_in(blobs)
    assert len(kept_blobs) == 1
    # What a crash mid-upload leaves: a temporary blob, and a complete blob whose record was
    # never written; plus a temporary metadata record that never got renamed into place.
    (blobs / ".tmp-0123456789abcdef").write_bytes(b"half an upl")
    (blobs / "fedcba9876543210fedcba9876543210").write_bytes(b"a whole body, never committed")
    object_dir = next((tmp_path / "objects").iterdir())
    torn = object_dir / ".tmp-deadbeef-0000.json"
    torn.write_text(json.dumps({"key": "torn", "versions": [{"key": "torn"}]}), encoding="utf-8")
    upload_dir = tmp_path / "uploads" / BUCKET
    upload_dir.mkdir(parents=True, exist_ok=True)
    (upload_dir / ".tmp-cafe-1.json").write_text("{not json", encoding="utf-8")

    async with cos_at(tmp_path) as (_server, http):
        assert files_in(blobs) == kept_blobs
        assert tmp_files(tmp_path) == []
        listing = await ok(await http.request("GET", BUCKET))
        assert [c["Key"] for c in listing.xml()["ListBucketResult"]["Contents"]] == ["kept"]
        assert (await http.request("GET", BUCKET, "kept")).body == b"kept content"
        assert (await http.request("HEAD", BUCKET, "torn")).status == 404
        uploads = await ok(await http.request("GET", BUCKET, params={"uploads": None}))
        assert not uploads.xml()["ListMultipartUploadsResult"].get("Upload")


@pytest.mark.parametrize("operation", ["PutObject", "UploadPart", "AppendObject"])
async def test_reset_upload_leaves_no_blob(
    tmp_path: Path, cos_at: Callable, operation: str
) -> None:
    data = payload(2 * MIB, 7)
    async with cos_at(tmp_path) as (server, http):
        await ok(await http.request("PUT", BUCKET))
        params: dict[str, str | None] = {}
        method = "PUT"
        if operation == "UploadPart":
            params = {"partNumber": "1", "uploadId": await initiate(http, "k")}
        elif operation == "AppendObject":
            method, params = "POST", {"append": None, "position": "0"}
        rule_id = server.faults.add(FaultRule(action="reset", operation=operation, after_bytes=MIB))

        async def stream() -> AsyncIterator[bytes]:
            # A one-shot body: aiohttp silently retries a reset idempotent request when it can
            # replay the body (bytes, files), which would hide the reset from the test.
            for i in range(0, len(data), 256 * 1024):
                yield data[i : i + 256 * 1024]

        with pytest.raises(aiohttp.ClientError):
            await http.request(method, BUCKET, "k", params=params, data=stream())
        assert server.faults.fired(rule_id) == 1
        assert files_in(tmp_path / "blobs") == []
        assert (await http.request("HEAD", BUCKET, "k")).status == 404
        if operation == "UploadPart":
            parts = await ok(await http.request("GET", BUCKET, "k", params=params))
            assert not parts.xml()["ListPartsResult"].get("Part")
        # The same upload, without the fault, succeeds and leaves exactly one blob.
        body, headers = body_of(data)
        reply = await ok(
            await http.request(method, BUCKET, "k", params=params, data=body, headers=headers)
        )
        assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(data))
        assert len(files_in(tmp_path / "blobs")) == 1
    async with cos_at(tmp_path) as (_server, http):
        assert len(files_in(tmp_path / "blobs")) == 1


async def test_bad_digest_leaves_no_blob(tmp_path: Path, cos_at: Callable) -> None:
    async with cos_at(tmp_path) as (_server, http):
        await ok(await http.request("PUT", BUCKET))
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        reply = await http.request(
            "PUT", BUCKET, "k", data=b"content", headers={"Content-MD5": wrong}
        )
        assert reply.status == 400
        assert reply.code == "BadDigest"
        assert files_in(tmp_path / "blobs") == []
        assert tmp_files(tmp_path) == []
