"""The local COS server's answers to the rest of the storage API (issue 19, item 5), over raw
signed HTTP: symbolic links, the migration service (async fetch), domain certificates,
intelligent-tiering rules by id, one-off inventories; the request shapes and the errors for bad
input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp, Reply

MIGRATION = "ap-guangzhou.migration.myqcloud.com"
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nSERVER-SIDE-SECRET\n-----END PRIVATE KEY-----"


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:500])
    doc = reply.xml()["Error"]
    assert doc["Code"] == code, doc
    assert doc["RequestId"] == reply.headers["x-cos-request-id"]
    return doc


# --- symbolic links ---------------------------------------------------------------------------


async def test_symlink_request_shape(http: CosHttp, bucket: str) -> None:
    put = await http.request("PUT", bucket, "t.txt", data=b"target")
    assert put.status == 200
    link = await http.request(
        "PUT",
        bucket,
        "l.txt",
        params={"symlink": None},
        headers={"x-cos-symlink-target": "t.txt"},
    )
    assert link.status == 200, link.body
    assert link.headers["x-cos-request-id"]
    got = await http.request("GET", bucket, "l.txt", params={"symlink": None})
    assert got.status == 200
    assert got.headers["x-cos-symlink-target"] == "t.txt"
    assert got.body == b""
    read = await http.request("GET", bucket, "l.txt")
    assert (read.status, read.body) == (200, b"target")
    head = await http.request("HEAD", bucket, "l.txt")
    assert head.headers["Content-Length"] == "6"


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "x-cos-symlink-target"),
        ({"x-cos-symlink-target": "l.txt"}, "itself"),
        ({"x-cos-symlink-target": "x" * 851}, "850"),
    ],
)
async def test_symlink_bad_input(
    http: CosHttp, bucket: str, headers: dict[str, str], fragment: str
) -> None:
    reply = await http.request("PUT", bucket, "l.txt", params={"symlink": None}, headers=headers)
    doc = assert_error(reply, 400, "InvalidArgument")
    assert fragment in doc["Message"]
    assert (await http.request("HEAD", bucket, "l.txt")).status == 404


async def test_a_link_to_a_link_is_not_followed(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "t", data=b"x")
    for key, target in (("a", "t"), ("b", "a")):
        reply = await http.request(
            "PUT", bucket, key, params={"symlink": None}, headers={"x-cos-symlink-target": target}
        )
        assert reply.status == 200
    assert (await http.request("GET", bucket, "a")).body == b"x"
    assert_error(await http.request("GET", bucket, "b"), 404, "NoSuchKey")
    not_a_link = await http.request("GET", bucket, "t", params={"symlink": None})
    assert_error(not_a_link, 400, "InvalidArgument")


async def test_the_symlink_subresource_must_be_signed(http: CosHttp, bucket: str) -> None:
    auth = http.sign("PUT", bucket, "l", headers={"x-cos-symlink-target": "t"})
    reply = await http.request(
        "PUT",
        bucket,
        "l",
        params={"symlink": None},
        headers={"x-cos-symlink-target": "t"},
        auth=auth,
    )
    assert_error(reply, 403, "AccessDenied")


# --- the migration service (async fetch) ------------------------------------------------------


def migration(http: CosHttp) -> CosHttp:
    """Signed requests to the server, addressed to the migration host (the bucket in the path)."""
    return _MigrationHttp(http.endpoint, http.secret_id, http.secret_key, http.session)


class _MigrationHttp(CosHttp):
    def host_for(self, bucket: str | None) -> str:
        return MIGRATION


async def fetch(
    http: CosHttp, bucket: str, task: dict[str, Any] | bytes, key: str | None = None
) -> Reply:
    body = task if isinstance(task, bytes) else json.dumps(task).encode()
    return await migration(http).request(
        "POST" if key is None else "GET",
        bucket,
        key,
        headers={"Content-Type": "application/json"},
        data=body if key is None else None,
    )


async def test_fetch_task_round_trip(http: CosHttp, server: LocalCosServer, bucket: str) -> None:
    await http.request("PUT", bucket, "src.bin", data=b"fetch me")
    url = http.presign("GET", bucket, "src.bin")
    submitted = await fetch(http, bucket, {"Url": str(url), "Key": "/dst.bin"})
    assert submitted.status == 200, submitted.body
    assert submitted.headers["Content-Type"] == "application/json"
    answer = json.loads(submitted.body)
    assert (answer["code"], answer["message"]) == (0, "SUCCESS")
    assert answer["request_id"] == submitted.headers["x-cos-request-id"]
    task_id = answer["data"]["taskId"]
    reported = await fetch(http, bucket, b"", key=task_id)
    data = json.loads(reported.body)["data"]
    assert (data["status"], data["percent"]) == ("TASK_SUCCESS", 100)
    assert (await http.request("GET", bucket, "dst.bin")).body == b"fetch me"
    # the task is the bucket's own
    other = server.create_bucket()
    assert_error(await fetch(http, other, b"", key=task_id), 404, "NoSuchTask")


@pytest.mark.parametrize(
    ("task", "code", "fragment"),
    [
        (b"not json", "MalformedJSON", "not JSON"),
        (b"[]", "MalformedJSON", "object"),
        ({"Key": "k"}, "InvalidArgument", "Url"),
        ({"Url": "http://127.0.0.1/x"}, "InvalidArgument", "Key"),
        ({"Url": "http://127.0.0.1/x", "Key": "k", "Colour": 1}, "InvalidArgument", "Colour"),
        ({"Url": "http://127.0.0.1/x", "Key": 3}, "InvalidArgument", "Key"),
        ({"Url": "ftp://127.0.0.1/x", "Key": "k"}, "InvalidArgument", "http://"),
        ({"Url": "http://10.0.0.1/x", "Key": "k"}, "InvalidArgument", "10.0.0.1"),
        ({"Url": "http://cos.example.com/x", "Key": "k"}, "InvalidArgument", "internet"),
        ({"Url": "http://127.0.0.1/x", "Key": "k", "MD5": "zz"}, "InvalidArgument", "MD5"),
        (
            {"Url": "http://127.0.0.1/x", "Key": "k", "SuccessCallbackUrl": "mailto:x"},
            "InvalidArgument",
            "SuccessCallbackUrl",
        ),
    ],
)
async def test_fetch_task_bad_input(
    http: CosHttp, bucket: str, task: Any, code: str, fragment: str
) -> None:
    doc = assert_error(await fetch(http, bucket, task), 400, code)
    assert fragment in doc["Message"]


async def test_fetch_of_a_missing_source_fails_the_task(http: CosHttp, bucket: str) -> None:
    url = http.presign("GET", bucket, "missing")
    answer = json.loads((await fetch(http, bucket, {"Url": str(url), "Key": "k"})).body)
    reported = await fetch(http, bucket, b"", key=answer["data"]["taskId"])
    data = json.loads(reported.body)["data"]
    assert (data["status"], data["code"]) == ("TASK_FAILED", "SourceError")
    assert (await http.request("HEAD", bucket, "k")).status == 404


async def test_ignore_same_key_keeps_the_object(http: CosHttp, bucket: str) -> None:
    await http.request("PUT", bucket, "src", data=b"new")
    await http.request("PUT", bucket, "dst", data=b"old")
    url = str(http.presign("GET", bucket, "src"))
    await fetch(http, bucket, {"Url": url, "Key": "dst", "IgnoreSameKey": True})
    assert (await http.request("GET", bucket, "dst")).body == b"old"
    await fetch(http, bucket, {"Url": url, "Key": "dst", "IgnoreSameKey": False})
    assert (await http.request("GET", bucket, "dst")).body == b"new"


@pytest.mark.parametrize(
    ("method", "key", "params"),
    [
        ("PUT", None, {}),
        ("GET", None, {}),
        ("DELETE", "task", {}),
        ("POST", None, {"delete": None}),
        ("GET", "task", {"acl": None}),
    ],
)
async def test_the_migration_host_answers_only_its_two_requests(
    http: CosHttp, bucket: str, method: str, key: str | None, params: dict[str, None]
) -> None:
    reply = await migration(http).request(method, bucket, key, params=params, data=b"")
    assert_error(reply, 405, "MethodNotAllowed")


async def test_fetch_needs_a_signature(http: CosHttp, bucket: str) -> None:
    reply = await migration(http).request(
        "POST", bucket, data=b'{"Url": "http://127.0.0.1/x", "Key": "k"}', signed=False
    )
    assert_error(reply, 403, "AccessDenied")


# --- domain certificates ----------------------------------------------------------------------


def certificate(domain: str) -> bytes:
    return (
        "<DomainCertificate><CertificateInfo><CertType>CustomCert</CertType><CustomCert>"
        f"<Cert>{CERT}</Cert><PrivateKey>{KEY}</PrivateKey></CustomCert></CertificateInfo>"
        f"<DomainList><DomainName>{domain}</DomainName></DomainList></DomainCertificate>"
    ).encode()


async def test_domain_certificate(http: CosHttp, server: LocalCosServer, bucket: str) -> None:
    sub = {"domaincertificate": None}
    unbound = await http.request("PUT", bucket, params=sub, data=certificate("cdn.example.com"))
    assert "not bound" in assert_error(unbound, 400, "InvalidArgument")["Message"]
    domain = (
        b"<DomainConfiguration><DomainRule><Status>ENABLED</Status><Name>cdn.example.com</Name>"
        b"<Type>REST</Type></DomainRule></DomainConfiguration>"
    )
    assert (await http.request("PUT", bucket, params={"domain": None}, data=domain)).status == 200
    put = await http.request("PUT", bucket, params=sub, data=certificate("cdn.example.com"))
    assert put.status == 200, put.body
    got = await http.request("GET", bucket, params={**sub, "domainname": "cdn.example.com"})
    assert got.xml() == {"DomainCertificate": {"Status": "Enabled"}}
    assert b"SERVER-SIDE-SECRET" not in got.body
    no_name = await http.request("GET", bucket, params=sub)
    assert "domainname" in assert_error(no_name, 400, "InvalidArgument")["Message"]
    gone = await http.request("DELETE", bucket, params={**sub, "domainname": "cdn.example.com"})
    assert gone.status == 204
    after = await http.request("GET", bucket, params={**sub, "domainname": "cdn.example.com"})
    assert_error(after, 404, "NoSuchDomainCertificateConfiguration")
    not_pem = certificate("cdn.example.com").replace(b"-----BEGIN PRIVATE KEY-----", b"")
    refused = await http.request("PUT", bucket, params=sub, data=not_pem)
    message = assert_error(refused, 400, "InvalidArgument")["Message"]
    assert "SERVER-SIDE-SECRET" not in message


# --- intelligent-tiering rules by id ----------------------------------------------------------


def tiering(rule_id: str | None, *tiers: tuple[str, int]) -> bytes:
    body = "".join(
        f"<Tiering><AccessTier>{t}</AccessTier><Days>{d}</Days></Tiering>" for t, d in tiers
    )
    rid = f"<Id>{rule_id}</Id>" if rule_id is not None else ""
    return (
        f"<IntelligentTieringConfiguration>{rid}<Status>Enabled</Status>{body}"
        "</IntelligentTieringConfiguration>"
    ).encode()


async def test_tiering_rules_by_id(http: CosHttp, bucket: str) -> None:
    sub = "intelligent-tiering"
    listed = await http.request("GET", bucket, params={sub: None})
    assert listed.xml() == {"ListBucketIntelligentTieringConfigurationsOutput": None}
    # the id may come as a parameter only (the official SDK): the stored rule then has it
    put = await http.request(
        "PUT", bucket, params={sub: None, "id": "default"}, data=tiering(None, ("INFREQUENT", 30))
    )
    assert put.status == 200, put.body
    got = await http.request("GET", bucket, params={sub: None, "id": "default"})
    assert got.xml()["IntelligentTieringConfiguration"]["Id"] == "default"
    archive = tiering("arc", ("ARCHIVE_ACCESS", 91))
    assert (
        await http.request("PUT", bucket, params={sub: None, "id": "arc"}, data=archive)
    ).status == 200
    listed = await http.request("GET", bucket, params={sub: None})
    rules = listed.xml()["ListBucketIntelligentTieringConfigurationsOutput"]
    assert [r["Id"] for r in rules["IntelligentTieringConfiguration"]] == ["arc", "default"]
    assert (await http.request("DELETE", bucket, params={sub: None, "id": "arc"})).status == 204
    missing = await http.request("DELETE", bucket, params={sub: None, "id": "arc"})
    assert_error(missing, 404, "NoSuchIntelligentTieringConfiguration")


@pytest.mark.parametrize(
    ("rule_id", "body", "code", "fragment"),
    [
        (None, tiering("x", ("ARCHIVE_ACCESS", 91)), "InvalidArgument", "id parameter"),
        ("x", tiering("y", ("ARCHIVE_ACCESS", 91)), "InvalidArgument", "differs"),
        ("x", tiering("x", ("INFREQUENT", 30)), "InvalidArgument", "INFREQUENT"),
        ("default", tiering("default", ("ARCHIVE_ACCESS", 91)), "InvalidArgument", "INFREQUENT"),
        ("x", tiering("x", ("COLD", 91)), "MalformedXML", "AccessTier"),
        ("x", tiering("x", ("ARCHIVE_ACCESS", 0)), "MalformedXML", "Days"),
        ("x", tiering("x"), "MalformedXML", "Tiering"),
    ],
)
async def test_tiering_rule_bad_input(
    http: CosHttp, bucket: str, rule_id: str | None, body: bytes, code: str, fragment: str
) -> None:
    params: dict[str, str | None] = {"intelligent-tiering": None}
    if rule_id is not None:
        params["id"] = rule_id
    doc = assert_error(await http.request("PUT", bucket, params=params, data=body), 400, code)
    assert fragment in doc["Message"]


async def test_the_default_rule_stays(http: CosHttp, bucket: str) -> None:
    params = {"intelligent-tiering": None, "id": "default"}
    rule = tiering("default", ("INFREQUENT", 30))
    assert (await http.request("PUT", bucket, params=params, data=rule)).status == 200
    assert (await http.request("PUT", bucket, params=params, data=rule)).status == 200
    changed = tiering("default", ("INFREQUENT", 60))
    assert_error(
        await http.request("PUT", bucket, params=params, data=changed), 400, "InvalidRequest"
    )
    assert_error(await http.request("DELETE", bucket, params=params), 400, "InvalidRequest")


# --- one-off inventory ------------------------------------------------------------------------

ONE_OFF = (
    b"<InventoryConfiguration><Id>{id}</Id><Destination><COSBucketDestination>"
    b"<Format>CSV</Format><Bucket>qcs::cos:ap-guangzhou::dest-1250000000</Bucket>"
    b"</COSBucketDestination></Destination><IncludedObjectVersions>All</IncludedObjectVersions>"
    b"</InventoryConfiguration>"
)


async def test_post_bucket_inventory(http: CosHttp, bucket: str) -> None:
    body = ONE_OFF.replace(b"{id}", b"once")
    ok = await http.request("POST", bucket, params={"inventory": None, "id": "once"}, data=body)
    assert ok.status == 200, ok.body
    # a one-off inventory is not a configuration of the bucket
    listed = await http.request("GET", bucket, params={"inventory": None})
    assert "InventoryConfiguration" not in (listed.xml()["ListInventoryConfigurationResult"] or {})


@pytest.mark.parametrize(
    ("params", "body", "fragment"),
    [
        ({"inventory": None}, ONE_OFF.replace(b"{id}", b"a"), "id parameter"),
        ({"inventory": None, "id": "b"}, ONE_OFF.replace(b"{id}", b"a"), "differs"),
        (
            {"inventory": None, "id": "a"},
            ONE_OFF.replace(b"{id}", b"a").replace(
                b"</InventoryConfiguration>",
                b"<Schedule><Frequency>Daily</Frequency></Schedule></InventoryConfiguration>",
            ),
            "Schedule",
        ),
    ],
)
async def test_post_bucket_inventory_bad_input(
    http: CosHttp, bucket: str, params: dict[str, str | None], body: bytes, fragment: str
) -> None:
    doc = assert_error(
        await http.request("POST", bucket, params=params, data=body), 400, "InvalidArgument"
    )
    assert fragment in doc["Message"]
