"""The argument parser of ``cos-async``: one sub-command per verb, global options accepted before
or after the verb, usage errors in one line (exit status 2)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from cos_async import StorageClass

from ._errors import EXIT_USAGE

__all__ = ["GLOBAL_DEFAULTS", "PROG", "build_parser"]

PROG = "cos-async"
DEFAULT_JOBS = 8
DEFAULT_CONCURRENCY = 8

#: the global options and their defaults (set after parsing: each sub-command accepts them too)
GLOBAL_DEFAULTS: dict[str, Any] = {
    "endpoint_url": None,
    "region": None,
    "secret_id": None,
    "secret_key": None,
    "token": None,
    "anonymous": False,
    "profile": None,
    "config": None,
    "quiet": False,
    "debug": False,
}


class Parser(argparse.ArgumentParser):
    """Usage errors in one line, naming the command and where to find its help."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(EXIT_USAGE)


class _Filter(argparse.Action):
    """``--include``/``--exclude`` in the order given (the last pattern that matches wins)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        filters = list(getattr(namespace, self.dest, None) or [])
        kind = "include" if option_string == "--include" else "exclude"
        filters.append((kind, str(values)))
        setattr(namespace, self.dest, filters)


def _global_options(p: argparse.ArgumentParser, suppress: bool) -> None:
    """The global options; on sub-commands with suppressed defaults, so that a value given
    before the verb is not overwritten by the sub-command's default."""

    def d(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    g = p.add_argument_group("connection and output")
    g.add_argument(
        "--endpoint-url",
        metavar="URL",
        default=d(None),
        help="a local server or custom endpoint, path-style (env COS_ENDPOINT_URL)",
    )
    g.add_argument(
        "--region", default=d(None), help="COS region, e.g. ap-guangzhou (env COS_REGION)"
    )
    g.add_argument(
        "--secret-id", metavar="ID", default=d(None), help="SecretId (env COS_SECRET_ID)"
    )
    g.add_argument(
        "--secret-key",
        metavar="KEY",
        default=d(None),
        help="SecretKey (env COS_SECRET_KEY; a flag is visible to other users in ps)",
    )
    g.add_argument(
        "--token", default=d(None), help="security token of temporary keys (env COS_TOKEN)"
    )
    g.add_argument(
        "--anonymous",
        action="store_true",
        default=d(False),
        help="send unsigned requests (public-read buckets)",
    )
    g.add_argument(
        "--profile", default=d(None), help="the profile of the config file (default: default)"
    )
    g.add_argument(
        "--config",
        metavar="PATH",
        default=d(None),
        help="config file (env COS_ASYNC_CONFIG; default ~/.config/cos-async/config)",
    )
    g.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=d(False),
        help="print errors only: no progress, no line per file",
    )
    g.add_argument(
        "--debug",
        action="store_true",
        default=d(False),
        help="log requests and show tracebacks",
    )


def _transfer_options(p: argparse.ArgumentParser, *, sync: bool = False) -> None:
    p.add_argument(
        "--include",
        action=_Filter,
        dest="filters",
        metavar="PATTERN",
        default=[],
        help="transfer files whose relative path matches (fnmatch; with --exclude, the last "
        "pattern that matches decides)",
    )
    p.add_argument(
        "--exclude",
        action=_Filter,
        dest="filters",
        metavar="PATTERN",
        help="leave out files whose relative path matches",
    )
    p.add_argument(
        "--storage-class",
        choices=[c.value for c in StorageClass],
        metavar="CLASS",
        help="storage class of uploaded or copied objects (STANDARD, STANDARD_IA, ARCHIVE, ...)",
    )
    p.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="user metadata of uploaded or copied objects (x-cos-meta-KEY; repeatable)",
    )
    p.add_argument("--content-type", metavar="TYPE", help="default: guessed from the file name")
    p.add_argument(
        "--part-size",
        metavar="SIZE",
        help="part size of multipart transfers, e.g. 16MiB (default: the client's, 16 MiB)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"parts of one file in flight (default {DEFAULT_CONCURRENCY})",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=DEFAULT_JOBS,
        metavar="N",
        help=f"files transferred at once (default {DEFAULT_JOBS})",
    )
    p.add_argument(
        "--no-follow-symlinks",
        dest="follow_symlinks",
        action="store_false",
        help="do not upload what symbolic links point to",
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be done, do nothing")
    if not sync:
        p.add_argument(
            "-r", "--recursive", action="store_true", help="a directory or a prefix, whole"
        )
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep checkpoints of large files when interrupted, and resume from them "
        "(in ~/.cache/cos-async/checkpoints)",
    )


def build_parser() -> Parser:
    common = Parser(add_help=False)
    _global_options(common, suppress=True)
    p = Parser(
        prog=PROG,
        description="Tencent Cloud Object Storage (COS) from the shell: paths are local or "
        "cos://<bucket>-<appid>/<key-or-prefix>.",
        epilog="Exit status: 0 done, 1 something failed (a summary says what), 2 bad usage, "
        "130 interrupted. See docs/cli.md.",
    )
    _global_options(p, suppress=False)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name: str, help: str, description: str | None = None) -> Parser:
        parser: Parser = sub.add_parser(
            name, parents=[common], help=help, description=description or help
        )
        return parser

    ls = add("ls", "list buckets, or the objects and directories under a prefix")
    ls.add_argument("path", nargs="?", default=None, metavar="PATH", help="cos://bucket[/prefix]")
    ls.add_argument("-r", "--recursive", action="store_true", help="every object under the prefix")
    ls.add_argument("-H", "--human-readable", action="store_true", help="sizes as 1.5 MiB")
    ls.add_argument("--json", action="store_true", help="one JSON document per line")

    cp = add(
        "cp",
        "copy files and objects",
        "Copy a file to COS, an object to a file, or an object to another (server-side). "
        "With -r, a directory or a prefix with everything in it. SRC or DST '-': standard "
        "input or output.",
    )
    cp.add_argument("src", metavar="SRC")
    cp.add_argument("dst", metavar="DST")
    _transfer_options(cp)

    mv = add("mv", "move files and objects (copy, then delete the source)")
    mv.add_argument("src", metavar="SRC")
    mv.add_argument("dst", metavar="DST")
    _transfer_options(mv)

    sync = add(
        "sync",
        "make a prefix hold a directory's files, or a directory a prefix's objects",
        "Upload (or download) what differs: files whose object has the same size and CRC-64 "
        "are left alone. --delete removes what the source does not have.",
    )
    sync.add_argument("src", metavar="SRC")
    sync.add_argument("dst", metavar="DST")
    sync.add_argument(
        "--delete", action="store_true", help="delete destination files the source does not have"
    )
    _transfer_options(sync, sync=True)

    rm = add("rm", "delete objects (asks first unless --yes)")
    rm.add_argument("path", metavar="PATH", help="cos://bucket/key, or a prefix with -r")
    rm.add_argument("-r", "--recursive", action="store_true", help="everything under a prefix")
    rm.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    rm.add_argument("--dry-run", action="store_true", help="print what would be deleted")
    rm.add_argument("--include", action=_Filter, dest="filters", metavar="PATTERN", default=[])
    rm.add_argument("--exclude", action=_Filter, dest="filters", metavar="PATTERN")

    cat = add("cat", "write an object to standard output")
    cat.add_argument("path", metavar="PATH")

    st = add("stat", "show an object's (or a bucket's) details")
    st.add_argument("path", metavar="PATH")
    st.add_argument("--json", action="store_true", help="as one JSON document")

    du = add("du", "count the objects and bytes under a prefix")
    du.add_argument("path", metavar="PATH")
    du.add_argument("-H", "--human-readable", action="store_true", help="sizes as 1.5 MiB")
    du.add_argument("--json", action="store_true", help="as one JSON document")

    mb = add("mb", "make a bucket")
    mb.add_argument("path", metavar="BUCKET", help="cos://<name>-<appid>")
    mb.add_argument("--acl", choices=["private", "public-read", "public-read-write"])

    rb = add("rb", "remove an empty bucket (--force: its objects and uploads first)")
    rb.add_argument("path", metavar="BUCKET", help="cos://<name>-<appid>")
    rb.add_argument(
        "--force",
        action="store_true",
        help="delete every object and abort every multipart upload first (asks unless --yes)",
    )
    rb.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    ps = add("presign", "print a URL that works without credentials for a while")
    ps.add_argument("path", metavar="PATH")
    ps.add_argument(
        "--expires", type=int, default=3600, metavar="SECONDS", help="validity (default 3600)"
    )
    ps.add_argument(
        "--method",
        default="GET",
        type=str.upper,
        choices=["GET", "PUT", "HEAD", "DELETE"],
        help="the HTTP method the URL allows (default GET)",
    )

    sub.add_parser(
        "serve",
        add_help=False,
        help="run the local COS server (the options of python -m cos_async.testing)",
    )
    return p
