"""The ``cos-async`` console script run as a user runs it: a subprocess against a local server
in this process (``LocalCosServer.run_in_thread``), with its own home, config and cache
directories, so that nothing of the machine's environment leaks in."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from cos_async import CosConfig
from cos_async.testing import LocalCosServer, ThreadedLocalCosServer
from cos_sync import CosClient

#: the console script installed beside this interpreter (pip install -e '.[dev]')
CONSOLE = Path(sys.executable).with_name("cos-async")
#: a generous bound on one command (a stall, never a speed check)
BOUND = 90.0


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedLocalCosServer]:
    with LocalCosServer.run_in_thread() as srv:
        yield srv


@pytest.fixture
def bucket(server: ThreadedLocalCosServer) -> Iterator[str]:
    name = server.create_bucket()
    server.faults.clear()
    yield name
    server.faults.clear()
    server.delete_bucket(name)


@attrs.frozen
class Cli:
    """Runs ``cos-async`` with an environment of its own (``env``), from ``cwd``."""

    env: dict[str, str]
    cwd: Path

    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        text: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        data: str | bytes | None = input
        if not text and isinstance(input, str):
            data = input.encode()
        return subprocess.run(
            [str(CONSOLE), *args],
            input=data if data is not None else ("" if text else b""),
            capture_output=True,
            text=text,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            timeout=BOUND,
            check=False,
        )

    def popen(self, *args: str, **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            [str(CONSOLE), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.cwd,
            **kwargs,
        )


def clean_environment(home: Path) -> dict[str, str]:
    """This process's environment without COS settings, with a home of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COS_", "XDG_")) and k not in ("HOME", "TERM")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    return env


@pytest.fixture
def cli(server: ThreadedLocalCosServer, tmp_path: Path) -> Cli:
    """``cos-async`` pointed at ``server`` through the environment (``COS_ENDPOINT_URL`` and
    the keys), working in ``tmp_path / "work"``."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = clean_environment(home)
    env.update(
        COS_ENDPOINT_URL=server.endpoint,
        COS_SECRET_ID=server.secret_id,
        COS_SECRET_KEY=server.secret_key,
        COS_ASYNC_PROGRESS_INTERVAL="0.2",
    )
    return Cli(env=env, cwd=work)


def one_line_error(stderr: str) -> str:
    """The error of a failed command: exactly one line, no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("cos-async"), stderr
    return lines[0]


@pytest.fixture
def cos(server: ThreadedLocalCosServer) -> Iterator[CosClient]:
    """A blocking client of ``server``: to arrange and check what the command line did."""
    config = CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
    )
    with CosClient(config) as client:
        yield client


@attrs.frozen
class InProcess:
    """``cos_async.cli.run`` in this process, with the environment and working directory of a
    :class:`Cli`: for the variations of a command whose console script a test has already run
    (an interpreter start and the client's import cost far more than the command)."""

    cli: Cli
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def __call__(
        self, *args: str, input: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        from cos_async.cli import run

        with self.monkeypatch.context() as m:
            for name in [k for k in os.environ if k.startswith(("COS_", "XDG_"))]:
                m.delenv(name)
            for name, value in {**self.cli.env, **(env or {})}.items():
                if name.startswith(("COS_", "XDG_")) or name == "HOME":
                    m.setenv(name, value)
            m.chdir(self.cli.cwd)
            m.setattr(sys, "stdin", io.StringIO(input))
            self.capsys.readouterr()
            try:
                status = run(list(args))
            except SystemExit as exc:  # argparse's own usage errors
                status = exc.code if isinstance(exc.code, int) else 1
            captured = self.capsys.readouterr()
        return subprocess.CompletedProcess(list(args), status, captured.out, captured.err)


@pytest.fixture
def inproc(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> InProcess:
    return InProcess(cli, monkeypatch, capsys)
