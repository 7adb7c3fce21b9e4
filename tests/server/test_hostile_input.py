"""Hostile input (the "Reliability and security, round 2" campaign): numbers that are not ASCII
or are thousands of digits long, documents nested a hundred thousand levels deep, ... Each gets
the COS error a client expects (a 4xx it does not retry), never a 500."""

from __future__ import annotations

import base64
import bz2
import gzip
import hashlib
import io
import json
import threading
import time
from collections.abc import Callable

import aiohttp
import pytest

from cos_async import _signing
from cos_async._eventstream import EventStreamDecoder
from cos_async.testing import LocalCosServer, _select
from cos_async.testing._documents import DocumentError
from cos_async.testing._select import (
    INFLATE_SLICE,
    STEP_OUTPUT,
    SelectEngine,
    parse_select_request,
)
from tests.cos_http import CosHttp, Reply
from tests.server.test_bad_input import assert_error

HUGE = "9" * 5000  # int() refuses it (more than 4300 digits)
NOT_ASCII = ["²", "١٢", "1²", "１"]  # "²".isdigit() is True; int("١٢") == 12


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


async def initiate(http: CosHttp, bucket: str, key: str) -> str:
    reply = await http.request("POST", bucket, key, params={"uploads": None})
    assert reply.status == 200, reply.body
    return str(reply.xml()["InitiateMultipartUploadResult"]["UploadId"])


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE, "-1", "1e3", " "])
async def test_part_number(http: CosHttp, bucket: str, value: str) -> None:
    upload_id = await initiate(http, bucket, "mp")
    params = {"partNumber": value, "uploadId": upload_id}
    assert_error(
        await http.request("PUT", bucket, "mp", params=params, data=b"x"), 400, "InvalidArgument"
    )


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_part_number_before_authentication(http: CosHttp, bucket: str, value: str) -> None:
    # the request log reads partNumber before the signature is checked
    params = {"partNumber": value, "uploadId": "x"}
    reply = await http.request("PUT", bucket, "mp", params=params, data=b"x", signed=False)
    assert_error(reply, 403, "AccessDenied")


@pytest.mark.parametrize("name", ["max-keys", "max-uploads", "max-parts", "part-number-marker"])
@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_listing_numbers(http: CosHttp, bucket: str, name: str, value: str) -> None:
    if name in ("max-parts", "part-number-marker"):
        params: dict[str, str | None] = {"uploadId": await initiate(http, bucket, "mp")}
        key: str | None = "mp"
    else:
        params = {"uploads": None} if name == "max-uploads" else {}
        key = None
    params[name] = value
    assert_error(await http.request("GET", bucket, key, params=params), 400, "InvalidArgument")


async def test_listing_numbers_that_are_numbers(http: CosHttp, bucket: str) -> None:
    reply = await http.request("GET", bucket, params={"max-keys": "9" * 19})
    assert reply.status == 200
    assert reply.xml()["ListBucketResult"]["MaxKeys"] == "1000"


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_append_position(http: CosHttp, bucket: str, value: str) -> None:
    params = {"append": None, "position": value}
    assert_error(
        await http.request("POST", bucket, "a", params=params, data=b"x"), 400, "InvalidArgument"
    )


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_traffic_limit(http: CosHttp, bucket: str, value: str) -> None:
    reply = await http.request(
        "PUT", bucket, "k", headers={"x-cos-traffic-limit": value}, data=b"x"
    )
    assert_error(reply, 400, "InvalidArgument")
    reply = await http.request("GET", bucket, "k", params={"x-cos-traffic-limit": value})
    assert_error(reply, 400, "InvalidArgument")


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE])
async def test_complete_part_number(http: CosHttp, bucket: str, value: str) -> None:
    upload_id = await initiate(http, bucket, "mp")
    doc = f"<CompleteMultipartUpload><Part><PartNumber>{value}</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"
    reply = await http.request(
        "POST", bucket, "mp", params={"uploadId": upload_id}, data=doc.encode()
    )
    assert_error(reply, 400, "MalformedXML")


@pytest.mark.parametrize("value", [*NOT_ASCII, HUGE, "0", "9" * 18])
async def test_restore_days(http: CosHttp, bucket: str, value: str) -> None:
    headers = {"x-cos-storage-class": "ARCHIVE"}
    assert (await http.request("PUT", bucket, "cold", headers=headers, data=b"x")).status == 200
    doc = f"<RestoreRequest><Days>{value}</Days></RestoreRequest>".encode()
    reply = await http.request("POST", bucket, "cold", params={"restore": None}, data=doc)
    assert_error(reply, 400, "InvalidArgument")
    assert (await http.request("HEAD", bucket, "cold")).status == 200


@pytest.mark.parametrize(
    ("value", "status", "content_range"),
    [
        (f"bytes={HUGE}-", 416, "bytes */10"),
        (f"bytes=0-{HUGE}", 206, "bytes 0-9/10"),
        (f"bytes=-{HUGE}", 206, "bytes 0-9/10"),
        ("bytes=" + "9" * 30 + "-" + HUGE, 416, "bytes */10"),
        ("bytes=²-", 200, None),  # not a byte range: the header is ignored, as COS does
        ("bytes=-١", 200, None),
    ],
)
async def test_range_numbers(
    http: CosHttp, bucket: str, value: str, status: int, content_range: str | None
) -> None:
    assert (await http.request("PUT", bucket, "k", data=b"0123456789")).status == 200
    reply = await http.request("GET", bucket, "k", headers={"Range": value})
    assert reply.status == status, reply.body[:300]
    assert reply.headers.get("Content-Range") == content_range
    if status == 416:
        assert_error(reply, 416, "InvalidRange")


@pytest.mark.parametrize("value", [f"bytes=0-{HUGE}", "bytes=0-²", f"bytes={HUGE}-1"])
async def test_copy_source_range_numbers(http: CosHttp, bucket: str, value: str) -> None:
    assert (await http.request("PUT", bucket, "src", data=b"0123456789")).status == 200
    upload_id = await initiate(http, bucket, "mp")
    headers = {"x-cos-copy-source": f"/{bucket}/src", "x-cos-copy-source-range": value}
    params = {"partNumber": "1", "uploadId": upload_id}
    reply = await http.request("PUT", bucket, "mp", params=params, headers=headers)
    assert_error(reply, 400, "InvalidArgument")


async def test_suffix_range_of_an_empty_object(http: CosHttp, bucket: str) -> None:
    assert (await http.request("PUT", bucket, "empty", data=b"")).status == 200
    reply = await http.request("GET", bucket, "empty", headers={"Range": "bytes=-5"})
    assert_error(reply, 416, "InvalidRange")
    assert reply.headers["Content-Range"] == "bytes */0"


# --- JSON documents -----------------------------------------------------------------------------

DEEP_JSON = ("[" * 100_000 + "]" * 100_000).encode()


@pytest.mark.parametrize(
    "body",
    [
        DEEP_JSON,
        json.dumps(
            {"Statement": [{"Effect": "Allow", "x": json.loads("[" * 40 + "]" * 40)}]}
        ).encode(),
        b'{"Statement": [{"Effect": "Allow", "n": ' + HUGE.encode() + b"}]}",
    ],
    ids=["100k-deep", "40-deep", "5000-digits"],
)
async def test_bucket_policy_bounds(http: CosHttp, bucket: str, body: bytes) -> None:
    reply = await http.request("PUT", bucket, params={"policy": None}, data=body)
    assert_error(reply, 400, "MalformedPolicy")


async def test_post_policy_bounds(
    server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    now = int(time.time())
    keytime = f"{now - 60};{now + 600}"
    deep = ("[" * 20_000 + "]" * 20_000).encode()  # within the 64 KiB of a form field
    infinite = b'{"expiration": "2099-01-01T00:00:00Z", "conditions": '
    infinite += b'[["content-length-range", 0, Infinity]]}'
    for policy_json in (deep, infinite):
        form = aiohttp.FormData()
        form.add_field("key", "k")
        form.add_field("policy", base64.b64encode(policy_json).decode())
        form.add_field("q-sign-algorithm", "sha1")
        form.add_field("q-ak", server.secret_id)
        form.add_field("q-key-time", keytime)
        signature = _signing.post_policy_signature(
            secret_key=server.secret_key, key_time=keytime, policy=policy_json
        )
        form.add_field("q-signature", signature)
        form.add_field("file", b"data", filename="f")
        async with session.post(f"{server.endpoint}/{bucket}", data=form) as resp:
            reply = Reply(resp.status, resp.headers, await resp.read())
        assert_error(reply, 400, "InvalidPolicyDocument")


async def test_post_form_key_time(
    server: LocalCosServer, bucket: str, session: aiohttp.ClientSession
) -> None:
    for keytime in ("²;³", f"1;{HUGE}", "1;2;3"):
        form = aiohttp.FormData()
        form.add_field("key", "k")
        form.add_field("policy", base64.b64encode(b'{"conditions": []}').decode())
        form.add_field("q-ak", server.secret_id)
        form.add_field("q-key-time", keytime)
        form.add_field("q-signature", "0" * 40)
        form.add_field("file", b"data", filename="f")
        async with session.post(f"{server.endpoint}/{bucket}", data=form) as resp:
            reply = Reply(resp.status, resp.headers, await resp.read())
        assert_error(reply, 403, "AccessDenied")


async def test_control_endpoint_bounds(
    server: LocalCosServer, session: aiohttp.ClientSession
) -> None:
    base = f"{server.endpoint}/_cos_testing"
    for url, method, body in (
        (f"{base}/faults/²", "DELETE", None),
        (f"{base}/faults/{HUGE}", "DELETE", None),
        (f"{base}/faults", "POST", DEEP_JSON),
        (f"{base}/buckets", "POST", DEEP_JSON),
        (f"{base}/faults", "POST", b"x" * 100_000),
    ):
        async with session.request(method, url, data=body) as resp:
            assert resp.status == 400, (url, await resp.text())
            assert "error" in await resp.json()


# --- SELECT: compressed bombs, huge records -----------------------------------------------------

SELECT = {"select": None, "select-type": "2"}
NOTHING = "SELECT * FROM COSObject s WHERE s._1 = 'no such value'"


def select_xml(expression: str, compression: str = "NONE") -> bytes:
    from tests.server.test_select import request_xml

    return request_xml(expression, compression=compression)


def stream_error(reply: Reply) -> str | None:
    """The error code of a select answer: an HTTP error, or the error message that ends a
    well-formed event stream (the stream must decode cleanly to its end)."""
    if reply.status != 200:
        return reply.code
    decoder = EventStreamDecoder()
    messages = decoder.feed(reply.body)
    decoder.finish()
    last = messages[-1].headers
    if last.get(":message-type") == "error":
        return str(last[":error-code"])
    assert last.get(":event-type") == "End"
    return None


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress], ids=["gzip", "bzip2"])
def test_inflation_is_incremental(compress: Callable[[bytes], bytes]) -> None:
    compression = "GZIP" if compress is gzip.compress else "BZIP2"
    inflated = b"a\n" * (512 * 1024)  # 1 MiB: four slices
    data = compress(inflated)
    assert len(data) < len(inflated) // 100
    engine = SelectEngine(parse_select_request(select_xml(NOTHING, compression)))
    engine.push(data)
    steps = 0
    while True:
        before = engine.processed
        events = engine.step()
        if events is None:
            break
        steps += 1
        assert engine.processed - before <= INFLATE_SLICE
    assert engine.processed == len(inflated)
    assert steps >= len(inflated) // INFLATE_SLICE


def test_output_is_produced_in_bounded_steps() -> None:
    engine = SelectEngine(parse_select_request(select_xml("SELECT s._1, s._1 FROM COSObject s")))
    engine.push(b"abcdefgh\n" * 200_000)
    steps = 0
    while (events := engine.step()) is not None:
        steps += 1
        assert sum(len(e) for e in events) <= STEP_OUTPUT + 64 * 1024
    assert steps > 1
    assert engine.returned == len(b"abcdefgh,abcdefgh\n") * 200_000


def test_an_output_record_over_the_limit_is_refused() -> None:
    columns = ", ".join(["s._1"] * 2000)  # 2000 copies of a 1000-character column: 2 MB
    engine = SelectEngine(parse_select_request(select_xml(f"SELECT {columns} FROM COSObject s")))
    with pytest.raises(DocumentError) as caught:
        engine.feed(b"x" * 1000 + b"\n")
    assert caught.value.code == "OverMaxRecordSize"


async def put_object(http: CosHttp, bucket: str, key: str, data: bytes) -> None:
    # a file object: aiohttp warns about bodies of raw bytes over 1 MiB
    headers = {"Content-Length": str(len(data))}
    reply = await http.request("PUT", bucket, key, data=io.BytesIO(data), headers=headers)
    assert reply.status == 200


async def test_select_bomb_of_zeros(http: CosHttp, bucket: str) -> None:
    # the campaign's object: a small BZIP2 object of NUL bytes, which inflated to 3.9 GiB in
    # one call on the event loop; it is one record without a delimiter
    bomb = bz2.compress(bytes(64 * 1024 * 1024))
    assert len(bomb) < 10_000
    await put_object(http, bucket, "bomb.csv.bz2", bomb)
    reply = await http.request(
        "POST", bucket, "bomb.csv.bz2", params=SELECT, data=select_xml(NOTHING, "BZIP2")
    )
    assert stream_error(reply) == "OverMaxRecordSize"


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress], ids=["gzip", "bzip2"])
async def test_select_inflates_a_bounded_amount(
    http: CosHttp, bucket: str, monkeypatch: pytest.MonkeyPatch, compress: Callable[[bytes], bytes]
) -> None:
    compression = "GZIP" if compress is gzip.compress else "BZIP2"
    monkeypatch.setattr(_select, "MAX_SELECT_INFLATED", 1024 * 1024)
    await put_object(http, bucket, "bomb.csv", compress(b"a\n" * 2 * 1024 * 1024))
    reply = await http.request(
        "POST", bucket, "bomb.csv", params=SELECT, data=select_xml(NOTHING, compression)
    )
    assert stream_error(reply) == "InvalidArgument"
    assert (await http.request("HEAD", bucket, "bomb.csv")).status == 200


async def test_select_steps_run_off_the_event_loop(
    http: CosHttp, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop_thread: list[bool] = []
    step = SelectEngine.step

    def recording_step(self: SelectEngine) -> list[bytes] | None:
        on_loop_thread.append(threading.current_thread() is threading.main_thread())
        return step(self)

    monkeypatch.setattr(SelectEngine, "step", recording_step)
    await put_object(http, bucket, "k.csv.gz", gzip.compress(b"a,1\n" * 100_000))
    reply = await http.request(
        "POST", bucket, "k.csv.gz", params=SELECT, data=select_xml(NOTHING, "GZIP")
    )
    assert stream_error(reply) is None
    assert on_loop_thread
    assert not any(on_loop_thread)


async def test_a_huge_csv_record_ends_a_well_formed_stream(http: CosHttp, bucket: str) -> None:
    # a record over 16 MiB (the event stream's payload limit) used to break the answer mid-stream
    await put_object(http, bucket, "big.csv", b"a" * (17 * 1024 * 1024) + b"\n")
    reply = await http.request(
        "POST", bucket, "big.csv", params=SELECT, data=select_xml("SELECT * FROM COSObject")
    )
    assert stream_error(reply) == "OverMaxRecordSize"


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("SELECT * FROM COSObject WHERE " + "(" * 100_000 + "1 = 1" + ")" * 100_000, None),
        ("SELECT * FROM COSObject WHERE " + "NOT " * 100_000 + "1 = 1", None),
        ("SELECT * FROM COSObject LIMIT " + "9" * 5000, None),
        ("SELECT * FROM COSObject WHERE _1 = " + "9" * 5000, None),
        ("SELECT _" + "9" * 5000 + " FROM COSObject", None),
        ("SELECT * FROM COSObject WHERE _1 = ١", None),
    ],
    ids=["parentheses", "not", "limit", "literal", "column", "arabic-digit"],
)
async def test_hostile_expressions(
    http: CosHttp, bucket: str, expression: str, code: str | None
) -> None:
    await put_object(http, bucket, "a.csv", b"1,2\n")
    reply = await http.request("POST", bucket, "a.csv", params=SELECT, data=select_xml(expression))
    assert_error(reply, 400, "InvalidExpression")


@pytest.mark.parametrize(
    "line",
    [b"[" * 100_000 + b"]" * 100_000, b'{"n": ' + HUGE.encode() + b"}"],
    ids=["deep", "5000-digits"],
)
async def test_hostile_json_records(http: CosHttp, bucket: str, line: bytes) -> None:
    from tests.server.test_select import request_xml

    await put_object(http, bucket, "a.json", b'{"n": 1}\n' + line + b"\n")
    xml = request_xml(
        "SELECT * FROM COSObject", source="<JSON><Type>LINES</Type></JSON>", target="<JSON/>"
    )
    reply = await http.request("POST", bucket, "a.json", params=SELECT, data=xml)
    assert stream_error(reply) == "JSONParsingError"


# --- XML documents: deep, large ---------------------------------------------------------------


def deep_tagging(depth: int) -> bytes:
    """A valid tag set, with an element nested ``depth`` levels deep beside it."""
    return (
        b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet>"
        + b"<X>" * depth
        + b"</X>" * depth
        + b"</Tagging>"
    )


@pytest.mark.parametrize("depth", [1000, 100_000])
async def test_deep_xml_documents_are_malformed(http: CosHttp, bucket: str, depth: int) -> None:
    assert (await http.request("PUT", bucket, "obj", data=b"x")).status == 200
    reply = await http.request(
        "PUT", bucket, "obj", params={"tagging": None}, data=deep_tagging(depth)
    )
    doc = assert_error(reply, 400, "MalformedXML")
    assert "deeper than 64" in doc["Message"]
    # a shallow one is accepted
    reply = await http.request("PUT", bucket, "obj", params={"tagging": None}, data=deep_tagging(3))
    assert reply.status == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [({"lifecycle": None}, "MalformedXML"), ({"policy": None}, "MalformedPolicy")],
)
async def test_large_documents_are_malformed(
    http: CosHttp, bucket: str, params: dict[str, str | None], code: str
) -> None:
    body = b"<LifecycleConfiguration>" + b" " * (5 * 1024 * 1024) + b"</LifecycleConfiguration>"
    reply = await http.request(
        "PUT",
        bucket,
        params=params,
        data=io.BytesIO(body),
        headers={"Content-Length": str(len(body))},
    )
    assert_error(reply, 400, code)
