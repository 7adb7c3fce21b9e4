"""SELECT Object Content in the local COS server: the SelectRequest checks, the SQL subset, the
CSV / JSON readers fed in arbitrary chunks (against ``csv`` / ``json`` as oracles), and the HTTP
answers (raw signed requests, no SDK)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cos_async._eventstream import EventStreamDecoder
from cos_async.testing._documents import DocumentError
from cos_async.testing._select import (
    SelectEngine,
    parse_query,
    parse_select_request,
)
from tests.cos_http import CosHttp


def request_xml(
    expression: str,
    *,
    source: str = "<CSV/>",
    target: str = "<CSV/>",
    compression: str = "NONE",
    progress: str = "FALSE",
    kind: str = "SQL",
) -> bytes:
    expression = expression.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"<SelectRequest><Expression>{expression}</Expression>"
        f"<ExpressionType>{kind}</ExpressionType>"
        f"<InputSerialization><CompressionType>{compression}</CompressionType>{source}"
        f"</InputSerialization><OutputSerialization>{target}</OutputSerialization>"
        f"<RequestProgress><Enabled>{progress}</Enabled></RequestProgress></SelectRequest>"
    ).encode()


def run(xml: bytes, data: bytes, chunks: list[int] | None = None) -> bytes:
    """The records the engine answers, feeding ``data`` cut at ``chunks`` offsets."""
    engine = SelectEngine(parse_select_request(xml))
    out: list[bytes] = []
    prev = 0
    for cut in [*(chunks or []), len(data)]:
        out += engine.feed(data[prev:cut])
        prev = cut
        if engine.done:
            break
    out += engine.finish()
    decoder = EventStreamDecoder()
    messages = decoder.feed(b"".join(out))
    decoder.finish()
    kinds = [m.headers.get(":event-type") for m in messages]
    assert kinds[-2:] == ["Stats", "End"]
    return b"".join(m.payload for m in messages if m.headers.get(":event-type") == "Records")


# --- the request document ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "code", "words"),
    [
        (b"<SelectRequest", "MalformedXML", "malformed"),
        (b"<Other/>", "MalformedXML", "SelectRequest"),
        (request_xml(" "), "InvalidExpression", "empty"),
        (request_xml("SELECT * FROM COSObject", kind="XPATH"), "InvalidExpressionType", "XPATH"),
        (
            request_xml("SELECT * FROM COSObject", compression="ZIP"),
            "InvalidCompressionFormat",
            "ZIP",
        ),
        (
            request_xml("SELECT * FROM COSObject", source="<CSV/><JSON><Type>LINES</Type></JSON>"),
            "InvalidArgument",
            "exactly one of CSV or JSON",
        ),
        (request_xml("SELECT * FROM COSObject", source=""), "InvalidArgument", "exactly one"),
        (
            request_xml("SELECT * FROM COSObject", source="<JSON><Type>ARRAY</Type></JSON>"),
            "InvalidArgument",
            "InputSerialization.JSON.Type must be one of DOCUMENT, LINES, got 'ARRAY'",
        ),
        (
            request_xml(
                "SELECT * FROM COSObject", source="<CSV><FileHeaderInfo>YES</FileHeaderInfo></CSV>"
            ),
            "InvalidArgument",
            "FileHeaderInfo",
        ),
        (
            request_xml(
                "SELECT * FROM COSObject", source="<CSV><FieldDelimiter>;;</FieldDelimiter></CSV>"
            ),
            "InvalidArgument",
            "FieldDelimiter must be 1..1",
        ),
        (
            request_xml(
                "SELECT * FROM COSObject", target="<CSV><QuoteCharacter>,</QuoteCharacter></CSV>"
            ),
            "InvalidArgument",
            "must not overlap",
        ),
        (
            request_xml(
                "SELECT * FROM COSObject", target="<CSV><QuoteFields>NEVER</QuoteFields></CSV>"
            ),
            "InvalidArgument",
            "QuoteFields",
        ),
        (
            request_xml("SELECT * FROM COSObject", progress="MAYBE"),
            "InvalidArgument",
            "RequestProgress.Enabled",
        ),
        (
            b"<SelectRequest><Expression>SELECT * FROM COSObject</Expression>"
            b"<ExpressionType>SQL</ExpressionType></SelectRequest>",
            "MalformedXML",
            "InputSerialization and OutputSerialization",
        ),
        (request_xml("SELECT * FROM COSObject[*]"), "UnsupportedSyntax", "JSON input only"),
        (request_xml("SELECT s.a.b FROM COSObject s"), "InvalidExpression", "no fields"),
        (request_xml("SELECT s FROM COSObject s"), "UnsupportedSyntax", "one value"),
    ],
)
def test_bad_requests(xml: bytes, code: str, words: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse_select_request(xml)
    assert info.value.code == code
    assert info.value.status == 400
    assert words in info.value.message


def test_defaults_and_the_official_sdk_shape() -> None:
    # what the official SDK sends for its documented example: only RecordDelimiter given
    req = parse_select_request(
        request_xml(
            "Select * from COSObject",
            source="<JSON><Type>LINES</Type></JSON>",
            target="<CSV><RecordDelimiter>\n</RecordDelimiter></CSV>",
        )
    )
    assert req.compression == "NONE"
    assert req.progress is False
    assert run(request_xml("SELECT * FROM COSObject"), b"a,b\n") == b"a,b\n"


# --- the SQL subset ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "code", "words"),
    [
        ("SELECT", "InvalidExpression", "expected a column, a literal or CAST"),
        ("SELECT * FROM", "InvalidExpression", "expected COSObject"),
        ("SELECT * FROM COSObject WHERE s._1 = ", "InvalidExpression", "the end of the expression"),
        ("SELECT * FROM COSObject WHERE s._1 = 1 extra", "InvalidExpression", "'extra'"),
        ("SELECT * FROM COSObject WHERE (s._1 = 1", "InvalidExpression", "')'"),
        ("SELECT * FROM COSObject LIMIT 1.5", "InvalidExpression", "LIMIT"),
        ("SELECT * FROM COSObject WHERE s._1 IS 3", "InvalidExpression", "NULL after IS"),
        ("SELECT CAST(s._1 AS DATE) FROM COSObject s", "InvalidExpression", "a type"),
        ("SELECT * FROM COSObject WHERE s._1 = 'a", "InvalidExpression", "unterminated quote"),
        ("SELECT * FROM COSObject WHERE s._1 = #", "InvalidExpression", "'#'"),
        ("SELECT SUM(s._1) FROM COSObject s", "UnsupportedSyntax", "SUM()"),
        ("SELECT * FROM COSObject s GROUP BY s._1", "UnsupportedSyntax", "GROUP"),
        ("SELECT DISTINCT s._1 FROM COSObject s", "UnsupportedSyntax", "DISTINCT"),
        ("SELECT * FROM COSObject s WHERE s._1 IN (1, 2)", "UnsupportedSyntax", "IN"),
        ("SELECT * FROM COSObject s WHERE s._1 || 'x' = 'y'", "UnsupportedSyntax", "'||'"),
    ],
)
def test_bad_expressions(expression: str, code: str, words: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse_query(expression)
    assert info.value.code == code
    assert words in info.value.message


CSV_ROWS = b"1,a,10\n2,b,-3\n3,c,2.5\n4,,x\n5,e,0\n"


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        ("s._3 > 0", "1 3"),
        ("s._3 >= -3", "1 2 3 5"),
        ("s._3 = 2.5", "3"),
        ("s._3 != 10", "2 3 4 5"),  # 'x' is not a number: only != holds
        ("s._3 < 'b'", "1 2 3 5"),  # string comparison
        ("s._2 = ''", "4"),
        ("s._2 IS NULL", ""),  # a CSV field is never NULL ...
        ("s._4 IS NULL", "1 2 3 4 5"),  # ... but a missing column is
        ("s._4 = 1 OR s._4 != 1", ""),  # MISSING compares to nothing
        ("NOT s._1 = 1 AND NOT (s._1 = 2 OR s._1 = 3)", "4 5"),
        ("s._1 = 1 OR s._1 = 2 AND s._2 = 'x'", "1"),  # AND binds tighter
        ("(s._1 = 1 OR s._1 = 2) AND s._2 = 'b'", "2"),
        ("CAST(s._3 AS FLOAT) < 1 AND s._3 <> 'x'", ""),  # evaluated left to right: CAST('x') fails
        ("s._1 = 2 OR CAST(s._3 AS STRING) = '0'", "2 5"),
        ("TRUE", "1 2 3 4 5"),
        ("FALSE", ""),
        ("1 = 1", "1 2 3 4 5"),
        ("s._1 = -2 OR s._3 = -3", "2"),
        ("COSObject._1 = 5", "5"),
    ],
)
def test_where_semantics(where: str, ids: str) -> None:
    xml = request_xml(f"SELECT s._1 FROM COSObject s WHERE {where}")
    if "CAST(s._3 AS FLOAT)" in where:
        with pytest.raises(DocumentError, match="CAST 'x' AS FLOAT"):
            run(xml, CSV_ROWS)
        return
    assert run(xml, CSV_ROWS).decode().split() == ids.split()


def test_projection_names_and_literals() -> None:
    out = run(
        request_xml(
            "SELECT s._2 AS letter, 'k', 7, CAST(s._1 AS INT), s._9 FROM COSObject s LIMIT 2",
            target="<JSON/>",
        ),
        CSV_ROWS,
    )
    assert [json.loads(line) for line in out.splitlines()] == [
        {"letter": "a", "_2": "k", "_3": 7, "_4": 1},
        {"letter": "b", "_2": "k", "_3": 7, "_4": 2},
    ]


def test_json_values() -> None:
    data = (
        b'{"a": 1, "b": {"c": [1, 2]}, "t": true, "n": null, "s": "x,y"}\n'
        b'{"a": 2.5, "t": false}\n'
        b"[1, 2]\n"
        b'"scalar"\n'
    )
    xml = request_xml(
        "SELECT * FROM COSObject", source="<JSON><Type>LINES</Type></JSON>", target="<CSV/>"
    )
    assert run(xml, data) == b'1,"{""c"":[1,2]}",true,,"x,y"\n2.5,false\n"[1,2]"\nscalar\n'
    xml = request_xml(
        "SELECT s.b.c, s.n FROM COSObject s WHERE s.t = true OR s.a > 2",
        source="<JSON><Type>LINES</Type></JSON>",
        target="<JSON/>",
    )
    assert [json.loads(x) for x in run(xml, data).splitlines()] == [{"c": [1, 2], "n": None}, {}]
    xml = request_xml(
        "SELECT s.a FROM COSObject s WHERE s.t", source="<JSON><Type>LINES</Type></JSON>"
    )
    assert run(xml, data) == b"1\n"


# --- readers fed in arbitrary chunks ---------------------------------------------------------

cell = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\x00"), max_size=12
)


@given(
    rows=st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=25),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
@settings(max_examples=150, deadline=None)
def test_csv_reader_against_the_csv_module(
    rows: list[list[str]], cuts: list[int], delimiter: str
) -> None:
    # non-empty rows only: an empty line is no record; a leading byte order mark is no content
    rows = [r for r in rows if r != [""]]
    if rows and rows[0][0].startswith("\ufeff"):
        rows[0][0] = "x" + rows[0][0]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    data = buf.getvalue().encode()
    xml = request_xml(
        "SELECT * FROM COSObject",
        source=(
            f"<CSV><FieldDelimiter>{delimiter}</FieldDelimiter>"
            "<AllowQuotedRecordDelimiter>TRUE</AllowQuotedRecordDelimiter></CSV>"
        ),
        target="<JSON/>",
    )
    out = run(xml, data, sorted(c for c in cuts if c <= len(data)))
    got = [list(json.loads(line).values()) for line in out.decode().split("\n") if line]
    assert got == rows


@given(
    values=st.lists(
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8))),
        max_size=20,
    ),
    cuts=st.lists(st.integers(0, 1500), max_size=12),
    kind=st.sampled_from(["LINES", "DOCUMENT"]),
)
@settings(max_examples=100, deadline=None)
def test_json_readers_in_chunks(values: list[dict[str, Any]], cuts: list[int], kind: str) -> None:
    data = "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values).encode()
    xml = request_xml(
        "SELECT * FROM COSObject", source=f"<JSON><Type>{kind}</Type></JSON>", target="<JSON/>"
    )
    out = run(xml, data, sorted(c for c in cuts if c <= len(data)))
    assert [json.loads(line) for line in out.decode().split("\n") if line] == values


def test_header_bom_comments_and_crlf() -> None:
    data = "\ufeffname,n\r\n#skip,0\r\nÅsa,1\r\n\r\nbo,2\r\n".encode()
    xml = request_xml(
        "SELECT s.name FROM COSObject s WHERE s.n > 0",
        source="<CSV><FileHeaderInfo>USE</FileHeaderInfo><Comments>#</Comments></CSV>",
    )
    for cut in range(len(data) + 1):
        assert run(xml, data, [cut]) == "Åsa\nbo\n".encode(), cut


def test_escape_character_and_always_quote() -> None:
    data = b'"a\\"b",c\n'
    xml = request_xml(
        "SELECT * FROM COSObject",
        source="<CSV><QuoteEscapeCharacter>\\</QuoteEscapeCharacter></CSV>",
        target="<CSV><QuoteFields>ALWAYS</QuoteFields></CSV>",
    )
    assert run(xml, data) == b'"a""b","c"\n'


def test_not_utf8_and_broken_json() -> None:
    with pytest.raises(DocumentError) as info:
        run(request_xml("SELECT * FROM COSObject"), b"a,\xff\n")
    assert info.value.code == "InvalidTextEncoding"
    with pytest.raises(DocumentError) as info:
        run(
            request_xml("SELECT * FROM COSObject", source="<JSON><Type>DOCUMENT</Type></JSON>"),
            b'{"a": 1} {"b": ',
        )
    assert info.value.code == "JSONParsingError"


def test_limit_stops_reading() -> None:
    engine = SelectEngine(parse_select_request(request_xml("SELECT * FROM COSObject LIMIT 1")))
    engine.feed(b"a\nb\n")
    assert engine.done
    assert engine.feed(b"c\n" * 1000) == []
    assert engine.scanned == 4


# --- over HTTP ---------------------------------------------------------------------------------


async def test_http_answer(http: CosHttp, bucket: str) -> None:
    assert (await http.request("PUT", bucket, "a.csv", data=b"x,1\ny,2\n")).status == 200
    reply = await http.request(
        "POST",
        bucket,
        "a.csv",
        params={"select": None, "select-type": "2"},
        data=request_xml("SELECT s._1 FROM COSObject s WHERE s._2 = 2"),
    )
    assert reply.status == 200
    assert reply.headers["x-cos-request-id"]
    decoder = EventStreamDecoder()
    messages = decoder.feed(reply.body)
    decoder.finish()
    assert [m.headers[":event-type"] for m in messages] == ["Records", "Stats", "End"]
    assert messages[0].payload == b"y\n"


async def test_http_errors(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "a.csv", data=b"x,1\n")
    await http.request(
        "PUT", bucket, "cold.csv", data=b"x,1\n", headers={"x-cos-storage-class": "ARCHIVE"}
    )
    good = request_xml("SELECT * FROM COSObject")
    cases = [
        ("a.csv", {"select": None, "select-type": "1"}, good, 400, "InvalidArgument"),
        ("nope.csv", {"select": None, "select-type": "2"}, good, 404, "NoSuchKey"),
        ("cold.csv", {"select": None, "select-type": "2"}, good, 403, "InvalidObjectState"),
        ("a.csv", {"select": None, "select-type": "2"}, b"<x", 400, "MalformedXML"),
        (
            "a.csv",
            {"select": None, "select-type": "2"},
            request_xml("SELECT FROM"),
            400,
            "InvalidExpression",
        ),
    ]
    for key, params, body, status, code in cases:
        reply = await http.request("POST", bucket, key, params=params, data=body)
        assert (reply.status, reply.code) == (status, code), key
    reply = await http.request(
        "POST",
        bucket,
        "a.csv",
        params={"select": None, "select-type": "2"},
        data=good,
        signed=False,
    )
    assert reply.status == 403
