"""Async fetch (COS pulls an object from a URL into a bucket): the task as submitted, and what
the migration service answers. Pure: no I/O.

The service lives on its own host, ``<region>.migration.myqcloud.com``, and speaks JSON:
``POST /<bucket>/`` with the task submits it (``{"code": 0, "data": {"taskId": ...}}``);
``GET /<bucket>/<task id>`` reports it (``{"code": 0, "data": {"status": ..., "percent": ...,
"code": ..., "msg": ...}}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._errors import CosClientError, InvalidArgument
from ._models import Result
from ._validate import check_key

__all__ = [
    "AsyncFetchTask",
    "AsyncFetchTaskResult",
    "AsyncFetchTaskStatus",
    "answer_code",
    "check_task_id",
    "member",
    "parse_answer",
]

#: characters no URL or task id may hold (controls, spaces)
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_MD5 = re.compile(r"[0-9a-fA-F]{32}|[A-Za-z0-9+/]{22}==")
#: a task id, at most
MAX_TASK_ID = 1024


def _url(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    name = f"{type(inst).__name__}.{attribute.name}"
    if value is None and attribute.default is None:
        return
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be an http:// or https:// URL, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or _UNSAFE.search(value):
        raise InvalidArgument(
            f"{name} must be an http:// or https:// URL with a host and no spaces or control "
            f"characters (percent-encode them), got {value!r}"
        )


def _key(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    try:
        check_key(value)
    except InvalidArgument as exc:
        raise InvalidArgument(f"{type(inst).__name__}.{attribute.name}: {exc}") from None


def _md5(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _MD5.fullmatch(value)):
        raise InvalidArgument(
            f"{type(inst).__name__}.{attribute.name} must be the MD5 of the content (32 hex "
            f"digits, or 24 characters of base64), got {value!r}"
        )


def _text(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value or _UNSAFE.search(value)):
        raise InvalidArgument(
            f"{type(inst).__name__}.{attribute.name} must be a word without spaces, got {value!r}"
        )


def _bool(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(
            f"{type(inst).__name__}.{attribute.name} must be True or False, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class AsyncFetchTask:
    """What COS is to fetch (``put_async_fetch_task``): the source ``url`` (``http://`` or
    ``https://``, percent-encoded), the ``key`` to store it under, optionally the ``md5`` the
    content must have (hex or base64), ``on_key_exist`` and ``ignore_same_key`` (what to do
    when the key exists, passed to COS as given), and URLs COS calls when the fetch succeeds or
    fails. Checked on construction."""

    url: str = attrs.field(validator=_url)
    key: str = attrs.field(validator=_key)
    md5: str | None = attrs.field(default=None, validator=_md5)
    on_key_exist: str | None = attrs.field(default=None, validator=_text)
    ignore_same_key: bool | None = attrs.field(default=None, validator=_bool)
    success_callback_url: str | None = attrs.field(default=None, validator=_url)
    failure_callback_url: str | None = attrs.field(default=None, validator=_url)

    def to_json(self) -> dict[str, Any]:
        """The JSON document of the task, with the names COS reads (``Url``, ``Key``, ...)."""
        doc: dict[str, Any] = {"Url": self.url, "Key": self.key}
        for name, field in (
            ("MD5", self.md5),
            ("OnKeyExist", self.on_key_exist),
            ("IgnoreSameKey", self.ignore_same_key),
            ("SuccessCallbackUrl", self.success_callback_url),
            ("FailureCallbackUrl", self.failure_callback_url),
        ):
            if field is not None:
                doc[name] = field
        return doc


@attrs.frozen(kw_only=True)
class AsyncFetchTaskResult(Result):
    """A submitted fetch (``put_async_fetch_task``): its ``task_id``, to ask about it with
    ``get_async_fetch_task``."""

    task_id: str


@attrs.frozen(kw_only=True)
class AsyncFetchTaskStatus(Result):
    """Where a fetch is (``get_async_fetch_task``): ``status`` as COS reports it (such as
    ``TASK_FAILED``; the local server reports ``TASK_RUNNING``, ``TASK_SUCCESS`` or
    ``TASK_FAILED``), ``percent`` done, and for a failure COS's ``code`` and ``message``."""

    status: str
    percent: int | None = None
    code: str | None = None
    message: str | None = None


def check_task_id(task_id: object) -> str:
    """A task id as ``put_async_fetch_task`` gave it: one path segment of text."""
    if (
        not isinstance(task_id, str)
        or not task_id
        or len(task_id) > MAX_TASK_ID
        or "/" in task_id
        or _UNSAFE.search(task_id)
    ):
        raise InvalidArgument(
            f"task_id must be the non-empty id put_async_fetch_task returned (no '/', spaces or "
            f"control characters, at most {MAX_TASK_ID} characters), got {task_id!r}"
        )
    return task_id


def _get(doc: Mapping[str, Any], name: str) -> Any:
    """A member of a JSON object, its name matched case-insensitively (COS writes ``taskId``;
    Go's SDK reads any case)."""
    for k, v in doc.items():
        if isinstance(k, str) and k.lower() == name.lower():
            return v
    return None


def parse_answer(body: bytes, what: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The answer of the migration service: (the whole document, its ``data`` object).
    ``CosClientError`` when it is not the JSON COS documents; a ``code`` other than 0 is the
    caller's to raise."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise CosClientError(f"COS sent a {what} answer that is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise CosClientError(f"COS sent a {what} answer that is not a JSON object")
    data = _get(doc, "data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CosClientError(f"COS sent a {what} answer whose data is not a JSON object")
    return doc, data


def answer_code(doc: Mapping[str, Any]) -> int | str | None:
    """The ``code`` of an answer (0 when it succeeded)."""
    code = _get(doc, "code")
    return code if isinstance(code, int | str) else None


def member(doc: Mapping[str, Any], name: str) -> Any:
    """A member of an answer's JSON object (case-insensitive name)."""
    return _get(doc, name)
