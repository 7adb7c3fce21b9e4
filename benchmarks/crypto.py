"""Client-side encryption: encrypted ``upload_file`` / ``download_file`` of one large file, ours
(``cos_async.crypto.AsyncCosEncryptionClient``) against the official SDK's
``CosEncryptionClient``, with our unencrypted transfers as the ceiling.

``python -m benchmarks.crypto [--size-mib 1024] [--runs 3] [--quick] [--results DIR]``

One local COS server (``python -m cos_async.testing --fast-etag``, in memory) runs as a
subprocess; every client run is a fresh child process (``python -m benchmarks.crypto --child
SPEC``, the measurement of ``benchmarks.transfers``): wall and user+sys CPU seconds of the
transfer alone (the official SDK's threads included) and the child's peak RSS. Both encrypt with
the symmetric provider and one master key, handed to the children in the environment (never on
a command line).

Rows:

* upload: ours encrypted at its defaults (16 MiB parts, 8 at a time, each enciphered at its
  offset as it is read); the official ``upload_file`` at ``PartSize=16, MAXThread=1`` (with more
  threads it enciphers the parts through one shared cipher in whatever order they run, and
  stores an object nobody can decrypt) and its ``put_object`` of the open file (one streamed
  request); ours unencrypted at its defaults.
* download: ours encrypted at its defaults; the official ``get_object`` with
  ``get_stream_to_file`` (its encryption client's ``download_file`` fails with a ``TypeError``);
  ours unencrypted. Every download reads the object ours uploaded encrypted (the official one
  reads our format) and is checked against the source's CRC-64 outside the timing.

The report gives medians, client CPU s/GiB, and the ratios ours / official (throughput) and
official / ours (CPU per GiB). The target of issue 20 is at least 3× the official throughput.
Numbers from a busy 2-vCPU machine are noisy; CPU s/GiB much less so.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._report import fmt_ratio, markdown_table, ratio
from ._target import LOCAL_BUCKET, Target
from .server_throughput import ServerProcess
from .transfers import _file_crc, _make_file, _Meter, _recycle, _warm, cos_request, target_of

MiB = 1024 * 1024
GiB = 1024 * MiB
ROOT = Path(__file__).resolve().parent.parent
KEY_ENV = "COS_BENCH_MASTER_KEY"  # base64; set by the parent for its children
WARMUP = 1

#: (id, op, client, settings, spec)
ROWS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("up_ours_enc", "upload", "ours", "encrypted, defaults (16 MiB × 8)", {}),
    (
        "up_official_enc",
        "upload",
        "official",
        "encrypted, upload_file PartSize=16 × MAXThread=1",
        {"part_size": 16 * MiB, "concurrency": 1},
    ),
    (
        "up_official_enc_put",
        "upload",
        "official-put",
        "encrypted, put_object of the open file",
        {},
    ),
    ("up_ours_plain", "upload", "ours-plain", "unencrypted, defaults (16 MiB × 8)", {}),
    ("down_ours_enc", "download", "ours", "encrypted, defaults (16 MiB × 8)", {}),
    ("down_official_enc", "download", "official", "encrypted, get_object → file", {}),
    ("down_ours_plain", "download", "ours-plain", "unencrypted, defaults (16 MiB × 8)", {}),
]


# --- one client run (the child) ---------------------------------------------------------------


def _master_key() -> bytes:
    return base64.b64decode(os.environ[KEY_ENV])


async def _ours(spec: dict[str, Any]) -> dict[str, Any]:
    from cos_async import AsyncCosClient
    from cos_async.crypto import AesKeyProvider, AsyncCosEncryptionClient

    target = target_of(spec)
    async with AsyncCosClient(target.cos_config()) as cos:
        client: Any = cos
        if spec["client"] == "ours":
            client = AsyncCosEncryptionClient(cos, AesKeyProvider(_master_key()))
        _recycle(spec)
        meter = _Meter()
        if spec["op"] == "upload":
            await client.upload_file(target.bucket, spec["key"], spec["path"])
        else:
            await client.download_file(target.bucket, spec["key"], spec["dest"])
        return meter.result()


def _official(spec: dict[str, Any]) -> dict[str, Any]:
    from qcloud_cos.cos_encryption_client import CosEncryptionClient
    from qcloud_cos.crypto import AESCTRCipher, AESProvider

    target = target_of(spec)
    provider = AESProvider(aes_key=base64.b64encode(_master_key()).decode(), cipher=AESCTRCipher())
    client = CosEncryptionClient(target.official_client()._conf, provider)
    _recycle(spec)
    meter = _Meter()
    if spec["op"] == "download":
        body = client.get_object(Bucket=target.bucket, Key=spec["key"])["Body"]
        body.get_stream_to_file(spec["dest"])
    elif spec["client"] == "official-put":
        with open(spec["path"], "rb") as f:
            client.put_object(Bucket=target.bucket, Body=f, Key=spec["key"])
    else:
        client.upload_file(
            Bucket=target.bucket,
            Key=spec["key"],
            LocalFilePath=spec["path"],
            PartSize=spec["part_size"] // MiB,
            MAXThread=spec["concurrency"],
        )
    return meter.result()


def child(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["client"].startswith("official"):
        return _official(spec)
    return asyncio.run(_ours(spec))


# --- the parent -------------------------------------------------------------------------------


def _run_child(spec: dict[str, Any], env: dict[str, str], timeout: float) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.crypto", "--child", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['id']}: client run failed:\n{proc.stderr[-4000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"{spec['id']}: no result line in {proc.stdout!r}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


class Bench:
    def __init__(self, size: int, workdir: Path, endpoint: str, env: dict[str, str]) -> None:
        self.size = size
        self.workdir = workdir
        self.src = workdir / "source.bin"
        self.dest = workdir / "download.bin"
        self.recycle = workdir / "previous-download.bin"
        self.target = Target.local_server(endpoint, LOCAL_BUCKET)
        self.env = env
        self.timeout = max(600.0, size / (5 * 1e6))  # at least 5 MB/s
        self.seq = 0
        self.src_crc = 0
        self.download_key = "crypto/download-source"

    def spec(self, id_: str, op: str, client: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": id_,
            "op": op,
            "client": client,
            "size": self.size,
            "endpoint": self.target.endpoint,
            "target": self.target.to_spec(),
            **extra,
        }

    def setup(self) -> None:
        """The object every download reads: uploaded by ours, encrypted (unmeasured)."""
        spec = self.spec("setup", "upload", "ours", {})
        spec.update(key=self.download_key, path=str(self.src))
        _run_child(spec, self.env, self.timeout)
        plain = self.spec("setup-plain", "upload", "ours-plain", {})
        plain.update(key=self.download_key + "-plain", path=str(self.src))
        _run_child(plain, self.env, self.timeout)

    def once(self, row: tuple[str, str, str, str, dict[str, Any]]) -> dict[str, Any]:
        id_, op, client, _, extra = row
        spec = self.spec(id_, op, client, extra)
        if op == "upload":
            self.seq += 1
            spec.update(key=f"crypto/upload/{id_}/{self.seq}", path=str(self.src))
            _warm(self.src)
        else:
            key = self.download_key + ("-plain" if client == "ours-plain" else "")
            spec.update(key=key, dest=str(self.dest), recycle=str(self.recycle))
            _make_file(self.recycle, self.size + 64 * MiB)
        result = _run_child(spec, self.env, self.timeout)
        if op == "upload":
            status, body = cos_request(self.target, "DELETE", spec["key"])
            if status not in (200, 204):
                raise RuntimeError(f"DELETE {spec['key']}: {status} {body[:200]!r}")
        else:
            if _file_crc(self.dest) != self.src_crc:
                raise RuntimeError(f"{id_}: the downloaded file is not the source")
            self.dest.unlink()
        return result


def run(size: int, runs: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="cos-bench-crypto-"))
    env = {**os.environ, KEY_ENV: base64.b64encode(os.urandom(32)).decode()}
    server: ServerProcess | None = None
    samples: dict[str, list[dict[str, Any]]] = {row[0]: [] for row in ROWS}
    try:
        print(f"writing a {size // MiB} MiB source file in {workdir}", flush=True)
        _make_file(workdir / "source.bin", size)
        server = ServerProcess(
            [
                *(sys.executable, "-m", "cos_async.testing"),
                *("--port", "0", "--fast-etag", "--bucket", LOCAL_BUCKET),
            ]
        )
        bench = Bench(size, workdir, server.endpoint, env)
        bench.src_crc = _file_crc(bench.src)
        bench.setup()
        for row in ROWS:
            for _ in range(WARMUP):
                bench.once(row)
        for i in range(1, runs + 1):
            order = list(ROWS)
            random.Random(i).shuffle(order)
            print(f"round {i}/{runs}", flush=True)
            for row in order:
                r = bench.once(row)
                samples[row[0]].append(r)
                print(
                    f"  {row[0]:<22} {size / r['wall_s'] / 1e6:8,.0f} MB/s  "
                    f"cpu {r['cpu_s'] / (size / GiB):6.2f} s/GiB  rss {r['maxrss_mib']:6.0f} MiB",
                    flush=True,
                )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    gib = size / GiB
    results = []
    for id_, op, client, settings, _ in ROWS:
        rs = samples[id_]
        results.append(
            {
                "id": id_,
                "op": op,
                "client": client,
                "settings": settings,
                "mb_per_s": statistics.median(size / r["wall_s"] / 1e6 for r in rs),
                "mb_per_s_all": [size / r["wall_s"] / 1e6 for r in rs],
                "client_cpu_s_per_gib": statistics.median(r["cpu_s"] / gib for r in rs),
                "peak_rss_mib": max(r["maxrss_mib"] for r in rs),
            }
        )
    by_id = {r["id"]: r for r in results}
    ratios = []
    for op, ours, official in (
        ("upload", "up_ours_enc", "up_official_enc"),
        ("upload", "up_ours_enc", "up_official_enc_put"),
        ("download", "down_ours_enc", "down_official_enc"),
    ):
        a, b = by_id[ours], by_id[official]
        ratios.append(
            {
                "op": op,
                "against": official,
                "throughput_ours_over_official": ratio(a["mb_per_s"], b["mb_per_s"]),
                "cpu_official_over_ours": ratio(
                    b["client_cpu_s_per_gib"], a["client_cpu_s_per_gib"]
                ),
            }
        )
    return {
        "suite": "crypto",
        "size": size,
        "runs": runs,
        "started": time.time(),
        "results": results,
        "ratios": ratios,
    }


def table(data: dict[str, Any]) -> str:
    rows = [
        [
            r["op"],
            r["client"],
            r["settings"],
            f"{r['mb_per_s']:,.0f}",
            " ".join(f"{x:,.0f}" for x in r["mb_per_s_all"]),
            f"{r['client_cpu_s_per_gib']:.2f}",
            f"{r['peak_rss_mib']:,.0f}",
        ]
        for r in data["results"]
    ]
    out = markdown_table(
        ["op", "client", "settings", "MB/s", "MB/s runs", "client CPU s/GiB", "peak RSS MiB"],
        rows,
        right="---rrrr",
    )
    ratio_rows = [
        [
            r["op"],
            r["against"],
            fmt_ratio(r["throughput_ours_over_official"]),
            fmt_ratio(r["cpu_official_over_ours"]),
        ]
        for r in data["ratios"]
    ]
    return (
        out
        + "\n\n"
        + markdown_table(
            ["op", "official row", "throughput ours/official", "CPU per GiB official/ours"],
            ratio_rows,
            right="--rr",
        )
    )


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.crypto", description=__doc__)
    p.add_argument("--child", help="JSON spec of one client run (internal)")
    p.add_argument("--size-mib", type=int, help="object size (default 1024; --quick 64)")
    p.add_argument("--runs", type=int, help="measured rounds (default 3; --quick 1)")
    p.add_argument("--quick", action="store_true", help="a small, short run")
    p.add_argument("--results", default="results", help="directory of the JSON results")
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))), flush=True)
        return 0
    size = (args.size_mib or (64 if args.quick else 1024)) * MiB
    runs = args.runs or (1 if args.quick else 3)
    print(f"client-side encryption: {size // MiB} MiB, {runs} round(s)", flush=True)
    data = run(size, runs)
    print()
    print(table(data))
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "crypto.json").write_text(json.dumps(data, indent=2))
    print(f"\nwritten to {out / 'crypto.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
