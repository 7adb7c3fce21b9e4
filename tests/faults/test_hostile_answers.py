"""Hostile or broken HTTP answers (issue 16, items 8 and 15): every call ends with a
``CosError``, within a bound, on both of aiohttp's HTTP parsers and on the threaded path.

Before: an endless chunk extension (bytes that keep resetting aiohttp's ``sock_read`` timer) and
a chunk malformed mid-body (aiohttp's C parser then leaves the read waiting forever) hung the
client despite ``read_timeout``; a malformed status line raised aiohttp's raw
``HttpProcessingError``. The server is in ``tests/faults/hostile_server.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp.http_parser
import pytest

from tests.faults.hostile_server import MODES, run_calls

ROOT = Path(__file__).resolve().parents[2]
#: read_timeout is 1 s: a liveness bound far above it (a hang is cut at 60 s by the runner)
BOUND = 20.0


def _check(outcomes: dict[str, list[object]]) -> None:
    assert set(outcomes) == {"get_object", "get_object_tagging", "download_file"}
    for call, (classes, seconds) in outcomes.items():
        assert isinstance(classes, list)
        assert isinstance(seconds, float)
        assert "CosError" in classes, (call, classes)
        assert "CosTransportError" in classes, (call, classes)  # retryable, and an OSError
        assert seconds < BOUND, (call, seconds)


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_with_the_c_parser(mode: str, tmp_path: Path) -> None:
    if aiohttp.http_parser.HttpResponseParser is aiohttp.http_parser.HttpResponseParserPy:
        pytest.skip("aiohttp runs without its C extensions here")
    _check(await run_calls(mode, tmp_path))
    assert not list(tmp_path.iterdir())  # no partial download left


@pytest.mark.parametrize("mode", sorted(MODES))
def test_with_the_python_parser(mode: str) -> None:
    env = {**os.environ, "AIOHTTP_NO_EXTENSIONS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.faults.hostile_server", mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    _check(json.loads(proc.stdout.strip().splitlines()[-1]))
