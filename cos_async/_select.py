"""COS Select (SELECT Object Content): input/output formats, the events, the request document.

Pure: no I/O. :meth:`AsyncCosClient.select_object_content` sends the document built by
:func:`select_request` and turns the event stream messages of the answer into events with
:func:`parse_message`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._errors import CosClientError, InvalidArgument
from ._eventstream import Message
from ._xml import XMLError, parse, text_of

__all__ = [
    "COMPRESSION_TYPES",
    "CSVInput",
    "CSVOutput",
    "JSONInput",
    "JSONOutput",
    "SelectControl",
    "SelectEvent",
    "SelectProgress",
    "SelectRecords",
    "SelectStats",
    "parse_message",
    "select_request",
]

COMPRESSION_TYPES = ("NONE", "GZIP", "BZIP2")


# --- validators -------------------------------------------------------------------------------


def _one_of(*allowed: str) -> Any:
    def check(inst: object, attr: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            raise InvalidArgument(
                f"{type(inst).__name__}.{attr.name} must be one of {', '.join(allowed)}, "
                f"got {value!r}"
            )

    return check


def _chars(max_len: int, optional: bool = False) -> Any:
    def check(inst: object, attr: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not 1 <= len(value) <= max_len:
            what = "one character" if max_len == 1 else f"1..{max_len} characters"
            raise InvalidArgument(
                f"{type(inst).__name__}.{attr.name} must be {what}, got {value!r}"
            )

    return check


def _boolean(inst: object, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(
            f"{type(inst).__name__}.{attr.name} must be True or False, got {value!r}"
        )


def _distinct(inst: Any) -> None:
    """The field delimiter, quote character and record delimiter must not overlap."""
    name = type(inst).__name__
    if inst.field_delimiter == inst.quote_character:
        raise InvalidArgument(
            f"{name}: field_delimiter and quote_character are both {inst.field_delimiter!r}"
        )
    for attr in ("field_delimiter", "quote_character"):
        if getattr(inst, attr) in inst.record_delimiter:
            raise InvalidArgument(
                f"{name}: {attr} {getattr(inst, attr)!r} is part of "
                f"record_delimiter {inst.record_delimiter!r}"
            )


# --- formats ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CSVInput:
    """The object is CSV.

    ``file_header_info``: ``"NONE"`` (the first line is data; columns are ``_1``, ``_2``...),
    ``"USE"`` (the first line names the columns, ``s.name`` works too) or ``"IGNORE"`` (the first
    line is skipped). ``record_delimiter`` is 1 or 2 characters (``"\\r\\n"``); the other
    delimiters are one character. ``comments``: lines starting with this character are skipped.
    ``allow_quoted_record_delimiter``: a quoted field may contain the record delimiter.
    """

    file_header_info: Literal["NONE", "USE", "IGNORE"] = attrs.field(
        default="NONE", validator=_one_of("NONE", "USE", "IGNORE")
    )
    record_delimiter: str = attrs.field(default="\n", validator=_chars(2))
    field_delimiter: str = attrs.field(default=",", validator=_chars(1))
    quote_character: str = attrs.field(default='"', validator=_chars(1))
    quote_escape_character: str = attrs.field(default='"', validator=_chars(1))
    comments: str | None = attrs.field(default=None, validator=_chars(1, optional=True))
    allow_quoted_record_delimiter: bool = attrs.field(default=False, validator=_boolean)

    def __attrs_post_init__(self) -> None:
        _distinct(self)

    def _document(self) -> dict[str, str]:
        doc = {
            "FileHeaderInfo": self.file_header_info,
            "RecordDelimiter": self.record_delimiter,
            "FieldDelimiter": self.field_delimiter,
            "QuoteCharacter": self.quote_character,
            "QuoteEscapeCharacter": self.quote_escape_character,
        }
        if self.comments is not None:
            doc["Comments"] = self.comments
        doc["AllowQuotedRecordDelimiter"] = (
            "TRUE" if self.allow_quoted_record_delimiter else "FALSE"
        )
        return doc


@attrs.frozen(kw_only=True)
class JSONInput:
    """The object is JSON: ``"LINES"`` (one JSON value per line) or ``"DOCUMENT"`` (one or more
    JSON values, each of any size)."""

    type: Literal["DOCUMENT", "LINES"] = attrs.field(
        default="LINES", validator=_one_of("DOCUMENT", "LINES")
    )


@attrs.frozen(kw_only=True)
class CSVOutput:
    """Records come back as CSV. ``quote_fields``: ``"ASNEEDED"`` quotes a field only when it
    holds a delimiter or a quote character, ``"ALWAYS"`` quotes every field."""

    quote_fields: Literal["ASNEEDED", "ALWAYS"] = attrs.field(
        default="ASNEEDED", validator=_one_of("ASNEEDED", "ALWAYS")
    )
    record_delimiter: str = attrs.field(default="\n", validator=_chars(2))
    field_delimiter: str = attrs.field(default=",", validator=_chars(1))
    quote_character: str = attrs.field(default='"', validator=_chars(1))
    quote_escape_character: str = attrs.field(default='"', validator=_chars(1))

    def __attrs_post_init__(self) -> None:
        _distinct(self)


@attrs.frozen(kw_only=True)
class JSONOutput:
    """Records come back as JSON values separated by ``record_delimiter`` (1 or 2 characters)."""

    record_delimiter: str = attrs.field(default="\n", validator=_chars(2))


# --- events -----------------------------------------------------------------------------------


@attrs.frozen
class SelectEvent:
    """Base of what ``select_object_content`` yields: :class:`SelectRecords`,
    :class:`SelectProgress` and :class:`SelectStats`."""


def _short_bytes(data: bytes) -> str:
    return repr(data) if len(data) <= 64 else f"{data[:48]!r}... ({len(data)} bytes)"


@attrs.frozen
class SelectRecords(SelectEvent):
    """A piece of the result, in the output format. Concatenate the payloads of all Records
    events for the whole result (COS may cut the result anywhere between events)."""

    payload: bytes = attrs.field(repr=_short_bytes)


@attrs.frozen(kw_only=True)
class SelectProgress(SelectEvent):
    """How far the query has got (only with ``request_progress=True``): bytes of the object
    read, bytes processed after decompression, bytes of result sent so far."""

    bytes_scanned: int
    bytes_processed: int
    bytes_returned: int


@attrs.frozen(kw_only=True)
class SelectStats(SelectEvent):
    """The totals of the query, sent once just before the end of the stream."""

    bytes_scanned: int
    bytes_processed: int
    bytes_returned: int


@attrs.frozen
class SelectControl:
    """A message that is not an event for the caller: ``"cont"`` (keep-alive), ``"end"``, an
    ``"error"`` (with COS's ``code`` and ``message``), or an event type this SDK does not know
    (``"unknown"``, skipped)."""

    kind: Literal["cont", "end", "error", "unknown"]
    code: str = ""
    message: str = ""


# --- the request document and the answer ------------------------------------------------------


def select_request(
    expression: object,
    input_format: object,
    output_format: object,
    compression: object,
    request_progress: object,
) -> dict[str, Any]:
    """The ``SelectRequest`` document (checked: :class:`InvalidArgument` names a bad value)."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidArgument(f"expression must be a non-empty SQL string, got {expression!r}")
    if not isinstance(input_format, CSVInput | JSONInput):
        raise InvalidArgument(
            f"input_format must be a CSVInput or a JSONInput, got {input_format!r}"
        )
    if output_format is None:
        output_format = CSVOutput() if isinstance(input_format, CSVInput) else JSONOutput()
    if not isinstance(output_format, CSVOutput | JSONOutput):
        raise InvalidArgument(
            f"output_format must be a CSVOutput, a JSONOutput or None, got {output_format!r}"
        )
    if compression not in COMPRESSION_TYPES:
        raise InvalidArgument(
            f"compression must be one of {', '.join(COMPRESSION_TYPES)}, got {compression!r}"
        )
    if not isinstance(request_progress, bool):
        raise InvalidArgument(f"request_progress must be True or False, got {request_progress!r}")
    source: dict[str, Any] = {"CompressionType": compression}
    if isinstance(input_format, CSVInput):
        source["CSV"] = input_format._document()
    else:
        source["JSON"] = {"Type": input_format.type}
    target: dict[str, Any]
    if isinstance(output_format, CSVOutput):
        target = {
            "CSV": {
                "QuoteFields": output_format.quote_fields,
                "RecordDelimiter": output_format.record_delimiter,
                "FieldDelimiter": output_format.field_delimiter,
                "QuoteCharacter": output_format.quote_character,
                "QuoteEscapeCharacter": output_format.quote_escape_character,
            }
        }
    else:
        target = {"JSON": {"RecordDelimiter": output_format.record_delimiter}}
    return {
        "Expression": expression,
        "ExpressionType": "SQL",
        "InputSerialization": source,
        "OutputSerialization": target,
        "RequestProgress": {"Enabled": "TRUE" if request_progress else "FALSE"},
    }


def _counters(payload: bytes, root: str) -> dict[str, int]:
    try:
        doc = parse(payload).get(root)
        if not isinstance(doc, Mapping):
            raise XMLError(f"expected a <{root}> document")
        return {
            name: int(text_of(doc.get(tag)) or 0)
            for name, tag in (
                ("bytes_scanned", "BytesScanned"),
                ("bytes_processed", "BytesProcessed"),
                ("bytes_returned", "BytesReturned"),
            )
        }
    except (XMLError, ValueError) as exc:
        raise CosClientError(f"COS sent a malformed {root} event: {exc}") from None


def parse_message(message: Message) -> SelectEvent | SelectControl:
    """The event a message of the select stream carries."""
    kind = message.headers.get(":message-type")
    if kind == "error":
        return SelectControl(
            "error",
            code=str(message.headers.get(":error-code", "")),
            message=str(message.headers.get(":error-message", "")),
        )
    if kind != "event":
        raise CosClientError(f"unexpected event stream message type {kind!r}")
    event = message.headers.get(":event-type")
    if event == "Records":
        return SelectRecords(message.payload)
    if event == "Progress":
        return SelectProgress(**_counters(message.payload, "Progress"))
    if event == "Stats":
        return SelectStats(**_counters(message.payload, "Stats"))
    if event == "Cont":
        return SelectControl("cont")
    if event == "End":
        return SelectControl("end")
    return SelectControl("unknown")
