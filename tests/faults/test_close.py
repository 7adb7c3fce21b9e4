"""Closing a client while work is in flight, and multipart uploads that must not be orphaned
(issue 16, items 13 and 14).

Closing fails every call in flight with a ``CosClientError`` promptly (never a bare
cancellation, never a call left waiting), lets the transfers abort their multipart uploads, and
refuses new calls. An Initiate cancelled while in flight, or retried after an attempt that ran on
the server, leaves no upload behind.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from cos_async import AsyncCosClient, CosClientError, CosConfig, CosTimeoutError
from cos_async._transport import HttpRequest, Response, Transport
from cos_async.testing import LocalCosServer
from tests.seams import engine, record

MiB = 1024 * 1024
#: a liveness bound, far above what the operations take (they end in milliseconds)
BOUND = 20.0


async def _uploads(config: CosConfig, bucket: str) -> list[str]:
    async with AsyncCosClient(config) as other:
        return [u.upload_id async for u in other.list_multipart_uploads(bucket)]


async def _poll(condition: object) -> None:
    assert callable(condition)
    while True:
        if condition():
            return
        await asyncio.sleep(0.01)


async def _close_while(
    cos: AsyncCosClient, tasks: list[asyncio.Task[object]]
) -> list[BaseException | None]:
    """Close ``cos`` and return how each task ended (all within the bound)."""
    await asyncio.wait_for(cos.aclose(), BOUND)
    _, pending = await asyncio.wait(tasks, timeout=BOUND)
    assert not pending, f"{len(pending)} calls still pending after close"
    return [None if t.cancelled() else t.exception() for t in tasks]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "src.bin"
    path.write_bytes(random.Random(1).randbytes(6 * MiB))
    return path


async def test_close_fails_calls_in_flight_with_a_cos_error(
    server: LocalCosServer, bucket: str, config: CosConfig, source: Path, tmp_path: Path
) -> None:
    async with AsyncCosClient(config) as setup:
        await setup.put_object(bucket, "big", random.Random(2).randbytes(3 * MiB))
    cos = AsyncCosClient(config)
    server.faults.add(action="delay", operation="GetObject", delay=5.0, times=None)
    server.faults.add(action="delay", operation="UploadPart", delay=5.0, times=None)

    async def read() -> object:
        body = await cos.get_object(bucket, "big")
        return await body.read()

    tasks: list[asyncio.Task[object]] = [asyncio.create_task(read()) for _ in range(3)]
    tasks.append(asyncio.create_task(cos.upload_file(bucket, "up", source, part_size=MiB)))
    tasks.append(
        asyncio.create_task(cos.download_file(bucket, "big", tmp_path / "dl.bin", part_size=MiB))
    )
    await _poll(lambda: server.requests.count("UploadPart") >= 1)
    await _poll(lambda: server.requests.count("GetObject") >= 4)
    outcomes = await _close_while(cos, tasks)
    for outcome in outcomes:
        assert isinstance(outcome, CosClientError), repr(outcome)
        assert "closed" in str(outcome)
    assert await _uploads(config, bucket) == []  # the upload aborted its multipart upload
    assert not (tmp_path / "dl.bin").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src.bin"]  # no temporary file either


async def test_a_body_being_read_fails_when_the_client_closes(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    async with AsyncCosClient(config) as setup:
        await setup.put_object(bucket, "big", random.Random(2).randbytes(8 * MiB))
    cos = AsyncCosClient(config)
    body = await cos.get_object(bucket, "big")

    async def rest() -> object:
        got = 0
        async for chunk in body.iter_chunks(64 * 1024):
            got += len(chunk)
            await asyncio.sleep(0.01)  # a slow consumer: the close comes mid-body
        return got

    task: asyncio.Task[object] = asyncio.create_task(rest())
    await asyncio.sleep(0.05)
    (outcome,) = await _close_while(cos, [task])
    assert isinstance(outcome, CosClientError), repr(outcome)


async def test_calls_after_close_are_refused_before_any_request(
    server: LocalCosServer, bucket: str, config: CosConfig, source: Path
) -> None:
    cos = AsyncCosClient(config)
    await cos.head_bucket(bucket)
    await cos.aclose()
    before = len(server.requests.records())
    with pytest.raises(CosClientError, match="closed"):
        await cos.head_object(bucket, "x")
    with pytest.raises(CosClientError, match="closed"):
        await cos.upload_file(bucket, "x", source)
    assert len(server.requests.records()) == before
    await cos.aclose()  # idempotent


@pytest.mark.parametrize("transfer", ["upload_file", "upload_stream", "copy"])
async def test_close_during_initiate_leaves_no_upload(
    server: LocalCosServer, bucket: str, config: CosConfig, source: Path, transfer: str
) -> None:
    async with AsyncCosClient(config) as setup:
        await setup.put_object(bucket, "src", b"s" * (2 * MiB))
    cos = AsyncCosClient(config)
    server.faults.add(action="delay", operation="InitiateMultipartUpload", delay=0.5)
    if transfer == "upload_file":
        call = cos.upload_file(bucket, "up", source, part_size=MiB)
    elif transfer == "upload_stream":
        call = cos.upload_stream(bucket, "up", [b"x" * MiB] * 3, part_size=MiB)
    else:
        call = cos.copy(bucket, "src", bucket, "up", threshold=MiB, part_size=MiB)
    task: asyncio.Task[object] = asyncio.create_task(call)
    await _poll(lambda: server.requests.count("InitiateMultipartUpload") >= 1 or task.done())
    (outcome,) = await _close_while(cos, [task])
    assert isinstance(outcome, CosClientError), repr(outcome)
    # the Initiate ran to its end (its outcome must be known), then its upload was aborted
    assert server.requests.count("AbortMultipartUpload") == 1
    assert await _uploads(config, bucket) == []


class _SlowInitiateAnswer:
    """A transport whose Initiate runs on the server at once but whose answer takes ``delay``
    seconds to arrive (a cancellation then comes after the upload exists)."""

    def __init__(self, inner: Transport, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.ran = asyncio.Event()

    async def send(self, request: HttpRequest) -> Response:
        resp = await self.inner.send(request)
        if request.method == "POST" and "uploads" in request.url:
            self.ran.set()
            await asyncio.sleep(self.delay)
        return resp

    async def close(self) -> None:
        await self.inner.close()

    def interrupt(self) -> None:
        self.inner.interrupt()

    @property
    def closed(self) -> bool:
        return self.inner.closed


async def test_cancel_during_initiate_aborts_the_upload_it_made(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient, config: CosConfig, source: Path
) -> None:
    eng = engine(cos)
    slow = _SlowInitiateAnswer(eng.transport, 0.3)
    eng.transport = slow
    task = asyncio.create_task(cos.upload_file(bucket, "up", source, part_size=MiB))
    await asyncio.wait_for(slow.ran.wait(), BOUND)
    assert len(await _uploads(config, bucket)) == 1  # the upload exists, its answer is on its way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, BOUND)
    assert server.requests.count("UploadPart") == 0
    assert await _uploads(config, bucket) == []


class _TimeoutAfterRunning:
    """A transport whose first Initiate runs on the server but whose answer is lost (what a
    read timeout after the server acted looks like to the client)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.lost = 0

    async def send(self, request: HttpRequest) -> Response:
        resp = await self.inner.send(request)
        if request.method == "POST" and "uploads" in request.url and not self.lost:
            self.lost += 1
            await resp.read()
            resp.release()
            raise CosTimeoutError("read timeout (injected after the server answered)")
        return resp

    async def close(self) -> None:
        await self.inner.close()

    def interrupt(self) -> None:
        self.inner.interrupt()

    @property
    def closed(self) -> bool:
        return self.inner.closed


async def test_a_retried_initiate_aborts_the_upload_of_its_lost_attempt(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient, config: CosConfig, source: Path
) -> None:
    eng = engine(cos)
    lossy = _TimeoutAfterRunning(eng.transport)
    eng.transport = lossy
    result = await cos.upload_file(bucket, "up", source, part_size=MiB)
    assert lossy.lost == 1
    assert server.requests.count("InitiateMultipartUpload") == 2
    assert result.size == source.stat().st_size
    assert await _uploads(config, bucket) == []  # the first attempt's upload was aborted


async def test_a_retried_initiate_leaves_other_writers_uploads_alone(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient, config: CosConfig, source: Path
) -> None:
    async with AsyncCosClient(config) as other:
        older = await other.create_multipart_upload(bucket, "up")
        other_key = await other.create_multipart_upload(bucket, "up2")
    await asyncio.sleep(2.5)  # started well before this upload's attempts (INITIATE_SLACK 2 s)
    eng = engine(cos)
    eng.transport = _TimeoutAfterRunning(eng.transport)
    await cos.upload_file(bucket, "up", source, part_size=MiB)
    assert sorted(await _uploads(config, bucket)) == sorted([older.upload_id, other_key.upload_id])


async def test_closing_ends_the_wait_between_attempts(
    server: LocalCosServer, bucket: str, config: CosConfig, source: Path
) -> None:
    cos = AsyncCosClient(config)
    recorder = record(cos)
    waiting = asyncio.Event()

    async def forever(_delay: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    engine(cos).sleep = forever
    engine(cos).jitter = lambda: 0.5  # a wait between attempts, even in testing mode
    server.faults.add(
        action="error", operation="InitiateMultipartUpload", status=503, code="SlowDown", times=None
    )
    task: asyncio.Task[object] = asyncio.create_task(
        cos.upload_file(bucket, "up", source, part_size=MiB)
    )
    await asyncio.wait_for(waiting.wait(), BOUND)
    (outcome,) = await _close_while(cos, [task])
    assert isinstance(outcome, CosClientError), repr(outcome)
    assert "closed after attempt 1 failed" in str(outcome)
    assert len(recorder.matching(lambda r: r.method == "POST")) == 1
