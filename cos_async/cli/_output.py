"""What the command line prints: sizes, times, JSON lines, and the progress of transfers.

Progress goes to standard error: rich bars (per file and in total: bytes, rate, ETA) when it is
a terminal (:mod:`cos_async.cli._bars`, which imports rich), plain lines every
``COS_ASYNC_PROGRESS_INTERVAL`` seconds (default 2) otherwise, nothing with ``--quiet``. What was
done (``upload: a.txt -> cos://...``) goes to standard output, one line per file.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import math
import re
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from cos_async import Progress

from ._errors import UsageError

__all__ = [
    "ENV_INTERVAL",
    "FileProgress",
    "PlainReporter",
    "Reporter",
    "format_duration",
    "format_time",
    "human_size",
    "one_line",
    "parse_size",
    "print_failures",
    "print_json",
    "printable",
    "progress_interval",
]

ENV_INTERVAL = "COS_ASYNC_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 2.0
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")
_MULTIPLIERS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tib": 1024**4,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (an escape sequence in a key, a
    carriage return in a server's message) written as ``\\x1b``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def human_size(n: float) -> str:
    """``1536`` -> ``1.5 KiB`` (binary units; bytes as an integer)."""
    if n < 1024:
        return f"{int(n)} B"
    exp = min(int(math.log(n, 1024)), len(_UNITS) - 1)
    value = n / 1024**exp
    if value >= 1023.95 and exp < len(_UNITS) - 1:  # would print as 1024.0
        exp += 1
        value = n / 1024**exp
    return f"{value:.1f} {_UNITS[exp]}"


def parse_size(text: str) -> int:
    """``8M``, ``8MiB`` (binary), ``8MB`` (decimal) or ``8388608`` as a number of bytes."""
    m = _SIZE.match(text)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _MULTIPLIERS:
        raise UsageError(f"not a size: {text!r} (e.g. 8MiB, 8M, 64KiB or 8388608)")
    value = float(m.group(1)) * _MULTIPLIERS[unit]
    if value != int(value):
        raise UsageError(f"not a whole number of bytes: {text!r}")
    return int(value)


def format_time(when: _dt.datetime | None) -> str:
    """A listing's time in the local time zone, to the second (``-`` when unknown)."""
    if when is None:
        return "-" * 19
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def print_json(record: Mapping[str, Any], out: TextIO | None = None) -> None:
    """One JSON document per line (times in ISO 8601)."""

    def default(value: object) -> object:
        if isinstance(value, _dt.datetime):
            return value.isoformat()
        return str(value)

    text = json.dumps(record, default=default, ensure_ascii=False)
    # json escapes C0 controls; DEL and C1 controls as well, so no line can steer a terminal
    text = re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)
    (out or sys.stdout).write(text + "\n")


def progress_interval(env: Mapping[str, str]) -> float:
    text = env.get(ENV_INTERVAL)
    if not text:
        return DEFAULT_INTERVAL
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{ENV_INTERVAL} must be a number of seconds, got {text!r}") from None
    if not 0 < value < 86400:
        raise UsageError(f"{ENV_INTERVAL} must be more than 0 seconds, got {text!r}")
    return value


class FileProgress:
    """The progress callback of one file: feeds the file's bar and the total."""

    def __init__(self, reporter: Reporter, label: str, size: int | None) -> None:
        self.reporter = reporter
        self.label = label
        self.size = size
        self.done = 0

    def __call__(self, report: Progress) -> None:
        if report.bytes_done > self.done:
            self.reporter.moved(report.bytes_done - self.done)
            self.done = report.bytes_done
        if report.total is not None:
            self.size = report.total
        self.reporter.file_updated(self)

    def finish(self, ok: bool) -> None:
        """The file is done (``ok``) or failed: its bytes stay counted only if it is done."""
        if ok and self.size is not None and self.size > self.done:
            self.reporter.moved(self.size - self.done)
            self.done = self.size
        elif not ok:
            self.reporter.moved(-self.done)
            self.done = 0
        self.reporter.file_finished(self, ok)


class Reporter:
    """Counts the bytes and files of a command; prints nothing (``--quiet``). Subclasses show
    progress and what was done."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.verb = ""
        self.total_bytes: int | None = None
        self.total_files: int | None = None
        self.bytes_done = 0
        self.files_done = 0
        self.files_failed = 0
        self.started = time.monotonic()

    # --- what commands call ---

    def begin(self, verb: str, total_bytes: int | None, total_files: int | None) -> None:
        self.verb = verb
        self.total_bytes = total_bytes
        self.total_files = total_files
        self.started = time.monotonic()

    def file(self, label: str, size: int | None) -> FileProgress:
        return FileProgress(self, label, size)

    def line(self, text: str) -> None:
        """What was done to one file (standard output)."""

    def note(self, text: str) -> None:
        """A remark for the user (standard error), e.g. the final summary."""

    async def aclose(self) -> None:
        """Stop showing progress (the bars stay on screen, finished)."""

    # --- what FileProgress calls ---

    def moved(self, n: int) -> None:
        self.bytes_done += n

    def file_updated(self, f: FileProgress) -> None:
        pass

    def file_finished(self, f: FileProgress, ok: bool) -> None:
        if ok:
            self.files_done += 1
        else:
            self.files_failed += 1

    # --- shared ---

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)

    def status(self) -> str:
        """``upload 3/10 files, 12.0 MiB of 100.0 MiB (12%), 5.1 MiB/s, ETA 17s``."""
        parts = [self.verb] if self.verb else []
        files = f"{self.files_done}"
        if self.total_files is not None:
            files += f"/{self.total_files}"
        parts.append(f"{files} file{'s' if self.total_files != 1 else ''}")
        text = " ".join(parts)
        rate = self.bytes_done / self.elapsed
        size = human_size(self.bytes_done)
        if self.total_bytes:
            pct = min(100, int(100 * self.bytes_done / self.total_bytes))
            size += f" of {human_size(self.total_bytes)} ({pct}%)"
        text += f", {size}, {human_size(rate)}/s"
        if self.total_bytes and rate > 0 and self.bytes_done < self.total_bytes:
            text += f", ETA {format_duration((self.total_bytes - self.bytes_done) / rate)}"
        return text


class PlainReporter(Reporter):
    """Lines of text: what was done on standard output, progress on standard error every
    ``interval`` seconds (a terminal-less log), and a final summary."""

    def __init__(
        self,
        *,
        interval: float,
        show_progress: bool = True,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        super().__init__(out, err)
        self.interval = interval
        self.show_progress = show_progress
        self._ticker: asyncio.Task[None] | None = None

    def begin(self, verb: str, total_bytes: int | None, total_files: int | None) -> None:
        super().begin(verb, total_bytes, total_files)
        if self.show_progress and self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.err.write(f"cos-async: {self.status()}\n")
            self.err.flush()

    def line(self, text: str) -> None:
        self.out.write(printable(text) + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        self.err.write(f"cos-async: {printable(text)}\n")
        self.err.flush()

    async def aclose(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.wait([ticker])  # a cancellation of the caller still propagates


def one_line(exc: BaseException) -> str:
    """``ErrorClass: message`` on one line."""
    text = " ".join(str(exc).split()) or repr(exc)
    return printable(f"{type(exc).__name__}: {text}")


def print_failures(
    failures: list[tuple[str, str]], verb: str, of: int | None = None, err: TextIO | None = None
) -> None:
    """``cos-async: error: 2 of 10 uploads failed:`` then one line per failure."""
    err = err or sys.stderr
    n = len(failures)
    count = f"{n} of {of}" if of is not None else str(n)
    noun = verb if n == 1 and of in (None, 1) else verb + "s"
    err.write(f"cos-async: error: {count} {noun} failed:\n")
    for name, why in failures:
        err.write(f"  {printable(name)}: {printable(why)}\n")
    err.flush()
