"""Typed option bundles: frozen attrs classes, checked when built, and the only builders of their
request headers. Pure: no I/O.

* :class:`WriteOptions` — what describes a stored object (content headers, metadata, storage
  class, ACL and grants, tags, server-side encryption). ``put_object``,
  ``create_multipart_upload``, ``copy_object``, ``upload_file``, ``upload_stream`` and ``copy``
  take the same keyword arguments *by construction*: :func:`takes_write_options` checks each of
  their signatures against :func:`write_option_parameters` when the class is defined, and
  :meth:`WriteOptions.from_arguments` picks the values by those names.
* :class:`PartOptions` — what every data request of one object carries (a PUT, each part, each
  ranged GET): the traffic limit and the SSE-C key.
* :class:`ReadConditions` — ``If-*`` conditions of a read, or of a copy's source
  (``x-cos-copy-source-If-*``).
* :class:`Grants` — ``x-cos-acl`` and ``x-cos-grant-*``.
* :func:`sse_customer_headers`, :func:`checked_extra_headers`.

Transfers carry the bundles down to the operation functions; checkpoints key on
:meth:`WriteOptions.digest`.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import attrs

from . import _limits
from ._config import _HOST_RE, _REGION_RE
from ._endpoint import Endpoint
from ._errors import InvalidArgument
from ._models import StorageClass
from ._validate import (
    DateLike,
    check_bucket,
    check_key,
    check_single_line,
    check_tags,
    guess_content_type,
    http_date,
)

__all__ = [
    "CopySource",
    "Grants",
    "PartOptions",
    "ReadConditions",
    "WriteOptions",
    "checked_extra_headers",
    "read_condition_parameters",
    "sse_customer_headers",
    "takes_read_conditions",
    "takes_write_options",
    "write_option_parameters",
]

F = TypeVar("F", bound=Callable[..., Any])

_META_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_GRANT_RE = re.compile(r'\s*(id|uri)="[^"]+"(\s*,\s*(id|uri)="[^"]+")*\s*')
SSE_CUSTOMER = "x-cos-server-side-encryption-customer-"
COPY_SOURCE_SSE_CUSTOMER = "x-cos-copy-source-server-side-encryption-customer-"

# --- the parameter templates: one place that spells the keyword arguments ---------------------


def write_option_parameters(
    *,
    content_type: str | None = None,
    content_disposition: str | None = None,
    content_encoding: str | None = None,
    content_language: str | None = None,
    cache_control: str | None = None,
    expires: DateLike | None = None,
    metadata: Mapping[str, str] | None = None,
    storage_class: StorageClass | str | None = None,
    acl: Literal["default", "private", "public-read"] | None = None,
    grant_read: str | None = None,
    grant_read_acp: str | None = None,
    grant_write_acp: str | None = None,
    grant_full_control: str | None = None,
    tagging: Mapping[str, str] | None = None,
    sse: Literal["AES256", "cos/kms"] | None = None,
    sse_kms_key_id: str | None = None,
    sse_kms_context: str | None = None,
) -> None:
    """The object options, as every writing method spells them (a template, never called)."""


def read_condition_parameters(
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: DateLike | None = None,
    if_unmodified_since: DateLike | None = None,
) -> None:
    """The read conditions, as every reading method spells them (a template, never called)."""


def _template(fn: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(fn).parameters)


_WRITE_PARAMETERS = _template(write_option_parameters)
_READ_PARAMETERS = _template(read_condition_parameters)


def _takes(template: dict[str, inspect.Parameter], what: str) -> Callable[[F], F]:
    def check(fn: F) -> F:
        params = inspect.signature(fn).parameters
        for name, expected in template.items():
            got = params.get(name)
            if got is None or (got.kind, got.default, got.annotation) != (
                expected.kind,
                expected.default,
                expected.annotation,
            ):
                raise TypeError(
                    f"{fn.__qualname__} must take the {what} {name}: {expected.annotation} = "
                    f"{expected.default!r} (keyword-only), as {_template_name(template)} spells it"
                )
        return fn

    return check


def _template_name(template: dict[str, inspect.Parameter]) -> str:
    return (
        "write_option_parameters" if template is _WRITE_PARAMETERS else "read_condition_parameters"
    )


#: Decorator: the method takes every object option exactly as :func:`write_option_parameters`
#: spells it (checked when the class is defined: a drifted signature does not import).
takes_write_options = _takes(_WRITE_PARAMETERS, "object option")
#: Decorator: the same for the read conditions of :func:`read_condition_parameters`.
takes_read_conditions = _takes(_READ_PARAMETERS, "read condition")


# --- converters and validators ----------------------------------------------------------------


def _single_line(header: str) -> Callable[[Any, Any, str | None], None]:
    def check(_inst: Any, _attr: Any, value: str | None) -> None:
        if value is not None:
            check_single_line(header, value)

    return check


def _to_storage_class(value: StorageClass | str | None) -> StorageClass | None:
    if value is None or isinstance(value, StorageClass):
        return value
    try:
        return StorageClass(value.upper() if isinstance(value, str) else value)
    except ValueError:
        raise InvalidArgument(
            f"unknown storage_class {value!r}; one of {', '.join(s.value for s in StorageClass)}"
        ) from None


def _to_metadata(metadata: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """User metadata as ``(x-cos-meta-<name>, value)`` header pairs, checked."""
    if not metadata:
        return ()
    if not isinstance(metadata, Mapping):
        raise InvalidArgument(f"metadata must be a mapping of str to str, got {metadata!r}")
    headers: dict[str, str] = {}
    total = 0
    for name, value in metadata.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidArgument(f"metadata names and values must be strings: {name!r}={value!r}")
        full = name if name.lower().startswith("x-cos-meta-") else f"x-cos-meta-{name}"
        short = full[len("x-cos-meta-") :]
        if not short or not _META_NAME_RE.match(short):
            raise InvalidArgument(f"metadata name {name!r} is not a valid header token")
        if "\r" in value or "\n" in value:
            raise InvalidArgument(f"metadata value for {name!r} contains a line break")
        if value != value.strip():
            raise InvalidArgument(
                f"metadata value for {name!r} has leading/trailing whitespace (HTTP would drop it)"
            )
        headers[full.lower()] = value
        total += len(full) + len(value.encode("utf-8"))
    if total > _limits.MAX_METADATA_BYTES:
        raise InvalidArgument(
            f"metadata is {total} bytes; COS allows at most {_limits.MAX_METADATA_BYTES}"
        )
    return tuple(headers.items())


def _to_tags(tagging: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return check_tags(tagging) if tagging else ()


def _to_expires(value: DateLike | None) -> str | None:
    return None if value is None else http_date(value, "expires")


def _to_if_modified_since(value: DateLike | None) -> str | None:
    return None if value is None else http_date(value, "if_modified_since")


def _to_if_unmodified_since(value: DateLike | None) -> str | None:
    return None if value is None else http_date(value, "if_unmodified_since")


def _check_grant(_inst: Any, attr: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _GRANT_RE.fullmatch(value)):
        raise InvalidArgument(
            f"{attr.name if attr.name.startswith('grant_') else 'grant_' + attr.name} must look "
            f'like id="<uin>" (comma-separated), got {value!r}'
        )


def _check_acl(allowed: tuple[str, ...]) -> Callable[[Any, Any, str | None], None]:
    def check(_inst: Any, _attr: Any, value: str | None) -> None:
        if value is not None and value not in allowed:
            raise InvalidArgument(f"acl must be one of {', '.join(allowed)}, got {value!r}")

    return check


# --- grants -----------------------------------------------------------------------------------


def _add_grants(
    headers: dict[str, str],
    acl: str | None,
    read: str | None,
    write: str | None,
    read_acp: str | None,
    write_acp: str | None,
    full_control: str | None,
) -> None:
    """The ``x-cos-acl`` / ``x-cos-grant-*`` headers of checked values (both bundles' builder)."""
    if acl is not None:
        headers["x-cos-acl"] = acl
    for name, value in (
        ("x-cos-grant-read", read),
        ("x-cos-grant-write", write),
        ("x-cos-grant-read-acp", read_acp),
        ("x-cos-grant-write-acp", write_acp),
        ("x-cos-grant-full-control", full_control),
    ):
        if value is not None:
            headers[name] = value


@attrs.frozen(kw_only=True)
class Grants:
    """A canned ACL and ``x-cos-grant-*`` headers (``id="qcs::cam::uin/<uin>:uin/<uin>"``,
    comma-separated). ``allowed`` are the canned ACLs of the resource (object or bucket)."""

    allowed: tuple[str, ...] = attrs.field(default=_limits.OBJECT_ACLS, repr=False)
    acl: str | None = attrs.field(default=None)
    read: str | None = attrs.field(default=None, validator=_check_grant)
    write: str | None = attrs.field(default=None, validator=_check_grant)
    read_acp: str | None = attrs.field(default=None, validator=_check_grant)
    write_acp: str | None = attrs.field(default=None, validator=_check_grant)
    full_control: str | None = attrs.field(default=None, validator=_check_grant)

    @acl.validator
    def _check_canned(self, attr: attrs.Attribute[str | None], value: str | None) -> None:
        _check_acl(self.allowed)(self, attr, value)

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        _add_grants(
            headers,
            self.acl,
            self.read,
            self.write,
            self.read_acp,
            self.write_acp,
            self.full_control,
        )
        return headers

    def __bool__(self) -> bool:
        return bool(self.headers())


# --- server-side encryption -------------------------------------------------------------------


def sse_customer_headers(key: bytes | None, prefix: str = SSE_CUSTOMER) -> dict[str, str]:
    """The SSE-C headers of a 32-byte key (``prefix`` selects the copy-source variant)."""
    if key is None:
        return {}
    if not isinstance(key, bytes) or len(key) != 32:
        raise InvalidArgument("an SSE-C key must be 32 bytes (AES-256)")
    return {
        prefix + "algorithm": "AES256",
        prefix + "key": base64.b64encode(key).decode(),
        prefix + "key-MD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def _check_sse_key(_inst: Any, _attr: Any, value: bytes | None) -> None:
    sse_customer_headers(value)


# --- the bundles ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WriteOptions:
    """What describes a stored object; built from the keyword arguments of every writing method
    (:func:`write_option_parameters`). ``metadata`` and ``tagging`` are kept as checked pairs."""

    content_type: str | None = attrs.field(default=None, validator=_single_line("Content-Type"))
    content_disposition: str | None = attrs.field(
        default=None, validator=_single_line("Content-Disposition")
    )
    content_encoding: str | None = attrs.field(
        default=None, validator=_single_line("Content-Encoding")
    )
    content_language: str | None = attrs.field(
        default=None, validator=_single_line("Content-Language")
    )
    cache_control: str | None = attrs.field(default=None, validator=_single_line("Cache-Control"))
    expires: str | None = attrs.field(default=None, converter=_to_expires)
    metadata: tuple[tuple[str, str], ...] = attrs.field(default=None, converter=_to_metadata)
    storage_class: StorageClass | None = attrs.field(default=None, converter=_to_storage_class)
    acl: Literal["default", "private", "public-read"] | None = attrs.field(
        default=None, validator=_check_acl(_limits.OBJECT_ACLS)
    )
    grant_read: str | None = attrs.field(default=None, validator=_check_grant)
    grant_read_acp: str | None = attrs.field(default=None, validator=_check_grant)
    grant_write_acp: str | None = attrs.field(default=None, validator=_check_grant)
    grant_full_control: str | None = attrs.field(default=None, validator=_check_grant)
    tagging: tuple[tuple[str, str], ...] = attrs.field(default=None, converter=_to_tags)
    sse: Literal["AES256", "cos/kms"] | None = None
    sse_kms_key_id: str | None = attrs.field(default=None, validator=_single_line("sse_kms_key_id"))
    sse_kms_context: str | None = attrs.field(
        default=None, validator=_single_line("sse_kms_context")
    )

    def __attrs_post_init__(self) -> None:
        if self.sse is not None and self.sse not in ("AES256", "cos/kms"):
            raise InvalidArgument(
                f"sse must be 'AES256' (SSE-COS) or 'cos/kms' (SSE-KMS), got {self.sse!r}"
            )
        if (
            self.sse_kms_key_id is not None or self.sse_kms_context is not None
        ) and self.sse != "cos/kms":
            raise InvalidArgument("sse_kms_key_id / sse_kms_context need sse='cos/kms'")

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any]) -> WriteOptions:
        """The bundle of a call's arguments (``locals()`` of a method decorated with
        :func:`takes_write_options`), picked by the template's names."""
        values = {name: arguments[name] for name in _WRITE_PARAMETERS}
        if all(v is None for v in values.values()):
            return _NO_WRITE_OPTIONS  # the common case, without building (and checking) anew
        return cls(**values)

    @property
    def describes_content(self) -> bool:
        """Whether content headers or metadata are set (what a copy may only *replace*)."""
        return bool(
            self.content_type is not None
            or self.content_disposition is not None
            or self.content_encoding is not None
            or self.content_language is not None
            or self.cache_control is not None
            or self.expires is not None
            or self.metadata
        )

    def headers(self, key: str | None) -> dict[str, str]:
        """The request headers; without a ``content_type``, one guessed from ``key`` (none when
        ``key`` is ``None``: a copy that keeps the source's)."""
        headers: dict[str, str] = {}
        content_type = self.content_type
        if content_type is None and key is not None:
            content_type = guess_content_type(key)
        for name, value in (
            ("Content-Type", content_type),
            ("Content-Disposition", self.content_disposition),
            ("Content-Encoding", self.content_encoding),
            ("Content-Language", self.content_language),
            ("Cache-Control", self.cache_control),
            ("Expires", self.expires),
        ):
            if value is not None:
                headers[name] = value
        headers.update(self.metadata)
        if self.storage_class is not None:
            headers["x-cos-storage-class"] = self.storage_class.value
        _add_grants(
            headers,
            self.acl,
            self.grant_read,
            None,  # objects have no write grant
            self.grant_read_acp,
            self.grant_write_acp,
            self.grant_full_control,
        )
        if self.tagging:
            headers["x-cos-tagging"] = "&".join(
                f"{_quote_tag(k)}={_quote_tag(v)}" for k, v in self.tagging
            )
        if self.sse is not None:
            headers["x-cos-server-side-encryption"] = self.sse
        if self.sse_kms_key_id is not None:
            headers["x-cos-server-side-encryption-cos-kms-key-id"] = self.sse_kms_key_id
        if self.sse_kms_context is not None:
            headers["x-cos-server-side-encryption-context"] = self.sse_kms_context
        return headers

    def digest(self) -> str:
        """A stable digest of the options (for checkpoints: a resumed upload continues only with
        the same options)."""
        fields = attrs.asdict(self, recurse=False)
        text = json.dumps(fields, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


_NO_WRITE_OPTIONS = WriteOptions()


def _quote_tag(text: str) -> str:
    return quote(text, safe="")


def _check_traffic_limit(_inst: Any, _attr: Any, value: int | None) -> None:
    if value is not None and (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not _limits.TRAFFIC_LIMIT_MIN <= value <= _limits.TRAFFIC_LIMIT_MAX
    ):
        raise InvalidArgument(
            f"traffic_limit must be {_limits.TRAFFIC_LIMIT_MIN}..{_limits.TRAFFIC_LIMIT_MAX} "
            f"bit/s, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class PartOptions:
    """What every data request of one object carries: a PUT, each part of a multipart upload,
    each ranged GET of a download."""

    traffic_limit: int | None = attrs.field(default=None, validator=_check_traffic_limit)
    sse_customer_key: bytes | None = attrs.field(default=None, repr=False, validator=_check_sse_key)

    def headers(self) -> dict[str, str]:
        headers = sse_customer_headers(self.sse_customer_key)
        if self.traffic_limit is not None:
            headers["x-cos-traffic-limit"] = str(self.traffic_limit)
        return headers

    def digest(self) -> str | None:
        """What a checkpoint records of the SSE-C key: its SHA-256, never the key."""
        if self.sse_customer_key is None:
            return None
        return hashlib.sha256(self.sse_customer_key).hexdigest()


@attrs.frozen(kw_only=True)
class ReadConditions:
    """``If-Match`` / ``If-None-Match`` / ``If-Modified-Since`` / ``If-Unmodified-Since``."""

    if_match: str | None = attrs.field(default=None, validator=_single_line("If-Match"))
    if_none_match: str | None = attrs.field(default=None, validator=_single_line("If-None-Match"))
    if_modified_since: str | None = attrs.field(default=None, converter=_to_if_modified_since)
    if_unmodified_since: str | None = attrs.field(default=None, converter=_to_if_unmodified_since)

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any]) -> ReadConditions:
        """The conditions of a call's arguments (see :func:`takes_read_conditions`)."""
        values = {name: arguments[name] for name in _READ_PARAMETERS}
        if all(v is None for v in values.values()):
            return _NO_CONDITIONS
        return cls(**values)

    def _pairs(self) -> list[tuple[str, str | None]]:
        return [
            ("If-Match", self.if_match),
            ("If-None-Match", self.if_none_match),
            ("If-Modified-Since", self.if_modified_since),
            ("If-Unmodified-Since", self.if_unmodified_since),
        ]

    def headers(self) -> dict[str, str]:
        """As conditions of this request."""
        return {name: value for name, value in self._pairs() if value is not None}

    def copy_source_headers(self) -> dict[str, str]:
        """As conditions on a copy's source (``x-cos-copy-source-If-*``)."""
        return {
            f"x-cos-copy-source-{name}": value for name, value in self._pairs() if value is not None
        }


_NO_CONDITIONS = ReadConditions()
#: headers the client sets itself (a copy's source and directive by their own parameters):
#: an extra header cannot override them, or turn a PUT into a copy
_CLIENT_HEADERS = ("authorization", "host", "x-cos-metadata-directive")
_CLIENT_PREFIXES = ("x-cos-copy-source",)


def checked_extra_headers(extra_headers: Mapping[str, str] | None) -> dict[str, str]:
    """The ``extra_headers`` escape hatch: single-line strings, never what the client sets."""
    if not extra_headers:
        return {}
    out: dict[str, str] = {}
    for k, v in extra_headers.items():
        if not isinstance(k, str) or not isinstance(v, str) or "\n" in v or "\r" in v:
            raise InvalidArgument(f"extra_headers must map str to a single-line str: {k!r}={v!r}")
        lowered = k.lower()
        if lowered in _CLIENT_HEADERS or lowered.startswith(_CLIENT_PREFIXES):
            raise InvalidArgument(
                f"extra_headers must not set {k!r}; the client sets it (a copy's source and "
                "metadata directive are parameters of copy_object)"
            )
        out[k] = v
    return out


def _optional_region(_inst: object, _attr: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _REGION_RE.match(value)):
        raise InvalidArgument(f"source_region is not a COS region name: {value!r}")


def _optional_host(_inst: object, _attr: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _HOST_RE.match(value)):
        raise InvalidArgument(f"source_endpoint must be a host name, got {value!r}")


@attrs.frozen(kw_only=True)
class CopySource:
    """The source of a copy (``x-cos-copy-source`` and its SSE-C key)."""

    bucket: str = attrs.field(validator=lambda _i, _a, v: check_bucket(v))
    key: str = attrs.field(validator=lambda _i, _a, v: check_key(v))
    version_id: str | None = attrs.field(default=None, validator=_single_line("source_version_id"))
    sse_customer_key: bytes | None = attrs.field(default=None, repr=False, validator=_check_sse_key)
    #: the source's region, when it is not the client's (a cross-region copy)
    region: str | None = attrs.field(default=None, validator=_optional_region)
    #: the source's endpoint (``cos.<region>.myqcloud.com``, or a private endpoint), when it is
    #: neither the client's nor a region's default
    endpoint: str | None = attrs.field(default=None, validator=_optional_host)

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        headers = {
            "x-cos-copy-source": endpoint.copy_source(
                self.bucket,
                self.key,
                self.version_id,
                region=self.region,
                endpoint=self.endpoint,
            )
        }
        headers.update(sse_customer_headers(self.sse_customer_key, COPY_SOURCE_SSE_CUSTOMER))
        return headers
