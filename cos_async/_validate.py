"""Input checks shared by every operation: each raises :class:`InvalidArgument` naming the bad
value, before any request is sent. Pure: no I/O.

The option bundles of :mod:`cos_async._options` use these too; an operation checks its bucket
and key here and its options by building their bundle.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import functools
import json
import mimetypes
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from . import _limits
from ._bucket_config import Tag
from ._errors import InvalidArgument

__all__ = [
    "DateLike",
    "check_bucket",
    "check_byte_range",
    "check_concurrency",
    "check_count",
    "check_expires",
    "check_header_values",
    "check_inventory_id",
    "check_key",
    "check_local_path",
    "check_page_size",
    "check_part_number",
    "check_part_size",
    "check_policy",
    "check_single_line",
    "check_tags",
    "check_upload_id",
    "encode_key",
    "encode_query",
    "guess_content_type",
    "http_date",
]

DateLike = _dt.datetime | str

_BUCKET_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9\-_.~/]*")
_INVENTORY_ID = re.compile(r"[A-Za-z0-9\-_.]{1,64}")


def check_bucket(bucket: object) -> str:
    if (
        not isinstance(bucket, str)
        or not _BUCKET_RE.match(bucket)
        or len(bucket) > _limits.MAX_BUCKET_NAME
    ):
        raise InvalidArgument(
            f"bucket must be '<name>-<appid>' in lower case (e.g. 'photos-1250000000'), got {bucket!r}"
        )
    return bucket


def check_key(key: object) -> str:
    """An object key COS accepts: non-empty UTF-8 text of at most 850 bytes, without NUL, not
    starting with ``/`` (COS documents keys without one; the official SDK strips one from a
    single object's key, so ``/a.txt`` there is ``a.txt``: see docs/migration.md), and not
    addressing the bucket itself or outside it (``..``)."""
    if not isinstance(key, str) or not key:
        raise InvalidArgument(f"key must be a non-empty string, got {key!r}")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgument(
            f"key {key!r} is not valid text: it holds undecodable bytes (a file name in another "
            "encoding, such as GBK from a Windows zip?); decode the name before using it as a key"
        ) from None
    if size > _limits.MAX_KEY_BYTES:
        raise InvalidArgument(
            f"key is {size} bytes of UTF-8; COS allows at most {_limits.MAX_KEY_BYTES}: {key[:60]!r}..."
        )
    if "\x00" in key:
        raise InvalidArgument(f"key must not contain NUL characters: {key!r}")
    if key.startswith("/"):
        raise InvalidArgument(
            f"key must not start with '/' (COS keys have none): {key!r}; "
            f"did you mean {key.lstrip('/')!r}?"
        )
    depth = 0
    for seg in key.split("/"):
        if seg == "..":
            depth -= 1
            if depth < 0:
                raise InvalidArgument(f"key escapes the bucket with '..': {key!r}")
        elif seg not in ("", "."):
            depth += 1
    if depth == 0 and key.strip("/.") == "":
        raise InvalidArgument(f"key normalises to '/' (it would address the bucket): {key!r}")
    if depth == 0 and ".." in key.split("/"):
        raise InvalidArgument(f"key normalises to '/' (it would address the bucket): {key!r}")
    return key


def encode_key(key: str) -> str:
    """The URL path of a key: percent-encoded, with '.' and '..' segments encoded too."""
    if _PLAIN_KEY.fullmatch(key) and "/./" not in f"/{key}/" and "/../" not in f"/{key}/":
        return key  # nothing to encode (the common case)
    segments = [quote(seg.encode("utf-8"), safe="-_.~") for seg in key.split("/")]
    segments = [s.replace(".", "%2E") if s in (".", "..") else s for s in segments]
    return "/".join(segments)


def encode_query(params: Mapping[str, str | None]) -> str:
    """A query string: names and values percent-encoded, a sub-resource without ``=``."""
    return "&".join(
        quote(k, safe="-_.~") + ("" if v is None else "=" + quote(v, safe="-_.~"))
        for k, v in params.items()
    )


def check_count(name: str, value: object, low: int, high: int) -> int:
    """An integer (not a bool) in ``low..high``."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be {low}..{high}, got {value!r}")
    return value


def check_part_number(n: object) -> int:
    return check_count("part_number", n, 1, _limits.MAX_PART_NUMBER)


def check_page_size(name: str, value: object) -> str:
    """A listing page size (1..1000, COS's maximum) as its query value."""
    return str(check_count(name, value, 1, _limits.MAX_PAGE_SIZE))


def check_concurrency(concurrency: object) -> int:
    return check_count("concurrency", concurrency, 1, 256)


def check_expires(expires: object) -> int:
    """The validity of a signature in seconds (1..7 days)."""
    if not isinstance(expires, int) or not 1 <= expires <= _limits.MAX_PRESIGN_EXPIRES:
        raise InvalidArgument(
            f"expires must be 1..{_limits.MAX_PRESIGN_EXPIRES} seconds, got {expires!r}"
        )
    return expires


def check_upload_id(upload_id: object) -> str:
    if not isinstance(upload_id, str) or not upload_id:
        raise InvalidArgument(f"upload_id must be a non-empty string, got {upload_id!r}")
    return upload_id


def check_byte_range(name: str, value: object, *, open_end: bool) -> tuple[int, int | None]:
    """``(first, last)`` inclusive with ``0 <= first <= last`` (``last=None`` when ``open_end``)."""
    first, last = value if isinstance(value, tuple) and len(value) == 2 else (None, None)
    if (
        not isinstance(first, int)
        or isinstance(first, bool)
        or first < 0
        or (last is None and not open_end)
        or (last is not None and (not isinstance(last, int) or last < first))
    ):
        raise InvalidArgument(
            f"{name} must be (first, last) with 0 <= first <= last, got {value!r}"
        )
    return first, last


#: what no HTTP header value may hold (tab aside): a header injection, or a value aiohttp
#: refuses with a raw ValueError
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: headers whose values are never shown in an error (keys of SSE-C, tokens)
_SECRET_HEADER = re.compile(r"key|token|authorization", re.IGNORECASE)


def check_header_values(headers: Mapping[str, str]) -> None:
    """Every header value a string without control characters (a request's headers, before
    its first attempt: options, metadata and ``extra_headers`` alike)."""
    for name, value in headers.items():
        if not isinstance(value, str):
            raise InvalidArgument(f"header {name!r} must be a string, got {type(value).__name__}")
        if _CONTROL.search(value) is not None:
            shown = "(value hidden)" if _SECRET_HEADER.search(name) else repr(value)
            raise InvalidArgument(f"header {name!r} contains a control character: {shown}")


def check_local_path(name: str, path: object) -> None:
    """A local path (``str``, ``bytes`` or ``os.PathLike``) without NUL, which the OS refuses
    with a raw ``ValueError`` (other types are left to the method's own message)."""
    if isinstance(path, str | bytes | os.PathLike):
        value = os.fspath(path)
        if ("\x00" if isinstance(value, str) else b"\x00") in value:
            raise InvalidArgument(f"{name} contains a NUL character: {value!r}")


def check_part_size(part_size: object) -> int | None:
    """``None`` (the transfer chooses) or a part size COS accepts."""
    if part_size is not None and (
        not isinstance(part_size, int)
        or isinstance(part_size, bool)
        or not _limits.MIN_PART_SIZE <= part_size <= _limits.MAX_PART_SIZE
    ):
        raise InvalidArgument(
            f"part_size must be {_limits.MIN_PART_SIZE}..{_limits.MAX_PART_SIZE} bytes, "
            f"got {part_size!r}"
        )
    return part_size


def check_single_line(name: str, value: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a string, got {value!r}")
    if "\n" in value or "\r" in value:
        raise InvalidArgument(f"{name} contains a line break: {value!r}")
    return value


def http_date(value: DateLike, name: str) -> str:
    """An HTTP date (IMF-fixdate) from an aware datetime, or a string passed as given."""
    if isinstance(value, str):
        return check_single_line(name, value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise InvalidArgument(f"{name} must be timezone-aware, got {value!r}")
        return email.utils.format_datetime(value.astimezone(_dt.timezone.utc), usegmt=True)
    raise InvalidArgument(f"{name} must be a datetime or an HTTP date string, got {value!r}")


@functools.lru_cache(maxsize=1024)
def _type_of_extension(suffixes: str) -> str:
    return mimetypes.guess_type("x" + suffixes)[0] or "application/octet-stream"


def guess_content_type(key: str) -> str:
    """The Content-Type of an object by its key's extension (what COS would store otherwise)."""
    core = key.rpartition("/")[2].lstrip(".")  # leading dots are no suffix (".bashrc")
    if "." not in core or ":" in key:  # a "scheme:" prefix is read as a URL's (and "data:")
        return mimetypes.guess_type(key)[0] or "application/octet-stream"
    # what guess_type reads of a name is its last two suffixes (".tar.gz"): cached by them
    last = core.rfind(".")
    before = core.rfind(".", 0, last)
    return _type_of_extension(core[before if before >= 0 else last :])


def check_tags(tags: object, limit: int = _limits.MAX_OBJECT_TAGS) -> tuple[tuple[str, str], ...]:
    """Object tags as ``(key, value)`` pairs: at most ``limit``, each a valid :class:`Tag`."""
    if not isinstance(tags, Mapping):
        raise InvalidArgument(f"tags must be a mapping of str to str, got {tags!r}")
    if len(tags) > limit:
        raise InvalidArgument(f"at most {limit} tags are allowed, got {len(tags)}")
    pairs: list[tuple[str, str]] = []
    for k, v in tags.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise InvalidArgument(f"tag keys and values must be strings: {k!r}={v!r}")
        Tag(key=k, value=v)  # the one tag check (lengths, characters)
        pairs.append((k, v))
    return tuple(pairs)


def check_inventory_id(inventory_id: object, name: str = "inventory_id") -> str:
    """An id of an inventory or of an intelligent-tiering rule (``name`` in the message)."""
    if not isinstance(inventory_id, str) or not _INVENTORY_ID.fullmatch(inventory_id):
        raise InvalidArgument(f"{name} must be 1..64 of a-z A-Z 0-9 - _ ., got {inventory_id!r}")
    return inventory_id


def check_policy(policy: object) -> dict[str, Any]:
    """A bucket policy as a dict, checked the way COS checks it."""
    if isinstance(policy, str):
        try:
            document = json.loads(policy, parse_constant=_no_json_constant)
        except ValueError as exc:
            raise InvalidArgument(f"policy is not valid JSON: {exc}") from exc
    elif isinstance(policy, Mapping):
        document = dict(policy)
    else:
        raise InvalidArgument(
            f"policy must be a mapping or its JSON text, got {type(policy).__name__}"
        )
    if not isinstance(document, dict):
        raise InvalidArgument("policy must be a JSON object")
    statements = document.get("Statement", document.get("statement"))
    if not isinstance(statements, list) or not statements:
        raise InvalidArgument("policy needs a non-empty Statement list")
    for i, st in enumerate(statements):
        effect = st.get("Effect", st.get("effect")) if isinstance(st, dict) else None
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            raise InvalidArgument(f"policy Statement[{i}] needs an Effect of allow or deny")
    try:  # what cannot be JSON (a set, NaN) is refused here, not half-sent
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"policy cannot be written as JSON: {exc}") from exc
    return document


def _no_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
