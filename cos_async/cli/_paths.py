"""The two kinds of path the command line takes: ``cos://<bucket>-<appid>/<key-or-prefix>`` and
local paths (``-`` is standard input or output where a command allows it)."""

from __future__ import annotations

import os
import posixpath
import re

import attrs

from ._errors import UsageError

__all__ = [
    "SCHEME",
    "CosPath",
    "LocalPath",
    "Path_",
    "directory_prefix",
    "parse_path",
    "relative_key",
    "safe_local_relative",
]

SCHEME = "cos://"
#: what the client accepts as a bucket name, checked here so that a typo is a usage error
_BUCKET = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")
_MAX_BUCKET = 60
_OTHER_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@attrs.frozen
class CosPath:
    """An object or a prefix in a bucket (``key`` may be ``""``: the bucket's root)."""

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"

    @property
    def is_dir(self) -> bool:
        """Whether the path names a directory: the bucket's root or a key ending with ``/``."""
        return not self.key or self.key.endswith("/")

    def child(self, name: str) -> CosPath:
        return CosPath(self.bucket, directory_prefix(self.key) + name)


@attrs.frozen
class LocalPath:
    """A path on this machine (``-``: standard input or output)."""

    path: str

    def __str__(self) -> str:
        return self.path

    @property
    def is_stdio(self) -> bool:
        return self.path == "-"


Path_ = CosPath | LocalPath


def parse_path(text: str, *, what: str = "path") -> Path_:
    """A command-line path: ``cos://bucket-appid/key`` or a local path."""
    if text.lower().startswith(SCHEME):
        rest = text[len(SCHEME) :]
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise UsageError(f"{what} {text!r} names no bucket: write cos://<name>-<appid>/<key>")
        if not _BUCKET.match(bucket) or len(bucket) > _MAX_BUCKET:
            raise UsageError(
                f"{what} {text!r}: the bucket must be <name>-<appid> in lower case "
                f"(e.g. cos://photos-1250000000/{key}), got {bucket!r}"
            )
        if "\x00" in key:
            raise UsageError(f"{what} {text!r} contains a NUL character")
        return CosPath(bucket, key)
    scheme = _OTHER_SCHEME.match(text)
    if scheme and not os.path.exists(text):
        raise UsageError(
            f"{what} {text!r}: unknown scheme {scheme.group(1)}:// (cos:// or a local path)"
        )
    if not text:
        raise UsageError(f"{what} is empty")
    if "\x00" in text:
        raise UsageError(f"{what} {text!r} contains a NUL character")
    return LocalPath(text)


def directory_prefix(prefix: str) -> str:
    """A prefix as a directory: ``""`` stays the bucket's root, ``p`` and ``p/`` are ``p/``."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def relative_key(key: str, prefix: str) -> str | None:
    """``key`` relative to the directory ``prefix`` (a prefix that is ``key`` itself: its last
    component); ``None`` when the key is not in that directory (``photos`` holds ``photos/a``
    but not ``photos2/a``)."""
    if prefix and key == prefix and not prefix.endswith("/"):
        return posixpath.basename(key)
    base = directory_prefix(prefix)
    if not key.startswith(base):
        return None
    return key[len(base) :]


def safe_local_relative(rel: str) -> str | None:
    """A relative key as a relative local path, or ``None`` when it would land outside the
    destination directory (``..``, an absolute path, a backslash, a NUL) or is a directory
    marker (empty, or ending with ``/``)."""
    if not rel or rel.endswith("/"):
        return None
    if rel.startswith("/") or "\\" in rel or "\x00" in rel:
        return None
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return os.path.join(*parts)
