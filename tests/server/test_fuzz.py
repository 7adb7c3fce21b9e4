"""Fuzzing the local server's request parsing and documents: random methods, paths, queries,
headers and bodies (XML and JSON documents among them), signed or not.

Whatever arrives, the answer is a success or a COS ``<Error>`` document, never a 500, and it
arrives: each request is bounded by ``asyncio.wait_for`` (generously: the bound is for a stall,
never an assertion of speed). The examples share one server, so that what one stores the next
may read, list, copy or select.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cos_async import _signing, _xml
from cos_async.testing import LocalCosServer, ThreadedLocalCosServer
from cos_async.testing._routes import KNOWN_PARAMETERS

#: how long one request may take before it counts as a stall
BOUND = 20.0
BUCKET = "fuzz-1250000000"
PUBLIC = "fuzzpublic-1250000000"


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[ThreadedLocalCosServer]:
    with LocalCosServer.run_in_thread(idle_timeout=1.0, body_timeout=1.0) as server:
        yield server


def _keep_buckets(server: ThreadedLocalCosServer) -> None:
    """Create the two buckets of the examples if an example has deleted them."""
    for name, acl in ((BUCKET, "private"), (PUBLIC, "public-read-write")):
        if name not in server.store.buckets:
            server.server.create_bucket(name, acl=acl)


# --- strategies -----------------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(-5, 20_000).map(str),
    st.sampled_from(["", "²", "١٢", "１", "9" * 30, "9" * 5000, "1e3", " 1", "0x10", "-0"]),
)
#: text as a client would send it (printable), or of any character but CR, LF and NUL
PRINTABLE = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=40)
TEXT = st.one_of(
    PRINTABLE,
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"), max_size=40),
)
VALUES = st.one_of(NUMBERS, TEXT, st.none())
KEYS = st.one_of(
    st.sampled_from(["k", "a/b.txt", "dir/", "x.csv", "x.json", "x.gz", "中文 key", "a\nb"]),
    st.text(max_size=30).filter(lambda k: k and "\x00" not in k),
)
PARAM_NAMES = [
    *sorted(KNOWN_PARAMETERS),
    "uploadId",
    "partNumber",
    "versionId",
    "response-content-type",
    "response-content-disposition",
    "q-sign-time",
]
PARAMS = st.dictionaries(
    st.one_of(st.sampled_from(PARAM_NAMES), st.sampled_from(PARAM_NAMES), PRINTABLE),
    VALUES,
    max_size=4,
)
HEADER_NAMES = [
    "Range",
    "x-cos-traffic-limit",
    "Content-MD5",
    "Content-Type",
    "x-cos-acl",
    "x-cos-grant-read",
    "x-cos-grant-full-control",
    "x-cos-copy-source",
    "x-cos-copy-source-range",
    "x-cos-copy-source-If-Match",
    "x-cos-metadata-directive",
    "x-cos-storage-class",
    "x-cos-tagging",
    "x-cos-meta-a",
    "x-cos-server-side-encryption",
    "x-cos-server-side-encryption-customer-algorithm",
    "x-cos-server-side-encryption-customer-key",
    "x-cos-server-side-encryption-customer-key-MD5",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "x-cos-security-token",
    "Authorization",
]
HEADER_VALUES = st.one_of(
    NUMBERS,
    PRINTABLE,
    PRINTABLE,
    TEXT,
    st.sampled_from(
        [
            "bytes=0-",
            "bytes=-1",
            "bytes=" + "9" * 5000 + "-",
            "bytes=1-0",
            "multipart/form-data; boundary=x",
            "public-read",
            'id="100000000001"',
            f"/{BUCKET}/k",
            f"{BUCKET}.cos.ap-guangzhou.myqcloud.com/k?versionId=x",
            "Replaced",
            "ARCHIVE",
            "a=b&c=d",
            "AES256",
            "GET",
            "Mon, 01 Jan 99999 00:00:00 GMT",
            "q-sign-algorithm=sha1&q-ak=x",
        ]
    ),
)
HEADERS = st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUES, max_size=4)

ELEMENTS = [
    "Tagging", "TagSet", "Tag", "Key", "Value", "Delete", "Object", "Quiet", "VersionId",
    "CompleteMultipartUpload", "Part", "PartNumber", "ETag", "RestoreRequest", "Days",
    "CASJobParameters", "Tier", "AccessControlPolicy", "Owner", "ID", "AccessControlList",
    "Grant", "Grantee", "URI", "Permission", "CORSConfiguration", "CORSRule", "AllowedOrigin",
    "AllowedMethod", "MaxAgeSeconds", "LifecycleConfiguration", "Rule", "Status", "Filter",
    "Prefix", "Transition", "StorageClass", "VersioningConfiguration", "SelectRequest",
    "Expression", "ExpressionType", "InputSerialization", "CompressionType", "CSV", "JSON",
    "Type", "OutputSerialization", "RequestProgress", "Enabled", "FileHeaderInfo",
    "RecordDelimiter", "FieldDelimiter", "WebsiteConfiguration", "IndexDocument", "Suffix",
]  # fmt: skip


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda name, inner: f"<{name}>{inner}</{name}>",
        st.sampled_from(ELEMENTS),
        st.one_of(NUMBERS.map(escape), TEXT.map(escape), children),
    )


XML_TREES = st.recursive(
    st.one_of(NUMBERS, TEXT).map(escape),
    lambda inner: st.one_of(_element(inner), st.lists(_element(inner), max_size=4).map("".join)),
    max_leaves=20,
)
SELECTS = st.builds(
    lambda expression, compression, fmt: (
        f"<SelectRequest><Expression>{escape(expression)}</Expression>"
        "<ExpressionType>SQL</ExpressionType><InputSerialization>"
        f"<CompressionType>{compression}</CompressionType>{fmt}</InputSerialization>"
        "<OutputSerialization><CSV/></OutputSerialization></SelectRequest>"
    ),
    st.one_of(
        st.sampled_from(
            [
                "SELECT * FROM COSObject",
                "SELECT s._1, CAST(s._2 AS INT) FROM COSObject s WHERE s._2 > 1 LIMIT 3",
                "SELECT * FROM COSObject[*] WHERE a.b = 'x'",
                "SELECT " + "(" * 200 + "1" + ")" * 200 + " FROM COSObject",
            ]
        ),
        TEXT,
    ),
    st.sampled_from(["NONE", "GZIP", "BZIP2", "ZIP"]),
    st.sampled_from(
        ["<CSV/>", "<JSON><Type>LINES</Type></JSON>", "<JSON><Type>DOCUMENT</Type></JSON>", ""]
    ),
)
JSON_DOCS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=15,
).map(lambda doc: json.dumps(doc).encode())
BODIES = st.one_of(
    st.just(b""),
    st.binary(max_size=300),
    XML_TREES.map(lambda x: x.encode()),
    SELECTS.map(lambda x: x.encode()),
    JSON_DOCS,
    st.integers(1, 2000).map(lambda d: (b"<Tagging>" * d) + (b"</Tagging>" * d)),
    st.integers(1, 2000).map(lambda d: b"[" * d + b"]" * d),
    st.sampled_from([b"a,1\nb,2\n", b'{"a": 1}\n{"a": [1, 2]}\n', b"\x1f\x8b\x08garbage"]),
)
METHODS = st.sampled_from(
    ["GET"] * 3 + ["PUT"] * 3 + ["POST"] * 2 + ["DELETE", "HEAD", "OPTIONS", "PATCH", "get"]
)
#: (method, object key or None for the bucket, sub-resource parameters) of the operations that
#: read a request document or a number: the requests most likely to reach deep code
OPERATIONS: list[tuple[str, bool, dict[str, str | None]]] = [
    *(
        ("PUT", False, {sub: None})
        for sub in (
            "acl", "cors", "lifecycle", "versioning", "replication", "website", "logging",
            "policy", "domain", "tagging", "referer", "encryption", "intelligenttiering",
            "object-lock",
        )
    ),
    ("PUT", False, {"inventory": None, "id": "inv1"}),
    ("POST", False, {"delete": None}),
    ("PUT", True, {"acl": None}),
    ("PUT", True, {"tagging": None}),
    ("POST", True, {"restore": None}),
    ("POST", True, {"select": None, "select-type": "2"}),
    ("POST", True, {"uploads": None}),
    ("POST", True, {"uploadId": "x"}),
    ("PUT", True, {"partNumber": "1", "uploadId": "x"}),
    ("POST", True, {"append": None, "position": "0"}),
    ("PUT", True, {}),
    ("GET", True, {}),
    ("GET", False, {}),
    ("GET", False, {"uploads": None}),
    ("GET", False, {"versions": None}),
    ("OPTIONS", True, {}),
    ("POST", False, {}),
]  # fmt: skip


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A request shaped like a COS operation (with random numbers, headers and documents), or
    any request at all."""
    if draw(st.integers(0, 3)):
        method, on_key, params = draw(st.sampled_from(OPERATIONS))
        bucket: str | None = draw(st.sampled_from([BUCKET, PUBLIC]))
        key = draw(KEYS) if on_key else None
        params = {**params, **draw(PARAMS)} if draw(st.booleans()) else dict(params)
    else:
        method = draw(METHODS)
        bucket = draw(st.sampled_from([BUCKET, PUBLIC, "missing-1250000000", "Bad_Name", None]))
        key = draw(st.one_of(KEYS, st.none())) if bucket is not None else None
        params = draw(PARAMS)
    return {
        "method": method,
        "bucket": bucket,
        "key": key,
        "params": params,
        "headers": draw(HEADERS),
        "body": draw(BODIES),
        "signed": draw(st.sampled_from([True, True, True, False])),
    }


# --- one request ----------------------------------------------------------------------------------


def _head(server: ThreadedLocalCosServer, req: dict[str, Any]) -> bytes:
    method: str = req["method"]
    path = "/"
    if req["bucket"] is not None:
        path += req["bucket"]
        if req["key"] is not None:
            path += "/" + req["key"]
    params: dict[str, str | None] = req["params"]
    query = "&".join(
        quote(k, safe="") + ("" if v is None else "=" + quote(v, safe=""))
        for k, v in params.items()
    )
    host = f"127.0.0.1:{server.port}"
    headers = {k: v for k, v in req["headers"].items() if v}
    headers["Content-Length"] = str(len(req["body"]))
    if req["signed"] and "Authorization" not in headers:
        now = int(time.time())
        auth = _signing.sign(
            secret_id=server.secret_id,
            secret_key=server.secret_key,
            method=method,
            path=path,
            params=params,
            headers={"Host": host, **headers},
            start=now - 60,
            end=now + 600,
        )
        headers["Authorization"] = auth.to_header()
    target = quote(path, safe="/") + (f"?{query}" if query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


async def _exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        answer = b""
        try:
            while chunk := await reader.read(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer
    finally:
        writer.close()


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


def check_answer(method: str, answer: bytes) -> None:
    """A success or a COS error document; never a 500."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    assert sep, f"no complete answer: {answer[:300]!r}"
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    assert status < 500, answer[:2000]
    if status < 400 or method.upper() == "HEAD" or status == 304:
        return
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    assert headers.get("content-type", "").startswith("application/xml"), answer[:500]
    error = _xml.parse(body)["Error"]
    assert error["Code"]
    assert error["RequestId"] == headers["x-cos-request-id"]


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(req=requests())
def test_any_request_gets_a_cos_answer(
    fuzz_server: ThreadedLocalCosServer, req: dict[str, Any]
) -> None:
    fuzz_server.call(_keep_buckets, fuzz_server)  # an example may have deleted one
    try:
        head = _head(fuzz_server, req)
    except UnicodeEncodeError:
        return
    answer = asyncio.run(asyncio.wait_for(_exchange(fuzz_server.port, head + req["body"]), BOUND))
    check_answer(req["method"], answer)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(min_size=1, max_size=400),
        st.lists(
            st.one_of(
                st.sampled_from(
                    [
                        b"GET / HTTP/1.1",
                        b"Host: x",
                        b"Content-Length: 5",
                        b"Transfer-Encoding: chunked",
                        b"Expect: 100-continue",
                        b"",
                        b"zz",
                        b"0",
                    ]
                ),
                st.binary(max_size=40),
            ),
            max_size=8,
        ).map(lambda parts: b"\r\n".join(parts) + b"\r\n\r\n"),
    )
)
def test_any_bytes_get_a_cos_answer_or_a_closed_connection(
    fuzz_server: ThreadedLocalCosServer, data: bytes
) -> None:
    answer = asyncio.run(asyncio.wait_for(_exchange(fuzz_server.port, data), BOUND))
    if answer:  # nothing at all: the server closed an incomplete request (the idle timeout)
        check_answer("GET", answer)
