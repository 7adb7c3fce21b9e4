"""Streaming a 1 GiB object must not buffer it: the read phase adds far less than 1 GiB of RSS.

The measurement runs in a fresh subprocess (so pytest's own memory and other tests do not blur
it). That process hosts the local server in a thread (it holds the 1 GiB object in memory) and
the client on the main thread. It uploads 1 GiB from an async generator of 1 MiB chunks (the
client never holds more than a chunk), then records the peak RSS right before the GET and after
streaming the whole body with ``iter_chunks()``: the object itself is already counted in the
first figure, so the difference is what the read path buffered.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

MIB = 1 << 20
GIB = 1 << 30

SCRIPT = textwrap.dedent(
    """
    import asyncio
    import json
    import resource

    import cos_async
    from cos_async import AsyncCosClient, CosConfig
    from cos_async._crc64 import crc64
    from cos_async.testing import LocalCosServer

    MIB = 1 << 20
    CHUNKS = 1024


    def max_rss() -> int:
        # VmHWM (KiB), the peak since exec; not ru_maxrss, which Linux starts at the RSS the
        # parent (pytest) had at fork, so that a smaller peak would hide under it
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


    def reset_peak() -> bool:
        # Make the peak start from the current RSS, so that the read phase is measured on its
        # own even if the upload briefly peaked higher (Linux: "5" resets VmHWM / ru_maxrss).
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            return False
        return True


    async def main() -> dict:
        cos_async.set_testing(True)
        chunk = bytes(range(256)) * (MIB // 256)
        whole_crc = 0
        for _ in range(CHUNKS):
            whole_crc = crc64(chunk, whole_crc)
        with LocalCosServer.run_in_thread(fast_etag=True) as srv:
            bucket = srv.create_bucket()
            config = CosConfig(
                region=srv.region,
                secret_id=srv.secret_id,
                secret_key=srv.secret_key,
                endpoint_url=srv.endpoint,
            )
            async with AsyncCosClient(config) as cos:

                async def source():
                    for _ in range(CHUNKS):
                        yield chunk

                put = await cos.put_object(bucket, "big", source())
                peak_reset = reset_peak()
                before = max_rss()
                body = await cos.get_object(bucket, "big")
                received = 0
                largest = 0
                async for piece in body.iter_chunks():
                    received += len(piece)
                    largest = max(largest, len(piece))
                after = max_rss()
        return {
            "put_crc64": put.crc64,
            "expected_crc64": whole_crc,
            "body_crc64": body.crc64,
            "received": received,
            "largest_chunk": largest,
            "peak_reset": peak_reset,
            "before": before,
            "after": after,
        }


    print(json.dumps(asyncio.run(main())))
    """
)


@pytest.mark.slow
def test_streaming_1gib_read_keeps_memory_flat() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["received"] == GIB
    assert result["put_crc64"] == result["expected_crc64"]
    # the whole read was CRC-checked
    assert result["body_crc64"] == result["expected_crc64"]
    # the server holds the object: RSS before the GET already includes it
    assert result["before"] > GIB
    growth = result["after"] - result["before"]
    assert growth < 200 * MIB, (
        f"reading 1 GiB raised the peak RSS by {growth / MIB:.0f} MiB "
        f"(before {result['before'] / MIB:.0f} MiB, after {result['after'] / MIB:.0f} MiB)"
    )
