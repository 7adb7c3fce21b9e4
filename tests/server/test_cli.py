"""``python -m cos_async.testing`` as a user runs it: a subprocess, its output and exit status."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from cos_async.testing import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

#: generous bounds (seconds) on a subprocess: for a stall, never an assertion of speed
START_BOUND = 60.0
COMMAND = [sys.executable, "-m", "cos_async.testing"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=START_BOUND, check=False
    )


class Running:
    """A server started with ``--port 0``: the lines it printed until it listened."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + START_BOUND
        data = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            # raw reads (a text stream's buffer would hide lines from select): until the last
            # line of the banner, the secret key's, is complete
            while not re.search(rb"secret key:[^\n]*\n", data):
                assert time.monotonic() < deadline, f"no banner: {data!r}"
                if sel.select(timeout=1.0):
                    chunk = os.read(fd, 4096)
                    assert chunk, f"the server exited: {data!r}"
                    data += chunk
        self.lines = data.decode().splitlines()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> tuple[str, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=START_BOUND)
        assert self.process.returncode == 0, err
        return out, err


@pytest.fixture
def running() -> Iterator[type[Running]]:
    started: list[Running] = []

    class Tracked(Running):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for r in started:
        if r.process.poll() is None:
            r.process.kill()
            r.process.communicate(timeout=START_BOUND)


def test_prints_the_keys_a_client_needs(running: type[Running]) -> None:
    server = running()
    out = server.output
    assert "listening on http://127.0.0.1:" in out
    assert DEFAULT_SECRET_ID in out
    assert DEFAULT_SECRET_KEY in out  # the well-known test key: printing it is the point
    assert "ap-guangzhou" in out
    assert "1250000000" in out
    _, err = server.stop()
    assert "Traceback" not in err


def test_never_echoes_a_secret_key_given_to_it(running: type[Running]) -> None:
    secret = "MyOwnSecretKeyValue0123456789"
    server = running("--secret-id", "AKIDmine", "--secret-key", secret, "--token", "tok123")
    rest, err = server.stop()
    everything = server.output + rest + err
    assert "AKIDmine" in server.output
    assert secret not in everything
    assert "tok123" not in everything
    assert DEFAULT_SECRET_KEY not in everything


def test_creates_the_buckets_it_is_given(running: type[Running]) -> None:
    server = running("--bucket", "photos-1250000000", "--bucket", "logs-1250000000")
    assert "photos-1250000000, logs-1250000000" in server.output
    server.stop()


@pytest.mark.parametrize("name", ["photos", "BadName", "a_b-1250000000", "x" * 70 + "-1"])
def test_refuses_bucket_names_the_client_refuses(name: str) -> None:
    result = run("--port", "0", "--bucket", name)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "invalid bucket name" in line
    assert repr(name) in line


def test_refuses_half_a_key_pair() -> None:
    result = run("--port", "0", "--secret-id", "AKIDx")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "--secret-id and --secret-key go together" in line


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--port", str(port))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [("--idle-timeout", "0"), ("--body-timeout", "-1"), ("--request-log-size", "0")],
)
def test_refuses_bad_limits(args: tuple[str, ...]) -> None:
    result = run("--port", "0", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
