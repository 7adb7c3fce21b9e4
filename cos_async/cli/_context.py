"""What every command gets: its parsed arguments, the client, the reporter, and small helpers
(filters, confirmation)."""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections.abc import Sequence

import attrs

from cos_async import AsyncCosClient

from ._errors import UsageError
from ._output import Reporter, printable
from ._paths import CosPath, Path_, parse_path

__all__ = ["Context", "Filters", "cos_path"]


@attrs.frozen
class Filters:
    """``--include``/``--exclude`` patterns in order: everything is included unless a pattern
    matches; the last pattern that matches a relative path decides (as ``aws s3`` does)."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, rules: Sequence[tuple[str, str]] | None) -> Filters:
        return cls(tuple(rules or ()))

    def __call__(self, rel: str) -> bool:
        keep = True
        for kind, pattern in self.rules:
            if fnmatch.fnmatchcase(rel, pattern):
                keep = kind == "include"
        return keep


@attrs.define
class Context:
    args: argparse.Namespace
    cos: AsyncCosClient
    reporter: Reporter

    def confirm(self, question: str) -> bool:
        """Ask on standard error, read the answer from standard input (``y``/``yes``)."""
        if getattr(self.args, "yes", False):
            return True
        sys.stderr.write(f"{printable(question)} [y/N] ")
        sys.stderr.flush()
        answer = sys.stdin.readline(64)
        if not answer.endswith("\n") or not sys.stdin.isatty():
            sys.stderr.write("\n")  # a terminal echoed the answer and its newline; a pipe not
        return answer.strip().lower() in ("y", "yes")


def cos_path(text: str, what: str) -> CosPath:
    """A path that must be ``cos://...``."""
    path: Path_ = parse_path(text, what=what)
    if not isinstance(path, CosPath):
        raise UsageError(f"{what} must be a cos://<bucket>-<appid>/... path, got {text!r}")
    return path
