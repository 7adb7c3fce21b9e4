"""The query of SELECT Object Content for the local COS server: the input and output record
formats, a small SQL subset (tokens, syntax tree, parser) and its evaluation over records.

Pure: :func:`parse_query` turns an expression into a :class:`Query` (``InvalidExpression``,
``UnsupportedSyntax`` otherwise); :class:`Plan` compiles a query against an input format into
functions of a record. An expression is at most :data:`MAX_EXPRESSION_BYTES` long and nests
parentheses, ``NOT`` and ``CAST`` at most :data:`MAX_EXPRESSION_DEPTH` deep (the parser and the
tree walks are recursive).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, Literal

import attrs

from ._documents import DocumentError
from ._values import MAX_DIGITS, is_number

__all__ = [
    "MAX_EXPRESSION_BYTES",
    "MAX_EXPRESSION_DEPTH",
    "MISSING",
    "CsvIn",
    "CsvOut",
    "JsonIn",
    "JsonOut",
    "Plan",
    "Query",
    "check_query",
    "fail",
    "parse_query",
]

#: The longest expression (bytes of UTF-8): the limit of S3 Select, whose API COS Select follows.
MAX_EXPRESSION_BYTES = 256 * 1024
#: How deep parentheses, ``NOT`` and ``CAST`` may nest in an expression.
MAX_EXPRESSION_DEPTH = 64


def fail(code: str, message: str) -> DocumentError:
    """A 400 answer (an error message, once the event stream has started)."""
    return DocumentError(code, message, 400)


# --- record formats -------------------------------------------------------------------------


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
    re.VERBOSE | re.ASCII,  # ASCII digits and spaces: int() would take any script's digits
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
                raise fail("InvalidExpression", f"unterminated quote at character {pos + 1}")
            raise fail("InvalidExpression", f"unexpected character {ch!r} at character {pos + 1}")
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
        self.depth = 0  # of parentheses, NOT and CAST around the current token

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_EXPRESSION_DEPTH:
            raise fail(
                "InvalidExpression",
                f"the expression nests parentheses, NOT and CAST deeper than "
                f"{MAX_EXPRESSION_DEPTH} (at character {self.tok.pos + 1})",
            )

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
            return fail(
                "UnsupportedSyntax",
                f"{tok.upper} (at character {tok.pos + 1}) is not supported by the local COS server",
            )
        if tok.kind == "op" and tok.text in ("+", "-", "/", "%", "||"):
            return fail(
                "UnsupportedSyntax",
                f"the operator {tok.text!r} (at character {tok.pos + 1}) is not supported "
                "by the local COS server",
            )
        return fail(
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
            if tok.kind != "num" or not is_number(tok.text):
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
            self.enter()
            negated = Not(self.negation())
            self.depth -= 1
            return negated
        if self.op("("):
            self.enter()
            inner = self.condition()
            self.expect_op(")")
            self.depth -= 1
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
            return Const(_number(tok))
        if tok.kind == "op" and tok.text == "-" and self.toks[self.i + 1].kind == "num":
            self.i += 2
            return Const(-_number(self.toks[self.i - 1]))
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
            self.enter()
            inner = self.operand()
            self.depth -= 1
            self.expect_keyword("AS")
            type_tok = self.tok
            if type_tok.upper not in _CAST_TYPES:
                raise self.error(f"a type ({', '.join(sorted(_CAST_TYPES))})")
            self.i += 1
            self.expect_op(")")
            return Cast(inner, _CAST_TYPES[type_tok.upper])
        if tok.kind == "id" and self.toks[self.i + 1].text == "(":
            raise fail(
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


def _number(tok: _Tok) -> int | float:
    text = tok.text
    if any(c in text for c in ".eE"):
        return float(text)
    if len(text) > MAX_DIGITS:
        raise fail(
            "InvalidExpression",
            f"the number at character {tok.pos + 1} has more than {MAX_DIGITS} digits",
        )
    return int(text)


def parse_query(expression: str) -> Query:
    """Parse an expression of the subset (alias prefixes removed from the columns)."""
    size = len(expression.encode("utf-8", "surrogatepass"))
    if size > MAX_EXPRESSION_BYTES:
        raise fail(
            "InvalidExpression",
            f"the expression is {size} bytes long, more than {MAX_EXPRESSION_BYTES}",
        )
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


_POSITIONAL = re.compile(rf"^_([1-9][0-9]{{0,{MAX_DIGITS - 1}}})$")


def check_query(query: Query, fmt: CsvIn | JsonIn) -> None:
    """What can be refused before reading the object."""
    if not isinstance(fmt, CsvIn):
        return
    if query.unnest:
        raise fail("UnsupportedSyntax", "COSObject[*] applies to JSON input only")
    for col in _columns(query):
        if not col.path:
            raise fail("UnsupportedSyntax", "a CSV row cannot be selected as one value; use *")
        if len(col.path) > 1:
            raise fail("InvalidExpression", f"CSV columns have no fields: {'.'.join(col.path)!r}")
        if not _POSITIONAL.match(col.path[0]) and fmt.header != "USE":
            raise fail(
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
        raise fail("CastFailed", f"cannot CAST {value!r} AS {kind.upper()}") from None


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


class Plan:
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
                        raise fail(
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
