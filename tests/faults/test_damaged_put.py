"""A failed upload never leaves a damaged object under its key (issue 16, item 10).

When COS's CRC-64 of what it stored differs from what was sent, that object is not ours: it is
deleted before the error is raised (in a versioned bucket, its version, so that the previous
version is current again), and the error says so. A retry that succeeds after damaged attempts
leaves no damaged version behind either.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from cos_async import (
    AsyncCosClient,
    IntegrityError,
    NoSuchKey,
    VersioningConfiguration,
)
from cos_async._transport import HttpRequest, Response, Transport
from cos_async.testing import LocalCosServer
from tests.seams import engine

MiB = 1024 * 1024


def _data(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


async def _versions(cos: AsyncCosClient, bucket: str, key: str) -> list[tuple[str, bool]]:
    return [
        (v.version_id, v.is_latest)
        async for v in cos.list_object_versions(bucket, prefix=key)
        if v.key == key
    ]


def _chunks(data: bytes) -> Iterator[bytes]:
    """A one-shot body (never replayed: a damaged attempt is final)."""
    yield data[: len(data) // 2]
    yield data[len(data) // 2 :]


async def test_a_one_shot_put_stored_damaged_is_deleted(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", b"the previous object")
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=100)
    with pytest.raises(IntegrityError, match="the damaged object COS stored under 'k' was deleted"):
        await cos.put_object(bucket, "k", _chunks(_data(1000)))
    with pytest.raises(NoSuchKey):
        await cos.head_object(bucket, "k")


async def test_a_put_damaged_on_every_attempt_is_deleted(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=10, times=None)
    with pytest.raises(IntegrityError, match="was deleted") as info:
        await cos.put_object(bucket, "k", _data(1000))
    assert info.value.attempts == cos.config.retry.max_attempts  # type: ignore[attr-defined]
    with pytest.raises(NoSuchKey):
        await cos.head_object(bucket, "k")


async def test_upload_file_in_one_put_stored_damaged_is_deleted(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.write_bytes(_data(3 * MiB))
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=5, times=None)
    with pytest.raises(IntegrityError, match="was deleted"):
        await cos.upload_file(bucket, "k", src, threshold=8 * MiB)
    assert [o.key async for o in cos.list_objects(bucket)] == []


async def test_in_a_versioned_bucket_the_previous_version_is_current_again(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Enabled"))
    first = await cos.put_object(bucket, "k", b"version one")
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=10, times=None)
    with pytest.raises(IntegrityError, match=r"the 4 damaged version\(s\) COS stored were deleted"):
        await cos.put_object(bucket, "k", _data(1000))
    assert await _versions(cos, bucket, "k") == [(first.version_id, True)]
    assert await (await cos.get_object(bucket, "k")).read() == b"version one"


async def test_a_retry_that_succeeds_leaves_no_damaged_version(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Enabled"))
    first = await cos.put_object(bucket, "k", b"version one")
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=10)
    data = _data(1000)
    second = await cos.put_object(bucket, "k", data)
    assert server.requests.count("PutObject") == 3  # first, damaged, retried
    assert sorted(await _versions(cos, bucket, "k")) == sorted(
        [(first.version_id, False), (second.version_id, True)]
    )
    assert await (await cos.get_object(bucket, "k")).read() == data


class _WrongAssembly:
    """A transport under which COS reports, for a completed upload, a CRC-64 that is not the
    parts' (what an object assembled wrongly looks like to the client)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    async def send(self, request: HttpRequest) -> Response:
        resp = await self.inner.send(request)
        if request.method == "POST" and "uploadId=" in request.url:
            headers = CIMultiDict(resp.headers)
            headers["x-cos-hash-crc64ecma"] = "12345"
            resp.headers = CIMultiDictProxy(headers)
        return resp

    async def close(self) -> None:
        await self.inner.close()

    def interrupt(self) -> None:
        self.inner.interrupt()

    @property
    def closed(self) -> bool:
        return self.inner.closed


@pytest.mark.parametrize("versioned", [False, True])
async def test_a_multipart_upload_assembled_wrongly_is_deleted(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, versioned: bool
) -> None:
    if versioned:
        await cos.put_bucket_versioning(bucket, VersioningConfiguration(status="Enabled"))
    first = await cos.put_object(bucket, "k", b"before")
    src = tmp_path / "src"
    src.write_bytes(_data(3 * MiB))
    eng = engine(cos)
    eng.transport = _WrongAssembly(eng.transport)
    with pytest.raises(IntegrityError, match=r"COS assembled CRC64 12345.*deleted"):
        await cos.upload_file(bucket, "k", src, part_size=MiB)
    if versioned:
        assert await _versions(cos, bucket, "k") == [(first.version_id, True)]
    else:
        with pytest.raises(NoSuchKey):
            await cos.head_object(bucket, "k")
    assert [u async for u in cos.list_multipart_uploads(bucket)] == []
