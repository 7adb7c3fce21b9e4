"""Fault injection and the request log of the local COS server.

A :class:`FaultRule` matches requests by operation (an :class:`Operation`, or its COS API name
such as ``"UploadPart"``; an unknown name is refused), bucket, key, part number and method,
skips the first ``nth - 1`` matches, then fires ``times`` times (``times=None``: forever).
Actions:

``error``
    answer ``status`` with a COS error document (``code``, ``message``); ``request_id=False``
    leaves out ``x-cos-request-id`` (what a hijacking proxy does; exercises domain switching).
``error_after_200``
    answer 200, send keep-alive whitespace, then an Error document (COS does this for
    CompleteMultipartUpload and copies that fail late).
``delay``
    wait ``delay`` seconds, then handle the request normally.
``reset``
    reset the TCP connection after ``after_bytes`` bytes of the request body (uploads) or of the
    response body (downloads, and the event stream of SelectObjectContent).
``truncate``
    close the connection after ``after_bytes`` bytes of the response body (a download announces
    the full ``Content-Length``; a select event stream is chunked).
``corrupt``
    flip one byte at offset ``after_bytes``: of the response body for downloads (the CRC64 header
    still describes the good data) and selects (the event stream's CRC32s then fail), or of the
    stored data for uploads (the server then answers with the checksums of what it stored, as if
    the bytes had been damaged on the way).

A ``reset``, ``truncate`` or ``corrupt`` rule fires only when it strikes. Its strike point is
``after_bytes``; when the body is shorter, the strike is at the body's last byte (a download
then arrives without its last byte, or with it flipped; an upload is reset once it has arrived,
or stored with its last byte flipped). A rule that cannot strike at all (an empty body to
truncate or corrupt, a request answered before its body: a 404, a refused signature) does not
fire: the request is neither counted (:meth:`FaultInjector.fired`, ``nth``) nor uses it up, and
its record shows no fault.

Rules are armed from Python (:meth:`FaultInjector.add`) or over HTTP by another process:
``POST /_cos_testing/faults`` with the rule as JSON (see :meth:`FaultRule.from_json`).
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._operations import Operation, operation_named

__all__ = [
    "DEFAULT_REQUEST_LOG_SIZE",
    "FaultAction",
    "FaultInjector",
    "FaultRule",
    "RequestLog",
    "RequestRecord",
]

#: How many requests the request log keeps by default (the most recent ones): a record costs
#: a few hundred bytes, so about 5 MB; 62,000 refused requests grew an unbounded log by 110 MiB.
DEFAULT_REQUEST_LOG_SIZE = 10_000

FaultAction = Literal["error", "error_after_200", "delay", "reset", "truncate", "corrupt"]
_ACTIONS = ("error", "error_after_200", "delay", "reset", "truncate", "corrupt")


def _check_action(_inst: object, _attr: object, value: str) -> None:
    if value not in _ACTIONS:
        raise ValueError(f"unknown fault action {value!r}; expected one of {', '.join(_ACTIONS)}")


def _int_field(minimum: int, optional: bool = False) -> Any:
    def check(_inst: object, attr: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{attr.name} must be an integer >= {minimum}, got {value!r}")

    return check


def _str_field(optional: bool = True) -> Any:
    def check(_inst: object, attr: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise ValueError(f"{attr.name} must be a string, got {value!r}")

    return check


def _check_delay(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 3600:
        raise ValueError(f"delay must be a number of seconds in 0..3600, got {value!r}")


def _check_bool(_inst: object, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{attr.name} must be true or false, got {value!r}")


_O = Operation
#: the operations whose request or response body a ``reset``/``corrupt`` rule can strike
_BODY_OPERATIONS = frozenset(
    {_O.PutObject, _O.UploadPart, _O.AppendObject, _O.GetObject, _O.SelectObjectContent}
)

#: Which operations each action can affect (``None``: every operation). A rule never matches an
#: operation its action cannot affect, so it is neither counted nor used up there.
APPLIES_TO: dict[str, frozenset[Operation] | None] = {
    "error": None,
    "delay": None,
    "error_after_200": frozenset({_O.CompleteMultipartUpload, _O.PutObjectCopy, _O.UploadPartCopy}),
    "reset": _BODY_OPERATIONS,
    "truncate": frozenset({_O.GetObject, _O.SelectObjectContent}),
    "corrupt": _BODY_OPERATIONS,
}


def _optional_operation(value: Operation | str | None) -> Operation | None:
    """The converter of ``FaultRule.operation``: an :class:`Operation` or its name."""
    return None if value is None else operation_named(value)


def _check_status(_inst: object, _attr: object, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise ValueError(f"status must be an HTTP status code (100..599), got {value!r}")


@attrs.frozen(kw_only=True)
class FaultRule:
    """What to break, and for which requests. ``None`` criteria match anything."""

    action: FaultAction = attrs.field(validator=_check_action)
    operation: Operation | None = attrs.field(default=None, converter=_optional_operation)
    bucket: str | None = attrs.field(default=None, validator=_str_field())
    key: str | None = attrs.field(default=None, validator=_str_field())
    part_number: int | None = attrs.field(default=None, validator=_int_field(1, optional=True))
    method: str | None = attrs.field(default=None, validator=_str_field())
    nth: int = attrs.field(default=1, validator=_int_field(1))
    times: int | None = attrs.field(default=1, validator=_int_field(1, optional=True))
    status: int = attrs.field(default=503, validator=_check_status)
    code: str = attrs.field(default="SlowDown", validator=_str_field(optional=False))
    message: str = attrs.field(
        default="Please reduce your request rate.", validator=_str_field(optional=False)
    )
    request_id: bool = attrs.field(default=True, validator=_check_bool)
    delay: float = attrs.field(default=0.0, validator=_check_delay)
    after_bytes: int = attrs.field(default=0, validator=_int_field(0))

    def __attrs_post_init__(self) -> None:
        allowed = APPLIES_TO[self.action]
        if allowed is not None and self.operation is not None and self.operation not in allowed:
            raise ValueError(
                f"action {self.action!r} cannot affect {self.operation.value!r}; "
                f"it applies to {', '.join(sorted(allowed))}"
            )

    def matches(self, record: RequestRecord) -> bool:
        allowed = APPLIES_TO[self.action]
        if allowed is not None and record.operation not in allowed:
            return False
        return (
            (self.operation is None or self.operation == record.operation)
            and (self.bucket is None or self.bucket == record.bucket)
            and (self.key is None or self.key == record.key)
            and (self.part_number is None or self.part_number == record.part_number)
            and (self.method is None or self.method.upper() == record.method)
        )

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["operation"] = None if self.operation is None else self.operation.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        fields = {f.name: f for f in attrs.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(unknown)}")
        return cls(**dict(data))


@attrs.define
class _Armed:
    rule_id: int
    rule: FaultRule
    seen: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.rule.times is not None and self.fired >= self.rule.times


class FaultInjector:
    """The armed rules; thread-safe, so tests may arm rules while the server runs elsewhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Armed] = []
        self._ids = itertools.count(1)

    def add(self, rule: FaultRule | None = None, /, **fields: Any) -> int:
        """Arm a rule (a :class:`FaultRule`, or its fields as keywords); returns its id."""
        if rule is None:
            rule = FaultRule(**fields)
        elif fields:
            raise TypeError("pass either a FaultRule or its fields, not both")
        with self._lock:
            rule_id = next(self._ids)
            self._rules.append(_Armed(rule_id, rule))
            return rule_id

    def remove(self, rule_id: int) -> None:
        with self._lock:
            self._rules = [a for a in self._rules if a.rule_id != rule_id]

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def fired(self, rule_id: int) -> int:
        """How many times the rule has fired so far (0 for an unknown id)."""
        with self._lock:
            for a in self._rules:
                if a.rule_id == rule_id:
                    return a.fired
        return 0

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"id": a.rule_id, "rule": a.rule.to_json(), "seen": a.seen, "fired": a.fired}
                for a in self._rules
            ]

    def pick(self, record: RequestRecord) -> FaultRule | None:
        """The rule to apply to this request, if any (counts the match)."""
        picked = self.pick_with_id(record)
        return picked[1] if picked is not None else None

    def pick_with_id(self, record: RequestRecord) -> tuple[int, FaultRule] | None:
        """The rule to apply to this request and its id, if any (counts the match)."""
        with self._lock:
            for armed in self._rules:
                if armed.exhausted or not armed.rule.matches(record):
                    continue
                armed.seen += 1
                if armed.seen < armed.rule.nth:
                    continue
                armed.fired += 1
                return armed.rule_id, armed.rule
        return None

    def release(self, rule_id: int) -> None:
        """Undo a :meth:`pick` whose rule could not strike (a body too short to corrupt, a
        request answered before its body): the match is neither counted nor used up."""
        with self._lock:
            for armed in self._rules:
                if armed.rule_id == rule_id:
                    armed.fired = max(0, armed.fired - 1)
                    armed.seen = max(0, armed.seen - 1)
                    return


@attrs.define
class RequestRecord:
    """One request as the server saw it."""

    method: str
    operation: Operation
    bucket: str | None
    key: str | None
    part_number: int | None
    time: float = attrs.Factory(time.time)
    status: int | None = None
    fault: str | None = None
    #: the document (XML or JSON) the request carried, when the log keeps documents
    document: bytes | None = attrs.field(default=None, repr=False)
    #: the length of the body of the answer (its Content-Length; 0 for a HEAD): what a read
    #: cost, e.g. to check that a ranged read did not fetch the whole object
    response_bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["operation"] = self.operation.value
        if self.document is not None:
            data["document"] = self.document.decode("utf-8", "replace")
        return data


class RequestLog:
    """The requests the server received, in order (thread-safe): the last ``maxlen`` of them.

    A ring buffer: once ``maxlen`` records are kept, each new one drops the oldest (a server that
    answers millions of requests must not grow without bound); :attr:`dropped` counts them.
    ``maxlen=None`` keeps every record.

    With ``keep_documents`` (off by default: they cost memory), each record also keeps the
    document its request carried (a bucket configuration, an ACL, a tag set, a delete list, a
    completion list...) in :attr:`RequestRecord.document`: what a client under test sent.
    """

    def __init__(
        self, *, keep_documents: bool = False, maxlen: int | None = DEFAULT_REQUEST_LOG_SIZE
    ) -> None:
        if maxlen is not None and (not isinstance(maxlen, int) or maxlen < 1):
            raise ValueError(f"the request log keeps at least 1 record, got maxlen={maxlen!r}")
        self._lock = threading.Lock()
        self._records: collections.deque[RequestRecord] = collections.deque(maxlen=maxlen)
        self.keep_documents = keep_documents
        self.dropped = 0

    @property
    def maxlen(self) -> int | None:
        """How many records are kept (``None``: all)."""
        return self._records.maxlen

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            if len(self._records) == self._records.maxlen:
                self.dropped += 1
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.dropped = 0

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def count(self, operation: Operation | str | None = None, **criteria: Any) -> int:
        """Requests matching an operation and any of the record's fields (``key=...``).

        An operation name that is no :class:`Operation` raises ``ValueError`` (a misspelling
        would otherwise count nothing)."""
        if operation is not None:
            operation = operation_named(operation)
        n = 0
        for r in self.records():
            if operation is not None and r.operation != operation:
                continue
            if all(getattr(r, k) == v for k, v in criteria.items()):
                n += 1
        return n
