"""Progress bars on a terminal (rich, from the ``cli`` extra): one bar per file in flight and
one for the total, each with bytes, rate and time left. Imported only when standard error is a
terminal, so that commands in scripts and pipes do not pay for rich's import."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ._output import FileProgress, Reporter, human_size, printable

__all__ = ["BarReporter"]

#: the width of a file's name in its bar (longer names keep their end)
LABEL_WIDTH = 40


def _label(text: str) -> str:
    text = printable(text)
    return text if len(text) <= LABEL_WIDTH else "…" + text[-(LABEL_WIDTH - 1) :]


class RateColumn(ProgressColumn):
    """The rate in binary units, as the sizes beside it (rich's own speaks MB/s)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("?" if speed is None else f"{human_size(speed)}/s", style="progress.data.speed")


class BarReporter(Reporter):
    """rich bars on standard error; what was done above them (standard output)."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        super().__init__(out, err)
        self.console = Console(file=self.err, stderr=self.err is sys.stderr)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            DownloadColumn(binary_units=True),
            RateColumn(),
            TimeRemainingColumn(),
            console=self.console,
            refresh_per_second=8,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._total: TaskID | None = None
        self._tasks: dict[int, TaskID] = {}
        self._started = False

    def begin(self, verb: str, total_bytes: int | None, total_files: int | None) -> None:
        super().begin(verb, total_bytes, total_files)
        if not self._started:
            self.progress.start()
            self._started = True
        self._total = self.progress.add_task(self._total_label(), total=total_bytes)

    def _total_label(self) -> str:
        files = f"{self.files_done}"
        if self.total_files is not None:
            files += f"/{self.total_files}"
        return f"{self.verb} {files} files"

    def file(self, label: str, size: int | None) -> FileProgress:
        f = super().file(label, size)
        if self._started:
            self._tasks[id(f)] = self.progress.add_task(_label(label), total=size)
        return f

    def line(self, text: str) -> None:
        if self._started and self.out.isatty():
            # the same terminal: print above the bars, not through them
            self.progress.console.print(
                printable(text), markup=False, highlight=False, soft_wrap=True
            )
        else:
            self.out.write(printable(text) + "\n")
            self.out.flush()

    def note(self, text: str) -> None:
        self.console.print(
            f"cos-async: {printable(text)}", markup=False, highlight=False, soft_wrap=True
        )

    def moved(self, n: int) -> None:
        super().moved(n)
        if self._total is not None:
            self.progress.update(self._total, completed=self.bytes_done)

    def file_updated(self, f: FileProgress) -> None:
        task = self._tasks.get(id(f))
        if task is not None:
            self.progress.update(task, completed=f.done, total=f.size)

    def file_finished(self, f: FileProgress, ok: bool) -> None:
        super().file_finished(f, ok)
        task = self._tasks.pop(id(f), None)
        if task is not None:
            self.progress.remove_task(task)
        if self._total is not None:
            self.progress.update(self._total, description=self._total_label())

    async def aclose(self) -> None:
        if self._started:
            for task in list(self._tasks.values()):
                self.progress.remove_task(task)
            self._tasks.clear()
            if self._total is not None and self.total_bytes is None:
                # an unknown total (a stream): show what moved as the whole
                self.progress.update(self._total, total=self.bytes_done)
            self.progress.refresh()
            self.progress.stop()
            self._started = False
