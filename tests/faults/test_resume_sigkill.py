"""A transfer killed with SIGKILL resumes from its checkpoint without sending finished parts again.

The server runs on the test's event loop; the transfer runs in a child process (started with
asyncio, so the server keeps serving while we wait), which is killed once a few parts are done.
The same call then finishes the job in the test process.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import os
import random
import signal
import sys
from pathlib import Path

import pytest

from cos_async import AsyncCosClient
from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
PART = 8 * MiB
SIZE = 96 * MiB + 12345  # 13 parts of 8 MiB (the last one short)
NPARTS = -(-SIZE // PART)
CONCURRENCY = 2
ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import asyncio, sys
from cos_async import AsyncCosClient, CosConfig

async def main(kind, endpoint, secret_id, secret_key, region, bucket, key, path, ckpt, ps, n):
    config = CosConfig(
        region=region, secret_id=secret_id, secret_key=secret_key, endpoint_url=endpoint
    )
    async with AsyncCosClient(config) as cos:
        call = cos.upload_file if kind == "upload" else cos.download_file
        await call(bucket, key, path, part_size=int(ps), concurrency=int(n), checkpoint=ckpt)
    print("finished", flush=True)

asyncio.run(main(*sys.argv[1:]))
"""


def _data(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


async def _run_and_kill(
    server: LocalCosServer, operation: str, args: list[str], log: Path, finished: int = 4
) -> None:
    """Start the child, SIGKILL it once ``finished`` requests of ``operation`` were answered
    (200, or 206 for ranges)."""
    err = await asyncio.to_thread(open, log, "wb")
    with err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CHILD,
            *args,
            str(PART),
            str(CONCURRENCY),
            cwd=ROOT,
            stdout=err,
            stderr=err,
        )
        try:
            while True:
                done = [
                    r
                    for r in server.requests.records()
                    if r.operation == operation and r.status in (200, 206)
                ]
                if len(done) >= finished:
                    break
                if proc.returncode is not None:
                    pytest.fail(f"the child exited early ({proc.returncode}): {log.read_text()}")
                await asyncio.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
            assert await asyncio.wait_for(proc.wait(), 30) == -signal.SIGKILL
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def _checkpoint_parts(ckpt: Path) -> set[int]:
    lines = ckpt.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["part_size"] == PART
    parts = set()
    for line in lines[1:]:
        try:
            parts.add(json.loads(line)["part"])
        except ValueError:  # a line torn by the kill
            break
    return parts


async def test_upload_resumes_after_sigkill(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient, tmp_path: Path
) -> None:
    data = _data(SIZE, seed=1)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    ckpt = tmp_path / "upload.ckpt"
    rule = server.faults.add(action="delay", operation="UploadPart", delay=0.3, times=None)
    args = [
        "upload",
        server.endpoint,
        server.secret_id,
        server.secret_key,
        server.region,
        bucket,
        "big.bin",
        str(src),
        str(ckpt),
    ]
    await _run_and_kill(server, "UploadPart", args, tmp_path / "child.log")
    assert ckpt.is_file()
    recorded = _checkpoint_parts(ckpt)
    # at most CONCURRENCY answered parts had not reached the checkpoint at the kill
    assert len(recorded) >= 4 - CONCURRENCY
    uploads = [u async for u in cos.list_multipart_uploads(bucket)]
    assert [u.key for u in uploads] == ["big.bin"]
    assert server.requests.count("CompleteMultipartUpload") == 0

    server.faults.remove(rule)
    result = await cos.upload_file(
        bucket, "big.bin", src, part_size=PART, concurrency=CONCURRENCY, checkpoint=ckpt
    )
    assert result.resumed_parts == len(recorded) > 0
    assert result.parts == NPARTS
    ok = collections.Counter(
        r.part_number
        for r in server.requests.records()
        if r.operation == "UploadPart" and r.status == 200
    )
    assert set(ok) == set(range(1, NPARTS + 1))
    for n in recorded:
        assert ok[n] == 1, f"part {n} was in the checkpoint but was sent again"
    sent_twice = [n for n, c in ok.items() if c > 1]
    assert len(sent_twice) <= CONCURRENCY, sent_twice  # only parts in flight at the kill
    assert server.requests.count("InitiateMultipartUpload") == 1
    assert server.requests.count("AbortMultipartUpload") == 0
    assert not ckpt.exists()
    assert [u async for u in cos.list_multipart_uploads(bucket)] == []
    assert result.crc64 == crc64(data)
    async with await cos.get_object(bucket, "big.bin") as body:
        assert hashlib.sha256(await body.read()).digest() == hashlib.sha256(data).digest()


async def test_download_resumes_after_sigkill(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient, tmp_path: Path
) -> None:
    data = _data(SIZE, seed=2)
    await cos.upload_stream(bucket, "big.bin", [data], part_size=16 * MiB)
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "big.bin"
    ckpt = tmp_path / "download.ckpt"
    rule = server.faults.add(action="delay", operation="GetObject", delay=0.3, times=None)
    args = [
        "download",
        server.endpoint,
        server.secret_id,
        server.secret_key,
        server.region,
        bucket,
        "big.bin",
        str(dest),
        str(ckpt),
    ]
    await _run_and_kill(server, "GetObject", args, tmp_path / "child.log")
    recorded = _checkpoint_parts(ckpt)
    assert len(recorded) >= 4 - CONCURRENCY
    assert not dest.exists()
    partial = [p for p in out.iterdir() if p.name.endswith(".cos-download")]
    assert len(partial) == 1
    assert partial[0].stat().st_size == SIZE
    before = server.requests.count("GetObject")

    server.faults.remove(rule)
    result = await cos.download_file(
        bucket, "big.bin", dest, part_size=PART, concurrency=CONCURRENCY, checkpoint=ckpt
    )
    assert result.resumed_parts == len(recorded) > 0
    # the resumed run fetched exactly the ranges missing from the checkpoint, and the killed
    # run fetched at most CONCURRENCY ranges that did not make it into the checkpoint
    assert server.requests.count("GetObject") - before == NPARTS - len(recorded)
    assert server.requests.count("GetObject") <= NPARTS + CONCURRENCY + 1
    assert hashlib.sha256(dest.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert result.crc64 == crc64(data)
    assert [p.name for p in out.iterdir()] == ["big.bin"]
    assert not ckpt.exists()
