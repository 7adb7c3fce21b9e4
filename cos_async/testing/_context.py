"""One request as the local COS server sees it (:class:`Ctx`), and the errors handlers raise.

:func:`request_context` resolves the bucket and key (virtual-hosted or path-style addressing)
and the query parameters; the router then sets :attr:`Ctx.operation`.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, unquote_plus

import attrs
from aiohttp import web

from ._faults import FaultRule, RequestRecord
from ._operations import Operation

__all__ = [
    "CONTROL_PREFIX",
    "BodyTimeout",
    "BodyWatch",
    "CosServerError",
    "Ctx",
    "Disconnected",
    "S3Info",
    "err",
    "hostname_of",
    "is_migration_host",
    "is_virtual_host",
    "request_context",
    "strip_port",
]

#: the path of the server's own control endpoints (never under a bucket)
CONTROL_PREFIX = "/_cos_testing/"


class CosServerError(Exception):
    """Answered as a COS ``<Error>`` document with ``status`` and ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        *,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        #: more elements of the ``<Error>`` document (S3's ``<Region>``...)
        self.fields = dict(fields or {})


class Disconnected(Exception):
    """The connection was reset (by the client, or by a fault rule)."""


def err(status: int, code: str, message: str, **headers: str) -> CosServerError:
    return CosServerError(status, code, message, headers)


class BodyTimeout(asyncio.TimeoutError):
    """A request body stalled: no byte arrived for the server's ``body_timeout`` while it waited.

    A ``TimeoutError``, so that aiohttp's connection handler (which drains an unread body after
    the answer) takes it for the timeout it is."""


class BodyWatch:
    r"""Watches a request body for stalls, with no work per chunk beyond setting a flag.

    A timer ticks every ``timeout`` seconds; a tick that finds the handler waiting for body
    bytes (:attr:`waiting`, set around each read) and no byte received since the previous tick
    fails the body's stream with :class:`BodyTimeout`. A stall is so detected within one to two
    ``timeout``\ s; a handler busy elsewhere (its reads paused) is never taken for a stall.
    """

    __slots__ = ("_handle", "_loop", "_seen", "_timeout", "content", "waiting")

    def __init__(self, request: web.BaseRequest, timeout: float) -> None:
        self.content = request.content
        self.waiting = False
        self._timeout = timeout
        self._seen = -1
        self._loop = asyncio.get_running_loop()
        self._handle: asyncio.TimerHandle | None = self._loop.call_later(timeout, self._tick)

    def _tick(self) -> None:
        received = self.content.total_bytes
        if self.waiting and received == self._seen and not self.content.is_eof():
            self._handle = None
            self.content.set_exception(
                BodyTimeout(f"no byte of the request body arrived in {self._timeout:g} s")
            )
            return
        self._seen = received
        self._handle = self._loop.call_later(self._timeout, self._tick)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


@attrs.define
class Ctx:
    """A request being handled: where it is addressed, its query, and what the server made of it."""

    request: web.BaseRequest
    method: str
    host: str
    bucket: str | None
    key: str | None
    path: str
    params: dict[str, str]
    #: the query parameters by lower-cased name (sub-resources are matched case-insensitively)
    lparams: dict[str, str]
    request_id: str
    #: set by the router (``_routes.classify``) before anything else reads it
    operation: Operation = attrs.field(init=False)
    record: RequestRecord | None = None
    #: the fault rule applied to this request, and its id in the server's FaultInjector
    fault: FaultRule | None = None
    fault_id: int | None = None
    #: a reset, truncate or corrupt fault has struck (else the rule is released: not fired)
    fault_spent: bool = False
    anonymous: bool = False
    #: keep the document this request carries in its record (``RequestLog.keep_documents``)
    keep_document: bool = False
    #: the response once it has been prepared (its head sent): an error can then only abort
    started: web.StreamResponse | None = None
    #: the stall watch of the request's body (when it has one)
    body_watch: BodyWatch | None = None
    #: an S3 (SigV4) request: what ``_s3`` knows of it (``None``: a COS request)
    s3: S3Info | None = None

    def has(self, name: str) -> bool:
        return name.lower() in self.lparams

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.lparams.get(name.lower(), default)

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    @property
    def resource(self) -> str:
        return f"{self.host}{self.path}"


@attrs.define
class S3Info:
    """An S3 request (``_s3``): :attr:`Ctx.request` then carries its ``x-amz-*`` headers under
    their COS names; ``original`` is the request as sent (what its signature covers)."""

    original: web.BaseRequest
    #: the ``x-amz-checksum-*`` header and value the body was checked against (once read)
    checksum: tuple[str, str] | None = None
    #: the payload stream that checks the body (``_s3_bodies``), once authenticated
    payload: Any = None


def request_context(request: web.BaseRequest, request_id: str) -> Ctx:
    """The :class:`Ctx` of ``request``: bucket and key from the Host header and the path."""
    host_header = request.headers.get("Host", "")
    hostname = hostname_of(host_header)
    path = unquote(request.rel_url.raw_path)
    params: dict[str, str] = {}
    lparams: dict[str, str] = {}
    qs = request.rel_url.raw_query_string
    if qs:
        for item in qs.split("&"):
            if not item:
                continue
            name, _, value = item.partition("=")
            name = unquote_plus(name)
            value = unquote_plus(value)
            params.setdefault(name, value)
            lparams.setdefault(name.lower(), value)
    bucket: str | None
    key: str | None
    if is_virtual_host(hostname):
        bucket = hostname.split(".", 1)[0]
        key = path[1:] or None
    else:
        parts = path[1:].split("/", 1) if path != "/" else [""]
        bucket = parts[0] or None
        key = (parts[1] or None) if len(parts) > 1 else None
        if bucket is not None and path.startswith(CONTROL_PREFIX):
            bucket = None
    return Ctx(
        request=request,
        method=request.method.upper(),
        host=host_header,
        bucket=bucket,
        key=key,
        path=path,
        params=params,
        lparams=lparams,
        request_id=request_id,
    )


def hostname_of(host: str) -> str:
    """The lower-cased host name of a Host header (no port; an IPv6 address without brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def strip_port(host: str) -> str:
    """A Host header without its port (an IPv6 address keeps its brackets)."""
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end >= 0 else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_migration_host(hostname: str) -> bool:
    """Whether ``hostname`` is COS's migration service (async fetch):
    ``<region>.migration.myqcloud.com``, or ``migration.<domain>``. Its paths name the bucket:
    ``/<bucket>/<task id>``."""
    labels = hostname.split(".")
    return len(labels) >= 3 and "migration" in labels[:2]


def is_virtual_host(hostname: str) -> bool:
    """Whether ``hostname`` names a bucket (``<bucket>.cos.<region>.myqcloud.com``, or an S3
    host ``<bucket>.s3.<region>.amazonaws.com``)."""
    if not hostname or "." not in hostname or hostname == "localhost":
        return False
    try:
        ipaddress.ip_address(hostname)
        return False
    except ValueError:
        pass
    if is_migration_host(hostname):
        return False
    first = hostname.split(".", 1)[0]
    if first == "s3" or (first.startswith("s3-") and hostname.endswith(".amazonaws.com")):
        return False  # an S3 service host: s3.<region>.amazonaws.com, s3-<region>.amazonaws.com
    return not (first in ("service", "cos") or hostname.startswith("cos-internal."))
