"""What every transfer shares: the defaults, the part size rule, the worker pool, cleanup that
survives a cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

from cos_async._errors import InvalidArgument
from cos_async._limits import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, MiB

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_COPY_PART_SIZE",
    "DEFAULT_DOWNLOAD_PART_SIZE",
    "DEFAULT_PART_SIZE",
    "PART_ATTEMPTS",
    "choose_part_size",
    "finish_anyway",
    "run_workers",
]

log = logging.getLogger("cos_async")

DEFAULT_PART_SIZE = 16 * MiB
DEFAULT_DOWNLOAD_PART_SIZE = 16 * MiB
DEFAULT_COPY_PART_SIZE = 64 * MiB
DEFAULT_CONCURRENCY = 8
#: attempts per part for failures after the response started (the engine retries the rest)
PART_ATTEMPTS = 3
T = TypeVar("T")


def choose_part_size(size: int, requested: int | None, default: int = DEFAULT_PART_SIZE) -> int:
    """A part size in 1 MiB..5 GiB giving at most 10,000 parts (``InvalidArgument`` otherwise)."""
    if requested is not None:
        if (
            not isinstance(requested, int)
            or isinstance(requested, bool)
            or not MIN_PART_SIZE <= requested <= MAX_PART_SIZE
        ):
            raise InvalidArgument(
                f"part_size must be {MIN_PART_SIZE}..{MAX_PART_SIZE} bytes, got {requested!r}"
            )
        if math.ceil(size / requested) > MAX_PARTS:
            raise InvalidArgument(
                f"part_size {requested} gives {math.ceil(size / requested)} parts for {size} bytes; "
                f"COS allows {MAX_PARTS}"
            )
        return requested
    ps = max(default, math.ceil(size / MAX_PARTS))
    ps = math.ceil(ps / MiB) * MiB
    if ps > MAX_PART_SIZE:
        raise InvalidArgument(f"{size} bytes exceed what {MAX_PARTS} parts of 5 GiB can hold")
    return ps


async def run_workers(count: int, worker: Callable[[], Awaitable[None]]) -> None:
    """Run ``count`` copies of ``worker``; the first failure cancels the others and is raised
    (itself, not an exception group); a cancellation of the caller cancels them all."""
    tasks = [asyncio.ensure_future(worker()) for _ in range(count)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for t in done:
            exc = None if t.cancelled() else t.exception()
            if exc is not None:
                raise exc
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def finish_anyway(aw: Awaitable[T], timeout: float = 60.0) -> T | None:
    """Run cleanup to its end even if the calling task is being cancelled (bounded)."""
    task = asyncio.ensure_future(aw)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            task.cancel()
            break
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({task}, timeout=remaining)
    if task.cancelled():
        return None
    exc = task.exception()
    if exc is not None:
        log.warning("cleanup failed: %r", exc)
        return None
    return task.result()
