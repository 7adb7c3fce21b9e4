"""The threaded data path of transfers (``cos_async._threaded.ThreadedPath``): parts and ranges
go over blocking connections in worker threads; everything else stays on the event loop. Each
test here can fail: it counts what took which path, or what a thread was still doing. Tests
install their own transport or bulk path through the engine's ``transport`` seam."""

from __future__ import annotations

import asyncio
import http.client
import os
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any

import attrs
import pytest

from cos_async import (
    AsyncCosClient,
    CosConfig,
    CosTransportError,
    IntegrityError,
    ResponseEvent,
)
from cos_async import _threaded as threaded_mod
from cos_async._body import FilePartBody, RangeSink
from cos_async._crc64 import crc64
from cos_async._threaded import ThreadedPath
from cos_async._transport import AiohttpTransport, BulkPath, HttpRequest, Response
from cos_async.testing import LocalCosServer
from tests.core.test_transfers import _data
from tests.seams import engine

MiB = 1024 * 1024


async def _install(cos: AsyncCosClient, bulk: BulkPath | None, **kwargs: Any) -> AiohttpTransport:
    """Give ``cos`` a fresh transport with ``bulk`` as its bulk path (None: no bulk path)."""
    transport = AiohttpTransport(cos.config, bulk=bulk, **kwargs)
    await engine(cos).transport.close()
    engine(cos).transport = transport
    return transport


async def test_parts_and_ranges_take_the_threaded_path(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    data = _data(5 * MiB + 3, seed=1)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    sent = (await _install(cos, ThreadedPath(cos.config))).sent
    up = await cos.upload_file(bucket, "k", src, part_size=2 * MiB)
    assert up.parts == 3
    assert sent["bulk"] == 3  # the three UploadPart requests
    assert server.requests.count("UploadPart") == 3
    assert sent["aiohttp"] == 2  # initiate + complete on aiohttp
    dest = tmp_path / "dest.bin"
    down = await cos.download_file(bucket, "k", dest, part_size=2 * MiB, concurrency=2)
    assert down.parts == 3
    assert sent["bulk"] == 3 + 3  # the three ranged GETs
    assert sent["aiohttp"] == 2 + 1  # the HEAD
    assert dest.read_bytes() == data
    assert down.crc64 == crc64(data)


async def test_without_the_threaded_path_transfers_use_aiohttp(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    # what happens behind a proxy: the same transfers, every byte through aiohttp
    sent = (await _install(cos, None)).sent
    data = _data(5 * MiB + 3, seed=2)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    up = await cos.upload_file(bucket, "k", src, part_size=2 * MiB)
    assert up.crc64 == crc64(data)
    dest = tmp_path / "dest.bin"
    down = await cos.download_file(bucket, "k", dest, part_size=2 * MiB, concurrency=2)
    assert dest.read_bytes() == data
    assert down.crc64 == crc64(data)
    assert sent["bulk"] == 0
    assert sent["aiohttp"] == 2 + 3 + 1 + 3  # initiate, parts, complete; HEAD, ranges
    assert server.requests.count("UploadPart") == 3
    assert server.requests.count("GetObject") == 3


def test_proxy_disables_the_threaded_path() -> None:
    base = {"region": "ap-guangzhou", "secret_id": "AKIDx", "secret_key": "k"}
    direct, proxied = CosConfig(**base), CosConfig(**base, proxy="http://127.0.0.1:3128")
    assert AiohttpTransport(direct, bulk=ThreadedPath(direct)).bulk is not None
    assert AiohttpTransport(proxied, bulk=ThreadedPath(proxied)).bulk is None
    # and the client's own transport has one exactly when there is no proxy
    assert isinstance(engine(AsyncCosClient(direct)).transport, AiohttpTransport)
    assert engine(AsyncCosClient(direct)).transport.bulk is not None  # type: ignore[attr-defined]
    assert engine(AsyncCosClient(proxied)).transport.bulk is None  # type: ignore[attr-defined]


async def test_cancelled_range_waits_for_its_thread(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path
) -> None:
    await cos.put_object(bucket, "slow", _data(3 * MiB, seed=3))
    # each range is answered only after 3 s: the threads sit in getresponse()
    server.faults.add(action="delay", operation="GetObject", delay=3, times=None)
    inside = 0
    entered = 0
    lock = threading.Lock()
    probe = ThreadedPath(cos.config)
    real = probe._exchange

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

    await _install(cos, ThreadedPath(cos.config, exchange=exchange))
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
        bulk = engine(cos).transport.bulk  # type: ignore[attr-defined]
        assert isinstance(bulk, ThreadedPath)
        idle = bulk.idle_connections()
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
    box = threaded_mod._Exchange()
    assert isinstance(
        threaded_mod._mapped("GET h/k", ConnectionResetError("reset"), box), CosTransportError
    )
    assert "cut short" in str(
        threaded_mod._mapped("GET h/k", http.client.IncompleteRead(b"ab", 3), box)
    )
    box.abort()  # nothing to shut down yet: harmless
    assert "cancelled" in str(threaded_mod._mapped("GET h/k", OSError("x"), box))


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
    pool = threaded_mod._ThreadedPool(config)
    conn = http.client.HTTPConnection("127.0.0.1", 9)
    pool.close()
    pool.checkin(("http", "127.0.0.1", 9), conn)  # an exchange that finished after close()
    assert pool.idle() == []


class _RecordBytes:
    """A bulk path that forwards to a :class:`ThreadedPath` and records, per exchange, whether
    it had a byte counter (an upload's body reports its own bytes; a download's request carries
    the counter) and the counts that reached the loop."""

    def __init__(self, inner: ThreadedPath) -> None:
        self.inner = inner
        self.given: list[bool] = []  # whether an exchange got an on_bytes callback
        self.calls: list[list[int]] = []  # per exchange with a callback: the counts it received

    async def send(self, request: HttpRequest, tls: ssl.SSLContext | None) -> Response:
        body = request.body
        inner = body.on_bytes if body is not None else request.on_bytes
        self.given.append(inner is not None)
        if inner is not None:
            calls: list[int] = []
            self.calls.append(calls)
            forward = inner

            def on_bytes(n: int) -> None:
                assert threading.current_thread() is threading.main_thread()  # on the loop
                calls.append(n)
                forward(n)

            if body is not None:
                body.on_bytes = on_bytes
            else:
                request = attrs.evolve(request, on_bytes=on_bytes)
        return await self.inner.send(request, tls)

    def interrupt(self) -> None:
        self.inner.interrupt()

    def close(self) -> None:
        self.inner.close()


async def test_without_progress_no_byte_counts_wake_the_loop(
    cos: AsyncCosClient, bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(_data(6 * MiB, seed=8))
    rec = _RecordBytes(ThreadedPath(cos.config))
    await _install(cos, rec)
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
    op: str,
    interval: float,
    calls_per_part: int,
) -> None:
    """A worker reports the bytes it moved at most every NOTIFY_INTERVAL (each report wakes
    the loop), and the rest once its exchange is done: with an interval longer than the
    exchange, one report per part; with none, one per 1 MiB buffer."""
    data = _data(8 * MiB, seed=9)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    if op == "download":
        await cos.upload_file(bucket, "k", src, part_size=4 * MiB)
    rec = _RecordBytes(ThreadedPath(cos.config, notify_interval=interval))
    await _install(cos, rec)
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


# --- the send buffer of bulk connections ---------------------------------------------------


@pytest.mark.parametrize(
    ("wmem_max", "tcp_wmem_max", "expected"),
    [
        (4 * MiB, 4 * MiB, 4 * MiB),  # the system allows the autotuning maximum: fixed at it
        (16 * MiB, 4 * MiB, 4 * MiB),
        (212992, 4 * MiB, None),  # the common default: a fixed buffer would be smaller
        (None, 4 * MiB, None),  # unreadable (not Linux): the kernel's own
        (4 * MiB, None, None),
    ],
)
def test_the_send_buffer_is_never_set_below_what_the_kernel_would_reach(
    monkeypatch: pytest.MonkeyPatch,
    wmem_max: int | None,
    tcp_wmem_max: int | None,
    expected: int | None,
) -> None:
    values = {
        ("/proc/sys/net/core/wmem_max", 0): wmem_max,
        ("/proc/sys/net/ipv4/tcp_wmem", 2): tcp_wmem_max,
    }
    monkeypatch.setattr(threaded_mod, "_read_int", lambda path, field=0: values[path, field])
    assert threaded_mod.bulk_send_buffer() == expected


def test_read_int_reads_proc_fields(tmp_path: Path) -> None:
    f = tmp_path / "tcp_wmem"
    f.write_text("4096\t16384\t4194304\n")
    assert threaded_mod._read_int(str(f), 2) == 4194304
    assert threaded_mod._read_int(str(f), 5) is None
    assert threaded_mod._read_int(str(tmp_path / "missing")) is None
    f.write_text("garbage\n")
    assert threaded_mod._read_int(str(f)) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's SO_SNDBUF accounting")
async def test_bulk_connections_get_the_send_buffer(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = 123_457  # under any wmem_max, and a size the kernel's own growing never picks
    monkeypatch.setattr(threaded_mod, "bulk_send_buffer", lambda: asked)
    src = tmp_path / "src.bin"
    src.write_bytes(_data(3 * MiB, seed=7))
    bulk = ThreadedPath(cos.config)
    await _install(cos, bulk)
    await cos.upload_file(bucket, "k", src, part_size=MiB, concurrency=2)
    idle = bulk.idle_connections()
    assert idle
    for conn in idle:
        assert conn.sock is not None
        # Linux doubles what is asked for (the bookkeeping overhead)
        assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 2 * asked
    bulk.close()
