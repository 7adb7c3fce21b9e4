"""SELECT Object Content for the local COS server: the ``SelectRequest`` document, a small SQL
subset, its evaluation over CSV / JSON objects, and the answer as an encoded event stream.

Pure (no sockets): :func:`parse_select_request` checks the document and the expression;
:class:`SelectEngine` is fed the object's bytes chunk by chunk and returns encoded event stream
messages; :func:`select_stream` drives it over an async iterator of chunks (in a worker thread
for big chunks, so the server's loop is not held up by a large object).

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
"""

from __future__ import annotations

import asyncio
import bz2
import codecs
import json
import math
import re
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Literal

import attrs

from cos_async._eventstream import encode_message
from cos_async._xml import XMLError, parse, text_of

from ._documents import DocumentError

__all__ = [
    "RECORDS_EVENT_SIZE",
    "SelectEngine",
    "SelectRequest",
    "error_message",
    "parse_select_request",
    "select_stream",
]

#: Records events carry whole records, at most this many bytes each (unless one record is bigger)
RECORDS_EVENT_SIZE = 64 * 1024
#: chunks bigger than this are evaluated in a worker thread
_INLINE_LIMIT = 64 * 1024


def _fail(code: str, message: str) -> DocumentError:
    return DocumentError(code, message, 400)


# --- the request ----------------------------------------------------------------------------


@attrs.frozen
class CsvIn:
    header: str = "NONE"  # NONE, USE or IGNORE
    record_delimiter: str = "\n"
    field_delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    comments: str | None = None
    allow_quoted_record_delimiter: bool = False


@attrs.frozen
class JsonIn:
    type: str = "LINES"  # DOCUMENT or LINES


@attrs.frozen
class CsvOut:
    always_quote: bool = False
    record_delimiter: str = "\n"
    field_delimiter: str = ","
    quote: str = '"'
    escape: str = '"'


@attrs.frozen
class JsonOut:
    record_delimiter: str = "\n"


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
        raise _fail("MalformedXML", f"<{name}> must hold elements")
    return value


def _text(doc: Mapping[str, Any], name: str, default: str) -> str:
    if name not in doc:
        return default
    return text_of(doc.get(name))


def _choice(doc: Mapping[str, Any], where: str, name: str, default: str, allowed: set[str]) -> str:
    value = _text(doc, name, default).strip().upper() or default
    if value not in allowed:
        raise _fail(
            "InvalidArgument",
            f"{where}.{name} must be one of {', '.join(sorted(allowed))}, got {value!r}",
        )
    return value


def _chars(doc: Mapping[str, Any], where: str, name: str, default: str, max_len: int = 1) -> str:
    value = _text(doc, name, default)
    if not 1 <= len(value) <= max_len:
        raise _fail(
            "InvalidArgument",
            f"{where}.{name} must be 1..{max_len} character(s), got {value!r}",
        )
    return value


def parse_select_request(body: bytes) -> SelectRequest:
    """The checked request (:class:`DocumentError` names what is wrong)."""
    try:
        root = parse(body).get("SelectRequest")
    except XMLError as exc:
        raise _fail("MalformedXML", str(exc)) from exc
    if not isinstance(root, Mapping):
        raise _fail("MalformedXML", "expected a <SelectRequest> document")
    expression = _text(root, "Expression", "")
    if not expression.strip():
        raise _fail("InvalidExpression", "the Expression is empty")
    kind = _text(root, "ExpressionType", "").strip()
    if kind.upper() != "SQL":
        raise _fail("InvalidExpressionType", f"ExpressionType must be SQL, got {kind!r}")
    source = _section(root, "InputSerialization")
    target = _section(root, "OutputSerialization")
    if source is None or target is None:
        raise _fail(
            "MalformedXML", "a SelectRequest needs InputSerialization and OutputSerialization"
        )
    compression = _text(source, "CompressionType", "NONE").strip().upper() or "NONE"
    if compression not in ("NONE", "GZIP", "BZIP2"):
        raise _fail(
            "InvalidCompressionFormat",
            f"CompressionType must be NONE, GZIP or BZIP2, got {compression!r}",
        )
    csv_in, json_in = _section(source, "CSV"), _section(source, "JSON")
    if "CSV" in source and csv_in is None:
        csv_in = {}
    if "JSON" in source and json_in is None:
        json_in = {}
    if (csv_in is None) == (json_in is None):
        raise _fail("InvalidArgument", "InputSerialization needs exactly one of CSV or JSON")
    fmt_in: CsvIn | JsonIn
    if csv_in is not None:
        w = "InputSerialization.CSV"
        comments = _text(csv_in, "Comments", "")
        if len(comments) > 1:
            raise _fail("InvalidArgument", f"{w}.Comments must be one character, got {comments!r}")
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
        raise _fail("InvalidArgument", "OutputSerialization needs exactly one of CSV or JSON")
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
    _check_query(query, fmt_in)
    return SelectRequest(
        query=query,
        compression=compression,
        input=fmt_in,
        output=fmt_out,
        progress=enabled == "TRUE",
    )


def _check_delimiters(where: str, record: str, field: str, quote: str) -> None:
    if field == quote or field in record or quote in record:
        raise _fail(
            "InvalidArgument",
            f"{where}: FieldDelimiter {field!r}, QuoteCharacter {quote!r} and "
            f"RecordDelimiter {record!r} must not overlap",
        )


# --- the SQL subset: tokens ---------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<str>'(?:[^']|'')*')
  | (?P<qid>"(?:[^"]|"")*")
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><>|!=|<=|>=|\|\||[=<>*,.()\[\];+\-/%])
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "LIMIT",
        "AND",
        "OR",
        "NOT",
        "AS",
        "CAST",
        "IS",
        "NULL",
        "TRUE",
        "FALSE",
        "MISSING",
    ]
)
_UNSUPPORTED = frozenset(
    [
        "GROUP",
        "ORDER",
        "BY",
        "HAVING",
        "JOIN",
        "UNION",
        "LIKE",
        "BETWEEN",
        "IN",
        "DISTINCT",
        "OFFSET",
        "CASE",
        "WHEN",
        "EXISTS",
        "INTERSECT",
        "EXCEPT",
        "ALL",
        "ANY",
        "SOME",
        "ESCAPE",
    ]
)
_CAST_TYPES = {
    "INT": "int",
    "INTEGER": "int",
    "BIGINT": "int",
    "FLOAT": "float",
    "DOUBLE": "float",
    "DECIMAL": "float",
    "NUMERIC": "float",
    "STRING": "str",
    "VARCHAR": "str",
    "CHAR": "str",
    "BOOL": "bool",
    "BOOLEAN": "bool",
}
_COMPARISONS = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})


@attrs.frozen
class _Tok:
    kind: str  # num, str, qid, id, op, end
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "id" else ""


def _tokens(expression: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(expression):
        m = _TOKEN.match(expression, pos)
        if m is None:
            ch = expression[pos]
            if ch in "'\"":
                raise _fail("InvalidExpression", f"unterminated quote at character {pos + 1}")
            raise _fail("InvalidExpression", f"unexpected character {ch!r} at character {pos + 1}")
        kind = m.lastgroup
        assert kind is not None
        if kind != "space":
            out.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(_Tok("end", "", len(expression)))
    return out


# --- the SQL subset: syntax tree ----------------------------------------------------------


@attrs.frozen
class Column:
    path: tuple[str, ...]
    quoted: tuple[bool, ...]


@attrs.frozen
class Const:
    value: Any


@attrs.frozen
class Cast:
    operand: Operand
    type: str


Operand = Column | Const | Cast


@attrs.frozen
class Compare:
    left: Operand
    op: str
    right: Operand


@attrs.frozen
class IsNull:
    operand: Operand
    negate: bool


@attrs.frozen
class Truth:
    operand: Operand


@attrs.frozen
class Logic:
    op: Literal["AND", "OR"]
    items: tuple[Condition, ...]


@attrs.frozen
class Not:
    item: Condition


Condition = Compare | IsNull | Truth | Logic | Not


@attrs.frozen
class Query:
    #: ``None`` for ``SELECT *``; else (operand, output name or None)
    items: tuple[tuple[Operand, str | None], ...] | None
    where: Condition | None
    limit: int | None
    #: ``FROM COSObject[*]``: top-level arrays are expanded into records
    unnest: bool


class _Parser:
    def __init__(self, expression: str) -> None:
        self.toks = _tokens(expression)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, expected: str) -> DocumentError:
        tok = self.tok
        got = "the end of the expression" if tok.kind == "end" else repr(tok.text)
        if tok.upper in _UNSUPPORTED:
            return _fail(
                "UnsupportedSyntax",
                f"{tok.upper} (at character {tok.pos + 1}) is not supported by the local COS server",
            )
        if tok.kind == "op" and tok.text in ("+", "-", "/", "%", "||"):
            return _fail(
                "UnsupportedSyntax",
                f"the operator {tok.text!r} (at character {tok.pos + 1}) is not supported "
                "by the local COS server",
            )
        return _fail(
            "InvalidExpression", f"expected {expected} at character {tok.pos + 1}, got {got}"
        )

    def keyword(self, word: str) -> bool:
        if self.tok.upper == word:
            self.i += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.error(word)

    def op(self, text: str) -> bool:
        if self.tok.kind == "op" and self.tok.text == text:
            self.i += 1
            return True
        return False

    def expect_op(self, text: str) -> None:
        if not self.op(text):
            raise self.error(repr(text))

    def name(self, what: str, *, field: bool = False) -> tuple[str, bool]:
        """An identifier (``field``: after a '.', where even keywords are names)."""
        tok = self.tok
        if tok.kind == "id" and (field or tok.upper not in _KEYWORDS | _UNSUPPORTED):
            self.i += 1
            return tok.text, False
        if tok.kind == "qid":
            self.i += 1
            return tok.text[1:-1].replace('""', '"'), True
        raise self.error(what)

    def query(self) -> tuple[Query, str | None]:
        self.expect_keyword("SELECT")
        items: list[tuple[Operand, str | None]] | None = None
        if not self.op("*"):
            items = []
            while True:
                operand = self.operand()
                label = self.name("a name after AS")[0] if self.keyword("AS") else None
                items.append((operand, label))
                if not self.op(","):
                    break
        self.expect_keyword("FROM")
        tok = self.tok
        if tok.kind != "id" or tok.upper != "COSOBJECT":
            raise self.error("COSObject")
        self.i += 1
        unnest = False
        if self.op("["):
            self.expect_op("*")
            self.expect_op("]")
            unnest = True
        alias: str | None = None
        if self.keyword("AS") or (
            self.tok.kind == "id" and self.tok.upper not in _KEYWORDS | _UNSUPPORTED
        ):
            alias = self.name("a table alias")[0]
        where = self.condition() if self.keyword("WHERE") else None
        limit: int | None = None
        if self.keyword("LIMIT"):
            tok = self.tok
            if tok.kind != "num" or not tok.text.isdigit():
                raise self.error("a whole number after LIMIT")
            self.i += 1
            limit = int(tok.text)
        self.op(";")
        if self.tok.kind != "end":
            raise self.error("the end of the expression")
        return Query(
            items=tuple(items) if items is not None else None,
            where=where,
            limit=limit,
            unnest=unnest,
        ), alias

    def condition(self) -> Condition:
        items = [self.conjunction()]
        while self.keyword("OR"):
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Logic("OR", tuple(items))

    def conjunction(self) -> Condition:
        items = [self.negation()]
        while self.keyword("AND"):
            items.append(self.negation())
        return items[0] if len(items) == 1 else Logic("AND", tuple(items))

    def negation(self) -> Condition:
        if self.keyword("NOT"):
            return Not(self.negation())
        if self.op("("):
            inner = self.condition()
            self.expect_op(")")
            return inner
        left = self.operand()
        if self.keyword("IS"):
            negate = self.keyword("NOT")
            if not (self.keyword("NULL") or self.keyword("MISSING")):
                raise self.error("NULL after IS")
            return IsNull(left, negate)
        tok = self.tok
        if tok.kind == "op" and tok.text in _COMPARISONS:
            self.i += 1
            return Compare(left, "!=" if tok.text == "<>" else tok.text, self.operand())
        return Truth(left)

    def operand(self) -> Operand:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            return Const(_number(tok.text))
        if tok.kind == "op" and tok.text == "-" and self.toks[self.i + 1].kind == "num":
            self.i += 2
            return Const(-_number(self.toks[self.i - 1].text))
        if tok.kind == "str":
            self.i += 1
            return Const(tok.text[1:-1].replace("''", "'"))
        if tok.upper in ("TRUE", "FALSE"):
            self.i += 1
            return Const(tok.upper == "TRUE")
        if tok.upper in ("NULL", "MISSING"):
            self.i += 1
            return Const(None)
        if tok.upper == "CAST":
            self.i += 1
            self.expect_op("(")
            inner = self.operand()
            self.expect_keyword("AS")
            type_tok = self.tok
            if type_tok.upper not in _CAST_TYPES:
                raise self.error(f"a type ({', '.join(sorted(_CAST_TYPES))})")
            self.i += 1
            self.expect_op(")")
            return Cast(inner, _CAST_TYPES[type_tok.upper])
        if tok.kind == "id" and self.toks[self.i + 1].text == "(":
            raise _fail(
                "UnsupportedSyntax",
                f"the function {tok.text}() (at character {tok.pos + 1}) is not supported by "
                "the local COS server",
            )
        if tok.kind in ("id", "qid") and tok.upper not in _KEYWORDS:
            names = [self.name("a column")]
            while self.op("."):
                names.append(self.name("a column name after '.'", field=True))
            return Column(tuple(n for n, _ in names), tuple(q for _, q in names))
        raise self.error("a column, a literal or CAST")


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def parse_query(expression: str) -> Query:
    """Parse an expression of the subset (alias prefixes removed from the columns)."""
    query, alias = _Parser(expression).query()
    prefixes = {"cosobject"} | ({alias.lower()} if alias else set())

    def strip(operand: Operand) -> Operand:
        if isinstance(operand, Cast):
            return Cast(strip(operand.operand), operand.type)
        if isinstance(operand, Column) and operand.path[0].lower() in prefixes:
            if operand.quoted[0] and alias is not None and operand.path[0] != alias:
                return operand
            return Column(operand.path[1:], operand.quoted[1:])
        return operand

    def strip_condition(cond: Condition) -> Condition:
        if isinstance(cond, Compare):
            return Compare(strip(cond.left), cond.op, strip(cond.right))
        if isinstance(cond, IsNull):
            return IsNull(strip(cond.operand), cond.negate)
        if isinstance(cond, Truth):
            return Truth(strip(cond.operand))
        if isinstance(cond, Not):
            return Not(strip_condition(cond.item))
        return Logic(cond.op, tuple(strip_condition(c) for c in cond.items))

    items = query.items
    if items is not None:
        items = tuple((strip(o), name) for o, name in items)
    where = strip_condition(query.where) if query.where is not None else None
    return attrs.evolve(query, items=items, where=where)


def _columns(query: Query) -> Iterator[Column]:
    def walk(node: Any) -> Iterator[Column]:
        if isinstance(node, Column):
            yield node
        elif isinstance(node, Cast):
            yield from walk(node.operand)
        elif isinstance(node, Compare):
            yield from walk(node.left)
            yield from walk(node.right)
        elif isinstance(node, IsNull | Truth):
            yield from walk(node.operand)
        elif isinstance(node, Not):
            yield from walk(node.item)
        elif isinstance(node, Logic):
            for item in node.items:
                yield from walk(item)

    for operand, _ in query.items or ():
        yield from walk(operand)
    if query.where is not None:
        yield from walk(query.where)


_POSITIONAL = re.compile(r"^_([1-9][0-9]*)$")


def _check_query(query: Query, fmt: CsvIn | JsonIn) -> None:
    """What can be refused before reading the object."""
    if not isinstance(fmt, CsvIn):
        return
    if query.unnest:
        raise _fail("UnsupportedSyntax", "COSObject[*] applies to JSON input only")
    for col in _columns(query):
        if not col.path:
            raise _fail("UnsupportedSyntax", "a CSV row cannot be selected as one value; use *")
        if len(col.path) > 1:
            raise _fail("InvalidExpression", f"CSV columns have no fields: {'.'.join(col.path)!r}")
        if not _POSITIONAL.match(col.path[0]) and fmt.header != "USE":
            raise _fail(
                "InvalidExpression",
                f"column {col.path[0]!r} is a name: CSV columns are _1, _2... unless "
                "FileHeaderInfo is USE",
            )


# --- evaluation ---------------------------------------------------------------------------


class _Missing:
    """An absent value (a column beyond the end of a row, a JSON field that is not there)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
Getter = Callable[[Any], Any]


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return number if math.isfinite(number) else None
    return None


def _cast(value: Any, kind: str) -> Any:
    if value is None or value is MISSING:
        return value
    try:
        if kind == "str":
            if isinstance(value, bool):
                return "true" if value else "false"
            return value if isinstance(value, str) else json.dumps(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "false"):
                return text == "true"
            raise ValueError(value)
        number = _as_number(value)
        if number is None:
            raise ValueError(value)
        if kind == "int":
            if isinstance(number, float) and not number.is_integer() and isinstance(value, str):
                raise ValueError(value)  # "2.5" is not an INT (2.5 from JSON truncates)
            return int(number)
        return float(number)
    except (ValueError, OverflowError):
        raise _fail("CastFailed", f"cannot CAST {value!r} AS {kind.upper()}") from None


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None or right is None or left is MISSING or right is MISSING:
        return False
    a, b = left, right
    if isinstance(a, bool) or isinstance(b, bool):
        if not (isinstance(a, bool) and isinstance(b, bool)):
            return op == "!="
    elif isinstance(a, int | float) or isinstance(b, int | float):
        na, nb = _as_number(a), _as_number(b)
        if na is None or nb is None:
            return op == "!="
        a, b = na, nb
    elif not (isinstance(a, str) and isinstance(b, str)):
        if op in ("=", "!="):
            return bool(a == b) == (op == "=")
        return False
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if isinstance(a, bool):
        return False
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


class _Plan:
    """The query compiled against one input format (and CSV header)."""

    def __init__(self, query: Query, fmt: CsvIn | JsonIn, header: list[str] | None) -> None:
        self.csv = isinstance(fmt, CsvIn)
        self.header = (
            header if self.csv and isinstance(fmt, CsvIn) and fmt.header == "USE" else None
        )
        self.where = self._condition(query.where) if query.where is not None else None
        self.items: list[tuple[str, Getter]] | None = None
        if query.items is not None:
            self.items = []
            for n, (operand, alias) in enumerate(query.items, 1):
                if alias is not None:
                    name = alias
                elif isinstance(operand, Column) and operand.path:
                    name = operand.path[-1]
                else:
                    name = f"_{n}"
                self.items.append((name, self._operand(operand)))

    def _column(self, col: Column) -> Getter:
        if not col.path:
            return lambda record: record
        if self.csv:
            name = col.path[0]
            m = _POSITIONAL.match(name)
            if m is not None and not col.quoted[0]:
                index = int(m.group(1)) - 1
            else:
                header = self.header or []
                if name in header:
                    index = header.index(name)
                else:
                    folded = [h.lower() for h in header]
                    if col.quoted[0] or name.lower() not in folded:
                        raise _fail(
                            "InvalidExpression",
                            f"column {name!r} is not in the CSV header "
                            f"({', '.join(repr(h) for h in header)})",
                        )
                    index = folded.index(name.lower())
            return lambda row: row[index] if index < len(row) else MISSING
        path = col.path

        def field(record: Any) -> Any:
            value = record
            for name in path:
                if not isinstance(value, dict) or name not in value:
                    return MISSING
                value = value[name]
            return value

        return field

    def _operand(self, operand: Operand) -> Getter:
        if isinstance(operand, Const):
            value = operand.value
            return lambda _record: value
        if isinstance(operand, Cast):
            inner, kind = self._operand(operand.operand), operand.type
            return lambda record: _cast(inner(record), kind)
        return self._column(operand)

    def _condition(self, cond: Condition) -> Callable[[Any], bool]:
        if isinstance(cond, Compare):
            left, right, op = self._operand(cond.left), self._operand(cond.right), cond.op
            return lambda r: _compare(left(r), op, right(r))
        if isinstance(cond, IsNull):
            get, negate = self._operand(cond.operand), cond.negate
            return lambda r: (get(r) in (None, MISSING)) != negate
        if isinstance(cond, Truth):
            get = self._operand(cond.operand)
            return lambda r: get(r) is True or (isinstance(get(r), str) and get(r) == "true")
        if isinstance(cond, Not):
            inner = self._condition(cond.item)
            return lambda r: not inner(r)
        parts = [self._condition(c) for c in cond.items]
        if cond.op == "AND":
            return lambda r: all(p(r) for p in parts)
        return lambda r: any(p(r) for p in parts)

    def project(self, record: Any) -> list[tuple[str, Any]]:
        if self.items is not None:
            return [(name, get(record)) for name, get in self.items]
        if self.csv:
            header = self.header or []
            return [
                (header[i] if i < len(header) else f"_{i + 1}", value)
                for i, value in enumerate(record)
            ]
        if isinstance(record, dict):
            return list(record.items())
        return [("_1", record)]


# --- input readers ------------------------------------------------------------------------


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
        self.pending = rest
        rows: list[list[str]] = []
        for line in lines:
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
        while True:
            if not in_quotes:
                iq, ir = data.find(q, pos), data.find(rd, pos)
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


def _json_error(where: str, exc: json.JSONDecodeError) -> DocumentError:
    return _fail("JSONParsingError", f"{where}: {exc.msg} (line {exc.lineno} column {exc.colno})")


class _JsonLinesReader:
    def __init__(self) -> None:
        self.pending = ""
        self.line = 0

    def feed(self, text: str, final: bool) -> list[Any]:
        lines = (self.pending + text).split("\n")
        self.pending = "" if final else lines.pop()
        records: list[Any] = []
        for line in lines:
            self.line += 1
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise _json_error(f"JSON line {self.line}", exc) from None
        return records


class _JsonDocumentReader:
    """JSON values one after the other (any size): parsed at the end."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def feed(self, text: str, final: bool) -> list[Any]:
        self.parts.append(text)
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
            except json.JSONDecodeError as exc:
                raise _json_error("JSON document", exc) from None
            records.append(value)


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
    """Runs one request: :meth:`feed` the object's (stored) bytes, then :meth:`finish`. Both
    return encoded event stream messages; :attr:`done` turns true once LIMIT is reached (the
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
        self._progress_sent: tuple[int, int, int] | None = None
        self._inflater: Any = None
        self._inflater_fed = False
        self._new_inflater()
        fmt = request.input
        self._reader: _CsvReader | _JsonLinesReader | _JsonDocumentReader
        if isinstance(fmt, CsvIn):
            self._reader = _CsvReader(fmt)
        elif fmt.type == "LINES":
            self._reader = _JsonLinesReader()
        else:
            self._reader = _JsonDocumentReader()
        self._plan: _Plan | None = None
        # with a CSV header line, the plan is made once that line is read
        if not (isinstance(fmt, CsvIn) and fmt.header in ("USE", "IGNORE")):
            self._plan = _Plan(request.query, fmt, None)

    # -- input

    def _new_inflater(self) -> None:
        kind = self.request.compression
        if kind == "GZIP":
            self._inflater = zlib.decompressobj(31)
        elif kind == "BZIP2":
            self._inflater = bz2.BZ2Decompressor()
        self._inflater_fed = False

    def _inflate(self, data: bytes) -> bytes:
        if self._inflater is None:
            return data
        out: list[bytes] = []
        kind = self.request.compression
        while data:
            try:
                out.append(self._inflater.decompress(data))
            except (zlib.error, OSError, EOFError) as exc:
                raise _fail(
                    "InvalidCompressionFormat", f"the object is not valid {kind} data: {exc}"
                ) from None
            self._inflater_fed = True
            if self._inflater.eof:  # the next member / stream follows, if anything
                data = self._inflater.unused_data
                self._new_inflater()
            else:
                data = b""
        return b"".join(out)

    def _decode(self, raw: bytes, final: bool) -> str:
        try:
            text = self._text.decode(raw, final)
        except UnicodeDecodeError as exc:
            raise _fail(
                "InvalidTextEncoding", f"the object is not UTF-8 text ({exc.reason})"
            ) from None
        if self._first_text and text:
            self._first_text = False
            text = text.removeprefix("\ufeff")
        return text

    def _consume(self, raw: bytes, final: bool) -> None:
        text = self._decode(raw, final)
        records = self._reader.feed(text, final)
        if self.done:
            return
        for record in records:
            if self._plan is None:  # the CSV header line
                self._plan = _Plan(self.request.query, self.request.input, record)
                continue
            if self._record(record):
                return

    def _record(self, record: Any) -> bool:
        """Evaluate one record; True once LIMIT is reached."""
        if self.request.query.unnest and isinstance(record, list):
            return any(self._record_one(item) for item in record)
        return self._record_one(record)

    def _record_one(self, record: Any) -> bool:
        plan = self._plan
        assert plan is not None
        if plan.where is None or plan.where(record):
            self._out.append(self._format(plan.project(record)))
            self.count += 1
            limit = self.request.query.limit
            self.done = limit is not None and self.count >= limit
        return self.done

    def _format(self, fields: list[tuple[str, Any]]) -> bytes:
        out = self.request.output
        if isinstance(out, JsonOut):
            obj = {name: value for name, value in fields if value is not MISSING}
            text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            return (text + out.record_delimiter).encode("utf-8")
        q, esc, fd, rd = out.quote, out.escape, out.field_delimiter, out.record_delimiter
        cells = []
        for _, value in fields:
            text = _csv_text(value)
            if out.always_quote or any(s in text for s in (fd, q, rd, "\n", "\r")):
                text = q + text.replace(q, esc + q) + q
            cells.append(text)
        return (fd.join(cells) + rd).encode("utf-8")

    # -- output

    def _records_events(self) -> list[bytes]:
        events: list[bytes] = []
        batch: list[bytes] = []
        size = 0
        for rec in self._out:
            if batch and size + len(rec) > RECORDS_EVENT_SIZE:
                events.append(self._records(batch))
                batch, size = [], 0
            batch.append(rec)
            size += len(rec)
        if batch:
            events.append(self._records(batch))
        self._out = []
        return events

    def _records(self, batch: list[bytes]) -> bytes:
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

    def feed(self, data: bytes) -> list[bytes]:
        """Evaluate the next bytes of the stored object."""
        if self.done:
            return []
        self.scanned += len(data)
        raw = self._inflate(data)
        self.processed += len(raw)
        self._consume(raw, final=False)
        events = self._records_events()
        events += self._progress()
        if not events:
            events.append(_event("Cont"))  # keep-alive while nothing matches
        return events

    def finish(self) -> list[bytes]:
        """The object has been read (or LIMIT was reached): the last records, Stats and End."""
        if not self.done:
            if self._inflater is not None and self._inflater_fed:
                raise _fail(
                    "InvalidCompressionFormat",
                    f"the {self.request.compression} data of the object is truncated",
                )
            self._consume(b"", final=True)
        events = self._records_events()
        events += self._progress()
        events.append(self._counters("Stats"))
        events.append(_event("End"))
        return events


async def select_stream(
    request: SelectRequest, chunks: AsyncIterable[bytes | memoryview]
) -> AsyncIterator[bytes]:
    """The encoded answer to ``request`` over the object's ``chunks``.

    An error before the first message is raised (:class:`DocumentError`: the server answers an
    HTTP error); after it, the stream ends with an error message instead.
    """
    engine = SelectEngine(request)
    started = False
    try:
        async for chunk in chunks:
            data = bytes(chunk)
            if len(data) > _INLINE_LIMIT:
                events = await asyncio.to_thread(engine.feed, data)
            else:
                events = engine.feed(data)
            for event in events:
                started = True
                yield event
            if engine.done:
                break
        if engine.processed > _INLINE_LIMIT:  # a JSON document is parsed here, whole
            events = await asyncio.to_thread(engine.finish)
        else:
            events = engine.finish()
        for event in events:
            started = True
            yield event
    except DocumentError as exc:
        if not started:
            raise
        yield error_message(exc.code, exc.message)
