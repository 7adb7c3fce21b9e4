"""``cos://`` reads through fsspec against the client's own transfers and the official SDK.

One local COS server (``python -m cos_async.testing --fast-etag``, in memory) runs as a
subprocess on 127.0.0.1; the clients run in this process (the CPU counted is this process's,
every thread). On a machine with 2 or more CPUs the server is pinned to the last CPU and this
process to the others, so that a client's throughput is its own (``--no-pin`` to not).

Measured, in rounds (every measurement once per round, the order rotated each round, the
median reported):

* a large object (``--size``, default 1 GiB) read sequentially:
  ``download_file`` (ours, the reference: concurrent ranged GETs into a file, CRC-64 checked;
  through ``cos_sync`` so that, like the filesystem, it keeps a warm pool across runs),
  ``fs.get`` (the same transfer, through fsspec), ``fs.open`` read in ``--chunk`` pieces
  (8 MiB: the block size; blocks fetched ahead concurrently, CRC-64 checked in order) into
  memory, and the official SDK's ``download_file`` (its defaults) for information;
* ``--count`` (1,000) small objects of ``--small`` bytes (4 KiB): ``fs.cat`` of all their paths
  (concurrent GETs over one pool) against a loop of the official SDK's ``get_object``.

Targets (issue 17): ``fs.get`` within 10% of ``download_file`` (ratio >= 0.90), ``fs.open``
sequential read >= 50% of it, ``fs.cat`` of the small objects >= 4x the official SDK loop.

    python -m benchmarks.fsspec_read                 # 1 GiB, 1,000 objects, 5 rounds
    python -m benchmarks.fsspec_read --quick         # 64 MiB, 200 objects, 2 rounds

Results: a table on stdout and ``results/fsspec_read.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._report import fmt_num, fmt_size, markdown_table
from ._target import LOCAL_BUCKET, Target
from .server_throughput import ServerProcess

MiB = 1024 * 1024
GiB = 1024 * MiB
BIG_KEY = "fsspec-bench/big.bin"
SMALL_PREFIX = "fsspec-bench/small/"
TARGETS = {
    "fs.get / download_file": 0.90,
    "fs.open read / download_file": 0.50,
    "fs.cat / official get_object loop": 4.0,
}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _pin(server: ServerProcess) -> str:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not pinned (one CPU)"
    os.sched_setaffinity(server.proc.pid, {cpus[-1]})
    os.sched_setaffinity(0, set(cpus[:-1]))
    return f"server on CPU {cpus[-1]}, clients on {cpus[:-1]}"


def _make_file(path: Path, size: int) -> None:
    block = bytes(range(256)) * (MiB // 256)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, MiB)
            f.write(block[:n])
            left -= n


class Bench:
    def __init__(self, args: argparse.Namespace, target: Target, workdir: Path) -> None:
        self.args = args
        self.target = target
        self.workdir = workdir
        from cos_async.fs import CosFileSystem

        config = target.cos_config()
        self.fs = CosFileSystem(config=config, skip_instance_cache=True)
        self.official = target.official_client(pool_size=10)
        from cos_sync import CosClient

        #: ``download_file``, the reference: the same client on its own warm pool (cos_sync's
        #: loop thread), as the filesystem has on fsspec's
        self.cos = CosClient(config)
        self.small_paths = [f"{target.bucket}/{SMALL_PREFIX}{i:05}" for i in range(args.count)]

    # --- set-up ---------------------------------------------------------------------------------

    def setup(self) -> None:
        src = self.workdir / "src.bin"
        print(
            f"writing {fmt_size(self.args.size)} and {self.args.count} objects of "
            f"{fmt_size(self.args.small)}",
            flush=True,
        )
        _make_file(src, self.args.size)
        self.fs.put_file(str(src), f"{self.target.bucket}/{BIG_KEY}")
        src.unlink()
        payload = bytes(range(256)) * (self.args.small // 256) + b"s" * (self.args.small % 256)
        self.fs.pipe(dict.fromkeys(self.small_paths, payload))

    def cleanup(self) -> None:
        self.fs.rm(f"{self.target.bucket}/fsspec-bench", recursive=True)
        self.fs.close()
        self.cos.close()

    # --- the measurements -------------------------------------------------------------------------

    def measurements(self) -> dict[str, Callable[[], int]]:
        bucket, dest = self.target.bucket, self.workdir / "dest.bin"

        def download_file() -> int:
            result = self.cos.download_file(bucket, BIG_KEY, dest)
            dest.unlink()
            return int(result.size)

        def fs_get() -> int:
            self.fs.get_file(f"{bucket}/{BIG_KEY}", str(dest))
            size = dest.stat().st_size
            dest.unlink()
            return size

        def fs_open() -> int:
            n = 0
            with self.fs.open(f"{bucket}/{BIG_KEY}", "rb") as f:
                while chunk := f.read(self.args.chunk):
                    n += len(chunk)
                if not f.cache.verified:
                    raise RuntimeError("fs.open: the CRC-64 was not verified")
            return n

        def official_download() -> int:
            self.official.download_file(Bucket=bucket, Key=BIG_KEY, DestFilePath=str(dest))
            size = dest.stat().st_size
            dest.unlink()
            return size

        def fs_cat() -> int:
            got = self.fs.cat(self.small_paths)
            return sum(len(v) for v in got.values())

        def official_loop() -> int:
            n = 0
            for path in self.small_paths:
                key = path.split("/", 1)[1]
                resp = self.official.get_object(Bucket=bucket, Key=key)
                n += len(resp["Body"].get_raw_stream().read())
            return n

        return {
            "download_file": download_file,
            "fs.get": fs_get,
            "fs.open read": fs_open,
            "official download_file": official_download,
            "fs.cat": fs_cat,
            "official get_object loop": official_loop,
        }

    def run(self) -> dict[str, Any]:
        ms = self.measurements()
        names = list(ms)
        if self.args.skip_official:
            names = [n for n in names if not n.startswith("official")]
        samples: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for r in range(self.args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                server_cpu = self.server_cpu()
                cpu, t0 = _cpu(), time.perf_counter()
                moved = ms[name]()
                wall, cpu = time.perf_counter() - t0, _cpu() - cpu
                server = self.server_cpu()
                samples[name].append(
                    {
                        "seconds": wall,
                        "bytes": moved,
                        "mb_per_s": moved / wall / 1e6,
                        "client_cpu_s_per_gib": cpu / (moved / GiB),
                        "server_cpu_s_per_gib": (server - server_cpu) / (moved / GiB)
                        if server is not None and server_cpu is not None
                        else float("nan"),
                    }
                )
            print(f"  round {r + 1}/{self.args.rounds} done", flush=True)
        results = {}
        for name, runs in samples.items():
            results[name] = {
                "mb_per_s": statistics.median(s["mb_per_s"] for s in runs),
                "mb_per_s_all": [round(s["mb_per_s"], 1) for s in runs],
                "client_cpu_s_per_gib": statistics.median(s["client_cpu_s_per_gib"] for s in runs),
                "server_cpu_s_per_gib": statistics.median(s["server_cpu_s_per_gib"] for s in runs),
                "objects_per_s": statistics.median(self.args.count / s["seconds"] for s in runs)
                if name in ("fs.cat", "official get_object loop")
                else None,
            }
        return results

    server: ServerProcess | None = None

    def server_cpu(self) -> float | None:
        return self.server.cpu_seconds() if self.server is not None else None


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    pairs = {
        "fs.get / download_file": ("fs.get", "download_file"),
        "fs.open read / download_file": ("fs.open read", "download_file"),
        "fs.cat / official get_object loop": ("fs.cat", "official get_object loop"),
        "download_file / official download_file": ("download_file", "official download_file"),
    }
    out = []
    for label, (a, b) in pairs.items():
        if a not in results or b not in results:
            continue
        value = results[a]["mb_per_s"] / results[b]["mb_per_s"]
        target = TARGETS.get(label)
        out.append(
            {
                "comparison": label,
                "a": a,
                "b": b,
                "ratio": value,
                "target_min": target,
                "met": None if target is None else value >= target,
            }
        )
    return out


def table(doc: dict[str, Any]) -> str:
    rows = []
    for name, r in doc["results"].items():
        rows.append(
            [
                name,
                fmt_num(r["mb_per_s"]),
                " / ".join(fmt_num(x) for x in r["mb_per_s_all"]),
                fmt_num(r["objects_per_s"]) if r["objects_per_s"] is not None else "",
                fmt_num(r["client_cpu_s_per_gib"], 2),
                fmt_num(r["server_cpu_s_per_gib"], 2),
            ]
        )
    out = markdown_table(
        [
            "measurement",
            "MB/s (median)",
            "MB/s runs",
            "objects/s",
            "client CPU s/GiB",
            "server CPU s/GiB",
        ],
        rows,
        "lrrrrr",
    )
    ratio_rows = [
        [
            q["comparison"],
            f"{q['ratio']:.2f}×",
            "info" if q["target_min"] is None else f"≥ {q['target_min']:.2f}×",
            "" if q["met"] is None else ("yes" if q["met"] else "**no**"),
        ]
        for q in doc["ratios"]
    ]
    out += "\n\n" + markdown_table(["comparison", "ratio", "target", "met"], ratio_rows, "lrrl")
    out += (
        f"\n\n{fmt_size(doc['size'])} object, {doc['count']} objects of {fmt_size(doc['small'])}, "
        f"{doc['rounds']} rounds, reads of {fmt_size(doc['chunk'])}; {doc['pinning']}; load "
        f"average {doc['loadavg_start'][0]:.2f} at start, {doc['loadavg_end'][0]:.2f} at end"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.fsspec_read",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="64 MiB, 200 objects, 2 rounds")
    p.add_argument("--size", type=int, default=None, help="bytes of the large object (1 GiB)")
    p.add_argument("--count", type=int, default=None, help="small objects (1000)")
    p.add_argument("--small", type=int, default=4096, help="bytes of each small object (4096)")
    p.add_argument("--chunk", type=int, default=8 * MiB, help="fs.open read size (8 MiB)")
    p.add_argument("--rounds", type=int, default=None, help="rounds (5; --quick 2)")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client CPUs")
    p.add_argument("--skip-official", action="store_true", help="leave the official SDK out")
    p.add_argument("--results", default="results", help="directory for fsspec_read.json")
    args = p.parse_args(argv)
    args.size = args.size or (64 * MiB if args.quick else GiB)
    args.count = args.count or (200 if args.quick else 1000)
    args.rounds = args.rounds or (2 if args.quick else 5)
    for name in ("size", "count", "small", "chunk", "rounds"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be positive")

    load_start = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="cos-bench-fsspec-"))
    server = ServerProcess(
        [
            sys.executable,
            "-m",
            "cos_async.testing",
            "--port",
            "0",
            "--fast-etag",
            "--bucket",
            LOCAL_BUCKET,
        ]
    )
    try:
        pinning = "not pinned" if args.no_pin else _pin(server)
        bench = Bench(args, Target.local_server(server.endpoint), workdir)
        bench.server = server
        bench.setup()
        try:
            results = bench.run()
        finally:
            bench.cleanup()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    doc = {
        "suite": "fsspec_read",
        "size": args.size,
        "count": args.count,
        "small": args.small,
        "chunk": args.chunk,
        "rounds": args.rounds,
        "pinning": pinning,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg(),
        "results": results,
        "ratios": ratios(results),
    }
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fsspec_read.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(table(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
