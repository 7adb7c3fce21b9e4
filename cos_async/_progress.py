"""Progress reports for transfers: throttled, monotonic under concurrency, a final call at 100%."""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from ._errors import InvalidArgument

__all__ = [
    "REPORT_INTERVAL",
    "Progress",
    "ProgressCallback",
    "ProgressTracker",
    "check_progress",
    "progress_increments",
]

#: the least time between two progress reports of a transfer, in seconds (the final report at
#: 100% always comes)
REPORT_INTERVAL = 0.1


@attrs.frozen
class Progress:
    """``bytes_done`` of ``total`` so far, at ``rate`` bytes per second (since the start)."""

    bytes_done: int
    total: int | None
    rate: float

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.bytes_done / self.total)


ProgressCallback = Callable[[Progress], object]
"""What ``progress=`` takes: a function called with a :class:`Progress` report (on the event loop
for ``cos_async``, on the calling thread for ``cos_sync``); its return value is ignored."""


def progress_increments(callback: Callable[[int], object]) -> ProgressCallback:
    """Adapt a callback that takes the number of *new* bytes (boto3's habit, and what
    ``tqdm``'s ``bar.update`` and ``rich``'s ``advance`` want) to ``progress=``::

        with tqdm(total=size, unit="B", unit_scale=True) as bar:
            await cos.upload_file(bucket, key, path, progress=progress_increments(bar.update))
    """
    if not callable(callback):
        raise InvalidArgument(f"progress_increments needs a callable, got {callback!r}")
    seen = 0

    def report(progress: Progress) -> None:
        nonlocal seen
        moved = progress.bytes_done - seen
        if moved > 0:
            seen = progress.bytes_done
            callback(moved)

    return report


def check_progress(progress: object) -> ProgressCallback | None:
    """``progress=`` checked at the call (not 20 frames deep at the first report)."""
    if progress is None:
        return None
    if not callable(progress):
        raise InvalidArgument(
            f"progress must be a callable that takes a Progress report, got {progress!r}"
        )
    owner = getattr(progress, "__self__", None)
    if (
        owner is not None
        and getattr(progress, "__name__", "") == "update"
        and type(owner).__module__.split(".")[0] == "tqdm"
    ):
        raise InvalidArgument(
            "progress gets a Progress report, not a byte count: for a tqdm bar, pass "
            "progress=progress_increments(bar.update) (or a function that sets bar.n from "
            "report.bytes_done)"
        )
    return progress


class ProgressTracker:
    """Aggregates bytes from concurrent part transfers into one monotonic, throttled report.

    A part that is retried starts its count again; the reported value never goes backwards.
    The callback runs on the event loop thread and must be quick.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        total: int | None,
        *,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self.total = total
        self._interval = REPORT_INTERVAL if interval is None else interval
        self._clock = clock
        self._start = clock()
        self._last_report = -1.0
        self._done = 0  # bytes of finished pieces
        self._inflight: dict[object, int] = {}
        self._reported = 0
        self._finished = False

    @property
    def reporting(self) -> bool:
        """Whether anyone listens: without a callback, counting bytes as they move is wasted."""
        return self._callback is not None

    @property
    def bytes_done(self) -> int:
        return max(self._reported, self._done + sum(self._inflight.values()))

    def add_done(self, n: int) -> None:
        """Count bytes that are finished for good (e.g. parts skipped on resume)."""
        self._done += n
        self._maybe_report()

    def advance(self, piece: object, n: int) -> None:
        self._inflight[piece] = self._inflight.get(piece, 0) + n
        self._maybe_report()

    def restart(self, piece: object) -> None:
        """A piece is being sent again (retry): its bytes so far no longer count."""
        self._inflight.pop(piece, None)

    def finish_piece(self, piece: object, size: int) -> None:
        self._inflight.pop(piece, None)
        self._done += size
        self._maybe_report()

    def _maybe_report(self, force: bool = False) -> None:
        if self._callback is None or self._finished:
            return
        now = self._clock()
        if not force and now - self._last_report < self._interval:
            return
        done = self.bytes_done
        if self.total is not None:
            done = min(done, self.total)
        if done < self._reported:
            done = self._reported
        if done == self._reported and self._last_report >= 0 and not force:
            return  # nothing new to say
        self._reported = done
        self._last_report = now
        elapsed = max(now - self._start, 1e-9)
        self._callback(Progress(done, self.total, done / elapsed))

    def finish(self) -> None:
        """The final report, at 100% (unless the last report already said 100%)."""
        if self._callback is None or self._finished:
            return
        final = self.total if self.total is not None else self.bytes_done
        already = self._last_report >= 0 and self._reported == final
        if self.total is not None:
            self._reported = self.total
            self._done = self.total
            self._inflight.clear()
        if not already:
            self._maybe_report(force=True)
        self._finished = True
