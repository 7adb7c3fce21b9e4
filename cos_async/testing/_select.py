"""SELECT Object Content for the local COS server: the ``SelectRequest`` document, the object
read as CSV or JSON records (inflated from GZIP or BZIP2), the query evaluated over them
(``_select_query``), and the answer as an encoded event stream.

Pure (no sockets): :func:`parse_select_request` checks the document and the expression;
:class:`SelectEngine` is pushed the object's bytes and returns encoded event stream messages in
bounded steps; :func:`select_stream` drives it over an async iterator of chunks (heavy steps in
a worker thread, so the server's loop is not held up by a large or compressed object).

The SQL subset::

    SELECT * | item [AS name], ...   item: column | literal | CAST(item AS INT|FLOAT|DECIMAL|STRING|BOOL)
    FROM COSObject[[*]] [[AS] alias]
    [WHERE condition]                 comparisons = != <> < <= > >=, IS [NOT] NULL, AND, OR, NOT, ( )
    [LIMIT n]

Columns are ``alias._N`` (CSV, 1-based position), ``alias.name`` (CSV with FileHeaderInfo USE,
or a JSON field; ``alias.a.b`` for nested JSON), with or without the alias. A CSV value compared
with a number is converted to a number (one that is not a number is only ``!=``). Anything
else (functions, aggregates, arithmetic, LIKE, GROUP BY, ...) answers ``UnsupportedSyntax``;
an expression that does not parse answers ``InvalidExpression``. An error found before any
output answers an HTTP 400 ``<Error>``; one found later (a bad line deep in the object) ends the
stream with an error message, as COS does.

Bounds (a 10 KB BZIP2 object inflates to gigabytes): compressed input is inflated
:data:`INFLATE_SLICE` bytes at a time and at most :data:`MAX_SELECT_INFLATED` bytes in all
(400 ``InvalidArgument`` past that: COS documents no such limit, this is the local server's);
an input or output record is at most :data:`MAX_SELECT_RECORD` characters (400
``OverMaxRecordSize``, S3 Select's code and limit, whose API COS Select follows); a JSON
DOCUMENT object, read whole, at most :data:`MAX_SELECT_DOCUMENT` characters.
"""

from __future__ import annotations

import asyncio
import bz2
import codecs
import json
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Mapping
from typing import Any

import attrs

from cos_async._eventstream import encode_message
from cos_async._xml import XMLError, parse, text_of

from ._documents import DocumentError
from ._select_query import (
    MISSING,
    CsvIn,
    CsvOut,
    JsonIn,
    JsonOut,
    Plan,
    Query,
    check_query,
    fail,
    parse_query,
)

__all__ = [
    "INFLATE_SLICE",
    "MAX_SELECT_DOCUMENT",
    "MAX_SELECT_INFLATED",
    "MAX_SELECT_RECORD",
    "RECORDS_EVENT_SIZE",
    "STEP_OUTPUT",
    "SelectEngine",
    "SelectRequest",
    "error_message",
    "parse_query",
    "parse_select_request",
    "select_stream",
]

#: Records events carry whole records, at most this many bytes each (unless one record is bigger)
RECORDS_EVENT_SIZE = 64 * 1024
#: A step of the engine produces about this many bytes of records at most
STEP_OUTPUT = 16 * RECORDS_EVENT_SIZE
#: Compressed input is inflated this many bytes at a time
INFLATE_SLICE = 256 * 1024
#: The most bytes a GZIP or BZIP2 object is inflated to (its records are evaluated in Python:
#: more would hold a CPU for minutes)
MAX_SELECT_INFLATED = 256 * 1024 * 1024
#: The longest record, read or written (characters): S3 Select's maxCharsPerRecord
MAX_SELECT_RECORD = 1024 * 1024
#: The largest JSON DOCUMENT object (characters), which is parsed whole
MAX_SELECT_DOCUMENT = 16 * 1024 * 1024
#: chunks bigger than this are evaluated in a worker thread
_INLINE_LIMIT = 64 * 1024


# --- the request ----------------------------------------------------------------------------


@attrs.frozen
class SelectRequest:
    """A checked ``SelectRequest``."""

    query: Query
    compression: str  # NONE, GZIP or BZIP2
    input: CsvIn | JsonIn
    output: CsvOut | JsonOut
    progress: bool


def _section(doc: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = doc.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, Mapping):
        raise fail("MalformedXML", f"<{name}> must hold elements")
    return value


def _text(doc: Mapping[str, Any], name: str, default: str) -> str:
    if name not in doc:
        return default
    return text_of(doc.get(name))


def _choice(doc: Mapping[str, Any], where: str, name: str, default: str, allowed: set[str]) -> str:
    value = _text(doc, name, default).strip().upper() or default
    if value not in allowed:
        raise fail(
            "InvalidArgument",
            f"{where}.{name} must be one of {', '.join(sorted(allowed))}, got {value!r}",
        )
    return value


def _chars(doc: Mapping[str, Any], where: str, name: str, default: str, max_len: int = 1) -> str:
    value = _text(doc, name, default)
    if not 1 <= len(value) <= max_len:
        raise fail(
            "InvalidArgument",
            f"{where}.{name} must be 1..{max_len} character(s), got {value!r}",
        )
    return value


def parse_select_request(body: bytes) -> SelectRequest:
    """The checked request (:class:`DocumentError` names what is wrong)."""
    try:
        root = parse(body).get("SelectRequest")
    except XMLError as exc:
        raise fail("MalformedXML", str(exc)) from exc
    if not isinstance(root, Mapping):
        raise fail("MalformedXML", "expected a <SelectRequest> document")
    expression = _text(root, "Expression", "")
    if not expression.strip():
        raise fail("InvalidExpression", "the Expression is empty")
    kind = _text(root, "ExpressionType", "").strip()
    if kind.upper() != "SQL":
        raise fail("InvalidExpressionType", f"ExpressionType must be SQL, got {kind!r}")
    source = _section(root, "InputSerialization")
    target = _section(root, "OutputSerialization")
    if source is None or target is None:
        raise fail(
            "MalformedXML", "a SelectRequest needs InputSerialization and OutputSerialization"
        )
    compression = _text(source, "CompressionType", "NONE").strip().upper() or "NONE"
    if compression not in ("NONE", "GZIP", "BZIP2"):
        raise fail(
            "InvalidCompressionFormat",
            f"CompressionType must be NONE, GZIP or BZIP2, got {compression!r}",
        )
    csv_in, json_in = _section(source, "CSV"), _section(source, "JSON")
    if "CSV" in source and csv_in is None:
        csv_in = {}
    if "JSON" in source and json_in is None:
        json_in = {}
    if (csv_in is None) == (json_in is None):
        raise fail("InvalidArgument", "InputSerialization needs exactly one of CSV or JSON")
    fmt_in: CsvIn | JsonIn
    if csv_in is not None:
        w = "InputSerialization.CSV"
        comments = _text(csv_in, "Comments", "")
        if len(comments) > 1:
            raise fail("InvalidArgument", f"{w}.Comments must be one character, got {comments!r}")
        fmt_in = CsvIn(
            header=_choice(csv_in, w, "FileHeaderInfo", "NONE", {"NONE", "USE", "IGNORE"}),
            record_delimiter=_chars(csv_in, w, "RecordDelimiter", "\n", 2),
            field_delimiter=_chars(csv_in, w, "FieldDelimiter", ","),
            quote=_chars(csv_in, w, "QuoteCharacter", '"'),
            escape=_chars(csv_in, w, "QuoteEscapeCharacter", '"'),
            comments=comments or None,
            allow_quoted_record_delimiter=_choice(
                csv_in, w, "AllowQuotedRecordDelimiter", "FALSE", {"TRUE", "FALSE"}
            )
            == "TRUE",
        )
        _check_delimiters(w, fmt_in.record_delimiter, fmt_in.field_delimiter, fmt_in.quote)
    else:
        assert json_in is not None
        fmt_in = JsonIn(
            type=_choice(json_in, "InputSerialization.JSON", "Type", "", {"DOCUMENT", "LINES"})
        )
    csv_out, json_out = _section(target, "CSV"), _section(target, "JSON")
    if "CSV" in target and csv_out is None:
        csv_out = {}
    if "JSON" in target and json_out is None:
        json_out = {}
    if (csv_out is None) == (json_out is None):
        raise fail("InvalidArgument", "OutputSerialization needs exactly one of CSV or JSON")
    fmt_out: CsvOut | JsonOut
    if csv_out is not None:
        w = "OutputSerialization.CSV"
        fmt_out = CsvOut(
            always_quote=_choice(csv_out, w, "QuoteFields", "ASNEEDED", {"ASNEEDED", "ALWAYS"})
            == "ALWAYS",
            record_delimiter=_chars(csv_out, w, "RecordDelimiter", "\n", 2),
            field_delimiter=_chars(csv_out, w, "FieldDelimiter", ","),
            quote=_chars(csv_out, w, "QuoteCharacter", '"'),
            escape=_chars(csv_out, w, "QuoteEscapeCharacter", '"'),
        )
        _check_delimiters(w, fmt_out.record_delimiter, fmt_out.field_delimiter, fmt_out.quote)
    else:
        assert json_out is not None
        fmt_out = JsonOut(
            record_delimiter=_chars(
                json_out, "OutputSerialization.JSON", "RecordDelimiter", "\n", 2
            )
        )
    progress = _section(root, "RequestProgress") or {}
    enabled = _choice(progress, "RequestProgress", "Enabled", "FALSE", {"TRUE", "FALSE"})
    query = parse_query(expression)
    check_query(query, fmt_in)
    return SelectRequest(
        query=query,
        compression=compression,
        input=fmt_in,
        output=fmt_out,
        progress=enabled == "TRUE",
    )


def _check_delimiters(where: str, record: str, field: str, quote: str) -> None:
    if field == quote or field in record or quote in record:
        raise fail(
            "InvalidArgument",
            f"{where}: FieldDelimiter {field!r}, QuoteCharacter {quote!r} and "
            f"RecordDelimiter {record!r} must not overlap",
        )


# --- input readers ------------------------------------------------------------------------


def _too_long(what: str, size: int) -> DocumentError:
    return fail(
        "OverMaxRecordSize",
        f"{what} is longer than {MAX_SELECT_RECORD} characters ({size}); records are at most "
        f"{MAX_SELECT_RECORD}",
    )


class _CsvReader:
    def __init__(self, fmt: CsvIn) -> None:
        self.fmt = fmt
        self.pending = ""

    def feed(self, text: str, final: bool) -> list[list[str]]:
        fmt = self.fmt
        data = self.pending + text
        rd = fmt.record_delimiter
        if fmt.allow_quoted_record_delimiter and fmt.quote in data:
            lines, rest = self._split_quoted(data)
        else:
            lines = data.split(rd)
            rest = lines.pop()
        if final:
            if rest:
                lines.append(rest)
            rest = ""
        elif len(rest) > MAX_SELECT_RECORD:  # no record delimiter in sight
            raise _too_long("a CSV record", len(rest))
        self.pending = rest
        rows: list[list[str]] = []
        for line in lines:
            if len(line) > MAX_SELECT_RECORD:
                raise _too_long("a CSV record", len(line))
            if rd == "\n" and line.endswith("\r"):
                line = line[:-1]
            if not line or (fmt.comments is not None and line.startswith(fmt.comments)):
                continue
            rows.append(self._fields(line))
        return rows

    def _split_quoted(self, data: str) -> tuple[list[str], str]:
        q, esc, rd = self.fmt.quote, self.fmt.escape, self.fmt.record_delimiter
        lines: list[str] = []
        start = pos = 0
        in_quotes = False
        ir = data.find(rd)  # the next record delimiter at or after pos (searched again only
        # once pos has passed it: searching at every quote would cost the square of a record)
        while True:
            if not in_quotes:
                if ir != -1 and ir < pos:
                    ir = data.find(rd, pos)
                iq = data.find(q, pos)
                if ir != -1 and (iq == -1 or ir < iq):
                    lines.append(data[start:ir])
                    start = pos = ir + len(rd)
                    continue
                if iq == -1:
                    break
                in_quotes, pos = True, iq + 1
            else:
                j = data.find(q, pos)
                if j == -1:
                    break
                if esc != q and j > pos and data[j - 1] == esc:
                    pos = j + 1  # an escaped quote inside the quoted field
                    continue
                in_quotes, pos = False, j + 1
        return lines, data[start:]

    def _fields(self, line: str) -> list[str]:
        fmt = self.fmt
        fd, q, esc = fmt.field_delimiter, fmt.quote, fmt.escape
        if q not in line:
            return line.split(fd)
        fields: list[str] = []
        buf: list[str] = []
        i, n = 0, len(line)
        at_start, in_quotes = True, False
        while i < n:
            c = line[i]
            if in_quotes:
                if c == esc and i + 1 < n and line[i + 1] == q:
                    buf.append(q)
                    i += 2
                    continue
                if c == q:
                    in_quotes = False
                else:
                    buf.append(c)
            elif c == fd:
                fields.append("".join(buf))
                buf, at_start = [], True
                i += 1
                continue
            elif c == q and at_start:
                in_quotes = True
            else:
                buf.append(c)
            at_start = False
            i += 1
        fields.append("".join(buf))
        return fields


def _json_error(where: str, exc: ValueError | RecursionError) -> DocumentError:
    if isinstance(exc, json.JSONDecodeError):
        detail = f"{exc.msg} (line {exc.lineno} column {exc.colno})"
    elif isinstance(exc, RecursionError):
        detail = "nested too deeply"
    else:  # e.g. an integer of more than 4300 digits
        detail = str(exc)
    return fail("JSONParsingError", f"{where}: {detail}")


class _JsonLinesReader:
    def __init__(self) -> None:
        self.pending = ""
        self.line = 0

    def feed(self, text: str, final: bool) -> list[Any]:
        lines = (self.pending + text).split("\n")
        self.pending = "" if final else lines.pop()
        if len(self.pending) > MAX_SELECT_RECORD:
            raise _too_long(f"JSON line {self.line + len(lines) + 1}", len(self.pending))
        records: list[Any] = []
        for line in lines:
            self.line += 1
            if len(line) > MAX_SELECT_RECORD:
                raise _too_long(f"JSON line {self.line}", len(line))
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except (ValueError, RecursionError) as exc:
                raise _json_error(f"JSON line {self.line}", exc) from None
        return records


class _JsonDocumentReader:
    """JSON values one after the other, parsed at the end: at most
    :data:`MAX_SELECT_DOCUMENT` characters in all."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def feed(self, text: str, final: bool) -> list[Any]:
        self.parts.append(text)
        self.size += len(text)
        if self.size > MAX_SELECT_DOCUMENT:
            raise fail(
                "OverMaxRecordSize",
                f"a JSON DOCUMENT object is read whole by the local COS server, at most "
                f"{MAX_SELECT_DOCUMENT} characters (use JSON LINES for more)",
            )
        if not final:
            return []
        data = "".join(self.parts)
        self.parts = []
        decoder = json.JSONDecoder()
        records: list[Any] = []
        pos = 0
        while True:
            while pos < len(data) and data[pos] in " \t\r\n":
                pos += 1
            if pos >= len(data):
                return records
            try:
                value, pos = decoder.raw_decode(data, pos)
            except (ValueError, RecursionError) as exc:
                raise _json_error("JSON document", exc) from None
            records.append(value)


# --- compressed input -----------------------------------------------------------------------


class _Plain:
    """Uncompressed input, handed out in slices of at most ``limit`` bytes."""

    def __init__(self) -> None:
        self._data = b""

    def push(self, data: bytes) -> None:
        self._data = self._data + data if self._data else data

    def pull(self, limit: int) -> bytes:
        out, self._data = self._data[:limit], self._data[limit:]
        return out

    def check_complete(self) -> None:
        pass


class _Inflater:
    """GZIP or BZIP2 input (one or more members/streams), inflated incrementally: a call to
    :meth:`pull` returns at most ``limit`` bytes, however much the input would inflate to."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._in = b""
        self._new()

    def _new(self) -> None:
        self._d: Any = zlib.decompressobj(31) if self.kind == "GZIP" else bz2.BZ2Decompressor()
        self._fed = False  # this member has been given data

    def push(self, data: bytes) -> None:
        self._in = self._in + data if self._in else data

    def pull(self, limit: int) -> bytes:
        while True:
            d = self._d
            pending_output = self.kind == "BZIP2" and not d.needs_input
            if not self._in and not pending_output:
                return b""
            data, self._in = self._in, b""
            try:
                out = d.decompress(data, limit)
            except (zlib.error, OSError, EOFError) as exc:
                raise fail(
                    "InvalidCompressionFormat", f"the object is not valid {self.kind} data: {exc}"
                ) from None
            self._fed = self._fed or bool(data)
            if self.kind == "GZIP":
                self._in = d.unconsumed_tail + self._in
            if d.eof:  # the next member / stream follows, if anything
                self._in = d.unused_data + self._in
                self._new()
            if out:
                return bytes(out)

    def check_complete(self) -> None:
        if self._fed:
            raise fail(
                "InvalidCompressionFormat", f"the {self.kind} data of the object is truncated"
            )


# --- output ---------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    if value is None or value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _event(kind: str, payload: bytes = b"", content_type: str | None = None) -> bytes:
    headers = {":event-type": kind}
    if content_type is not None:
        headers[":content-type"] = content_type
    headers[":message-type"] = "event"
    return encode_message(headers, payload)


def error_message(code: str, message: str) -> bytes:
    """An error message of the event stream."""
    return encode_message(
        {":error-code": code, ":error-message": message[:1000], ":message-type": "error"}
    )


class SelectEngine:
    """Runs one request over the stored object's bytes, producing encoded event stream messages.

    Incremental: :meth:`push` the next bytes, then call :meth:`step` until it answers ``None``
    (each call does a bounded amount of work: at most :data:`INFLATE_SLICE` bytes of inflated
    input and about :data:`STEP_OUTPUT` bytes of records); :meth:`after_chunk` gives the
    Progress / Cont events of a pushed chunk; :meth:`close_input` once the object has been read,
    then :meth:`step` until ``None`` again for the last records, Stats and End. :meth:`feed` and
    :meth:`finish` do all of that at once. :attr:`done` turns true once LIMIT is reached (the
    rest of the object need not be read)."""

    def __init__(self, request: SelectRequest) -> None:
        self.request = request
        self.scanned = 0
        self.processed = 0
        self.returned = 0
        self.count = 0
        self.done = request.query.limit == 0
        self._text = codecs.getincrementaldecoder("utf-8")("strict")
        self._first_text = True
        self._out: list[bytes] = []
        self._out_size = 0
        self._progress_sent: tuple[int, int, int] | None = None
        self._input: _Plain | _Inflater = (
            _Plain() if request.compression == "NONE" else _Inflater(request.compression)
        )
        self._records: Iterator[Any] = iter(())
        self._closed = False
        self._final_read = False
        self._ended = False
        fmt = request.input
        self._reader: _CsvReader | _JsonLinesReader | _JsonDocumentReader
        if isinstance(fmt, CsvIn):
            self._reader = _CsvReader(fmt)
        elif fmt.type == "LINES":
            self._reader = _JsonLinesReader()
        else:
            self._reader = _JsonDocumentReader()
        self._plan: Plan | None = None
        # with a CSV header line, the plan is made once that line is read
        if not (isinstance(fmt, CsvIn) and fmt.header in ("USE", "IGNORE")):
            self._plan = Plan(request.query, fmt, None)

    # -- the incremental interface

    def push(self, data: bytes) -> None:
        """Queue the next bytes of the stored object (ignored once :attr:`done`)."""
        if self.done:
            return
        self.scanned += len(data)
        self._input.push(data)

    def close_input(self) -> None:
        """The whole object has been pushed (or LIMIT was reached)."""
        self._closed = True

    def step(self) -> list[bytes] | None:
        """Do a bounded amount of work and return its events (perhaps none); ``None`` when
        nothing is left to do until more input is pushed, or, after :meth:`close_input`, once
        End has been returned."""
        if self._ended:
            return None
        if not self.done:
            if self._evaluate():
                return self._records_events()
            raw = self._input.pull(INFLATE_SLICE)
            if raw:
                self._read(raw, final=False)
                self._evaluate()
                return self._records_events()
            if not self._closed:
                return None
            if not self._final_read:
                self._input.check_complete()
                self._final_read = True
                self._read(b"", final=True)
                self._evaluate()
                return self._records_events()
        elif not self._closed:
            return None
        self._ended = True
        return [
            *self._records_events(),
            *self._progress(),
            self._counters("Stats"),
            _event("End"),
        ]

    def after_chunk(self, produced: bool) -> list[bytes]:
        """The events that close a pushed chunk's work: Progress (if asked for and anything
        changed), or Cont when the chunk produced nothing (a keep-alive)."""
        events = self._progress()
        if not produced and not events:
            events.append(_event("Cont"))
        return events

    # -- all at once

    def feed(self, data: bytes) -> list[bytes]:
        """Evaluate the next bytes of the stored object (all of them) and return the events."""
        if self.done:
            return []
        self.push(data)
        events = self._drain()
        return events + self.after_chunk(bool(events))

    def finish(self) -> list[bytes]:
        """The object has been read (or LIMIT was reached): the last records, Stats and End."""
        self.close_input()
        return self._drain()

    def _drain(self) -> list[bytes]:
        events: list[bytes] = []
        while (more := self.step()) is not None:
            events += more
        return events

    # -- input

    def _read(self, raw: bytes, final: bool) -> None:
        """Decode and split ``raw`` into records, queued for :meth:`_evaluate`."""
        self.processed += len(raw)
        if self.processed > MAX_SELECT_INFLATED and self.request.compression != "NONE":
            raise fail(
                "InvalidArgument",
                f"the {self.request.compression} object inflates to more than "
                f"{MAX_SELECT_INFLATED} bytes, the most the local COS server reads",
            )
        try:
            text = self._text.decode(raw, final)
        except UnicodeDecodeError as exc:
            raise fail(
                "InvalidTextEncoding", f"the object is not UTF-8 text ({exc.reason})"
            ) from None
        if self._first_text and text:
            self._first_text = False
            text = text.removeprefix("\ufeff")
        records = self._reader.feed(text, final)
        # only called once the queued records are used up (_evaluate answered False)
        self._records = _unnested(records) if self.request.query.unnest else iter(records)

    def _evaluate(self) -> bool:
        """Evaluate queued records until about :data:`STEP_OUTPUT` bytes of output (True) or
        until none is left (False)."""
        plan = self._plan
        query = self.request.query
        for record in self._records:
            if plan is None:  # the CSV header line
                plan = self._plan = Plan(query, self.request.input, record)
                continue
            if plan.where is None or plan.where(record):
                self._out.append(self._format(plan.project(record)))
                self._out_size += len(self._out[-1])
                self.count += 1
                if query.limit is not None and self.count >= query.limit:
                    self.done = True
                    self._records = iter(())
                    return True
                if self._out_size >= STEP_OUTPUT:
                    return True
        return False

    def _format(self, fields: list[tuple[str, Any]]) -> bytes:
        """One output record; ``OverMaxRecordSize`` past :data:`MAX_SELECT_RECORD` (checked as
        it is built, so that a projection repeating a large column does not build it whole)."""
        out = self.request.output
        size = 0
        if isinstance(out, JsonOut):
            obj = {name: value for name, value in fields if value is not MISSING}
            parts = []
            for name, value in obj.items():
                part = _dumps(name) + ":" + _dumps(value)
                size += len(part) + 1
                if size > MAX_SELECT_RECORD:
                    raise _too_long("an output record", size)
                parts.append(part)
            return ("{" + ",".join(parts) + "}" + out.record_delimiter).encode("utf-8")
        q, esc, fd, rd = out.quote, out.escape, out.field_delimiter, out.record_delimiter
        cells = []
        for _, value in fields:
            text = _csv_text(value)
            if out.always_quote or any(s in text for s in (fd, q, rd, "\n", "\r")):
                text = q + text.replace(q, esc + q) + q
            size += len(text) + 1
            if size > MAX_SELECT_RECORD:
                raise _too_long("an output record", size)
            cells.append(text)
        return (fd.join(cells) + rd).encode("utf-8")

    # -- output

    def _records_events(self) -> list[bytes]:
        events: list[bytes] = []
        batch: list[bytes] = []
        size = 0
        for rec in self._out:
            if batch and size + len(rec) > RECORDS_EVENT_SIZE:
                events.append(self._records_event(batch))
                batch, size = [], 0
            batch.append(rec)
            size += len(rec)
        if batch:
            events.append(self._records_event(batch))
        self._out = []
        self._out_size = 0
        return events

    def _records_event(self, batch: list[bytes]) -> bytes:
        payload = b"".join(batch)
        self.returned += len(payload)
        return _event("Records", payload, "application/octet-stream")

    def _progress(self) -> list[bytes]:
        """A Progress event if asked for and something changed since the last one."""
        now = (self.scanned, self.processed, self.returned)
        if not self.request.progress or now == self._progress_sent:
            return []
        self._progress_sent = now
        return [self._counters("Progress")]

    def _counters(self, root: str) -> bytes:
        doc = (
            f"<{root}><BytesScanned>{self.scanned}</BytesScanned>"
            f"<BytesProcessed>{self.processed}</BytesProcessed>"
            f"<BytesReturned>{self.returned}</BytesReturned></{root}>"
        )
        return _event(root, doc.encode(), "text/xml")


def _unnested(records: list[Any]) -> Iterator[Any]:
    """``FROM COSObject[*]``: the items of an array record, other records as they are."""
    for record in records:
        if isinstance(record, list):
            yield from record
        else:
            yield record


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def select_stream(
    request: SelectRequest, chunks: AsyncIterable[bytes | memoryview]
) -> AsyncIterator[bytes]:
    """The encoded answer to ``request`` over the object's ``chunks``.

    The engine's steps run in a worker thread when they may be heavy (compressed input, a JSON
    document, a big chunk), so the server's loop is never held by one; and the answer is
    produced as it is sent, so memory holds a step's output, not the whole answer.
    An error before the first message is raised (:class:`DocumentError`: the server answers an
    HTTP error); after it, the stream ends with an error message instead.
    """
    engine = SelectEngine(request)
    heavy = request.compression != "NONE" or (
        isinstance(request.input, JsonIn) and request.input.type == "DOCUMENT"
    )
    started = False

    async def steps(offload: bool) -> AsyncIterator[bytes]:
        while True:
            events = await asyncio.to_thread(engine.step) if offload else engine.step()
            if events is None:
                return
            for event in events:
                yield event

    try:
        async for chunk in chunks:
            if engine.done:
                break
            data = bytes(chunk)
            engine.push(data)
            produced = False
            async for event in steps(heavy or len(data) > _INLINE_LIMIT):
                started = produced = True
                yield event
            for event in engine.after_chunk(produced):
                started = True
                yield event
        engine.close_input()
        async for event in steps(heavy or engine.processed > _INLINE_LIMIT):
            started = True
            yield event
    except DocumentError as exc:
        if not started:
            raise
        yield error_message(exc.code, exc.message)
