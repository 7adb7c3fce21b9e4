"""The event stream codec (``cos_async._eventstream``) and the select events built on it.

Oracles: byte vectors recorded by an independent implementation (botocore's event stream tests),
the official COS SDK's ``EventStream`` reader decoding what our encoder and our local server's
select engine produce, and ``zlib.crc32`` recomputed here. No sockets.
"""

from __future__ import annotations

import io
import random
import struct
import types
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qcloud_cos.cos_exception import CosServiceError as SdkServiceError
from qcloud_cos.select_event_stream import EventStream as SdkEventStream

from cos_async import (
    CosClientError,
    IntegrityError,
    SelectProgress,
    SelectRecords,
    SelectStats,
)
from cos_async._eventstream import (
    MAX_HEADERS_LENGTH,
    MAX_PAYLOAD_LENGTH,
    EventStreamDecoder,
    Message,
    encode_message,
)
from cos_async._select import SelectControl, parse_message
from cos_async.testing._select import SelectEngine, parse_select_request

# --- recorded vectors -------------------------------------------------------------------------
# From botocore's tests/unit/test_eventstream.py (boto/botocore, commit 5eab6f3bc4d3), an
# independent implementation of the same framing: (bytes, headers, payload).

EMPTY_MESSAGE = (b"\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2H\xeb}\x98\xc8\xff", {}, b"")
INT8_HEADER = (
    b"\x00\x00\x00\x17\x00\x00\x00\x07)\x86\x01X\x04byte\x02\xff\xc2\xf8i\xdc",
    {"byte": -1},
    b"",
)
INT16_HEADER = (
    b"\x00\x00\x00\x19\x00\x00\x00\tq\x0e\x92>\x05short\x03\xff\xff\xb2|\xb6\xcc",
    {"short": -1},
    b"",
)
INT32_HEADER = (
    b"\x00\x00\x00\x1d\x00\x00\x00\r\x83\xe3\xf0\xe7\x07integer\x04\xff\xff\xff\xff\x8b\x8e\x12\xeb",
    {"integer": -1},
    b"",
)
INT64_HEADER = (
    b"\x00\x00\x00\x1e\x00\x00\x00\x0e]J\xdb\x8d\x04long\x05\xff\xff\xff\xff\xff\xff\xff\xffK\xc22\xda",
    {"long": -1},
    b"",
)
PAYLOAD_NO_HEADERS = (
    b"\x00\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'}\xc3e96",
    {},
    b"{'foo':'bar'}",
)
PAYLOAD_ONE_STR_HEADER = (
    b"\x00\x00\x00=\x00\x00\x00 \x07\xfd\x83\x96\x0ccontent-type\x07\x00\x10"
    b"application/json{'foo':'bar'}\x8d\x9c\x08\xb1",
    {"content-type": "application/json"},
    b"{'foo':'bar'}",
)
ALL_HEADERS_TYPES = (
    b"\x00\x00\x00\x62\x00\x00\x00\x52\x03\xb5\xcb\x9c"
    b"\x010\x00\x011\x01\x012\x02\x02\x013\x03\x00\x03"
    b"\x014\x04\x00\x00\x00\x04\x015\x05\x00\x00\x00\x00\x00\x00\x00\x05"
    b"\x016\x06\x00\x05bytes\x017\x07\x00\x04utf8"
    b"\x018\x08\x00\x00\x00\x00\x00\x00\x00\x08\x019\x090123456789abcdef"
    b"\x63\x35\x36\x71",
    {
        "0": True,
        "1": False,
        "2": 2,
        "3": 3,
        "4": 4,
        "5": 5,
        "6": b"bytes",
        "7": "utf8",
        "8": 8,
        "9": b"0123456789abcdef",
    },
    b"",
)
ERROR_EVENT_MESSAGE = (
    b"\x00\x00\x00\x52\x00\x00\x00\x42\xbf\x23\x63\x7e"
    b"\x0d:message-type\x07\x00\x05error"
    b"\x0b:error-code\x07\x00\x04code"
    b"\x0e:error-message\x07\x00\x07message"
    b"\x6b\x6c\xea\x3d",
    {":message-type": "error", ":error-code": "code", ":error-message": "message"},
    b"",
)
POSITIVE = [
    EMPTY_MESSAGE,
    INT8_HEADER,
    INT16_HEADER,
    INT32_HEADER,
    INT64_HEADER,
    PAYLOAD_NO_HEADERS,
    PAYLOAD_ONE_STR_HEADER,
    ALL_HEADERS_TYPES,
    ERROR_EVENT_MESSAGE,
]
#: the vectors with only string headers, which our encoder must reproduce byte for byte
STRING_ONLY = [EMPTY_MESSAGE, PAYLOAD_NO_HEADERS, PAYLOAD_ONE_STR_HEADER, ERROR_EVENT_MESSAGE]

NEGATIVE = {
    "corrupted-length": b"\x01\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'}\xc3e96",
    "corrupted-payload": b"\x00\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'\x8d\xc3e96",
    "corrupted-headers": (
        b"\x00\x00\x00=\x00\x00\x00 \x07\xfd\x83\x96\x0ccontent+type\x07\x00\x10"
        b"application/json{'foo':'bar'}\x8d\x9c\x08\xb1"
    ),
    "corrupted-headers-length": (
        b"\x00\x00\x00=\xff\x00\x01\x02\x07\xfd\x83\x96\x0ccontent-type\x07\x00"
        b"\x10application/json{'foo':'bar'}\x8d\x9c\x08\xb1"
    ),
    "duplicate-header": (
        b"\x00\x00\x00\x24\x00\x00\x00\x14\x4b\xb9\x82\xd0"
        b"\x04test\x04asdf\x04test\x04asdf\xf3\xf4\x75\x63"
    ),
    # checksums right, headers length impossible
    "invalid-headers-length": (
        b"\x00\x00\x00\x3d\xff\x00\x01\x02\x15\x83\xf5\xc2"
        b"\x0ccontent-type\x07\x00\x10application/json{'foo':'bar'}\x2f\x37\x7f\x5d"
    ),
}
#: botocore's "invalid payload length" message: a valid prelude announcing 0x01800021 bytes
HUGE_PAYLOAD_PRELUDE = b"\x01\x80\x00\x21\x00\x00\x00\x00\xdd\x3f\x33\xb1"


def decode_all(data: bytes, chunk: int | None = None) -> list[Message]:
    decoder = EventStreamDecoder()
    out: list[Message] = []
    step = chunk or max(1, len(data))
    for off in range(0, len(data), step):
        out += decoder.feed(data[off : off + step])
    decoder.finish()
    return out


@pytest.mark.parametrize(("data", "headers", "payload"), POSITIVE)
def test_recorded_vectors_decode(data: bytes, headers: dict[str, Any], payload: bytes) -> None:
    [message] = decode_all(data)
    assert dict(message.headers) == headers
    assert message.payload == payload
    # and byte by byte
    [again] = decode_all(data, chunk=1)
    assert again == message


def test_recorded_vectors_in_one_buffer() -> None:
    stream = b"".join(v[0] for v in POSITIVE)
    messages = decode_all(stream)
    assert [(dict(m.headers), m.payload) for m in messages] == [(h, p) for _, h, p in POSITIVE]


@pytest.mark.parametrize(("data", "headers", "payload"), STRING_ONLY)
def test_encoder_reproduces_recorded_vectors(
    data: bytes, headers: dict[str, str], payload: bytes
) -> None:
    assert encode_message(headers, payload) == data


def test_recorded_vector_split_across_chunks() -> None:
    # botocore's event-id message (an int32 header) arriving in two reads
    decoder = EventStreamDecoder()
    assert decoder.feed(b"\x00\x00\x00+\x00\x00\x00\x0e4\x8b\xec{\x08event-id\x04\x00") == []
    [message] = decoder.feed(b"\x00\xa0\x0c{'foo':'bar'}\xd3\x89\x02\x85")
    decoder.finish()
    assert dict(message.headers) == {"event-id": 0xA00C}
    assert message.payload == b"{'foo':'bar'}"
    # and the initial-response message in three
    decoder = EventStreamDecoder()
    chunks = [
        b"\x00\x00\x00~\x00\x00\x00O\xc5\xa3\xdd\xc6\r:message-type\x07\x00",
        b"\x05event\x0b:event-type\x07\x00\x10initial-response\r:content-type",
        b'\x07\x00\ttext/json{"InitialResponse": "sometext"}\xf6\x98$\x83',
    ]
    messages = [m for c in chunks for m in decoder.feed(c)]
    assert [dict(m.headers) for m in messages] == [
        {":message-type": "event", ":event-type": "initial-response", ":content-type": "text/json"}
    ]
    assert messages[0].payload == b'{"InitialResponse": "sometext"}'


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_recorded_corrupt_vectors_are_rejected(name: str) -> None:
    with pytest.raises(IntegrityError):
        decode_all(NEGATIVE[name])


def test_a_huge_announced_payload_is_refused_from_the_prelude_alone() -> None:
    decoder = EventStreamDecoder()
    with pytest.raises(IntegrityError, match="payload length 25165841 exceeds 16777216"):
        decoder.feed(HUGE_PAYLOAD_PRELUDE)
    assert decoder.buffered == 12  # nothing was waited for


# --- round trips and chunking -----------------------------------------------------------------

header_names = st.text(min_size=1, max_size=20).filter(lambda s: len(s.encode()) <= 255)
header_values = st.one_of(st.text(max_size=40), st.binary(max_size=40))
messages_st = st.lists(
    st.tuples(
        st.dictionaries(header_names, header_values, max_size=4),
        st.binary(max_size=300),
    ),
    min_size=1,
    max_size=5,
)


@given(messages_st)
def test_round_trip(messages: list[tuple[dict[str, str | bytes], bytes]]) -> None:
    stream = b"".join(encode_message(h, p) for h, p in messages)
    decoded = decode_all(stream)
    assert [(dict(m.headers), m.payload) for m in decoded] == messages


@given(messages_st, st.data())
@settings(max_examples=200)
def test_random_chunking(
    messages: list[tuple[dict[str, str | bytes], bytes]], data: st.DataObject
) -> None:
    stream = b"".join(encode_message(h, p) for h, p in messages)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=20)))
    decoder = EventStreamDecoder()
    out: list[Message] = []
    prev = 0
    for cut in [*cuts, len(stream)]:
        out += decoder.feed(stream[prev:cut])
        prev = cut
    decoder.finish()
    assert [(dict(m.headers), m.payload) for m in out] == messages


def _sample_stream() -> tuple[bytes, list[tuple[dict[str, str], bytes]]]:
    messages = [
        ({":event-type": "Records", ":message-type": "event"}, b"a,b\n1,2\n"),
        ({":event-type": "Cont", ":message-type": "event"}, b""),
        ({":event-type": "Stats", ":content-type": "text/xml", ":message-type": "event"}, b"<S/>"),
        ({":event-type": "End", ":message-type": "event"}, b""),
    ]
    return b"".join(encode_message(h, p) for h, p in messages), messages


def test_every_split_point() -> None:
    stream, messages = _sample_stream()
    for cut in range(len(stream) + 1):
        decoder = EventStreamDecoder()
        out = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        decoder.finish()
        assert [(dict(m.headers), m.payload) for m in out] == messages, cut


def test_byte_by_byte_yields_each_message_on_its_last_byte() -> None:
    stream, messages = _sample_stream()
    ends = set()
    pos = 0
    for h, p in messages:
        pos += len(encode_message(h, p))
        ends.add(pos)
    decoder = EventStreamDecoder()
    got = []
    for i in range(len(stream)):
        out = decoder.feed(stream[i : i + 1])
        assert bool(out) == (i + 1 in ends), i
        got += out
    decoder.finish()
    assert len(got) == len(messages)


def test_random_chunk_sizes_seeded() -> None:
    stream = b"".join(
        encode_message({":event-type": "Records"}, bytes([i % 256]) * (i * 37 % 5000))
        for i in range(60)
    )
    rng = random.Random(1234)
    for _ in range(20):
        decoder = EventStreamDecoder()
        out: list[Message] = []
        pos = 0
        while pos < len(stream):
            n = rng.randint(1, 9000)
            out += decoder.feed(memoryview(stream)[pos : pos + n])
            pos += n
        decoder.finish()
        assert [m.payload for m in out] == [bytes([i % 256]) * (i * 37 % 5000) for i in range(60)]


# --- corruption -------------------------------------------------------------------------------

MESSAGE = encode_message(
    {":event-type": "Records", ":content-type": "application/octet-stream"}, b"payload bytes"
)
HEADERS_START = 12
PAYLOAD_START = len(MESSAGE) - 4 - len(b"payload bytes")


def flip(data: bytes, offset: int, bit: int = 0) -> bytes:
    buf = bytearray(data)
    buf[offset] ^= 1 << bit
    return bytes(buf)


@pytest.mark.parametrize(
    ("offset", "which"),
    [
        (0, "prelude CRC32"),  # total length
        (5, "prelude CRC32"),  # headers length
        (8, "prelude CRC32"),  # the prelude CRC itself
        (11, "prelude CRC32"),
        (HEADERS_START, "message CRC32"),
        (HEADERS_START + 5, "message CRC32"),
        (PAYLOAD_START, "message CRC32"),
        (len(MESSAGE) - 5, "message CRC32"),  # last payload byte
        (len(MESSAGE) - 4, "message CRC32"),  # the message CRC itself
        (len(MESSAGE) - 1, "message CRC32"),
    ],
)
@pytest.mark.parametrize("bit", [0, 7])
def test_a_flipped_bit_is_rejected(offset: int, which: str, bit: int) -> None:
    bad = flip(MESSAGE, offset, bit)
    with pytest.raises(IntegrityError) as info:
        decode_all(bad)
    text = str(info.value)
    assert f"{which} mismatch" in text
    assert "expected 0x" in text
    assert "computed 0x" in text


def test_the_crc_error_names_expected_and_computed_values() -> None:
    bad = flip(MESSAGE, PAYLOAD_START)
    expected = struct.unpack(">I", bad[-4:])[0]
    computed = zlib.crc32(bad[:-4])
    with pytest.raises(IntegrityError) as info:
        decode_all(MESSAGE + bad)
    assert f"expected 0x{expected:08x}, computed 0x{computed:08x}" in str(info.value)
    assert "message 2" in str(info.value)
    assert f"at byte {len(MESSAGE)}" in str(info.value)


def test_every_single_bit_flip_is_caught() -> None:
    for offset in range(len(MESSAGE)):
        for bit in range(8):
            with pytest.raises(IntegrityError):
                decode_all(flip(MESSAGE, offset, bit))


def test_a_failed_decoder_stays_failed() -> None:
    decoder = EventStreamDecoder()
    with pytest.raises(IntegrityError):
        decoder.feed(flip(MESSAGE, 20))
    with pytest.raises(IntegrityError):
        decoder.feed(MESSAGE)
    with pytest.raises(IntegrityError):
        decoder.finish()


def test_truncated_streams() -> None:
    stream, messages = _sample_stream()
    boundaries = {0}
    pos = 0
    for h, p in messages:
        pos += len(encode_message(h, p))
        boundaries.add(pos)
    for cut in range(len(stream)):
        decoder = EventStreamDecoder()
        decoder.feed(stream[:cut])
        if cut in boundaries:
            decoder.finish()  # a whole number of messages: the codec has nothing to complain of
        else:
            with pytest.raises(IntegrityError, match="ended inside message"):
                decoder.finish()


def _prelude(total: int, headers: int) -> bytes:
    head = struct.pack(">II", total, headers)
    return head + struct.pack(">I", zlib.crc32(head))


@pytest.mark.parametrize(
    ("total", "headers", "match"),
    [
        (0, 0, "below the minimum of 16"),
        (15, 0, "below the minimum of 16"),
        (16, 1, "does not fit"),
        (100, 85, "does not fit"),
        (0xFFFFFFFF, 0xFFFFFFFF, "does not fit"),
        (16 + MAX_HEADERS_LENGTH + 1, MAX_HEADERS_LENGTH + 1, "headers length"),
        (16 + MAX_PAYLOAD_LENGTH + 1, 0, "payload length"),
        (0xFFFFFFFF, 0, "payload length"),
    ],
)
def test_absurd_lengths_are_refused_at_the_prelude(total: int, headers: int, match: str) -> None:
    decoder = EventStreamDecoder()
    with pytest.raises(IntegrityError, match=match):
        decoder.feed(_prelude(total, headers))


def test_the_largest_lengths_allowed() -> None:
    payload = b"x" * MAX_PAYLOAD_LENGTH
    [message] = decode_all(encode_message({}, payload))
    assert len(message.payload) == MAX_PAYLOAD_LENGTH


def _with_headers(raw_headers: bytes, payload: bytes = b"") -> bytes:
    body = _prelude(16 + len(raw_headers) + len(payload), len(raw_headers)) + raw_headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"\x00\x07\x00\x01a", "cut short"),  # empty name
        (b"\x04name", "cut short"),  # no type
        (b"\x04name\x07\x00", "cut short"),  # string length cut
        (b"\x04name\x07\x00\x09abc", "cut short"),  # string value cut
        (b"\x04name\x04\x00\x00", "cut short"),  # int32 cut
        (b"\x04name\x09abc", "cut short"),  # uuid cut
        (b"\x04name\x0a\x00", "unknown header value type 10"),
        (b"\x04na\xffe\x07\x00\x01a", "malformed headers"),  # name not UTF-8
        (b"\x04name\x07\x00\x02\xff\xfe", "malformed headers"),  # value not UTF-8
        (b"\x01a\x07\x00\x01x\x01a\x07\x00\x01y", "duplicate header 'a'"),
    ],
)
def test_malformed_headers_with_good_crcs(raw: bytes, match: str) -> None:
    with pytest.raises(IntegrityError, match=match):
        decode_all(_with_headers(raw))


def test_encoder_refuses_what_it_cannot_frame() -> None:
    with pytest.raises(ValueError, match=r"1\.\.255"):
        encode_message({"": "x"})
    with pytest.raises(ValueError, match=r"1\.\.255"):
        encode_message({"n" * 256: "x"})
    with pytest.raises(ValueError, match="65535"):
        encode_message({"n": "x" * 65536})
    with pytest.raises(TypeError):
        encode_message({"n": 1})  # type: ignore[dict-item]


# --- select events ------------------------------------------------------------------------------


def _event(kind: str, payload: bytes = b"") -> Message:
    return Message({":event-type": kind, ":message-type": "event"}, payload)


def test_parse_message() -> None:
    assert parse_message(_event("Records", b"x,y\n")) == SelectRecords(b"x,y\n")
    xml = b"<Stats><BytesScanned>10</BytesScanned><BytesProcessed>20</BytesProcessed><BytesReturned>3</BytesReturned></Stats>"
    assert parse_message(_event("Stats", xml)) == SelectStats(
        bytes_scanned=10, bytes_processed=20, bytes_returned=3
    )
    progress = xml.replace(b"Stats>", b"Progress>")
    assert parse_message(_event("Progress", progress)) == SelectProgress(
        bytes_scanned=10, bytes_processed=20, bytes_returned=3
    )
    assert parse_message(_event("Cont")) == SelectControl("cont")
    assert parse_message(_event("End")) == SelectControl("end")
    assert parse_message(_event("SomethingNew")) == SelectControl("unknown")
    error = Message(
        {":message-type": "error", ":error-code": "CastFailed", ":error-message": "bad"}, b""
    )
    assert parse_message(error) == SelectControl("error", code="CastFailed", message="bad")


@pytest.mark.parametrize(
    "message",
    [
        _event("Stats", b"not xml"),
        _event("Stats", b"<Other/>"),
        _event("Progress", b"<Progress><BytesScanned>ten</BytesScanned></Progress>"),
        Message({":message-type": "exception"}, b""),
        Message({}, b""),
    ],
)
def test_parse_message_rejects_nonsense(message: Message) -> None:
    with pytest.raises(CosClientError):
        parse_message(message)


def test_records_repr_is_short() -> None:
    assert "(100000 bytes)" in repr(SelectRecords(b"x" * 100_000))
    assert repr(SelectRecords(b"ab")) == "SelectRecords(payload=b'ab')"


# --- the official SDK's reader as an oracle of our encoder -----------------------------------


def sdk_events(stream: bytes, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """What the official SDK's ``EventStream`` makes of ``stream`` (it reads ``rt.raw``)."""
    rt = types.SimpleNamespace(
        raw=io.BytesIO(stream),
        headers=headers or {},
        request=types.SimpleNamespace(url="http://127.0.0.1/b-1250000000/k"),
        status_code=200,
    )
    return list(SdkEventStream(rt))


def server_stream(request_xml: bytes, data: bytes, chunk: int = 1000) -> bytes:
    engine = SelectEngine(parse_select_request(request_xml))
    out: list[bytes] = []
    for off in range(0, len(data), chunk):
        out += engine.feed(data[off : off + chunk])
        if engine.done:
            break
    out += engine.finish()
    return b"".join(out)


REQUEST = b"""<SelectRequest><Expression>SELECT s._1, s._3 FROM COSObject s WHERE s._2 &gt; 10</Expression>
<ExpressionType>SQL</ExpressionType>
<InputSerialization><CompressionType>NONE</CompressionType><CSV><FileHeaderInfo>NONE</FileHeaderInfo></CSV></InputSerialization>
<OutputSerialization><CSV><RecordDelimiter>
</RecordDelimiter></CSV></OutputSerialization>
<RequestProgress><Enabled>TRUE</Enabled></RequestProgress></SelectRequest>"""


def test_the_official_sdk_reads_our_servers_stream() -> None:
    rows = [f"row{i},{i},v{i}" for i in range(5000)]
    data = ("\n".join(rows) + "\n").encode()
    stream = server_stream(REQUEST, data)
    ours = [parse_message(m) for m in decode_all(stream)]
    theirs = sdk_events(stream)
    assert len(theirs) == len(ours)
    expected = b"".join(f"row{i},v{i}\n".encode() for i in range(11, 5000))
    assert b"".join(e["Records"]["Payload"] for e in theirs if "Records" in e) == expected
    assert b"".join(e.payload for e in ours if isinstance(e, SelectRecords)) == expected
    # the same events, in the same order
    kinds = {SelectRecords: "Records", SelectProgress: "Progress", SelectStats: "Stats"}
    assert [next(iter(e)) for e in theirs] == [
        kinds.get(type(e), str(getattr(e, "kind", "")).capitalize()) for e in ours
    ]
    assert sum("Records" in e for e in theirs) > 1  # 64 KiB Records events
    assert sum("Cont" in e for e in theirs) == 0  # progress was on: no keep-alives needed
    stats = next(e["Stats"]["Details"] for e in theirs if "Stats" in e)
    [our_stats] = [e for e in ours if isinstance(e, SelectStats)]
    assert int(stats["BytesScanned"]) == our_stats.bytes_scanned == len(data)
    assert int(stats["BytesReturned"]) == our_stats.bytes_returned == len(expected)


def test_the_official_sdk_reads_our_keep_alives_and_errors() -> None:
    no_match = REQUEST.replace(b"&gt; 10", b"&gt; 999999").replace(b"TRUE", b"FALSE")
    data = b"".join(f"r,{i},x\n".encode() for i in range(3000))
    stream = server_stream(no_match, data)
    theirs = sdk_events(stream)
    assert [next(iter(e)) for e in theirs][-2:] == ["Stats", "End"]
    assert {next(iter(e)) for e in theirs[:-2]} == {"Cont"}
    error = encode_message(
        {":error-code": "CastFailed", ":error-message": "no", ":message-type": "error"}
    )
    with pytest.raises(SdkServiceError) as info:
        sdk_events(encode_message({":event-type": "Cont", ":message-type": "event"}) + error)
    assert info.value.get_error_code() == "CastFailed"
    assert info.value.get_error_msg() == "no"


def test_good_messages_before_a_bad_one_are_delivered_first() -> None:
    decoder = EventStreamDecoder()
    [first] = decoder.feed(MESSAGE + flip(MESSAGE, 20) + MESSAGE)
    assert first.payload == b"payload bytes"
    with pytest.raises(IntegrityError, match=r"message 2 .*message CRC32 mismatch"):
        decoder.finish()
