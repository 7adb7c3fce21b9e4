"""Request bodies: make_body and its adapters, one-shot rules, CRC tracking and Content-MD5."""

from __future__ import annotations

import array
import asyncio
import base64
import hashlib
import io
import os
import pathlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import crcmod
import pytest

from cos_async import AsyncCosClient, IntegrityError, InvalidArgument, RetryExhausted
from cos_async._body import (
    CHUNK,
    BytesBody,
    FileObjectBody,
    FileRangeBody,
    IterableBody,
    RequestBody,
    make_body,
)
from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer

# The official SDK's CRC64 (independent of the fastcrc-based implementation under test).
crc64_oracle = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)

DATA = bytes(range(256)) * 9000 + b"tail"  # > 2 chunks


async def drain(body: RequestBody) -> bytes:
    parts = [bytes(chunk) async for chunk in body.open()]
    assert all(parts), "empty chunks are never sent"
    assert all(len(p) <= 4 * CHUNK for p in parts)
    return b"".join(parts)


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.fixture
def data_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    return path


@pytest.fixture
def pipe_reader() -> Iterator[io.BufferedReader]:
    r, w = os.pipe()
    with os.fdopen(w, "wb") as writer:
        writer.write(b"from a pipe")
    with os.fdopen(r, "rb") as reader:
        yield reader


# --- bytes-like ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [DATA, bytearray(DATA), memoryview(DATA), b""],
    ids=["bytes", "bytearray", "mv", "empty"],
)
async def test_bytes_like(data: bytes | bytearray | memoryview) -> None:
    body = make_body(data)
    assert isinstance(body, BytesBody)
    assert body.replayable
    assert body.length == len(data)
    assert await drain(body) == bytes(data)
    assert await drain(body) == bytes(data)  # replayable: every attempt gets a fresh stream
    assert body.crc.value == crc64_oracle(bytes(data))
    assert body.crc.length == len(data)


async def test_memoryview_of_a_non_byte_format() -> None:
    arr = array.array("I", range(1000))
    view = memoryview(arr)
    assert view.format == "I"
    body = make_body(view)
    assert body.length == len(arr.tobytes()) == 4000
    assert await drain(body) == arr.tobytes()
    assert body.crc.value == crc64(arr.tobytes())


async def test_multidimensional_memoryview() -> None:
    view = memoryview(bytes(range(24))).cast("B", (4, 6))
    body = make_body(view)
    assert body.length == 24
    assert await drain(body) == bytes(range(24))


async def test_non_contiguous_memoryview() -> None:
    view = memoryview(b"abcdef")[::2]
    body = make_body(view)
    assert body.length == 3
    assert await drain(body) == b"ace"
    assert await body.content_md5() == md5_b64(b"ace")


async def test_memoryview_slice() -> None:
    body = make_body(memoryview(DATA)[100:200])
    assert body.length == 100
    assert await drain(body) == DATA[100:200]
    assert await body.content_md5() == md5_b64(DATA[100:200])


# --- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_type", [str, pathlib.Path], ids=["str", "Path"])
async def test_path(data_file: pathlib.Path, as_type: type) -> None:
    body = make_body(as_type(data_file))
    assert isinstance(body, FileRangeBody)
    assert body.replayable
    assert body.length == len(DATA)
    assert await drain(body) == DATA
    assert await drain(body) == DATA
    assert body.crc.value == crc64_oracle(DATA)


@pytest.mark.parametrize("as_type", [str, pathlib.Path], ids=["str", "Path"])
def test_missing_path(tmp_path: pathlib.Path, as_type: type) -> None:
    missing = tmp_path / "no-such-file.bin"
    with pytest.raises(InvalidArgument) as info:
        make_body(as_type(missing))
    assert str(missing) in str(info.value)


def test_directory_is_not_a_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(InvalidArgument, match="not a file"):
        make_body(tmp_path)


def test_text_is_not_sent_as_a_path() -> None:
    with pytest.raises(InvalidArgument, match="encode it to bytes"):
        make_body("hello world")


# --- FileRangeBody -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "length"),
    [(0, None), (0, 0), (10, 100), (CHUNK + 3, CHUNK), (len(DATA) - 4, None), (len(DATA), None)],
)
async def test_file_range(data_file: pathlib.Path, offset: int, length: int | None) -> None:
    body = FileRangeBody(data_file, offset, length)
    expected = DATA[offset:] if length is None else DATA[offset : offset + length]
    assert body.length == len(expected)
    assert body.replayable
    assert await drain(body) == expected
    assert body.crc.value == crc64_oracle(expected)
    assert await body.content_md5() == md5_b64(expected)


@pytest.mark.parametrize(
    ("offset", "length"),
    [(-1, None), (len(DATA) + 1, None), (0, len(DATA) + 1), (10, len(DATA) - 9), (0, -1)],
)
def test_file_range_out_of_range(data_file: pathlib.Path, offset: int, length: int | None) -> None:
    with pytest.raises(InvalidArgument) as info:
        FileRangeBody(data_file, offset, length)
    assert str(data_file) in str(info.value)


def test_file_range_of_a_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(InvalidArgument, match="nope"):
        FileRangeBody(tmp_path / "nope")


async def test_file_range_detects_a_shrinking_file(data_file: pathlib.Path) -> None:
    body = FileRangeBody(data_file)
    data_file.write_bytes(DATA[:100])
    with pytest.raises(IntegrityError, match="shrank"):
        await drain(body)


# --- file objects -------------------------------------------------------------------------------


async def test_seekable_binary_file(data_file: pathlib.Path) -> None:
    with data_file.open("rb") as f:
        body = make_body(f)
        assert isinstance(body, FileObjectBody)
        assert body.replayable
        assert body.length == len(DATA)
        assert await drain(body) == DATA
        assert await drain(body) == DATA
        assert body.crc.value == crc64_oracle(DATA)


async def test_seekable_file_length_counts_from_its_position(data_file: pathlib.Path) -> None:
    with data_file.open("rb") as f:
        f.seek(1000)
        body = make_body(f)
        assert f.tell() == 1000  # measuring the length did not move it
        assert body.length == len(DATA) - 1000
        assert await drain(body) == DATA[1000:]
        assert await drain(body) == DATA[1000:]  # rewound to where it started, not to 0
        assert await body.content_md5() == md5_b64(DATA[1000:])


async def test_bytesio_is_replayable() -> None:
    f = io.BytesIO(b"0123456789")
    f.seek(4)
    body = make_body(f)
    assert body.replayable
    assert body.length == 6
    assert await drain(body) == b"456789"
    assert await body.content_md5() == md5_b64(b"456789")
    assert await drain(body) == b"456789"


async def test_non_seekable_file_is_one_shot(pipe_reader: io.BufferedReader) -> None:
    assert not pipe_reader.seekable()
    body = make_body(pipe_reader)
    assert isinstance(body, FileObjectBody)
    assert not body.replayable
    assert body.length is None
    assert await drain(body) == b"from a pipe"
    assert body.crc.value == crc64_oracle(b"from a pipe")
    with pytest.raises(InvalidArgument, match="one-shot"):
        body.open()


async def test_content_md5_of_a_one_shot_file(pipe_reader: io.BufferedReader) -> None:
    with pytest.raises(InvalidArgument, match="one-shot"):
        await make_body(pipe_reader).content_md5()


def test_text_mode_file(data_file: pathlib.Path) -> None:
    with data_file.open("r", encoding="latin-1") as f, pytest.raises(InvalidArgument) as info:
        make_body(f)
    assert "'r'" in str(info.value)
    assert "rb" in str(info.value)


async def test_text_stream_without_a_mode() -> None:
    body = make_body(io.StringIO("text"))  # no .mode: detected when read
    with pytest.raises(InvalidArgument, match="text mode"):
        await drain(body)


async def test_async_file_object_is_one_shot() -> None:
    class AsyncReader:
        def __init__(self, data: bytes) -> None:
            self._buf = io.BytesIO(data)

        async def read(self, n: int = -1) -> bytes:
            await asyncio.sleep(0)
            return self._buf.read(n)

    body = make_body(AsyncReader(DATA))  # type: ignore[arg-type]
    assert not body.replayable
    assert body.length is None
    assert await drain(body) == DATA
    assert body.crc.value == crc64_oracle(DATA)


# --- iterables ----------------------------------------------------------------------------------


def sync_chunks() -> Iterator[bytes]:
    yield b"ab"
    yield b""
    yield bytearray(b"cd")  # type: ignore[misc]
    yield memoryview(b"ef")  # type: ignore[misc]


async def async_chunks() -> AsyncIterator[bytes]:
    yield b"ab"
    yield b""
    yield b"cdef"


@pytest.mark.parametrize(
    "make",
    [sync_chunks, async_chunks, lambda: [b"ab", b"cdef"], lambda: (b for b in [b"abc", b"def"])],
    ids=["sync-gen", "async-gen", "list", "genexp"],
)
async def test_iterables_are_one_shot(make: object) -> None:
    body = make_body(make())  # type: ignore[operator]
    assert isinstance(body, IterableBody)
    assert not body.replayable
    assert body.length is None
    assert await drain(body) == b"abcdef"
    assert body.crc.value == crc64_oracle(b"abcdef")
    assert body.crc.length == 6
    with pytest.raises(InvalidArgument, match="one-shot"):
        body.open()
    with pytest.raises(InvalidArgument, match="one-shot"):
        await body.content_md5()


async def test_iterable_with_a_declared_length() -> None:
    body = make_body(async_chunks(), length=6)
    assert body.length == 6


@pytest.mark.parametrize("bad", ["text", 42, None])
async def test_iterable_of_non_bytes(bad: object) -> None:
    body = make_body([b"ok", bad])  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match=type(bad).__name__):
        await drain(body)


async def test_async_iterable_of_str() -> None:
    async def gen() -> AsyncIterator[str]:
        yield "text"

    body = make_body(gen())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="str"):
        await drain(body)


@pytest.mark.parametrize("bad", [42, 1.5, None, object()])
def test_unsupported_types(bad: object) -> None:
    with pytest.raises(InvalidArgument, match=type(bad).__name__):
        make_body(bad)  # type: ignore[arg-type]


def test_request_body_passes_through() -> None:
    body = make_body(b"x")
    assert make_body(body) is body


# --- CRC and Content-MD5 -------------------------------------------------------------------------


async def test_crc_is_reset_for_each_attempt() -> None:
    body = make_body(DATA)
    stream = body.open()
    async for _ in stream:
        break  # a partial attempt
    await stream.aclose()  # type: ignore[attr-defined]
    assert body.crc.length < len(DATA)
    assert await drain(body) == DATA
    assert body.crc.value == crc64_oracle(DATA)
    assert body.crc.length == len(DATA)


@pytest.mark.parametrize("size", [0, 1, 1000, CHUNK, CHUNK + 1, 9 << 20])
async def test_content_md5_of_bytes(size: int) -> None:
    data = (DATA * (size // len(DATA) + 1))[:size]
    body = make_body(data)
    assert await body.content_md5() == md5_b64(data)
    # computing it does not consume the body
    assert await drain(body) == data


async def test_content_md5_of_a_path(data_file: pathlib.Path) -> None:
    body = make_body(data_file)
    assert await body.content_md5() == md5_b64(DATA)
    assert await drain(body) == DATA


async def test_content_md5_of_a_file_object(data_file: pathlib.Path) -> None:
    with data_file.open("rb") as f:
        body = make_body(f)
        assert await body.content_md5() == md5_b64(DATA)
        assert await drain(body) == DATA


async def test_content_md5_of_an_iterable() -> None:
    with pytest.raises(InvalidArgument, match="one-shot"):
        await make_body([b"a"]).content_md5()


# --- errors of a body while it is being sent -------------------------------------------------


@pytest.mark.parametrize("kind", ["list", "async-gen"])
async def test_put_of_an_iterable_of_str_raises_invalid_argument(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, kind: str
) -> None:
    # aiohttp wraps errors of the body stream as a connection error; the caller must get the
    # InvalidArgument itself (not a CosTransportError), and it must not be retried.
    async def agen() -> AsyncIterator[object]:
        yield b"ok"
        yield "text"

    data = [b"ok", "text"] if kind == "list" else agen()
    with pytest.raises(InvalidArgument, match="str"):
        await cos.put_object(bucket, "k", data)  # type: ignore[arg-type]
    assert server.requests.count("PutObject") <= 1
    assert not await cos.object_exists(bucket, "k")


async def test_put_of_a_text_stream_raises_invalid_argument(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    with pytest.raises(InvalidArgument, match="text mode"):
        await cos.put_object(bucket, "k", io.StringIO("text"))  # type: ignore[arg-type]
    assert server.requests.count("PutObject") <= 1


async def test_put_of_a_text_file_is_refused_before_sending(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, data_file: pathlib.Path
) -> None:
    with data_file.open("r", encoding="latin-1") as f, pytest.raises(InvalidArgument):
        await cos.put_object(bucket, "k", f)  # type: ignore[arg-type]
    assert server.requests.count("PutObject") == 0


async def test_put_of_a_file_that_shrank(
    cos: AsyncCosClient, bucket: str, data_file: pathlib.Path
) -> None:
    body = FileRangeBody(data_file)
    data_file.write_bytes(DATA[:10])
    with pytest.raises(RetryExhausted) as info:
        await cos.put_object(bucket, "k", body)  # type: ignore[arg-type]
    assert isinstance(info.value.last_error, IntegrityError)
    assert "shrank" in str(info.value.last_error)


@pytest.mark.parametrize(
    "make", [lambda p: p, str, lambda p: p.open("rb")], ids=["Path", "str", "file"]
)
async def test_put_of_files_end_to_end(
    cos: AsyncCosClient, bucket: str, data_file: pathlib.Path, make: Any
) -> None:
    data = make(data_file)
    try:
        result = await cos.put_object(bucket, "k", data, content_md5=True)
    finally:
        if hasattr(data, "close"):
            data.close()
    assert result.crc64 == crc64_oracle(DATA)
    assert await (await cos.get_object(bucket, "k")).read() == DATA


async def test_put_of_a_pipe_end_to_end(
    cos: AsyncCosClient, bucket: str, pipe_reader: io.BufferedReader
) -> None:
    await cos.put_object(bucket, "k", pipe_reader)
    assert await (await cos.get_object(bucket, "k")).read() == b"from a pipe"
