"""``python -m benchmarks.cli``: the ``cos-async`` command line against the official SDK's
``upload_file`` loop and against coscmd, uploading a tree of many small files and one large file
to the local COS server.

What is timed is what a user waits for: a fresh process per run, from its start (interpreter,
imports) to its exit.

* ``cos-async``: ``cos-async --quiet cp -r TREE cos://bucket/prefix/`` and
  ``cos-async --quiet cp BIG cos://bucket/key`` (the console script, its defaults: 8 files at
  once, 16 MiB parts, 8 parts of a file at once, CRC-64 verified).
* ``official``: a Python process that builds a ``qcloud_cos.CosS3Client`` and calls
  ``upload_file(Bucket, Key, LocalFilePath)`` for every file, one after the other, at the SDK's
  defaults (1 MB parts, 5 threads): the loop a script written on the official SDK runs.
* ``coscmd`` (Tencent's Python command line, ``pip install coscmd``; skipped when it is not
  installed): ``coscmd upload -r TREE /prefix/`` and ``coscmd upload BIG /key`` at its
  defaults (1 MB parts, 5 threads). coscmd cannot address a path-style endpoint, so it runs
  with a resolver that sends ``*.myqcloud.com`` to 127.0.0.1 and the endpoint
  ``cos.<region>.myqcloud.com:<port>``; give ``--coscmd PYTHON``, an interpreter that has it
  (it pins old libraries: a venv of its own is kinder, ``python -m venv /tmp/coscmd &&
  /tmp/coscmd/bin/pip install coscmd``).

The server (``python -m cos_async.testing --fast-etag``, in memory) and the clients get a CPU
each when there are two. The sources are read into the page cache before every run; every
upload is deleted after it (the server keeps data in memory). Runs go in rounds, each round in
a rotated order; the report gives medians, MiB/s and files/s, the clients' CPU seconds, and
the ratios of the others' times to ``cos-async``'s (above 1: cos-async is faster).

``--quick``: 200 files and 128 MiB, one round (about a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cos_async.testing import DEFAULT_SECRET_KEY

from ._target import LOCAL_BUCKET, Target
from .server_throughput import ServerProcess

MiB = 1024 * 1024
BUCKET = LOCAL_BUCKET
CONSOLE = Path(sys.executable).with_name("cos-async")
CLIENTS = ("cos-async", "official", "coscmd")

_OFFICIAL_LOOP = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from benchmarks._target import Target
spec = json.load(open(sys.argv[1]))
client = Target.local_server(spec["endpoint"], spec["bucket"]).official_client()
for path, key in spec["files"]:
    client.upload_file(Bucket=spec["bucket"], Key=key, LocalFilePath=path)
"""

_COSCMD = r"""
import socket, sys
_getaddrinfo = socket.getaddrinfo
def _local(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith(".myqcloud.com"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = _local
from coscmd.cos_cmd import _main
sys.argv[0] = "coscmd"
sys.exit(_main())
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _pin(cpu: int | None) -> Any:
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def _warm(paths: list[Path]) -> None:
    for p in paths:
        with open(p, "rb") as f:
            while f.read(8 * MiB):
                pass


def make_tree(root: Path, files: int, size: int) -> list[Path]:
    """``files`` files of ``size`` bytes in 10 directories, each different."""
    block = os.urandom(size + files)
    paths = []
    for i in range(files):
        p = root / f"d{i % 10}" / f"f{i:05d}.bin"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(block[i : i + size])
        paths.append(p)
    return paths


def make_big(path: Path, size: int) -> Path:
    block = os.urandom(MiB)
    with open(path, "wb") as f:
        for i in range(size // MiB):
            f.write(block[i % 251 :] + block[: i % 251])
    return path


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, endpoint: str) -> None:
        self.args = args
        self.work = work
        self.endpoint = endpoint
        self.target = Target.local_server(endpoint, BUCKET)
        self.cpu = 0 if (os.cpu_count() or 1) >= 2 else None
        self.env = {
            **os.environ,
            "COS_ENDPOINT_URL": endpoint,
            "COS_SECRET_ID": self.target.secret_id,
            "COS_SECRET_KEY": DEFAULT_SECRET_KEY,
            "COS_REGION": self.target.region,
        }
        self.coscmd = self._coscmd_setup()

    def _coscmd_setup(self) -> list[str] | None:
        python = self.args.coscmd
        if python is None:
            try:
                import coscmd  # type: ignore[import-not-found]  # noqa: F401
            except ImportError:
                return None
            python = sys.executable
        port = self.endpoint.rsplit(":", 1)[1]
        conf = self.work / "coscmd.conf"
        conf.write_text(
            "[common]\n"
            f"secret_id = {self.target.secret_id}\n"
            f"secret_key = {DEFAULT_SECRET_KEY}\n"
            f"bucket = {BUCKET}\n"
            f"region = {self.target.region}\n"
            "max_thread = 5\npart_size = 1\nschema = http\n"
            f"endpoint = cos.{self.target.region}.myqcloud.com:{port}\n"
        )
        conf.chmod(0o600)
        script = self.work / "coscmd_local.py"
        script.write_text(_COSCMD)
        return [python, str(script), "-s", "-c", str(conf), "-l", str(self.work / "coscmd.log")]

    def command(self, client: str, source: Path, prefix: str, tree: bool) -> list[str]:
        if client == "cos-async":
            console = [str(CONSOLE)] if CONSOLE.exists() else [sys.executable, "-m", "cos_async"]
            dst = f"cos://{BUCKET}/{prefix}/"
            return [*console, "--quiet", "cp", *(["-r"] if tree else []), str(source), dst]
        if client == "official":
            files = (
                [(str(p), f"{prefix}/{p.relative_to(source).as_posix()}") for p in _files(source)]
                if tree
                else [(str(source), f"{prefix}/{source.name}")]
            )
            spec = self.work / f"official-{prefix}.json"
            spec.write_text(
                json.dumps({"endpoint": self.endpoint, "bucket": BUCKET, "files": files})
            )
            root = str(Path(__file__).resolve().parent.parent)
            return [sys.executable, "-c", _OFFICIAL_LOOP, str(spec), root]
        assert self.coscmd is not None
        return [*self.coscmd, "upload", *(["-r"] if tree else []), str(source), f"/{prefix}/"]

    def run(self, client: str, source: Path, prefix: str, tree: bool) -> dict[str, float]:
        _warm(_files(source) if tree else [source])
        argv = self.command(client, source, prefix, tree)
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        proc = subprocess.run(
            argv,
            env=self.env,
            capture_output=True,
            text=True,
            preexec_fn=_pin(self.cpu),
            check=False,
        )
        wall = time.perf_counter() - t0
        cpu = _children_cpu() - cpu0
        if proc.returncode != 0:
            raise RuntimeError(f"{client} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        uploaded = self.count(prefix)
        expected = len(_files(source)) if tree else 1
        if uploaded != expected:
            raise RuntimeError(f"{client} uploaded {uploaded} objects, expected {expected}")
        self.clean(prefix)
        return {"seconds": wall, "cpu_s": cpu}

    def count(self, prefix: str) -> int:
        from cos_sync import CosClient

        with CosClient(self.target.cos_config()) as cos:
            return sum(1 for _ in cos.list_objects(BUCKET, prefix=prefix + "/"))

    def clean(self, prefix: str) -> None:
        from cos_sync import CosClient

        with CosClient(self.target.cos_config()) as cos:
            cos.delete_prefix(BUCKET, prefix + "/")
            for u in cos.list_multipart_uploads(BUCKET, prefix=prefix + "/"):
                cos.abort_multipart_upload(BUCKET, u.key, u.upload_id)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cli", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="200 files, 128 MiB, one round")
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --quick 1)")
    p.add_argument("--files", type=int, default=None, help="files in the tree (default 1000)")
    p.add_argument("--file-kib", type=int, default=64, help="size of each file (default 64 KiB)")
    p.add_argument("--big-mib", type=int, default=None, help="the large file (default 1024 MiB)")
    p.add_argument("--coscmd", metavar="PYTHON", help="an interpreter that has coscmd installed")
    p.add_argument("--only", choices=CLIENTS, action="append", help="run only these clients")
    p.add_argument("--results", default="results", help="where cli.json goes (default results/)")
    args = p.parse_args(argv)
    files = args.files or (200 if args.quick else 1000)
    big_mib = args.big_mib or (128 if args.quick else 1024)
    rounds = args.rounds or (1 if args.quick else 3)

    work = Path(tempfile.mkdtemp(prefix="cos-cli-bench-"))
    server = ServerProcess(
        [
            sys.executable,
            "-m",
            "cos_async.testing",
            "--port",
            "0",
            "--fast-etag",
            "--bucket",
            BUCKET,
        ]
    )
    try:
        if (os.cpu_count() or 1) >= 2:
            os.sched_setaffinity(server.proc.pid, {1})
        bench = Bench(args, work, server.endpoint)
        tree_root = work / "tree"
        make_tree(tree_root, files, args.file_kib * 1024)
        big = make_big(work / "big.bin", big_mib * MiB)
        clients = [c for c in CLIENTS if not args.only or c in args.only]
        if "coscmd" in clients and bench.coscmd is None:
            print("coscmd: not installed (give --coscmd PYTHON); left out", flush=True)
            clients.remove("coscmd")
        workloads = {
            "tree": (tree_root, True, files * args.file_kib * 1024, files),
            "big": (big, False, big_mib * MiB, 1),
        }
        samples: dict[tuple[str, str], list[dict[str, float]]] = {}
        print(
            f"cos-async CLI: {files} files of {args.file_kib} KiB, one {big_mib} MiB file; "
            f"{rounds} round(s); clients: {', '.join(clients)}",
            flush=True,
        )
        for r in range(rounds):
            order = clients[r % len(clients) :] + clients[: r % len(clients)]
            for workload, (source, tree, _nbytes, _nfiles) in workloads.items():
                for client in order:
                    result = bench.run(client, source, f"{client}-{workload}", tree)
                    samples.setdefault((workload, client), []).append(result)
                    print(
                        f"  round {r + 1} {workload:<4} {client:<9} "
                        f"{result['seconds']:7.2f} s  cpu {result['cpu_s']:6.2f} s",
                        flush=True,
                    )
        rows = []
        for (workload, client), runs in samples.items():
            _, _, nbytes, nfiles = workloads[workload]
            seconds = statistics.median(x["seconds"] for x in runs)
            rows.append(
                {
                    "workload": workload,
                    "client": client,
                    "seconds": seconds,
                    "mib_per_s": nbytes / MiB / seconds,
                    "files_per_s": nfiles / seconds,
                    "cpu_s": statistics.median(x["cpu_s"] for x in runs),
                    "runs": len(runs),
                }
            )
        by = {(r["workload"], r["client"]): r for r in rows}
        ratios = [
            {
                "workload": w,
                "versus": c,
                "time_ratio": by[(w, c)]["seconds"] / by[(w, "cos-async")]["seconds"],
            }
            for w in workloads
            for c in clients
            if c != "cos-async" and (w, c) in by and (w, "cos-async") in by
        ]
        print()
        print(f"{'workload':<9}{'client':<11}{'seconds':>9}{'MiB/s':>9}{'files/s':>9}{'cpu s':>8}")
        for row in rows:
            print(
                f"{row['workload']:<9}{row['client']:<11}{row['seconds']:9.2f}"
                f"{row['mib_per_s']:9.1f}{row['files_per_s']:9.1f}{row['cpu_s']:8.2f}"
            )
        print()
        for q in ratios:
            print(
                f"{q['workload']}: {q['versus']} takes {q['time_ratio']:.2f}x the time of cos-async"
            )
        out = Path(args.results)
        out.mkdir(parents=True, exist_ok=True)
        doc = {
            "suite": "cli",
            "files": files,
            "file_bytes": args.file_kib * 1024,
            "big_bytes": big_mib * MiB,
            "rounds": rounds,
            "rows": rows,
            "ratios": ratios,
        }
        (out / "cli.json").write_text(json.dumps(doc, indent=2))
        print(f"\nwritten: {out / 'cli.json'}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
