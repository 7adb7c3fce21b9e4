"""Fault injection of the local COS server: every action, rule matching, the HTTP control API."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import random
import sys
import time
from typing import Any

import aiohttp
import pytest

from cos_async import _xml
from cos_async._crc64 import combine, crc64
from cos_async.testing import FaultInjector, FaultRule, LocalCosServer, Operation
from tests.cos_http import CosHttp, Reply

MIB = 1024 * 1024
DATA_2M = random.Random(2024).randbytes(2 * MIB)


def control_url(server: LocalCosServer, what: str) -> str:
    return f"{server.endpoint}/_cos_testing/{what}"


async def control(
    session: aiohttp.ClientSession,
    server: LocalCosServer,
    method: str,
    what: str,
    payload: Any = None,
) -> tuple[int, Any]:
    """An unsigned request to the control API; returns (status, decoded JSON)."""
    kwargs: dict[str, Any] = {} if payload is None else {"json": payload}
    async with session.request(method, control_url(server, what), **kwargs) as resp:
        assert resp.content_type == "application/json"
        return resp.status, await resp.json()


def body_of(data: bytes) -> dict[str, Any]:
    """``data``/``headers`` keywords for a request body (aiohttp warns about raw bytes > 1 MiB)."""
    return {"data": io.BytesIO(data), "headers": {"Content-Length": str(len(data))}}


async def put(http: CosHttp, bucket: str, key: str, data: bytes) -> Reply:
    reply = await http.request("PUT", bucket, key, **body_of(data))
    assert reply.status == 200, reply.body
    return reply


async def initiate(http: CosHttp, bucket: str, key: str) -> str:
    reply = await http.request("POST", bucket, key, params={"uploads": None})
    assert reply.status == 200, reply.body
    return str(reply.xml()["InitiateMultipartUploadResult"]["UploadId"])


async def upload_part(
    http: CosHttp, bucket: str, key: str, upload_id: str, number: int, data: bytes
) -> Reply:
    return await http.request(
        "PUT",
        bucket,
        key,
        params={"partNumber": str(number), "uploadId": upload_id},
        **body_of(data),
    )


def complete_body(parts: list[tuple[int, str]]) -> bytes:
    return _xml.build(
        "CompleteMultipartUpload",
        {"Part": [{"PartNumber": str(n), "ETag": etag} for n, etag in parts]},
    )


async def listed_upload_ids(http: CosHttp, bucket: str) -> list[str]:
    reply = await http.request("GET", bucket, params={"uploads": None})
    assert reply.status == 200, reply.body
    uploads = reply.xml()["ListMultipartUploadsResult"].get("Upload") or []
    return [str(u["UploadId"]) for u in uploads]


def error_doc(reply: Reply) -> dict[str, Any]:
    doc = _xml.parse(reply.body)
    assert set(doc) == {"Error"}
    err = doc["Error"]
    assert isinstance(err, dict)
    return err


# --- error ------------------------------------------------------------------------------------


async def test_error_slowdown_then_next_request_succeeds(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"payload")
    rule_id = server.faults.add(action="error", operation="GetObject")
    failed = await http.request("GET", bucket, "k")
    assert failed.status == 503
    assert failed.headers["Content-Type"] == "application/xml"
    err = error_doc(failed)
    assert err["Code"] == "SlowDown"
    assert err["Message"] == "Please reduce your request rate."
    assert err["RequestId"]
    assert failed.headers["x-cos-request-id"] == err["RequestId"]
    assert server.faults.fired(rule_id) == 1

    ok = await http.request("GET", bucket, "k")
    assert ok.status == 200
    assert ok.body == b"payload"
    assert server.faults.fired(rule_id) == 1


async def test_error_without_request_id(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    server.faults.add(action="error", operation="GetObject", request_id=False)
    failed = await http.request("GET", bucket, "k")
    assert failed.status == 503
    assert "x-cos-request-id" not in failed.headers
    err = error_doc(failed)
    assert err["Code"] == "SlowDown"
    assert "RequestId" not in err
    ok = await http.request("GET", bucket, "k")
    assert ok.status == 200
    assert "x-cos-request-id" in ok.headers


async def test_error_custom_status_and_code(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    server.faults.add(
        FaultRule(
            action="error",
            operation="PutObject",
            status=500,
            code="InternalError",
            message="boom on the backend",
        )
    )
    failed = await http.request("PUT", bucket, "k", data=b"x")
    assert failed.status == 500
    err = error_doc(failed)
    assert err["Code"] == "InternalError"
    assert err["Message"] == "boom on the backend"
    # the request was answered before it was handled: nothing stored
    assert (await http.request("HEAD", bucket, "k")).status == 404


async def test_error_matches_operation_key_and_part_number(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    upload_id = await initiate(http, bucket, "big")
    other_id = await initiate(http, bucket, "other")
    rule_id = server.faults.add(
        action="error", operation="UploadPart", key="big", part_number=2, times=None
    )
    p1 = await upload_part(http, bucket, "big", upload_id, 1, b"one")
    assert p1.status == 200
    p2 = await upload_part(http, bucket, "big", upload_id, 2, b"two")
    assert p2.status == 503
    assert p2.code == "SlowDown"
    # same part number of another key, and part 3 of the same key: not matched
    assert (await upload_part(http, bucket, "other", other_id, 2, b"two")).status == 200
    assert (await upload_part(http, bucket, "big", upload_id, 3, b"three")).status == 200
    # a different operation on the same key is not matched either
    assert (await http.request("PUT", bucket, "big", data=b"x")).status == 200
    assert server.faults.fired(rule_id) == 1
    parts = await http.request("GET", bucket, "big", params={"uploadId": upload_id})
    numbers = [p["PartNumber"] for p in parts.xml()["ListPartsResult"]["Part"]]
    assert numbers == ["1", "3"]


async def test_error_nth_fires_on_third_match_only(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    rule_id = server.faults.add(action="error", operation="HeadObject", nth=3)
    statuses = [(await http.request("HEAD", bucket, "k")).status for _ in range(5)]
    assert statuses == [200, 200, 503, 200, 200]
    assert server.faults.fired(rule_id) == 1
    (armed,) = server.faults.snapshot()
    assert armed["id"] == rule_id
    assert armed["seen"] == 3
    assert armed["fired"] == 1


async def test_error_times_none_fires_forever(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    rule_id = server.faults.add(action="error", operation="GetObject", times=None)
    statuses = [(await http.request("GET", bucket, "k")).status for _ in range(6)]
    assert statuses == [503] * 6
    assert server.faults.fired(rule_id) == 6
    # other operations are unaffected
    assert (await http.request("HEAD", bucket, "k")).status == 200


async def test_error_times_two(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    rule_id = server.faults.add(action="error", operation="GetObject", times=2)
    statuses = [(await http.request("GET", bucket, "k")).status for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert server.faults.fired(rule_id) == 2


async def test_remove_disarms_and_fired_of_unknown_is_zero(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    keep = server.faults.add(action="error", operation="DeleteObject", times=None)
    rule_id = server.faults.add(action="error", operation="GetObject", times=None)
    assert (await http.request("GET", bucket, "k")).status == 503
    assert server.faults.fired(rule_id) == 1
    server.faults.remove(rule_id)
    assert server.faults.fired(rule_id) == 0
    assert [a["id"] for a in server.faults.snapshot()] == [keep]
    assert (await http.request("GET", bucket, "k")).status == 200
    assert (await http.request("DELETE", bucket, "k")).status == 503
    server.faults.clear()
    assert server.faults.snapshot() == []
    assert (await http.request("DELETE", bucket, "k")).status == 204


async def test_error_matches_bucket_and_method(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    other = server.create_bucket()
    await put(http, bucket, "k", b"x")
    await put(http, other, "k", b"x")
    server.faults.add(action="error", bucket=other, method="get", times=None)
    assert (await http.request("GET", bucket, "k")).status == 200
    assert (await http.request("GET", other, "k")).status == 503
    assert (await http.request("HEAD", other, "k")).status == 200


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault action 'explode'"):
        FaultRule(action="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nth must be an integer >= 1"):
        FaultRule(action="error", nth=0)
    with pytest.raises(ValueError, match="times must be an integer >= 1"):
        FaultRule(action="error", times=0)
    with pytest.raises(ValueError, match="status must be an HTTP status code"):
        FaultRule(action="error", status=600)
    with pytest.raises(ValueError, match="unknown fault rule field"):
        FaultRule.from_json({"action": "error", "bogus": 1})
    rule = FaultRule(action="delay", delay=0.5, key="k")
    assert FaultRule.from_json(rule.to_json()) == rule


# --- delay ------------------------------------------------------------------------------------


async def test_delay(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"slow")
    rule_id = server.faults.add(action="delay", operation="GetObject", delay=0.3)
    t0 = time.monotonic()
    reply = await http.request("GET", bucket, "k")
    elapsed = time.monotonic() - t0
    assert reply.status == 200
    assert reply.body == b"slow"  # handled normally after the delay
    assert elapsed >= 0.3
    assert server.faults.fired(rule_id) == 1
    assert [r.fault for r in server.requests.records() if r.operation == "GetObject"] == ["delay"]


# --- reset ------------------------------------------------------------------------------------
#
# aiohttp (3.14) resends an idempotent request (GET, PUT, ...) once on a new connection when the
# first one dies with ServerDisconnected/ClientOSError, even with ``force_close``. Reset rules
# therefore fire forever (``times=None``), so the resend is reset too and the client sees it.

CONNECTION_ERRORS = (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError)


def reset_statuses(server: LocalCosServer, operation: str) -> list[tuple[int | None, str | None]]:
    return [(r.status, r.fault) for r in server.requests.records() if r.operation == operation]


async def test_reset_download(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "big", DATA_2M)
    rule_id = server.faults.add(action="reset", operation="GetObject", after_bytes=1000, times=None)
    with pytest.raises(CONNECTION_ERRORS):
        await http.request("GET", bucket, "big")
    assert server.faults.fired(rule_id) >= 1
    assert all(fault == "reset" for _, fault in reset_statuses(server, "GetObject"))
    server.faults.remove(rule_id)
    again = await http.request("GET", bucket, "big")
    assert again.status == 200
    assert again.body == DATA_2M


async def test_reset_upload_stores_nothing(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    rule_id = server.faults.add(action="reset", operation="PutObject", after_bytes=1000, times=None)
    with pytest.raises(CONNECTION_ERRORS):
        await http.request("PUT", bucket, "big", **body_of(DATA_2M))
    fired = server.faults.fired(rule_id)
    assert fired >= 1
    # every attempt was cut off: none was answered normally
    assert reset_statuses(server, "PutObject") == [(499, "reset")] * fired
    server.faults.remove(rule_id)
    assert (await http.request("HEAD", bucket, "big")).status == 404
    listing = (await http.request("GET", bucket)).xml()["ListBucketResult"]
    assert not listing.get("Contents")


async def test_reset_upload_keeps_previous_version(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"old contents")
    server.faults.add(action="reset", operation="PutObject", key="k", after_bytes=1000, times=None)
    with pytest.raises(CONNECTION_ERRORS):
        await http.request("PUT", bucket, "k", **body_of(DATA_2M))
    server.faults.clear()
    got = await http.request("GET", bucket, "k")
    assert got.status == 200
    assert got.body == b"old contents"


async def test_reset_upload_part_stores_no_part(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    upload_id = await initiate(http, bucket, "mp")
    server.faults.add(action="reset", operation="UploadPart", after_bytes=1000, times=None)
    with pytest.raises(CONNECTION_ERRORS):
        await upload_part(http, bucket, "mp", upload_id, 1, DATA_2M)
    server.faults.clear()
    parts = await http.request("GET", bucket, "mp", params={"uploadId": upload_id})
    assert parts.status == 200
    assert not parts.xml()["ListPartsResult"].get("Part")


async def test_reset_upload_after_whole_small_body(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    # the body ends before after_bytes: the connection is reset at its end, nothing is stored
    server.faults.add(action="reset", operation="PutObject", after_bytes=10_000, times=None)
    with pytest.raises(CONNECTION_ERRORS):
        await http.request("PUT", bucket, "small", data=b"tiny")
    server.faults.clear()
    assert (await http.request("HEAD", bucket, "small")).status == 404


# --- truncate ---------------------------------------------------------------------------------


async def drain(resp: aiohttp.ClientResponse, into: bytearray) -> None:
    async for chunk in resp.content.iter_any():
        into += chunk


async def test_truncate_download(
    server: LocalCosServer, http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "big", DATA_2M)
    rule_id = server.faults.add(action="truncate", operation="GetObject", after_bytes=1000)
    auth = http.sign("GET", bucket, "big")
    received = bytearray()
    headers = {"Host": http.host_for(bucket), "Authorization": auth.to_header()}
    async with session.get(http.url(bucket, "big", {}), headers=headers) as resp:
        assert resp.status == 200
        assert resp.content_length == len(DATA_2M)
        with pytest.raises(aiohttp.ClientPayloadError):
            await drain(resp, received)
    assert len(received) < len(DATA_2M)
    assert bytes(received) == DATA_2M[:1000]
    assert server.faults.fired(rule_id) == 1


async def test_truncate_download_read_raises(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "small", b"z" * 5000)
    server.faults.add(action="truncate", operation="GetObject", after_bytes=10)
    with pytest.raises(aiohttp.ClientPayloadError):
        await http.request("GET", bucket, "small")
    assert (await http.request("GET", bucket, "small")).body == b"z" * 5000


# --- corrupt ----------------------------------------------------------------------------------


def differing_offsets(a: bytes, b: bytes) -> list[int]:
    assert len(a) == len(b)
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


async def test_corrupt_download(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "big", DATA_2M)
    rule_id = server.faults.add(action="corrupt", operation="GetObject", after_bytes=123457)
    got = await http.request("GET", bucket, "big")
    assert got.status == 200
    assert len(got.body) == len(DATA_2M)
    assert differing_offsets(got.body, DATA_2M) == [123457]
    assert got.body[123457] == DATA_2M[123457] ^ 0xFF
    # the header still describes the good data, so a client can detect the damage
    assert got.headers["x-cos-hash-crc64ecma"] == str(crc64(DATA_2M))
    assert crc64(got.body) != crc64(DATA_2M)
    assert server.faults.fired(rule_id) == 1
    # stored data is intact
    assert (await http.request("GET", bucket, "big")).body == DATA_2M


async def test_corrupt_download_small_object(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    data = b"0123456789"
    await put(http, bucket, "small", data)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=0)
    got = await http.request("GET", bucket, "small")
    assert got.status == 200
    assert differing_offsets(got.body, data) == [0]
    assert got.headers["x-cos-hash-crc64ecma"] == str(crc64(data))


async def test_corrupt_upload_put_object(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    data = bytes(range(256)) * 40
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=777)
    reply = await put(http, bucket, "k", data)
    stored = bytearray(data)
    stored[777] ^= 0xFF
    assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(bytes(stored)))
    assert reply.headers["x-cos-hash-crc64ecma"] != str(crc64(data))
    assert reply.headers["ETag"] == f'"{hashlib.md5(stored).hexdigest()}"'
    assert reply.headers["ETag"] != f'"{hashlib.md5(data).hexdigest()}"'
    got = await http.request("GET", bucket, "k")
    assert got.body == bytes(stored)
    assert got.headers["x-cos-hash-crc64ecma"] == str(crc64(bytes(stored)))


async def test_corrupt_upload_part(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    upload_id = await initiate(http, bucket, "mp")
    data = b"A" * 4096
    server.faults.add(action="corrupt", operation="UploadPart", part_number=1, after_bytes=4095)
    reply = await upload_part(http, bucket, "mp", upload_id, 1, data)
    assert reply.status == 200
    stored = data[:4095] + bytes([data[4095] ^ 0xFF])
    assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(stored))
    assert reply.headers["x-cos-hash-crc64ecma"] != str(crc64(data))
    assert reply.headers["ETag"] == f'"{hashlib.md5(stored).hexdigest()}"'
    parts = (await http.request("GET", bucket, "mp", params={"uploadId": upload_id})).xml()
    (part,) = parts["ListPartsResult"]["Part"]
    assert part["CRC64"] == str(crc64(stored))


async def test_corrupt_upload_with_content_md5_is_rejected(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    data = b"checked" * 100
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=5)
    reply = await http.request("PUT", bucket, "k", data=data, headers={"Content-MD5": md5})
    assert reply.status == 400
    assert reply.code == "BadDigest"
    assert (await http.request("HEAD", bucket, "k")).status == 404


# --- error_after_200 --------------------------------------------------------------------------


async def test_error_after_200_complete_then_normal_complete(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    part1 = DATA_2M[:MIB]
    part2 = b"tail of the object"
    upload_id = await initiate(http, bucket, "mp")
    r1 = await upload_part(http, bucket, "mp", upload_id, 1, part1)
    r2 = await upload_part(http, bucket, "mp", upload_id, 2, part2)
    assert r1.status == r2.status == 200
    body = complete_body([(1, r1.headers["ETag"]), (2, r2.headers["ETag"])])

    rule_id = server.faults.add(
        action="error_after_200",
        operation="CompleteMultipartUpload",
        code="InternalError",
        message="assembling failed",
    )
    late = await http.request("POST", bucket, "mp", params={"uploadId": upload_id}, data=body)
    assert late.status == 200
    assert late.body[:1].isspace()
    doc = _xml.parse(late.body.strip())
    assert doc["Error"]["Code"] == "InternalError"
    assert doc["Error"]["Message"] == "assembling failed"
    assert doc["Error"]["RequestId"] == late.headers["x-cos-request-id"]
    assert server.faults.fired(rule_id) == 1
    assert upload_id in await listed_upload_ids(http, bucket)
    assert (await http.request("HEAD", bucket, "mp")).status == 404

    done = await http.request("POST", bucket, "mp", params={"uploadId": upload_id}, data=body)
    assert done.status == 200
    assert done.body[:1].isspace()
    result = _xml.parse(done.body.strip())["CompleteMultipartUploadResult"]
    assert result["Key"] == "mp"
    assert result["Location"] == f"{bucket}.cos.{server.region}.myqcloud.com/mp"
    assert result["ETag"].endswith('-2"')
    expected_crc = combine(crc64(part1), crc64(part2), len(part2))
    assert expected_crc == crc64(part1 + part2)
    assert done.headers["x-cos-hash-crc64ecma"] == str(expected_crc)
    assert upload_id not in await listed_upload_ids(http, bucket)
    got = await http.request("GET", bucket, "mp")
    assert got.body == part1 + part2


async def test_error_after_200_copy(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "src", b"source data")
    source = f"{bucket}.cos.{server.region}.myqcloud.com/src"
    server.faults.add(action="error_after_200", operation="PutObjectCopy", code="InternalError")
    late = await http.request("PUT", bucket, "dst", headers={"x-cos-copy-source": source})
    assert late.status == 200
    assert late.body[:1].isspace()
    doc = _xml.parse(late.body.strip())
    assert "CopyObjectResult" not in doc
    assert doc["Error"]["Code"] == "InternalError"
    assert (await http.request("HEAD", bucket, "dst")).status == 404

    ok = await http.request("PUT", bucket, "dst", headers={"x-cos-copy-source": source})
    assert ok.status == 200
    assert "CopyObjectResult" in ok.xml()
    assert (await http.request("GET", bucket, "dst")).body == b"source data"


# --- control API over HTTP --------------------------------------------------------------------


async def test_arm_fault_over_http(
    server: LocalCosServer, http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    rule = {"action": "error", "operation": "GetObject", "status": 500, "code": "InternalError"}
    status, created = await control(session, server, "POST", "faults", rule)
    assert status == 200
    rule_id = created["id"]
    assert isinstance(rule_id, int)

    status, armed = await control(session, server, "GET", "faults")
    assert status == 200
    assert [a["id"] for a in armed] == [rule_id]
    assert armed[0]["rule"]["action"] == "error"
    assert armed[0]["rule"]["operation"] == "GetObject"
    assert armed[0]["rule"]["status"] == 500
    assert armed[0]["fired"] == 0

    failed = await http.request("GET", bucket, "k")
    assert failed.status == 500
    assert failed.code == "InternalError"
    assert server.faults.fired(rule_id) == 1
    _, armed = await control(session, server, "GET", "faults")
    assert armed[0]["fired"] == 1

    status, _ = await control(session, server, "DELETE", f"faults/{rule_id}")
    assert status == 200
    assert (await control(session, server, "GET", "faults"))[1] == []


async def test_clear_faults_over_http(
    server: LocalCosServer, http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    for op in ("GetObject", "HeadObject"):
        status, _ = await control(
            session, server, "POST", "faults", {"action": "error", "operation": op, "times": None}
        )
        assert status == 200
    assert len(server.faults.snapshot()) == 2
    assert (await http.request("GET", bucket, "k")).status == 503
    status, _ = await control(session, server, "DELETE", "faults")
    assert status == 200
    assert server.faults.snapshot() == []
    assert (await http.request("GET", bucket, "k")).status == 200
    assert (await http.request("HEAD", bucket, "k")).status == 200


@pytest.mark.parametrize(
    ("rule", "needle"),
    [
        ({"action": "explode"}, "explode"),
        ({"action": "error", "colour": "red"}, "colour"),
        ({"action": "error", "nth": 0}, "nth"),
        ({"operation": "GetObject"}, "action"),
        ({"action": "error", "status": "abc"}, "status"),
        ({"action": "error", "status": 99}, "status"),
        (["action", "error"], "error"),
    ],
)
async def test_bad_rule_over_http(
    server: LocalCosServer, session: aiohttp.ClientSession, rule: Any, needle: str
) -> None:
    async with session.post(control_url(server, "faults"), json=rule) as resp:
        status, answer = resp.status, await resp.json()
    assert status == 400
    assert needle in answer["error"]
    assert server.faults.snapshot() == []


async def test_malformed_json_rule_over_http(
    server: LocalCosServer, session: aiohttp.ClientSession
) -> None:
    async with session.post(control_url(server, "faults"), data=b"{not json") as resp:
        assert resp.status == 400
        assert "error" in await resp.json()
    assert server.faults.snapshot() == []


ARM_SCRIPT = """
import json, sys, urllib.request
endpoint, key = sys.argv[1], sys.argv[2]
rule = {"action": "error", "operation": "GetObject", "key": key, "status": 503,
        "code": "ServiceUnavailable", "times": 2}
req = urllib.request.Request(
    endpoint + "/_cos_testing/faults",
    data=json.dumps(rule).encode(),
    headers={"Content-Type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(req, timeout=30) as resp:
    print(json.load(resp)["id"])
"""


async def test_arm_fault_from_another_process(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "target", b"t")
    await put(http, bucket, "bystander", b"b")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ARM_SCRIPT,
        server.endpoint,
        "target",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    rule_id = int(out.decode().strip())
    assert [a["id"] for a in server.faults.snapshot()] == [rule_id]

    assert (await http.request("GET", bucket, "bystander")).status == 200
    first = await http.request("GET", bucket, "target")
    assert first.status == 503
    assert first.code == "ServiceUnavailable"
    assert (await http.request("GET", bucket, "target")).status == 503
    assert (await http.request("GET", bucket, "target")).status == 200
    assert server.faults.fired(rule_id) == 2


# --- request log ------------------------------------------------------------------------------


async def test_request_log(
    server: LocalCosServer, http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "a", b"1")
    await put(http, bucket, "b", b"2")
    assert (await http.request("GET", bucket, "a")).status == 200
    server.faults.add(action="error", operation="GetObject", key="b")
    assert (await http.request("GET", bucket, "b")).status == 503
    assert (await http.request("GET", bucket, "missing")).status == 404
    upload_id = await initiate(http, bucket, "mp")
    assert (await upload_part(http, bucket, "mp", upload_id, 7, b"p")).status == 200

    status, records = await control(session, server, "GET", "requests")
    assert status == 200
    summary = [
        (
            r["method"],
            r["operation"],
            r["bucket"],
            r["key"],
            r["part_number"],
            r["status"],
            r["fault"],
        )
        for r in records
    ]
    assert summary == [
        ("PUT", "PutObject", bucket, "a", None, 200, None),
        ("PUT", "PutObject", bucket, "b", None, 200, None),
        ("GET", "GetObject", bucket, "a", None, 200, None),
        ("GET", "GetObject", bucket, "b", None, 503, "error"),
        ("GET", "GetObject", bucket, "missing", None, 404, None),
        ("POST", "InitiateMultipartUpload", bucket, "mp", None, 200, None),
        ("PUT", "UploadPart", bucket, "mp", 7, 200, None),
    ]
    assert all(isinstance(r["time"], float) for r in records)
    # control requests are not logged
    assert len(server.requests.records()) == 7
    assert server.requests.count("GetObject") == 3
    assert server.requests.count("GetObject", status=200) == 1
    assert server.requests.count(key="b") == 2
    assert server.requests.count("UploadPart", part_number=7) == 1
    assert server.requests.count(fault="error") == 1

    status, _ = await control(session, server, "DELETE", "requests")
    assert status == 200
    assert (await control(session, server, "GET", "requests"))[1] == []
    assert server.requests.count() == 0


async def test_request_log_records_faults_of_each_kind(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "big", DATA_2M)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=1)
    await http.request("GET", bucket, "big")
    server.faults.add(action="reset", operation="GetObject", after_bytes=10, times=None)
    with pytest.raises(CONNECTION_ERRORS):
        await http.request("GET", bucket, "big")
    faults = [r.fault for r in server.requests.records() if r.operation == "GetObject"]
    assert faults[0] == "corrupt"
    assert faults[1:] in (["reset"], ["reset", "reset"])
    assert json.loads(json.dumps([r.to_json() for r in server.requests.records()]))


async def test_error_after_200_upload_part_copy(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    # COS reports late failures of copies (PUT Object - Copy and Upload Part - Copy) this way
    await put(http, bucket, "src", b"source data")
    source = f"{bucket}.cos.{server.region}.myqcloud.com/src"
    upload_id = await initiate(http, bucket, "mp")
    params = {"partNumber": "1", "uploadId": upload_id}
    rule_id = server.faults.add(
        action="error_after_200", operation="UploadPartCopy", code="InternalError"
    )
    late = await http.request(
        "PUT", bucket, "mp", params=params, headers={"x-cos-copy-source": source}
    )
    assert server.faults.fired(rule_id) == 1
    assert late.status == 200
    assert late.body[:1].isspace()
    doc = _xml.parse(late.body.strip())
    assert "CopyPartResult" not in doc
    assert doc["Error"]["Code"] == "InternalError"
    parts = await http.request("GET", bucket, "mp", params={"uploadId": upload_id})
    assert not parts.xml()["ListPartsResult"].get("Part")

    ok = await http.request(
        "PUT", bucket, "mp", params=params, headers={"x-cos-copy-source": source}
    )
    assert ok.status == 200
    assert ok.xml()["CopyPartResult"]["CRC64"] == str(crc64(b"source data"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "delay", "delay": "x"}, "delay must be a number"),
        ({"action": "reset", "after_bytes": "10"}, "after_bytes must be an integer"),
        ({"action": "error", "part_number": "2"}, "part_number must be an integer"),
        ({"action": "error", "request_id": "no"}, "request_id must be true or false"),
        ({"action": "error", "code": 5}, "code must be a string"),
        ({"action": "truncate", "operation": "PutObject"}, "cannot affect 'PutObject'"),
        ({"action": "error_after_200", "operation": "GetObject"}, "cannot affect 'GetObject'"),
    ],
)
def test_rule_fields_are_type_checked(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultRule.from_json(fields)


async def test_rule_only_counts_operations_it_can_affect(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    data = b"0123456789" * 1000
    await put(http, bucket, "k", data)
    rule = server.faults.add(action="truncate", after_bytes=5, times=1)
    # A HEAD and a PUT are not affected and do not use the rule up...
    assert (await http.request("HEAD", bucket, "k")).status == 200
    assert (await http.request("PUT", bucket, "k2", data=b"x")).status == 200
    assert server.faults.fired(rule) == 0
    # ...the first GET is.
    with pytest.raises(aiohttp.ClientPayloadError):
        await http.request("GET", bucket, "k")
    assert server.faults.fired(rule) == 1


# --- operations are Operation names -----------------------------------------------------------


def test_rule_operation_is_an_operation() -> None:
    by_name = FaultRule(action="error", operation="UploadPart")
    by_member = FaultRule(action="error", operation=Operation.UploadPart)
    assert by_name == by_member
    assert by_name.operation is Operation.UploadPart
    assert by_name.operation == "UploadPart"  # a str enum: equal to its name
    assert by_name.to_json()["operation"] == "UploadPart"
    assert type(by_name.to_json()["operation"]) is str
    assert FaultRule.from_json(by_name.to_json()) == by_name
    assert FaultRule(action="error").operation is None


@pytest.mark.parametrize("name", ["UplaodPart", "uploadpart", "PutBucket:cors", ""])
def test_misspelled_operation_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"unknown operation {name!r}") as info:
        FaultRule(action="error", operation=name)
    message = str(info.value)
    assert "CompleteMultipartUpload" in message  # the valid names are listed
    assert "PutBucketCORS" in message
    with pytest.raises(ValueError, match="unknown operation"):
        FaultRule.from_json({"action": "error", "operation": name})
    injector = FaultInjector()
    with pytest.raises(ValueError, match="unknown operation"):
        injector.add(action="error", operation=name)
    assert injector.snapshot() == []


def test_misspelling_names_the_closest_operation() -> None:
    with pytest.raises(ValueError, match="did you mean UploadPart"):
        FaultRule(action="error", operation="UplaodPart")


def test_operation_must_be_a_string() -> None:
    with pytest.raises(ValueError, match="operation must be a string, got 5"):
        FaultRule.from_json({"action": "error", "operation": 5})


async def test_misspelled_operation_is_refused_over_http(
    server: LocalCosServer, session: aiohttp.ClientSession
) -> None:
    status, answer = await control(
        session, server, "POST", "faults", {"action": "error", "operation": "GetObjcet"}
    )
    assert status == 400
    assert "unknown operation 'GetObjcet'" in answer["error"]
    assert "GetObject" in answer["error"]
    assert server.faults.snapshot() == []
    status, answer = await control(
        session, server, "POST", "faults", {"action": "error", "operation": "GetObject"}
    )
    assert status == 200
    [armed] = server.faults.snapshot()
    assert armed["rule"]["operation"] == "GetObject"


async def test_records_carry_the_operation(
    server: LocalCosServer, http: CosHttp, bucket: str, session: aiohttp.ClientSession
) -> None:
    await put(http, bucket, "k", b"x")
    await http.request("PUT", bucket, params={"cors": None}, data=b"<bad")
    put_record, cors_record = server.requests.records()[-2:]
    assert put_record.operation is Operation.PutObject
    assert put_record.operation == "PutObject"
    assert cors_record.operation is Operation.PutBucketCORS
    assert server.requests.count(Operation.PutObject) == server.requests.count("PutObject") == 1
    with pytest.raises(ValueError, match="unknown operation 'PutObjects'"):
        server.requests.count("PutObjects")
    status, records = await control(session, server, "GET", "requests")
    assert status == 200
    assert [r["operation"] for r in records[-2:]] == ["PutObject", "PutBucketCORS"]


async def test_request_log_keeps_documents_when_asked(
    server: LocalCosServer, http: CosHttp, bucket: str, session: aiohttp.ClientSession
) -> None:
    tagging = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    await put(http, bucket, "k", b"x")
    assert (
        await http.request("PUT", bucket, "k", params={"tagging": None}, data=tagging)
    ).status == 200
    assert server.requests.records()[-1].document is None  # off by default
    server.requests.keep_documents = True
    assert (
        await http.request("PUT", bucket, "k", params={"tagging": None}, data=tagging)
    ).status == 200
    await put(http, bucket, "k2", b"object bodies are no documents")
    tag_record, put_record = server.requests.records()[-2:]
    assert tag_record.operation == "PutObjectTagging"
    assert tag_record.document == tagging
    assert put_record.document is None
    _, records = await control(session, server, "GET", "requests")
    assert records[-2]["document"] == tagging.decode()


# --- strike points past the body ---------------------------------------------------------------
# A reset, truncate or corrupt rule whose after_bytes lies past the body strikes its last byte;
# one that cannot strike at all (an empty body, a request answered before its body) does not
# fire: it is neither counted nor used up.


async def test_corrupt_past_the_end_of_a_download_flips_the_last_byte(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    data = b"0123456789"
    await put(http, bucket, "small", data)
    rule_id = server.faults.add(action="corrupt", operation="GetObject", after_bytes=10_000)
    got = await http.request("GET", bucket, "small")
    assert differing_offsets(got.body, data) == [len(data) - 1]
    assert server.faults.fired(rule_id) == 1
    assert [r.fault for r in server.requests.records() if r.operation == "GetObject"] == ["corrupt"]


@pytest.mark.parametrize("action", ["truncate", "reset"])
async def test_cut_past_the_end_of_a_download_withholds_the_last_byte(
    server: LocalCosServer,
    http: CosHttp,
    session: aiohttp.ClientSession,
    bucket: str,
    action: str,
) -> None:
    data = b"z" * 5000
    await put(http, bucket, "small", data)
    rule_id = server.faults.add(action=action, operation="GetObject", after_bytes=10**9)
    auth = http.sign("GET", bucket, "small")
    received = bytearray()
    headers = {"Host": http.host_for(bucket), "Authorization": auth.to_header()}

    async def fetch() -> None:
        async with session.get(http.url(bucket, "small", {}), headers=headers) as resp:
            assert resp.content_length == len(data)
            await drain(resp, received)

    with pytest.raises(CONNECTION_ERRORS):
        await fetch()
    assert bytes(received) == data[: len(received)]
    assert len(received) < len(data)
    assert server.faults.fired(rule_id) == 1


async def test_corrupt_past_the_end_of_an_upload_flips_its_last_byte(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    data = b"abcdef"
    rule_id = server.faults.add(action="corrupt", operation="PutObject", after_bytes=1000)
    reply = await put(http, bucket, "k", data)
    stored = data[:-1] + bytes([data[-1] ^ 0xFF])
    assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(stored))
    assert (await http.request("GET", bucket, "k")).body == stored
    assert server.faults.fired(rule_id) == 1


@pytest.mark.parametrize(
    ("action", "operation"),
    [("corrupt", "GetObject"), ("truncate", "GetObject"), ("corrupt", "PutObject")],
)
async def test_a_rule_that_cannot_strike_an_empty_body_does_not_fire(
    server: LocalCosServer, http: CosHttp, bucket: str, action: str, operation: str
) -> None:
    await put(http, bucket, "empty", b"")
    await put(http, bucket, "full", b"0123456789")
    rule_id = server.faults.add(action=action, operation=operation, after_bytes=3)
    if operation == "GetObject":
        assert (await http.request("GET", bucket, "empty")).body == b""
    else:
        await put(http, bucket, "empty", b"")
        assert (await http.request("GET", bucket, "empty")).body == b""
    assert server.faults.fired(rule_id) == 0
    assert [r.fault for r in server.requests.records() if r.operation == operation][-1] is None
    # still armed: the next body it can strike gets it
    if operation == "GetObject":
        if action == "corrupt":
            got = await http.request("GET", bucket, "full")
            assert differing_offsets(got.body, b"0123456789") == [3]
        else:
            with pytest.raises(CONNECTION_ERRORS):
                await http.request("GET", bucket, "full")
    else:
        await put(http, bucket, "full", b"0123456789")
        assert differing_offsets(
            (await http.request("GET", bucket, "full")).body, b"0123456789"
        ) == [3]
    assert server.faults.fired(rule_id) == 1


async def test_a_rule_does_not_fire_on_a_request_answered_before_its_body(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    rule_id = server.faults.add(action="corrupt", operation="GetObject", after_bytes=0, nth=1)
    assert (await http.request("GET", bucket, "missing")).status == 404
    assert (await http.request("GET", bucket, "missing", signed=False)).status == 403
    assert server.faults.fired(rule_id) == 0
    await put(http, bucket, "k", b"abc")
    assert (await http.request("GET", bucket, "k")).body == bytes([ord("a") ^ 0xFF]) + b"bc"
    assert server.faults.fired(rule_id) == 1


async def test_truncate_past_the_end_of_a_select_stream_cuts_it(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    from tests.server.test_select import request_xml

    await put(http, bucket, "a.csv", b"x,1\ny,2\n")
    rule_id = server.faults.add(
        action="truncate", operation="SelectObjectContent", after_bytes=10**9
    )
    with pytest.raises(CONNECTION_ERRORS):
        await http.request(
            "POST",
            bucket,
            "a.csv",
            params={"select": None, "select-type": "2"},
            data=request_xml("SELECT * FROM COSObject"),
        )
    assert server.faults.fired(rule_id) == 1
