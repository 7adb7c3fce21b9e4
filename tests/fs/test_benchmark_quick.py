"""``python -m benchmarks.fsspec_read`` runs end to end on tiny sizes and writes complete,
self-consistent results (no timing thresholds: figures positive and finite, ratios equal to
the figures they divide)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_fsspec_read_benchmark_runs(tmp_path: Path) -> None:
    args = ["--size", str(3 * 1024 * 1024), "--count", "20", "--rounds", "1", "--no-pin"]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.fsspec_read", *args, "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads((tmp_path / "fsspec_read.json").read_text())
    assert set(doc["results"]) == {
        "download_file",
        "fs.get",
        "fs.open read",
        "official download_file",
        "fs.cat",
        "official get_object loop",
    }
    for name, row in doc["results"].items():
        for key in ("mb_per_s", "client_cpu_s_per_gib"):
            assert math.isfinite(row[key]), (name, key)
            assert row[key] > 0, (name, key)
    by = doc["results"]
    for q in doc["ratios"]:
        assert q["ratio"] == pytest.approx(by[q["a"]]["mb_per_s"] / by[q["b"]]["mb_per_s"])
    assert "fs.cat / official get_object loop" in proc.stdout
