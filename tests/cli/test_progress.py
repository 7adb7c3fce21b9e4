"""Progress: rich bars in a real terminal (a pseudo-terminal), plain periodic lines in a pipe,
nothing with --quiet; and the imports that keep ``import cos_async`` free of the CLI."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time

from cos_async.testing import FaultRule, ThreadedLocalCosServer
from cos_sync import CosClient

from .conftest import BOUND, CONSOLE, Cli

MiB = 1024 * 1024
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_in_terminal(cli: Cli, *args: str, columns: int = 120) -> tuple[int, str]:
    """Run the console script with a pseudo-terminal as its stdin, stdout and stderr; return
    its exit status and everything it wrote to the terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        [str(CONSOLE), *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**cli.env, "TERM": "xterm-256color", "COLUMNS": str(columns)},
        cwd=cli.cwd,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + BOUND
    try:
        while True:
            assert time.monotonic() < deadline, b"".join(chunks)[-2000:]
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the other side is closed
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        status = proc.wait(timeout=BOUND)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return status, b"".join(chunks).decode("utf-8", "replace")


def final_frame(output: str) -> list[str]:
    """The lines of the last frame rich drew (what stays on the screen), without escapes."""
    last = output.rsplit("\r\x1b[2K", 1)[-1]
    return [line.rstrip() for line in ANSI.sub("", last).replace("\r", "").splitlines()]


def test_bars_render_and_finish_in_a_terminal(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    (cli.cwd / "big.bin").write_bytes(os.urandom(4 * MiB))
    # held a little, so that the bars are drawn before they finish
    server.faults.add(FaultRule(action="delay", operation="UploadPart", delay=0.3, times=None))
    status, output = run_in_terminal(
        cli, "cp", "--part-size", "1MiB", "--concurrency", "1", "big.bin", f"cos://{bucket}/"
    )
    assert status == 0, output
    assert "\x1b[?25l" in output  # the cursor hidden while the bars are live
    assert re.search(
        r"cos-async: uploaded 1 file \(4\.0 MiB\) in [\d.]+s\s*$", ANSI.sub("", output)
    )
    frames = ANSI.sub("", output)
    assert "big.bin" in frames  # the file's own bar, while it moved
    assert re.search(r"upload 0/1 files .*\s+\d+%\s+[\d.]+/4\.0 MiB", frames)
    last = final_frame(output)
    bar = next(line for line in last if line.startswith("upload 1/1 files"))
    assert "100%" in bar
    assert "4.0/4.0 MiB" in bar
    assert "━" in bar
    assert "\x1b[?25h" in output  # and shown again: the display was stopped
    assert f"upload: big.bin -> cos://{bucket}/big.bin" in frames
    assert cos.head_object(bucket, "big.bin").size == 4 * MiB


def test_plain_lines_in_a_pipe_and_nothing_when_quiet(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    (cli.cwd / "big.bin").write_bytes(os.urandom(3 * MiB))
    server.faults.add(FaultRule(action="delay", operation="UploadPart", delay=0.5, times=None))
    args = ("cp", "--part-size", "1MiB", "--concurrency", "1", "big.bin")
    r = cli(*args, f"cos://{bucket}/a.bin", env={"COS_ASYNC_PROGRESS_INTERVAL": "0.2"})
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stderr
    periodic = [line for line in r.stderr.splitlines() if line.startswith("cos-async: upload ")]
    assert periodic, r.stderr
    assert re.fullmatch(
        r"cos-async: upload [01]/1 file, [\d.]+ (B|KiB|MiB) of 3\.0 MiB \(\d+%\), [\d.]+ \S+/s.*",
        periodic[0],
    ), periodic
    assert r.stderr.splitlines()[-1].startswith("cos-async: uploaded 1 file (3.0 MiB) in ")
    quiet = cli("--quiet", *args, f"cos://{bucket}/b.bin")
    assert quiet.returncode == 0
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert cos.head_object(bucket, "b.bin").size == 3 * MiB


def test_importing_cos_async_does_not_import_the_cli() -> None:
    code = (
        "import sys, cos_async\n"
        "assert 'cos_async.cli' not in sys.modules and 'rich' not in sys.modules\n"
        "import cos_async.cli\n"
        "assert 'rich' not in sys.modules, 'rich only when bars are drawn'\n"
        "assert 'cos_async.cli._transfers' not in sys.modules\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=BOUND, check=False
    )
    assert r.returncode == 0, r.stderr
