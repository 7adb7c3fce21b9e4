"""Bad requests get a COS ``<Error>`` (4xx with Code, Message, RequestId), never a 500."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import aiohttp
import pytest

from cos_async import _signing
from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp, Reply


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:500])
    rid = reply.headers["x-cos-request-id"]
    assert reply.headers["Content-Type"].startswith("application/xml")
    doc = reply.xml()["Error"]
    assert doc["Code"] == code, doc
    assert doc["Message"]
    assert doc["RequestId"] == rid
    return doc


def delete_doc(keys: list[str], quiet: bool = False) -> bytes:
    objects = "".join(f"<Object><Key>{k}</Key></Object>" for k in keys)
    return f"<Delete><Quiet>{'true' if quiet else 'false'}</Quiet>{objects}</Delete>".encode()


# --- malformed XML documents ------------------------------------------------------------------

NOT_XML = [
    b"<Unclosed>",
    b"plain text",
    b"<A></B>",
    b'<!DOCTYPE d [<!ENTITY e "x">]><Tagging><TagSet><Tag><Key>&e;</Key></Tag></TagSet></Tagging>',
]

#: (method, key or None, params) of every request that takes an XML body
XML_TARGETS: list[tuple[str, str | None, dict[str, str | None]]] = [
    ("PUT", "obj", {"tagging": None}),
    ("PUT", "obj", {"acl": None}),
    ("POST", "obj", {"restore": None}),
    ("PUT", None, {"acl": None}),
    ("PUT", None, {"versioning": None}),
    ("PUT", None, {"cors": None}),
    ("PUT", None, {"lifecycle": None}),
    ("PUT", None, {"website": None}),
    ("PUT", None, {"referer": None}),
    ("PUT", None, {"logging": None}),
    ("PUT", None, {"inventory": None, "id": "inv1"}),
    ("PUT", None, {"domain": None}),
    ("PUT", None, {"encryption": None}),
    ("PUT", None, {"replication": None}),
    ("PUT", None, {"intelligenttiering": None}),
    ("PUT", None, {"object-lock": None}),
    ("PUT", None, {"tagging": None}),
]


@pytest.mark.parametrize(
    ("method", "key", "params"),
    XML_TARGETS,
    ids=[f"{m}-{'obj' if k else 'bucket'}-{next(iter(p))}" for m, k, p in XML_TARGETS],
)
async def test_malformed_xml_bodies(
    http: CosHttp, bucket: str, method: str, key: str | None, params: dict[str, str | None]
) -> None:
    assert (await http.request("PUT", bucket, "obj", data=b"x")).status == 200
    for body in NOT_XML:
        reply = await http.request(method, bucket, key, params=params, data=body)
        assert_error(reply, 400, "MalformedXML")


@pytest.mark.parametrize(
    ("method", "key", "params", "body"),
    [
        (
            "PUT",
            None,
            {"cors": None},
            b"<CORSConfiguration><CORSRule><AllowedOrigin>a"
            b"</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds><x/></MaxAgeSeconds>"
            b"</CORSRule></CORSConfiguration>",
        ),
        (
            "PUT",
            None,
            {"versioning": None},
            b"<VersioningConfiguration><Status><x/></Status></VersioningConfiguration>",
        ),
        (
            "PUT",
            None,
            {"lifecycle": None},
            b"<LifecycleConfiguration><Rule><ID><x/></ID>"
            b"<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
            b"</LifecycleConfiguration>",
        ),
        ("POST", "obj", {"restore": None}, b"<RestoreRequest><Days><x/></Days></RestoreRequest>"),
        (
            "PUT",
            "obj",
            {"acl": None},
            b"<AccessControlPolicy><AccessControlList><Grant><Grantee>"
            b"<URI><x/></URI></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
            b"</AccessControlPolicy>",
        ),
        (
            "PUT",
            "obj",
            {"tagging": None},
            b"<Tagging><TagSet><Tag><Key>a</Key><Value><x/></Value></Tag></TagSet></Tagging>",
        ),
        ("PUT", None, {"tagging": None}, b"<Tagging>text</Tagging>"),
        ("PUT", None, {"website": None}, b"<WebsiteConfiguration/>"),
        (
            "PUT",
            None,
            {"cors": None},
            b"<CORSConfiguration><CORSRule>x</CORSRule></CORSConfiguration>",
        ),
    ],
    ids=[
        "cors-maxage-children",
        "versioning-status-children",
        "lifecycle-id-children",
        "restore-days-children",
        "acl-uri-children",
        "tagging-value-children",
        "bucket-tagging-text",
        "website-empty",
        "cors-rule-text",
    ],
)
async def test_well_formed_but_wrong_shape(
    http: CosHttp,
    bucket: str,
    method: str,
    key: str | None,
    params: dict[str, str | None],
    body: bytes,
) -> None:
    """Elements holding elements where text belongs (and vice versa): 400, not a crash."""
    assert (await http.request("PUT", bucket, "obj", data=b"x")).status == 200
    reply = await http.request(method, bucket, key, params=params, data=body)
    assert_error(reply, 400, "MalformedXML")


async def test_empty_bodies(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "obj", data=b"x")
    for key, params in (
        ("obj", {"tagging": None}),
        ("obj", {"acl": None}),
        ("obj", {"restore": None}),
        (None, {"versioning": None}),
        (None, {"tagging": None}),
        (None, {"cors": None}),
    ):
        method = "POST" if "restore" in params else "PUT"
        reply = await http.request(method, bucket, key, params=params, data=b"")
        assert_error(reply, 400, "MalformedXML")


# --- delete multiple --------------------------------------------------------------------------


async def test_delete_multiple(http: CosHttp, bucket: str) -> None:
    for k in ("a", "b", "c"):
        await http.request("PUT", bucket, k, data=b"x")
    body = delete_doc(["a", "b", "never"])
    reply = await http.request(
        "POST", bucket, params={"delete": None}, data=body, headers={"Content-MD5": b64md5(body)}
    )
    assert reply.status == 200, reply.body
    deleted = reply.xml()["DeleteResult"]["Deleted"]
    assert [d["Key"] for d in deleted] == ["a", "b", "never"]
    assert (await http.request("HEAD", bucket, "a")).status == 404
    assert (await http.request("HEAD", bucket, "c")).status == 200
    quiet = delete_doc(["c"], quiet=True)
    reply = await http.request(
        "POST", bucket, params={"delete": None}, data=quiet, headers={"Content-MD5": b64md5(quiet)}
    )
    assert reply.status == 200
    assert not reply.xml()["DeleteResult"]
    assert (await http.request("HEAD", bucket, "c")).status == 404


async def test_delete_multiple_bad_requests(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "k0", data=b"x")
    body = delete_doc([f"k{i}" for i in range(1001)])
    too_many = await http.request(
        "POST", bucket, params={"delete": None}, data=body, headers={"Content-MD5": b64md5(body)}
    )
    assert_error(too_many, 400, "MalformedXML")
    assert (await http.request("HEAD", bucket, "k0")).status == 200  # nothing was deleted

    small = delete_doc(["k0"])
    no_md5 = await http.request("POST", bucket, params={"delete": None}, data=small)
    assert_error(no_md5, 400, "InvalidRequest")
    bad_md5 = await http.request(
        "POST", bucket, params={"delete": None}, data=small, headers={"Content-MD5": b64md5(b"")}
    )
    assert_error(bad_md5, 400, "BadDigest")
    for bad in (
        b"<Delete></Delete>",
        b"<Delete><Object><VersionId>1</VersionId></Object></Delete>",
        b"<Delete><Object>text</Object></Delete>",
        b"<NotDelete><Object><Key>k0</Key></Object></NotDelete>",
        b"<Delete><Quiet><x/></Quiet><Object><Key>k0</Key></Object></Delete>",
        b"<Delete><Object><Key>k0",
    ):
        reply = await http.request(
            "POST", bucket, params={"delete": None}, data=bad, headers={"Content-MD5": b64md5(bad)}
        )
        assert_error(reply, 400, "MalformedXML")
    assert (await http.request("HEAD", bucket, "k0")).status == 200


# --- addressing and parameters ----------------------------------------------------------------


async def test_unknown_subresource(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "obj", data=b"x")
    assert_error(await http.request("GET", bucket, params={"foo": None}), 400, "InvalidArgument")
    assert_error(
        await http.request("GET", bucket, "obj", params={"foo": None}), 400, "InvalidArgument"
    )
    # An unknown parameter with a value is ignored, as COS does.
    ok = await http.request("GET", bucket, "obj", params={"foo": "bar"})
    assert ok.status == 200


async def test_invalid_bucket_name(http: CosHttp) -> None:
    for name in ("Bad_Name-1250000000", "nobucketappid", "UPPER-1250000000"):
        for method in ("GET", "PUT", "DELETE"):
            assert_error(await http.request(method, name), 400, "InvalidBucketName")
        assert_error(await http.request("PUT", name, "k", data=b"x"), 400, "InvalidBucketName")


async def test_key_too_long(http: CosHttp, bucket: str) -> None:
    ok_key = "k" * 850
    assert (await http.request("PUT", bucket, ok_key, data=b"x")).status == 200
    for key in ("k" * 851, "中" * 284):  # 851 and 852 UTF-8 bytes
        assert_error(await http.request("PUT", bucket, key, data=b"x"), 400, "KeyTooLong")
        assert_error(await http.request("GET", bucket, key), 400, "KeyTooLong")


async def test_part_number_out_of_range(http: CosHttp, bucket: str) -> None:
    init = await http.request("POST", bucket, "mp", params={"uploads": None})
    upload_id = init.xml()["InitiateMultipartUploadResult"]["UploadId"]
    for number in ("0", "10001", "99999999999999999999"):
        reply = await http.request(
            "PUT", bucket, "mp", params={"partNumber": number, "uploadId": upload_id}, data=b"x"
        )
        assert_error(reply, 400, "InvalidArgument")


async def test_metadata_too_large(http: CosHttp, bucket: str) -> None:
    big = {f"x-cos-meta-m{i}": "v" * 200 for i in range(10)}
    assert_error(
        await http.request("PUT", bucket, "meta", data=b"x", headers=big), 400, "MetadataTooLarge"
    )
    assert (await http.request("HEAD", bucket, "meta")).status == 404
    fits = {"x-cos-meta-m": "v" * 1000}
    assert (await http.request("PUT", bucket, "meta", data=b"x", headers=fits)).status == 200
    init = await http.request("POST", bucket, "meta2", params={"uploads": None}, headers=big)
    assert_error(init, 400, "MetadataTooLarge")


async def test_invalid_storage_class(http: CosHttp, bucket: str) -> None:
    headers = {"x-cos-storage-class": "GLACIER"}
    assert_error(
        await http.request("PUT", bucket, "sc", data=b"x", headers=headers),
        400,
        "InvalidStorageClass",
    )
    assert_error(
        await http.request("POST", bucket, "sc", params={"uploads": None}, headers=headers),
        400,
        "InvalidStorageClass",
    )
    assert (await http.request("HEAD", bucket, "sc")).status == 404


async def test_invalid_acl_headers(http: CosHttp, bucket: str) -> None:
    assert_error(
        await http.request("PUT", bucket, "acl", data=b"x", headers={"x-cos-acl": "everyone"}),
        400,
        "InvalidArgument",
    )
    assert_error(
        await http.request(
            "PUT", bucket, "acl", data=b"x", headers={"x-cos-grant-read": "no quotes"}
        ),
        400,
        "InvalidArgument",
    )
    assert (await http.request("HEAD", bucket, "acl")).status == 404


async def test_post_on_object_without_subresource(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "obj", data=b"x")
    assert_error(await http.request("POST", bucket, "obj", data=b"y"), 400, "InvalidRequest")
    assert_error(await http.request("POST", bucket, data=b"y"), 400, "InvalidRequest")
    assert (await http.request("GET", bucket, "obj")).body == b"x"


async def test_declared_body_over_5_gib(http: CosHttp, bucket: str) -> None:
    # The Content-Length header announces 6 GiB; the server refuses before reading the body.
    reply = await http.request(
        "PUT",
        bucket,
        "huge",
        data=b"0123456789",
        headers={"Content-Length": str(6 * 1024**3)},
    )
    assert_error(reply, 400, "EntityTooLarge")
    assert (await http.request("HEAD", bucket, "huge")).status == 404


async def test_response_override_with_control_character(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "obj", data=b"x")
    reply = await http.request(
        "GET", bucket, "obj", params={"response-content-type": "text/plain\r\nX-Injected: 1"}
    )
    assert_error(reply, 400, "InvalidArgument")
    assert "X-Injected" not in reply.headers


async def test_bad_signatures(http: CosHttp, server: LocalCosServer, bucket: str) -> None:
    auth = http.sign("GET", bucket, None, secret_key="not-the-key")
    reply = await http.request("GET", bucket, auth=auth)
    assert_error(reply, 403, "SignatureDoesNotMatch")
    now = int(time.time())
    expired = http.sign("GET", bucket, None, start=now - 7200, end=now - 3600)
    assert_error(await http.request("GET", bucket, auth=expired), 403, "AccessDenied")
    reply = await http.request(
        "GET",
        bucket,
        unsigned_headers={"Authorization": "q-sign-algorithm=md5&q-ak=x"},
        signed=False,
    )
    assert_error(reply, 403, "AccessDenied")


# --- POST form ----------------------------------------------------------------------------------


async def post_raw(
    session: aiohttp.ClientSession, server: LocalCosServer, bucket: str, body: Any, ctype: str
) -> Reply:
    async with session.post(
        f"{server.endpoint}/{bucket}", data=body, headers={"Content-Type": ctype}
    ) as resp:
        return Reply(resp.status, resp.headers, await resp.read())


async def test_malformed_post_forms(server: LocalCosServer, session: aiohttp.ClientSession) -> None:
    bucket = server.create_bucket(acl="public-read-write")
    boundary = "multipart/form-data; boundary=x"
    assert_error(
        await post_raw(session, server, bucket, b"--x\r\n", boundary), 400, "MalformedPOSTRequest"
    )
    assert_error(
        await post_raw(session, server, bucket, b"garbage", "multipart/form-data"),
        400,
        "MalformedPOSTRequest",
    )
    no_key = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nd\r\n--x--\r\n'
    )
    assert_error(await post_raw(session, server, bucket, no_key, boundary), 400, "InvalidArgument")


@pytest.mark.parametrize(
    ("policy", "code"),
    [
        (
            {
                "expiration": "2099-01-01T00:00:00Z",
                "conditions": [["content-length-range", "a", 5]],
            },
            "InvalidPolicyDocument",
        ),
        ({"expiration": "2099-01-01T00:00:00Z", "conditions": "x"}, "InvalidPolicyDocument"),
        ({"expiration": "tomorrow", "conditions": []}, "InvalidPolicyDocument"),
        ({"conditions": []}, "InvalidPolicyDocument"),
        (
            {"expiration": "2099-01-01T00:00:00Z", "conditions": [["gt", "$key", "a"]]},
            "InvalidPolicyDocument",
        ),
        ([1, 2], "InvalidPolicyDocument"),
    ],
)
async def test_bad_post_policies(
    server: LocalCosServer, bucket: str, session: aiohttp.ClientSession, policy: Any, code: str
) -> None:
    now = int(time.time())
    keytime = f"{now - 60};{now + 600}"
    policy_json = json.dumps(policy).encode()
    form = aiohttp.FormData()
    form.add_field("key", "k")
    form.add_field("policy", base64.b64encode(policy_json).decode())
    form.add_field("q-sign-algorithm", "sha1")
    form.add_field("q-ak", server.secret_id)
    form.add_field("q-key-time", keytime)
    form.add_field(
        "q-signature",
        _signing.post_policy_signature(
            secret_key=server.secret_key, key_time=keytime, policy=policy_json
        ),
    )
    form.add_field("file", b"x", filename="f")
    async with session.post(f"{server.endpoint}/{bucket}", data=form) as resp:
        reply = Reply(resp.status, resp.headers, await resp.read())
    assert_error(reply, 400, code)
