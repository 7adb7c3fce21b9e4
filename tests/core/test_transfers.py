"""The transfer layer: upload_file, download_file, copy, upload_stream, directories, progress.

Every test checks the data itself (bytes or SHA-256) and what the server saw (its request log),
so an implementation that "succeeds" while sending the wrong requests or bytes fails here.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import os
import random
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from cos_async import (
    AsyncCosClient,
    CosClientError,
    CosError,
    IntegrityError,
    InvalidArgument,
)
from cos_async import _progress as progress_module
from cos_async._crc64 import crc64
from cos_async._limits import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE
from cos_async._progress import Progress, ProgressTracker
from cos_async._transfer import DEFAULT_PART_SIZE, PART_ATTEMPTS, choose_part_size
from cos_async._transport import HttpRequest
from cos_async.testing import LocalCosServer
from tests.seams import RecordingTransport, part_number, record, wants_range

MiB = 1024 * 1024
GiB = 1024 * MiB


def _data(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _sparse(path: Path, size: int) -> Path:
    """A file of ``size`` zero bytes that takes no disk space."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


async def _poll(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (the per-test timeout bounds the wait)."""
    while True:
        if condition():
            return
        await asyncio.sleep(0.01)


async def _read(cos: AsyncCosClient, bucket: str, key: str) -> bytes:
    async with await cos.get_object(bucket, key) as body:
        return await body.read()


async def _uploads(cos: AsyncCosClient, bucket: str) -> list[str]:
    return [u.upload_id async for u in cos.list_multipart_uploads(bucket)]


def _part_numbers(server: LocalCosServer, key: str, status: int | None = 200) -> list[int]:
    return sorted(
        r.part_number or 0
        for r in server.requests.records()
        if r.operation == "UploadPart" and r.key == key and (status is None or r.status == status)
    )


def _leftovers(directory: Path) -> list[str]:
    """Files a download left behind beside its destination (temporary files)."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".cos-download"))


def _range_of(request: HttpRequest) -> tuple[int, int]:
    """(first, last) inclusive of a ranged GET attempt."""
    first, _, last = request.headers["Range"].removeprefix("bytes=").partition("-")
    return int(first), int(last)


def _parts_sent(sent: RecordingTransport) -> list[tuple[int, int | None]]:
    """(part number, body length) of every UploadPart attempt, sorted."""
    return sorted(
        (n, r.body.length if r.body is not None else None)
        for r in sent.sent
        if (n := part_number(r)) is not None
    )


def _check_progress(seen: list[Progress], total: int) -> None:
    assert seen, "the progress callback was never called"
    done = [p.bytes_done for p in seen]
    assert done == sorted(done), f"progress went backwards: {done}"
    assert all(p.total == total for p in seen)
    assert all(0 <= d <= total for d in done)
    assert done[-1] == total
    assert seen[-1].fraction in (None, 1.0)


@pytest.fixture
def eager_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress reports on every byte count (no throttling), so regressions become visible."""
    monkeypatch.setattr(progress_module, "REPORT_INTERVAL", 0)


# --- choose_part_size (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, DEFAULT_PART_SIZE),
        (1, DEFAULT_PART_SIZE),
        (DEFAULT_PART_SIZE * MAX_PARTS, DEFAULT_PART_SIZE),
        (DEFAULT_PART_SIZE * MAX_PARTS + 1, DEFAULT_PART_SIZE + MiB),
        (100 * GiB, DEFAULT_PART_SIZE),
        (1024 * GiB, 105 * MiB),  # ceil(1 TiB / 10,000) = 104.9 MiB, rounded up to a MiB
        (MAX_PART_SIZE * MAX_PARTS, MAX_PART_SIZE),  # 48.8 TiB: the largest object COS takes
    ],
)
def test_choose_part_size_auto(size: int, expected: int) -> None:
    assert choose_part_size(size, None) == expected


def test_choose_part_size_invariants() -> None:
    rng = random.Random(1234)
    sizes = [0, 1, MiB, MAX_PART_SIZE * MAX_PARTS]
    sizes += [int(1.7**e) for e in range(1, 77) if 1.7**e <= MAX_PART_SIZE * MAX_PARTS]
    sizes += [rng.randrange(MAX_PART_SIZE * MAX_PARTS) for _ in range(500)]
    for size in sizes:
        for default in (MIN_PART_SIZE, DEFAULT_PART_SIZE, 64 * MiB):
            ps = choose_part_size(size, None, default)
            assert MIN_PART_SIZE <= ps <= MAX_PART_SIZE, size
            assert ps % MiB == 0, size
            assert ps >= default, size
            assert math.ceil(size / ps) <= MAX_PARTS, size
            # the smallest such size: one MiB less would need more than 10,000 parts
            if ps > default:
                assert math.ceil(size / (ps - MiB)) > MAX_PARTS, size


def test_choose_part_size_too_large_object() -> None:
    with pytest.raises(InvalidArgument, match="10000 parts"):
        choose_part_size(MAX_PART_SIZE * MAX_PARTS + 1, None)


@pytest.mark.parametrize("requested", [MIN_PART_SIZE, 5 * MiB, MAX_PART_SIZE])
def test_choose_part_size_requested_kept(requested: int) -> None:
    assert choose_part_size(requested * 3, requested) == requested


@pytest.mark.parametrize("requested", [0, MIN_PART_SIZE - 1, MAX_PART_SIZE + 1, -MiB, 1.5 * MiB])
def test_choose_part_size_requested_out_of_range(requested: Any) -> None:
    with pytest.raises(InvalidArgument, match="part_size"):
        choose_part_size(10 * MiB, requested)


def test_choose_part_size_requested_too_many_parts() -> None:
    assert choose_part_size(MAX_PARTS * MiB, MiB) == MiB
    with pytest.raises(InvalidArgument, match="10001 parts"):
        choose_part_size(MAX_PARTS * MiB + 1, MiB)


# --- upload_file ------------------------------------------------------------------------------


async def test_upload_file_below_threshold_is_one_put(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(300 * 1024)
    src = _write(tmp_path / "small.bin", data)
    result = await cos.upload_file(bucket, "small.bin", src)
    assert server.requests.count("PutObject", key="small.bin") == 1
    assert server.requests.count("InitiateMultipartUpload") == 0
    assert server.requests.count("UploadPart") == 0
    assert server.requests.count("CompleteMultipartUpload") == 0
    assert result.size == len(data)
    assert result.parts == 1
    assert result.resumed_parts == 0
    assert result.crc64 == crc64(data)
    assert _sha(await _read(cos, bucket, "small.bin")) == _sha(data)


async def test_upload_file_empty(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    src = _write(tmp_path / "empty", b"")
    result = await cos.upload_file(bucket, "empty", src, threshold=0)
    assert result.size == 0
    assert result.crc64 == 0
    assert server.requests.count("PutObject") == 1
    assert await _read(cos, bucket, "empty") == b""


async def test_upload_file_above_threshold_is_multipart(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(5 * MiB + 123, seed=1)
    src = _write(tmp_path / "big.bin", data)
    result = await cos.upload_file(bucket, "big.bin", src, part_size=MiB)
    assert server.requests.count("PutObject") == 0
    assert server.requests.count("InitiateMultipartUpload", key="big.bin") == 1
    assert _part_numbers(server, "big.bin", status=None) == [1, 2, 3, 4, 5, 6]
    assert server.requests.count("CompleteMultipartUpload", key="big.bin") == 1
    assert server.requests.count("AbortMultipartUpload") == 0
    assert result.parts == 6
    assert result.size == len(data)
    assert result.crc64 == crc64(data)
    head = await cos.head_object(bucket, "big.bin")
    assert head.crc64 == crc64(data)
    assert head.size == len(data)
    assert _sha(await _read(cos, bucket, "big.bin")) == _sha(data)
    assert await _uploads(cos, bucket) == []


async def test_upload_file_threshold_option(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(3 * MiB, seed=2)
    src = _write(tmp_path / "f", data)
    # above the part size but within the threshold: one PUT
    await cos.upload_file(bucket, "one", src, part_size=MiB, threshold=3 * MiB)
    assert server.requests.count("PutObject", key="one") == 1
    assert server.requests.count("UploadPart", key="one") == 0
    # a threshold of 1 byte: multipart even though the file is small
    small = _write(tmp_path / "s", data[:1000])
    result = await cos.upload_file(bucket, "multi", small, threshold=1)
    assert result.parts == 1
    assert server.requests.count("PutObject", key="multi") == 0
    assert server.requests.count("UploadPart", key="multi") == 1
    assert await _read(cos, bucket, "multi") == data[:1000]
    with pytest.raises(InvalidArgument, match="threshold"):
        await cos.upload_file(bucket, "bad", src, threshold=-1)


async def test_upload_file_default_part_size(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
) -> None:
    src = _sparse(tmp_path / "sparse", DEFAULT_PART_SIZE + MiB + 5)
    sent = record(cos)
    result = await cos.upload_file(bucket, "sparse", src)
    assert result.parts == 2
    assert _parts_sent(sent) == [(1, DEFAULT_PART_SIZE), (2, MiB + 5)]
    assert result.crc64 == crc64(bytes(DEFAULT_PART_SIZE + MiB + 5))


async def test_upload_file_too_many_parts_is_refused_before_any_request(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    src = _sparse(tmp_path / "huge", (MAX_PARTS + 1) * MiB)  # nothing is written
    with pytest.raises(InvalidArgument, match="10001 parts"):
        await cos.upload_file(bucket, "huge", src, part_size=MiB)
    assert server.requests.records() == []


async def test_upload_file_bad_arguments(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgument, match="cannot read"):
        await cos.upload_file(bucket, "k", tmp_path / "missing")
    with pytest.raises(InvalidArgument, match="not a file"):
        await cos.upload_file(bucket, "k", tmp_path)
    src = _write(tmp_path / "f", b"x")
    for concurrency in (0, 257, True, 2.0):
        with pytest.raises(InvalidArgument, match="concurrency"):
            await cos.upload_file(bucket, "k", src, concurrency=concurrency)  # type: ignore[arg-type]
    assert server.requests.records() == []


@pytest.mark.parametrize("multipart", [False, True])
async def test_upload_file_carries_object_options(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, multipart: bool
) -> None:
    data = _data(2 * MiB + 1, seed=3)
    src = _write(tmp_path / "f", data)
    await cos.upload_file(
        bucket,
        "doc.bin",
        src,
        part_size=MiB,
        threshold=0 if multipart else 4 * MiB,
        metadata={"origin": "test", "n": "1"},
        content_type="application/x-custom",
        storage_class="STANDARD_IA",
        cache_control="no-cache",
    )
    head = await cos.head_object(bucket, "doc.bin")
    assert dict(head.metadata) == {"origin": "test", "n": "1"}
    assert head.content_type == "application/x-custom"
    assert head.storage_class == "STANDARD_IA"
    assert head.cache_control == "no-cache"
    assert head.crc64 == crc64(data)
    # without content_type, it is guessed from the key
    await cos.upload_file(
        bucket, "page.html", src, part_size=MiB, threshold=0 if multipart else None
    )
    assert (await cos.head_object(bucket, "page.html")).content_type == "text/html"


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_upload_file_concurrency_respected(
    cos: AsyncCosClient,
    bucket: str,
    tmp_path: Path,
    concurrency: int,
) -> None:
    data = _data(8 * MiB, seed=4)
    src = _write(tmp_path / "f", data)
    sent = record(cos)
    result = await cos.upload_file(bucket, "c", src, part_size=MiB, concurrency=concurrency)
    assert sent.max_in_flight == concurrency  # only parts are in flight together
    assert [n for n, _ in _parts_sent(sent)] == list(range(1, 9))
    assert result.crc64 == crc64(data)
    assert _sha(await _read(cos, bucket, "c")) == _sha(data)


async def test_upload_file_changed_during_upload_is_refused_and_aborted(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
) -> None:
    src = _write(tmp_path / "f", _data(4 * MiB, seed=30))

    def touching(request: HttpRequest) -> None:
        if part_number(request) == 2:  # somebody rewrites the file while part 2 is on its way
            st = src.stat()
            os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    record(cos, before=touching)
    with pytest.raises(IntegrityError, match="changed"):
        await cos.upload_file(bucket, "f", src, part_size=MiB, concurrency=1)
    assert server.requests.count("CompleteMultipartUpload") == 0
    assert server.requests.count("AbortMultipartUpload") == 1
    assert await _uploads(cos, bucket) == []
    assert not await cos.object_exists(bucket, "f")


async def test_upload_file_shrunk_during_upload_is_aborted(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
) -> None:
    src = _write(tmp_path / "f", _data(4 * MiB, seed=31))

    def truncating(request: HttpRequest) -> None:
        if part_number(request) == 2:
            os.truncate(src, MiB + 10)

    record(cos, before=truncating)
    with pytest.raises(CosClientError):
        await cos.upload_file(bucket, "f", src, part_size=MiB, concurrency=1)
    assert server.requests.count("CompleteMultipartUpload") == 0
    assert await _uploads(cos, bucket) == []
    assert not await cos.object_exists(bucket, "f")


@pytest.mark.parametrize("multipart", [False, True])
async def test_upload_and_download_with_customer_key(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path, multipart: bool
) -> None:
    data = _data(3 * MiB + 3, seed=32)
    src = _write(tmp_path / "f", data)
    key = bytes(range(32))
    result = await cos.upload_file(
        bucket,
        "enc",
        src,
        part_size=MiB,
        threshold=0 if multipart else 4 * MiB,
        sse_customer_key=key,
        content_md5=True,
    )
    assert result.crc64 == crc64(data)
    assert server.requests.count("UploadPart") == (4 if multipart else 0)
    dest = tmp_path / "out"
    await cos.download_file(bucket, "enc", dest, part_size=MiB, sse_customer_key=key)
    assert _sha(dest.read_bytes()) == _sha(data)
    with pytest.raises(CosError):
        await cos.download_file(bucket, "enc", tmp_path / "nokey", part_size=MiB)
    assert not (tmp_path / "nokey").exists()
    assert _leftovers(tmp_path) == []


# --- progress ---------------------------------------------------------------------------------


def test_progress_tracker_monotonic_under_restart() -> None:
    seen: list[Progress] = []
    clock = iter(range(1000))
    tracker = ProgressTracker(seen.append, 100, interval=0, clock=lambda: float(next(clock)))
    tracker.advance("a", 30)
    tracker.advance("b", 20)
    tracker.restart("a")  # part a is sent again: 30 bytes no longer count
    tracker.advance("a", 10)
    tracker.finish_piece("b", 20)
    tracker.advance("a", 50)
    tracker.finish_piece("a", 80)
    tracker.finish()
    tracker.finish()  # idempotent
    tracker.advance("late", 5)  # nothing after the final report
    done = [p.bytes_done for p in seen]
    assert done == [30, 50, 80, 100]  # never the same value twice; 100% once
    assert all(p.total == 100 for p in seen)


def test_progress_tracker_throttles_and_caps() -> None:
    seen: list[Progress] = []
    now = [0.0]
    tracker = ProgressTracker(seen.append, 10, interval=1.0, clock=lambda: now[0])
    tracker.advance(1, 4)  # the first report is immediate
    tracker.advance(1, 4)  # throttled
    now[0] = 2.0
    tracker.advance(1, 40)  # more than the total (a retried piece counted twice): capped
    tracker.finish()
    assert [p.bytes_done for p in seen] == [4, 10]  # the capped report is the final one
    assert seen[1].rate == pytest.approx(5.0)
    assert [p.fraction for p in seen] == [0.4, 1.0]


@pytest.mark.parametrize("size", [0, 1, 1000, 3 * MiB + 1])
async def test_a_small_transfer_reports_100_percent_once(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, size: int, eager_progress: None
) -> None:
    src = _write(tmp_path / "f", _data(size, seed=40))
    for transfer in ("upload", "download"):
        seen: list[Progress] = []
        if transfer == "upload":
            await cos.upload_file(bucket, "once", src, progress=seen.append)
        else:
            await cos.download_file(bucket, "once", tmp_path / "back", progress=seen.append)
        done = [p.bytes_done for p in seen]
        assert done[-1] == size, transfer
        assert done.count(size) == 1, (transfer, done)


def test_progress_tracker_without_callback_or_total() -> None:
    tracker = ProgressTracker(None, None)
    tracker.advance("x", 5)
    tracker.finish()
    seen: list[Progress] = []
    tracker = ProgressTracker(seen.append, None, interval=0)
    tracker.add_done(7)
    tracker.finish()
    assert [(p.bytes_done, p.total, p.fraction) for p in seen] == [(7, None, None)]


async def test_progress_upload(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, eager_progress: None
) -> None:
    data = _data(4 * MiB + 17, seed=5)
    src = _write(tmp_path / "f", data)
    seen: list[Progress] = []
    await cos.upload_file(bucket, "p", src, part_size=MiB, concurrency=2, progress=seen.append)
    _check_progress(seen, len(data))
    assert len(seen) >= 5  # intermediate reports (one per part at least), not just the final one
    small: list[Progress] = []
    await cos.upload_file(bucket, "q", src, threshold=8 * MiB, progress=small.append)
    _check_progress(small, len(data))


@pytest.mark.parametrize("action", ["error", "corrupt"])
async def test_progress_upload_with_retried_part(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    eager_progress: None,
    action: str,
) -> None:
    data = _data(6 * MiB, seed=6)
    src = _write(tmp_path / "f", data)
    # "corrupt" damages part 2 after it was fully sent: its bytes were counted once already
    server.faults.add(action=action, operation="UploadPart", part_number=2, status=503)
    seen: list[Progress] = []
    result = await cos.upload_file(
        bucket, "p", src, part_size=2 * MiB, concurrency=2, progress=seen.append
    )
    assert _part_numbers(server, "p", status=None).count(2) == 2
    _check_progress(seen, len(data))
    assert result.crc64 == crc64(data)
    assert _sha(await _read(cos, bucket, "p")) == _sha(data)


async def test_progress_download(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    eager_progress: None,
) -> None:
    data = _data(4 * MiB + 3, seed=7)
    await cos.put_object(bucket, "d", data)
    # range 2 is cut short once and fetched again
    server.faults.add(action="truncate", operation="GetObject", nth=2, after_bytes=300_000)
    seen: list[Progress] = []
    dest = tmp_path / "out"
    await cos.download_file(bucket, "d", dest, part_size=MiB, concurrency=2, progress=seen.append)
    assert server.requests.count("GetObject") == 6
    _check_progress(seen, len(data))
    assert _sha(dest.read_bytes()) == _sha(data)


@pytest.mark.parametrize("threshold", [5 * GiB, MiB])
async def test_progress_copy(
    cos: AsyncCosClient, bucket: str, threshold: int, eager_progress: None
) -> None:
    data = _data(3 * MiB + 1, seed=8)
    await cos.put_object(bucket, "src", data)
    seen: list[Progress] = []
    await cos.copy(
        bucket, "src", bucket, "dst", threshold=threshold, part_size=MiB, progress=seen.append
    )
    _check_progress(seen, len(data))
    if threshold == MiB:
        assert [p.bytes_done for p in seen] == [MiB, 2 * MiB, 3 * MiB, len(data)]


# --- download_file ----------------------------------------------------------------------------


async def test_download_small_single_get(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(200 * 1024, seed=9)
    await cos.put_object(bucket, "s", data)
    dest = tmp_path / "s.bin"
    result = await cos.download_file(bucket, "s", dest)
    assert server.requests.count("GetObject", key="s") == 1
    assert result.parts == 1
    assert result.size == len(data)
    assert result.crc64 == crc64(data)
    assert dest.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bin"]


async def test_download_empty_object(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    await cos.put_object(bucket, "e", b"")
    dest = _write(tmp_path / "e", b"old content")
    result = await cos.download_file(bucket, "e", dest)
    assert result.size == 0
    assert dest.read_bytes() == b""
    assert server.requests.count("GetObject") == 0
    assert _leftovers(tmp_path) == []


async def test_download_ranged_covers_the_file(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
) -> None:
    size = 5 * MiB + 7
    data = _data(size, seed=10)
    await cos.put_object(bucket, "r", data)
    dest = tmp_path / "r.bin"
    sent = record(cos)
    result = await cos.download_file(bucket, "r", dest, part_size=MiB, concurrency=3)
    ranges = [_range_of(r) for r in sent.matching(wants_range)]
    assert result.parts == math.ceil(size / MiB) == 6
    assert server.requests.count("GetObject", key="r") == 6
    assert sent.max_in_flight == 3
    # the ranges (inclusive ends) tile the object exactly
    pos = 0
    for first, last in sorted(ranges):
        assert first == pos
        assert last - first + 1 == min(MiB, size - first)
        pos = last + 1
    assert pos == size
    assert _sha(dest.read_bytes()) == _sha(data)
    assert result.crc64 == crc64(data)
    assert _leftovers(tmp_path) == []
    # the destination is replaced, not appended to
    dest.write_bytes(b"x" * (size + 100))
    await cos.download_file(bucket, "r", dest, part_size=2 * MiB)
    assert _sha(dest.read_bytes()) == _sha(data)


async def test_download_bad_destination(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    await cos.put_object(bucket, "k", b"data")
    with pytest.raises(InvalidArgument, match="does not exist"):
        await cos.download_file(bucket, "k", tmp_path / "no" / "such" / "dir" / "f")
    with pytest.raises(InvalidArgument, match="is a directory"):
        await cos.download_file(bucket, "k", tmp_path)
    assert server.requests.count("HeadObject") == 0
    assert server.requests.count("GetObject") == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("part_size", [None, MiB])
async def test_download_corrupt_range_is_fetched_again(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    part_size: int | None,
) -> None:
    data = _data(3 * MiB + 5, seed=11)
    await cos.put_object(bucket, "c", data)
    nparts = 1 if part_size is None else 4
    # the first range (single GET) or the second one, which is fetched while others are in flight
    server.faults.add(action="corrupt", operation="GetObject", nth=min(nparts, 2), after_bytes=1000)
    dest = tmp_path / "c.bin"
    result = await cos.download_file(bucket, "c", dest, part_size=part_size, concurrency=2)
    assert server.faults.snapshot()[0]["fired"] == 1
    assert server.requests.count("GetObject") > nparts
    assert _sha(dest.read_bytes()) == _sha(data)
    assert result.crc64 == crc64(data)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("with_checkpoint", [False, True])
async def test_download_corrupt_every_time_leaves_nothing(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    with_checkpoint: bool,
) -> None:
    data = _data(2 * MiB + 5, seed=12)
    await cos.put_object(bucket, "c", data)
    server.faults.add(action="corrupt", operation="GetObject", times=None, after_bytes=10)
    out = tmp_path / "out"
    out.mkdir()
    ckpt = tmp_path / "ckpt" if with_checkpoint else None
    with pytest.raises(IntegrityError, match="CRC64"):
        await cos.download_file(bucket, "c", out / "c.bin", part_size=MiB, checkpoint=ckpt)
    assert list(out.iterdir()) == []  # neither the destination nor a temporary file
    assert server.requests.count("GetObject") == 3 * PART_ATTEMPTS
    # a checkpoint describing data known to be bad would make every resume fail again
    assert not (tmp_path / "ckpt").exists()


async def test_download_verify_crc_off(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(MiB, seed=13)
    await cos.put_object(bucket, "c", data)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=10)
    dest = tmp_path / "c.bin"
    await cos.download_file(bucket, "c", dest, verify_crc=False)
    got = dest.read_bytes()
    assert len(got) == len(data)
    assert got != data  # nothing checked, nothing fetched again
    assert server.requests.count("GetObject") == 1


async def test_download_object_replaced_midway(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
) -> None:
    data = _data(4 * MiB, seed=14)
    await cos.put_object(bucket, "m", data)

    async def replace_third(request: HttpRequest) -> None:
        # two ranges fetched, then somebody replaces the object
        if wants_range(request) and len(sent.matching(wants_range)) == 3:
            await cos.put_object(bucket, "m", b"new content")

    sent = record(cos, before=replace_third)
    dest = _write(tmp_path / "m.bin", b"previous")
    with pytest.raises(IntegrityError, match="changed"):
        await cos.download_file(bucket, "m", dest, part_size=MiB, concurrency=1)
    assert dest.read_bytes() == b"previous"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.bin"]


async def test_download_object_replaced_during_delayed_get(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(6 * MiB, seed=15)
    await cos.put_object(bucket, "m", data)
    # every range waits 0.3 s before it is served: the replacement lands meanwhile
    server.faults.add(action="delay", operation="GetObject", delay=0.3, times=None)
    dest = tmp_path / "m.bin"

    async def replace() -> None:
        await _poll(lambda: server.requests.count("GetObject") > 0)
        await cos.put_object(bucket, "m", b"new content")

    with pytest.raises(IntegrityError, match="changed"):
        await asyncio.gather(
            cos.download_file(bucket, "m", dest, part_size=MiB, concurrency=2), replace()
        )
    assert list(tmp_path.iterdir()) == []


async def test_download_with_checkpoint_object_replaced_leaves_nothing(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
) -> None:
    data = _data(3 * MiB, seed=16)
    await cos.put_object(bucket, "m", data)

    async def replace_second(request: HttpRequest) -> None:
        if wants_range(request) and _range_of(request)[0] == MiB:
            await cos.put_object(bucket, "m", b"replaced")

    record(cos, before=replace_second)
    out = tmp_path / "out"
    out.mkdir()
    ckpt = tmp_path / "ck"
    with pytest.raises(IntegrityError, match="changed"):
        await cos.download_file(
            bucket, "m", out / "m", part_size=MiB, concurrency=1, checkpoint=ckpt
        )
    assert list(out.iterdir()) == []
    assert not ckpt.exists()


async def test_download_missing_object(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    from cos_async import NoSuchKey

    with pytest.raises(NoSuchKey):
        await cos.download_file(bucket, "nope", tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


# --- copy -------------------------------------------------------------------------------------


async def test_copy_small_uses_copy_object(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = _data(MiB + 1, seed=17)
    await cos.put_object(bucket, "src", data, metadata={"a": "1"}, content_type="text/x-a")
    dst_bucket = server.create_bucket()
    result = await cos.copy(bucket, "src", dst_bucket, "dst")
    assert server.requests.count("PutObjectCopy") == 1
    assert server.requests.count("UploadPartCopy") == 0
    assert server.requests.count("InitiateMultipartUpload") == 0
    head = await cos.head_object(dst_bucket, "dst")
    assert dict(head.metadata) == {"a": "1"}
    assert head.content_type == "text/x-a"
    assert head.crc64 == crc64(data) == result.crc64
    assert result.size == len(data)
    assert await _read(cos, dst_bucket, "dst") == data


async def test_copy_large_uses_part_copies(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = _data(5 * MiB + 9, seed=18)
    await cos.put_object(
        bucket,
        "src",
        data,
        metadata={"a": "1", "b": "two"},
        content_type="text/x-a",
        cache_control="max-age=60",
    )
    result = await cos.copy(bucket, "src", bucket, "dst", threshold=MiB, part_size=MiB)
    assert result.parts == 6
    assert server.requests.count("PutObjectCopy") == 0
    assert server.requests.count("InitiateMultipartUpload", key="dst") == 1
    assert server.requests.count("UploadPartCopy", key="dst") == 6
    assert server.requests.count("CompleteMultipartUpload", key="dst") == 1
    head = await cos.head_object(bucket, "dst")
    assert dict(head.metadata) == {"a": "1", "b": "two"}
    assert head.content_type == "text/x-a"
    assert head.cache_control == "max-age=60"
    assert head.crc64 == crc64(data) == result.crc64
    assert _sha(await _read(cos, bucket, "dst")) == _sha(data)
    assert await _uploads(cos, bucket) == []


@pytest.mark.parametrize("threshold", [5 * GiB, MiB])
async def test_copy_replaced_metadata(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, threshold: int
) -> None:
    data = _data(2 * MiB + 1, seed=19)
    await cos.put_object(bucket, "src", data, metadata={"old": "1"}, content_type="text/x-old")
    result = await cos.copy(
        bucket,
        "src",
        bucket,
        "dst",
        threshold=threshold,
        part_size=MiB,
        metadata_directive="Replaced",
        metadata={"new": "2"},
        content_type="text/x-new",
    )
    head = await cos.head_object(bucket, "dst")
    assert dict(head.metadata) == {"new": "2"}
    assert head.content_type == "text/x-new"
    assert head.crc64 == crc64(data) == result.crc64
    assert await _read(cos, bucket, "dst") == data
    src_head = await cos.head_object(bucket, "src")
    assert dict(src_head.metadata) == {"old": "1"}


async def test_copy_large_with_traffic_limit(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = _data(3 * MiB, seed=20)
    await cos.put_object(bucket, "src", data)
    result = await cos.copy(
        bucket, "src", bucket, "dst", threshold=MiB, part_size=MiB, traffic_limit=8 * 1024 * 1024
    )
    assert result.parts == 3
    assert result.crc64 == crc64(data)
    assert await _read(cos, bucket, "dst") == data


async def test_copy_large_content_options_need_replaced(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "src", _data(2 * MiB, seed=21))
    with pytest.raises(InvalidArgument, match="Replaced"):
        await cos.copy(bucket, "src", bucket, "dst", threshold=MiB, metadata={"x": "y"})
    assert server.requests.count("InitiateMultipartUpload") == 0


@pytest.mark.parametrize("threshold", [-1, 1.5, True])
async def test_copy_bad_threshold(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, threshold: Any
) -> None:
    await cos.put_object(bucket, "src", b"")
    with pytest.raises(InvalidArgument, match="threshold"):
        await cos.copy(bucket, "src", bucket, "dst", threshold=threshold)
    assert server.requests.count("InitiateMultipartUpload") == 0
    assert server.requests.count("PutObjectCopy") == 0


async def test_copy_empty_object(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "src", b"", metadata={"m": "1"})
    result = await cos.copy(bucket, "src", bucket, "dst", threshold=0)
    assert result.size == 0
    assert await _read(cos, bucket, "dst") == b""
    assert dict((await cos.head_object(bucket, "dst")).metadata) == {"m": "1"}


# --- upload_stream ----------------------------------------------------------------------------


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def _agen(data: bytes, size: int) -> AsyncIterator[bytes]:
    for c in _chunks(data, size):
        await asyncio.sleep(0)
        yield c


def _gen(data: bytes, size: int) -> Iterator[bytes]:
    yield from _chunks(data, size)


@pytest.mark.parametrize("kind", ["async_gen", "sync_gen", "bytesio", "file", "list"])
@pytest.mark.parametrize("size", [300_000, 3 * MiB + 11])
async def test_upload_stream_sources(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    kind: str,
    size: int,
) -> None:
    data = _data(size, seed=22)
    key = f"s-{kind}"
    seen: list[Progress] = []
    if kind == "file":
        f = await asyncio.to_thread(open, _write(tmp_path / "f", data), "rb")
        try:
            result = await cos.upload_stream(bucket, key, f, part_size=MiB, progress=seen.append)
        finally:
            f.close()
    else:
        makers: dict[str, Callable[[], Any]] = {
            "async_gen": lambda: _agen(data, 100_000),
            "sync_gen": lambda: _gen(data, 333_333),
            "bytesio": lambda: io.BytesIO(data),
            "list": lambda: _chunks(data, 2 * MiB + 1),
        }
        source = makers[kind]()
        result = await cos.upload_stream(bucket, key, source, part_size=MiB, progress=seen.append)
    nparts = math.ceil(size / MiB)
    if nparts == 1:
        assert server.requests.count("PutObject", key=key) == 1
        assert server.requests.count("InitiateMultipartUpload") == 0
    else:
        assert server.requests.count("PutObject") == 0
        assert _part_numbers(server, key) == list(range(1, nparts + 1))
        assert server.requests.count("CompleteMultipartUpload", key=key) == 1
    assert result.size == size
    assert result.parts == nparts
    assert result.crc64 == crc64(data)
    assert _sha(await _read(cos, bucket, key)) == _sha(data)
    assert seen[-1].bytes_done == seen[-1].total == size


async def test_upload_stream_exact_part_and_empty(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    data = _data(MiB, seed=23)
    result = await cos.upload_stream(bucket, "exact", _agen(data, 4096), part_size=MiB)
    assert result.parts == 1
    assert server.requests.count("PutObject", key="exact") == 1
    assert await _read(cos, bucket, "exact") == data
    result = await cos.upload_stream(bucket, "empty", _agen(b"", 1), part_size=MiB)
    assert result.size == 0
    assert await _read(cos, bucket, "empty") == b""


async def test_upload_stream_concurrency_respected(
    cos: AsyncCosClient,
    bucket: str,
) -> None:
    data = _data(8 * MiB, seed=24)
    sent = record(cos)
    await cos.upload_stream(bucket, "c", io.BytesIO(data), part_size=MiB, concurrency=2)
    assert sent.max_in_flight == 2
    assert [n for n, _ in _parts_sent(sent)] == list(range(1, 9))
    assert _sha(await _read(cos, bucket, "c")) == _sha(data)


class _Boom(Exception):
    pass


@pytest.mark.parametrize("kind", ["async_gen", "sync_gen", "file"])
async def test_upload_stream_source_failure_aborts(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, kind: str
) -> None:
    data = _data(3 * MiB, seed=25)

    async def agen() -> AsyncIterator[bytes]:
        for c in _chunks(data, 500_000):
            yield c
        raise _Boom("source broke")

    def gen() -> Iterator[bytes]:
        yield from _chunks(data, 500_000)
        raise _Boom("source broke")

    class BrokenFile(io.RawIOBase):
        def __init__(self) -> None:
            self.pos = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            if self.pos >= len(data):
                raise _Boom("source broke")
            chunk = data[self.pos : self.pos + n]
            self.pos += len(chunk)
            return chunk

    source: Any = {"async_gen": agen, "sync_gen": gen, "file": BrokenFile}[kind]()
    with pytest.raises(_Boom, match="source broke"):
        await cos.upload_stream(bucket, "broken", source, part_size=MiB)
    assert server.requests.count("InitiateMultipartUpload") == 1
    assert server.requests.count("AbortMultipartUpload") == 1
    assert server.requests.count("CompleteMultipartUpload") == 0
    assert await _uploads(cos, bucket) == []
    assert not await cos.object_exists(bucket, "broken")


async def test_upload_stream_bad_chunk_aborts(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    def gen() -> Iterator[Any]:
        yield bytes(2 * MiB + 1)
        yield "text"

    with pytest.raises(InvalidArgument, match="bytes"):
        await cos.upload_stream(bucket, "bad", gen(), part_size=MiB)
    assert await _uploads(cos, bucket) == []
    with pytest.raises(InvalidArgument):
        await cos.upload_stream(bucket, "bad", io.StringIO("text"), part_size=MiB)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="part_size"):
        await cos.upload_stream(bucket, "bad", [b"x"], part_size=MiB - 1)


# --- directories ------------------------------------------------------------------------------

_TREE = {
    "top.txt": b"top level\n",
    "empty.bin": b"",
    "a/b/c/deep.bin": bytes(range(256)) * 9,
    "données/été.txt": "unicode content ☃".encode(),
    "空 白/名字.dat": b"\x00\x01" * 1000,
    "a/sibling.txt": b"sibling",
}


def _make_tree(root: Path, tree: dict[str, bytes]) -> None:
    for rel, content in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def test_upload_dir_download_prefix_round_trip(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    _make_tree(src, _TREE)
    (src / "empty-dir").mkdir()
    await cos.put_object(bucket, "other/keep.txt", b"not under the prefix")
    up_seen: list[Progress] = []
    up = await cos.upload_dir(src, bucket, "up/", concurrency=3, progress=up_seen.append)
    total = sum(len(v) for v in _TREE.values())
    assert up.ok
    assert up.transferred == tuple(sorted("up/" + k for k in _TREE))
    assert up.failed == ()
    assert up.bytes == total
    _check_progress(up_seen, total)
    keys = sorted([o.key async for o in cos.list_objects(bucket, prefix="up/")])
    assert keys == sorted("up/" + k for k in _TREE)
    for rel, content in _TREE.items():
        assert await _read(cos, bucket, "up/" + rel) == content

    await cos.put_object(bucket, "up/marker/", b"")  # a "directory" marker: skipped
    dest = tmp_path / "dest" / "new"
    down_seen: list[Progress] = []
    down = await cos.download_prefix(bucket, "up/", dest, concurrency=2, progress=down_seen.append)
    assert down.ok
    assert down.transferred == up.transferred
    assert down.skipped == ("up/marker/",)
    assert down.bytes == total
    _check_progress(down_seen, total)
    assert _read_tree(dest) == _TREE
    assert not (dest / "other").exists()
    assert not any(p.name.endswith(".cos-download") for p in dest.rglob("*"))


async def test_upload_dir_without_prefix(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    _make_tree(tmp_path / "t", {"x/y.txt": b"y", "z": b"z"})
    summary = await cos.upload_dir(tmp_path / "t", bucket)
    assert summary.transferred == ("x/y.txt", "z")
    assert summary.bytes == 2
    with pytest.raises(InvalidArgument, match="not a directory"):
        await cos.upload_dir(tmp_path / "missing", bucket)


@pytest.mark.parametrize(
    ("prefix", "evil"),
    [
        ("p/", "p/../evil"),
        ("p/", "p/a/../../x"),
        ("p/", "p/a/b/../../../../q/x"),
        ("p", "p/../evil"),
        ("p/", "p/sub/.."),
        ("", "a/../../b/c"),
        ("", "/etc/evil"),
        ("p/", "p/a\\..\\..\\evil"),
    ],
)
async def test_download_prefix_refuses_escaping_keys(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    prefix: str,
    evil: str,
) -> None:
    fine = prefix.rstrip("/") + "/fine.txt" if prefix else "fine.txt"
    await cos.put_object(bucket, fine, b"fine")
    try:
        await cos.put_object(bucket, evil, b"evil")
    except InvalidArgument:
        # the client refuses to address it (it escapes the bucket): another COS client could
        # have created it, so put it into the server's store directly
        state = server.store.buckets[bucket]
        version = state.current(fine)
        assert version is not None
        server.store.put_version(state, attrs.evolve(version, key=evil))
    keys = [o.key async for o in cos.list_objects(bucket, prefix=prefix)]
    assert evil in keys
    local = tmp_path / "local"
    with pytest.raises(InvalidArgument, match="outside") as info:
        await cos.download_prefix(bucket, prefix, local)
    assert repr(evil) in str(info.value)
    assert not local.exists()  # nothing written, not even the directory
    assert list(tmp_path.iterdir()) == []
    assert server.requests.count("GetObject") == 0
    assert server.requests.count("HeadObject") == 0


async def test_download_prefix_refuses_before_writing_anything(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    for i in range(5):
        await cos.put_object(bucket, f"p/{i:02}.txt", b"fine")
    await cos.put_object(bucket, "p/zz/../../evil", b"evil")
    local = tmp_path / "local"
    local.mkdir()
    with pytest.raises(InvalidArgument, match=r"p/zz/\.\./\.\./evil"):
        await cos.download_prefix(bucket, "p/", local)
    assert list(local.iterdir()) == []
    assert list(tmp_path.iterdir()) == [local]


async def test_delete_prefix_only_that_prefix(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    keys = ["d/1", "d/2/3", "d/é", "dd", "e/d/1", "x"]
    for k in keys:
        await cos.put_object(bucket, k, k.encode())
    summary = await cos.delete_prefix(bucket, "d/")
    assert summary.transferred == ("d/1", "d/2/3", "d/é")
    assert summary.failed == ()
    assert summary.ok
    remaining = sorted([o.key async for o in cos.list_objects(bucket)])
    assert remaining == ["dd", "e/d/1", "x"]
    nothing = await cos.delete_prefix(bucket, "nothing/")
    assert nothing.transferred == ()
    with pytest.raises(InvalidArgument, match="non-empty prefix"):
        await cos.delete_prefix(bucket, "")
    assert sorted([o.key async for o in cos.list_objects(bucket)]) == remaining


async def test_delete_prefix_many_keys(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await asyncio.gather(*(cos.put_object(bucket, f"m/{i:04}", b"") for i in range(1005)))
    await cos.put_object(bucket, "n", b"")
    summary = await cos.delete_prefix(bucket, "m/")
    assert len(summary.transferred) == 1005
    assert server.requests.count("DeleteMultipleObjects") == 2
    assert [o.key async for o in cos.list_objects(bucket)] == ["n"]


def test_torn_checkpoint_line_is_dropped_and_file_rewritten(tmp_path: Path) -> None:
    from cos_async._transfer.checkpoint import Checkpoint as _Checkpoint

    ck = _Checkpoint(tmp_path / "ck")
    ck.start({"kind": "upload", "upload_id": "u"})
    ck.append({"part": 1, "etag": "a"})
    with open(ck.path, "a") as f:
        f.write('{"part": 2, "et')  # torn by a crash
    loaded = ck.load()
    assert loaded is not None
    assert loaded[1] == [{"part": 1, "etag": "a"}]
    ck.append({"part": 3, "etag": "c"})  # appended after the resume
    again = ck.load()
    assert again is not None
    assert [e["part"] for e in again[1]] == [1, 3]


def test_safe_relative_for_a_prefix_that_names_one_object() -> None:
    from cos_async._transfer.bulk import safe_relative as _safe_relative

    assert _safe_relative("reports/2024.txt", "reports/2024.txt") == "2024.txt"
    assert _safe_relative("reports/", "reports/") == ""
    assert _safe_relative("p/../evil", "p/") is None
