"""Unit tests for cos_async._signing (COS ``q-sign-algorithm=sha1`` signatures).

The vectors were computed with the official ``qcloud_cos`` 1.9.44 signer under a frozen clock
(``time.time() == 1700000060``; it starts its windows 60 s early, so they start at 1700000000),
plus the two worked examples of Tencent's "Request signature" documentation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
import qcloud_cos.cos_auth
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from qcloud_cos import CosConfig
from qcloud_cos.cos_auth import CosS3Auth

from cos_async._signing import (
    Authorization,
    SignatureMismatch,
    canonical,
    http_string,
    is_signed_header,
    sign,
    signing_key,
    verify,
)

SECRET_ID = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q"
SECRET_KEY = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz"
HOST = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
START = 1700000000
END_1H = 1700003600
END_LONG = 1700010060  # the official signer's default expire=10000 from now=1700000060
FROZEN_NOW = 1700000060


def _auth_header(
    *, window: str, header_list: str, param_list: str, signature: str, ak: str = SECRET_ID
) -> str:
    return (
        f"q-sign-algorithm=sha1&q-ak={ak}&q-sign-time={window}&q-key-time={window}"
        f"&q-header-list={header_list}&q-url-param-list={param_list}&q-signature={signature}"
    )


def _sign(
    method: str,
    path: str,
    params: Mapping[str, str | None],
    headers: Mapping[str, str],
    end: int,
    **kwargs: Any,
) -> Authorization:
    return sign(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method=method,
        path=path,
        params=params,
        headers=headers,
        start=START,
        end=end,
        **kwargs,
    )


# --- official signer vectors -------------------------------------------------------------------


def test_signing_keys() -> None:
    assert signing_key(SECRET_KEY, "1700000000;1700003600") == (
        "552178a693a0d230b84a4f15c143bc3c2cb3d9c0"
    )
    assert signing_key(SECRET_KEY, "1700000000;1700010060") == (
        "f735b92d72add4535ac7997340b93efdfbec3d35"
    )


V1_PATH = "/docs/my file+v1 (测试).txt"
V1_HEADERS = {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": "13",
    "Content-MD5": "mQ/fVh815F3k6TAUm8m0eg==",
    "x-cos-acl": "private",
    "x-cos-meta-author": "张三 O'Neil",
    "Date": "Tue, 14 Nov 2023 22:13:20 GMT",
    "User-Agent": "ignored/1.0",
    "Host": HOST,
}
V1_HTTP_STRING = (
    "put\n/docs/my file+v1 (测试).txt\n\n"
    "content-length=13&content-md5=mQ%2FfVh815F3k6TAUm8m0eg%3D%3D"
    "&content-type=text%2Fplain%3B%20charset%3Dutf-8"
    "&host=examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com&x-cos-acl=private"
    "&x-cos-meta-author=%E5%BC%A0%E4%B8%89%20O%27Neil\n"
)


def test_v1_put_with_metadata() -> None:
    auth = _sign("PUT", V1_PATH, {}, V1_HEADERS, END_1H)
    assert auth.to_header() == _auth_header(
        window="1700000000;1700003600",
        header_list="content-length;content-md5;content-type;host;x-cos-acl;x-cos-meta-author",
        param_list="",
        signature="3fe798090b825acfb8cac2150de2416611d42206",
    )
    assert auth.header_list == (
        "content-length",
        "content-md5",
        "content-type",
        "host",
        "x-cos-acl",
        "x-cos-meta-author",
    )
    assert auth.param_list == ()


def test_v1_http_string() -> None:
    header_names, header_str = canonical(
        (k, v) for k, v in V1_HEADERS.items() if is_signed_header(k)
    )
    assert (
        header_names == "content-length;content-md5;content-type;host;x-cos-acl;x-cos-meta-author"
    )
    params_names, params_str = canonical([])
    assert (params_names, params_str) == ("", "")
    text = http_string("PUT", V1_PATH, params_str, header_str)
    assert text == V1_HTTP_STRING
    assert hashlib.sha1(text.encode()).hexdigest() == "6ac1ddc472e838d4a2f361115dfe7c171442bb13"


V2_PATH = "/a/b/c d+e&f=g.jpg"
V2_PARAMS: dict[str, str | None] = {
    "response-content-disposition": 'attachment; filename="报告 2024+final.pdf"',
    "versionId": "MTg0NDUxNTc1NjIzMTQ1MDAwODg",
    "response-cache-control": "max-age=600",
    "Prefix": "A~B*C",
}
V2_HEADERS = {
    "Range": "bytes=0-1023",
    "If-None-Match": '"6f5902ac237024bdd0c176cb93063dc4"',
    "x-cos-traffic-limit": "819200",
    "Host": HOST,
}
V2_SIGNATURE = "a64c5c6891043f4cf5eed485464529c449165837"


def test_v2_get_with_params() -> None:
    auth = _sign("GET", V2_PATH, V2_PARAMS, V2_HEADERS, END_1H)
    assert auth.to_header() == _auth_header(
        window="1700000000;1700003600",
        header_list="host;if-none-match;range;x-cos-traffic-limit",
        param_list="prefix;response-cache-control;response-content-disposition;versionid",
        signature=V2_SIGNATURE,
    )


def test_method_case_does_not_matter() -> None:
    assert _sign("get", V2_PATH, V2_PARAMS, V2_HEADERS, END_1H).signature == V2_SIGNATURE


def test_header_and_param_order_does_not_matter() -> None:
    params = dict(reversed(list(V2_PARAMS.items())))
    headers = dict(reversed(list(V2_HEADERS.items())))
    assert _sign("GET", V2_PATH, params, headers, END_1H).signature == V2_SIGNATURE


V3_PATH = "/中文 目录/a+b c.bin"
V3_HEADERS = {
    "Content-Type": "application/octet-stream",
    "x-cos-meta-desc": "héllo wörld ✓",
    "x-cos-storage-class": "STANDARD_IA",
    "x-cos-security-token": "tok+en/x==",
    "Content-Length": "0",
    "Host": HOST,
    "User-Agent": "cos-python-sdk-v5.1.9.44",
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
    "Connection": "keep-alive",
}


def test_v3_post_value_less_param() -> None:
    auth = _sign("POST", V3_PATH, {"uploads": None}, V3_HEADERS, END_LONG)
    assert auth.to_header() == _auth_header(
        window="1700000000;1700010060",
        header_list=(
            "content-length;content-type;host;x-cos-meta-desc;x-cos-security-token;"
            "x-cos-storage-class"
        ),
        param_list="uploads",
        signature="9fc1831ea492f46b6203f01511f4fa251c7021bb",
    )
    # A value-less parameter signs exactly like an empty value.
    assert _sign("POST", V3_PATH, {"uploads": ""}, V3_HEADERS, END_LONG).signature == auth.signature


def test_v4_presigned_get() -> None:
    auth = _sign(
        "GET",
        "/photos/2024 夏天/IMG 001+final.JPG",
        {"x-cos-security-token": "tok+en/x==", "response-content-type": "image/jpeg"},
        {"host": HOST},
        END_1H,
    )
    assert auth.to_header() == _auth_header(
        window="1700000000;1700003600",
        header_list="host",
        param_list="response-content-type;x-cos-security-token",
        signature="1501ef98e4290f6a471002f3f5b1023abdb0cf26",
    )


def test_v5_list_objects() -> None:
    auth = _sign(
        "GET",
        "/",
        {
            "delimiter": "/",
            "encoding-type": "url",
            "marker": "",
            "max-keys": "100",
            "prefix": "日志/2024-01/",
        },
        {"host": HOST},
        END_LONG,
    )
    assert auth.to_header() == _auth_header(
        window="1700000000;1700010060",
        header_list="host",
        param_list="delimiter;encoding-type;marker;max-keys;prefix",
        signature="677250595b4c963ffae3fdff752e85d3cca0e067",
    )


V6_HEADERS = {
    "content-length": "12",
    "content-md5": "fEAajmUUukgb4LWNsulcSA==",
    "content-type": "text/plain",
    "Host": "127.0.0.1",  # the official SDK signs the host without its port
}
V6_SIGNATURE = "4998bcfc0bc0060ca7cfddb2a923d3cb7f2b2835"


def test_v6_local_host_without_port() -> None:
    auth = _sign("PUT", "/hello world.txt", {}, V6_HEADERS, END_LONG)
    assert auth.to_header() == _auth_header(
        window="1700000000;1700010060",
        header_list="content-length;content-md5;content-type;host",
        param_list="",
        signature=V6_SIGNATURE,
    )


def test_sign_params_false() -> None:
    auth = _sign("GET", V2_PATH, V2_PARAMS, V2_HEADERS, END_1H, sign_params=False)
    assert auth.param_list == ()
    assert auth.signature == _sign("GET", V2_PATH, {}, V2_HEADERS, END_1H).signature


def test_header_values_are_stripped() -> None:
    padded = {k: f"  {v}\t" for k, v in V6_HEADERS.items()}
    assert _sign("PUT", "/hello world.txt", {}, padded, END_LONG).signature == V6_SIGNATURE


# --- Tencent documentation vectors -------------------------------------------------------------


def _with_date(name: str) -> bool:
    return is_signed_header(name) or name.lower() == "date"


DOC_PATH = "/exampleobject(腾讯云)"
DOC_HOST = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"


def test_doc_put_vector() -> None:
    assert signing_key(SECRET_KEY, "1557989151;1557996351") == (
        "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f"
    )
    auth = sign(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method="PUT",
        path=DOC_PATH,
        params={},
        headers={
            "Date": "Thu, 16 May 2019 06:45:51 GMT",
            "Host": DOC_HOST,
            "Content-Type": "text/plain",
            "Content-Length": "13",
            "Content-MD5": "mQ/fVh815F3k6TAUm8m0eg==",
            "x-cos-acl": "private",
            "x-cos-grant-read": 'uin="100000000011"',
        },
        start=1557989151,
        end=1557996351,
        header_filter=_with_date,
    )
    assert auth.header_list == (
        "content-length",
        "content-md5",
        "content-type",
        "date",
        "host",
        "x-cos-acl",
        "x-cos-grant-read",
    )
    assert auth.signature == "3b8851a11a569213c17ba8fa7dcf2abec6935172"


def test_doc_get_vector() -> None:
    auth = sign(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method="GET",
        path=DOC_PATH,
        params={
            "response-content-type": "application/octet-stream",
            "response-cache-control": "max-age=600",
        },
        headers={"Date": "Thu, 16 May 2019 06:55:53 GMT", "Host": DOC_HOST},
        start=1557989753,
        end=1557996953,
        header_filter=_with_date,
    )
    assert auth.header_list == ("date", "host")
    assert auth.param_list == ("response-cache-control", "response-content-type")
    assert auth.signature == "01681b8c9d798a678e43b685a9f1bba0f6c0e012"


# --- sign() arguments --------------------------------------------------------------------------


def test_sign_rejects_inverted_window() -> None:
    with pytest.raises(ValueError, match="1700000000;1699999999"):
        _sign("GET", "/", {}, {"host": HOST}, START - 1)


def test_sign_accepts_empty_window() -> None:
    auth = _sign("GET", "/", {}, {"host": HOST}, START)
    assert auth.sign_time == auth.key_time == (START, START)


# --- is_signed_header --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "content-type",
        "Content-Type",
        "Content-MD5",
        "content-length",
        "host",
        "Host",
        "range",
        "If-None-Match",
        "x-cos-anything",
        "X-COS-Meta-Foo",
        "x-cos-security-token",
        "x-ci-x",
        "pic-operations",
    ],
)
def test_signed_headers(name: str) -> None:
    assert is_signed_header(name)


@pytest.mark.parametrize(
    "name",
    [
        "date",
        "Date",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "content-language",
        "authorization",
        "x-amz-date",
        "x-cosx",
        "x-ci",
    ],
)
def test_unsigned_headers(name: str) -> None:
    assert not is_signed_header(name)


# --- Authorization parse / format --------------------------------------------------------------

V2_HEADER_VALUE = _auth_header(
    window="1700000000;1700003600",
    header_list="host;if-none-match;range;x-cos-traffic-limit",
    param_list="prefix;response-cache-control;response-content-disposition;versionid",
    signature=V2_SIGNATURE,
)


def test_parse_round_trip() -> None:
    auth = _sign("GET", V2_PATH, V2_PARAMS, V2_HEADERS, END_1H)
    parsed = Authorization.parse(auth.to_header())
    assert parsed == auth
    assert parsed.to_header() == V2_HEADER_VALUE
    assert parsed.access_key == SECRET_ID
    assert parsed.sign_time == parsed.key_time == (START, END_1H)
    assert parsed.sign_time_str == parsed.key_time_str == "1700000000;1700003600"
    assert parsed.header_list == ("host", "if-none-match", "range", "x-cos-traffic-limit")
    assert parsed.signature == V2_SIGNATURE


def test_parse_round_trip_empty_lists() -> None:
    auth = _sign("GET", "/", {}, {}, END_1H)
    assert auth.header_list == auth.param_list == ()
    assert "q-header-list=&q-url-param-list=&" in auth.to_header()
    assert Authorization.parse(auth.to_header()) == auth


def test_parse_url_encoded_form() -> None:
    # Presigned URLs carry the fields as query parameters, with ';' percent-encoded.
    encoded = V2_HEADER_VALUE.replace(";", "%3B")
    assert "%3B" in encoded
    assert Authorization.parse(encoded).to_header() == V2_HEADER_VALUE


def test_parse_tolerates_case_and_whitespace() -> None:
    value = V2_HEADER_VALUE.replace("q-sign-algorithm=sha1", "Q-Sign-Algorithm=SHA1")
    value = value.replace(V2_SIGNATURE, V2_SIGNATURE.upper())
    parsed = Authorization.parse(f"  {value}  ")
    assert parsed.signature == V2_SIGNATURE
    assert parsed.to_header() == V2_HEADER_VALUE


@pytest.mark.parametrize(
    "field",
    [
        "q-sign-algorithm",
        "q-ak",
        "q-sign-time",
        "q-key-time",
        "q-header-list",
        "q-url-param-list",
        "q-signature",
    ],
)
def test_parse_rejects_missing_field(field: str) -> None:
    value = "&".join(
        item for item in V2_HEADER_VALUE.split("&") if not item.startswith(field + "=")
    )
    assert value != V2_HEADER_VALUE
    with pytest.raises(ValueError, match=field):
        Authorization.parse(value)


def test_parse_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="malformed authorization item ''"):
        Authorization.parse("")
    with pytest.raises(ValueError, match="malformed authorization item 'garbage'"):
        Authorization.parse("garbage")
    with pytest.raises(ValueError, match=r"lacks q-sign-algorithm, q-ak, .*q-signature"):
        Authorization.parse("a=b")


def test_parse_rejects_other_algorithm() -> None:
    value = V2_HEADER_VALUE.replace("q-sign-algorithm=sha1", "q-sign-algorithm=hmac-sha256")
    with pytest.raises(ValueError, match="q-sign-algorithm 'hmac-sha256'"):
        Authorization.parse(value)


@pytest.mark.parametrize("field", ["q-sign-time", "q-key-time"])
@pytest.mark.parametrize(
    ("window", "problem"),
    [
        ("a;b", "malformed"),
        ("1700000000", "malformed"),
        ("1;2;3", "malformed"),
        ("-1;5", "malformed"),
        ("1700003600;1700000000", "ends before it starts"),
    ],
)
def test_parse_rejects_bad_window(field: str, window: str, problem: str) -> None:
    value = V2_HEADER_VALUE.replace(f"{field}=1700000000;1700003600", f"{field}={window}")
    assert value != V2_HEADER_VALUE
    with pytest.raises(ValueError, match=problem) as info:
        Authorization.parse(value)
    assert field in str(info.value)
    assert repr(window) in str(info.value)


@pytest.mark.parametrize(
    "signature",
    ["", "abc", V2_SIGNATURE + "0", V2_SIGNATURE[:-1], V2_SIGNATURE[:-1] + "g"],
)
def test_parse_rejects_bad_signature(signature: str) -> None:
    value = V2_HEADER_VALUE.replace(f"q-signature={V2_SIGNATURE}", f"q-signature={signature}")
    with pytest.raises(ValueError, match="malformed q-signature"):
        Authorization.parse(value)


@pytest.mark.parametrize("name", [":", "中", "a b", "50%"])
def test_parse_keeps_percent_encoded_names(name: str) -> None:
    params: dict[str, str | None] = {name: "v", "plain": None}
    auth = _sign("GET", "/", params, {"host": HOST}, END_1H)
    assert "%" in auth.to_header()
    parsed = Authorization.parse(auth.to_header())
    assert parsed.to_header() == auth.to_header()
    _verify(parsed, path="/", params=params, headers={"host": HOST})


@pytest.mark.parametrize("window", ["١;٢", "²;³"])
def test_parse_rejects_non_ascii_window(window: str) -> None:
    value = V2_HEADER_VALUE.replace("q-sign-time=1700000000;1700003600", f"q-sign-time={window}")
    with pytest.raises(ValueError, match="q-sign-time"):
        Authorization.parse(value)


def test_repr_hides_signature() -> None:
    auth = Authorization.parse(V2_HEADER_VALUE)
    assert V2_SIGNATURE not in repr(auth)
    assert V2_SIGNATURE not in str(auth)
    assert SECRET_ID in repr(auth)


# --- verify ------------------------------------------------------------------------------------


def _server_view(pairs: Mapping[str, str | None]) -> dict[str, str]:
    """What a server sees: encoded lower-case names -> received (decoded) values."""
    return {quote(name, safe="-_.~").lower(): value or "" for name, value in pairs.items()}


def _verify(
    auth: Authorization,
    *,
    method: str = "GET",
    path: str = V2_PATH,
    params: Mapping[str, str | None] = V2_PARAMS,
    headers: Mapping[str, str] = V2_HEADERS,
    secret_key: str = SECRET_KEY,
    host_alternatives: tuple[str, ...] = (),
) -> None:
    verify(
        auth,
        secret_key=secret_key,
        method=method,
        path=path,
        params=_server_view(params),
        headers=_server_view(headers),
        now=FROZEN_NOW,
        host_alternatives=host_alternatives,
    )


@pytest.fixture
def v2_auth() -> Authorization:
    return Authorization.parse(V2_HEADER_VALUE)


def test_verify_accepts(v2_auth: Authorization) -> None:
    _verify(v2_auth)
    _verify(v2_auth, method="get")


def test_verify_accepts_unsigned_extras(v2_auth: Authorization) -> None:
    _verify(
        v2_auth,
        params={**V2_PARAMS, "extra": "1"},
        headers={**V2_HEADERS, "User-Agent": "x", "x-cos-unsigned": "y"},
    )


def test_verify_accepts_other_vectors() -> None:
    v3 = Authorization.parse(
        _sign("POST", V3_PATH, {"uploads": None}, V3_HEADERS, END_LONG).to_header()
    )
    verify(
        v3,
        secret_key=SECRET_KEY,
        method="POST",
        path=V3_PATH,
        params={"uploads": ""},
        headers=_server_view(V3_HEADERS),
        now=FROZEN_NOW,
    )
    v1 = _sign("PUT", V1_PATH, {}, V1_HEADERS, END_1H)
    _verify(v1, method="PUT", path=V1_PATH, params={}, headers=V1_HEADERS)


def test_verify_host_alternatives() -> None:
    auth = _sign("PUT", "/hello world.txt", {}, V6_HEADERS, END_LONG)
    received = {**V6_HEADERS, "Host": "127.0.0.1:8080"}
    kwargs: dict[str, Any] = {"method": "PUT", "path": "/hello world.txt", "params": {}}
    with pytest.raises(SignatureMismatch):
        _verify(auth, headers=received, **kwargs)
    _verify(auth, headers=received, host_alternatives=("127.0.0.1",), **kwargs)
    _verify(auth, headers=received, host_alternatives=("localhost", "127.0.0.1"), **kwargs)
    with pytest.raises(SignatureMismatch):
        _verify(auth, headers=received, host_alternatives=("localhost",), **kwargs)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"headers": {**V2_HEADERS, "Range": "bytes=0-1024"}}, id="header-value"),
        pytest.param({"headers": {**V2_HEADERS, "Host": "evil.example"}}, id="host"),
        pytest.param({"params": {**V2_PARAMS, "versionId": "other"}}, id="param-value"),
        pytest.param({"params": {**V2_PARAMS, "Prefix": "A~B*c"}}, id="param-case"),
        pytest.param({"path": "/a/b/c d+e&f=g.jpeg"}, id="path"),
        pytest.param({"path": "/a/b/c%20d%2Be%26f%3Dg.jpg"}, id="encoded-path"),
        pytest.param({"method": "PUT"}, id="method"),
        pytest.param({"secret_key": SECRET_KEY[:-1] + "Y"}, id="secret-key"),
    ],
)
def test_verify_rejects(v2_auth: Authorization, change: dict[str, Any]) -> None:
    with pytest.raises(SignatureMismatch) as info:
        _verify(v2_auth, **change)
    assert V2_SIGNATURE not in str(info.value)


def test_verify_rejects_missing_signed_header(v2_auth: Authorization) -> None:
    headers = {k: v for k, v in V2_HEADERS.items() if k != "Range"}
    with pytest.raises(SignatureMismatch, match="'range'"):
        _verify(v2_auth, headers=headers)


def test_verify_rejects_missing_signed_param(v2_auth: Authorization) -> None:
    params = {k: v for k, v in V2_PARAMS.items() if k != "versionId"}
    with pytest.raises(SignatureMismatch, match="'versionid'"):
        _verify(v2_auth, params=params)


def test_verify_rejects_tampered_lists() -> None:
    # Dropping a name from the signed list (to smuggle a changed value in) breaks the signature.
    auth = _sign("GET", V2_PATH, V2_PARAMS, V2_HEADERS, END_1H)
    fewer_headers = Authorization(
        access_key=auth.access_key,
        sign_time=auth.sign_time,
        key_time=auth.key_time,
        header_list=tuple(n for n in auth.header_list if n != "range"),
        param_list=auth.param_list,
        signature=auth.signature,
    )
    with pytest.raises(SignatureMismatch):
        _verify(fewer_headers, headers={**V2_HEADERS, "Range": "bytes=0-"})
    later = Authorization(
        access_key=auth.access_key,
        sign_time=(START, END_1H + 1),
        key_time=(START, END_1H + 1),
        header_list=auth.header_list,
        param_list=auth.param_list,
        signature=auth.signature,
    )
    with pytest.raises(SignatureMismatch):
        _verify(later)


@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    path=st.text(st.characters(exclude_categories=["Cs"]), max_size=30).map(lambda p: "/" + p),
    params=st.dictionaries(
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=10),
        st.one_of(st.none(), st.text(st.characters(exclude_categories=["Cs"]), max_size=20)),
        max_size=4,
    ),
    meta=st.text(st.characters(exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), max_size=20),
)
def test_sign_then_verify_roundtrip(
    method: str, path: str, params: dict[str, str | None], meta: str
) -> None:
    assume(len({quote(k, safe="-_.~").lower() for k in params}) == len(params))
    headers = {"Host": HOST, "x-cos-meta-m": meta, "Content-Type": "text/plain"}
    auth = _sign(method, path, params, headers, END_1H)
    _verify(auth, method=method, path=path, params=params, headers=headers)
    header = auth.to_header()
    _verify(Authorization.parse(header), method=method, path=path, params=params, headers=headers)


# --- the official SDK's signer as an oracle ----------------------------------------------------

_TEXT = st.characters(exclude_categories=["Cs"])  # anything UTF-8 can encode
# Header values: requests rejects leading whitespace and CR/LF, and the official signer (unlike
# ours and unlike HTTP, which drop surrounding whitespace) signs trailing whitespace verbatim,
# so values are generated without control characters and without surrounding whitespace.
_HEADER_VALUE = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=24).filter(
    lambda v: v == v.strip()
)
_KEY_SEGMENT = st.one_of(
    st.sampled_from(["..", ".", "", "a b", "a+b", "~", "*", "&", "=", "%2F", "%", "?x=1", "#"]),
    st.text(_TEXT, max_size=12),
)
# The official signer takes the key from CosS3Auth(key=...), not from the URL, and signs
# "/" + key without decoding or normalising it ("..", "//" and "%2F" stay as they are). A key that
# already starts with "/" is used as the path as is, so such keys are not generated: for them the
# caller's path would be the key itself rather than "/" + key.
_KEYS = st.lists(_KEY_SEGMENT, max_size=5).map("/".join).filter(lambda key: not key.startswith("/"))
_STANDARD_HEADERS = st.sampled_from(
    [
        "Content-Type",
        "content-md5",
        "Cache-Control",
        "Content-Disposition",
        "Content-Encoding",
        "Expires",
        "If-Match",
        "If-Modified-Since",
        "Range",
        "Origin",
        # not signed by either side:
        "Date",
        "User-Agent",
        "Accept",
        "Content-Language",
        "X-Amz-Date",
    ]
)
_COS_HEADERS = st.one_of(
    st.from_regex(r"x-cos-meta-[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True),
    st.sampled_from(
        ["x-cos-acl", "X-Cos-Storage-Class", "x-cos-security-token", "x-ci-task", "x-cos-tagging"]
    ),
)


class _FrozenTime:
    @staticmethod
    def time() -> float:
        return float(FROZEN_NOW)


@contextmanager
def _frozen_official_clock() -> Iterator[None]:
    with mock.patch.object(qcloud_cos.cos_auth, "time", _FrozenTime):
        yield


def _official_authorization(
    *,
    secret_id: str,
    secret_key: str,
    method: str,
    url: str,
    key: str,
    params: Mapping[str, str | None],
    headers: Mapping[str, str],
    expire: int,
) -> tuple[str, dict[str, str]]:
    """The official signer's Authorization, and the headers of the request it signed."""
    conf = CosConfig(Region="ap-guangzhou", SecretId=secret_id, SecretKey=secret_key)
    # The official SDK sends value-less parameters (``?uploads``) as "" in its params dict.
    official_params = {k: "" if v is None else v for k, v in params.items()}
    auth = CosS3Auth(conf, key=key, params=official_params, expire=expire)
    prepared = requests.Request(method, url, headers=dict(headers)).prepare()
    with _frozen_official_clock():
        signed = auth(prepared)
    return signed.headers["Authorization"], dict(signed.headers)


def test_official_signer_reproduces_v2() -> None:
    # Sanity check of the harness against a frozen vector (expire = END_1H - FROZEN_NOW).
    value, _ = _official_authorization(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method="GET",
        url=f"https://{HOST}/",
        key=V2_PATH[1:],
        params=V2_PARAMS,
        headers={k: v for k, v in V2_HEADERS.items() if k != "Host"},
        expire=END_1H - FROZEN_NOW,
    )
    assert value == V2_HEADER_VALUE


def _unique_encoded(names: list[str]) -> bool:
    # The official signer keeps headers and params in dicts keyed by the encoded lower-case name,
    # so names that differ only in case would collapse there (and are not meaningful for COS).
    return len({quote(n, safe="-_.~").lower() for n in names}) == len(names)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    secret_id=st.from_regex(r"AKID[A-Za-z0-9]{8,32}", fullmatch=True),
    secret_key=st.text(_TEXT, min_size=1, max_size=40).filter(lambda s: s == s.strip(" ")),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    key=_KEYS,
    params=st.dictionaries(
        st.one_of(
            st.sampled_from(["uploads", "versionId", "prefix", "response-content-type", "acl"]),
            st.text(_TEXT, min_size=1, max_size=12),
        ),
        st.one_of(st.none(), st.text(_TEXT, max_size=20)),
        max_size=5,
    ),
    headers=st.dictionaries(st.one_of(_STANDARD_HEADERS, _COS_HEADERS), _HEADER_VALUE, max_size=6),
    host_form=st.sampled_from(["url", "url-with-port", "header"]),
    expire=st.sampled_from([0, END_1H - FROZEN_NOW, 10000, 7 * 86400]),
)
def test_agrees_with_official_signer(
    secret_id: str,
    secret_key: str,
    method: str,
    key: str,
    params: dict[str, str | None],
    headers: dict[str, str],
    host_form: str,
    expire: int,
) -> None:
    assume(_unique_encoded(list(params)))
    assume(_unique_encoded(list(headers)))
    request_headers = dict(headers)
    if host_form == "header":
        request_headers["Host"] = HOST
    # The official signer signs the URL's hostname (without the port) when there is no Host header.
    url = f"https://{HOST}:8443/" if host_form == "url-with-port" else f"https://{HOST}/"
    official, sent_headers = _official_authorization(
        secret_id=secret_id,
        secret_key=secret_key,
        method=method,
        url=url,
        key=key,
        params=params,
        headers=request_headers,
        expire=expire,
    )
    # Sign exactly the headers the official signer saw (requests adds Content-Length: 0 to
    # body-less PUT/POST/DELETE), plus the Host header that will be sent.
    ours_headers = {**sent_headers, "Host": HOST}
    ours = sign(
        secret_id=secret_id,
        secret_key=secret_key,
        method=method,
        path="/" + key,
        params=params,
        headers=ours_headers,
        start=FROZEN_NOW - 60,
        end=FROZEN_NOW + expire,
    )
    assert ours.to_header() == official
    assert Authorization.parse(official) == ours
