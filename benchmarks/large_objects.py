"""Large objects: ``upload_file`` / ``download_file`` of one big file, on ``transfers``' machinery.

Each run is a fresh child process (``python -m benchmarks.transfers --child SPEC``, the same
per-process measurement as ``--suite transfers``): wall and user+sys CPU seconds of the transfer
alone, and the child's peak RSS. Rows: ours at a few part sizes × concurrency levels (the
defaults among them; downloads with ``verify_crc`` on, and once off), the official SDK at its
defaults and at our default settings, and the raw aiohttp ceiling (part PUTs from memory / ranged
GETs dropped, with a signature and nothing else: no file, no checksum) against the same server.
Uploaded objects are deleted after each run; every download is checked against the source's
CRC-64 (outside the timing).
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from . import transfers
from ._progress import Progress
from ._report import ratio
from ._target import Target
from .server_throughput import ServerProcess

MiB = 1024 * 1024
GiB = 1024 * MiB

#: (id, op, client, settings, spec, estimated seconds per GiB beyond the child's start-up)
_ROWS: list[tuple[str, str, str, str, dict[str, Any], float]] = [
    ("up_ours_8x4", "upload", "ours", "8 MiB × 4", {"part_size": 8 * MiB, "concurrency": 4}, 0.7),
    (
        "up_ours_default",
        "upload",
        "ours",
        "defaults (16 MiB × 8)",
        {"part_size": None, "concurrency": None},
        0.7,
    ),
    (
        "up_ours_32x16",
        "upload",
        "ours",
        "32 MiB × 16",
        {"part_size": 32 * MiB, "concurrency": 16},
        0.7,
    ),
    (
        "up_official_default",
        "upload",
        "official",
        "defaults (PartSize=1 × MAXThread=5)",
        {"part_size": 1 * MiB, "concurrency": 5},
        1.4,
    ),
    (
        "up_official_16x8",
        "upload",
        "official",
        "PartSize=16 × MAXThread=8",
        {"part_size": 16 * MiB, "concurrency": 8},
        0.7,
    ),
    (
        "up_raw_16x8",
        "upload",
        "raw",
        "16 MiB × 8, signed parts from memory",
        {"part_size": 16 * MiB, "concurrency": 8, "signed": True, "files": False},
        0.5,
    ),
    (
        "down_ours_8x4",
        "download",
        "ours",
        "8 MiB × 4, verify_crc=True",
        {"part_size": 8 * MiB, "concurrency": 4, "verify_crc": True},
        1.0,
    ),
    (
        "down_ours_default",
        "download",
        "ours",
        "defaults (16 MiB × 8), verify_crc=True",
        {"part_size": None, "concurrency": None, "verify_crc": True},
        1.0,
    ),
    (
        "down_ours_default_nocrc",
        "download",
        "ours",
        "defaults (16 MiB × 8), verify_crc=False",
        {"part_size": None, "concurrency": None, "verify_crc": False},
        1.0,
    ),
    (
        "down_ours_32x16",
        "download",
        "ours",
        "32 MiB × 16, verify_crc=True",
        {"part_size": 32 * MiB, "concurrency": 16, "verify_crc": True},
        1.0,
    ),
    (
        "down_official_default_crc",
        "download",
        "official",
        "defaults (PartSize=20 × MAXThread=5), EnableCRC=True",
        {"part_size": 20 * MiB, "concurrency": 5, "verify_crc": True},
        4.0,
    ),
    (
        "down_official_default",
        "download",
        "official",
        "defaults (PartSize=20 × MAXThread=5), EnableCRC=False",
        {"part_size": 20 * MiB, "concurrency": 5, "verify_crc": False},
        0.8,
    ),
    (
        "down_official_16x8",
        "download",
        "official",
        "PartSize=16 × MAXThread=8, EnableCRC=False",
        {"part_size": 16 * MiB, "concurrency": 8, "verify_crc": False},
        0.8,
    ),
    (
        "down_raw_16x8",
        "download",
        "raw",
        "16 MiB ranges × 8, signed, no file",
        {"part_size": 16 * MiB, "concurrency": 8, "signed": True, "files": False},
        0.8,
    ),
]

#: (a, b, what): MB/s of a ÷ MB/s of b (and client CPU per GiB likewise)
RATIOS: list[tuple[str, str, str]] = [
    ("up_ours_default", "up_official_default", "upload: ours ÷ official, both at defaults"),
    ("up_ours_default", "up_official_16x8", "upload: ours ÷ official, equal settings (16 MiB × 8)"),
    ("up_ours_default", "up_raw_16x8", "upload: ours ÷ raw aiohttp (16 MiB × 8)"),
    (
        "down_ours_default",
        "down_official_default_crc",
        "download: ours ÷ official, both at defaults, both verifying CRC-64",
    ),
    (
        "down_ours_default",
        "down_official_default",
        "download: ours (verify_crc) ÷ official at defaults without EnableCRC",
    ),
    (
        "down_ours_default_nocrc",
        "down_official_16x8",
        "download: ours ÷ official, equal settings (16 MiB × 8), no CRC",
    ),
    (
        "down_ours_default",
        "down_raw_16x8",
        "download: ours (verify_crc) ÷ raw aiohttp (16 MiB × 8)",
    ),
]

#: short names for the chart
LABELS = {
    "up_ours_8x4": "ours 8 MiB × 4",
    "up_ours_default": "ours defaults",
    "up_ours_32x16": "ours 32 MiB × 16",
    "up_official_default": "official defaults (1 × 5)",
    "up_official_16x8": "official 16 × 8",
    "up_raw_16x8": "raw 16 MiB × 8",
    "down_ours_8x4": "ours 8 MiB × 4",
    "down_ours_default": "ours defaults, CRC",
    "down_ours_default_nocrc": "ours defaults, no CRC",
    "down_ours_32x16": "ours 32 MiB × 16",
    "down_official_default_crc": "official defaults, CRC",
    "down_official_default": "official defaults (20 × 5)",
    "down_official_16x8": "official 16 × 8",
    "down_raw_16x8": "raw 16 MiB × 8",
}

CHILD_START_S = 0.8


def _resolve_defaults(size: int) -> tuple[int, int, int]:
    from cos_async import _transfer

    return (
        _transfer.choose_part_size(size, None),
        _transfer.choose_part_size(size, None, _transfer.DEFAULT_DOWNLOAD_PART_SIZE),
        _transfer.DEFAULT_CONCURRENCY,
    )


class LargeObjects:
    def __init__(
        self,
        target: Target,
        server: ServerProcess | None,
        prefix: str,
        *,
        size: int,
        runs: int,
        warmup: int,
    ) -> None:
        self.target = target
        self.server = server
        self.prefix = prefix
        self.size = size
        self.runs = runs
        self.warmup = warmup
        up, down, conc = _resolve_defaults(size)
        self.measurements: list[dict[str, Any]] = []
        self.estimates: dict[str, float] = {}
        for id_, op, client, settings, spec, s_per_gib in _ROWS:
            if "defaults (16 MiB × 8)" in settings:  # say what the defaults are for this size
                ps = up if op == "upload" else down
                settings = settings.replace("16 MiB × 8", f"{ps // MiB} MiB × {conc}")
            m = transfers.measurement(id_, op, client, "cos", settings, size, **spec)
            m["label"] = LABELS[id_]
            self.measurements.append(m)
            self.estimates[id_] = CHILD_START_S + s_per_gib * size / GiB

    def weight(self) -> float:
        per_round = sum(self.estimates.values())
        setup = 2.0 + 4.0 * self.size / GiB
        return per_round * (self.runs + self.warmup) + setup

    def run(self, progress: Progress) -> dict[str, Any]:
        workdir = Path(tempfile.mkdtemp(prefix="cos-bench-large-"))
        bench = transfers.Bench(self.size, self.runs, workdir, prefix=self.prefix)
        bench.cos = self.server
        bench.cos_target = self.target
        started = time.time()
        try:
            progress.start("large objects", f"writing a {self.size // MiB} MiB source file")
            transfers._make_file(bench.src, self.size)
            bench.src_crc = transfers._file_crc(bench.src)
            transfers._warm(bench.src)
            spec: dict[str, Any] = {
                "id": "setup",
                "client": "ours",
                "op": "upload",
                "size": self.size,
                "endpoint": self.target.endpoint,
                "target": self.target.to_spec(),
                "key": bench.download_key,
                "path": str(bench.src),
            }
            transfers._run_child(spec, bench.timeout)  # the object every download reads
            if self.server is not None:
                # one more upload, deleted: the local server's buffer pool reaches the size it
                # keeps in steady state (one object stored + one being uploaded)
                key = self.prefix + "pool-warm-up"
                transfers._run_child({**spec, "id": "warm-up", "key": key}, bench.timeout)
                transfers.cos_request(self.target, "DELETE", key)
            progress.done(2.0 + 4.0 * self.size / GiB)
            for r in range(-self.warmup, self.runs):
                what = "warm-up" if r < 0 else f"round {r + 1}/{self.runs}"
                # each round in its own seeded order, as in --suite transfers: what a run
                # inherits from the one before it (this VM hands memory freed for a second or
                # two back to its host, and faulting it in again is slow) does not fall on the
                # same client every time
                order = list(self.measurements)
                random.Random(r + 1000).shuffle(order)
                for m in order:
                    progress.start("large objects", f"{what}: {m['op']} {m['client']} {m['id']}")
                    result = bench.once(m)
                    if r >= 0:
                        m["runs_raw"].append(result)
                    progress.done(self.estimates[m["id"]])
            transfers.cos_request(self.target, "DELETE", bench.download_key)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        rows = [transfers._summarize(m, self.size) for m in self.measurements]
        foreign = [x for r in rows for x in r["foreign_cpu_s"] if x is not None]
        measured = sum(x["child_wall_s"] for r in rows for x in r["raw_runs"])
        return {
            "size": self.size,
            "runs": self.runs,
            "warmup_runs": self.warmup,
            "duration_s": time.time() - started,
            # CPU seconds other processes on the machine used while the measured children ran
            "foreign_cpu_s_total": sum(foreign),
            "measured_child_wall_s_total": measured,
            "rows": rows,
            "ratios": ratios(rows),
        }


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in rows}
    out: list[dict[str, Any]] = []
    for a, b, what in RATIOS:
        if a not in by_id or b not in by_id:
            continue
        ra, rb = by_id[a], by_id[b]
        out.append(
            {
                "a": a,
                "b": b,
                "comparison": what,
                "metric": "mb_per_s",
                "ratio": ratio(ra["mb_per_s"], rb["mb_per_s"]),
                "cpu_ratio": ratio(ra["client_cpu_s_per_gib"], rb["client_cpu_s_per_gib"]),
            }
        )
    return out
