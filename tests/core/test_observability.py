"""Logging under ``cos_async`` (one DEBUG line per attempt, no secrets) and the client's
``on_request`` / ``on_response`` hooks."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import pytest

from cos_async import (
    AsyncCosClient,
    CosConfig,
    CosTransportError,
    InvalidArgument,
    NoSuchKey,
    RequestEvent,
    ResponseEvent,
    SlowDown,
)
from cos_async.testing import LocalCosServer, ServerCredential

SECRET_KEY = "observability-secret-key-0123456789"
TOKEN = "observability-session-token-abcdef"


@pytest.fixture
async def token_server() -> AsyncIterator[LocalCosServer]:
    creds = [ServerCredential("AKIDobserve", SECRET_KEY, token=TOKEN)]
    async with LocalCosServer(credentials=creds) as srv:
        yield srv


def _config(srv: LocalCosServer) -> CosConfig:
    return CosConfig(
        region=srv.region,
        secret_id="AKIDobserve",
        secret_key=SECRET_KEY,
        token=TOKEN,
        endpoint_url=srv.endpoint,
    )


async def test_one_debug_line_per_attempt_and_no_secret(
    token_server: LocalCosServer, caplog: pytest.LogCaptureFixture
) -> None:
    bucket = token_server.create_bucket()
    token_server.faults.add(action="error", operation="PutObject", status=503, code="SlowDown")
    with caplog.at_level(logging.DEBUG, logger="cos_async"):
        async with AsyncCosClient(_config(token_server)) as cos:
            await cos.put_object(bucket, "dir/a.txt", b"hello")
            with pytest.raises(NoSuchKey):
                await cos.head_object(bucket, "missing")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("cos_async")]
    request_lines = [line for line in lines if " attempt=" in line]
    host = token_server.endpoint.split("://", 1)[1]
    assert len(request_lines) == 3, request_lines  # 503, then 200, then the 404
    first, second, third = request_lines
    assert first.startswith(f"PUT {host} bucket={bucket} key=dir/a.txt status=503 ")
    assert "attempt=1" in first
    assert "error=SlowDown" in first
    assert re.search(r"request_id=\S+ attempt=2 duration=\d+\.\d{3}s$", second)
    assert " status=200 " in second
    assert third.startswith(f"HEAD {host} bucket={bucket} key=missing status=404 ")
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert SECRET_KEY not in text
        assert TOKEN not in text
        assert "q-signature" not in text


async def test_hooks_see_every_attempt(token_server: LocalCosServer) -> None:
    bucket = token_server.create_bucket()
    token_server.faults.add(action="error", operation="PutObject", status=503, code="SlowDown")
    requests: list[RequestEvent] = []
    responses: list[ResponseEvent] = []

    async def on_response(event: ResponseEvent) -> None:  # an async hook is awaited
        responses.append(event)

    async with AsyncCosClient(
        _config(token_server), on_request=requests.append, on_response=on_response
    ) as cos:
        await cos.put_object(bucket, "k", b"data")
        await cos.put_object_tagging(bucket, "k", {"a": "b"})

    assert [(e.method, e.key, e.attempt) for e in requests] == [
        ("PUT", "k", 1),
        ("PUT", "k", 2),
        ("PUT", "k", 1),
    ]
    assert requests[0].url == f"{token_server.endpoint}/{bucket}/k"
    assert requests[2].url == f"{token_server.endpoint}/{bucket}/k?tagging"
    assert [(e.status, e.attempt) for e in responses] == [(503, 1), (200, 2), (200, 1)]
    assert isinstance(responses[0].error, SlowDown)
    assert responses[1].error is None
    assert all(e.request_id for e in responses)
    assert all(e.duration >= 0 for e in responses)
    for event in [*requests, *responses]:
        assert TOKEN not in repr(event)
        assert SECRET_KEY not in repr(event)


async def test_response_hook_sees_transport_errors(
    config: CosConfig, server: LocalCosServer
) -> None:
    bucket = server.create_bucket()
    server.faults.add(action="reset", operation="PutObject")
    seen: list[ResponseEvent] = []
    async with AsyncCosClient(config, on_response=seen.append) as cos:
        await cos.put_object(bucket, "k", b"x" * 100)
        body = await cos.get_object(bucket, "k")
        assert await body.read() == b"x" * 100
    assert [(e.method, e.attempt, e.status) for e in seen] == [
        ("PUT", 1, None),
        ("PUT", 2, 200),
        ("GET", 1, 200),
    ]
    assert isinstance(seen[0].error, CosTransportError)
    assert seen[0].request_id is None


async def test_a_failing_hook_propagates(config: CosConfig, server: LocalCosServer) -> None:
    bucket = server.create_bucket()

    def boom(event: RequestEvent) -> None:
        raise RuntimeError(f"hook refused {event.method}")

    async with AsyncCosClient(config, on_request=boom) as cos:
        with pytest.raises(RuntimeError, match="hook refused PUT"):
            await cos.put_object(bucket, "k", b"x")
    async with AsyncCosClient(config) as cos:
        assert not await cos.object_exists(bucket, "k")  # nothing was sent


async def test_a_failing_response_hook_closes_a_streamed_body(
    config: CosConfig, server: LocalCosServer
) -> None:
    bucket = server.create_bucket()
    calls = 0

    def fail_on_get(event: ResponseEvent) -> None:
        nonlocal calls
        calls += 1
        if event.method == "GET":
            raise RuntimeError("metrics backend down")

    async with AsyncCosClient(config, on_response=fail_on_get) as cos:
        await cos.put_object(bucket, "k", b"y" * 1000)
        with pytest.raises(RuntimeError, match="metrics backend down"):
            await cos.get_object(bucket, "k")
        # the pool is still usable (the streamed response was closed, not leaked)
        await cos.put_object(bucket, "k2", b"z")
    assert calls == 3


@pytest.mark.parametrize("name", ["on_request", "on_response"])
def test_hooks_must_be_callable(config: CosConfig, name: str) -> None:
    with pytest.raises(InvalidArgument, match=f"{name} must be callable, got 'nope'"):
        AsyncCosClient(config, **{name: "nope"})  # type: ignore[arg-type]
