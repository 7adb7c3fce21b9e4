"""The local server's S3 side, request by request: SigV4 as botocore signs it (``S3SigV4Auth``,
``S3SigV4QueryAuth``: the oracle), tampered requests refused with S3's error codes, payload
hashes and checksums enforced, and ``aws-chunked`` bodies decoded with every chunk signature
checked (against AWS's own worked examples, and end to end)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from yarl import URL

from cos_async import _xml
from cos_async.testing import LocalCosServer, ServerCredential
from cos_async.testing import _sigv4 as sigv4
from cos_async.testing._context import CosServerError
from cos_async.testing._s3_bodies import AwsChunkedPayload, Checksum, ChunkSigner, checksum_of
from tests.cos_http import Reply

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

AK, SK = "AKIDSigV4TestKey000000000000000000", "SigV4TestSecret0000000000000000"
REGION = "ap-guangzhou"


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def server(clock: Clock) -> AsyncIterator[LocalCosServer]:
    creds = [ServerCredential(AK, SK), ServerCredential("AKIDTemp", "TempSecret", token="tok-1")]
    async with LocalCosServer(credentials=creds, region=REGION, clock=clock) as srv:
        yield srv


class _Signer(S3SigV4Auth):
    """botocore's S3 signer with a payload mode of our choice (botocore would sign a hash of
    the body it was given: a chunked body is made after the seed signature)."""

    def __init__(self, credentials: Credentials, region: str, payload: str | None) -> None:
        super().__init__(credentials, "s3", region)
        self._payload = payload

    def payload(self, request: AWSRequest) -> str:
        return self._payload if self._payload is not None else str(super().payload(request))


def sign(
    server: LocalCosServer,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str | None = None,
    region: str = REGION,
    secret: str = SK,
    key: str = AK,
    token: str | None = None,
) -> tuple[str, dict[str, str]]:
    """``(url, headers)`` of a request signed by botocore (the URL's path and query as sent)."""
    url = f"http://{host}{path}" if host else server.endpoint + path
    headers = dict(headers or {})
    payload = headers.pop("X-Amz-Content-SHA256", None)
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    _Signer(Credentials(key, secret, token), region, payload).add_auth(req)
    prepared = req.prepare()
    prepared.headers.pop("Content-Length", None)  # not signed; aiohttp sets it for the body
    if host is None:
        return prepared.url, dict(prepared.headers)
    sent = prepared.url.replace(f"http://{host}", server.endpoint)
    return sent, {**prepared.headers, "Host": host}


def presign(
    server: LocalCosServer, method: str, path: str, *, expires: int = 60, region: str = REGION
) -> str:
    req = AWSRequest(method=method, url=server.endpoint + path)
    S3SigV4QueryAuth(Credentials(AK, SK), "s3", region, expires=expires).add_auth(req)
    return str(req.prepare().url)


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | Any = b"",
) -> Reply:
    async with session.request(
        method, URL(url, encoded=True), headers=headers or {}, data=body
    ) as resp:
        return Reply(resp.status, resp.headers, await resp.read())


def error(reply: Reply) -> dict[str, Any]:
    doc = _xml.parse(reply.body)["Error"]
    assert isinstance(doc, dict)
    return doc


# --- botocore's signatures are accepted ----------------------------------------------------------


async def test_botocore_signed_requests_round_trip(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    key = "dir/a key+with~odd$chars/ü.txt"
    path = f"/{bucket}/{quote(key, safe='/~')}"
    url, h = sign(server, "PUT", path, body=b"payload", headers={"x-amz-meta-colour": "blue"})
    assert h["X-Amz-Content-SHA256"] == hashlib.sha256(b"payload").hexdigest()
    put = await send(session, "PUT", url, h, b"payload")
    assert put.status == 200, put.body
    assert put.headers["x-amz-request-id"] == put.headers["x-cos-request-id"]
    got = await send(session, "GET", *sign(server, "GET", path))
    assert (got.status, got.body) == (200, b"payload")
    assert got.headers["x-amz-meta-colour"] == "blue"
    query = f"/{bucket}?list-type=2&prefix={quote('dir/a key', safe='')}&delimiter=%2F"
    listed = await send(session, "GET", *sign(server, "GET", query))
    assert listed.status == 200, listed.body
    result = listed.xml()["ListBucketResult"]
    assert result["KeyCount"] == "1"
    assert [p["Prefix"] for p in result["CommonPrefixes"]] == ["dir/a key+with~odd$chars/"]
    deleted = await send(session, "DELETE", *sign(server, "DELETE", path))
    assert deleted.status == 204


async def test_virtual_hosted_s3_host(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    host = f"{bucket}.s3.{REGION}.amazonaws.com"
    url, h = sign(server, "PUT", "/v.txt", body=b"vhost", host=host)
    assert (await send(session, "PUT", url, h, b"vhost")).status == 200
    # the same object, path-style, on the S3 service host
    url, h = sign(server, "GET", f"/{bucket}/v.txt", host=f"s3.{REGION}.amazonaws.com")
    got = await send(session, "GET", url, h)
    assert (got.status, got.body) == (200, b"vhost")


# --- tampered or wrong requests are refused -------------------------------------------------------

_TAMPER: dict[str, Callable[[str, dict[str, str]], tuple[str, str, dict[str, str]]]] = {
    "path": lambda url, h: ("GET", url.replace("/obj", "/obj2"), h),
    "query": lambda url, h: ("GET", url + "?versionId=null", h),
    "signed header": lambda url, h: ("GET", url, {**h, "Range": "bytes=0-1"}),
    "method": lambda url, h: ("HEAD", url, h),
    "date": lambda url, h: ("GET", url, {**h, "X-Amz-Date": "20300101T000000Z"}),
}


@pytest.mark.parametrize("change", sorted(_TAMPER))
async def test_a_tampered_request_is_refused(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str, change: str
) -> None:
    url, h = sign(server, "GET", f"/{bucket}/obj", headers={"Range": "bytes=0-0"})
    method, url, h = _TAMPER[change](url, h)
    reply = await send(session, method, url, h)
    assert reply.status == 403 if change != "date" else reply.status in (400, 403)
    if method != "HEAD":
        code = error(reply)["Code"]
        assert code == "SignatureDoesNotMatch" or (change == "date" and code), reply.body
    # the untouched request is accepted (the object does not exist: 404, not 403)
    url, h = sign(server, "GET", f"/{bucket}/obj", headers={"Range": "bytes=0-0"})
    assert (await send(session, "GET", url, h)).status == 404


async def test_wrong_secret_and_unknown_key(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    reply = await send(session, "GET", *sign(server, "GET", f"/{bucket}/k", secret="wrong"))
    assert (reply.status, error(reply)["Code"]) == (403, "SignatureDoesNotMatch")
    assert "CanonicalRequest" in error(reply)
    assert "wrong" not in reply.body.decode()
    assert SK not in reply.body.decode()
    reply = await send(session, "GET", *sign(server, "GET", f"/{bucket}/k", key="AKIDnobody"))
    assert (reply.status, error(reply)["Code"]) == (403, "InvalidAccessKeyId")


async def test_wrong_region_is_authorization_header_malformed(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    reply = await send(session, "GET", *sign(server, "GET", f"/{bucket}/k", region="us-east-1"))
    assert reply.status == 400
    doc = error(reply)
    assert doc["Code"] == "AuthorizationHeaderMalformed"
    assert doc["Region"] == REGION  # what botocore reads to re-sign for the right region
    assert "us-east-1" in doc["Message"]
    assert reply.headers["x-amz-bucket-region"] == REGION


async def test_request_time_too_skewed(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str, clock: Clock
) -> None:
    url, h = sign(server, "GET", f"/{bucket}/k")
    clock.offset = 3600
    reply = await send(session, "GET", url, h)
    assert (reply.status, error(reply)["Code"]) == (403, "RequestTimeTooSkewed")


async def test_unsigned_amz_header_is_refused(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    url, h = sign(server, "PUT", f"/{bucket}/k", body=b"x")
    reply = await send(session, "PUT", url, {**h, "x-amz-acl": "public-read"}, b"x")
    assert (reply.status, error(reply)["Code"]) == (403, "AccessDenied")
    assert error(reply)["HeadersNotSigned"] == "x-amz-acl"


async def test_payload_hash_is_checked(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    url, h = sign(server, "PUT", f"/{bucket}/k", body=b"signed body")
    reply = await send(session, "PUT", url, h, b"other body!")
    assert (reply.status, error(reply)["Code"]) == (400, "XAmzContentSHA256Mismatch")
    listed = await send(session, "GET", *sign(server, "GET", f"/{bucket}?list-type=2"))
    assert "Contents" not in listed.xml()["ListBucketResult"]  # nothing was stored
    url, h = sign(server, "GET", f"/{bucket}/k")
    del h["X-Amz-Content-SHA256"]
    reply = await send(session, "GET", url, h)
    assert (reply.status, error(reply)["Code"]) == (400, "InvalidRequest")


async def test_unsigned_payload_and_checksum_header(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    crc = checksum_of("crc32", b"data")
    headers = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD", "x-amz-checksum-crc32": crc}
    url, h = sign(server, "PUT", f"/{bucket}/k", body=b"data", headers=headers)
    reply = await send(session, "PUT", url, h, b"data")
    assert reply.status == 200, reply.body
    assert reply.headers["x-amz-checksum-crc32"] == crc
    headers["x-amz-checksum-crc32"] = checksum_of("crc32", b"else")
    url, h = sign(server, "PUT", f"/{bucket}/k2", body=b"data", headers=headers)
    reply = await send(session, "PUT", url, h, b"data")
    assert (reply.status, error(reply)["Code"]) == (400, "BadDigest")


async def test_temporary_keys_need_their_token(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    ok = sign(server, "GET", f"/{bucket}/k", key="AKIDTemp", secret="TempSecret", token="tok-1")
    assert (await send(session, "GET", *ok)).status == 404
    bad = sign(server, "GET", f"/{bucket}/k", key="AKIDTemp", secret="TempSecret", token="tok-2")
    reply = await send(session, "GET", *bad)
    assert (reply.status, error(reply)["Code"]) == (403, "InvalidToken")
    none = sign(server, "GET", f"/{bucket}/k", key="AKIDTemp", secret="TempSecret")
    assert error(await send(session, "GET", *none))["Code"] == "InvalidToken"
    # a wrong signature quotes the canonical request, never the token in it
    wrong = sign(server, "GET", f"/{bucket}/k", key="AKIDTemp", secret="nope", token="tok-1")
    reply = await send(session, "GET", *wrong)
    assert error(reply)["Code"] == "SignatureDoesNotMatch"
    assert "x-amz-security-token:<token>" in error(reply)["CanonicalRequest"]
    assert b"tok-1" not in reply.body


async def test_sigv2_is_refused(server: LocalCosServer, session: aiohttp.ClientSession) -> None:
    reply = await send(
        session, "GET", server.endpoint + "/", {"Authorization": f"AWS {AK}:c2lnbmF0dXJl"}
    )
    assert (reply.status, error(reply)["Code"]) == (400, "InvalidRequest")


# --- presigned URLs ------------------------------------------------------------------------------


async def test_presigned_urls(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str, clock: Clock
) -> None:
    put_url = presign(server, "PUT", f"/{bucket}/p.txt")
    assert (await send(session, "PUT", put_url, body=b"presigned")).status == 200
    get_url = presign(server, "GET", f"/{bucket}/p.txt", expires=60)
    got = await send(session, "GET", get_url)
    assert (got.status, got.body) == (200, b"presigned")
    tampered = await send(session, "GET", get_url.replace("p.txt", "q.txt"))
    assert (tampered.status, error(tampered)["Code"]) == (403, "SignatureDoesNotMatch")
    clock.offset = 61
    expired = await send(session, "GET", get_url)
    assert expired.status == 403
    assert (error(expired)["Code"], error(expired)["Message"]) == (
        "AccessDenied",
        "Request has expired",
    )
    too_long = presign(server, "GET", f"/{bucket}/p.txt", expires=sigv4.MAX_EXPIRES + 1)
    reply = await send(session, "GET", too_long)
    assert (reply.status, error(reply)["Code"]) == (400, "AuthorizationQueryParametersError")
    region = await send(session, "GET", presign(server, "GET", f"/{bucket}/p", region="eu-west-1"))
    assert (region.status, error(region)["Code"]) == (400, "AuthorizationQueryParametersError")
    assert error(region)["Region"] == REGION


# --- aws-chunked -------------------------------------------------------------------------------

# AWS's worked example ("Signature Calculations for the Authorization Header: Transferring Payload
# in Multiple Chunks", and its trailer variant): 64 KiB + 1 KiB of "a", secret and date below.
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_DATE = "20130524T000000Z"
DOC_CREDENTIAL = sigv4.Credential("AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3")
DOC_CHUNKS = (b"a" * 65536, b"a" * 1024, b"")
DOC_SIGNED = (
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",  # seed
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
DOC_TRAILER = (
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",  # seed
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
DOC_TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"


def test_the_documented_seed_signature() -> None:
    headers = {
        "content-encoding": ["aws-chunked"],
        "content-length": ["66824"],
        "host": ["s3.amazonaws.com"],
        "x-amz-content-sha256": [sigv4.STREAMING_SIGNED],
        "x-amz-date": [DOC_DATE],
        "x-amz-decoded-content-length": ["66560"],
        "x-amz-storage-class": ["REDUCED_REDUNDANCY"],
    }
    names = sorted(headers)
    canonical = sigv4.canonical_request(
        "PUT",
        "/examplebucket/chunkObject.txt",
        sigv4.canonical_query(""),
        sigv4.canonical_headers(headers, names),
        names,
        sigv4.STREAMING_SIGNED,
    )
    text = sigv4.string_to_sign(DOC_DATE, DOC_CREDENTIAL.scope, canonical)
    key = sigv4.signing_key(DOC_SECRET, DOC_CREDENTIAL)
    assert sigv4.signature(key, text) == DOC_SIGNED[0]


def _doc_body(signatures: tuple[str, ...], trailer: str = "") -> bytes:
    body = b""
    for data, sig in zip(DOC_CHUNKS, signatures[1:], strict=True):
        body += f"{len(data):x};chunk-signature={sig}\r\n".encode() + data + b"\r\n"
    if trailer:
        body = body[:-2] + trailer.encode() + b"\r\n"
    return body


class Pieces:
    """A raw payload stream delivering ``data`` in pieces of ``size`` bytes."""

    def __init__(self, data: bytes, size: int) -> None:
        self._pieces = [data[i : i + size] for i in range(0, len(data), size)]

    async def readchunk(self) -> tuple[bytes, bool]:
        return (self._pieces.pop(0), False) if self._pieces else (b"", False)

    def at_eof(self) -> bool:
        return not self._pieces


async def _decode(payload: AwsChunkedPayload) -> bytes:
    out = b""
    while True:
        data, _ = await payload.readchunk()
        if not data:
            assert payload.at_eof()
            return out
        out += data


def _signer(seed: str) -> ChunkSigner:
    return ChunkSigner(
        sigv4.signing_key(DOC_SECRET, DOC_CREDENTIAL), DOC_DATE, DOC_CREDENTIAL.scope, seed
    )


@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
async def test_the_documented_chunked_body_decodes(piece: int) -> None:
    body = _doc_body(DOC_SIGNED)
    assert len(body) == 66824  # the documented Content-Length
    payload = AwsChunkedPayload(
        Pieces(body, piece),
        mode=sigv4.STREAMING_SIGNED,
        signer=_signer(DOC_SIGNED[0]),
        decoded_length=66560,
        checksum=None,
    )
    assert await _decode(payload) == b"a" * 66560


async def test_the_documented_chunked_body_with_a_signed_trailer_decodes() -> None:
    assert checksum_of("crc32c", b"a" * 66560) == "sOO8/Q=="
    trailer = (
        f"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{DOC_TRAILER_SIGNATURE}\r\n"
    )
    payload = AwsChunkedPayload(
        Pieces(_doc_body(DOC_TRAILER, trailer), 999),
        mode=sigv4.STREAMING_SIGNED_TRAILER,
        signer=_signer(DOC_TRAILER[0]),
        decoded_length=66560,
        checksum=Checksum("crc32c", None),
    )
    assert await _decode(payload) == b"a" * 66560
    assert payload.checksum is not None
    assert payload.checksum.expected == "sOO8/Q=="


def _flip(body: bytes, at: int) -> bytes:
    return body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]


@pytest.mark.parametrize(
    ("what", "code"),
    [
        ("data byte", "SignatureDoesNotMatch"),
        ("signature", "SignatureDoesNotMatch"),
        ("truncated", "IncompleteBody"),
        ("length", "IncompleteBody"),
        ("trailer value", "SignatureDoesNotMatch"),
    ],
)
async def test_a_damaged_chunked_body_fails(what: str, code: str) -> None:
    body = _doc_body(DOC_SIGNED)
    mode, signer, length, checksum = sigv4.STREAMING_SIGNED, _signer(DOC_SIGNED[0]), 66560, None
    if what == "data byte":
        body = _flip(body, 40_000)
    elif what == "signature":
        body = body.replace(DOC_SIGNED[2].encode(), DOC_SIGNED[3].encode())
    elif what == "truncated":
        body = body[:-40]
    elif what == "length":
        length = 66561
    else:
        trailer = (
            f"x-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:{DOC_TRAILER_SIGNATURE}\r\n"
        )
        body = _doc_body(DOC_TRAILER, trailer)
        mode, signer = sigv4.STREAMING_SIGNED_TRAILER, _signer(DOC_TRAILER[0])
        checksum = Checksum("crc32c", None)
    payload = AwsChunkedPayload(
        Pieces(body, 5000), mode=mode, signer=signer, decoded_length=length, checksum=checksum
    )
    with pytest.raises(CosServerError) as info:
        await _decode(payload)
    assert info.value.code == code


def _signing_key(secret: str, date: str) -> bytes:
    """The SigV4 signing key, computed here (not with the server's code)."""
    k = ("AWS4" + secret).encode()
    for part in (date, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def encode_chunks(
    chunks: list[bytes], seed: str, amz_date: str, trailer: tuple[str, str] | None = None
) -> bytes:
    """A signed ``aws-chunked`` body (and signed trailer), chained from ``seed``."""
    key = _signing_key(SK, amz_date[:8])
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    empty = hashlib.sha256(b"").hexdigest()
    previous, out = seed, b""
    for data in [*chunks, b""]:
        text = "\n".join(
            (
                "AWS4-HMAC-SHA256-PAYLOAD",
                amz_date,
                scope,
                previous,
                empty,
                hashlib.sha256(data).hexdigest(),
            )
        )
        previous = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        out += f"{len(data):x};chunk-signature={previous}\r\n".encode() + data + b"\r\n"
    if trailer is not None:
        line = f"{trailer[0]}:{trailer[1]}\n"
        text = "\n".join(
            (
                "AWS4-HMAC-SHA256-TRAILER",
                amz_date,
                scope,
                previous,
                hashlib.sha256(line.encode()).hexdigest(),
            )
        )
        sig = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        out = out[:-2] + f"{line[:-1]}\r\nx-amz-trailer-signature:{sig}\r\n\r\n".encode()
    return out


@pytest.mark.parametrize("trailer", [False, True], ids=["signed", "signed-trailer"])
async def test_a_signed_chunked_upload_end_to_end(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str, trailer: bool
) -> None:
    data = bytes(range(256)) * 600  # 150 KiB in 64 KiB chunks
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    mode = sigv4.STREAMING_SIGNED_TRAILER if trailer else sigv4.STREAMING_SIGNED
    headers = {
        "X-Amz-Content-SHA256": mode,
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
    }
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    path = f"/{bucket}/chunked"
    url, h = sign(server, "PUT", path, headers=headers)
    seed = h["Authorization"].rsplit("Signature=", 1)[1]
    body = encode_chunks(
        chunks, seed, h["X-Amz-Date"], ("x-amz-checksum-crc32", crc) if trailer else None
    )
    put = await send(session, "PUT", url, h, body)
    assert put.status == 200, put.body
    got = await send(session, "GET", *sign(server, "GET", path))
    assert got.body == data
    assert "aws-chunked" not in got.headers.get("Content-Encoding", "")
    # a flipped byte in the second chunk: refused, nothing stored
    bad = _flip(body, body.index(b"\r\n", 70_000) + 100)
    reply = await send(session, "PUT", *sign(server, "PUT", f"/{bucket}/bad", headers=headers), bad)
    assert reply.status in (400, 403)
    assert (await send(session, "HEAD", *sign(server, "HEAD", f"/{bucket}/bad"))).status == 404


async def test_an_unsigned_trailer_upload(
    server: LocalCosServer, session: aiohttp.ClientSession, bucket: str
) -> None:
    data = b"abc" * 10_000
    crc = checksum_of("crc32", data)
    body = b"".join(
        f"{len(data[i : i + 8192]):x}\r\n".encode() + data[i : i + 8192] + b"\r\n"
        for i in range(0, len(data), 8192)
    )
    headers = {
        "X-Amz-Content-SHA256": sigv4.STREAMING_UNSIGNED_TRAILER,
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }

    def chunked(checksum: str) -> bytes:
        return body + f"0\r\nx-amz-checksum-crc32:{checksum}\r\n\r\n".encode()

    url, h = sign(server, "PUT", f"/{bucket}/t", headers=headers)
    reply = await send(session, "PUT", url, h, chunked(crc))
    assert reply.status == 200, reply.body
    got = await send(session, "GET", *sign(server, "GET", f"/{bucket}/t"))
    assert got.body == data
    url, h = sign(server, "PUT", f"/{bucket}/t2", headers=headers)
    reply = await send(session, "PUT", url, h, chunked(checksum_of("crc32", b"no")))
    assert (reply.status, error(reply)["Code"]) == (400, "BadDigest")


async def test_a_header_that_is_not_utf8_is_refused(server: LocalCosServer, bucket: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            f"PUT /{bucket}/k HTTP/1.1\r\nHost: x\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n".encode()
            + b"x-amz-meta-a: \xff\xfe\r\nContent-Length: 1\r\nConnection: close\r\n\r\nA"
        )
        head = (await reader.read()).split(b"\r\n", 1)[0]
    finally:
        writer.close()
        await writer.wait_closed()
    assert head == b"HTTP/1.1 400 Bad Request"
