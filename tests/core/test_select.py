"""``AsyncCosClient.select_object_content`` against the local COS server (and, for streams the
server never sends, a stub HTTP server on 127.0.0.1): formats, projection, WHERE, LIMIT,
compression, event kinds and sizes, errors COS reports before and inside the stream, corrupt and
truncated streams, and the input checks made before any request."""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import io
import json
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from cos_async import (
    AsyncCosClient,
    CosConfig,
    CosServiceError,
    CosTransportError,
    CSVInput,
    CSVOutput,
    IntegrityError,
    InvalidArgument,
    JSONInput,
    JSONOutput,
    NoSuchBucket,
    NoSuchKey,
    SelectEvent,
    SelectProgress,
    SelectRecords,
    SelectStats,
    SlowDown,
)
from cos_async._eventstream import encode_message
from cos_async.testing import LocalCosServer

PEOPLE = [
    ("name", "age", "city"),
    ("alice", "30", "paris"),
    ("bob", "25", "new york, ny"),
    ("carol", "41", "rome"),
    ("dave", "", 'say "hi"'),
    ("eve", "19", "oslo"),
]


def csv_bytes(rows: list[tuple[str, ...]], *, delimiter: str = ",", newline: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue().encode()


PEOPLE_CSV = csv_bytes(PEOPLE)
PEOPLE_JSON = b"".join(
    json.dumps({"name": n, "age": int(a) if a else None, "home": {"city": c}}).encode() + b"\n"
    for n, a, c in PEOPLE[1:]
)


async def events_of(
    cos: AsyncCosClient, bucket: str, key: str, expression: str, **kwargs: Any
) -> list[SelectEvent]:
    return [e async for e in cos.select_object_content(bucket, key, expression, **kwargs)]


async def collect(stream: AsyncIterator[SelectEvent]) -> tuple[list[SelectEvent], Exception]:
    """The events of ``stream`` up to the exception it must end with."""
    got: list[SelectEvent] = []
    try:
        async for event in stream:
            got.append(event)
    except Exception as exc:
        return got, exc
    raise AssertionError(f"the stream ended without an error after {len(got)} events")


def records(events: list[SelectEvent]) -> bytes:
    return b"".join(e.payload for e in events if isinstance(e, SelectRecords))


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


async def select(cos: AsyncCosClient, bucket: str, key: str, expression: str, **kw: Any) -> bytes:
    return records(await events_of(cos, bucket, key, expression, **kw))


@pytest.fixture
async def people(cos: AsyncCosClient, bucket: str) -> str:
    await cos.put_object(bucket, "people.csv", PEOPLE_CSV)
    await cos.put_object(bucket, "people.jsonl", PEOPLE_JSON)
    return bucket


# --- CSV --------------------------------------------------------------------------------------


async def test_select_star_over_csv_without_header(cos: AsyncCosClient, people: str) -> None:
    out = await select(
        cos, people, "people.csv", "SELECT * FROM COSObject", input_format=CSVInput()
    )
    assert csv_rows(out) == [list(r) for r in PEOPLE]
    assert out == PEOPLE_CSV  # csv.writer quotes as needed, like CSVOutput's ASNEEDED


@pytest.mark.parametrize("header", ["USE", "IGNORE"])
async def test_select_star_over_csv_with_header(
    cos: AsyncCosClient, people: str, header: Any
) -> None:
    out = await select(
        cos,
        people,
        "people.csv",
        "select * from cosobject",
        input_format=CSVInput(file_header_info=header),
    )
    assert csv_rows(out) == [list(r) for r in PEOPLE[1:]]


async def test_projection_by_position_and_by_name(cos: AsyncCosClient, people: str) -> None:
    out = await select(
        cos, people, "people.csv", "SELECT s._1, s._3 FROM COSObject s", input_format=CSVInput()
    )
    assert csv_rows(out) == [[r[0], r[2]] for r in PEOPLE]
    out = await select(
        cos,
        people,
        "people.csv",
        "SELECT s.city, s.NAME, _2 FROM COSObject AS s",
        input_format=CSVInput(file_header_info="USE"),
    )
    assert csv_rows(out) == [[r[2], r[0], r[1]] for r in PEOPLE[1:]]


@pytest.mark.parametrize(
    ("where", "names"),
    [
        ("s.age > 26", ["alice", "carol"]),
        ("s.age >= 30", ["alice", "carol"]),
        ("s.age < 26", ["bob", "eve"]),
        ("s.age <= 25", ["bob", "eve"]),
        ("s.age = 41", ["carol"]),
        ("s.name = 'bob'", ["bob"]),
        ("s.name != 'bob'", ["alice", "carol", "dave", "eve"]),
        ("s.name <> 'bob' AND s.age > 20", ["alice", "carol"]),
        ("s.city = 'rome' OR s.name = 'eve'", ["carol", "eve"]),
        ("NOT (s.age > 20) AND s.age <> ''", ["eve"]),
        ("s.age = ''", ["dave"]),
        ("s.city = 'say \"hi\"'", ["dave"]),
        ("s.name = 'zed'", []),
        ("s.age > 2.5e1", ["alice", "carol"]),
        ("s.age <> '' AND CAST(s.age AS INT) > -1 AND s.name > 'c'", ["carol", "eve"]),
        ("s.age <> '' AND CAST(s.age AS FLOAT) = 30.0", ["alice"]),
    ],
)
async def test_where(cos: AsyncCosClient, people: str, where: str, names: list[str]) -> None:
    out = await select(
        cos,
        people,
        "people.csv",
        f"SELECT s.name FROM COSObject s WHERE {where}",
        input_format=CSVInput(file_header_info="USE"),
    )
    assert [r[0] for r in csv_rows(out)] == names


async def test_limit(cos: AsyncCosClient, people: str) -> None:
    fmt = CSVInput(file_header_info="USE")
    out = await select(
        cos, people, "people.csv", "SELECT * FROM COSObject LIMIT 2", input_format=fmt
    )
    assert csv_rows(out) == [list(r) for r in PEOPLE[1:3]]
    out = await select(
        cos,
        people,
        "people.csv",
        "SELECT s._1 FROM COSObject s WHERE s._2 > 20 LIMIT 2;",
        input_format=fmt,
    )
    assert csv_rows(out) == [["alice"], ["bob"]]
    assert (
        await select(cos, people, "people.csv", "SELECT * FROM COSObject LIMIT 0", input_format=fmt)
        == b""
    )


async def test_custom_delimiters_quotes_and_comments(cos: AsyncCosClient, bucket: str) -> None:
    data = b"# a comment\r\nid;label\r\n1;'semi;colon'\r\n2;'it''s'\r\n#x;y\r\n3;plain\r\n"
    await cos.put_object(bucket, "d.csv", data)
    fmt = CSVInput(
        file_header_info="USE",
        record_delimiter="\r\n",
        field_delimiter=";",
        quote_character="'",
        quote_escape_character="'",
        comments="#",
    )
    out = await select(
        cos,
        bucket,
        "d.csv",
        "SELECT s.label, s.id FROM COSObject s",
        input_format=fmt,
        output_format=CSVOutput(
            field_delimiter="|",
            record_delimiter="\r\n",
            quote_character="'",
            quote_escape_character="\\",
        ),
    )
    assert out == b"semi;colon|1\r\n'it\\'s'|2\r\nplain|3\r\n"


async def test_quoted_record_delimiters(cos: AsyncCosClient, bucket: str) -> None:
    data = b'a,"two\nlines"\nb,one\n'
    await cos.put_object(bucket, "q.csv", data)
    fmt = CSVInput(allow_quoted_record_delimiter=True)
    out = await select(cos, bucket, "q.csv", "SELECT * FROM COSObject", input_format=fmt)
    assert csv_rows(out) == [["a", "two\nlines"], ["b", "one"]]
    out = await select(
        cos,
        bucket,
        "q.csv",
        "SELECT s._2 FROM COSObject s",
        input_format=fmt,
        output_format=JSONOutput(),
    )
    assert [json.loads(line) for line in out.splitlines()] == [{"_2": "two\nlines"}, {"_2": "one"}]


async def test_csv_output_quote_fields_always(cos: AsyncCosClient, people: str) -> None:
    out = await select(
        cos,
        people,
        "people.csv",
        "SELECT s._1, s._2 FROM COSObject s LIMIT 2",
        input_format=CSVInput(),
        output_format=CSVOutput(quote_fields="ALWAYS"),
    )
    assert out == b'"name","age"\n"alice","30"\n'


async def test_csv_to_json_output(cos: AsyncCosClient, people: str) -> None:
    out = await select(
        cos,
        people,
        "people.csv",
        "SELECT * FROM COSObject LIMIT 2",
        input_format=CSVInput(),
        output_format=JSONOutput(record_delimiter=","),
    )
    assert out == b'{"_1":"name","_2":"age","_3":"city"},{"_1":"alice","_2":"30","_3":"paris"},'
    out = await select(
        cos,
        people,
        "people.csv",
        "SELECT * FROM COSObject s WHERE s.name = 'bob'",
        input_format=CSVInput(file_header_info="USE"),
        output_format=JSONOutput(),
    )
    assert json.loads(out) == {"name": "bob", "age": "25", "city": "new york, ny"}


# --- JSON ---------------------------------------------------------------------------------------


async def test_json_lines(cos: AsyncCosClient, people: str) -> None:
    out = await select(
        cos, people, "people.jsonl", "SELECT * FROM COSObject", input_format=JSONInput()
    )
    assert [json.loads(line) for line in out.splitlines()] == [
        json.loads(line) for line in PEOPLE_JSON.splitlines()
    ]
    out = await select(
        cos,
        people,
        "people.jsonl",
        "SELECT s.name, s.home.city FROM COSObject s WHERE s.age >= 25 AND s.age IS NOT NULL",
        input_format=JSONInput(type="LINES"),
    )
    assert [json.loads(line) for line in out.splitlines()] == [
        {"name": "alice", "city": "paris"},
        {"name": "bob", "city": "new york, ny"},
        {"name": "carol", "city": "rome"},
    ]
    out = await select(
        cos,
        people,
        "people.jsonl",
        "SELECT s.name FROM COSObject s WHERE s.age IS NULL",
        input_format=JSONInput(),
        output_format=CSVOutput(),
    )
    assert out == b"dave\n"


async def test_json_document_with_array(cos: AsyncCosClient, bucket: str) -> None:
    doc = {"rows": None}
    items = [{"id": i, "ok": i % 2 == 0} for i in range(6)]
    await cos.put_object(bucket, "doc.json", json.dumps(items, indent=2).encode())
    await cos.put_object(bucket, "docs.json", b'{"id": 1}\n  {"id": 2,\n "x": [1, 2]}')
    out = await select(
        cos,
        bucket,
        "doc.json",
        "SELECT s.id FROM COSObject[*] s WHERE s.ok = true",
        input_format=JSONInput(type="DOCUMENT"),
    )
    assert out == b'{"id":0}\n{"id":2}\n{"id":4}\n'
    out = await select(
        cos,
        bucket,
        "docs.json",
        "SELECT * FROM COSObject",
        input_format=JSONInput(type="DOCUMENT"),
        output_format=CSVOutput(),
    )
    assert out == b'1\n2,"[1,2]"\n'
    assert doc == {"rows": None}


# --- compression --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compression", "compress"),
    [("GZIP", gzip.compress), ("BZIP2", bz2.compress)],
)
async def test_compressed_input(
    cos: AsyncCosClient, bucket: str, compression: Any, compress: Callable[[bytes], bytes]
) -> None:
    rng = random.Random(7)
    rows = [(f"k{i}", str(rng.randint(0, 1000))) for i in range(30000)]
    data = csv_bytes(rows)
    stored = compress(data)
    await cos.put_object(bucket, "big.csv.z", stored)
    events = await events_of(
        cos,
        bucket,
        "big.csv.z",
        "SELECT s._1 FROM COSObject s WHERE s._2 >= 990",
        input_format=CSVInput(),
        compression=compression,
    )
    assert csv_rows(records(events)) == [[k] for k, v in rows if int(v) >= 990]
    [stats] = [e for e in events if isinstance(e, SelectStats)]
    assert stats.bytes_scanned == len(stored)
    assert stats.bytes_processed == len(data)


async def test_multi_member_gzip(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "m.gz", gzip.compress(b"a,1\n") + gzip.compress(b"b,2\n"))
    out = await select(
        cos, bucket, "m.gz", "SELECT * FROM COSObject", input_format=CSVInput(), compression="GZIP"
    )
    assert out == b"a,1\nb,2\n"


async def test_data_that_is_not_gzip_is_an_error(cos: AsyncCosClient, people: str) -> None:
    with pytest.raises(CosServiceError) as info:
        await events_of(
            cos,
            people,
            "people.csv",
            "SELECT * FROM COSObject",
            input_format=CSVInput(),
            compression="GZIP",
        )
    assert info.value.code == "InvalidCompressionFormat"
    assert info.value.status == 400
    # a truncated gzip is found only at the end of the data: after records were sent
    await cos.put_object(people, "cut.gz", gzip.compress(PEOPLE_CSV * 100)[:-10])
    got, error = await collect(
        cos.select_object_content(
            people, "cut.gz", "SELECT * FROM COSObject", input_format=CSVInput(), compression="GZIP"
        )
    )
    assert isinstance(error, CosServiceError)
    assert error.code == "InvalidCompressionFormat"
    assert error.status == 200  # reported inside the stream
    assert "truncated" in error.message
    assert records(got).startswith(PEOPLE_CSV)


# --- events -------------------------------------------------------------------------------------


def _big_csv(n: int) -> tuple[bytes, list[tuple[str, str]]]:
    rows = [(f"id{i:06d}", "x" * (i % 50)) for i in range(n)]
    return csv_bytes(rows), rows


async def test_progress_and_stats(cos: AsyncCosClient, bucket: str) -> None:
    data, _ = _big_csv(60000)
    await cos.put_object(bucket, "big.csv", data)
    events = await events_of(
        cos,
        bucket,
        "big.csv",
        "SELECT s._1 FROM COSObject s",
        input_format=CSVInput(),
        request_progress=True,
    )
    progress = [e for e in events if isinstance(e, SelectProgress)]
    stats = [e for e in events if isinstance(e, SelectStats)]
    assert len(progress) >= 2  # one per MiB of the object read
    assert [p.bytes_scanned for p in progress] == sorted(p.bytes_scanned for p in progress)
    assert progress[-1].bytes_scanned == len(data)
    assert len(stats) == 1
    assert events[-1] == stats[0]
    assert stats[0].bytes_scanned == stats[0].bytes_processed == len(data)
    assert stats[0].bytes_returned == len(records(events))
    assert progress[-1].bytes_returned == stats[0].bytes_returned
    # without request_progress: no Progress events
    events = await events_of(
        cos, bucket, "big.csv", "SELECT s._1 FROM COSObject s LIMIT 3", input_format=CSVInput()
    )
    assert not [e for e in events if isinstance(e, SelectProgress)]
    assert records(events) == b"id000000\nid000001\nid000002\n"
    assert isinstance(events[-1], SelectStats)


async def test_many_records_come_in_several_events(cos: AsyncCosClient, bucket: str) -> None:
    data, rows = _big_csv(20000)
    await cos.put_object(bucket, "big.csv", data)
    events = await events_of(
        cos, bucket, "big.csv", "SELECT * FROM COSObject", input_format=CSVInput()
    )
    chunks = [e.payload for e in events if isinstance(e, SelectRecords)]
    assert len(chunks) > len(data) // (64 * 1024)
    assert all(0 < len(c) <= 64 * 1024 for c in chunks)
    assert all(c.endswith(b"\n") for c in chunks)  # whole records in each event
    assert b"".join(chunks) == data
    assert csv_rows(b"".join(chunks)) == [list(r) for r in rows]


async def test_nothing_matches_in_a_big_object(cos: AsyncCosClient, bucket: str) -> None:
    # the server sends Cont keep-alives meanwhile; they are not yielded
    data, _ = _big_csv(60000)
    await cos.put_object(bucket, "big.csv", data)
    events = await events_of(
        cos,
        bucket,
        "big.csv",
        "SELECT * FROM COSObject s WHERE s._1 = 'nope'",
        input_format=CSVInput(),
    )
    assert events == [
        SelectStats(bytes_scanned=len(data), bytes_processed=len(data), bytes_returned=0)
    ]


async def test_leaving_early_closes_the_stream(cos: AsyncCosClient, bucket: str) -> None:
    data, _ = _big_csv(60000)
    await cos.put_object(bucket, "big.csv", data)
    stream = cos.select_object_content(
        bucket, "big.csv", "SELECT * FROM COSObject", input_format=CSVInput()
    )
    async with contextlib.aclosing(stream):
        async for event in stream:
            assert isinstance(event, SelectRecords)
            break
    # the client still works (the half-read connection was dropped, not reused)
    assert (
        await select(
            cos, bucket, "big.csv", "SELECT * FROM COSObject LIMIT 1", input_format=CSVInput()
        )
        == b"id000000,\n"
    )


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "code", "words"),
    [
        ("SELEC * FROM COSObject", "InvalidExpression", "expected SELECT"),
        ("SELECT * FROM Table1", "InvalidExpression", "COSObject"),
        ("SELECT * FROM COSObject WHERE", "InvalidExpression", "the end of the expression"),
        ("SELECT * FROM COSObject LIMIT x", "InvalidExpression", "LIMIT"),
        ("SELECT * FROM COSObject WHERE s._1 = 'open", "InvalidExpression", "unterminated"),
        ("SELECT s.nope FROM COSObject s", "InvalidExpression", "'nope' is not in the CSV header"),
        ("SELECT COUNT(*) FROM COSObject", "UnsupportedSyntax", "COUNT()"),
        ("SELECT * FROM COSObject s ORDER BY s._1", "UnsupportedSyntax", "ORDER"),
        ("SELECT * FROM COSObject s WHERE s._1 LIKE 'a%'", "UnsupportedSyntax", "LIKE"),
        ("SELECT s._2 + 1 FROM COSObject s", "UnsupportedSyntax", "'+'"),
    ],
)
async def test_bad_expressions(
    cos: AsyncCosClient, people: str, expression: str, code: str, words: str
) -> None:
    with pytest.raises(CosServiceError) as info:
        await events_of(
            cos, people, "people.csv", expression, input_format=CSVInput(file_header_info="USE")
        )
    assert type(info.value) is CosServiceError
    assert info.value.status == 400
    assert info.value.code == code
    assert words in info.value.message
    assert info.value.request_id


async def test_named_columns_need_a_header(cos: AsyncCosClient, people: str) -> None:
    with pytest.raises(CosServiceError, match="FileHeaderInfo is USE") as info:
        await events_of(
            cos, people, "people.csv", "SELECT s.name FROM COSObject s", input_format=CSVInput()
        )
    assert info.value.code == "InvalidExpression"


async def test_a_failed_cast_is_an_error(cos: AsyncCosClient, people: str) -> None:
    with pytest.raises(CosServiceError, match="cannot CAST 'age' AS INT") as info:
        await events_of(
            cos,
            people,
            "people.csv",
            "SELECT * FROM COSObject s WHERE CAST(s._2 AS INT) > 1",
            input_format=CSVInput(),
        )
    assert info.value.code == "CastFailed"


async def test_bad_json_line(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "bad.jsonl", b'{"a": 1}\n{"a": \n')
    with pytest.raises(CosServiceError) as info:
        await events_of(
            cos, bucket, "bad.jsonl", "SELECT * FROM COSObject", input_format=JSONInput()
        )
    assert info.value.code == "JSONParsingError"
    assert "line 2" in info.value.message


async def test_missing_key_and_bucket(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey):
        await events_of(
            cos, bucket, "absent.csv", "SELECT * FROM COSObject", input_format=CSVInput()
        )
    with pytest.raises(NoSuchBucket):
        await events_of(
            cos, "absent-1250000000", "a.csv", "SELECT * FROM COSObject", input_format=CSVInput()
        )


async def test_wrong_keys_are_refused(server: LocalCosServer, people: str) -> None:
    config = CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key="wrong",
        endpoint_url=server.endpoint,
    )
    async with AsyncCosClient(config) as other:
        with pytest.raises(CosServiceError) as info:
            await events_of(
                other, people, "people.csv", "SELECT * FROM COSObject", input_format=CSVInput()
            )
    assert info.value.code == "SignatureDoesNotMatch"


async def test_a_503_before_the_stream_is_retried(
    cos: AsyncCosClient, server: LocalCosServer, people: str
) -> None:
    server.faults.add(action="error", operation="SelectObjectContent", status=503, code="SlowDown")
    out = await select(
        cos, people, "people.csv", "SELECT * FROM COSObject", input_format=CSVInput()
    )
    assert out == PEOPLE_CSV
    assert server.requests.count("SelectObjectContent") == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_format": "CSV"},
        {"input_format": None},
        {"input_format": CSVInput(), "output_format": JSONInput()},
        {"input_format": CSVInput(), "compression": "ZIP"},
        {"input_format": CSVInput(), "compression": "gzip"},
        {"input_format": CSVInput(), "request_progress": "TRUE"},
        {"input_format": CSVInput(), "expression": ""},
        {"input_format": CSVInput(), "expression": "   "},
        {"input_format": CSVInput(), "expression": None},
        {"input_format": CSVInput(), "key": ""},
        {"input_format": CSVInput(), "bucket": "Bad_Bucket"},
        {"input_format": CSVInput(), "extra_headers": {"x-cos-a": "two\nlines"}},
    ],
)
async def test_invalid_arguments_send_nothing(
    cos: AsyncCosClient, server: LocalCosServer, people: str, kwargs: dict[str, Any]
) -> None:
    args = {"bucket": people, "key": "people.csv", "expression": "SELECT * FROM COSObject"}
    args.update(kwargs)
    before = server.requests.count()
    with pytest.raises(InvalidArgument):
        await events_of(cos, args.pop("bucket"), args.pop("key"), args.pop("expression"), **args)
    assert server.requests.count() == before


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda: CSVInput(file_header_info="YES"),
            "CSVInput.file_header_info must be one of NONE, USE, IGNORE, got 'YES'",
        ),
        (
            lambda: CSVInput(field_delimiter=""),
            "CSVInput.field_delimiter must be one character, got ''",
        ),
        (lambda: CSVInput(field_delimiter=";;"), "CSVInput.field_delimiter"),
        (
            lambda: CSVInput(record_delimiter="abc"),
            "CSVInput.record_delimiter must be 1..2 characters",
        ),
        (lambda: CSVInput(quote_character=1), "CSVInput.quote_character"),
        (lambda: CSVInput(comments=""), "CSVInput.comments"),
        (lambda: CSVInput(allow_quoted_record_delimiter="yes"), "allow_quoted_record_delimiter"),
        (lambda: CSVInput(field_delimiter='"'), "field_delimiter and quote_character"),
        (lambda: CSVInput(field_delimiter="\n"), "part of record_delimiter"),
        (
            lambda: JSONInput(type="ARRAY"),
            "JSONInput.type must be one of DOCUMENT, LINES, got 'ARRAY'",
        ),
        (lambda: CSVOutput(quote_fields="NEVER"), "CSVOutput.quote_fields"),
        (lambda: CSVOutput(quote_character=","), "field_delimiter and quote_character"),
        (lambda: JSONOutput(record_delimiter=""), "JSONOutput.record_delimiter"),
    ],
)
def test_invalid_formats(make: Callable[[], object], words: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        make()
    assert words in str(info.value)


def test_formats_are_frozen_values() -> None:
    fmt = CSVInput(file_header_info="USE")
    assert fmt == CSVInput(file_header_info="USE")
    assert hash(fmt) == hash(CSVInput(file_header_info="USE"))
    with pytest.raises(AttributeError):
        fmt.field_delimiter = ";"  # type: ignore[misc]
    with pytest.raises(TypeError):
        CSVInput("USE")  # type: ignore[misc]  # keyword-only


# --- broken streams -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_bytes", "words"), [(2, "prelude CRC32"), (40, "message CRC32"), (300, "CRC32")]
)
async def test_a_corrupted_stream_is_an_integrity_error(
    cos: AsyncCosClient, server: LocalCosServer, people: str, after_bytes: int, words: str
) -> None:
    data, _ = _big_csv(20000)
    await cos.put_object(people, "big.csv", data)
    server.faults.add(action="corrupt", operation="SelectObjectContent", after_bytes=after_bytes)
    with pytest.raises(IntegrityError, match=words):
        await events_of(cos, people, "big.csv", "SELECT * FROM COSObject", input_format=CSVInput())
    # the next select is fine
    assert (
        await select(cos, people, "people.csv", "SELECT * FROM COSObject", input_format=CSVInput())
        == PEOPLE_CSV
    )


async def test_a_cut_connection_is_a_transport_error(
    cos: AsyncCosClient, server: LocalCosServer, people: str
) -> None:
    data, _ = _big_csv(20000)
    await cos.put_object(people, "big.csv", data)
    server.faults.add(action="truncate", operation="SelectObjectContent", after_bytes=70000)
    got, error = await collect(
        cos.select_object_content(
            people, "big.csv", "SELECT * FROM COSObject", input_format=CSVInput()
        )
    )
    assert isinstance(error, CosTransportError)
    assert got  # what arrived whole was delivered
    assert data.startswith(records(got))


@contextlib.asynccontextmanager
async def stub_server(body: bytes) -> AsyncIterator[AsyncCosClient]:
    """A bare HTTP server answering every request 200 with ``body`` (Content-Length set, so the
    HTTP layer sees a complete answer), and a client for it."""

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(
            body=body, headers={"x-cos-request-id": "stub-rid", "x-cos-trace-id": "stub-trace"}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        sockets = getattr(site._server, "sockets", None) or []
        endpoint = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        config = CosConfig(
            region="ap-guangzhou", secret_id="id", secret_key="k", endpoint_url=endpoint
        )
        async with AsyncCosClient(config) as client:
            yield client
    finally:
        await runner.cleanup()


def ev(kind: str, payload: bytes = b"") -> bytes:
    return encode_message({":event-type": kind, ":message-type": "event"}, payload)


STATS = b"<Stats><BytesScanned>9</BytesScanned><BytesProcessed>9</BytesProcessed><BytesReturned>4</BytesReturned></Stats>"


async def stub_events(body: bytes) -> tuple[list[SelectEvent], BaseException | None]:
    got: list[SelectEvent] = []
    async with stub_server(body) as client:
        try:
            async for event in client.select_object_content(
                "b-1250000000", "k", "SELECT * FROM COSObject", input_format=CSVInput()
            ):
                got.append(event)
        except Exception as exc:
            return got, exc
    return got, None


async def test_stub_good_stream() -> None:
    body = (
        ev("Records", b"a,b\n")
        + ev("Cont")
        + ev("Records", b"c,d\n")
        + ev("Stats", STATS)
        + ev("End")
    )
    got, error = await stub_events(body)
    assert error is None
    assert got == [
        SelectRecords(b"a,b\n"),
        SelectRecords(b"c,d\n"),
        SelectStats(bytes_scanned=9, bytes_processed=9, bytes_returned=4),
    ]


async def test_stub_stream_without_end() -> None:
    got, error = await stub_events(ev("Records", b"a,b\n") + ev("Stats", STATS))
    assert isinstance(error, IntegrityError)
    assert "without an End event" in str(error)
    assert got == [
        SelectRecords(b"a,b\n"),
        SelectStats(bytes_scanned=9, bytes_processed=9, bytes_returned=4),
    ]


async def test_stub_stream_cut_inside_a_message() -> None:
    whole = ev("Records", b"a,b\n") + ev("End")
    got, error = await stub_events(whole[:-3])
    assert isinstance(error, IntegrityError)
    assert "ended inside message 2" in str(error)
    assert got == [SelectRecords(b"a,b\n")]


async def test_stub_stream_with_a_bad_crc() -> None:
    body = bytearray(ev("Records", b"a,b\n") + ev("Records", b"c,d\n") + ev("End"))
    body[len(ev("Records", b"a,b\n")) + 14] ^= 0x01  # a header byte of the second message
    got, error = await stub_events(bytes(body))
    assert isinstance(error, IntegrityError)
    assert "message 2" in str(error)
    assert "message CRC32 mismatch" in str(error)
    assert got == [SelectRecords(b"a,b\n")]


async def test_stub_not_an_event_stream() -> None:
    got, error = await stub_events(b"<html>proxy says hello</html>" * 3)
    assert isinstance(error, IntegrityError)
    assert got == []


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("SlowDown", SlowDown),
        ("NoSuchKey", NoSuchKey),
        ("CastFailed", CosServiceError),
        ("", CosServiceError),
    ],
)
async def test_stub_error_message_in_the_stream(code: str, cls: type[CosServiceError]) -> None:
    error = encode_message(
        {":error-code": code, ":error-message": "it broke", ":message-type": "error"}
    )
    got, exc = await stub_events(ev("Records", b"a,b\n") + error + ev("End"))
    assert type(exc) is cls
    assert isinstance(exc, CosServiceError)
    assert exc.code == (code or "SelectError")
    assert exc.message == "it broke"
    assert exc.status == 200
    assert exc.request_id == "stub-rid"
    assert exc.trace_id == "stub-trace"
    assert (exc.method, exc.bucket, exc.key) == ("POST", "b-1250000000", "k")
    assert got == [SelectRecords(b"a,b\n")]


async def test_stub_messages_after_end_are_ignored() -> None:
    got, error = await stub_events(ev("Records", b"a\n") + ev("End") + ev("Records", b"late\n"))
    assert error is None
    assert got == [SelectRecords(b"a\n")]
