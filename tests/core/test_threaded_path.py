"""The threaded data path of transfers (``Transport.send_threaded``): parts and ranges go over
blocking connections in worker threads; everything else stays on the event loop. Each test here
can fail: it counts what took which path, or what a thread was still doing."""

from __future__ import annotations

import asyncio
import http.client
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cos_async import (
    AsyncCosClient,
    CosConfig,
    CosTransportError,
    IntegrityError,
    ResponseEvent,
)
from cos_async import _transport as transport_mod
from cos_async._body import FilePartBody
from cos_async._crc64 import crc64
from cos_async._transport import RangeSink, Transport
from cos_async.testing import LocalCosServer
from tests.core.test_transfers import _data

MiB = 1024 * 1024


class _Count:
    """Counts the calls of an async method, forwarding them."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return await self.fn(*args, **kwargs)


async def test_parts_and_ranges_take_the_threaded_path(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _data(5 * MiB + 3, seed=1)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    threaded = _Count(cos._transport.send_threaded)
    aio = _Count(cos._transport.send)
    monkeypatch.setattr(cos._transport, "send_threaded", threaded)
    monkeypatch.setattr(cos._transport, "send", aio)
    up = await cos.upload_file(bucket, "k", src, part_size=2 * MiB)
    assert up.parts == 3
    assert threaded.calls == 3  # the three UploadPart requests
    assert server.requests.count("UploadPart") == 3
    aio_after_upload = aio.calls  # initiate + complete on aiohttp
    assert aio_after_upload == 2
    dest = tmp_path / "dest.bin"
    down = await cos.download_file(bucket, "k", dest, part_size=2 * MiB, concurrency=2)
    assert down.parts == 3
    assert threaded.calls == 3 + 3  # the three ranged GETs
    assert aio.calls == aio_after_upload + 1  # the HEAD
    assert dest.read_bytes() == data
    assert down.crc64 == crc64(data)


async def test_without_the_threaded_path_transfers_use_aiohttp(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what happens behind a proxy: the same transfers, every byte through aiohttp
    monkeypatch.setattr(Transport, "threaded_ok", property(lambda self: False))
    threaded = _Count(cos._transport.send_threaded)
    monkeypatch.setattr(cos._transport, "send_threaded", threaded)
    data = _data(5 * MiB + 3, seed=2)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    up = await cos.upload_file(bucket, "k", src, part_size=2 * MiB)
    assert up.crc64 == crc64(data)
    dest = tmp_path / "dest.bin"
    down = await cos.download_file(bucket, "k", dest, part_size=2 * MiB, concurrency=2)
    assert dest.read_bytes() == data
    assert down.crc64 == crc64(data)
    assert threaded.calls == 0
    assert server.requests.count("UploadPart") == 3
    assert server.requests.count("GetObject") == 3


def test_proxy_disables_the_threaded_path() -> None:
    base = {"region": "ap-guangzhou", "secret_id": "AKIDx", "secret_key": "k"}
    assert Transport(CosConfig(**base)).threaded_ok
    assert not Transport(CosConfig(**base, proxy="http://127.0.0.1:3128")).threaded_ok


async def test_cancelled_range_waits_for_its_thread(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await cos.put_object(bucket, "slow", _data(3 * MiB, seed=3))
    # each range is answered only after 3 s: the threads sit in getresponse()
    server.faults.add(action="delay", operation="GetObject", delay=3, times=None)
    inside = 0
    entered = 0
    lock = threading.Lock()
    real = transport_mod._exchange

    def exchange(*args: Any, **kwargs: Any) -> Any:
        nonlocal inside, entered
        with lock:
            inside += 1
            entered += 1
        try:
            return real(*args, **kwargs)
        finally:
            time.sleep(0.2)  # a thread slow to let go of the buffer and the descriptor
            with lock:
                inside -= 1

    monkeypatch.setattr(transport_mod, "_exchange", exchange)
    dest = tmp_path / "out.bin"
    task = asyncio.create_task(
        cos.download_file(bucket, "slow", dest, part_size=MiB, concurrency=3)
    )
    for _ in range(500):
        if server.requests.count("GetObject") >= 3:
            break
        await asyncio.sleep(0.01)
    assert server.requests.count("GetObject") == 3
    loop = asyncio.get_running_loop()
    cancelled_at = loop.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the sockets were shut down: nobody waited for the server's answers
    assert loop.time() - cancelled_at < 3
    # and the coroutine returned only once no thread was left using the file or the buffers
    assert entered == 3
    assert inside == 0
    assert list(tmp_path.iterdir()) == []


async def test_stale_pooled_connection_is_replaced_without_a_retry(
    config: CosConfig, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    events: list[ResponseEvent] = []
    async with AsyncCosClient(config, on_response=events.append) as cos:
        data = _data(2 * MiB, seed=4)
        await cos.put_object(bucket, "k", data)
        dest = tmp_path / "a.bin"
        await cos.download_file(bucket, "k", dest, part_size=MiB, concurrency=1)
        pool = cos._transport._threaded
        assert pool is not None
        idle = [c for conns in pool._idle.values() for c in conns]
        assert len(idle) == 1  # kept alive after the first download
        assert idle[0].sock is not None
        idle[0].sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed it meanwhile
        events.clear()
        await cos.download_file(bucket, "k", dest, part_size=MiB, concurrency=1)
    assert dest.read_bytes() == data
    # the dead connection was replaced in place: no attempt failed, none was retried
    gets = [e for e in events if e.method == "GET"]
    assert [(e.attempt, e.status, e.error) for e in gets] == [(1, 206, None), (1, 206, None)]


class _FakeResponse:
    """Enough of http.client.HTTPResponse for RangeSink.fill."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readinto(self, view: memoryview) -> int:
        n = min(len(view), len(self._data))
        view[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


def test_range_sink_writes_at_its_offset_with_crc(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"\0" * 20)
    data = bytes(range(10))
    with path.open("r+b") as f:
        sink = RangeSink(f.fileno(), 7, 10, bytearray(3))  # a buffer smaller than the range
        seen: list[int] = []
        sink.fill(_FakeResponse(data), seen.append)  # type: ignore[arg-type]
    assert path.read_bytes() == b"\0" * 7 + data + b"\0" * 3
    assert sink.written == 10
    assert sink.crc.value == crc64(data)
    assert seen == [3, 3, 3, 1]


def test_range_sink_refuses_more_than_its_range(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"\0" * 8)
    with path.open("r+b") as f:
        sink = RangeSink(f.fileno(), 0, 4, bytearray(16))
        with pytest.raises(CosTransportError, match="more than its 4 bytes"):
            sink.fill(_FakeResponse(b"x" * 6), lambda n: None)  # type: ignore[arg-type]
    assert path.read_bytes() == b"\0" * 8  # nothing written past what was asked


def test_exchange_errors_are_mapped() -> None:
    box = transport_mod._Exchange()
    assert isinstance(
        transport_mod._mapped("GET h/k", ConnectionResetError("reset"), box), CosTransportError
    )
    assert "cut short" in str(
        transport_mod._mapped("GET h/k", http.client.IncompleteRead(b"ab", 3), box)
    )
    box.abort()  # nothing to shut down yet: harmless
    assert "cancelled" in str(transport_mod._mapped("GET h/k", OSError("x"), box))


@pytest.mark.parametrize("fsync", [False, True])
async def test_download_fsync_only_when_asked(
    cos: AsyncCosClient,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fsync: bool,
) -> None:
    data = _data(3 * MiB, seed=5)
    await cos.put_object(bucket, "k", data)
    synced: list[int] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    dest = tmp_path / "d.bin"
    await cos.download_file(bucket, "k", dest, part_size=MiB, fsync=fsync)
    assert dest.read_bytes() == data
    assert len(synced) == (1 if fsync else 0)


def test_file_part_body_sends_slices_through_its_buffer(tmp_path: Path) -> None:
    data = _data(10_000, seed=6)
    path = tmp_path / "f"
    path.write_bytes(data)
    buffer = bytearray(3000)
    body = FilePartBody(path, 1000, 7000, buffer)
    sent: list[bytes] = []
    told: list[int] = []

    def send(view: memoryview) -> None:
        assert view.obj is buffer  # a view of the reused buffer, not a fresh copy
        sent.append(bytes(view))

    body.send_to(send, told.append)
    assert b"".join(sent) == data[1000:8000]
    assert [len(p) for p in sent] == told == [3000, 3000, 1000]
    assert (body.crc.value, body.crc.length) == (crc64(data[1000:8000]), 7000)
    sent.clear()
    body.send_to(send, told.append)  # a second attempt starts from the part's first byte
    assert b"".join(sent) == data[1000:8000]
    assert body.crc.length == 7000


def test_file_part_body_refuses_a_file_that_shrank(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 5000)
    body = FilePartBody(path, 0, 5000, bytearray(1024))
    path.write_bytes(b"x" * 2500)
    with pytest.raises(IntegrityError, match="shrank while being uploaded: 2500 bytes"):
        body.send_to(lambda view: None, lambda n: None)


def test_a_closed_pool_keeps_no_connection() -> None:
    config = CosConfig(region="ap-guangzhou", secret_id="AKIDx", secret_key="k")
    pool = transport_mod._ThreadedPool(config)
    conn = http.client.HTTPConnection("127.0.0.1", 9)
    pool.close()
    pool.checkin(("http", "127.0.0.1", 9), conn)  # an exchange that finished after close()
    assert not any(pool._idle.values())


class _RecordBytes:
    """Wraps ``send_threaded``: records, per exchange, the ``on_bytes`` it got and each call."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.given: list[bool] = []  # whether an exchange got an on_bytes callback
        self.calls: list[list[int]] = []  # per exchange with a callback: the counts it received

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inner = kwargs["on_bytes"]
        self.given.append(inner is not None)
        if inner is not None:
            calls: list[int] = []
            self.calls.append(calls)

            def on_bytes(n: int) -> None:
                assert threading.current_thread() is threading.main_thread()  # on the loop
                calls.append(n)
                inner(n)

            kwargs["on_bytes"] = on_bytes
        return await self.fn(*args, **kwargs)


async def test_without_progress_no_byte_counts_wake_the_loop(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(_data(6 * MiB, seed=8))
    rec = _RecordBytes(cos._transport.send_threaded)
    monkeypatch.setattr(cos._transport, "send_threaded", rec)
    await cos.upload_file(bucket, "k", src, part_size=2 * MiB)
    await cos.download_file(bucket, "k", tmp_path / "dest.bin", part_size=2 * MiB)
    assert rec.given == [False] * 6
    await cos.upload_file(bucket, "k", src, part_size=2 * MiB, progress=lambda p: None)
    await cos.download_file(
        bucket, "k", tmp_path / "dest.bin", part_size=2 * MiB, progress=lambda p: None
    )
    assert rec.given == [False] * 6 + [True] * 6


@pytest.mark.parametrize(("interval", "calls_per_part"), [(3600.0, 1), (0.0, 4)])
@pytest.mark.parametrize("op", ["upload", "download"])
async def test_byte_counts_reach_the_loop_at_most_every_interval(
    cos: AsyncCosClient,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    op: str,
    interval: float,
    calls_per_part: int,
) -> None:
    """A worker reports the bytes it moved at most every NOTIFY_INTERVAL (each report wakes
    the loop), and the rest once its exchange is done: with an interval longer than the
    exchange, one report per part; with none, one per 1 MiB buffer."""
    monkeypatch.setattr(transport_mod, "NOTIFY_INTERVAL", interval)
    data = _data(8 * MiB, seed=9)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    if op == "download":
        await cos.upload_file(bucket, "k", src, part_size=4 * MiB)
    rec = _RecordBytes(cos._transport.send_threaded)
    monkeypatch.setattr(cos._transport, "send_threaded", rec)
    reports: list[Any] = []
    if op == "upload":
        await cos.upload_file(bucket, "k", src, part_size=4 * MiB, progress=reports.append)
    else:
        dest = tmp_path / "dest.bin"
        await cos.download_file(bucket, "k", dest, part_size=4 * MiB, progress=reports.append)
        assert dest.read_bytes() == data
    assert [sum(c) for c in rec.calls] == [4 * MiB, 4 * MiB]
    assert [len(c) for c in rec.calls] == [calls_per_part, calls_per_part]
    assert reports[-1].bytes_done == 8 * MiB
    done = [r.bytes_done for r in reports]
    assert done == sorted(done)
