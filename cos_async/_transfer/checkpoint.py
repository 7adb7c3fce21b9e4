"""Checkpoints of resumable transfers: an append-only JSON-lines file (a header, then one line per
finished part; a torn last line is ignored), discarded when the file, the object or the options
changed."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cos_async._body import write_atomically
from cos_async._errors import CosClientError

__all__ = ["CHECKPOINT_VERSION", "Checkpoint"]

CHECKPOINT_VERSION = 1


class Checkpoint:
    """An append-only JSON-lines file: a header, then one line per finished part."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CosClientError(f"cannot read checkpoint {str(self.path)!r}: {exc}") from exc
        if not lines:
            return None
        try:
            header = json.loads(lines[0])
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("version") != CHECKPOINT_VERSION:
            return None
        entries: list[dict[str, Any]] = []
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except ValueError:
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
