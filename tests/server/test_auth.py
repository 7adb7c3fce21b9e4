"""Authentication of the local COS server: signatures, presigned URLs, temporary keys, ACLs."""

from __future__ import annotations

import time

import aiohttp
import pytest
from yarl import URL

from cos_async import _signing
from cos_async.testing import (
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    LocalCosServer,
    ServerCredential,
)
from tests.cos_http import CosHttp, Reply


async def put(http: CosHttp, bucket: str, key: str, data: bytes) -> None:
    reply = await http.request("PUT", bucket, key, data=data)
    assert reply.status == 200, reply.body


def error_message(reply: Reply) -> str:
    return str(reply.xml()["Error"]["Message"])


async def get_url(session: aiohttp.ClientSession, url: URL | str) -> Reply:
    """A plain GET of a (presigned) URL, without any Authorization header."""
    target = url if isinstance(url, URL) else URL(url, encoded=True)
    async with session.get(target) as resp:
        assert "Authorization" not in resp.request_info.headers
        return Reply(resp.status, resp.headers, await resp.read())


# --- correctly signed requests ----------------------------------------------------------------


async def test_signed_path_style(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "dir/obj.txt", b"path style")
    got = await http.request("GET", bucket, "dir/obj.txt")
    assert got.status == 200
    assert got.body == b"path style"
    listing = await http.request("GET", bucket, params={"prefix": "dir/"})
    assert listing.status == 200
    keys = [c["Key"] for c in listing.xml()["ListBucketResult"]["Contents"]]
    assert keys == ["dir/obj.txt"]


async def test_signed_virtual_hosted(http: CosHttp, vhttp: CosHttp, bucket: str) -> None:
    put_reply = await vhttp.request("PUT", bucket, "v/obj", data=b"virtual")
    assert put_reply.status == 200
    got = await vhttp.request("GET", bucket, "v/obj")
    assert got.status == 200
    assert got.body == b"virtual"
    # the same object through path-style addressing
    assert (await http.request("GET", bucket, "v/obj")).body == b"virtual"
    listing = await vhttp.request("GET", bucket)
    assert listing.status == 200
    assert [c["Key"] for c in listing.xml()["ListBucketResult"]["Contents"]] == ["v/obj"]


async def test_host_signed_without_port(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"port")
    with_port = f"127.0.0.1:{server.port}"
    # signed without the port, sent with it (what the official SDK does)
    auth = http.sign("GET", bucket, "k", headers={"Host": "127.0.0.1"})
    assert "host" in auth.header_list
    got = await http.request("GET", bucket, "k", auth=auth, unsigned_headers={"Host": with_port})
    assert got.status == 200
    assert got.body == b"port"
    # signed with the port, sent with it
    auth = http.sign("GET", bucket, "k", headers={"Host": with_port})
    got = await http.request("GET", bucket, "k", auth=auth, unsigned_headers={"Host": with_port})
    assert got.status == 200
    # signed for another host
    auth = http.sign("GET", bucket, "k", headers={"Host": "127.0.0.2"})
    bad = await http.request("GET", bucket, "k", auth=auth, unsigned_headers={"Host": with_port})
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"


async def test_unsigned_extra_header_is_ignored(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    got = await http.request("GET", bucket, "k", unsigned_headers={"User-Agent": "whatever/1.0"})
    assert got.status == 200


# --- rejected requests ------------------------------------------------------------------------


async def test_wrong_secret_key(http: CosHttp, bucket: str) -> None:
    auth = http.sign("PUT", bucket, "k", headers={"Content-Length": "1"}, secret_key="wrong-key")
    reply = await http.request("PUT", bucket, "k", data=b"x", auth=auth)
    assert reply.status == 403
    assert reply.code == "SignatureDoesNotMatch"
    assert reply.headers["x-cos-request-id"]
    assert (await http.request("HEAD", bucket, "k")).status == 404


async def test_unknown_secret_id(
    server: LocalCosServer, session: aiohttp.ClientSession, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    stranger = CosHttp(server.endpoint, "AKIDnobodyKnowsThisId", server.secret_key, session)
    reply = await stranger.request("GET", bucket, "k")
    assert reply.status == 403
    assert reply.code == "InvalidAccessKeyId"


async def test_changed_signed_header_value(http: CosHttp, bucket: str) -> None:
    reply = await http.request(
        "PUT",
        bucket,
        "k",
        data=b"{}",
        headers={"Content-Type": "text/plain"},
        unsigned_headers={"Content-Type": "application/json"},
    )
    assert reply.status == 403
    assert reply.code == "SignatureDoesNotMatch"
    assert (await http.request("HEAD", bucket, "k")).status == 404
    # the same header, unchanged, is fine
    ok = await http.request(
        "PUT", bucket, "k", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert ok.status == 200


async def test_changed_signed_param(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    auth = http.sign("GET", bucket, "k", params={"response-content-type": "text/plain"})
    assert "response-content-type" in auth.param_list
    bad = await http.request(
        "GET", bucket, "k", params={"response-content-type": "text/html"}, auth=auth
    )
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"
    ok = await http.request(
        "GET", bucket, "k", params={"response-content-type": "text/plain"}, auth=auth
    )
    assert ok.status == 200
    assert ok.headers["Content-Type"] == "text/plain"


async def test_signed_param_missing(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    auth = http.sign("GET", bucket, "k", params={"response-content-type": "text/plain"})
    bad = await http.request("GET", bucket, "k", auth=auth)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"


async def test_changed_key(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "a", b"A")
    await put(http, bucket, "b", b"B")
    auth = http.sign("GET", bucket, "a")
    bad = await http.request("GET", bucket, "b", auth=auth)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"
    assert bad.body != b"B"
    assert (await http.request("GET", bucket, "a", auth=auth)).body == b"A"


async def test_changed_bucket(server: LocalCosServer, http: CosHttp, bucket: str) -> None:
    other = server.create_bucket()
    await put(http, other, "k", b"other")
    auth = http.sign("GET", bucket, "k")
    bad = await http.request("GET", other, "k", auth=auth)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"


async def test_changed_method(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"keep me")
    auth = http.sign("GET", bucket, "k")
    bad = await http.request("DELETE", bucket, "k", auth=auth)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"
    assert (await http.request("GET", bucket, "k")).body == b"keep me"


async def test_expired_window(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    now = int(time.time())
    auth = http.sign("GET", bucket, "k", start=now - 7200, end=now - 3600)
    bad = await http.request("GET", bucket, "k", auth=auth)
    assert bad.status == 403
    assert bad.code == "AccessDenied"
    assert error_message(bad) == "Request has expired"


async def test_window_in_the_future(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    now = int(time.time())
    auth = http.sign("GET", bucket, "k", start=now + 3 * 3600, end=now + 4 * 3600)
    bad = await http.request("GET", bucket, "k", auth=auth)
    assert bad.status == 403
    assert bad.code == "RequestTimeTooSkewed"


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "q-sign-algorithm=sha1&q-ak=x",
        (
            "q-sign-algorithm=md5&q-ak=AKID&q-sign-time=1;2&q-key-time=1;2&q-header-list="
            "&q-url-param-list=&q-signature=" + "a" * 40
        ),
        (
            "q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=later&q-key-time=1;2&q-header-list="
            "&q-url-param-list=&q-signature=" + "a" * 40
        ),
        (
            "q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1;2&q-key-time=1;2&q-header-list="
            "&q-url-param-list=&q-signature=not-hex"
        ),
    ],
)
async def test_malformed_authorization(http: CosHttp, bucket: str, value: str) -> None:
    await put(http, bucket, "k", b"x")
    bad = await http.request(
        "GET", bucket, "k", signed=False, unsigned_headers={"Authorization": value}
    )
    assert bad.status == 403
    assert bad.code == "AccessDenied"
    assert "malformed authorization" in error_message(bad)


async def test_listed_header_missing(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    auth = http.sign("GET", bucket, "k", headers={"x-cos-meta-flavour": "vanilla"})
    assert "x-cos-meta-flavour" in auth.header_list
    bad = await http.request("GET", bucket, "k", auth=auth)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"
    assert "x-cos-meta-flavour" in error_message(bad)
    ok = await http.request(
        "GET", bucket, "k", auth=auth, unsigned_headers={"x-cos-meta-flavour": "vanilla"}
    )
    assert ok.status == 200


async def test_rejected_head_has_status_only(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"x")
    auth = http.sign("HEAD", bucket, "k", secret_key="wrong")
    bad = await http.request("HEAD", bucket, "k", auth=auth)
    assert bad.status == 403
    assert bad.body == b""
    assert bad.headers["x-cos-request-id"]


# --- presigned URLs ---------------------------------------------------------------------------


async def test_presigned_get(http: CosHttp, session: aiohttp.ClientSession, bucket: str) -> None:
    await put(http, bucket, "p/obj", b"presigned")
    url = http.presign("GET", bucket, "p/obj")
    assert "q-signature=" in url.raw_query_string
    got = await get_url(session, url)
    assert got.status == 200
    assert got.body == b"presigned"


async def test_presigned_get_with_signed_param(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    url = http.presign("GET", bucket, "k", params={"response-content-type": "text/csv"})
    got = await get_url(session, url)
    assert got.status == 200
    assert got.headers["Content-Type"] == "text/csv"
    tampered = str(url).replace("response-content-type=text%2Fcsv", "response-content-type=a")
    assert tampered != str(url)
    bad = await get_url(session, tampered)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"


async def test_presigned_tampered_key(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "a", b"A")
    await put(http, bucket, "b", b"B")
    url = str(http.presign("GET", bucket, "a"))
    tampered = url.replace(f"/{bucket}/a?", f"/{bucket}/b?")
    assert tampered != url
    bad = await get_url(session, tampered)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"


async def test_presigned_tampered_signature(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    url = http.presign("GET", bucket, "k")
    signature = url.query["q-signature"]
    forged = ("0" if signature[0] != "0" else "1") + signature[1:]
    tampered = str(url).replace(f"q-signature={signature}", f"q-signature={forged}")
    assert tampered != str(url)
    bad = await get_url(session, tampered)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"


async def test_presigned_expired(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    url = http.presign("GET", bucket, "k", start=int(time.time()) - 3600, expires=60)
    bad = await get_url(session, url)
    assert bad.status == 403
    assert bad.code == "AccessDenied"
    assert error_message(bad) == "Request has expired"


async def test_presigned_put(http: CosHttp, session: aiohttp.ClientSession, bucket: str) -> None:
    url = http.presign("PUT", bucket, "uploaded")
    async with session.put(url, data=b"via url") as resp:
        assert resp.status == 200
    assert (await http.request("GET", bucket, "uploaded")).body == b"via url"
    # a URL presigned for GET does not allow a PUT
    get_only = http.presign("GET", bucket, "other")
    async with session.put(get_only, data=b"nope") as resp:
        assert resp.status == 403
    assert (await http.request("HEAD", bucket, "other")).status == 404


# --- temporary credentials --------------------------------------------------------------------

TEMP_ID = "AKIDTemporaryLocalKey000000000000000"
TEMP_KEY = "TemporaryLocalSecretKey000000000"


async def test_temporary_credentials(session: aiohttp.ClientSession) -> None:
    creds = [ServerCredential(TEMP_ID, TEMP_KEY, token="tok")]
    async with LocalCosServer(credentials=creds) as server:
        bucket = server.create_bucket()
        good = CosHttp(server.endpoint, TEMP_ID, TEMP_KEY, session, token="tok")
        assert (await good.request("PUT", bucket, "k", data=b"temp")).status == 200
        got = await good.request("GET", bucket, "k")
        assert got.status == 200
        assert got.body == b"temp"

        url = good.presign("GET", bucket, "k")
        assert url.query["x-cos-security-token"] == "tok"
        presigned = await get_url(session, url)
        assert presigned.status == 200
        assert presigned.body == b"temp"

        wrong = CosHttp(server.endpoint, TEMP_ID, TEMP_KEY, session, token="not-the-token")
        bad = await wrong.request("GET", bucket, "k")
        assert bad.status == 403
        assert bad.code == "InvalidAccessKeyId"
        bad = await get_url(session, wrong.presign("GET", bucket, "k"))
        assert bad.status == 403
        assert bad.code == "InvalidAccessKeyId"

        missing = CosHttp(server.endpoint, TEMP_ID, TEMP_KEY, session)
        bad = await missing.request("GET", bucket, "k")
        assert bad.status == 403
        assert bad.code == "AccessDenied"
        bad = await get_url(session, missing.presign("GET", bucket, "k"))
        assert bad.status == 403
        assert bad.code == "AccessDenied"

        # the default (permanent) test key is not accepted by this server
        default = CosHttp(server.endpoint, server.secret_id, server.secret_key, session)
        assert server.secret_id == TEMP_ID
        stranger = CosHttp(server.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, session)
        assert (await stranger.request("GET", bucket, "k")).code == "InvalidAccessKeyId"
        assert (await default.request("GET", bucket, "k")).code == "AccessDenied"


async def test_token_must_be_signed_with_its_value(session: aiohttp.ClientSession) -> None:
    creds = [ServerCredential(TEMP_ID, TEMP_KEY, token="tok")]
    async with LocalCosServer(credentials=creds) as server:
        bucket = server.create_bucket()
        http = CosHttp(server.endpoint, TEMP_ID, TEMP_KEY, session, token="tok")
        await put(http, bucket, "k", b"x")
        # the token header is signed: sending another value than the signed one fails
        auth = http.sign("GET", bucket, "k", headers={"x-cos-security-token": "tok"})
        assert "x-cos-security-token" in auth.header_list
        bad = await http.request(
            "GET", bucket, "k", auth=auth, unsigned_headers={"x-cos-security-token": "other"}
        )
        assert bad.status == 403


async def test_temporary_and_permanent_keys_side_by_side(
    session: aiohttp.ClientSession,
) -> None:
    creds = [
        ServerCredential("AKIDPermanent000000000000000000000", "PermanentKey00000000000000000000"),
        ServerCredential(TEMP_ID, TEMP_KEY, token="tok"),
    ]
    async with LocalCosServer(credentials=creds) as server:
        bucket = server.create_bucket()
        permanent = CosHttp(server.endpoint, creds[0].secret_id, creds[0].secret_key, session)
        temporary = CosHttp(server.endpoint, TEMP_ID, TEMP_KEY, session, token="tok")
        assert (await permanent.request("PUT", bucket, "k", data=b"x")).status == 200
        assert (await temporary.request("GET", bucket, "k")).status == 200
        # the temporary key's token is no good with the permanent key
        mixed = CosHttp(
            server.endpoint, creds[0].secret_id, creds[0].secret_key, session, token="tok"
        )
        bad = await mixed.request("GET", bucket, "k")
        assert bad.status == 403
        assert bad.code == "InvalidAccessKeyId"


async def test_token_with_permanent_key(
    server: LocalCosServer, session: aiohttp.ClientSession, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    with_token = CosHttp(server.endpoint, server.secret_id, server.secret_key, session, token="tok")
    bad = await with_token.request("GET", bucket, "k")
    assert bad.status == 403
    assert bad.code == "InvalidAccessKeyId"
    bad = await get_url(session, with_token.presign("GET", bucket, "k"))
    assert bad.status == 403
    assert bad.code == "InvalidAccessKeyId"


# --- anonymous access -------------------------------------------------------------------------


async def test_anonymous_private_bucket(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "k", b"secret data")
    for method in ("GET", "PUT", "DELETE"):
        reply = await http.request(method, bucket, "k", signed=False)
        assert reply.status == 403, method
        assert reply.code == "AccessDenied"
        assert b"secret data" not in reply.body
    assert (await http.request("HEAD", bucket, "k", signed=False)).status == 403
    listing = await http.request("GET", bucket, signed=False)
    assert listing.status == 403
    assert listing.code == "AccessDenied"
    assert (await http.request("GET", bucket, "k")).body == b"secret data"


async def test_anonymous_service_and_missing_bucket(server: LocalCosServer, http: CosHttp) -> None:
    assert (await http.request("GET", None, signed=False)).status == 403
    missing = await http.request("GET", "nosuch-1250000000", "k", signed=False)
    assert missing.status == 403
    assert missing.code == "AccessDenied"


async def test_anonymous_public_read_bucket(server: LocalCosServer, http: CosHttp) -> None:
    bucket = server.create_bucket(acl="public-read")
    await put(http, bucket, "pub", b"public data")
    got = await http.request("GET", bucket, "pub", signed=False)
    assert got.status == 200
    assert got.body == b"public data"
    head = await http.request("HEAD", bucket, "pub", signed=False)
    assert head.status == 200
    assert head.headers["Content-Length"] == str(len(b"public data"))
    listing = await http.request("GET", bucket, signed=False)
    assert listing.status == 200
    assert [c["Key"] for c in listing.xml()["ListBucketResult"]["Contents"]] == ["pub"]

    denied = await http.request("PUT", bucket, "new", data=b"x", signed=False)
    assert denied.status == 403
    assert denied.code == "AccessDenied"
    assert (await http.request("HEAD", bucket, "new")).status == 404
    denied = await http.request("DELETE", bucket, "pub", signed=False)
    assert denied.status == 403
    assert (await http.request("GET", bucket, "pub")).status == 200


async def test_anonymous_public_read_write_bucket(server: LocalCosServer, http: CosHttp) -> None:
    bucket = server.create_bucket(acl="public-read-write")
    written = await http.request("PUT", bucket, "anon", data=b"by anyone", signed=False)
    assert written.status == 200
    got = await http.request("GET", bucket, "anon")
    assert got.status == 200
    assert got.body == b"by anyone"
    assert (await http.request("GET", bucket, "anon", signed=False)).body == b"by anyone"


async def test_object_acl_public_read_in_private_bucket(http: CosHttp, bucket: str) -> None:
    await put(http, bucket, "open", b"open data")
    await put(http, bucket, "closed", b"closed data")
    assert (await http.request("GET", bucket, "open", signed=False)).status == 403
    acl = await http.request(
        "PUT", bucket, "open", params={"acl": None}, headers={"x-cos-acl": "public-read"}
    )
    assert acl.status == 200
    got = await http.request("GET", bucket, "open", signed=False)
    assert got.status == 200
    assert got.body == b"open data"
    assert (await http.request("HEAD", bucket, "open", signed=False)).status == 200
    closed = await http.request("GET", bucket, "closed", signed=False)
    assert closed.status == 403
    assert closed.code == "AccessDenied"
    # reading the object does not make the bucket listable, nor the object writable
    assert (await http.request("GET", bucket, signed=False)).status == 403
    assert (await http.request("PUT", bucket, "open", data=b"x", signed=False)).status == 403
    assert (await http.request("GET", bucket, "open")).body == b"open data"


async def test_object_acl_private_in_public_read_bucket(
    server: LocalCosServer, http: CosHttp
) -> None:
    bucket = server.create_bucket(acl="public-read")
    await put(http, bucket, "hidden", b"hidden data")
    await put(http, bucket, "shown", b"shown data")
    assert (await http.request("GET", bucket, "hidden", signed=False)).status == 200
    acl = await http.request(
        "PUT", bucket, "hidden", params={"acl": None}, headers={"x-cos-acl": "private"}
    )
    assert acl.status == 200
    denied = await http.request("GET", bucket, "hidden", signed=False)
    assert denied.status == 403
    assert denied.code == "AccessDenied"
    assert b"hidden data" not in denied.body
    assert (await http.request("HEAD", bucket, "hidden", signed=False)).status == 403
    assert (await http.request("GET", bucket, "shown", signed=False)).body == b"shown data"
    # the owner still reads it
    assert (await http.request("GET", bucket, "hidden")).body == b"hidden data"


# --- secrets ----------------------------------------------------------------------------------


async def test_signature_error_does_not_leak_secrets(
    server: LocalCosServer, http: CosHttp, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    now = int(time.time())
    good = http.sign("GET", bucket, "k", start=now - 60, end=now + 600)
    bad_auth = http.sign(
        "GET", bucket, "k", start=now - 60, end=now + 600, secret_key="a-wrong-secret-key"
    )
    assert good.signature != bad_auth.signature
    bad = await http.request("GET", bucket, "k", auth=bad_auth)
    assert bad.status == 403
    assert bad.code == "SignatureDoesNotMatch"
    exposed = bad.body + "\n".join(f"{k}: {v}" for k, v in bad.headers.items()).encode()
    assert server.secret_key.encode() not in exposed
    assert good.signature.encode() not in exposed
    assert good.signature.upper().encode() not in exposed
    assert b"a-wrong-secret-key" not in exposed
    # nor the signing key derived from the secret
    assert _signing.signing_key(server.secret_key, good.key_time_str).encode() not in exposed


# --- what a signature must cover ----------------------------------------------------------------


def with_query(url: URL, extra: str) -> URL:
    return URL(f"{url}&{extra}", encoded=True)


async def test_presigned_put_cannot_be_replayed_as_put_acl(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    # the campaign's replay: a presigned PUT of an object, used as PUT ?acl with x-cos-acl
    url = http.presign("PUT", bucket, "private.txt")
    async with session.put(url, data=b"secret") as resp:
        assert resp.status == 200
    assert (await get_url(session, http.url(bucket, "private.txt", {}))).status == 403
    async with session.put(with_query(url, "acl"), headers={"x-cos-acl": "public-read"}) as resp:
        reply = Reply(resp.status, resp.headers, await resp.read())
    assert (reply.status, reply.code) == (403, "AccessDenied")
    assert "'acl'" in error_message(reply)
    # still private
    assert (await get_url(session, http.url(bucket, "private.txt", {}))).status == 403


async def test_presigned_put_cannot_carry_an_unsigned_acl_header(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    url = http.presign("PUT", bucket, "k")
    for header, value in (
        ("x-cos-acl", "public-read"),
        ("x-cos-grant-read", 'id="100000000002"'),
        ("x-cos-grant-full-control", 'id="100000000002"'),
        ("x-cos-copy-source", f"/{bucket}/other"),
    ):
        async with session.put(url, data=b"x", headers={header: value}) as resp:
            reply = Reply(resp.status, resp.headers, await resp.read())
        assert (reply.status, reply.code) == (403, "AccessDenied"), header
        assert header in error_message(reply)


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("GET", "versionId=MTg0NDUxNTc1NjIzMTQ1MDAwODg"),
        ("GET", "acl"),
        ("GET", "tagging"),
        ("DELETE", "versionId=null"),
        ("PUT", "partNumber=1&uploadId=x"),
        ("PUT", "tagging"),
        ("POST", "uploads"),
        ("POST", "restore"),
    ],
)
async def test_presigned_url_cannot_gain_a_sub_resource(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str, method: str, extra: str
) -> None:
    await put(http, bucket, "k", b"x")
    url = http.presign(method, bucket, "k")
    async with session.request(method, with_query(url, extra), data=b"") as resp:
        reply = Reply(resp.status, resp.headers, await resp.read())
    assert (reply.status, reply.code) == (403, "AccessDenied")


async def test_authorization_header_must_cover_acl_headers(http: CosHttp, bucket: str) -> None:
    reply = await http.request(
        "PUT", bucket, "k", data=b"x", unsigned_headers={"x-cos-acl": "public-read"}
    )
    assert (reply.status, reply.code) == (403, "AccessDenied")
    signed = await http.request("PUT", bucket, "k", data=b"x", headers={"x-cos-acl": "public-read"})
    assert signed.status == 200


async def test_signed_sub_resources_and_headers_still_work(
    http: CosHttp, session: aiohttp.ClientSession, bucket: str
) -> None:
    await put(http, bucket, "k", b"x")
    # an ACL-only presigned URL, as COS documents it (Params={'acl': ''})
    url = http.presign("PUT", bucket, "k", params={"acl": ""})
    async with session.put(url, headers={"x-cos-acl": "public-read"}) as resp:
        reply = Reply(resp.status, resp.headers, await resp.read())
    # x-cos-acl is not signed by this URL: a presigned URL carries no headers
    assert (reply.status, reply.code) == (403, "AccessDenied")
    doc = (
        b"<AccessControlPolicy><Owner><ID>qcs::cam::uin/1:uin/1</ID></Owner><AccessControlList>"
        b'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:type="Group"><URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee>'
        b"<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"
    )
    async with session.put(url, data=doc) as resp:
        assert resp.status == 200, await resp.text()
    assert (await get_url(session, http.url(bucket, "k", {}))).status == 200  # now public
