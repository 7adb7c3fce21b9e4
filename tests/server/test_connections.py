"""Connections of the local server under slow, broken or malformed clients: timeouts, the
bounded request log, client disconnects, errors aiohttp finds before the app, ``100 Continue``
after authentication, and errors after a response has started.

Stalls are bounded generously (seconds, with ``asyncio.wait_for``): a test never asserts how
fast something happens, only that it happens and what the client sees.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from cos_async import _signing
from cos_async.testing import LocalCosServer, _bodies
from cos_async.testing._faults import DEFAULT_REQUEST_LOG_SIZE
from cos_async.testing._select import SelectEngine
from tests.cos_http import CosHttp
from tests.server.test_bad_input import assert_error

#: how long a test waits for something that must happen (never an assertion about speed)
BOUND = 20.0


@pytest.fixture
async def quick_server() -> AsyncIterator[LocalCosServer]:
    """A server with short idle and body timeouts."""
    async with LocalCosServer(idle_timeout=0.5, body_timeout=0.5) as srv:
        yield srv


async def connect(server: LocalCosServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(server.host, server.port)


async def read_to_eof(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (a reset ends it too)."""
    data = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), BOUND):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def signed_head(
    server: LocalCosServer,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    params: dict[str, str | None] | None = None,
) -> bytes:
    """A request head signed like the official SDK (host and the given headers)."""
    host = f"{server.host}:{server.port}"
    now = int(time.time())
    auth = _signing.sign(
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        method=method,
        path=path,
        params=params or {},
        headers={"Host": host, **headers},
        start=now - 60,
        end=now + 600,
    )
    query = "&".join(k if v is None else f"{k}={v}" for k, v in (params or {}).items())
    lines = [f"{method} {path}{'?' + query if query else ''} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Authorization: {auth.to_header()}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    """One response with a Content-Length: its head and its body."""
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)).decode("latin-1")
    length = next(
        int(line.split(":", 1)[1])
        for line in head.split("\r\n")
        if line.lower().startswith("content-length:")
    )
    return head, await asyncio.wait_for(reader.readexactly(length), BOUND)


def head_and_body(data: bytes) -> tuple[str, bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


# --- timeouts -----------------------------------------------------------------------------------


async def test_idle_connections_are_closed(quick_server: LocalCosServer) -> None:
    reader, writer = await connect(quick_server)
    assert await read_to_eof(reader) == b""  # closed by the server, nothing sent
    writer.close()


async def test_slow_request_heads_are_closed(quick_server: LocalCosServer) -> None:
    reader, writer = await connect(quick_server)
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
    await writer.drain()
    assert await read_to_eof(reader) == b""
    writer.close()


async def test_keep_alive_connections_are_closed_after_the_idle_timeout(
    quick_server: LocalCosServer,
) -> None:
    reader, writer = await connect(quick_server)
    writer.write(b"GET /_cos_testing/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    head, _ = head_and_body(await read_to_eof(reader))  # answered, then closed when idle
    assert head.startswith("HTTP/1.1 200")
    writer.close()


async def test_a_stalled_body_is_answered_and_closed(quick_server: LocalCosServer) -> None:
    bucket = quick_server.create_bucket()
    reader, writer = await connect(quick_server)
    writer.write(
        signed_head(quick_server, "PUT", f"/{bucket}/k", {"Content-Length": "1000"}) + b"x" * 10
    )
    await writer.drain()
    head, body = head_and_body(await read_to_eof(reader))
    assert head.startswith("HTTP/1.1 400"), head
    assert b"<Code>RequestTimeout</Code>" in body
    writer.close()
    assert quick_server.store.buckets[bucket].current("k") is None
    assert [r.status for r in quick_server.requests.records()] == [400]


async def test_a_slow_body_that_keeps_coming_is_not_timed_out() -> None:
    async with LocalCosServer(body_timeout=2.0) as server:
        bucket = server.create_bucket()
        reader, writer = await connect(server)
        writer.write(signed_head(server, "PUT", f"/{bucket}/k", {"Content-Length": "10"}))
        for _ in range(10):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.1)
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)).decode()
        assert head.startswith("HTTP/1.1 200"), head
        writer.close()


def test_timeouts_are_checked() -> None:
    for bad in (0, -1, "5", True):
        with pytest.raises(ValueError, match="timeout"):
            LocalCosServer(idle_timeout=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="timeout"):
            LocalCosServer(body_timeout=bad)  # type: ignore[arg-type]


# --- the request log ----------------------------------------------------------------------------


async def test_the_request_log_is_a_ring_buffer(session: aiohttp.ClientSession) -> None:
    async with LocalCosServer(request_log_size=5) as server:
        http = CosHttp(server.endpoint, server.secret_id, server.secret_key, session)
        bucket = server.create_bucket()
        for i in range(20):
            await http.request("HEAD", bucket, f"k{i}")
        assert [r.key for r in server.requests.records()] == [f"k{i}" for i in range(15, 20)]
        assert server.requests.dropped == 15
        assert server.requests.maxlen == 5
        server.requests.clear()
        assert server.requests.records() == []
        assert server.requests.dropped == 0


def test_the_request_log_has_a_default_bound() -> None:
    assert LocalCosServer().requests.maxlen == DEFAULT_REQUEST_LOG_SIZE == 10_000
    assert LocalCosServer(request_log_size=None).requests.maxlen is None
    with pytest.raises(ValueError, match="at least 1"):
        LocalCosServer(request_log_size=0)


# --- client disconnects -------------------------------------------------------------------------


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="cos_async.testing")
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    return caplog


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the server and aiohttp's server side logged at WARNING or above."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith(("cos_async.testing", "aiohttp"))
    ]


async def wait_for_status(server: LocalCosServer, operation: str) -> int | None:
    async def settled() -> int | None:
        while True:
            records = [r for r in server.requests.records() if r.operation == operation]
            if records and records[-1].status is not None:
                return records[-1].status
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(settled(), BOUND)


async def test_a_client_that_leaves_mid_upload_is_recorded_as_such(
    server: LocalCosServer, server_log: pytest.LogCaptureFixture
) -> None:
    bucket = server.create_bucket()
    _, writer = await connect(server)
    writer.write(
        signed_head(server, "PUT", f"/{bucket}/k", {"Content-Length": "1000000"}) + b"x" * 1000
    )
    await writer.drain()
    writer.close()
    assert await wait_for_status(server, "PutObject") == 499
    assert not problems(server_log)


async def test_a_client_that_leaves_mid_form_upload_is_recorded_as_such(
    server: LocalCosServer, server_log: pytest.LogCaptureFixture
) -> None:
    bucket = server.create_bucket(acl="public-read-write")
    _, writer = await connect(server)
    body = (
        b'--x\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n'
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n' + b"d" * 1000
    )
    writer.write(
        (
            f"POST /{bucket} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000\r\n\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    writer.close()
    assert await wait_for_status(server, "PostObject") == 499
    assert not problems(server_log)


async def test_a_client_that_leaves_mid_download_is_recorded_as_such(
    server: LocalCosServer, http: CosHttp, server_log: pytest.LogCaptureFixture
) -> None:
    bucket = server.create_bucket()
    data = b"z" * (32 * 1024 * 1024)
    assert (
        await http.request("PUT", bucket, "big", data=_file(data), headers=_length(data))
    ).status == 200
    reader, writer = await connect(server)
    writer.write(signed_head(server, "GET", f"/{bucket}/big", {}))
    await writer.drain()
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
    writer.transport.abort()  # unread data: the kernel resets the connection
    assert await wait_for_status(server, "GetObject") == 499
    assert not problems(server_log)


def _file(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def _length(data: bytes) -> dict[str, str]:
    return {"Content-Length": str(len(data))}


# --- answers aiohttp used to give in plain text --------------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\n",
        b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"PUT /b-1250000000/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
        b"PUT /b-1250000000/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n"
        b"Content-Length: 2\r\n\r\nxx",
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n",
    ],
    ids=["long-header", "long-line", "bad-length", "two-lengths", "many-headers", "tls"],
)
async def test_malformed_requests_get_cos_errors(
    server: LocalCosServer, request_bytes: bytes, server_log: pytest.LogCaptureFixture
) -> None:
    reader, writer = await connect(server)
    writer.write(request_bytes)
    await writer.drain()
    head, body = head_and_body(await read_to_eof(reader))
    writer.close()
    assert head.startswith(("HTTP/1.1 400", "HTTP/1.0 400")), head  # 1.0: no request line read
    assert "Content-Type: application/xml" in head
    assert b"<Code>InvalidRequest</Code>" in body
    assert b"<RequestId>" in body
    assert not problems(server_log)


async def test_keys_with_newlines(http: CosHttp, bucket: str) -> None:
    for key in ("a\nb", "\n", "x\r\ny", "tab\there"):
        assert (await http.request("PUT", bucket, key, data=b"data")).status == 200
        got = await http.request("GET", bucket, key)
        assert (got.status, got.body) == (200, b"data")
    missing = await http.request("GET", bucket, "no\nsuch")
    assert_error(missing, 404, "NoSuchKey")


async def test_error_documents_are_xml_even_for_control_characters(
    http: CosHttp, bucket: str
) -> None:
    reply = await http.request("GET", bucket, "bell\x07and\x01nul")
    doc = assert_error(reply, 404, "NoSuchKey")
    assert "\\x07" in doc["Resource"]


# --- 100 Continue -------------------------------------------------------------------------------


async def test_continue_is_sent_only_after_authentication(server: LocalCosServer) -> None:
    bucket = server.create_bucket()
    headers = {"Content-Length": "4", "Expect": "100-continue"}
    # unsigned, to a private bucket: refused without inviting the body
    reader, writer = await connect(server)
    writer.write(
        f"PUT /{bucket}/k HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n".encode()
    )
    await writer.drain()
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)).decode()
    assert head.startswith("HTTP/1.1 403"), head
    writer.close()
    # signed: 100 Continue, then the body, then 200
    reader, writer = await connect(server)
    writer.write(signed_head(server, "PUT", f"/{bucket}/k", headers))
    await writer.drain()
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)).decode()
    assert head.startswith("HTTP/1.1 100"), head
    writer.write(b"data")
    await writer.drain()
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)).decode()
    assert head.startswith("HTTP/1.1 200"), head
    writer.close()
    assert server.store.buckets[bucket].current("k") is not None


async def test_an_unknown_expectation_is_refused(server: LocalCosServer) -> None:
    bucket = server.create_bucket()
    reader, writer = await connect(server)
    writer.write(
        signed_head(server, "PUT", f"/{bucket}/k", {"Content-Length": "0", "Expect": "magic"})
    )
    await writer.drain()
    head, body = await read_response(reader)
    writer.close()
    assert head.startswith("HTTP/1.1 417"), head
    assert b"<Code>ExpectationFailed</Code>" in body


# --- errors once a response has started ---------------------------------------------------------


async def test_a_download_failing_midway_resets_the_connection(
    server: LocalCosServer,
    http: CosHttp,
    monkeypatch: pytest.MonkeyPatch,
    server_log: pytest.LogCaptureFixture,
) -> None:
    bucket = server.create_bucket()
    data = b"z" * (4 * 1024 * 1024)
    assert (
        await http.request("PUT", bucket, "big", data=_file(data), headers=_length(data))
    ).status == 200
    segments = _bodies.iter_segments

    async def failing(*args: Any) -> AsyncIterator[bytes | memoryview]:
        async for i, chunk in _enumerate(segments(*args)):
            if i == 2:
                raise OSError("the disk went away")
            yield chunk

    monkeypatch.setattr(_bodies, "iter_segments", failing)
    reader, writer = await connect(server)
    writer.write(signed_head(server, "GET", f"/{bucket}/big", {}))
    await writer.drain()
    answer = await read_to_eof(reader)
    writer.close()
    # A reset may destroy what the client had not read yet: whatever arrived is a cut answer,
    # never a complete one, never with a second response inside it
    head, body = head_and_body(answer)
    assert head.startswith("HTTP/1.1 200") or not answer, head
    assert len(body) < len(data)
    assert b"HTTP/1.1" not in body
    assert await wait_for_status(server, "GetObject") == 500
    assert any("internal error" in r.getMessage() for r in problems(server_log))


async def test_a_select_failing_midway_resets_the_connection(
    server: LocalCosServer, http: CosHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.server.test_select import request_xml

    bucket = server.create_bucket()
    data = b"a,1\n" * 1_000_000
    assert (
        await http.request("PUT", bucket, "a.csv", data=_file(data), headers=_length(data))
    ).status == 200
    step = SelectEngine.step
    calls = 0

    def failing_step(self: SelectEngine) -> list[bytes] | None:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise ValueError("a bug in the engine")
        return step(self)

    monkeypatch.setattr(SelectEngine, "step", failing_step)
    xml = request_xml("SELECT * FROM COSObject")
    reader, writer = await connect(server)
    writer.write(
        signed_head(
            server,
            "POST",
            f"/{bucket}/a.csv",
            {"Content-Length": str(len(xml))},
            params={"select": None, "select-type": "2"},
        )
        + xml
    )
    await writer.drain()
    answer = await read_to_eof(reader)
    writer.close()
    # (see the download test: a reset may destroy what the client had not read yet)
    head, body = head_and_body(answer)
    assert head.startswith("HTTP/1.1 200") or not answer, head
    assert b"HTTP/1.1" not in body  # no second response inside the first
    assert not body.endswith(b"0\r\n\r\n")  # the chunked body never ends: the client sees it cut
    assert await wait_for_status(server, "SelectObjectContent") == 500


async def _enumerate(items: AsyncIterator[Any]) -> AsyncIterator[tuple[int, Any]]:
    i = 0
    async for item in items:
        yield i, item
        i += 1
