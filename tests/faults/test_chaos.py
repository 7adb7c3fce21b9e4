"""The chaos test (issue 16): a few hundred small randomized runs under every fault kind of the
local server, through ``AsyncCosClient`` and ``cos_sync.CosClient``, each checked for success
with the data byte-identical or a ``CosError``, and for no multipart upload, temporary file or
damaged object left (the runs and their checks: ``benchmarks/chaos.py``; its longer campaign:
``python -m benchmarks.chaos --runs 1000``).

The seeds are fixed. A failing run is reported with its plan, what it broke and the command that
replays it alone (``python -m benchmarks.chaos --seed S --runs 1 [--sync]``). About 15 s per
200 runs on an idle machine.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import chaos
from cos_async import AsyncCosClient, CosClientError
from cos_async.testing import ThreadedLocalCosServer

RUNS = 200
ASYNC_SEEDS = range(1, 1 + RUNS)
SYNC_SEEDS = range(10_001, 10_001 + RUNS)


@pytest.fixture(scope="module")
def chaos_server() -> Iterator[ThreadedLocalCosServer]:
    with chaos.chaos_server() as server:
        yield server


#: An error asyncio may log that is not ours: aiohttp 3.14's ``ClientRequest.write_bytes`` lets
#: ``write_eof()`` raise when the server resets the connection right after the last chunk of a
#: streamed body, and nobody retrieves that task's exception ("Task exception was never
#: retrieved"). The request itself fails as it should (CosTransportError); only the log line is
#: spurious. Seen about twice per 1,000 runs (``--seed 100066 --runs 1`` shows it often).
AIOHTTP_WRITE_EOF = "ClientConnectionResetError('Cannot write to closing transport')"


def _check(tally: chaos.Tally) -> None:
    assert not tally.violations, (
        f"{len(tally.violations)} chaos run(s) broke a guarantee:\n{tally.describe_violations()}"
    )
    # no task of ours fails unseen (nor a callback): asyncio would log it as an error
    ours = [(seed, m) for seed, m in tally.loop_errors if AIOHTTP_WRITE_EOF not in m]
    assert not ours, f"asyncio logged errors during the runs of these seeds: {ours}"
    assert tally.runs == RUNS
    # the runs did what they are for: every fault kind struck, every operation ran, and the
    # faults made some runs fail while others got through
    assert {k for k, n in tally.fired.items() if n > 0} == set(chaos.KINDS), tally.fired
    assert set(tally.operations) == set(chaos.OPERATIONS), tally.operations
    assert tally.outcomes["success"] > 0, tally.outcomes
    assert tally.outcomes["success"] < tally.runs, tally.outcomes


async def test_chaos_async(chaos_server: ThreadedLocalCosServer, tmp_path: Path) -> None:
    _check(await chaos.campaign(ASYNC_SEEDS, chaos_server, tmp_path))


async def test_chaos_sync(chaos_server: ThreadedLocalCosServer, tmp_path: Path) -> None:
    _check(await chaos.campaign(SYNC_SEEDS, chaos_server, tmp_path, sync=True))


# --- the plans: reproducible, and without the faults no client can undo -----------------------


def test_a_plan_is_drawn_from_its_seed_alone() -> None:
    assert [chaos.plan(s) for s in range(50)] == [chaos.plan(s) for s in range(50)]
    assert len({chaos.plan(s).describe() for s in range(50)}) == 50


def test_plans_never_refuse_every_cleanup_attempt_nor_delay_an_initiate_past_the_timeout() -> None:
    for seed in range(3000):
        p = chaos.plan(seed)
        # the rules that may strike a cleanup request (any request) fire fewer times than the
        # client's attempts; rules firing forever have a target, never a cleanup request
        any_request = [r for r in p.faults if r["operation"] is None]
        refusing = [
            r
            for r in any_request
            if r["action"] == "error"
            or (r["action"] == "delay" and r["delay"] > chaos.READ_TIMEOUT)
        ]
        assert sum(r["times"] for r in refusing) < chaos.MAX_ATTEMPTS, p.describe()
        for r in p.faults:
            assert r["operation"] not in chaos.CLEANUP, p.describe()
            if r["times"] is None:
                assert r["operation"] is not None, p.describe()
            if r["action"] == "delay" and r["delay"] > chaos.READ_TIMEOUT:
                assert r["operation"] not in (None, "InitiateMultipartUpload"), p.describe()


# --- the checks can fail: a driver that breaks each guarantee is caught -----------------------


def _seed_of(op: str) -> int:
    return next(s for s in range(10_000) if chaos.plan(s).op == op)


class _Sabotage(chaos.AsyncDriver):
    """Instead of the run's call: the faults cleared, then one thing a client must never do."""

    def __init__(self, server: ThreadedLocalCosServer, what: str) -> None:
        super().__init__(chaos.chaos_config(server, timeouts=False))
        self.server = server
        self.what = what

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.server.faults.clear()
        bucket = args[0]
        if self.what == "upload left":
            await self.cos.create_multipart_upload(bucket, "k")
        elif self.what == "damaged object":
            await self.cos.put_object(bucket, "k", b"bytes nobody sent")
        elif self.what == "success without the object":
            return types.SimpleNamespace(crc64=None)
        elif self.what == "temporary file":
            dest = Path(args[2])
            dest.with_name(f".{dest.name}.0123456789ab.cos-download").write_bytes(b"partial")
        elif self.what == "wrong bytes written":
            Path(args[2]).write_bytes(b"not the object")
            return None
        elif self.what == "another exception":
            raise ValueError("not a CosError")
        elif self.what == "hang":
            await asyncio.Event().wait()
        raise CosClientError(f"sabotaged: {self.what}")


@pytest.mark.parametrize(
    ("what", "op", "found"),
    [
        ("upload left", "put_bytes", "multipart uploads left"),
        ("damaged object", "put_bytes", "never sent (damaged)"),
        ("success without the object", "put_bytes", "'k'"),
        ("temporary file", "download_file", "file left behind: .dest.bin.0123456789ab"),
        ("wrong bytes written", "download_file", "dest.bin"),
        ("another exception", "put_bytes", "raised ValueError (not a CosError)"),
        ("hang", "put_bytes", "a hang"),
    ],
)
async def test_the_checks_catch_a_broken_guarantee(
    chaos_server: ThreadedLocalCosServer, tmp_path: Path, what: str, op: str, found: str
) -> None:
    driver = _Sabotage(chaos_server, what)
    try:
        async with AsyncCosClient(chaos.chaos_config(chaos_server, timeouts=False)) as check:
            outcome = await chaos.run_one(
                _seed_of(op), chaos_server, driver, check, tmp_path, bound=0.5
            )
    finally:
        await driver.aclose()
    assert any(found in v for v in outcome.violations), outcome.violations
    assert outcome.reproduce() == f"python -m benchmarks.chaos --seed {outcome.seed} --runs 1"
