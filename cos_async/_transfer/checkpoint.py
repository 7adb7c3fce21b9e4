"""Checkpoints of resumable transfers: an append-only JSON-lines file (a header, then one line per
finished part; a torn last line is ignored), discarded when the file, the object or the options
changed.

A checkpoint path is input like any other, and what it holds is untrusted: it may name the very
file being transferred, a directory, or a file that is no checkpoint at all (planted, or chosen by
mistake). So a checkpoint is refused when it is the transferred file or a directory, a file that
is not a cos-async checkpoint is never overwritten or acted upon (:class:`InvalidArgument`), its
entries are checked field by field, and the paths it records are never trusted: the transfers
derive every path from their own arguments.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cos_async._body import write_atomically
from cos_async._errors import CosClientError, InvalidArgument

__all__ = ["CHECKPOINT_VERSION", "MAX_CHECKPOINT_BYTES", "Checkpoint", "entry_int"]

log = logging.getLogger("cos_async")

CHECKPOINT_VERSION = 1
#: A checkpoint of 10,000 parts is about 1.5 MB; a larger file is no checkpoint of ours.
MAX_CHECKPOINT_BYTES = 64 << 20
_KINDS = ("upload", "download")


def _same_file(a: Path, b: Path) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class Checkpoint:
    """An append-only JSON-lines file: a header, then one line per finished part.

    ``guards`` are the files of the transfer (the source of an upload, the destination of a
    download): the checkpoint may not be one of them."""

    def __init__(self, path: str | os.PathLike[str], *, guards: tuple[Path, ...] = ()) -> None:
        if not isinstance(path, str | os.PathLike):
            raise InvalidArgument(f"checkpoint must be a file path, got {path!r}")
        self.path = Path(path)
        if self.path.is_dir():
            raise InvalidArgument(
                f"checkpoint must be a file path, not a directory: {os.fspath(path)!r}"
            )
        for guarded in guards:
            if _same_file(self.path, guarded):
                raise InvalidArgument(
                    f"checkpoint {os.fspath(path)!r} is the transferred file itself; "
                    "give the checkpoint a path of its own"
                )

    def _refuse(self, why: str) -> InvalidArgument:
        return InvalidArgument(
            f"{os.fspath(self.path)!r} is not a cos-async checkpoint ({why}): refusing to use or "
            "overwrite it; remove it or give another checkpoint path"
        )

    def load(self) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The header and the entries (``None``: no checkpoint yet, or an empty file)."""
        try:
            with open(self.path, "rb") as f:
                data = f.read(MAX_CHECKPOINT_BYTES + 1)
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise self._refuse("a directory") from None
        except OSError as exc:
            raise CosClientError(f"cannot read checkpoint {str(self.path)!r}: {exc}") from exc
        if not data:
            return None
        if len(data) > MAX_CHECKPOINT_BYTES:
            raise self._refuse(f"more than {MAX_CHECKPOINT_BYTES} bytes")
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise self._refuse("not UTF-8 text") from None
        try:
            header = json.loads(lines[0])
        except (ValueError, RecursionError):
            raise self._refuse("its first line is no JSON header") from None
        if not isinstance(header, dict) or header.get("kind") not in _KINDS:
            raise self._refuse("no checkpoint header")
        if header.get("version") != CHECKPOINT_VERSION:
            log.warning("checkpoint %s is of another version: starting over", self.path)
            return None
        entries: list[dict[str, Any]] = []
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):
                # A line torn by a crash: everything before it is good. Rewrite the file without
                # it, or the lines appended after it by this run would be unreadable next time.
                self.start(header)
                for e in entries:
                    self.append(e)
                break
            if isinstance(entry, dict):
                entries.append(entry)
        return header, entries

    def start(self, header: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({**header, "version": CHECKPOINT_VERSION}) + "\n"
        write_atomically(self.path, text.encode("utf-8"), "tmp")

    def append(self, entry: Mapping[str, Any]) -> None:
        line = (json.dumps(entry) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def entry_int(entry: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    """An integer field of a checkpoint entry in ``low..high`` (``None`` when it is not)."""
    value = entry.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None
