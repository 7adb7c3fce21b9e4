"""What does the blocking facade (cos_sync) cost on small objects, against cos_async directly?

One local COS server in its own process (``python -m cos_async.testing --fast-etag``); this
process is the client. Every mode repeats the same pair of requests on 1 KiB objects:
``put_object`` then ``get_object(...).read()``; one *op* is one request (a pair is two ops).

* ``async``: ``AsyncCosClient``, sequential awaits (one task);
* ``sync``: ``cos_sync.CosClient`` from one thread, the same sequence;
* ``sync-8-threads``: one ``CosClient`` shared by 8 threads;
* ``async-8-tasks``: ``AsyncCosClient`` with 8 concurrent tasks (the reference for the threads).

Modes are measured in interleaved rounds (so a slow moment of the machine hits all of them) and
reported as the median over the rounds, with client and server CPU per op. Also measured: the
cost of one hop onto the facade's loop thread and back (a coroutine that does nothing).

Targets: ``sync`` / ``async`` >= 0.85; ``sync-8-threads`` / ``sync`` >= 2.

    python -m benchmarks.sync_facade [--quick] [--pairs N] [--rounds R] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cos_async import AsyncCosClient, CosConfig
from cos_async.testing import DEFAULT_REGION, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from cos_sync import CosClient, _portal

from ._pin import pin

BUCKET = "bench-1250000000"
SIZE = 1024
THREADS = 8
KEYS = 16  # each worker overwrites its own keys in turn: the server's memory stays flat
MODES = ("async", "sync", "sync-8-threads", "async-8-tasks")
TARGET_FACADE_RATIO = 0.85
TARGET_THREAD_SPEEDUP = 2.0


class ServerProcess:
    """``python -m cos_async.testing`` on a free port, in its own process."""

    def __init__(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "cos_async.testing",
            "--port",
            "0",
            "--fast-etag",
            "--bucket",
            BUCKET,
        ]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            raise RuntimeError(f"the server did not start: {line!r}")
        self.endpoint = line[line.index("http://") :].split()[0]

    def cpu_seconds(self) -> float | None:
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _payload(i: int) -> bytes:
    return i.to_bytes(4, "big") * (SIZE // 4)


# --- the four modes: each worker (task or thread) does its pairs on keys of its own -------------


async def _async_pairs(cos: AsyncCosClient, worker: int, pairs: int) -> None:
    for i in range(pairs):
        key = f"k/{worker}/{i % KEYS}"
        data = _payload(i + worker)
        await cos.put_object(BUCKET, key, data)
        body = await cos.get_object(BUCKET, key)
        if await body.read() != data:
            raise RuntimeError(f"{key}: wrong data")


def _sync_pairs(cos: CosClient, worker: int, pairs: int) -> None:
    for i in range(pairs):
        key = f"k/{worker}/{i % KEYS}"
        data = _payload(i + worker)
        cos.put_object(BUCKET, key, data)
        if cos.get_object(BUCKET, key).read() != data:
            raise RuntimeError(f"{key}: wrong data")


def _split(pairs: int, parts: int) -> list[tuple[int, int]]:
    """``pairs`` shared by ``parts`` workers: (worker, count) for each."""
    base, extra = divmod(pairs, parts)
    return [(p, base + (p < extra)) for p in range(parts)]


class Meter:
    """Wall time and CPU (this process, the server process) of the measured section only."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.wall = self.client_cpu = self.server_cpu = 0.0
        self._w0 = self._c0 = self._s0 = 0.0

    def start(self) -> None:
        self._s0 = self.server.cpu_seconds() or 0.0
        self._c0 = _cpu()
        self._w0 = time.perf_counter()

    def stop(self) -> None:
        self.wall = time.perf_counter() - self._w0
        self.client_cpu = _cpu() - self._c0
        self.server_cpu = (self.server.cpu_seconds() or 0.0) - self._s0


def _run_async(config: CosConfig, pairs: int, tasks: int, warmup: int, meter: Meter) -> None:
    """``pairs`` pairs over ``tasks`` tasks, after a warm-up on a fresh loop and client."""

    async def main() -> None:
        async with AsyncCosClient(config) as cos:
            await asyncio.gather(*(_async_pairs(cos, w, warmup) for w in range(tasks)))
            meter.start()
            await asyncio.gather(*(_async_pairs(cos, w, n) for w, n in _split(pairs, tasks)))
            meter.stop()

    asyncio.run(main())


def _run_threads(cos: CosClient, pairs: int, threads: int, meter: Meter) -> None:
    """``pairs`` pairs through the facade, from ``threads`` threads sharing ``cos``."""
    if threads == 1:
        meter.start()
        _sync_pairs(cos, 0, pairs)
        meter.stop()
        return
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def worker(w: int, n: int) -> None:
        try:
            barrier.wait()
            _sync_pairs(cos, w, n)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=sl) for sl in _split(pairs, threads)]
    for w in workers:
        w.start()
    meter.start()
    barrier.wait()
    for w in workers:
        w.join()
    meter.stop()
    if errors:
        raise errors[0]


def _hop_cost(hops: int) -> float:
    """Microseconds per round trip onto the facade's loop thread with a coroutine doing nothing."""
    lt = _portal.acquire()
    try:

        async def nothing() -> None:
            return None

        for _ in range(200):
            lt.run(nothing)
        t0 = time.perf_counter()
        for _ in range(hops):
            lt.run(nothing)
        return (time.perf_counter() - t0) / hops * 1e6
    finally:
        _portal.release(lt)


def _profile(cos: CosClient, pairs: int) -> str:
    """cProfile of one single-thread sync run: the calling thread and the loop thread."""
    lt = _portal.current()
    assert lt is not None
    caller, looper = cProfile.Profile(), cProfile.Profile()

    async def toggle(on: bool) -> None:  # cProfile profiles the thread that enables it
        looper.enable() if on else looper.disable()

    lt.run(lambda: toggle(True))
    caller.enable()
    t0 = time.perf_counter()
    _sync_pairs(cos, 0, pairs)
    wall = time.perf_counter() - t0
    caller.disable()
    lt.run(lambda: toggle(False))
    out = io.StringIO()
    out.write(f"profiled run: {wall / (2 * pairs) * 1e6:.0f} µs/op (profiling slows it)\n")
    for name, prof in (("calling thread", caller), ("loop thread", looper)):
        out.write(f"\n=== {name} ===\n")
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(18)
    return out.getvalue()


# --- the benchmark ---------------------------------------------------------------------------


def run(pairs: int, rounds: int, profile: bool = False, pinned: bool = True) -> dict[str, Any]:
    server = ServerProcess()
    pinning = pin(server, enabled=pinned)
    print(f"CPUs: {pinning}", flush=True)
    config = CosConfig(
        region=DEFAULT_REGION,
        secret_id=DEFAULT_SECRET_ID,
        secret_key=DEFAULT_SECRET_KEY,
        endpoint_url=server.endpoint,
    )
    samples: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    profile_text = None
    try:
        with CosClient(config) as cos:
            warmup = max(20, pairs // 20)
            meter = Meter(server)
            _run_threads(cos, warmup * THREADS, THREADS, meter)  # opens the pool's connections
            measure: dict[str, Callable[[], None]] = {
                "async": lambda: _run_async(config, pairs, 1, warmup, meter),
                "sync": lambda: _run_threads(cos, pairs, 1, meter),
                "sync-8-threads": lambda: _run_threads(cos, pairs, THREADS, meter),
                "async-8-tasks": lambda: _run_async(config, pairs, THREADS, warmup, meter),
            }
            ops = 2 * pairs
            for r in range(rounds):
                for mode in MODES:
                    measure[mode]()
                    samples[mode].append(
                        {
                            "ops_per_s": ops / meter.wall,
                            "client_cpu_us_per_op": meter.client_cpu / ops * 1e6,
                            "server_cpu_us_per_op": meter.server_cpu / ops * 1e6,
                        }
                    )
                print(f"  round {r + 1}/{rounds} done", flush=True)
            if profile:
                profile_text = _profile(cos, pairs)
        hop_us = _hop_cost(max(2000, pairs))
    finally:
        server.stop()

    modes: dict[str, dict[str, Any]] = {}
    for mode, runs in samples.items():
        modes[mode] = {
            "ops_per_s": statistics.median(s["ops_per_s"] for s in runs),
            "ops_per_s_all": [round(s["ops_per_s"], 1) for s in runs],
            "client_cpu_us_per_op": statistics.median(s["client_cpu_us_per_op"] for s in runs),
            "server_cpu_us_per_op": statistics.median(s["server_cpu_us_per_op"] for s in runs),
        }
    facade_ratio = modes["sync"]["ops_per_s"] / modes["async"]["ops_per_s"]
    thread_speedup = modes["sync-8-threads"]["ops_per_s"] / modes["sync"]["ops_per_s"]
    return {
        "modes": modes,
        "facade_ratio": facade_ratio,
        "thread_speedup": thread_speedup,
        "threads_vs_async_tasks": modes["sync-8-threads"]["ops_per_s"]
        / modes["async-8-tasks"]["ops_per_s"],
        "facade_overhead_us_per_op": 1e6 / modes["sync"]["ops_per_s"]
        - 1e6 / modes["async"]["ops_per_s"],
        "hop_us": hop_us,
        "targets": {
            "facade_ratio": TARGET_FACADE_RATIO,
            "thread_speedup": TARGET_THREAD_SPEEDUP,
            "facade_ratio_met": facade_ratio >= TARGET_FACADE_RATIO,
            "thread_speedup_met": thread_speedup >= TARGET_THREAD_SPEEDUP,
        },
        "profile": profile_text,
    }


def table(results: dict[str, Any]) -> str:
    modes = results["modes"]
    lines = [
        "| mode | ops/s (median) | all rounds | client CPU µs/op | server CPU µs/op |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for name, m in modes.items():
        rounds = ", ".join(f"{x:,.0f}" for x in m["ops_per_s_all"])
        lines.append(
            f"| {name} | {m['ops_per_s']:,.0f} | {rounds} | {m['client_cpu_us_per_op']:.0f} | "
            f"{m['server_cpu_us_per_op']:.0f} |"
        )
    t = results["targets"]
    lines += [
        "",
        f"sync / async:          {results['facade_ratio']:.2f}  (target >= {t['facade_ratio']}:"
        f" {'met' if t['facade_ratio_met'] else 'MISSED'})",
        f"8 threads / 1 thread:  {results['thread_speedup']:.2f}× (target >= "
        f"{t['thread_speedup']}×: {'met' if t['thread_speedup_met'] else 'MISSED'})",
        f"8 threads / 8 tasks:   {results['threads_vs_async_tasks']:.2f}",
        f"facade cost per op:    {results['facade_overhead_us_per_op']:.0f} µs "
        f"(one empty hop onto the loop thread and back: {results['hop_us']:.0f} µs)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sync_facade", description=__doc__)
    p.add_argument("--quick", action="store_true", help="few operations (a few seconds)")
    p.add_argument("--pairs", type=int, default=None, help="put+get pairs per mode and round")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (median taken)")
    p.add_argument("--profile", action="store_true", help="cProfile one single-thread sync run")
    p.add_argument("--results", default="results", help="directory for the JSON results")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client CPUs")
    args = p.parse_args(argv)
    pairs = args.pairs or (200 if args.quick else 3000)
    rounds = args.rounds or (1 if args.quick else 5)
    print(
        f"cos_sync facade vs cos_async: {pairs} put+get pairs of {SIZE} B objects per mode, "
        f"{rounds} round(s), {os.cpu_count()} CPUs",
        flush=True,
    )
    started = time.time()
    results = run(pairs, rounds, profile=args.profile, pinned=not args.no_pin)
    print()
    print(table(results))
    if results["profile"]:
        print()
        print(results["profile"])
    out_dir = Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "sync_facade.json"
    out.write_text(
        json.dumps(
            {
                "suite": "sync_facade",
                "started": started,
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "pairs": pairs,
                "rounds": rounds,
                "object_size": SIZE,
                **{k: v for k, v in results.items() if k != "profile"},
            },
            indent=2,
        )
    )
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
