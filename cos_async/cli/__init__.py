"""``cos-async``: the command line (``ls``, ``cp``, ``sync``, ``mv``, ``rm``, ``cat``, ``stat``,
``du``, ``mb``, ``rb``, ``presign``, ``serve``), built on the public client.

Run it as ``cos-async`` (the console script) or ``python -m cos_async``. Progress bars need the
``cli`` extra (``pip install 'cos-async[cli]'``, which brings rich); without it progress is
printed as plain lines. Exit status: 0 done, 1 something failed (a summary says which files and
why), 2 bad usage or configuration, 130 interrupted (Ctrl-C). Errors are one line each; a
traceback only with ``--debug``. See ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import NoReturn

from cos_async import (
    AsyncCosClient,
    CosConfig,
    CosError,
    CredentialsError,
    InvalidArgument,
    RetryConfig,
)

from ._args import GLOBAL_DEFAULTS, PROG, build_parser
from ._context import Context
from ._errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandFailed,
    UsageError,
)
from ._output import PlainReporter, Reporter, printable, progress_interval
from ._settings import resolve

__all__ = ["main", "make_reporter", "run"]

Command = Callable[[Context], Awaitable[int]]
#: the client's pool: room for every part of every file in flight, at least the default
MIN_POOL = 64


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The console script: run the command line and exit with its status."""
    sys.exit(run(argv))


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command line (``argv`` without the program name); return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        return _serve(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    if args.version:
        import cos_async

        sys.stdout.write(f"{PROG} {cos_async.__version__}\n")
        return EXIT_OK
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command == "serve":  # global options before it: nothing to pass on
        return _serve([])
    if args.debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log = logging.getLogger("cos_async")
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:  # before the command's own handler was in place
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output went away (| head): not our error
        _silence_stdout()
        return EXIT_OK
    except UsageError as exc:
        return _error(str(exc), EXIT_USAGE)
    except CommandFailed as exc:
        return _error(str(exc), EXIT_FAILED)
    except (InvalidArgument, CredentialsError) as exc:
        _traceback(args.debug)
        return _error(str(exc), EXIT_USAGE)
    except (CosError, OSError) as exc:
        _traceback(args.debug)
        return _error(f"{type(exc).__name__}: {' '.join(str(exc).split())}", EXIT_FAILED)
    except Exception as exc:
        _traceback(args.debug)
        hint = "" if args.debug else " (run with --debug for the traceback)"
        return _error(f"unexpected {type(exc).__name__}: {exc}{hint}", EXIT_FAILED)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc()


def _error(message: str, status: int) -> int:
    sys.stderr.write(f"{PROG}: error: {printable(' '.join(message.split()))}\n")
    sys.stderr.flush()
    return status


def _command(name: str) -> Command:
    from . import _commands, _transfers

    table: dict[str, Command] = {
        "ls": _commands.ls,
        "stat": _commands.stat,
        "du": _commands.du,
        "cat": _commands.cat,
        "rm": _commands.rm,
        "mb": _commands.mb,
        "rb": _commands.rb,
        "presign": _commands.presign,
        "cp": _transfers.cp,
        "mv": _transfers.mv,
        "sync": _transfers.sync,
    }
    return table[name]


def _config(args: argparse.Namespace) -> CosConfig:
    a = args
    settings = resolve(
        env=os.environ,
        region=getattr(a, "region", None),
        endpoint_url=getattr(a, "endpoint_url", None),
        secret_id=getattr(a, "secret_id", None),
        secret_key=getattr(a, "secret_key", None),
        token=getattr(a, "token", None),
        anonymous=getattr(a, "anonymous", False),
        config=getattr(a, "config", None),
        profile=getattr(a, "profile", None),
    )
    jobs = getattr(a, "jobs", 1)
    concurrency = getattr(a, "concurrency", 1)
    return CosConfig(
        region=settings.region,
        endpoint_url=settings.endpoint_url,
        secret_id=settings.secret_id,
        secret_key=settings.secret_key,
        token=settings.token,
        anonymous=settings.anonymous,
        pool_size=max(MIN_POOL, jobs * concurrency + 4),
        retry=RetryConfig(),
    )


async def _main(args: argparse.Namespace) -> int:
    """The command on a client, stopped cleanly by SIGINT/SIGTERM (exit 130/143)."""
    config = _config(args)
    command = _command(args.command)
    reporter = make_reporter(quiet=getattr(args, "quiet", False))
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    stopped_by: list[int] = []

    def stop(signum: int) -> None:
        if stopped_by:  # a second Ctrl-C: the user does not want to wait for the clean-up
            sys.stderr.write(f"\n{PROG}: stopped at once; nothing cleaned up\n")
            sys.stderr.flush()
            os._exit(128 + signum)
        stopped_by.append(signum)
        sys.stderr.write(f"\n{PROG}: interrupted, cleaning up (again to quit at once)\n")
        sys.stderr.flush()
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        async with AsyncCosClient(config) as cos:
            ctx = Context(args=args, cos=cos, reporter=reporter)
            try:
                return await command(ctx)
            finally:
                await reporter.aclose()
    except asyncio.CancelledError:
        if not stopped_by:
            raise
        if getattr(args, "resume", False):
            from ._transfers import checkpoint_dir

            what = f"checkpoints kept in {checkpoint_dir()}: run the same command with --resume"
        else:
            what = "multipart uploads aborted, no partial files left"
        sys.stderr.write(f"{PROG}: interrupted: {what}\n")
        return EXIT_INTERRUPTED if stopped_by[0] == signal.SIGINT else 128 + stopped_by[0]
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def make_reporter(*, quiet: bool, env: Mapping[str, str] | None = None) -> Reporter:
    """Bars on a terminal, lines otherwise, nothing but errors with ``quiet``."""
    env = os.environ if env is None else env
    if quiet:
        return Reporter()
    interval = progress_interval(env)
    if sys.stderr.isatty() and env.get("TERM") != "dumb":
        try:
            from ._bars import BarReporter
        except ImportError:  # rich is not installed (pip install 'cos-async[cli]')
            return PlainReporter(interval=interval)
        return BarReporter()
    return PlainReporter(interval=interval)


def _serve(argv: list[str]) -> int:
    """``cos-async serve``: ``python -m cos_async.testing`` under this program's name."""
    from cos_async.testing import __main__ as server_cli

    # its usage lines and one-line errors name the command the user typed
    server_cli.PROG = f"{PROG} serve"
    try:
        server_cli.main(argv)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_FAILED)
    return EXIT_OK
