"""Transfers under injected faults: retried parts, resets, damaged bodies, late errors,
cancellation and permanent failures (aborted unless a checkpoint keeps them for a resume)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from cos_async import AccessDenied, AsyncCosClient, CosError
from cos_async._crc64 import crc64
from cos_async._transport import HttpRequest
from cos_async.testing import LocalCosServer
from tests.seams import record, wants_range

MiB = 1024 * 1024


def _data(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _read(cos: AsyncCosClient, bucket: str, key: str) -> bytes:
    async with await cos.get_object(bucket, key) as body:
        return await body.read()


async def _uploads(cos: AsyncCosClient, bucket: str) -> list[tuple[str, str]]:
    return [(u.key, u.upload_id) async for u in cos.list_multipart_uploads(bucket)]


def _parts(server: LocalCosServer, key: str, status: int | None = None) -> list[int]:
    return sorted(
        r.part_number or 0
        for r in server.requests.records()
        if r.operation == "UploadPart" and r.key == key and (status is None or r.status == status)
    )


async def _poll(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (the per-test timeout bounds the wait)."""
    while True:
        if condition():
            return
        await asyncio.sleep(0.01)


async def _wait_for(server: LocalCosServer, operation: str, count: int = 1) -> None:
    await _poll(lambda: server.requests.count(operation) >= count)


@pytest.fixture
def src6(tmp_path: Path) -> tuple[Path, bytes]:
    """A file of six 1 MiB parts (the last one short)."""
    data = _data(5 * MiB + 4321, seed=1)
    path = tmp_path / "src.bin"
    path.write_bytes(data)
    return path, data


async def _check_object(cos: AsyncCosClient, bucket: str, key: str, data: bytes) -> None:
    assert _sha(await _read(cos, bucket, key)) == _sha(data)
    assert (await cos.head_object(bucket, key)).crc64 == crc64(data)
    assert await _uploads(cos, bucket) == []


# --- parts that fail once ---------------------------------------------------------------------


async def test_part_503_then_success(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, src6: tuple[Path, bytes]
) -> None:
    path, data = src6
    rule = server.faults.add(
        action="error", operation="UploadPart", part_number=2, status=503, code="SlowDown"
    )
    result = await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=3)
    assert server.faults.fired(rule) == 1
    assert _parts(server, "k") == [1, 2, 2, 3, 4, 5, 6]
    assert _parts(server, "k", status=503) == [2]
    assert _parts(server, "k", status=200) == [1, 2, 3, 4, 5, 6]
    assert result.crc64 == crc64(data)
    await _check_object(cos, bucket, "k", data)


async def test_part_connection_reset_then_success(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, src6: tuple[Path, bytes]
) -> None:
    path, data = src6
    rule = server.faults.add(
        action="reset", operation="UploadPart", part_number=2, after_bytes=200_000
    )
    result = await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=2)
    assert server.faults.fired(rule) == 1
    assert _parts(server, "k").count(2) >= 2
    assert _parts(server, "k", status=200) == [1, 2, 3, 4, 5, 6]
    assert result.crc64 == crc64(data)
    await _check_object(cos, bucket, "k", data)


async def test_part_reset_every_time_gives_up_and_aborts(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, src6: tuple[Path, bytes]
) -> None:
    path, _ = src6
    server.faults.add(
        action="reset", operation="UploadPart", part_number=3, after_bytes=1000, times=None
    )
    with pytest.raises(CosError):
        await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=2)
    assert _parts(server, "k").count(3) >= cos.config.retry.max_attempts
    assert 3 not in _parts(server, "k", status=200)
    assert server.requests.count("AbortMultipartUpload", key="k") == 1
    assert server.requests.count("CompleteMultipartUpload") == 0
    assert await _uploads(cos, bucket) == []
    assert not await cos.object_exists(bucket, "k")


async def test_corrupted_part_detected_and_sent_again(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, src6: tuple[Path, bytes]
) -> None:
    path, data = src6
    rule = server.faults.add(
        action="corrupt", operation="UploadPart", part_number=3, after_bytes=77
    )
    result = await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=2)
    assert server.faults.fired(rule) == 1
    # the damaged part was stored (200) but its CRC64 gave it away: it was sent again
    assert _parts(server, "k", status=200) == [1, 2, 3, 3, 4, 5, 6]
    assert result.crc64 == crc64(data)
    await _check_object(cos, bucket, "k", data)


async def test_complete_error_after_200_is_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, src6: tuple[Path, bytes]
) -> None:
    path, data = src6
    rule = server.faults.add(
        action="error_after_200",
        operation="CompleteMultipartUpload",
        status=500,
        code="InternalError",
        message="We encountered an internal error. Please try again.",
    )
    result = await cos.upload_file(bucket, "k", path, part_size=MiB)
    assert server.faults.fired(rule) == 1
    assert server.requests.count("CompleteMultipartUpload", key="k") == 2
    assert _parts(server, "k") == [1, 2, 3, 4, 5, 6]  # the parts were not sent again
    assert result.crc64 == crc64(data)
    await _check_object(cos, bucket, "k", data)


async def test_stream_part_503_then_success(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = _data(4 * MiB + 1, seed=2)

    async def gen() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 250_000):
            yield data[i : i + 250_000]

    server.faults.add(action="error", operation="UploadPart", part_number=4, status=503)
    result = await cos.upload_stream(bucket, "s", gen(), part_size=MiB)
    assert _parts(server, "s") == [1, 2, 3, 4, 4, 5]
    assert result.crc64 == crc64(data)
    await _check_object(cos, bucket, "s", data)


async def test_copy_part_error_after_200_is_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = _data(3 * MiB, seed=3)
    await cos.put_object(bucket, "src", data)
    server.faults.add(
        action="error_after_200", operation="UploadPartCopy", status=500, code="InternalError"
    )
    result = await cos.copy(bucket, "src", bucket, "dst", threshold=MiB, part_size=MiB)
    assert server.requests.count("UploadPartCopy", key="dst") == 4
    assert result.crc64 == crc64(data)
    await _check_object(cos, bucket, "dst", data)


@pytest.mark.parametrize(
    ("action", "after"),
    [("truncate", 100_000), ("reset", 100_000), ("error", 0), ("corrupt", 5)],
)
async def test_download_range_fault_then_success(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    action: str,
    after: int,
) -> None:
    data = _data(4 * MiB + 99, seed=4)
    await cos.put_object(bucket, "d", data)
    rule = server.faults.add(
        action=action, operation="GetObject", nth=2, after_bytes=after, status=503
    )
    dest = tmp_path / "d.bin"
    result = await cos.download_file(bucket, "d", dest, part_size=MiB, concurrency=2)
    assert server.faults.fired(rule) == 1
    assert server.requests.count("GetObject") > 5
    assert _sha(dest.read_bytes()) == _sha(data)
    assert result.crc64 == crc64(data)
    assert [p.name for p in tmp_path.iterdir()] == ["d.bin"]


# --- cancellation -----------------------------------------------------------------------------


@pytest.fixture
def file64(tmp_path: Path) -> Path:
    path = tmp_path / "f64"
    with open(path, "wb") as f:
        f.truncate(64 * MiB)  # sparse: cheap to create and to read
    return path


async def test_cancel_upload_aborts(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, file64: Path
) -> None:
    server.faults.add(action="delay", operation="UploadPart", delay=0.5, times=None)
    task = asyncio.create_task(cos.upload_file(bucket, "big", file64, part_size=8 * MiB))
    await asyncio.wait_for(_wait_for(server, "InitiateMultipartUpload"), 30)
    await asyncio.wait_for(_wait_for(server, "UploadPart"), 30)
    assert await _uploads(cos, bucket) != []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert server.requests.count("AbortMultipartUpload", key="big") == 1
    assert server.requests.count("CompleteMultipartUpload") == 0
    assert await _uploads(cos, bucket) == []
    assert not await cos.object_exists(bucket, "big")


async def test_cancel_upload_with_checkpoint_keeps_it_for_a_resume(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, file64: Path, tmp_path: Path
) -> None:
    ckpt = tmp_path / "ck" / "upload.ckpt"
    rule = server.faults.add(action="delay", operation="UploadPart", delay=0.5, times=None)
    task = asyncio.create_task(
        cos.upload_file(bucket, "big", file64, part_size=8 * MiB, concurrency=2, checkpoint=ckpt)
    )
    await asyncio.wait_for(_wait_for(server, "InitiateMultipartUpload"), 30)
    await asyncio.wait_for(_wait_for(server, "UploadPart"), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert server.requests.count("AbortMultipartUpload") == 0
    uploads = await _uploads(cos, bucket)
    assert len(uploads) == 1
    assert uploads[0][0] == "big"
    assert ckpt.is_file()
    header = json.loads(ckpt.read_text().splitlines()[0])
    assert header["upload_id"] == uploads[0][1]

    # the same call resumes the same multipart upload
    server.faults.remove(rule)
    result = await cos.upload_file(
        bucket, "big", file64, part_size=8 * MiB, concurrency=2, checkpoint=ckpt
    )
    assert server.requests.count("InitiateMultipartUpload") == 1
    assert result.parts == 8
    assert not ckpt.exists()
    assert await _uploads(cos, bucket) == []
    head = await cos.head_object(bucket, "big")
    assert head.size == 64 * MiB
    assert head.crc64 == crc64(bytes(64 * MiB)) == result.crc64


async def test_cancel_download_removes_the_temporary_file(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(4 * MiB, seed=5)
    await cos.put_object(bucket, "d", data)
    server.faults.add(action="delay", operation="GetObject", delay=0.5, times=None)
    out = tmp_path / "out"
    out.mkdir()
    task = asyncio.create_task(cos.download_file(bucket, "d", out / "d", part_size=MiB))
    await asyncio.wait_for(_wait_for(server, "GetObject"), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(out.iterdir()) == []


async def test_cancel_download_with_checkpoint_then_resume(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(6 * MiB, seed=6)
    await cos.put_object(bucket, "d", data)
    out = tmp_path / "out"
    out.mkdir()
    ckpt = tmp_path / "d.ckpt"
    dest = out / "d"
    hang = asyncio.Event()

    async def stuck_after_two(request: HttpRequest) -> None:
        if wants_range(request) and request.sink is not None and request.sink.offset >= 2 * MiB:
            await hang.wait()  # never set: ranges 3 and 4 hang until cancelled

    stuck = record(cos, before=stuck_after_two)
    task = asyncio.create_task(
        cos.download_file(bucket, "d", dest, part_size=MiB, concurrency=2, checkpoint=ckpt)
    )
    # ranges 1 and 2 finish (the header and two lines); 3 and 4 hang
    await _poll(lambda: ckpt.exists() and len(ckpt.read_text().splitlines()) >= 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not dest.exists()
    assert len(list(out.iterdir())) == 1  # the partial temporary file, kept for the resume
    stuck.before = None
    result = await cos.download_file(
        bucket, "d", dest, part_size=MiB, concurrency=2, checkpoint=ckpt
    )
    assert result.resumed_parts == 2
    assert server.requests.count("GetObject") == 2 + 4
    assert _sha(dest.read_bytes()) == _sha(data)
    assert [p.name for p in out.iterdir()] == ["d"]
    assert not ckpt.exists()


# --- permanent failures -----------------------------------------------------------------------


async def test_failing_upload_without_checkpoint_is_aborted(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, src6: tuple[Path, bytes]
) -> None:
    path, _ = src6
    server.faults.add(
        action="error",
        operation="UploadPart",
        part_number=4,
        status=403,
        code="AccessDenied",
        message="Access Denied.",
        times=None,
    )
    with pytest.raises(AccessDenied):
        await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=2)
    assert _parts(server, "k", status=403) == [4]  # not retried
    assert server.requests.count("AbortMultipartUpload", key="k") == 1
    assert server.requests.count("CompleteMultipartUpload") == 0
    assert await _uploads(cos, bucket) == []
    assert not await cos.object_exists(bucket, "k")


async def test_failing_upload_with_checkpoint_resumes(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    src6: tuple[Path, bytes],
    tmp_path: Path,
) -> None:
    path, data = src6
    ckpt = tmp_path / "ck"
    server.faults.add(
        action="error", operation="UploadPart", part_number=5, status=403, code="AccessDenied"
    )
    with pytest.raises(AccessDenied):
        await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=2, checkpoint=ckpt)
    assert server.requests.count("AbortMultipartUpload") == 0
    assert len(await _uploads(cos, bucket)) == 1
    recorded = {json.loads(line)["part"] for line in ckpt.read_text().splitlines()[1:]}
    # two workers: part 5 is only taken once three parts have finished
    assert len(recorded) >= 3
    assert 5 not in recorded

    result = await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=2, checkpoint=ckpt)
    assert result.resumed_parts == len(recorded)
    counts = {n: _parts(server, "k", status=200).count(n) for n in range(1, 7)}
    for n in recorded:
        assert counts[n] == 1, f"part {n} was in the checkpoint but was sent again"
    assert all(c >= 1 for c in counts.values())
    assert server.requests.count("InitiateMultipartUpload") == 1
    assert result.crc64 == crc64(data)
    assert not ckpt.exists()
    await _check_object(cos, bucket, "k", data)


async def test_checkpoint_for_another_file_starts_over(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    src6: tuple[Path, bytes],
    tmp_path: Path,
) -> None:
    path, data = src6
    ckpt = tmp_path / "ck"
    server.faults.add(
        action="error", operation="UploadPart", part_number=3, status=403, code="AccessDenied"
    )
    with pytest.raises(AccessDenied):
        await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=1, checkpoint=ckpt)
    # the file changes: the checkpoint no longer applies and nothing of it is reused
    new = _data(len(data), seed=99)
    path.write_bytes(new)
    result = await cos.upload_file(bucket, "k", path, part_size=MiB, concurrency=1, checkpoint=ckpt)
    assert result.resumed_parts == 0
    assert server.requests.count("InitiateMultipartUpload") == 2
    assert _sha(await _read(cos, bucket, "k")) == _sha(new)
    assert result.crc64 == crc64(new)
