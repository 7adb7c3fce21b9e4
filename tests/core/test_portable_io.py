"""Positional file I/O without os.pread / os.pwrite (Windows has neither): the fallback, a seek
and a read or write under one lock per descriptor, tested here on Linux by putting it in place
of the native calls, for the threaded path and the aiohttp path of transfers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cos_async import AsyncCosClient
from cos_async import _body as body_module
from cos_async._transport import AiohttpTransport
from tests.seams import engine

MiB = 1024 * 1024


def test_the_fallback_reads_and_writes_at_offsets_from_many_threads(tmp_path: Path) -> None:
    io = body_module._LockedPositionalIO()
    path = tmp_path / "f"
    path.write_bytes(b"\0" * 64 * 1000)
    fd = os.open(path, os.O_RDWR)
    try:

        def write(i: int) -> None:
            for _ in range(20):
                assert io.pwrite(fd, bytes([i]) * 1000, i * 1000) == 1000

        threads = [threading.Thread(target=write, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i in range(64):
            assert io.pread(fd, 1000, i * 1000) == bytes([i]) * 1000
    finally:
        os.close(fd)


@pytest.mark.parametrize("bulk", [True, False], ids=["threaded-path", "aiohttp-path"])
async def test_transfers_work_on_the_fallback(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    fallback = body_module._LockedPositionalIO()
    calls: list[str] = []
    monkeypatch.setattr(
        body_module,
        "positional_io",
        type(
            "Counting",
            (),
            {
                "pread": lambda self, *a: calls.append("pread") or fallback.pread(*a),
                "pwrite": lambda self, *a: calls.append("pwrite") or fallback.pwrite(*a),
            },
        )(),
    )
    if not bulk:
        engine(cos).transport = AiohttpTransport(cos.config)  # every byte through aiohttp
    data = os.urandom(3 * MiB + 7)
    src = tmp_path / "src"
    src.write_bytes(data)
    await cos.upload_file(bucket, "small", src, threshold=4 * MiB)  # one PUT: read with pread
    await cos.upload_file(bucket, "k", src, part_size=MiB)
    dest = tmp_path / "dest"
    await cos.download_file(bucket, "k", dest, part_size=MiB)
    assert dest.read_bytes() == data
    assert "pread" in calls
    assert "pwrite" in calls
