"""Conditional requests (``If-Match`` ... and their ``x-cos-copy-source-`` forms) and byte
ranges (``Range``, ``x-cos-copy-source-range``)."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping

from ._context import CosServerError, Ctx, err
from ._store import ObjectVersion
from ._values import MAX_DIGITS

__all__ = [
    "check_conditions",
    "check_copy_conditions",
    "etag_matches",
    "parse_copy_range",
    "parse_http_date",
    "parse_range",
    "strip_etag",
]

_PRECONDITION_FAILED = "At least one of the pre-conditions you specified did not hold."
# ASCII digits only (``\d`` would take any script's), and ``_offset`` bounds their length
_RANGE = re.compile(r"\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*", re.ASCII)
_COPY_RANGE = re.compile(
    rf"\s*bytes=([0-9]{{1,{MAX_DIGITS}}})-([0-9]{{1,{MAX_DIGITS}}})\s*", re.ASCII
)
#: stands for an offset of more than MAX_DIGITS digits: beyond any object
_BEYOND = 1 << 64


def _offset(digits: str) -> int:
    """A byte offset of a Range header (at most :data:`MAX_DIGITS` digits are converted)."""
    return int(digits) if len(digits) <= MAX_DIGITS else _BEYOND


def parse_http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def strip_etag(etag: str) -> str:
    return etag.strip().strip('"')


def etag_matches(header: str, etag: str) -> bool:
    """Whether an ``If-Match``/``If-None-Match`` list names ``etag`` (or is ``*``)."""
    tags = [strip_etag(t) for t in header.split(",")]
    return "*" in tags or strip_etag(etag) in tags


def check_conditions(ctx: Ctx, v: ObjectVersion, h: Mapping[str, str]) -> None:
    """412 or 304 (with ``h``'s ETag and Last-Modified) when a GET/HEAD condition fails."""
    if_match = ctx.header("If-Match")
    if_unmod = ctx.header("If-Unmodified-Since")
    if_none = ctx.header("If-None-Match")
    if_mod = ctx.header("If-Modified-Since")
    lm = int(v.last_modified)
    if if_match is not None:
        if not etag_matches(if_match, v.etag):
            raise err(412, "PreconditionFailed", _PRECONDITION_FAILED)
    elif if_unmod is not None:
        ts = parse_http_date(if_unmod)
        if ts is not None and lm > ts:
            raise err(412, "PreconditionFailed", _PRECONDITION_FAILED)
    not_modified_headers = {k: h[k] for k in ("ETag", "Last-Modified") if k in h}
    if if_none is not None:
        if etag_matches(if_none, v.etag):
            raise CosServerError(304, "NotModified", "Not Modified", not_modified_headers)
    elif if_mod is not None:
        ts = parse_http_date(if_mod)
        if ts is not None and lm <= ts:
            raise CosServerError(304, "NotModified", "Not Modified", not_modified_headers)


def check_copy_conditions(ctx: Ctx, v: ObjectVersion) -> None:
    """412 when an ``x-cos-copy-source-If-*`` condition on the copy source fails."""
    fail = err(412, "PreconditionFailed", _PRECONDITION_FAILED)
    if_match = ctx.header("x-cos-copy-source-If-Match")
    if_none = ctx.header("x-cos-copy-source-If-None-Match")
    if_mod = ctx.header("x-cos-copy-source-If-Modified-Since")
    if_unmod = ctx.header("x-cos-copy-source-If-Unmodified-Since")
    lm = int(v.last_modified)
    if if_match is not None and not etag_matches(if_match, v.etag):
        raise fail
    if if_none is not None and etag_matches(if_none, v.etag):
        raise fail
    if if_unmod is not None:
        ts = parse_http_date(if_unmod)
        if ts is not None and lm > ts:
            raise fail
    if if_mod is not None:
        ts = parse_http_date(if_mod)
        if ts is not None and lm <= ts:
            raise fail


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)``, or ``None`` to ignore the header; 416 when unsatisfiable."""
    unsatisfiable = err(
        416,
        "InvalidRange",
        "The requested range is not satisfiable.",
        **{"Content-Range": f"bytes */{size}"},
    )
    m = _RANGE.fullmatch(value)
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        n = _offset(last)
        if n == 0 or size == 0:  # no last bytes to send (an empty object has none)
            raise unsatisfiable
        return max(0, size - n), size
    start = _offset(first)
    if start >= size:
        raise unsatisfiable
    end = size if last == "" else min(_offset(last) + 1, size)
    if end <= start:
        return None
    return start, end


def parse_copy_range(value: str, size: int) -> tuple[int, int]:
    """``x-cos-copy-source-range: bytes=first-last`` as ``(start, end_exclusive)``; 400 unless
    it lies within the ``size`` bytes of the source."""
    m = _COPY_RANGE.fullmatch(value)
    if m is None or int(m.group(1)) > int(m.group(2)) or int(m.group(2)) >= size:
        raise err(
            400,
            "InvalidArgument",
            f"invalid x-cos-copy-source-range {value!r} for an object of {size} bytes",
        )
    return int(m.group(1)), int(m.group(2)) + 1
