"""``python -m benchmarks --quick``, the README's main job, end to end in a subprocess (about a
minute): it must finish, and what it writes must be complete and self-consistent. No timing
thresholds: the figures only have to be positive and finite, the ratios to match them."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: the measured figures of each section's rows (all must be positive and finite)
FIGURES = {
    "small_objects": (
        "ops_per_s",
        "p50_ms",
        "p99_ms",
        "client_cpu_us_per_op",
        "server_cpu_us_per_op",
    ),
    "large_objects": ("mb_per_s", "client_cpu_s_per_gib", "server_cpu_s_per_gib", "peak_rss_mib"),
    "listing": ("keys_per_s", "seconds", "client_cpu_s", "server_cpu_s"),
}


def _positive_finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc


def _check_ratios(section: dict[str, Any]) -> None:
    by_id = {r["id"]: r for r in section["rows"]}
    assert section["ratios"]
    for q in section["ratios"]:
        a, b = by_id[q["a"]], by_id[q["b"]]
        metric = q["metric"]
        assert q["ratio"] == pytest.approx(a[metric] / b[metric], rel=1e-9), q
        if "cpu_ratio" in q:
            expected = a["client_cpu_s_per_gib"] / b["client_cpu_s_per_gib"]
            assert q["cpu_ratio"] == pytest.approx(expected, rel=1e-9), q


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_quick_run_writes_complete_consistent_results(tmp_path: Path) -> None:
    proc = _run(["--quick", "--results", str(tmp_path)])
    doc = json.loads((tmp_path / "main.json").read_text())

    assert doc["suite"] == "main"
    assert doc["quick"] is True
    assert doc["target"]["local"] is True
    assert "--fast-etag" in doc["target"]["server"]
    assert set(doc["sections"]) == set(FIGURES)
    for name, keys in FIGURES.items():
        section = doc["sections"][name]
        assert section["rows"], name
        for row in section["rows"]:
            for key in keys:
                assert _positive_finite(row[key]), (name, row["id"], key, row[key])
        _check_ratios(section)

    # small objects: every size × op × concurrency × client, each of ours against both baselines
    small = doc["sections"]["small_objects"]
    expected_cells = set(
        itertools.product(small["sizes"], small["ops"], small["concurrency"], small["clients"])
    )
    assert len(expected_cells) == len(small["rows"])
    assert {(r["size"], r["op"], r["concurrency"], r["client"]) for r in small["rows"]} == (
        expected_cells
    )
    assert set(small["ops"]) == {"put", "get", "head"}
    assert set(small["clients"]) == {"async", "sync", "official", "raw"}
    assert len(small["concurrency"]) >= 3
    for r in small["rows"]:
        assert r["p50_ms"] <= r["p99_ms"]
        assert r["ops"] >= 1
    pairs = {
        (by["client"], other["client"])
        for q in small["ratios"]
        for by, other in [
            (
                next(r for r in small["rows"] if r["id"] == q["a"]),
                next(r for r in small["rows"] if r["id"] == q["b"]),
            )
        ]
    }
    assert pairs == {(a, b) for a in ("async", "sync") for b in ("official", "raw")}
    assert len(small["ratios"]) == 4 * len(expected_cells) // len(small["clients"])

    # large objects: ours, the official SDK and raw aiohttp, both directions, with comparisons
    large = doc["sections"]["large_objects"]
    assert {(r["op"], r["client"]) for r in large["rows"]} == {
        (op, c) for op in ("upload", "download") for c in ("ours", "official", "raw")
    }
    by_id = {r["id"]: r for r in large["rows"]}
    compared = {(by_id[q["a"]]["op"], by_id[q["b"]]["client"]) for q in large["ratios"]}
    assert compared == {(op, c) for op in ("upload", "download") for c in ("official", "raw")}

    # listing: the four clients over the same keys
    listing = doc["sections"]["listing"]
    assert {r["client"] for r in listing["rows"]} == {"async", "sync", "official", "raw"}
    assert all(r["keys"] == listing["keys"] for r in listing["rows"])

    # the printed report, the progress lines (stderr is a pipe here) and the chart
    for heading in ("## Small objects", "## Large objects", "## Listing"):
        assert heading in proc.stdout
    assert "÷ official" in proc.stdout
    assert "÷ raw" in proc.stdout
    assert "\r" not in proc.stderr
    assert "[100%] done in" in proc.stderr
    assert doc["chart"] == "main.png"
    assert (tmp_path / "main.png").read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_endpoint_mode_against_a_server_started_elsewhere(tmp_path: Path) -> None:
    """``--endpoint/--bucket`` with keys from the environment, as against real COS: no server
    CPU figures, and nothing left in the bucket afterwards."""
    from cos_async import CosConfig
    from cos_async.testing import DEFAULT_REGION
    from cos_sync import CosClient

    bucket = "mine-1250000000"
    argv = [sys.executable, "-m", "cos_async.testing", "--port", "0", "--bucket", bucket]
    argv += ["--secret-id", "AKIDbenchendpoint", "--secret-key", "bench-endpoint-key"]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        endpoint = line[line.index("http://") :].split()[0]
        env = {
            **os.environ,
            "COS_SECRET_ID": "AKIDbenchendpoint",
            "COS_SECRET_KEY": "bench-endpoint-key",
        }
        env.pop("COS_TOKEN", None)
        env.pop("COS_REGION", None)
        args = ["--quick", "--runs", "1", "--size-mib", "8", "--sections", "small,large,list"]
        args += ["--endpoint", endpoint, "--bucket", bucket, "--results", str(tmp_path)]
        proc = _run(args, env)
        doc = json.loads((tmp_path / "main.json").read_text())
        assert doc["target"] == {
            "local": False,
            "endpoint": endpoint,
            "bucket": bucket,
            "server": None,
            "prefix": doc["target"]["prefix"],
        }
        assert doc["target"]["prefix"].startswith("cos-async-bench/")
        assert "bench-endpoint-key" not in (tmp_path / "main.json").read_text()
        assert "bench-endpoint-key" not in proc.stdout + proc.stderr
        for name, keys in FIGURES.items():
            section = doc["sections"][name]
            for row in section["rows"]:
                for key in keys:
                    if key.startswith("server_cpu"):
                        assert row[key] is None
                    else:
                        assert _positive_finite(row[key]), (name, row["id"], key, row[key])
            _check_ratios(section)
        config = CosConfig(
            region=DEFAULT_REGION,
            secret_id="AKIDbenchendpoint",
            secret_key="bench-endpoint-key",
            endpoint_url=endpoint,
        )
        with CosClient(config) as cos:
            assert list(cos.list_objects(bucket)) == []
            assert list(cos.list_multipart_uploads(bucket)) == []
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_startup_benchmark_quick(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.startup", "--quick", "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "startup.json").read_text(encoding="utf-8"))
    assert set(data["imports"]) >= {"import cos_async", "import cos_sync", "import aiohttp"}
    for row in data["imports"].values():
        assert _positive_finite(row["wall_s"])
        assert _positive_finite(row["cpu_s"])
    assert set(data["first_request"]) == {"async", "sync", "official"}
    for row in data["first_request"].values():
        assert all(_positive_finite(row[k]) for k in row)  # CPU included: process_time
    assert "first head_object" in proc.stdout
