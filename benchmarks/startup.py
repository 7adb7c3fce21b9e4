"""``python -m benchmarks.startup``: what a program pays before its first object moves.

Each measurement is a fresh interpreter (``python -c``), repeated ``--runs`` times, median:

* ``import``: wall and CPU time of ``import cos_async``, ``import cos_sync``, the official SDK's
  ``import qcloud_cos`` and ``import aiohttp`` alone (what every aiohttp program pays), timed
  inside the interpreter around the import statement;
* ``first request``: in one process, the CPU and wall time of a new client's first
  ``head_object`` against the local server and of the next one (what the first costs more
  than any other), for ours (async and sync facade) and the official SDK.

The local server runs in its own process (pinned to its own CPU, ``benchmarks/_pin.py``).
Results go to ``results/startup.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from ._pin import pin
from ._target import LOCAL_BUCKET
from .server_throughput import ServerProcess

IMPORTS = {
    "import aiohttp": "import aiohttp",
    "import cos_async": "import cos_async",
    "import cos_sync": "import cos_sync",
    "import qcloud_cos (official SDK)": "import qcloud_cos",
}

_TIMED = r"""
import time, json
c0, t0 = time.process_time(), time.perf_counter()
{body}
c1, t1 = time.process_time(), time.perf_counter()
print(json.dumps({{"wall": t1 - t0, "cpu": c1 - c0}}))
"""

_FIRST = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
from benchmarks._target import Target
target = Target.local_server({endpoint!r}, {bucket!r})
kind = {kind!r}

def timed(call):
    c0, t0 = time.process_time(), time.perf_counter()
    call()
    c1, t1 = time.process_time(), time.perf_counter()
    return {{"wall": t1 - t0, "cpu": c1 - c0}}

if kind == "async":
    import asyncio
    from cos_async import AsyncCosClient

    async def main():
        async with AsyncCosClient(target.cos_config()) as cos:
            out = []
            for _ in range(2):
                c0, t0 = time.process_time(), time.perf_counter()
                await cos.head_object(target.bucket, "startup")
                c1, t1 = time.process_time(), time.perf_counter()
                out.append({{"wall": t1 - t0, "cpu": c1 - c0}})
            return out

    first, second = asyncio.run(main())
elif kind == "sync":
    from cos_sync import CosClient

    with CosClient(target.cos_config()) as cos:
        first = timed(lambda: cos.head_object(target.bucket, "startup"))
        second = timed(lambda: cos.head_object(target.bucket, "startup"))
else:
    client = target.official_client()
    first = timed(lambda: client.head_object(Bucket=target.bucket, Key="startup"))
    second = timed(lambda: client.head_object(Bucket=target.bucket, Key="startup"))
print(json.dumps({{"first": first, "second": second}}))
"""


#: the checkout, where ``benchmarks`` is importable from
_ROOT = Path(__file__).resolve().parent.parent


def _python(code: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=_ROOT,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _median(samples: list[dict[str, Any]], field: str) -> float:
    return statistics.median(s[field] for s in samples)


def run(runs: int, *, pinned: bool = True) -> dict[str, Any]:
    imports: dict[str, dict[str, float]] = {}
    for name, body in IMPORTS.items():
        samples = [_python(_TIMED.format(body=body)) for _ in range(runs)]
        imports[name] = {"wall_s": _median(samples, "wall"), "cpu_s": _median(samples, "cpu")}
    server = ServerProcess(
        [sys.executable, "-m", "cos_async.testing", "--port", "0", "--bucket", LOCAL_BUCKET]
    )
    try:
        pinning = pin(server, enabled=pinned)
        from cos_sync import CosClient

        from ._target import Target

        target = Target.local_server(server.endpoint)
        with CosClient(target.cos_config()) as cos:
            cos.put_object(target.bucket, "startup", b"x")
        first: dict[str, dict[str, float]] = {}
        for kind in ("async", "sync", "official"):
            code = _FIRST.format(endpoint=server.endpoint, bucket=target.bucket, kind=kind)
            samples = [_python(code) for _ in range(runs)]
            first[kind] = {
                "first_cpu_s": statistics.median(s["first"]["cpu"] for s in samples),
                "first_wall_s": statistics.median(s["first"]["wall"] for s in samples),
                "second_cpu_s": statistics.median(s["second"]["cpu"] for s in samples),
                "second_wall_s": statistics.median(s["second"]["wall"] for s in samples),
            }
    finally:
        server.stop()
    return {
        "suite": "startup",
        "runs": runs,
        "pinning": pinning,
        "python": sys.version.split()[0],
        "imports": imports,
        "first_request": first,
    }


def table(data: dict[str, Any]) -> str:
    lines = [
        f"{data['runs']} fresh interpreters per row, median; {data['pinning']}",
        "",
        "| import | wall ms | CPU ms |",
        "| --- | ---: | ---: |",
    ]
    for name, r in data["imports"].items():
        lines.append(f"| `{name}` | {r['wall_s'] * 1e3:.0f} | {r['cpu_s'] * 1e3:.0f} |")
    lines += [
        "",
        "| client | first head_object: CPU ms / wall ms | the next: CPU ms / wall ms |",
        "| --- | ---: | ---: |",
    ]
    names = {"async": "cos_async", "sync": "cos_sync (facade)", "official": "official SDK"}
    for kind, r in data["first_request"].items():
        lines.append(
            f"| {names[kind]} | {r['first_cpu_s'] * 1e3:.2f} / {r['first_wall_s'] * 1e3:.2f} | "
            f"{r['second_cpu_s'] * 1e3:.2f} / {r['second_wall_s'] * 1e3:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__)
    p.add_argument("--runs", type=int, default=9, help="fresh interpreters per row (default 9)")
    p.add_argument("--quick", action="store_true", help="3 runs per row")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client CPUs")
    p.add_argument("--results", default="results", help="directory of the JSON results")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error(f"--runs must be at least 1, got {args.runs}")
    data = run(3 if args.quick else args.runs, pinned=not args.no_pin)
    print(table(data))
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(f"\nresults written to {out / 'startup.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
