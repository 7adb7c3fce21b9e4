"""Downloads into streams and file objects (issue 19, item 7): ``download_stream`` and
``download_fileobj``, parts in order, ETag-pinned, CRC-64-checked, memory bounded."""

from __future__ import annotations

import asyncio
import io
import random

import pytest

from cos_async import AsyncCosClient, IntegrityError, InvalidArgument, Progress
from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer
from tests.seams import record

MiB = 1024 * 1024


def _data(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


async def test_a_stream_in_order(cos: AsyncCosClient, server: LocalCosServer, bucket: str) -> None:
    data = _data(5 * MiB + 17)
    await cos.put_object(bucket, "k", data)
    recorder = record(cos)
    chunks = [c async for c in cos.download_stream(bucket, "k", part_size=MiB, concurrency=3)]
    assert [len(c) for c in chunks] == [MiB] * 5 + [17]
    assert b"".join(chunks) == data
    ranges = [r.headers["Range"] for r in recorder.sent if r.method == "GET"]
    assert len(ranges) == 6
    assert all(r.headers["If-Match"] for r in recorder.sent if r.method == "GET")
    assert recorder.max_in_flight <= 3


async def test_memory_is_bounded_by_concurrency(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "k", _data(8 * MiB))
    recorder = record(cos)
    stream = cos.download_stream(bucket, "k", part_size=MiB, concurrency=2)
    first = await anext(stream)
    await asyncio.sleep(0.2)  # a slow consumer: no more than two parts are fetched ahead
    assert len(first) == MiB
    assert len([r for r in recorder.sent if r.method == "GET"]) <= 3
    await stream.aclose()  # stopping early cancels what was fetched ahead


async def test_an_empty_object(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "empty", b"")
    assert [c async for c in cos.download_stream(bucket, "empty")] == []
    out = io.BytesIO()
    result = await cos.download_fileobj(bucket, "empty", out)
    assert out.getvalue() == b""
    assert result.size == 0


async def test_into_file_objects_sync_and_async(cos: AsyncCosClient, bucket: str) -> None:
    data = _data(3 * MiB + 5, seed=1)
    await cos.put_object(bucket, "k", data)
    out = io.BytesIO()
    seen: list[Progress] = []
    result = await cos.download_fileobj(bucket, "k", out, part_size=MiB, progress=seen.append)
    assert out.getvalue() == data
    assert result.size == len(data)
    assert result.crc64 == crc64(data)
    assert result.parts == 4
    assert seen[-1].bytes_done == len(data)

    class AsyncSink:
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        async def write(self, chunk: bytes) -> None:
            await asyncio.sleep(0)
            self.parts.append(chunk)

    sink = AsyncSink()
    await cos.download_fileobj(bucket, "k", sink, part_size=MiB)
    assert b"".join(sink.parts) == data


async def test_an_object_replaced_meanwhile_fails(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", _data(4 * MiB, seed=2))
    stream = cos.download_stream(bucket, "k", part_size=MiB, concurrency=1)
    await anext(stream)
    await cos.put_object(bucket, "k", _data(4 * MiB, seed=3))
    with pytest.raises(IntegrityError, match="replaced during the download"):
        async for _ in stream:
            pass


async def test_damaged_bytes_fail_at_the_end(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", _data(2 * MiB, seed=4))
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=1000)
    out = io.BytesIO()
    with pytest.raises(IntegrityError, match="CRC64 mismatch"):
        await cos.download_fileobj(bucket, "k", out, part_size=MiB)
    unchecked = io.BytesIO()
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=1000)
    await cos.download_fileobj(bucket, "k", unchecked, part_size=MiB, verify_crc=False)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"part_size": 1000}, "part_size"),
        ({"part_size": 65 * MiB}, "part_size"),
        ({"concurrency": 0}, "concurrency"),
    ],
)
async def test_bad_input(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, kwargs: dict[str, int], named: str
) -> None:
    with pytest.raises(InvalidArgument, match=named):
        await cos.download_fileobj(bucket, "k", io.BytesIO(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=named):
        async for _ in cos.download_stream(bucket, "k", **kwargs):  # type: ignore[arg-type]
            pass
    with pytest.raises(InvalidArgument, match="binary mode"):
        await cos.download_fileobj(bucket, "k", io.StringIO())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="writable binary file object"):
        await cos.download_fileobj(bucket, "k", b"not a file")  # type: ignore[arg-type]
    assert server.requests.records() == []
