"""upload_file streams its parts from the file: the peak RSS of a 2 GiB upload stays within
concurrency x part size plus a fixed allowance, whatever the file size.

The client runs in its own process (so its peak RSS is its own), against the local server in yet
another process (which holds the 2 GiB object in its memory, not ours).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path

import aiohttp
import pytest

from cos_async._crc64 import combine, crc64
from cos_async.testing import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
SIZE = 2 * 1024 * MiB
PART = 16 * MiB
CONCURRENCY = 4
ALLOWANCE = 100 * MiB
BUCKET = "membound-1250000000"
ROOT = Path(__file__).resolve().parents[2]

_CLIENT = """
import asyncio, json, resource, sys
from cos_async import AsyncCosClient, CosConfig

def peak_kib():
    # VmHWM: the peak since exec. Not ru_maxrss, which Linux starts at the RSS the parent (this
    # test's pytest process) had at fork: the upload's peak would hide under it.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

async def main(endpoint, secret_id, secret_key, bucket, path, part_size, concurrency):
    start = peak_kib()
    config = CosConfig(
        region="ap-guangzhou", secret_id=secret_id, secret_key=secret_key, endpoint_url=endpoint
    )
    async with AsyncCosClient(config) as cos:
        result = await cos.upload_file(
            bucket, "big", path, part_size=int(part_size), concurrency=int(concurrency)
        )
        end = peak_kib()
        head = await cos.head_object(bucket, "big")
        await cos.delete_object(bucket, "big")  # the server holds it in memory
    print(json.dumps({
        "start": start, "end": end, "size": result.size, "parts": result.parts,
        "crc64": result.crc64, "head_size": head.size, "head_crc64": head.crc64,
    }), flush=True)

asyncio.run(main(*sys.argv[1:]))
"""


def _sparse(path: Path, size: int) -> Path:
    """A file of ``size`` zero bytes that takes no disk space (and reads cost no page cache)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


async def test_upload_file_peak_rss_is_bounded(tmp_path: Path) -> None:
    src = _sparse(tmp_path / "sparse-2g", SIZE)
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cos_async.testing",
        "--port",
        "0",
        "--fast-etag",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert server.stdout is not None
        first = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        endpoint = first.strip().rsplit(" ", 1)[-1]
        assert endpoint.startswith("http://"), first
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{endpoint}/_cos_testing/buckets", json={"name": BUCKET}) as resp,
        ):
            assert resp.status == 200, await resp.text()

        client = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CLIENT,
            endpoint,
            DEFAULT_SECRET_ID,
            DEFAULT_SECRET_KEY,
            BUCKET,
            str(src),
            str(PART),
            str(CONCURRENCY),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(client.communicate(), 90)
        assert client.returncode == 0, err.decode()
    finally:
        if server.returncode is None:
            server.terminate()
        with contextlib.suppress(ProcessLookupError):
            await asyncio.wait_for(server.wait(), 30)
        if server.returncode is None:
            server.kill()
            await server.wait()

    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["size"] == report["head_size"] == SIZE
    assert report["parts"] == SIZE // PART
    expected = 0
    part_crc = crc64(bytes(PART))
    for _ in range(SIZE // PART):
        expected = combine(expected, part_crc, PART)
    assert report["crc64"] == report["head_crc64"] == expected
    bound_kib = report["start"] + (CONCURRENCY * PART + ALLOWANCE) // 1024
    assert report["end"] < bound_kib, (
        f"peak RSS grew from {report['start']} KiB to {report['end']} KiB "
        f"(bound {bound_kib} KiB) while uploading {SIZE} bytes"
    )
