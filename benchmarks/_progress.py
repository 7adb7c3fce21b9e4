"""A progress bar on stderr (no dependency): redrawn in place on a terminal, plain lines otherwise.

Work is announced up front as a total of *weights* (estimated seconds); each step says what it
is doing (:meth:`Progress.start`) and how much of the total it was worth (:meth:`Progress.done`).
The remaining time is extrapolated from the elapsed time and the weights done.

On a terminal the bar is one line rewritten with ``\\r``. Elsewhere (a pipe, a CI log) a plain
line is written when the work moves to another section or another 5 % is done, so a log gets a
few dozen lines, not one per step.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

BAR_WIDTH = 24
LINE_EVERY_PERCENT = 5


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(
        self, total: float, stream: TextIO | None = None, *, tty: bool | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = max(total, 1e-9)
        self.done_weight = 0.0
        self.t0 = time.monotonic()
        self.label = ""
        self._section = ""
        self._last_line_percent = -LINE_EVERY_PERCENT
        self._drawn = False

    @property
    def fraction(self) -> float:
        return min(1.0, self.done_weight / self.total)

    def _times(self) -> str:
        elapsed = time.monotonic() - self.t0
        f = self.fraction
        if 0.02 <= f < 1:
            return f"{_clock(elapsed)} elapsed, ~{_clock(elapsed / f * (1 - f))} left"
        return f"{_clock(elapsed)} elapsed"

    def start(self, section: str, label: str = "") -> None:
        """Say what is being done now (``section``: the coarse part, ``label``: the step)."""
        self.label = f"{section}: {label}" if label else section
        if self.tty:
            self._draw()
        elif section != self._section:
            self._line()
        self._section = section

    def done(self, weight: float) -> None:
        """Count ``weight`` of the total as done."""
        self.done_weight += weight
        if self.tty:
            self._draw()
        elif self.fraction * 100 >= self._last_line_percent + LINE_EVERY_PERCENT:
            self._line()

    def write(self, text: str) -> None:
        """A message of its own line, keeping the bar below it."""
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        if self.tty:
            self._draw()
        self.stream.flush()

    def finish(self) -> None:
        self.done_weight = self.total
        elapsed = _clock(time.monotonic() - self.t0)
        if self.tty:
            self.label = "done"
            self._draw()
            self.stream.write("\n")
        else:
            self.stream.write(f"[100%] done in {elapsed}\n")
        self.stream.flush()

    def _line(self) -> None:
        percent = int(self.fraction * 100)
        self._last_line_percent = percent - percent % LINE_EVERY_PERCENT
        self.stream.write(f"[{percent:3d}%] {self._times()}  {self.label}\n")
        self.stream.flush()

    def _draw(self) -> None:
        f = self.fraction
        filled = int(f * BAR_WIDTH)
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        line = f"[{bar}] {f * 100:3.0f}%  {self._times()}  {self.label}"
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self.stream.write("\r\x1b[K" + line[:width])
        self.stream.flush()
        self._drawn = True
