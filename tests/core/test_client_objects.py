"""AsyncCosClient object operations against the local COS server: upload (every body kind),
download (read, stream, save, ranges, conditions, integrity), head, delete, copy, append,
restore, tagging, ACL, presigned URLs and the input checks made before any request."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import email.utils
import hashlib
import io
import random
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from cos_async import (
    AccessDenied,
    AsyncCosClient,
    BadDigest,
    CosClientError,
    CosConfig,
    CosServiceError,
    CosTransportError,
    Grant,
    IntegrityError,
    InvalidArgument,
    InvalidObjectState,
    InvalidRange,
    NoSuchBucket,
    NoSuchKey,
    NotModified,
    ObjectNotAppendable,
    PositionNotEqualToLength,
    PreconditionFailed,
    RetryExhausted,
    StorageClass,
)
from cos_async._body import make_body
from cos_async._crc64 import crc64
from cos_async._options import sse_customer_headers
from cos_async.testing import LocalCosServer

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
OTHER_UIN = "qcs::cam::uin/100000000002:uin/100000000002"


def blob(size: int, seed: int = 0) -> bytes:
    """Deterministic pseudo-random bytes."""
    return random.Random(seed).randbytes(size)


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def enable_versioning(server: LocalCosServer, bucket: str) -> None:
    server.store.buckets[bucket].versioning = "Enabled"


async def get_bytes(cos: AsyncCosClient, bucket: str, key: str, **kwargs: object) -> bytes:
    body = await cos.get_object(bucket, key, **kwargs)  # type: ignore[arg-type]
    return await body.read()


# --- put_object: every kind of body -----------------------------------------------------------


async def test_put_bytes_result_and_content(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(10_000)
    result = await cos.put_object(bucket, "bytes.bin", data)
    assert result.etag == md5_etag(data)
    assert result.crc64 == crc64(data)
    assert result.version_id is None
    assert result.request_id
    assert await get_bytes(cos, bucket, "bytes.bin") == data


async def test_put_empty_object(cos: AsyncCosClient, bucket: str) -> None:
    result = await cos.put_object(bucket, "empty", b"")
    assert result.etag == md5_etag(b"")
    assert result.crc64 == 0
    assert await get_bytes(cos, bucket, "empty") == b""
    assert (await cos.head_object(bucket, "empty")).size == 0


async def test_put_memoryview_and_bytearray(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(5000, seed=1)
    view = memoryview(data)[1000:4000]
    result = await cos.put_object(bucket, "view", view)
    assert result.crc64 == crc64(data[1000:4000])
    assert await get_bytes(cos, bucket, "view") == data[1000:4000]
    await cos.put_object(bucket, "array", bytearray(data))
    assert await get_bytes(cos, bucket, "array") == data


async def test_put_pathlib_and_str_path(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    data = blob(3 * (1 << 20) + 17, seed=2)  # several 1 MiB chunks and a tail
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    result = await cos.put_object(bucket, "from-path", path)
    assert result.crc64 == crc64(data)
    assert result.etag == md5_etag(data)
    result = await cos.put_object(bucket, "from-str", str(path))
    assert result.crc64 == crc64(data)
    assert await get_bytes(cos, bucket, "from-path") == data
    assert await get_bytes(cos, bucket, "from-str") == data


async def test_put_open_binary_file(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    data = blob(70_000, seed=3)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with path.open("rb") as f:
        result = await cos.put_object(bucket, "file", f)
    assert result.crc64 == crc64(data)
    assert await get_bytes(cos, bucket, "file") == data


async def test_put_file_opened_at_offset_sends_only_the_rest(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    data = blob(70_000, seed=4)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with path.open("rb") as f:
        f.seek(12_345)
        result = await cos.put_object(bucket, "rest", f)
    assert result.crc64 == crc64(data[12_345:])
    assert (await cos.head_object(bucket, "rest")).size == len(data) - 12_345
    assert await get_bytes(cos, bucket, "rest") == data[12_345:]


async def test_put_bytesio(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(4321, seed=5)
    result = await cos.put_object(bucket, "bio", io.BytesIO(data))
    assert result.crc64 == crc64(data)
    assert await get_bytes(cos, bucket, "bio") == data


async def test_put_sync_generator_is_sent_chunked(cos: AsyncCosClient, bucket: str) -> None:
    pieces = [blob(1000, seed=i) for i in range(7)]

    def gen() -> Iterator[bytes]:
        yield from pieces

    # An iterable has no known length: it is a one-shot body sent with chunked encoding.
    probe = make_body(gen())
    assert probe.length is None
    assert probe.replayable is False
    result = await cos.put_object(bucket, "sync-gen", gen())
    data = b"".join(pieces)
    assert result.crc64 == crc64(data)
    assert result.etag == md5_etag(data)
    assert await get_bytes(cos, bucket, "sync-gen") == data


async def test_put_async_generator_is_sent_chunked(cos: AsyncCosClient, bucket: str) -> None:
    pieces = [blob(100_000, seed=10 + i) for i in range(5)]

    async def agen() -> AsyncIterator[bytes]:
        for p in pieces:
            await asyncio.sleep(0)
            yield p

    probe = make_body(agen())
    assert probe.length is None
    assert probe.replayable is False
    result = await cos.put_object(bucket, "async-gen", agen())
    data = b"".join(pieces)
    assert result.crc64 == crc64(data)
    assert await get_bytes(cos, bucket, "async-gen") == data


# --- put_object: headers and options ------------------------------------------------------------


async def test_content_type_guessed_from_key(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "a.json", b"{}")
    await cos.put_object(bucket, "noext-unknown.zzqq", b"x")
    await cos.put_object(bucket, "plain", b"x")
    assert (await cos.head_object(bucket, "a.json")).content_type == "application/json"
    assert (
        await cos.head_object(bucket, "noext-unknown.zzqq")
    ).content_type == "application/octet-stream"
    assert (await cos.head_object(bucket, "plain")).content_type == "application/octet-stream"


async def test_content_type_explicit(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "a.json", b"x", content_type="text/x-custom; charset=utf-8")
    meta = await cos.head_object(bucket, "a.json")
    assert meta.content_type == "text/x-custom; charset=utf-8"


async def test_metadata_round_trip_unicode_and_prefix(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(
        bucket,
        "meta",
        b"x",
        metadata={"author": "张三", "x-cos-meta-city": "上海", "X-Cos-Meta-Plain": "v1"},
    )
    meta = await cos.head_object(bucket, "meta")
    assert dict(meta.metadata) == {"author": "张三", "city": "上海", "plain": "v1"}
    body = await cos.get_object(bucket, "meta")
    async with body:
        assert dict(body.meta.metadata) == {"author": "张三", "city": "上海", "plain": "v1"}


async def test_content_headers_round_trip(cos: AsyncCosClient, bucket: str) -> None:
    expires = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    await cos.put_object(
        bucket,
        "doc.txt",
        b"hello",
        content_disposition='attachment; filename="doc.txt"',
        content_encoding="identity",
        content_language="zh-CN",
        cache_control="max-age=3600",
        expires=expires,
    )
    meta = await cos.head_object(bucket, "doc.txt")
    assert meta.content_disposition == 'attachment; filename="doc.txt"'
    assert meta.content_encoding == "identity"
    assert meta.content_language == "zh-CN"
    assert meta.cache_control == "max-age=3600"
    assert meta.expires == "Tue, 06 May 2031 07:08:09 GMT"
    assert email.utils.parsedate_to_datetime(meta.expires) == expires


async def test_expires_in_another_timezone_is_sent_as_gmt(cos: AsyncCosClient, bucket: str) -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    await cos.put_object(bucket, "e", b"x", expires=dt.datetime(2031, 1, 1, 8, 0, tzinfo=tz))
    meta = await cos.head_object(bucket, "e")
    assert meta.expires == "Wed, 01 Jan 2031 00:00:00 GMT"


async def test_expires_naive_datetime_refused(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="expires"):
        await cos.put_object(bucket, "e", b"x", expires=dt.datetime(2031, 1, 1))
    assert server.requests.count() == before


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (StorageClass.STANDARD_IA, "STANDARD_IA"),
        ("standard_ia", "STANDARD_IA"),
        ("INTELLIGENT_TIERING", "INTELLIGENT_TIERING"),
        (StorageClass.MAZ_STANDARD, "MAZ_STANDARD"),
    ],
)
async def test_storage_class(
    cos: AsyncCosClient, bucket: str, given: StorageClass | str, expected: str
) -> None:
    await cos.put_object(bucket, "sc", b"x", storage_class=given)
    assert (await cos.head_object(bucket, "sc")).storage_class == expected


async def test_default_storage_class_is_standard(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "sc", b"x")
    assert (await cos.head_object(bucket, "sc")).storage_class == "STANDARD"


async def test_acl_on_put(cos: AsyncCosClient, bucket: str, session: aiohttp.ClientSession) -> None:
    await cos.put_object(bucket, "public", b"open data", acl="public-read")
    policy = await cos.get_object_acl(bucket, "public")
    assert Grant(permission="READ", uri=ALL_USERS) in policy.grants
    # anyone can now read it without signing
    async with session.get(URL(cos.object_url(bucket, "public"), encoded=True)) as resp:
        assert resp.status == 200
        assert await resp.read() == b"open data"
    await cos.put_object(bucket, "private", b"secret")
    async with session.get(URL(cos.object_url(bucket, "private"), encoded=True)) as resp:
        assert resp.status == 403
        await resp.read()


async def test_grant_read_on_put(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "granted", b"x", grant_read='id="100000000002"')
    policy = await cos.get_object_acl(bucket, "granted")
    read_ids = {g.id for g in policy.grants if g.permission == "READ"}
    assert read_ids == {OTHER_UIN}


async def test_tagging_on_put(cos: AsyncCosClient, bucket: str) -> None:
    tags = {"project": "alpha", "team": "storage ops", "a=b": "1+2"}
    await cos.put_object(bucket, "tagged", b"x", tagging=tags)
    assert await cos.get_object_tagging(bucket, "tagged") == tags
    assert (await cos.head_object(bucket, "tagged")).tagging_count == 3


async def test_traffic_limit_valid(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "tl", b"limited", traffic_limit=819200)
    await cos.put_object(bucket, "tl2", b"limited", traffic_limit=838860800)
    assert await get_bytes(cos, bucket, "tl", traffic_limit=819200) == b"limited"


async def test_content_md5_verified_by_server(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(20_000, seed=6)
    result = await cos.put_object(bucket, "md5", data, content_md5=True)
    assert result.etag == md5_etag(data)
    assert await get_bytes(cos, bucket, "md5") == data


async def test_content_md5_of_a_file(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    data = blob(50_000, seed=7)
    path = tmp_path / "f"
    path.write_bytes(data)
    result = await cos.put_object(bucket, "md5f", path, content_md5=True)
    assert result.etag == md5_etag(data)


async def test_wrong_content_md5_gives_bad_digest(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with pytest.raises(BadDigest) as info:
        await cos.put_object(bucket, "bad", b"payload", extra_headers={"Content-MD5": wrong})
    assert info.value.status == 400
    assert info.value.code == "BadDigest"
    assert server.requests.count("PutObject", key="bad") == 1  # a 400 is not retried
    assert not await cos.object_exists(bucket, "bad")


async def test_content_md5_with_one_shot_body_refused(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="Content-MD5"):
        await cos.put_object(bucket, "x", iter([b"a"]), content_md5=True)
    assert server.requests.count() == before


async def test_sse_cos_echoed(cos: AsyncCosClient, bucket: str) -> None:
    result = await cos.put_object(bucket, "enc", b"secret", sse="AES256")
    assert result.headers["x-cos-server-side-encryption"] == "AES256"
    meta = await cos.head_object(bucket, "enc")
    assert meta.server_side_encryption == "AES256"
    body = await cos.get_object(bucket, "enc")
    assert body.meta.server_side_encryption == "AES256"
    assert await body.read() == b"secret"


async def test_sse_customer_key_needed_again(cos: AsyncCosClient, bucket: str) -> None:
    key = bytes(range(32))
    wrong = bytes(range(1, 33))
    await cos.put_object(bucket, "ssec", b"customer data", sse_customer_key=key)
    assert await get_bytes(cos, bucket, "ssec", sse_customer_key=key) == b"customer data"
    meta = await cos.head_object(bucket, "ssec", sse_customer_key=key)
    assert meta.size == len(b"customer data")
    assert meta.headers["x-cos-server-side-encryption-customer-key-MD5"] == (
        base64.b64encode(hashlib.md5(key).digest()).decode()
    )
    # missing key
    with pytest.raises(CosServiceError) as missing:
        await cos.get_object(bucket, "ssec")
    assert missing.value.status == 400
    assert missing.value.code == "InvalidRequest"
    with pytest.raises(CosServiceError) as missing_head:
        await cos.head_object(bucket, "ssec")
    assert missing_head.value.status == 400
    # wrong key
    with pytest.raises(AccessDenied) as denied:
        await cos.get_object(bucket, "ssec", sse_customer_key=wrong)
    assert denied.value.status == 403
    assert denied.value.code == "AccessDenied"
    with pytest.raises(AccessDenied):
        await cos.head_object(bucket, "ssec", sse_customer_key=wrong)


async def test_sse_customer_key_must_be_32_bytes(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="32 bytes"):
        await cos.put_object(bucket, "k", b"x", sse_customer_key=b"short")
    assert server.requests.count() == before


async def test_put_retries_a_replayable_body_after_503(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.faults.add(action="error", operation="PutObject", status=503, code="SlowDown", times=2)
    data = blob(1000, seed=8)
    result = await cos.put_object(bucket, "retried", data)
    assert result.crc64 == crc64(data)
    assert server.requests.count("PutObject", key="retried") == 3


async def test_put_one_shot_body_is_not_replayed(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.faults.add(action="error", operation="PutObject", status=500, code="InternalError")

    async def agen() -> AsyncIterator[bytes]:
        yield b"once"

    with pytest.raises(CosServiceError) as info:
        await cos.put_object(bucket, "oneshot", agen())
    assert info.value.code == "InternalError"
    assert info.value.status == 500
    assert server.requests.count("PutObject", key="oneshot") == 1


async def test_put_corrupted_on_the_way_is_resent(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=3)
    data = b"abcdefgh"
    result = await cos.put_object(bucket, "c", data)
    assert result.crc64 == crc64(data)
    assert server.requests.count("PutObject", key="c") == 2
    assert await get_bytes(cos, bucket, "c") == data


async def test_put_corrupted_one_shot_raises_integrity_error(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=3)
    with pytest.raises(IntegrityError, match="CRC64"):
        await cos.put_object(bucket, "c", iter([b"abcdefgh"]))
    assert server.requests.count("PutObject", key="c") == 1


async def test_put_to_missing_bucket(cos: AsyncCosClient) -> None:
    with pytest.raises(NoSuchBucket) as info:
        await cos.put_object("missing-1250000000", "k", b"x")
    assert info.value.status == 404
    assert info.value.bucket == "missing-1250000000"
    assert info.value.request_id


# --- get_object ---------------------------------------------------------------------------------


async def test_get_read_and_meta(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(300_000, seed=20)
    put = await cos.put_object(bucket, "g.bin", data, metadata={"k": "v"})
    body = await cos.get_object(bucket, "g.bin")
    assert body.size == len(data)
    assert body.meta.size == len(data)
    assert body.meta.etag == put.etag
    assert body.meta.crc64 == crc64(data)
    assert body.meta.metadata == {"k": "v"}
    assert body.meta.request_id
    assert await body.read() == data
    assert body.bytes_read == len(data)
    assert body.crc64 == crc64(data)


async def test_get_iter_chunks(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(2_500_000, seed=21)
    await cos.put_object(bucket, "big", data)
    body = await cos.get_object(bucket, "big")
    chunks = [c async for c in body.iter_chunks()]
    assert b"".join(chunks) == data
    assert all(chunks)


async def test_get_iter_chunks_fixed_size(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(300_500, seed=22)
    await cos.put_object(bucket, "big", data)
    body = await cos.get_object(bucket, "big")
    chunks = [c async for c in body.iter_chunks(size=1000)]
    assert [len(c) for c in chunks[:-1]] == [1000] * 300
    assert len(chunks[-1]) == 500
    assert b"".join(chunks) == data


async def test_get_iter_chunks_size_divides_exactly(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(4096 * 70, seed=23)
    await cos.put_object(bucket, "big", data)
    body = await cos.get_object(bucket, "big")
    chunks = [c async for c in body.iter_chunks(size=4096)]
    assert [len(c) for c in chunks] == [4096] * 70
    assert b"".join(chunks) == data


async def test_get_iter_chunks_bad_size(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "k", b"abc")
    async with await cos.get_object(bucket, "k") as body:
        with pytest.raises(InvalidArgument, match="0"):
            async for _ in body.iter_chunks(size=0):
                pass


async def test_body_cannot_be_read_twice(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "k", b"abc")
    body = await cos.get_object(bucket, "k")
    assert await body.read() == b"abc"
    with pytest.raises(InvalidArgument, match="already"):
        await body.read()


async def test_get_save(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    data = blob(1_500_000, seed=24)
    await cos.put_object(bucket, "s", data)
    dest = tmp_path / "out.bin"
    body = await cos.get_object(bucket, "s")
    assert await body.save(dest) == len(data)
    assert dest.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


async def test_get_save_replaces_existing_file(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"old content that is longer")
    await cos.put_object(bucket, "s", b"new")
    body = await cos.get_object(bucket, "s")
    assert await body.save(str(dest)) == 3
    assert dest.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


async def test_get_save_crc_failure_leaves_no_file(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, tmp_path: Path
) -> None:
    data = blob(600_000, seed=25)
    await cos.put_object(bucket, "s", data)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=5)
    dest = tmp_path / "out.bin"
    body = await cos.get_object(bucket, "s")
    with pytest.raises(IntegrityError, match="CRC64"):
        await body.save(dest)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


async def test_get_save_crc_failure_keeps_previous_file(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, tmp_path: Path
) -> None:
    await cos.put_object(bucket, "s", b"0123456789")
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"previous")
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=5)
    body = await cos.get_object(bucket, "s")
    with pytest.raises(IntegrityError):
        await body.save(dest)
    assert dest.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


async def test_get_async_with_leaving_early_releases_connection(
    config: CosConfig, bucket: str
) -> None:
    data = blob(3 << 20, seed=26)
    # One connection in the pool: if leaving early did not give it back, the next request
    # would wait for it forever (wait_for turns that into a failure instead of a hang).
    async with AsyncCosClient(CosConfig(**{**_config_kwargs(config), "pool_size": 1})) as cos:
        await cos.put_object(bucket, "big", data)
        for _ in range(3):
            async with await cos.get_object(bucket, "big") as body:
                async for chunk in body.iter_chunks():
                    assert chunk == data[: len(chunk)]
                    break
            async with await cos.get_object(bucket, "big") as body:
                pass  # not read at all
        got = await asyncio.wait_for(get_bytes(cos, bucket, "big"), 30)
        assert got == data


def _config_kwargs(config: CosConfig) -> dict[str, object]:
    return {
        "region": config.region,
        "secret_id": config.secret_id,
        "secret_key": config.secret_key,
        "endpoint_url": config.endpoint_url,
    }


async def test_get_range(cos: AsyncCosClient, bucket: str) -> None:
    data = b"0123456789abcdef"
    await cos.put_object(bucket, "r", data)
    body = await cos.get_object(bucket, "r", range=(2, 5))
    assert body.size == 4
    assert body.meta.size == len(data)  # the whole object's size (from Content-Range)
    assert await body.read() == b"2345"
    body = await cos.get_object(bucket, "r", range=(5, None))
    assert body.size == len(data) - 5
    assert await body.read() == data[5:]
    body = await cos.get_object(bucket, "r", range=(0, 0))
    assert await body.read() == b"0"
    body = await cos.get_object(bucket, "r", range=(10, 1000))
    assert await body.read() == data[10:]


async def test_get_range_of_a_large_object(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(1_000_000, seed=27)
    await cos.put_object(bucket, "r", data)
    body = await cos.get_object(bucket, "r", range=(100_000, 799_999))
    assert body.size == 700_000
    assert await body.read() == data[100_000:800_000]


async def test_get_version_id(cos: AsyncCosClient, bucket: str, server: LocalCosServer) -> None:
    enable_versioning(server, bucket)
    v1 = await cos.put_object(bucket, "v", b"first")
    v2 = await cos.put_object(bucket, "v", b"second")
    assert v1.version_id
    assert v2.version_id
    assert v1.version_id != v2.version_id
    body = await cos.get_object(bucket, "v", version_id=v1.version_id)
    assert body.meta.version_id == v1.version_id
    assert await body.read() == b"first"
    assert await get_bytes(cos, bucket, "v") == b"second"
    meta = await cos.head_object(bucket, "v", version_id=v1.version_id)
    assert meta.size == 5
    assert meta.version_id == v1.version_id


async def test_get_conditions(cos: AsyncCosClient, bucket: str) -> None:
    put = await cos.put_object(bucket, "c", b"conditional")
    with pytest.raises(PreconditionFailed) as failed:
        await cos.get_object(bucket, "c", if_match='"0123456789abcdef0123456789abcdef"')
    assert failed.value.status == 412
    with pytest.raises(NotModified) as not_modified:
        await cos.get_object(bucket, "c", if_none_match=put.etag)
    assert not_modified.value.status == 304
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    with pytest.raises(NotModified):
        await cos.get_object(bucket, "c", if_modified_since=future)
    past = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(PreconditionFailed):
        await cos.get_object(bucket, "c", if_unmodified_since=past)
    # conditions that hold
    assert await get_bytes(cos, bucket, "c", if_match=put.etag) == b"conditional"
    assert await get_bytes(cos, bucket, "c", if_none_match='"other"') == b"conditional"
    assert await get_bytes(cos, bucket, "c", if_modified_since=past) == b"conditional"
    assert await get_bytes(cos, bucket, "c", if_unmodified_since=future) == b"conditional"


async def test_head_conditions(cos: AsyncCosClient, bucket: str) -> None:
    put = await cos.put_object(bucket, "c", b"conditional")
    with pytest.raises(PreconditionFailed):
        await cos.head_object(bucket, "c", if_match='"nope"')
    with pytest.raises(NotModified):
        await cos.head_object(bucket, "c", if_none_match=put.etag)


async def test_get_response_overrides(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "o.txt", b"text")
    body = await cos.get_object(
        bucket,
        "o.txt",
        response_content_type="application/x-override",
        response_content_disposition='attachment; filename="x y.txt"',
        response_cache_control="no-cache",
        response_content_language="fr",
    )
    assert body.meta.content_type == "application/x-override"
    assert body.meta.content_disposition == 'attachment; filename="x y.txt"'
    assert body.meta.cache_control == "no-cache"
    assert body.meta.content_language == "fr"
    assert await body.read() == b"text"
    assert (await cos.head_object(bucket, "o.txt")).content_type == "text/plain"


async def test_get_corrupt_data_fails_crc_check(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    data = blob(100_000, seed=28)
    await cos.put_object(bucket, "k", data)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=5)
    body = await cos.get_object(bucket, "k")
    with pytest.raises(IntegrityError, match="CRC64"):
        await body.read()


async def test_get_corrupt_data_not_checked_when_verify_crc_off(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    data = blob(1000, seed=29)
    await cos.put_object(bucket, "k", data)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=5)
    body = await cos.get_object(bucket, "k", verify_crc=False)
    got = await body.read()
    assert len(got) == len(data)
    assert got != data
    assert got[5] == data[5] ^ 0xFF
    assert body.crc64 is None


async def test_get_range_is_checked_by_length_only(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    # The CRC64 COS sends describes the whole object, so a ranged read cannot be CRC-checked:
    # only its length is checked. A corrupted range is therefore returned as received.
    data = blob(1000, seed=30)
    await cos.put_object(bucket, "k", data)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=5)
    body = await cos.get_object(bucket, "k", range=(100, 199))
    got = await body.read()
    assert len(got) == 100
    assert got != data[100:200]
    assert got[5] == data[105] ^ 0xFF
    assert body.crc64 is None


async def test_get_truncated_body_is_a_transport_error(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    data = blob(600_000, seed=31)
    await cos.put_object(bucket, "k", data)
    server.faults.add(action="truncate", operation="GetObject", after_bytes=1000)
    body = await cos.get_object(bucket, "k")
    with pytest.raises(CosTransportError):
        await body.read()
    # the client still works afterwards
    assert await get_bytes(cos, bucket, "k") == data


async def test_get_reset_is_a_transport_error(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "k", blob(600_000, seed=32))
    server.faults.add(action="reset", operation="GetObject", after_bytes=10)
    body = await cos.get_object(bucket, "k")
    with pytest.raises(CosTransportError):
        await body.read()


async def test_get_retries_503_before_the_body(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "k", b"data")
    server.faults.add(action="error", operation="GetObject", status=503, times=2)
    assert await get_bytes(cos, bucket, "k") == b"data"
    assert server.requests.count("GetObject", key="k") == 3


async def test_get_missing_key(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey) as info:
        await cos.get_object(bucket, "nope")
    err = info.value
    assert isinstance(err, FileNotFoundError)
    assert err.status == 404
    assert err.code == "NoSuchKey"
    assert err.key == "nope"
    assert err.bucket == bucket
    assert err.method == "GET"
    assert err.request_id


async def test_get_archived_object_refused(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "cold", b"x", storage_class="ARCHIVE")
    with pytest.raises(InvalidObjectState) as info:
        await cos.get_object(bucket, "cold")
    assert info.value.status == 403


# --- head_object / object_exists ---------------------------------------------------------------


async def test_head_object_fields(cos: AsyncCosClient, bucket: str, server: LocalCosServer) -> None:
    data = blob(12_345, seed=40)
    put = await cos.put_object(bucket, "h.bin", data, metadata={"owner": "李四"})
    meta = await cos.head_object(bucket, "h.bin")
    assert meta.size == len(data)
    assert meta.etag == put.etag == md5_etag(data)
    assert meta.crc64 == crc64(data)
    assert meta.metadata == {"owner": "李四"}
    assert meta.version_id is None
    assert meta.object_type == "normal"
    assert meta.storage_class == "STANDARD"
    assert meta.content_type == "application/octet-stream"
    assert meta.tagging_count == 0
    assert meta.request_id
    assert meta.last_modified is not None
    assert meta.last_modified.tzinfo is not None
    stored = server.store.buckets[bucket].objects["h.bin"][-1]
    assert meta.last_modified.timestamp() == int(stored.last_modified)


async def test_head_object_version_id_on_versioned_bucket(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    enable_versioning(server, bucket)
    put = await cos.put_object(bucket, "v", b"x")
    meta = await cos.head_object(bucket, "v")
    assert put.version_id is not None
    assert meta.version_id == put.version_id


async def test_head_missing_key(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey) as info:
        await cos.head_object(bucket, "missing")
    err = info.value
    assert isinstance(err, FileNotFoundError)
    assert err.status == 404
    assert err.code == "NoSuchKey"
    assert err.method == "HEAD"
    assert err.request_id  # from the x-cos-request-id header (a HEAD has no body)


async def test_head_object_in_missing_bucket(cos: AsyncCosClient) -> None:
    # A HEAD answer has no body, so a 404 cannot say whether the key or the bucket is missing;
    # the client names it from the request (a key was asked for): still a FileNotFoundError.
    with pytest.raises(FileNotFoundError):
        await cos.head_object("missing-1250000000", "k")
    with pytest.raises(NoSuchBucket):
        await cos.head_bucket("missing-1250000000")


async def test_object_exists(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "here", b"x")
    assert await cos.object_exists(bucket, "here") is True
    assert await cos.object_exists(bucket, "not-here") is False


async def test_object_exists_other_errors_raise(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "ssec", b"x", sse_customer_key=bytes(32))
    with pytest.raises(CosServiceError) as info:
        await cos.object_exists(bucket, "ssec")
    assert info.value.status == 400


# --- delete --------------------------------------------------------------------------------------


async def test_delete_object(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "d", b"x")
    result = await cos.delete_object(bucket, "d")
    assert result.delete_marker is False
    assert result.version_id is None
    assert result.request_id
    assert await cos.object_exists(bucket, "d") is False


async def test_delete_missing_key_succeeds(cos: AsyncCosClient, bucket: str) -> None:
    result = await cos.delete_object(bucket, "never-existed")
    assert result.delete_marker is False


async def test_delete_on_versioned_bucket_makes_a_marker(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    enable_versioning(server, bucket)
    put = await cos.put_object(bucket, "d", b"x")
    result = await cos.delete_object(bucket, "d")
    assert result.delete_marker is True
    assert result.version_id is not None
    assert result.version_id != put.version_id
    assert await cos.object_exists(bucket, "d") is False
    assert await get_bytes(cos, bucket, "d", version_id=put.version_id) == b"x"
    removed = await cos.delete_object(bucket, "d", version_id=put.version_id)
    assert removed.version_id == put.version_id


async def _put_many(cos: AsyncCosClient, bucket: str, keys: list[str]) -> None:
    sem = asyncio.Semaphore(32)

    async def one(key: str) -> None:
        async with sem:
            await cos.put_object(bucket, key, key.encode())

    await asyncio.gather(*(one(k) for k in keys))


async def test_delete_objects_in_batches(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    keys = [f"batch/{i:05d}" for i in range(2500)]
    await _put_many(cos, bucket, keys)
    result = await cos.delete_objects(bucket, keys)
    assert server.requests.count("DeleteMultipleObjects") == 3
    assert len(result.deleted) == 2500
    assert sorted(d.key for d in result.deleted) == keys
    assert result.errors == ()
    assert len(result.request_ids) == 3
    assert server.store.buckets[bucket].objects == {}


async def test_delete_objects_quiet(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    keys = ["q1", "q2", "q3"]
    await _put_many(cos, bucket, keys)
    result = await cos.delete_objects(bucket, keys, quiet=True)
    assert result.deleted == ()
    assert result.errors == ()
    assert server.store.buckets[bucket].objects == {}


async def test_delete_objects_missing_keys_reported_deleted(
    cos: AsyncCosClient, bucket: str
) -> None:
    result = await cos.delete_objects(bucket, ["ghost-1", "ghost-2"])
    assert sorted(d.key for d in result.deleted) == ["ghost-1", "ghost-2"]


async def test_delete_objects_empty_sends_nothing(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    result = await cos.delete_objects(bucket, [])
    assert result.deleted == ()
    assert server.requests.count() == before


async def test_delete_objects_versions(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    enable_versioning(server, bucket)
    v1 = await cos.put_object(bucket, "k", b"1")
    v2 = await cos.put_object(bucket, "k", b"2")
    other = await cos.put_object(bucket, "other", b"3")
    assert v1.version_id
    assert v2.version_id
    assert other.version_id
    result = await cos.delete_objects(bucket, [("k", v1.version_id), ("k", v2.version_id)])
    assert sorted((d.key, d.version_id) for d in result.deleted) == sorted(
        [("k", v1.version_id), ("k", v2.version_id)]
    )
    assert all(not d.delete_marker for d in result.deleted)
    versions = [v async for v in cos.list_object_versions(bucket)]
    assert [(v.key, v.version_id) for v in versions] == [("other", other.version_id)]
    # a plain key on a versioned bucket creates a delete marker
    marked = await cos.delete_objects(bucket, ["other"])
    assert len(marked.deleted) == 1
    assert marked.deleted[0].delete_marker is True
    assert marked.deleted[0].delete_marker_version_id is not None


async def test_delete_objects_bad_key_refused_before_sending(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match=r"'\.\./x'"):
        await cos.delete_objects(bucket, ["ok", "../x"])
    # a single string is not a list of keys (it would otherwise delete 'a', 'b' and 'c')
    with pytest.raises(InvalidArgument, match="'abc'"):
        await cos.delete_objects(bucket, "abc")
    with pytest.raises(InvalidArgument, match=r"\('k',\)"):
        await cos.delete_objects(bucket, [("k",)])  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match="5"):
        await cos.delete_objects(bucket, [5])  # type: ignore[list-item]
    assert server.requests.count() == before


# --- copy ---------------------------------------------------------------------------------------


async def test_copy_same_bucket(cos: AsyncCosClient, bucket: str) -> None:
    data = blob(5000, seed=50)
    put = await cos.put_object(
        bucket, "src.txt", data, metadata={"a": "1"}, content_type="text/x-src"
    )
    result = await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src.txt")
    assert result.etag == put.etag
    assert result.crc64 == crc64(data)
    assert result.last_modified is not None
    assert result.last_modified.tzinfo is not None
    assert await get_bytes(cos, bucket, "dst") == data
    meta = await cos.head_object(bucket, "dst")
    assert meta.metadata == {"a": "1"}
    assert meta.content_type == "text/x-src"


async def test_copy_key_with_special_characters(cos: AsyncCosClient, bucket: str) -> None:
    key = "dir/a b+c%d&e/数据.txt"
    await cos.put_object(bucket, key, b"special")
    await cos.copy_object(bucket, "copy of " + key, source_bucket=bucket, source_key=key)
    assert await get_bytes(cos, bucket, "copy of " + key) == b"special"


async def test_copy_across_buckets(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    other = server.create_bucket()
    await cos.put_object(bucket, "src", b"cross")
    result = await cos.copy_object(other, "dst", source_bucket=bucket, source_key="src")
    assert result.crc64 == crc64(b"cross")
    assert await get_bytes(cos, other, "dst") == b"cross"
    assert await cos.object_exists(bucket, "dst") is False


async def test_copy_replaced_metadata(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "src", b"x", metadata={"old": "1"}, content_type="text/plain")
    await cos.copy_object(
        bucket,
        "dst.json",
        source_bucket=bucket,
        source_key="src",
        metadata_directive="Replaced",
        metadata={"new": "二"},
    )
    meta = await cos.head_object(bucket, "dst.json")
    assert meta.metadata == {"new": "二"}
    assert meta.content_type == "application/json"  # guessed from the new key
    # copying onto itself is allowed when the metadata is replaced
    await cos.copy_object(
        bucket,
        "src",
        source_bucket=bucket,
        source_key="src",
        metadata_directive="Replaced",
        metadata={"again": "yes"},
        content_type="text/x-new",
    )
    meta = await cos.head_object(bucket, "src")
    assert meta.metadata == {"again": "yes"}
    assert meta.content_type == "text/x-new"


async def test_copy_with_metadata_needs_replaced(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "src", b"x")
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="metadata_directive"):
        await cos.copy_object(
            bucket, "dst", source_bucket=bucket, source_key="src", metadata={"a": "b"}
        )
    with pytest.raises(InvalidArgument, match="metadata_directive"):
        await cos.copy_object(
            bucket, "dst", source_bucket=bucket, source_key="src", content_type="text/plain"
        )
    with pytest.raises(InvalidArgument, match="'Move'"):
        await cos.copy_object(
            bucket,
            "dst",
            source_bucket=bucket,
            source_key="src",
            metadata_directive="Move",  # type: ignore[arg-type]
        )
    assert server.requests.count() == before


async def test_copy_source_conditions(cos: AsyncCosClient, bucket: str) -> None:
    put = await cos.put_object(bucket, "src", b"x")
    with pytest.raises(PreconditionFailed) as info:
        await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src", if_match='"0"')
    assert info.value.status == 412
    with pytest.raises(PreconditionFailed):
        await cos.copy_object(
            bucket, "dst", source_bucket=bucket, source_key="src", if_none_match=put.etag
        )
    assert await cos.object_exists(bucket, "dst") is False
    await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src", if_match=put.etag)
    assert await get_bytes(cos, bucket, "dst") == b"x"


async def test_copy_to_itself_without_changes_refused(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "self", b"x")
    with pytest.raises(CosServiceError) as info:
        await cos.copy_object(bucket, "self", source_bucket=bucket, source_key="self")
    assert info.value.status == 400
    assert info.value.code == "InvalidRequest"


async def test_copy_to_itself_changing_storage_class(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "self", b"x")
    await cos.copy_object(
        bucket, "self", source_bucket=bucket, source_key="self", storage_class="STANDARD_IA"
    )
    assert (await cos.head_object(bucket, "self")).storage_class == "STANDARD_IA"


async def test_copy_missing_source(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey):
        await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="ghost")


async def test_copy_source_version_id(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    enable_versioning(server, bucket)
    v1 = await cos.put_object(bucket, "src", b"version one")
    await cos.put_object(bucket, "src", b"version two")
    result = await cos.copy_object(
        bucket, "dst", source_bucket=bucket, source_key="src", source_version_id=v1.version_id
    )
    assert result.source_version_id == v1.version_id
    assert result.version_id is not None
    assert result.crc64 == crc64(b"version one")
    assert await get_bytes(cos, bucket, "dst") == b"version one"


async def test_copy_late_error_non_retryable(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "src", b"x")
    server.faults.add(
        action="error_after_200", operation="PutObjectCopy", code="AccessDenied", message="nope"
    )
    with pytest.raises(AccessDenied) as info:
        await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src")
    assert info.value.status == 200
    assert info.value.code == "AccessDenied"
    assert info.value.message == "nope"
    assert info.value.request_id
    assert server.requests.count("PutObjectCopy") == 1
    assert await cos.object_exists(bucket, "dst") is False


async def test_copy_late_internal_error_is_retried(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "src", b"x")
    server.faults.add(
        action="error_after_200", operation="PutObjectCopy", code="InternalError", times=1
    )
    result = await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src")
    assert result.crc64 == crc64(b"x")
    assert server.requests.count("PutObjectCopy") == 2
    assert await get_bytes(cos, bucket, "dst") == b"x"


async def test_copy_late_internal_error_forever_exhausts_retries(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "src", b"x")
    server.faults.add(
        action="error_after_200", operation="PutObjectCopy", code="InternalError", times=None
    )
    with pytest.raises(RetryExhausted) as info:
        await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src")
    exc = info.value
    attempts = cos.config.retry.max_attempts
    assert exc.attempts == attempts
    assert isinstance(exc.last_error, CosServiceError)
    assert exc.last_error.status == 200
    assert exc.last_error.code == "InternalError"
    assert exc.__cause__ is exc.last_error
    assert server.requests.count("PutObjectCopy") == attempts


# --- append -------------------------------------------------------------------------------------


async def test_append_object(cos: AsyncCosClient, bucket: str) -> None:
    first = await cos.append_object(bucket, "log.txt", b"abc", position=0)
    assert first.next_position == 3
    assert first.crc64 == crc64(b"abc")
    second = await cos.append_object(bucket, "log.txt", b"defg", position=first.next_position)
    assert second.next_position == 7
    assert second.crc64 == crc64(b"abcdefg")
    assert second.etag == md5_etag(b"abcdefg")
    meta = await cos.head_object(bucket, "log.txt")
    assert meta.object_type == "appendable"
    assert meta.size == 7
    assert meta.content_type == "text/plain"
    assert meta.crc64 == crc64(b"abcdefg")
    assert await get_bytes(cos, bucket, "log.txt") == b"abcdefg"


async def test_append_wrong_position(cos: AsyncCosClient, bucket: str) -> None:
    await cos.append_object(bucket, "a", b"abc", position=0)
    with pytest.raises(PositionNotEqualToLength) as info:
        await cos.append_object(bucket, "a", b"x", position=2)
    assert info.value.status == 409
    assert info.value.code == "PositionNotEqualToLength"
    assert await get_bytes(cos, bucket, "a") == b"abc"


async def test_append_to_normal_object(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "n", b"abc")
    with pytest.raises(ObjectNotAppendable) as info:
        await cos.append_object(bucket, "n", b"x", position=3)
    assert info.value.status == 409


async def test_append_options_only_at_position_zero(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.append_object(
        bucket, "a", b"abc", position=0, content_type="text/x-log", metadata={"m": "1"}
    )
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="position 0"):
        await cos.append_object(bucket, "a", b"x", position=3, content_type="text/plain")
    with pytest.raises(InvalidArgument, match="position 0"):
        await cos.append_object(bucket, "a", b"x", position=3, metadata={"m": "2"})
    with pytest.raises(InvalidArgument, match="-1"):
        await cos.append_object(bucket, "a", b"x", position=-1)
    assert server.requests.count() == before
    meta = await cos.head_object(bucket, "a")
    assert meta.content_type == "text/x-log"
    assert meta.metadata == {"m": "1"}


# --- restore ------------------------------------------------------------------------------------


async def test_restore_archive_object(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "cold", b"frozen", storage_class="ARCHIVE")
    assert (await cos.head_object(bucket, "cold")).storage_class == "ARCHIVE"
    with pytest.raises(InvalidObjectState):
        await cos.get_object(bucket, "cold")
    assert await cos.restore_object(bucket, "cold", days=1) == 202
    assert await cos.restore_object(bucket, "cold", days=2, tier="Bulk") == 200
    meta = await cos.head_object(bucket, "cold")
    assert meta.restore is not None
    assert 'ongoing-request="false"' in meta.restore
    assert await get_bytes(cos, bucket, "cold") == b"frozen"


async def test_restore_refuses_bad_days_before_sending(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match=r"days.*0"):
        await cos.restore_object(bucket, "cold", days=0)
    with pytest.raises(InvalidArgument, match="'Fast'"):
        await cos.restore_object(bucket, "cold", days=1, tier="Fast")  # type: ignore[arg-type]
    assert server.requests.count() == before


async def test_restore_standard_object_refused(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "warm", b"x")
    with pytest.raises(InvalidObjectState):
        await cos.restore_object(bucket, "warm", days=1)


# --- tagging ------------------------------------------------------------------------------------


async def test_object_tagging(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "t", b"x")
    assert await cos.get_object_tagging(bucket, "t") == {}
    tags = {"env": "prod", "owner": "team a", "path": "a/b:c@d"}
    await cos.put_object_tagging(bucket, "t", tags)
    assert await cos.get_object_tagging(bucket, "t") == tags
    assert (await cos.head_object(bucket, "t")).tagging_count == 3
    await cos.put_object_tagging(bucket, "t", {"only": "one"})
    assert await cos.get_object_tagging(bucket, "t") == {"only": "one"}
    await cos.delete_object_tagging(bucket, "t")
    assert await cos.get_object_tagging(bucket, "t") == {}


async def test_object_tagging_of_a_version(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    enable_versioning(server, bucket)
    v1 = await cos.put_object(bucket, "t", b"1")
    await cos.put_object(bucket, "t", b"2")
    await cos.put_object_tagging(bucket, "t", {"v": "one"}, version_id=v1.version_id)
    assert await cos.get_object_tagging(bucket, "t", version_id=v1.version_id) == {"v": "one"}
    assert await cos.get_object_tagging(bucket, "t") == {}


async def test_object_tagging_limits_checked_before_sending(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "t", b"x")
    before = server.requests.count()
    eleven = {f"k{i}": "v" for i in range(11)}
    with pytest.raises(InvalidArgument, match="11"):
        await cos.put_object_tagging(bucket, "t", eleven)
    with pytest.raises(InvalidArgument, match="11"):
        await cos.put_object(bucket, "t2", b"x", tagging=eleven)
    with pytest.raises(InvalidArgument, match="'k#'"):
        await cos.put_object_tagging(bucket, "t", {"k#": "v"})
    assert server.requests.count() == before


async def test_tagging_missing_object(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey):
        await cos.get_object_tagging(bucket, "ghost")


# --- ACL ----------------------------------------------------------------------------------------


async def test_put_object_acl_canned(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "acl", b"x")
    policy = await cos.get_object_acl(bucket, "acl")
    owner = server.app.owner_id
    assert policy.owner_id == owner
    assert [(g.permission, g.id, g.uri) for g in policy.grants] == [("FULL_CONTROL", owner, None)]
    await cos.put_object_acl(bucket, "acl", acl="public-read")
    policy = await cos.get_object_acl(bucket, "acl")
    assert [(g.permission, g.id, g.uri) for g in policy.grants] == [
        ("FULL_CONTROL", owner, None),
        ("READ", None, ALL_USERS),
    ]
    assert policy.headers["x-cos-acl"] == "public-read"


async def test_put_object_acl_grants(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "acl", b"x")
    await cos.put_object_acl(
        bucket,
        "acl",
        grants=[
            Grant(permission="READ", uri=ALL_USERS),
            Grant(permission="WRITE_ACP", id=OTHER_UIN),
        ],
    )
    policy = await cos.get_object_acl(bucket, "acl")
    assert [(g.permission, g.id, g.uri) for g in policy.grants] == [
        ("READ", None, ALL_USERS),
        ("WRITE_ACP", OTHER_UIN, None),
    ]


async def test_put_object_acl_grant_header(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "acl", b"x")
    await cos.put_object_acl(bucket, "acl", grant_full_control='id="100000000002"')
    policy = await cos.get_object_acl(bucket, "acl")
    assert ("FULL_CONTROL", OTHER_UIN) in [(g.permission, g.id) for g in policy.grants]


async def test_put_object_acl_input_checks(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "acl", b"x")
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="acl"):
        await cos.put_object_acl(bucket, "acl")
    with pytest.raises(InvalidArgument, match="'public-read-write'"):
        await cos.put_object_acl(bucket, "acl", acl="public-read-write")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="not both"):
        await cos.put_object_acl(
            bucket, "acl", acl="private", grants=[Grant(permission="READ", uri=ALL_USERS)]
        )
    with pytest.raises(InvalidArgument, match="'READ_ALL'"):
        await cos.put_object_acl(bucket, "acl", grants=[Grant(permission="READ_ALL", id="1")])
    with pytest.raises(InvalidArgument, match="id or a uri"):
        await cos.put_object_acl(bucket, "acl", grants=[Grant(permission="READ")])
    with pytest.raises(InvalidArgument, match="grant_read"):
        await cos.put_object_acl(bucket, "acl", grant_read="100000000002")
    assert server.requests.count() == before


# --- presigned URLs -----------------------------------------------------------------------------


async def test_presigned_get(
    cos: AsyncCosClient, bucket: str, session: aiohttp.ClientSession
) -> None:
    key = "dir/a b+c%&数据.txt"
    await cos.put_object(bucket, key, b"presigned data")
    url = await cos.presign_url("GET", bucket, key, expires=60)
    assert "q-signature=" in url
    assert "q-sign-algorithm=sha1" in url
    async with session.get(URL(url, encoded=True)) as resp:
        assert resp.status == 200
        assert await resp.read() == b"presigned data"


async def test_presigned_put(
    cos: AsyncCosClient, bucket: str, session: aiohttp.ClientSession
) -> None:
    url = await cos.presign_url("put", bucket, "uploaded.bin", expires=120)
    data = blob(10_000, seed=60)
    async with session.put(URL(url, encoded=True), data=data) as resp:
        assert resp.status == 200
        await resp.read()
    assert await get_bytes(cos, bucket, "uploaded.bin") == data


async def test_presigned_url_expired(
    cos: AsyncCosClient, bucket: str, session: aiohttp.ClientSession
) -> None:
    await cos.put_object(bucket, "k", b"x")
    url = await cos.presign_url("GET", bucket, "k", expires=60, now=int(time.time()) - 10000)
    async with session.get(URL(url, encoded=True)) as resp:
        assert resp.status == 403
        assert b"<Code>AccessDenied</Code>" in await resp.read()


async def test_presigned_url_tampered(
    cos: AsyncCosClient, bucket: str, session: aiohttp.ClientSession
) -> None:
    await cos.put_object(bucket, "k", b"x")
    await cos.put_object(bucket, "other", b"y")
    url = await cos.presign_url("GET", bucket, "k", expires=60)
    base, _, query = url.partition("?")
    fields = dict(item.split("=", 1) for item in query.split("&"))
    sig = fields["q-signature"]
    fields["q-signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]
    tampered = base + "?" + "&".join(f"{k}={v}" for k, v in fields.items())
    async with session.get(URL(tampered, encoded=True)) as resp:
        assert resp.status == 403
        assert b"SignatureDoesNotMatch" in await resp.read()
    # the signature is bound to the key: reusing it for another key fails too
    other = url.replace(f"/{bucket}/k?", f"/{bucket}/other?")
    async with session.get(URL(other, encoded=True)) as resp:
        assert resp.status == 403
        await resp.read()
    # and to the method
    async with session.delete(URL(url, encoded=True)) as resp:
        assert resp.status == 403
        await resp.read()
    assert await cos.object_exists(bucket, "k")


async def test_presigned_url_extra_params_signed(
    cos: AsyncCosClient, bucket: str, session: aiohttp.ClientSession
) -> None:
    await cos.put_object(bucket, "report", b"a,b\n1,2\n")
    url = await cos.presign_url(
        "GET",
        bucket,
        "report",
        params={"response-content-type": "text/csv", "response-cache-control": "no-store"},
    )
    assert "response-content-type=text%2Fcsv" in url
    assert "q-url-param-list=response-cache-control%3Bresponse-content-type" in url
    async with session.get(URL(url, encoded=True)) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/csv"
        assert resp.headers["Cache-Control"] == "no-store"
        assert await resp.read() == b"a,b\n1,2\n"
    # changing a signed parameter breaks the signature
    changed = url.replace("text%2Fcsv", "text%2Fhtml")
    async with session.get(URL(changed, encoded=True)) as resp:
        assert resp.status == 403
        await resp.read()


async def test_presign_input_checks(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(InvalidArgument, match="0"):
        await cos.presign_url("GET", bucket, "k", expires=0)
    with pytest.raises(InvalidArgument, match="604801"):
        await cos.presign_url("GET", bucket, "k", expires=604801)
    with pytest.raises(InvalidArgument, match="'\\.\\./k'"):
        await cos.presign_url("GET", bucket, "../k")


async def test_presign_needs_credentials(server: LocalCosServer, bucket: str) -> None:
    anonymous = CosConfig(region=server.region, endpoint_url=server.endpoint, anonymous=True)
    async with AsyncCosClient(anonymous) as cos:
        with pytest.raises(InvalidArgument, match="credentials"):
            await cos.presign_url("GET", bucket, "k")


async def test_object_url(cos: AsyncCosClient, bucket: str, server: LocalCosServer) -> None:
    assert cos.object_url(bucket, "a.txt") == f"{server.endpoint}/{bucket}/a.txt"
    assert (
        cos.object_url(bucket, "dir/a b+c%.txt")
        == f"{server.endpoint}/{bucket}/dir/a%20b%2Bc%25.txt"
    )
    assert cos.object_url(bucket, "数") == f"{server.endpoint}/{bucket}/%E6%95%B0"


def test_object_url_virtual_hosted() -> None:
    cos = AsyncCosClient(CosConfig(region="ap-beijing", secret_id="id", secret_key="key"))
    assert (
        cos.object_url("photos-1250000000", "a b.jpg")
        == "https://photos-1250000000.cos.ap-beijing.myqcloud.com/a%20b.jpg"
    )


# --- input validation before any request --------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "shown"),
    [("", "''"), ("../x", "'../x'"), ("a/..", "'a/..'"), (".", "'.'"), ("a/../..", "'a/../..'")],
)
async def test_bad_keys_refused_before_any_request(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, key: str, shown: str
) -> None:
    before = server.requests.count()
    for call in (
        cos.put_object(bucket, key, b"x"),
        cos.get_object(bucket, key),
        cos.head_object(bucket, key),
        cos.delete_object(bucket, key),
    ):
        with pytest.raises(InvalidArgument) as info:
            await call
        assert shown in str(info.value)
    assert server.requests.count() == before


async def test_keys_with_dots_that_stay_inside_are_allowed(
    cos: AsyncCosClient, bucket: str
) -> None:
    for key in ("a/../b", "./c", "d/./e", "..f", "g..", "h/.../i"):
        await cos.put_object(bucket, key, key.encode())
        assert await get_bytes(cos, bucket, key) == key.encode()
    keys = sorted([o.key async for o in cos.list_objects(bucket)])
    assert keys == sorted(["a/../b", "./c", "d/./e", "..f", "g..", "h/.../i"])


async def test_invalid_arguments_refused_before_any_request(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, tmp_path: Path
) -> None:
    text_file = tmp_path / "t.txt"
    text_file.write_text("hello")
    before = server.requests.count()

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", metadata={"big": "v" * 2100})
    assert "metadata" in str(info.value)

    for bad in (819199, 838860801):
        with pytest.raises(InvalidArgument) as info:
            await cos.put_object(bucket, "k", b"x", traffic_limit=bad)
        assert repr(bad) in str(info.value)
        with pytest.raises(InvalidArgument) as info:
            await cos.get_object(bucket, "k", traffic_limit=bad)
        assert repr(bad) in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", storage_class="GLACIER")
    assert "'GLACIER'" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", acl="public-read-write")  # type: ignore[arg-type]
    assert "'public-read-write'" in str(info.value)

    with text_file.open("r") as f, pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", f)  # type: ignore[arg-type]
    assert "text mode 'r'" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", 12345)  # type: ignore[arg-type]
    assert "12345" in str(info.value)
    assert "data" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", str(tmp_path / "no-such-file"))
    assert repr(str(tmp_path / "no-such-file")) in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.get_object(bucket, "k", range=(5, 2))
    assert "(5, 2)" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.get_object(bucket, "k", range=(-1, 2))
    assert "(-1, 2)" in str(info.value)

    for bad_range in ((0, "5"), 5, (1, 2, 3), [0, 5]):
        with pytest.raises(InvalidArgument) as info:
            await cos.get_object(bucket, "k", range=bad_range)  # type: ignore[arg-type]
        assert repr(bad_range) in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", sse="AES128")  # type: ignore[arg-type]
    assert "'AES128'" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", metadata={"bad name": "v"})
    assert "'bad name'" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", metadata={"m": "line\nbreak"})
    assert "'m'" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", content_type="text/plain\r\nX-Evil: 1")
    assert "Content-Type" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", extra_headers={"Authorization": "x"})
    assert "'Authorization'" in str(info.value)

    with pytest.raises(InvalidArgument) as info:
        await cos.put_object(bucket, "k", b"x", expires=12)  # type: ignore[arg-type]
    assert "expires" in str(info.value)

    assert server.requests.count() == before


async def test_metadata_size_limit_is_exact(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    # the limit counts the full header name and the UTF-8 value: 'x-cos-meta-m' is 12 bytes
    await cos.put_object(bucket, "ok", b"x", metadata={"m": "v" * (2048 - 12)})
    assert (await cos.head_object(bucket, "ok")).metadata == {"m": "v" * (2048 - 12)}
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="2049 bytes"):
        await cos.put_object(bucket, "big", b"x", metadata={"m": "v" * (2048 - 11)})
    with pytest.raises(InvalidArgument, match="metadata"):
        await cos.put_object(bucket, "big", b"x", metadata={"m": "张" * 700})
    assert server.requests.count() == before


async def test_client_closed_refuses_requests(config: CosConfig, bucket: str) -> None:
    cos = AsyncCosClient(config)
    await cos.put_object(bucket, "k", b"x")
    await cos.aclose()
    await cos.aclose()  # idempotent
    with pytest.raises(CosClientError, match="closed"):
        await cos.put_object(bucket, "k", b"x")


def test_sse_customer_key_must_be_bytes() -> None:
    with pytest.raises(InvalidArgument, match="32 bytes"):
        sse_customer_headers("k" * 32, "p-")  # type: ignore[arg-type]


async def test_repr_of_body(cos: AsyncCosClient, bucket: str) -> None:
    put = await cos.put_object(bucket, "k", b"abc")
    async with await cos.get_object(bucket, "k") as body:
        assert repr(body) == f"ObjectBody(size=3, etag={put.etag!r})"


# --- more body kinds, replays and edge cases -----------------------------------------------------


async def test_put_open_file_is_replayed_after_503(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, tmp_path: Path
) -> None:
    data = blob(50_000, seed=70)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    server.faults.add(action="error", operation="PutObject", status=503, times=1)
    with path.open("rb") as f:
        f.seek(1000)
        result = await cos.put_object(bucket, "replayed", f)
    assert server.requests.count("PutObject", key="replayed") == 2
    assert result.crc64 == crc64(data[1000:])
    assert await get_bytes(cos, bucket, "replayed") == data[1000:]


async def test_put_file_at_offset_with_content_md5_and_corruption(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, tmp_path: Path
) -> None:
    data = blob(50_000, seed=71)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=10)
    with path.open("rb") as f:
        f.seek(7)
        # Content-MD5 covers only the rest of the file; the server then refuses the damaged
        # copy (BadDigest, not retried) rather than storing it
        with pytest.raises(BadDigest):
            await cos.put_object(bucket, "md5-rest", f, content_md5=True)
        f.seek(7)
        result = await cos.put_object(bucket, "md5-rest", f, content_md5=True)
    assert result.etag == md5_etag(data[7:])
    assert await get_bytes(cos, bucket, "md5-rest") == data[7:]


async def test_put_bytesio_replayed_from_its_position(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    buf = io.BytesIO(b"skip:payload")
    buf.seek(5)
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=0)
    result = await cos.put_object(bucket, "bio", buf)
    assert server.requests.count("PutObject", key="bio") == 2
    assert result.crc64 == crc64(b"payload")
    assert await get_bytes(cos, bucket, "bio") == b"payload"


async def test_put_async_file_object(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    import aiofiles

    data = blob(3 * (1 << 20) + 5, seed=72)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    async with aiofiles.open(path, "rb") as f:
        result = await cos.put_object(bucket, "aio", f)
    assert result.crc64 == crc64(data)
    assert await get_bytes(cos, bucket, "aio") == data


class _Reader:
    """A readable object that cannot seek (like a pipe): a one-shot body."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(n)


async def test_put_non_seekable_reader(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    data = blob(2_500_000, seed=73)
    assert make_body(_Reader(data)).replayable is False
    result = await cos.put_object(bucket, "pipe", _Reader(data))
    assert result.crc64 == crc64(data)
    assert await get_bytes(cos, bucket, "pipe") == data
    server.faults.add(action="error", operation="PutObject", status=503, times=1)
    # (a small body: the server answers the fault before reading it, and a large unread body
    # would keep the server's connection lingering for 10 s at shutdown)
    with pytest.raises(CosServiceError) as info:
        await cos.put_object(bucket, "pipe2", _Reader(data[:10_000]))
    assert info.value.status == 503
    assert server.requests.count("PutObject", key="pipe2") == 1


async def test_put_corrupted_every_time_exhausts_retries(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=0, times=None)
    with pytest.raises(RetryExhausted) as info:
        await cos.put_object(bucket, "bad", b"abc")
    assert isinstance(info.value.last_error, IntegrityError)
    attempts = cos.config.retry.max_attempts
    assert info.value.attempts == attempts
    assert server.requests.count("PutObject", key="bad") == attempts


@pytest.mark.parametrize("key", ["a//b", "trail/", "x?y#z", "%", "a\tb", "a/./b"])
async def test_unusual_keys_round_trip(cos: AsyncCosClient, bucket: str, key: str) -> None:
    await cos.put_object(bucket, key, key.encode())
    assert await get_bytes(cos, bucket, key) == key.encode()
    assert (await cos.head_object(bucket, key)).size == len(key.encode())
    assert [o.key async for o in cos.list_objects(bucket)] == [key]
    await cos.copy_object(bucket, key + ".copy", source_bucket=bucket, source_key=key)
    assert await get_bytes(cos, bucket, key + ".copy") == key.encode()
    result = await cos.delete_objects(bucket, [key, key + ".copy"])
    assert sorted(d.key for d in result.deleted) == sorted([key, key + ".copy"])
    assert [o.key async for o in cos.list_objects(bucket)] == []


async def test_delete_objects_special_keys(cos: AsyncCosClient, bucket: str) -> None:
    keys = ["a&b", "<x>", 'q"uote', "sp ace ", "数据", "plus+"]
    for key in keys:
        await cos.put_object(bucket, key, b"x")
    result = await cos.delete_objects(bucket, keys)
    assert sorted(d.key for d in result.deleted) == sorted(keys)
    assert [o.key async for o in cos.list_objects(bucket)] == []


async def test_get_range_beyond_the_end(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "r", b"0123456789")
    with pytest.raises(InvalidRange) as info:
        await cos.get_object(bucket, "r", range=(10, None))
    assert info.value.status == 416


async def test_save_to_missing_directory_releases_the_connection(
    config: CosConfig, bucket: str, tmp_path: Path
) -> None:
    data = blob(1_000_000, seed=74)
    async with AsyncCosClient(CosConfig(**{**_config_kwargs(config), "pool_size": 1})) as cos:
        await cos.put_object(bucket, "k", data)
        body = await cos.get_object(bucket, "k")
        with pytest.raises(FileNotFoundError):
            await body.save(tmp_path / "no-such-dir" / "out.bin")
        # the only pooled connection is free again
        assert await asyncio.wait_for(get_bytes(cos, bucket, "k"), 30) == data
    assert list(tmp_path.iterdir()) == []


async def test_presigned_url_with_signed_headers(
    cos: AsyncCosClient, bucket: str, session: aiohttp.ClientSession
) -> None:
    url = await cos.presign_url("PUT", bucket, "typed", headers={"Content-Type": "text/plain"})
    async with session.put(
        URL(url, encoded=True), data=b"wrong type", headers={"Content-Type": "text/html"}
    ) as resp:
        assert resp.status == 403
        await resp.read()
    async with session.put(
        URL(url, encoded=True), data=b"typed", headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status == 200
        await resp.read()
    assert (await cos.head_object(bucket, "typed")).content_type == "text/plain"


async def test_acl_of_missing_object(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey):
        await cos.put_object_acl(bucket, "ghost", acl="private")
    with pytest.raises(NoSuchKey):
        await cos.get_object_acl(bucket, "ghost")


async def test_copy_sse_customer_keys(cos: AsyncCosClient, bucket: str) -> None:
    key1 = bytes(range(32))
    key2 = bytes(range(100, 132))
    await cos.put_object(bucket, "src", b"encrypted source", sse_customer_key=key1)
    with pytest.raises(CosServiceError) as info:
        await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src")
    assert info.value.status == 400
    with pytest.raises(AccessDenied):
        await cos.copy_object(
            bucket, "dst", source_bucket=bucket, source_key="src", source_sse_customer_key=key2
        )
    # decrypted with the source key, stored under another key
    await cos.copy_object(
        bucket,
        "dst",
        source_bucket=bucket,
        source_key="src",
        source_sse_customer_key=key1,
        sse_customer_key=key2,
    )
    assert await get_bytes(cos, bucket, "dst", sse_customer_key=key2) == b"encrypted source"
    with pytest.raises(AccessDenied):
        await cos.get_object(bucket, "dst", sse_customer_key=key1)
    # or stored without encryption
    await cos.copy_object(
        bucket, "plain", source_bucket=bucket, source_key="src", source_sse_customer_key=key1
    )
    assert await get_bytes(cos, bucket, "plain") == b"encrypted source"


async def test_copy_tagging_and_acl(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "src", b"x", tagging={"from": "source"})
    await cos.copy_object(bucket, "same-tags", source_bucket=bucket, source_key="src")
    assert await cos.get_object_tagging(bucket, "same-tags") == {"from": "source"}
    await cos.copy_object(
        bucket,
        "new-tags",
        source_bucket=bucket,
        source_key="src",
        tagging={"from": "copy"},
        acl="public-read",
    )
    assert await cos.get_object_tagging(bucket, "new-tags") == {"from": "copy"}
    policy = await cos.get_object_acl(bucket, "new-tags")
    assert Grant(permission="READ", uri=ALL_USERS) in policy.grants


async def test_http_date_strings_passed_through(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "d", b"dated", expires="Thu, 01 Jan 2037 00:00:00 GMT")
    assert (await cos.head_object(bucket, "d")).expires == "Thu, 01 Jan 2037 00:00:00 GMT"
    with pytest.raises(NotModified):
        await cos.head_object(bucket, "d", if_modified_since="Thu, 01 Jan 2037 00:00:00 GMT")
    meta = await cos.head_object(bucket, "d", if_modified_since="Sat, 01 Jan 2000 00:00:00 GMT")
    assert meta.size == 5
    body = await cos.get_object(bucket, "d", response_expires="Fri, 02 Jan 2037 00:00:00 GMT")
    assert body.meta.expires == "Fri, 02 Jan 2037 00:00:00 GMT"
    assert await body.read() == b"dated"


@contextlib.asynccontextmanager
async def _stub_server(body: bytes) -> AsyncIterator[str]:
    """A bare HTTP server answering every request 200 with keep-alive whitespace, then ``body``
    (the local COS server strips the XML declaration from late errors; real COS documents carry
    one)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(
            status=200, headers={"x-cos-request-id": "stub-rid", "Content-Type": "application/xml"}
        )
        await resp.prepare(request)
        await resp.write(b" \n ")
        await resp.write(body)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        sockets = getattr(site._server, "sockets", None) or []
        yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    finally:
        await runner.cleanup()


LATE_ERROR_WITH_DECLARATION = (
    b"<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>AccessDenied</Code>\n"
    b"\t<Message>late failure</Message>\n\t<RequestId>doc-rid</RequestId>\n</Error>"
)


async def test_late_error_with_xml_declaration_is_raised() -> None:
    async with _stub_server(LATE_ERROR_WITH_DECLARATION) as endpoint:
        config = CosConfig(
            region="ap-guangzhou", secret_id="id", secret_key="k", endpoint_url=endpoint
        )
        async with AsyncCosClient(config) as cos:
            with pytest.raises(AccessDenied) as info:
                await cos.copy_object(
                    "b-1250000000", "dst", source_bucket="b-1250000000", source_key="src"
                )
            assert info.value.status == 200
            assert info.value.message == "late failure"
            assert info.value.request_id == "doc-rid"
            with pytest.raises(AccessDenied):
                await cos.complete_multipart_upload("b-1250000000", "k", "upload", [(1, '"e"')])


@pytest.mark.parametrize(
    "header", ["x-cos-copy-source", "X-Cos-Copy-Source-If-Match", "x-cos-metadata-directive"]
)
async def test_extra_headers_cannot_set_what_the_client_sets(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, header: str
) -> None:
    await cos.put_object(bucket, "src", b"source")
    with pytest.raises(InvalidArgument, match="must not set"):
        await cos.put_object(bucket, "k", b"x", extra_headers={header: f"{bucket}/src"})
    with pytest.raises(InvalidArgument, match="must not set"):
        await cos.copy_object(
            bucket, "k", source_bucket=bucket, source_key="src", extra_headers={header: "x"}
        )
    assert server.requests.count("PutObjectCopy") == 0
    assert not await cos.object_exists(bucket, "k")
