"""Chaos: randomized transfers under the local server's injected faults, each checked for what
the client guarantees (``docs/reliability.md``).

One *run* is drawn from its seed alone (``plan(seed)``, reproducible): an operation of the
client (``put_object`` with bytes or a one-shot iterator, ``get_object`` read or save,
``upload_file`` in one PUT or multipart, ``upload_stream``, ``download_file``, ``copy`` in one
request or part by part, ``upload_dir`` / ``download_prefix`` on a small tree, and resumes of
checkpointed uploads and downloads), its data, whether the destination already holds an older
object or file, whether the bucket is versioned, and one to three fault rules of the server
(``error``, ``error_after_200``, ``delay``, ``reset``, ``truncate``, ``corrupt``; see
``cos_async.testing._faults``). The run goes through ``AsyncCosClient`` or, with ``sync=True``,
``cos_sync.CosClient``, bounded by ``RUN_BOUND`` seconds. Then, with the faults cleared and the
server's delayed requests finished, it checks:

* the outcome is a success or a :class:`cos_async.CosError` (a directory transfer's failed
  entries too): never another exception, never a hang;
* after a success, the data read back is byte-identical to what was sent, and COS's CRC-64 of
  the object is that of the data (uploads), or the data returned or written is the object's
  (downloads);
* in every case: no multipart upload is left; no file is left in the run's directory but the
  sources and destinations (no temporary, no checkpoint once a transfer is done), each holding
  either its old content or the new one; no object is left but the run's, each (and in a
  versioned bucket each version) holding data that was sent, never damaged bytes;
* a checkpointed transfer that failed resumes without faults to a success.

Some faults no client can undo, so no run has them: cleanup requests (``AbortMultipartUpload``,
``DeleteObject``, ``ListMultipartUploads``) are never refused on every attempt (the rules that
can strike them fire fewer than ``max_attempts`` times in all), and no Initiate is delayed past
the read timeout (an Initiate that runs on the server after the client's retry has finished
and looked for the uploads of its lost attempts makes an upload nobody knows of: the caveat
documented in ``docs/reliability.md``).

``python -m benchmarks.chaos --runs 1000 [--seed S] [--sync]`` runs a campaign and prints its
counts: runs, bytes moved, faults fired per kind, outcomes, violations (the exit status is 1 if
any). ``--seed S --runs 1`` replays the run of seed ``S``. ``tests/faults/test_chaos.py`` runs
a few hundred with fixed seeds in CI.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import collections
import contextlib
import gc
import json
import logging
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cos_async
from cos_async import (
    AsyncCosClient,
    CosConfig,
    CosError,
    RetryConfig,
    TransferResult,
    TransferSummary,
    VersioningConfiguration,
)
from cos_async._crc64 import crc64
from cos_async._retry import is_testing
from cos_async.testing import LocalCosServer, ThreadedLocalCosServer
from cos_async.testing._faults import APPLIES_TO

__all__ = [
    "KINDS",
    "OPERATIONS",
    "AsyncDriver",
    "Driver",
    "Outcome",
    "Plan",
    "SyncDriver",
    "Tally",
    "campaign",
    "chaos_config",
    "chaos_server",
    "main",
    "plan",
    "run_one",
]

MiB = 1024 * 1024
#: the fault kinds of the local server, each drawn as often as the run's operation allows
KINDS = ("error", "error_after_200", "delay", "reset", "truncate", "corrupt")
#: the client's read timeout in the runs (a delay past it is a timeout)
READ_TIMEOUT = 0.4
#: a delay that outlasts the read timeout
LONG_DELAY = 0.6
#: a run (its resume included) that takes longer is a hang
RUN_BOUND = 30.0
#: how long the server may take to finish the run's delayed requests
QUIET_BOUND = 15.0
MAX_ATTEMPTS = RetryConfig().max_attempts
#: requests that clean up after a failure: never refused on every attempt
CLEANUP = frozenset({"AbortMultipartUpload", "DeleteObject", "ListMultipartUploads"})
_MULTIPART = ("InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload")

#: each operation of a run and the COS requests it sends (what its faults may target)
OPERATIONS: dict[str, tuple[str, ...]] = {
    "put_bytes": ("PutObject",),
    "put_iterator": ("PutObject",),
    "get_read": ("GetObject",),
    "get_save": ("GetObject",),
    "upload_single": ("PutObject",),
    "upload_multipart": _MULTIPART,
    "upload_stream": ("PutObject", *_MULTIPART),
    "download_file": ("HeadObject", "GetObject"),
    "copy": ("HeadObject", "PutObjectCopy"),
    "copy_multipart": ("HeadObject", "InitiateMultipartUpload", "UploadPartCopy", *_MULTIPART[2:]),
    "upload_dir": ("PutObject", *_MULTIPART),
    "download_prefix": ("GetBucket", "HeadObject", "GetObject"),
    "upload_resume": _MULTIPART,
    "download_resume": ("HeadObject", "GetObject"),
}
#: the operations that write objects (the ones that may run in a versioned bucket)
_WRITES = frozenset(
    {
        "put_bytes",
        "put_iterator",
        "upload_single",
        "upload_multipart",
        "upload_stream",
        "copy",
        "copy_multipart",
        "upload_dir",
        "upload_resume",
    }
)
_ERRORS = (
    (503, "SlowDown"),
    (500, "InternalError"),
    (503, "ServiceUnavailable"),
    (429, "SlowDown"),
)
_REFUSALS = ((403, "AccessDenied"), (400, "InvalidRequest"))


# --- the plan of a run: everything drawn from its seed -----------------------------------------


@dataclass(frozen=True)
class Plan:
    """One run, as drawn from its seed."""

    seed: int
    op: str
    sizes: tuple[int, ...]
    #: the destination already holds older data (an object, or a local file)
    previous: bool
    versioned: bool
    concurrency: int
    #: how the data goes: ``plain``, ``md5`` (``content_md5=True``), or the kind of one-shot
    #: source (``sync-iterator``, ``async-iterator``, ``file-object``)
    variant: str
    #: FaultRule fields (the bucket is added when the rules are armed)
    faults: tuple[dict[str, Any], ...]

    def describe(self) -> str:
        rules = "; ".join(_describe_rule(r) for r in self.faults)
        return (
            f"seed {self.seed}: {self.op} ({self.variant}) sizes {list(self.sizes)}, "
            f"concurrency {self.concurrency}, previous={self.previous}, "
            f"versioned={self.versioned}; faults: {rules}"
        )


def _describe_rule(rule: dict[str, Any]) -> str:
    where = rule.get("operation") or "any request"
    if rule.get("part_number"):
        where += f" part {rule['part_number']}"
    what = rule["action"]
    if what in ("error", "error_after_200"):
        what += f" {rule['status']} {rule['code']}"
    elif what == "delay":
        what += f" {rule['delay']:.2f}s"
    else:
        what += f" at byte {rule['after_bytes']}"
    times = rule.get("times")
    return f"{what} on {where} (#{rule.get('nth', 1)}, x{'inf' if times is None else times})"


def _small(rng: random.Random) -> int:
    return rng.choice(
        [0, 1, rng.randint(2, 4096), rng.randint(4097, 256 * 1024), rng.randint(4097, 256 * 1024)]
    )


def _large(rng: random.Random) -> int:
    """A size of 2 or 3 parts of 1 MiB (the last one short)."""
    return rng.randint(1, 2) * MiB + rng.randint(1, MiB - 1)


def _sizes(op: str, rng: random.Random) -> tuple[int, ...]:
    if op in ("upload_multipart", "copy_multipart", "upload_resume", "download_resume"):
        return (_large(rng),)
    if op in ("upload_stream", "download_file"):
        return (_large(rng) if rng.random() < 0.5 else _small(rng),)
    if op in ("upload_dir", "download_prefix"):
        n = rng.randint(2, 4)
        sizes = [_small(rng) for _ in range(n)]
        if rng.random() < 0.4:
            sizes[rng.randrange(n)] = _large(rng)
        return tuple(sizes)
    return (_small(rng),)


def _variant(op: str, rng: random.Random) -> str:
    if op == "put_iterator":
        return rng.choice(["sync-iterator", "async-iterator"])
    if op == "upload_stream":
        return rng.choice(["sync-iterator", "async-iterator", "file-object"])
    if op in ("put_bytes", "upload_single"):
        return rng.choice(["plain", "plain", "plain", "md5"])
    return "plain"


def _fault(
    rng: random.Random, requests: Sequence[str], sizes: Sequence[int], budget: list[int]
) -> dict[str, Any] | None:
    """A fault rule for a run sending ``requests`` (``None``: none fits the kind drawn).
    ``budget[0]`` is how many more times the rules may refuse a cleanup request."""
    kind = rng.choice(KINDS)
    allowed = APPLIES_TO[kind]
    targets: list[str | None] = [r for r in requests if allowed is None or r in allowed]
    if not targets:
        return None
    if kind in ("error", "delay") and rng.random() < 0.3:
        targets = [None]  # any request, cleanup requests included
    operation = rng.choice(targets)
    rule: dict[str, Any] = {"action": kind, "operation": operation, "nth": rng.choice([1, 1, 2, 3])}
    rule["times"] = rng.choice([1, 1, 2, None])
    if operation is None and rule["times"] is None:
        rule["times"] = 2  # a rule without a target never fires forever
    if operation in ("UploadPart", "UploadPartCopy") and rng.random() < 0.5:
        rule["part_number"] = rng.randint(1, 3)
    if kind == "error":
        refusal = operation is not None and rng.random() < 0.15
        rule["status"], rule["code"] = rng.choice(_REFUSALS if refusal else _ERRORS)
        if refusal:
            rule["times"] = 1
        rule["message"] = "injected by the chaos run"
        rule["request_id"] = rng.random() < 0.9
    elif kind == "error_after_200":
        rule["status"], rule["code"] = rng.choice(((500, "InternalError"), (503, "SlowDown")))
        rule["message"] = "injected by the chaos run"
    elif kind == "delay":
        long = operation not in (None, "InitiateMultipartUpload") and rng.random() < 0.3
        rule["delay"] = LONG_DELAY if long else round(rng.uniform(0.0, 0.05), 3)
    else:
        biggest = max(sizes) if sizes else 0
        rule["after_bytes"] = rng.choice(
            [0, rng.randint(0, 64), rng.randint(0, biggest + 16), biggest + 100]
        )
    # the rules that can refuse a cleanup request fire fewer than max_attempts times in all
    refuses = kind == "error" or (kind == "delay" and rule["delay"] == LONG_DELAY)
    if refuses and operation is None:
        if budget[0] <= 0:
            return None
        rule["times"] = min(rule["times"], budget[0])
        budget[0] -= rule["times"]
    return rule


def plan(seed: int) -> Plan:
    """The run of ``seed`` (pure: the same seed gives the same run)."""
    rng = random.Random(seed)
    op = rng.choice(list(OPERATIONS))
    sizes = _sizes(op, rng)
    faults: list[dict[str, Any]] = []
    budget = [MAX_ATTEMPTS - 1]
    wanted = rng.choice([1, 1, 1, 2, 2, 3])
    while len(faults) < wanted:
        rule = _fault(rng, OPERATIONS[op], sizes, budget)
        if rule is not None:
            faults.append(rule)
    return Plan(
        seed=seed,
        op=op,
        sizes=sizes,
        previous=rng.random() < 0.5,
        versioned=op in _WRITES and rng.random() < 0.25,
        concurrency=rng.randint(1, 4),
        variant=_variant(op, rng),
        faults=tuple(faults),
    )


# --- drivers: the same calls through AsyncCosClient or cos_sync.CosClient ------------------------


def _chunks(data: bytes, rng: random.Random) -> list[bytes]:
    out, at = [], 0
    while at < len(data):
        n = rng.randint(1, 300 * 1024)
        out.append(data[at : at + n])
        at += n
    return out


class Driver(abc.ABC):
    """How a run reaches the client under test: the method ``name`` called with ``args``, a
    ``get_object`` read or save, a one-shot body (a fresh iterator per call)."""

    sync = False

    @abc.abstractmethod
    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    @abc.abstractmethod
    async def read(self, bucket: str, key: str) -> bytes: ...

    @abc.abstractmethod
    async def save(self, bucket: str, key: str, path: Path) -> int: ...

    def one_shot(self, chunks: list[bytes], variant: str) -> Any:
        """A body that can be read only once (a generator; ``AsyncDriver`` gives an async one
        for the ``async-iterator`` variant)."""

        def gen() -> Iterator[bytes]:
            yield from chunks

        return gen()

    @abc.abstractmethod
    async def aclose(self) -> None: ...


class AsyncDriver(Driver):
    """Through ``AsyncCosClient``, on the campaign's loop."""

    def __init__(self, config: CosConfig) -> None:
        self.cos = AsyncCosClient(config)

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self.cos, name)(*args, **kwargs)

    async def read(self, bucket: str, key: str) -> bytes:
        async with await self.cos.get_object(bucket, key) as body:
            return await body.read()

    async def save(self, bucket: str, key: str, path: Path) -> int:
        async with await self.cos.get_object(bucket, key) as body:
            return await body.save(path)

    def one_shot(self, chunks: list[bytes], variant: str) -> Any:
        if variant != "async-iterator":
            return super().one_shot(chunks, variant)

        async def agen() -> AsyncIterator[bytes]:
            for c in chunks:
                await asyncio.sleep(0)
                yield c

        return agen()

    async def aclose(self) -> None:
        await self.cos.aclose()


async def _in_thread(fn: Callable[[], Any]) -> Any:
    """``fn()`` on a daemon thread of its own (a call that hangs never blocks the loop's exit,
    as a stuck ``asyncio.to_thread`` would)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        with contextlib.suppress(RuntimeError):  # the loop is gone
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=target, name="chaos-sync-call", daemon=True).start()
    return await future


class SyncDriver(Driver):
    """Through ``cos_sync.CosClient``, each call from a thread of its own (as a program calls
    it), the campaign's loop waiting for it."""

    sync = True

    def __init__(self, config: CosConfig) -> None:
        import cos_sync

        self.cos = cos_sync.CosClient(config)

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await _in_thread(lambda: getattr(self.cos, name)(*args, **kwargs))

    async def read(self, bucket: str, key: str) -> bytes:
        def read() -> bytes:
            with self.cos.get_object(bucket, key) as body:
                return body.read()

        data: bytes = await _in_thread(read)
        return data

    async def save(self, bucket: str, key: str, path: Path) -> int:
        def save() -> int:
            with self.cos.get_object(bucket, key) as body:
                return body.save(path)

        size: int = await _in_thread(save)
        return size

    async def aclose(self) -> None:
        await _in_thread(self.cos.close)


# --- one run ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run did and what it broke."""

    seed: int
    sync: bool
    op: str
    #: ``success``, the CosError class raised, or ``summary: <classes>`` for a directory
    #: transfer with failed entries
    result: str
    #: a checkpointed transfer that failed was run again (without faults)
    resumed: bool
    bytes: int
    fired: dict[str, int]
    violations: list[str]
    description: str

    def reproduce(self) -> str:
        return f"python -m benchmarks.chaos --seed {self.seed} --runs 1" + (
            " --sync" if self.sync else ""
        )


class _Run:
    def __init__(
        self,
        plan: Plan,
        server: ThreadedLocalCosServer,
        driver: Driver,
        check: AsyncCosClient,
        root: Path,
        bound: float,
    ) -> None:
        self.plan = plan
        self.bound = bound
        self.server = server
        self.driver = driver
        self.check = check
        self.dir = root / f"run-{plan.seed}"
        self.data_rng = random.Random(plan.seed ^ 0x5EED)
        self.bucket = ""
        #: key -> the contents it may hold at the end (absent is allowed unless in ``must``)
        self.allowed: dict[str, list[bytes]] = {}
        self.must: dict[str, bytes] = {}
        #: local file -> the contents it may hold at the end (``None``: absent)
        self.files: dict[Path, list[bytes | None]] = {}
        self.must_files: dict[Path, bytes] = {}
        self.violations: list[str] = []
        self.result = "not run"
        self.resumed = False
        self.moved = 0
        self.fired: dict[str, int] = {}

    # -- helpers of the operations
    def data(self, size: int) -> bytes:
        return self.data_rng.randbytes(size)

    async def put_clean(self, key: str, data: bytes) -> None:
        await self.check.put_object(self.bucket, key, data)

    async def destination(self, key: str, new: bytes) -> None:
        """``key`` may hold ``new`` at the end, or the older object put there now."""
        allowed = [new]
        if self.plan.previous:
            old = self.data(self.data_rng.choice([0, 10, 3000]))
            await self.put_clean(key, old)
            allowed.append(old)
        self.allowed[key] = allowed

    def local(self, path: Path, new: bytes) -> None:
        """``path`` may hold ``new`` at the end, or what it held before (written now)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        allowed: list[bytes | None] = [new]
        if self.plan.previous:
            old = self.data(self.data_rng.choice([0, 10, 3000]))
            path.write_bytes(old)
            allowed.append(old)
        else:
            allowed.append(None)
        self.files[path] = allowed

    def source(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[path] = [data]
        self.must_files[path] = data

    def arm(self) -> None:
        for rule in self.plan.faults:
            self.server.faults.add(bucket=self.bucket, **rule)

    def disarm(self) -> None:
        for armed in self.server.faults.snapshot():
            kind = armed["rule"]["action"]
            self.fired[kind] = self.fired.get(kind, 0) + armed["fired"]
        self.server.faults.clear()

    async def attempt(self, call: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
        """Run ``call`` under the faults: ``(True, result)``, or ``(False, the CosError)``; any
        other outcome is a violation (and ``(False, None)``)."""
        self.arm()
        try:
            result = await asyncio.wait_for(call(), self.bound)
        except CosError as exc:
            self.result = type(exc).__name__
            return False, exc
        except TimeoutError:
            self.result = "hang"
            self.violations.append(f"no outcome within {self.bound:g} s (a hang)")
            return False, None
        except Exception as exc:
            self.result = type(exc).__name__
            tb = "".join(traceback.format_exception(exc)[-6:])
            self.violations.append(f"raised {type(exc).__name__} (not a CosError): {exc}\n{tb}")
            return False, None
        finally:
            self.disarm()
        self.result = "success"
        return True, result

    async def resume(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """A checkpointed transfer that failed, run again without faults: it must succeed."""
        await self.quiet()
        self.resumed = True
        try:
            return await asyncio.wait_for(call(), self.bound)
        except TimeoutError:
            self.violations.append("the resume without faults hung")
        except Exception as exc:
            self.violations.append(f"the resume without faults failed: {type(exc).__name__}: {exc}")
        return None

    def check_result(self, result: Any, data: bytes) -> None:
        if isinstance(result, TransferResult) and (
            result.size != len(data) or (result.crc64 is not None and result.crc64 != crc64(data))
        ):
            self.violations.append(
                f"the result says {result.size} bytes, CRC-64 {result.crc64}; "
                f"sent {len(data)} bytes, CRC-64 {crc64(data)}"
            )

    def check_summary(self, summary: TransferSummary) -> None:
        classes = []
        for key, text in summary.failed:
            name = text.split(":", 1)[0]
            # RetryExhausted[SlowDown]: RetryExhausted combined with the last error's class
            cls = getattr(cos_async, name.split("[", 1)[0], None)
            if not (isinstance(cls, type) and issubclass(cls, CosError)):
                self.violations.append(f"{key} failed with {text!r}: not a CosError")
            classes.append(name)
        if classes:
            self.result = "summary: " + ",".join(sorted(set(classes)))

    # -- after the run
    async def quiet(self) -> None:
        """Wait for the server to finish the run's requests (delayed ones run on after the
        client gave up on them, and may still write)."""
        deadline = time.monotonic() + QUIET_BOUND
        while any(
            r.bucket == self.bucket and r.status is None for r in self.server.requests.records()
        ):
            if time.monotonic() > deadline:
                self.violations.append(f"the server still handles requests after {QUIET_BOUND} s")
                return
            await asyncio.sleep(0.01)

    async def verify(self) -> None:
        await self.quiet()
        b, cos = self.bucket, self.check
        uploads = [(u.key, u.upload_id) async for u in cos.list_multipart_uploads(b)]
        if uploads:
            self.violations.append(f"multipart uploads left: {uploads}")
        listed = {o.key: o.size async for o in cos.list_objects(b)}
        for key in sorted(set(listed) - set(self.allowed)):
            self.violations.append(f"stray object {key!r} ({listed[key]} bytes)")
        for key, allowed in self.allowed.items():
            if key not in listed:
                if key in self.must:
                    self.violations.append(f"object {key!r} missing after a success")
                continue
            got = await _read(cos, b, key)
            meta = await cos.head_object(b, key)
            if meta.crc64 != crc64(got):
                self.violations.append(
                    f"object {key!r}: COS's CRC-64 {meta.crc64} is not that of its bytes"
                )
            if key in self.must and got != self.must[key]:
                self.violations.append(
                    f"object {key!r} holds {len(got)} bytes (CRC-64 {crc64(got)}), not the "
                    f"{len(self.must[key])} sent (CRC-64 {crc64(self.must[key])})"
                )
            elif got not in allowed:
                self.violations.append(
                    f"object {key!r} holds {len(got)} bytes (CRC-64 {crc64(got)}) that were "
                    "never sent (damaged)"
                )
        if self.plan.versioned:
            async for v in cos.list_object_versions(b):
                if v.is_delete_marker or v.key not in self.allowed:
                    continue
                meta = await cos.head_object(b, v.key, version_id=v.version_id)
                if meta.crc64 not in {crc64(d) for d in self.allowed[v.key]}:
                    self.violations.append(
                        f"version {v.version_id} of {v.key!r} has CRC-64 {meta.crc64}: damaged"
                    )
        self.verify_files()

    def verify_files(self) -> None:
        present = {p for p in self.dir.rglob("*") if p.is_file()} if self.dir.exists() else set()
        for path in sorted(present - set(self.files)):
            self.violations.append(f"file left behind: {path.relative_to(self.dir)}")
        for path, allowed in self.files.items():
            got = path.read_bytes() if path in present else None
            name = path.relative_to(self.dir)
            if path in self.must_files and got != self.must_files[path]:
                self.violations.append(
                    f"{name}: {None if got is None else len(got)} bytes, not the expected "
                    f"{len(self.must_files[path])}"
                )
            elif got not in allowed:
                self.violations.append(f"{name}: holds {len(got or b'')} bytes never received")


async def _read(cos: AsyncCosClient, bucket: str, key: str) -> bytes:
    async with await cos.get_object(bucket, key, verify_crc=False) as body:
        return await body.read()


# --- the operations of a run ---------------------------------------------------------------------


async def _put(run: _Run) -> None:
    data = run.data(run.plan.sizes[0])
    run.moved += len(data)
    await run.destination("k", data)
    variant = run.plan.variant
    if run.plan.op == "put_iterator":
        chunks = _chunks(data, run.data_rng)

        def body() -> Any:
            return run.driver.one_shot(chunks, variant)
    else:

        def body() -> Any:
            return data

    ok, result = await run.attempt(
        lambda: run.driver.call("put_object", run.bucket, "k", body(), content_md5=variant == "md5")
    )
    if ok:
        run.must["k"] = data
        if result.crc64 is not None and result.crc64 != crc64(data):
            run.violations.append(f"put_object says CRC-64 {result.crc64}, sent {crc64(data)}")


async def _get(run: _Run) -> None:
    data = run.data(run.plan.sizes[0])
    run.moved += len(data)
    await run.put_clean("k", data)
    run.allowed["k"] = [data]
    run.must["k"] = data
    if run.plan.op == "get_read":
        ok, got = await run.attempt(lambda: run.driver.read(run.bucket, "k"))
        if ok and got != data:
            run.violations.append(f"get_object read {len(got)} bytes, not the object's")
        return
    dest = run.dir / "got.bin"
    run.local(dest, data)
    ok, _ = await run.attempt(lambda: run.driver.save(run.bucket, "k", dest))
    if ok:
        run.must_files[dest] = data


async def _upload_file(run: _Run) -> None:
    data = run.data(run.plan.sizes[0])
    run.moved += len(data)
    src = run.dir / "src.bin"
    run.source(src, data)
    await run.destination("k", data)
    kwargs: dict[str, Any] = {}
    if run.plan.op == "upload_single":
        kwargs["content_md5"] = run.plan.variant == "md5"
    else:
        kwargs["part_size"] = MiB
        kwargs["concurrency"] = run.plan.concurrency
    if run.plan.op == "upload_resume":
        kwargs["checkpoint"] = run.dir / "upload.ckpt"

    def call() -> Awaitable[Any]:
        return run.driver.call("upload_file", run.bucket, "k", src, **kwargs)

    ok, result = await run.attempt(call)
    if not ok and run.plan.op == "upload_resume" and result is not None:
        result = await run.resume(call)
        ok = result is not None
    if ok:
        run.must["k"] = data
        run.check_result(result, data)


async def _upload_stream(run: _Run) -> None:
    data = run.data(run.plan.sizes[0])
    run.moved += len(data)
    await run.destination("k", data)
    chunks = _chunks(data, run.data_rng)

    def source() -> Any:
        if run.plan.variant == "file-object":
            import io

            return io.BytesIO(data)
        return run.driver.one_shot(chunks, run.plan.variant)

    ok, result = await run.attempt(
        lambda: run.driver.call(
            "upload_stream",
            run.bucket,
            "k",
            source(),
            part_size=MiB,
            concurrency=run.plan.concurrency,
        )
    )
    if ok:
        run.must["k"] = data
        run.check_result(result, data)


async def _download_file(run: _Run) -> None:
    data = run.data(run.plan.sizes[0])
    run.moved += len(data)
    await run.put_clean("k", data)
    run.allowed["k"] = [data]
    run.must["k"] = data
    dest = run.dir / "dest.bin"
    run.local(dest, data)
    kwargs: dict[str, Any] = {"part_size": MiB, "concurrency": run.plan.concurrency}
    if run.plan.op == "download_resume":
        kwargs["checkpoint"] = run.dir / "download.ckpt"

    def call() -> Awaitable[Any]:
        return run.driver.call("download_file", run.bucket, "k", dest, **kwargs)

    ok, result = await run.attempt(call)
    if not ok and run.plan.op == "download_resume" and result is not None:
        result = await run.resume(call)
        ok = result is not None
    if ok:
        run.must_files[dest] = data
        run.check_result(result, data)


async def _copy(run: _Run) -> None:
    data = run.data(run.plan.sizes[0])
    run.moved += len(data)
    await run.put_clean("src", data)
    run.allowed["src"] = [data]
    run.must["src"] = data
    await run.destination("dst", data)
    kwargs: dict[str, Any] = {}
    if run.plan.op == "copy_multipart":
        kwargs = {"threshold": MiB, "part_size": MiB, "concurrency": run.plan.concurrency}
    ok, result = await run.attempt(
        lambda: run.driver.call("copy", run.bucket, "src", run.bucket, "dst", **kwargs)
    )
    if ok:
        run.must["dst"] = data
        run.check_result(result, data)


_TREE = ("a.bin", "sub/b.bin", "sub/c.bin", "sub/deeper/d.bin")


async def _upload_dir(run: _Run) -> None:
    tree = run.dir / "tree"
    sent: dict[str, bytes] = {}
    for name, size in zip(_TREE, run.plan.sizes, strict=False):
        data = run.data(size)
        run.moved += size
        run.source(tree / name, data)
        sent[f"up/{name}"] = data
        await run.destination(f"up/{name}", data)
    ok, summary = await run.attempt(
        lambda: run.driver.call(
            "upload_dir", tree, run.bucket, "up", part_size=MiB, concurrency=run.plan.concurrency
        )
    )
    if ok:
        run.check_summary(summary)
        for key in summary.transferred:
            run.must[key] = sent[key]
        if sorted([*summary.transferred, *(k for k, _ in summary.failed)]) != sorted(sent):
            run.violations.append(f"upload_dir's summary lists {summary}, the tree {sorted(sent)}")


async def _download_prefix(run: _Run) -> None:
    out = run.dir / "out"
    for name, size in zip(_TREE, run.plan.sizes, strict=False):
        data = run.data(size)
        run.moved += size
        await run.put_clean(f"dl/{name}", data)
        run.allowed[f"dl/{name}"] = [data]
        run.must[f"dl/{name}"] = data
        run.local(out / name, data)
    ok, summary = await run.attempt(
        lambda: run.driver.call(
            "download_prefix",
            run.bucket,
            "dl",
            out,
            part_size=MiB,
            concurrency=run.plan.concurrency,
        )
    )
    if ok:
        run.check_summary(summary)
        for key in summary.transferred:
            run.must_files[out / key.removeprefix("dl/")] = run.must[key]


_OPS: dict[str, Callable[[_Run], Awaitable[None]]] = {
    "put_bytes": _put,
    "put_iterator": _put,
    "get_read": _get,
    "get_save": _get,
    "upload_single": _upload_file,
    "upload_multipart": _upload_file,
    "upload_stream": _upload_stream,
    "download_file": _download_file,
    "copy": _copy,
    "copy_multipart": _copy,
    "upload_dir": _upload_dir,
    "download_prefix": _download_prefix,
    "upload_resume": _upload_file,
    "download_resume": _download_file,
}
assert set(_OPS) == set(OPERATIONS)


async def run_one(
    seed: int,
    server: ThreadedLocalCosServer,
    driver: Driver,
    check: AsyncCosClient,
    root: Path,
    *,
    bound: float = RUN_BOUND,
) -> Outcome:
    """Draw the run of ``seed``, run it through ``driver`` against ``server``, verify it with the
    fault-free client ``check``; files go in a directory under ``root`` (removed after). A call
    without an outcome after ``bound`` seconds is a hang."""
    p = plan(seed)
    run = _Run(p, server, driver, check, root, bound)
    run.dir.mkdir(parents=True)
    run.bucket = server.create_bucket()
    try:
        if p.versioned:
            await check.put_bucket_versioning(run.bucket, VersioningConfiguration(status="Enabled"))
        await _OPS[p.op](run)
        await run.verify()
    except Exception as exc:  # the checks themselves failed: report it, with the seed
        run.disarm()
        run.violations.append(
            f"the run could not be checked: {type(exc).__name__}: {exc}\n"
            + "".join(traceback.format_exception(exc)[-6:])
        )
    finally:
        server.faults.clear()
        server.delete_bucket(run.bucket)
        shutil.rmtree(run.dir, ignore_errors=True)
    return Outcome(
        seed=seed,
        sync=driver.sync,
        op=p.op,
        result=run.result,
        resumed=run.resumed,
        bytes=run.moved,
        fired=run.fired,
        violations=run.violations,
        description=p.describe(),
    )


# --- a campaign -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """The counts of a campaign."""

    runs: int = 0
    #: checkpointed transfers that failed and were resumed
    resumed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    fired: collections.Counter[str] = field(default_factory=collections.Counter)
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    operations: collections.Counter[str] = field(default_factory=collections.Counter)
    violations: list[Outcome] = field(default_factory=list)
    #: (seed, message) of each error asyncio logged during the campaign
    loop_errors: list[tuple[int, str]] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.runs += 1
        self.resumed += outcome.resumed
        self.bytes += outcome.bytes
        self.fired.update(outcome.fired)
        self.outcomes[outcome.result] += 1
        self.operations[outcome.op] += 1
        if outcome.violations:
            self.violations.append(outcome)

    def describe_violations(self) -> str:
        lines = []
        for o in self.violations:
            lines.append(f"{o.description}\n  reproduce: {o.reproduce()}")
            lines.extend(f"  - {v}" for v in o.violations)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "resumed": self.resumed,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 1),
            "faults_fired": dict(sorted(self.fired.items())),
            "outcomes": dict(self.outcomes.most_common()),
            "operations": dict(sorted(self.operations.items())),
            "violations": len(self.violations),
            "violating_seeds": [o.seed for o in self.violations],
            "loop_errors": [list(e) for e in self.loop_errors],
        }

    def report(self) -> str:
        faults = ", ".join(f"{k} {self.fired[k]}" for k in KINDS)
        outcomes = ", ".join(f"{k} {n}" for k, n in self.outcomes.most_common())
        ops = ", ".join(f"{k} {n}" for k, n in sorted(self.operations.items()))
        text = (
            f"runs: {self.runs} in {self.seconds:.1f} s\n"
            f"bytes moved: {self.bytes} ({self.bytes / MiB:.1f} MiB)\n"
            f"faults fired: {sum(self.fired.values())} ({faults})\n"
            f"outcomes: {outcomes}\n"
            f"failed checkpointed transfers resumed: {self.resumed}\n"
            f"operations: {ops}\n"
            f"violations: {len(self.violations)}\n"
            f"errors logged by asyncio: {len(self.loop_errors)}"
        )
        for seed, message in self.loop_errors:
            text += f"\n  during seed {seed}: {message}"
        if self.violations:
            text += "\n" + self.describe_violations()
        return text


async def _cancel_leftover_handlers() -> None:
    me = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t is not me]
    for t in leftovers:
        t.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


@contextlib.contextmanager
def chaos_server() -> Iterator[ThreadedLocalCosServer]:
    """An in-memory local server on its own thread, for a campaign."""
    with LocalCosServer.run_in_thread(body_timeout=5.0, request_log_size=5000) as server:
        try:
            yield server
        finally:
            server.run(_cancel_leftover_handlers())


def chaos_config(server: ThreadedLocalCosServer, *, timeouts: bool = True) -> CosConfig:
    """The configuration of the client under test (short timeouts) or of the checking client."""
    extra: dict[str, Any] = (
        {"read_timeout": READ_TIMEOUT, "complete_timeout": READ_TIMEOUT} if timeouts else {}
    )
    return CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
        **extra,
    )


async def campaign(
    seeds: Sequence[int],
    server: ThreadedLocalCosServer,
    root: Path,
    *,
    sync: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Tally:
    """Run the runs of ``seeds`` one after the other with one client (``cos_sync.CosClient``
    with ``sync``), in testing mode (retries without sleeping)."""
    tally = Tally()
    testing = is_testing()
    cos_async.set_testing(True)
    started = time.monotonic()
    loop_errors = _LoopErrors(tally)
    logging.getLogger("asyncio").addHandler(loop_errors)
    driver: Driver = (SyncDriver if sync else AsyncDriver)(chaos_config(server))
    try:
        async with AsyncCosClient(chaos_config(server, timeouts=False)) as check:
            for seed in seeds:
                loop_errors.seed = seed
                outcome = await run_one(seed, server, driver, check, root)
                gc.collect(1)  # a task that failed unseen is reported now, with this seed
                tally.add(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
    finally:
        await asyncio.wait_for(driver.aclose(), RUN_BOUND)
        gc.collect()
        logging.getLogger("asyncio").removeHandler(loop_errors)
        cos_async.set_testing(testing)
        tally.seconds = time.monotonic() - started
    return tally


class _LoopErrors(logging.Handler):
    """What asyncio logs as errors on any loop (the campaign's, the sync facade's): a task whose
    exception nobody retrieved, a callback that raised; noted with the seed of the run going on
    (the garbage collector runs after each run, so a task lost in a reference cycle is found
    by the end of its run)."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(logging.ERROR)
        self.tally = tally
        self.seed = -1

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().splitlines()[0]
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {record.exc_info[1]!r}"
        self.tally.loop_errors.append((self.seed, text[:500]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.chaos", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=1000, help="how many runs (default 1000)")
    parser.add_argument(
        "--seed", type=int, default=None, help="the seed of the first run (default: random)"
    )
    parser.add_argument("--sync", action="store_true", help="through cos_sync.CosClient")
    parser.add_argument("--json", type=Path, default=None, help="also write the counts here")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per run")
    args = parser.parse_args(argv)
    # the client's warnings (a range fetched again, a cleanup that failed) are expected here
    logging.basicConfig(level=logging.ERROR)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    print(
        f"chaos: {args.runs} runs from seed {seed} through "
        f"{'cos_sync.CosClient' if args.sync else 'AsyncCosClient'}",
        flush=True,
    )

    def report(outcome: Outcome) -> None:
        if args.verbose or outcome.violations:
            mark = "VIOLATION" if outcome.violations else "ok"
            print(f"{mark} {outcome.description} -> {outcome.result}", flush=True)
            for v in outcome.violations:
                print(f"  - {v}", flush=True)

    with tempfile.TemporaryDirectory(prefix="cos-chaos-") as tmp, chaos_server() as server:
        tally = asyncio.run(
            campaign(
                range(seed, seed + args.runs),
                server,
                Path(tmp),
                sync=args.sync,
                on_outcome=report,
            )
        )
    print(tally.report())
    if args.json is not None:
        args.json.write_text(
            json.dumps({"seed": seed, "sync": args.sync, **tally.to_json()}, indent=2) + "\n"
        )
    return 1 if tally.violations else 0


if __name__ == "__main__":
    sys.exit(main())
