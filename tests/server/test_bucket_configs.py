"""Buckets and their configuration sub-resources on the local COS server."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from cos_async._xml import parse
from cos_async.testing import LocalCosServer
from cos_async.testing._documents import CONFIG_ROOTS
from tests.cos_http import CosHttp, Reply

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:500])
    assert reply.headers["x-cos-request-id"]
    doc = reply.xml()["Error"]
    assert doc["Code"] == code, doc
    assert doc["Message"]
    assert doc["RequestId"] == reply.headers["x-cos-request-id"]
    return doc


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


POLICY = json.dumps(
    {
        "version": "2.0",
        "Statement": [
            {
                "Principal": {"qcs": ["qcs::cam::anyone:anyone"]},
                "Effect": "Allow",
                "Action": ["name/cos:GetObject"],
                "Resource": ["qcs::cos:ap-guangzhou:uid/1250000000:test-1-1250000000/*"],
            }
        ],
    }
).encode()

#: sub-resource -> (valid document, document lacking a required element, that element's name)
CONFIGS: dict[str, tuple[bytes, bytes, str]] = {
    "cors": (
        b"<CORSConfiguration><CORSRule><ID>r1</ID>"
        b"<AllowedOrigin>https://*.example.com</AllowedOrigin>"
        b"<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
        b"<AllowedHeader>x-cos-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
        b"<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        b"<CORSConfiguration><CORSRule><AllowedMethod>PUT</AllowedMethod></CORSRule>"
        b"</CORSConfiguration>",
        "AllowedOrigin",
    ),
    "lifecycle": (
        b"<LifecycleConfiguration><Rule><ID>r1</ID><Filter><Prefix>logs/</Prefix></Filter>"
        b"<Status>Enabled</Status><Transition><Days>30</Days>"
        b"<StorageClass>STANDARD_IA</StorageClass></Transition>"
        b"<Expiration><Days>365</Days></Expiration></Rule></LifecycleConfiguration>",
        b"<LifecycleConfiguration><Rule><ID>r1</ID><Expiration><Days>1</Days></Expiration>"
        b"</Rule></LifecycleConfiguration>",
        "Status",
    ),
    "website": (
        b"<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>"
        b"<ErrorDocument><Key>404.html</Key></ErrorDocument></WebsiteConfiguration>",
        b"<WebsiteConfiguration><ErrorDocument><Key>404.html</Key></ErrorDocument>"
        b"</WebsiteConfiguration>",
        "IndexDocument",
    ),
    "referer": (
        b"<RefererConfiguration><Status>Enabled</Status><RefererType>White-List</RefererType>"
        b"<DomainList><Domain>*.example.com</Domain><Domain>example.org</Domain></DomainList>"
        b"<EmptyReferConfiguration>Allow</EmptyReferConfiguration></RefererConfiguration>",
        b"<RefererConfiguration><Status>Enabled</Status>"
        b"<DomainList><Domain>*.example.com</Domain></DomainList></RefererConfiguration>",
        "RefererType",
    ),
    "policy": (POLICY, b'{"version": "2.0"}', "Statement"),
    "logging": (
        b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs-1250000000</TargetBucket>"
        b"<TargetPrefix>access/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>",
        b"<BucketLoggingStatus><LoggingEnabled><TargetPrefix>access/</TargetPrefix>"
        b"</LoggingEnabled></BucketLoggingStatus>",
        "TargetBucket",
    ),
    "domain": (
        b"<DomainConfiguration><DomainRule><Status>ENABLED</Status>"
        b"<Name>www.example.com</Name><Type>REST</Type></DomainRule></DomainConfiguration>",
        b"<DomainConfiguration><DomainRule><Status>ENABLED</Status><Type>REST</Type>"
        b"</DomainRule></DomainConfiguration>",
        "Name",
    ),
    "encryption": (
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
        b"<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
        b"</ServerSideEncryptionConfiguration>",
        b"<ServerSideEncryptionConfiguration><Rule><Other>x</Other></Rule>"
        b"</ServerSideEncryptionConfiguration>",
        "ApplyServerSideEncryptionByDefault",
    ),
    "replication": (
        b"<ReplicationConfiguration><Role>" + OWNER.encode() + b"</Role><Rule><ID>r1</ID>"
        b"<Status>Enabled</Status><Prefix>a/</Prefix><Destination>"
        b"<Bucket>qcs::cos:ap-beijing::dest-1250000000</Bucket>"
        b"<StorageClass>STANDARD</StorageClass></Destination></Rule></ReplicationConfiguration>",
        b"<ReplicationConfiguration><Rule><Status>Enabled</Status><Destination>"
        b"<Bucket>qcs::cos:ap-beijing::dest-1250000000</Bucket></Destination></Rule>"
        b"</ReplicationConfiguration>",
        "Role",
    ),
    "intelligenttiering": (
        b"<IntelligentTieringConfiguration><Status>Enabled</Status><Transition><Days>30</Days>"
        b"<RequestFrequent>1</RequestFrequent></Transition></IntelligentTieringConfiguration>",
        b"<IntelligentTieringConfiguration><Transition><Days>30</Days></Transition>"
        b"</IntelligentTieringConfiguration>",
        "Status",
    ),
    "object-lock": (
        b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
        b"<DefaultRetention><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
        b"<ObjectLockConfiguration><Rule><DefaultRetention><Days>1</Days></DefaultRetention>"
        b"</Rule></ObjectLockConfiguration>",
        "ObjectLockEnabled",
    ),
    "origin": (
        b"<OriginConfiguration><OriginRule><RulePriority>1</RulePriority>"
        b"<OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404</HTTPStatusCode>"
        b"<Prefix>img/</Prefix></OriginCondition><OriginParameter><Protocol>FOLLOW</Protocol>"
        b"<HttpHeader><NewHttpHeaders><Header><Key>x-cos-meta-src</Key><Value>o</Value></Header>"
        b"</NewHttpHeaders></HttpHeader></OriginParameter><OriginInfo><HostInfo>"
        b"<HostName>origin.example.com</HostName></HostInfo></OriginInfo></OriginRule>"
        b"</OriginConfiguration>",
        b"<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginCondition>"
        b"<HTTPStatusCode>404</HTTPStatusCode></OriginCondition><OriginParameter>"
        b"<Protocol>HTTP</Protocol></OriginParameter><OriginInfo><HostInfo>"
        b"<HostName>o.example.com</HostName></HostInfo></OriginInfo></OriginRule>"
        b"</OriginConfiguration>",
        "OriginType",
    ),
    "response-control": (
        b"<ResponseControlConfiguration><ControlParamList>"
        b"<Param>response-content-type</Param><Param>response-expires</Param>"
        b"</ControlParamList></ResponseControlConfiguration>",
        b"<ResponseControlConfiguration><Other>x</Other></ResponseControlConfiguration>",
        "ControlParamList",
    ),
    "tagging": (
        b"<Tagging><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag>"
        b"<Tag><Key>team</Key><Value>storage</Value></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet><Tag><Value>prod</Value></Tag></TagSet></Tagging>",
        "Key",
    ),
}

INVENTORY = (
    b"<InventoryConfiguration><Id>{id}</Id><IsEnabled>true</IsEnabled><Destination>"
    b"<COSBucketDestination><Format>CSV</Format><AccountId>100000000001</AccountId>"
    b"<Bucket>qcs::cos:ap-guangzhou::dest-1250000000</Bucket><Prefix>inv</Prefix>"
    b"</COSBucketDestination></Destination><Schedule><Frequency>Daily</Frequency></Schedule>"
    b"<Filter><Prefix>a/</Prefix></Filter><IncludedObjectVersions>All</IncludedObjectVersions>"
    b"<OptionalFields><Field>Size</Field><Field>ETag</Field></OptionalFields>"
    b"</InventoryConfiguration>"
)


def inventory(inventory_id: str) -> bytes:
    return INVENTORY.replace(b"{id}", inventory_id.encode())


async def enable_versioning(http: CosHttp, bucket: str) -> None:
    body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    reply = await http.request("PUT", bucket, params={"versioning": None}, data=body)
    assert reply.status == 200, reply.body


def same_document(sub: str, a: bytes, b: bytes) -> bool:
    if sub == "policy":
        return bool(json.loads(a) == json.loads(b))
    return parse(a) == parse(b)


# --- configuration sub-resources --------------------------------------------------------------


@pytest.mark.parametrize("sub", sorted(CONFIGS))
async def test_config_put_get_delete(http: CosHttp, bucket: str, sub: str) -> None:
    valid, _invalid, _element = CONFIGS[sub]
    code = CONFIG_ROOTS[sub][1]
    before = await http.request("GET", bucket, params={sub: None})
    if sub == "logging":
        assert before.status == 200
        assert before.xml() == {"BucketLoggingStatus": None}
    else:
        assert_error(before, 404, code)

    if sub == "replication":
        refused = await http.request("PUT", bucket, params={sub: None}, data=valid)
        assert_error(refused, 400, "InvalidRequest")
        await enable_versioning(http, bucket)

    headers = {"Content-MD5": b64md5(valid)}
    if sub == "policy":
        headers["Content-Type"] = "application/json"
    reply = await http.request("PUT", bucket, params={sub: None}, data=valid, headers=headers)
    assert reply.status == 200, reply.body
    got = await http.request("GET", bucket, params={sub: None})
    assert got.status == 200, got.body
    assert same_document(sub, got.body, valid)
    expected_type = "application/json" if sub == "policy" else "application/xml"
    assert got.headers["Content-Type"].startswith(expected_type)

    deleted = await http.request("DELETE", bucket, params={sub: None})
    assert deleted.status == 204
    after = await http.request("GET", bucket, params={sub: None})
    if sub == "logging":
        assert after.status == 200
        assert after.xml() == {"BucketLoggingStatus": None}
    else:
        assert_error(after, 404, code)


@pytest.mark.parametrize("sub", sorted(CONFIGS))
async def test_config_missing_element(http: CosHttp, bucket: str, sub: str) -> None:
    _valid, invalid, element = CONFIGS[sub]
    if sub == "replication":
        await enable_versioning(http, bucket)
    reply = await http.request("PUT", bucket, params={sub: None}, data=invalid)
    doc = assert_error(reply, 400, "MalformedPolicy" if sub == "policy" else "MalformedXML")
    assert element in doc["Message"]
    after = await http.request("GET", bucket, params={sub: None})
    assert after.status == (200 if sub == "logging" else 404)


@pytest.mark.parametrize("sub", sorted(CONFIGS))
async def test_config_wrong_root_or_md5(http: CosHttp, bucket: str, sub: str) -> None:
    valid = CONFIGS[sub][0]
    bad_md5 = await http.request(
        "PUT", bucket, params={sub: None}, data=valid, headers={"Content-MD5": b64md5(b"x")}
    )
    assert_error(bad_md5, 400, "BadDigest")
    if sub != "policy":
        wrong_root = await http.request(
            "PUT", bucket, params={sub: None}, data=b"<SomethingElse><A>1</A></SomethingElse>"
        )
        assert_error(wrong_root, 400, "MalformedXML")


async def test_config_replace(http: CosHttp, bucket: str) -> None:
    first = CONFIGS["website"][0]
    second = first.replace(b"index.html", b"main.html")
    assert (await http.request("PUT", bucket, params={"website": None}, data=first)).status == 200
    assert (await http.request("PUT", bucket, params={"website": None}, data=second)).status == 200
    got = await http.request("GET", bucket, params={"website": None})
    assert parse(got.body) == parse(second)


async def test_bucket_tagging_limits(http: CosHttp, bucket: str) -> None:
    tags = "".join(f"<Tag><Key>k{i}</Key><Value>v</Value></Tag>" for i in range(51))
    reply = await http.request(
        "PUT",
        bucket,
        params={"tagging": None},
        data=f"<Tagging><TagSet>{tags}</TagSet></Tagging>".encode(),
    )
    assert_error(reply, 400, "InvalidTag")
    dup = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key>"
    dup += b"<Value>2</Value></Tag></TagSet></Tagging>"
    assert_error(
        await http.request("PUT", bucket, params={"tagging": None}, data=dup), 400, "InvalidTag"
    )


async def test_inventory(http: CosHttp, bucket: str) -> None:
    assert_error(
        await http.request("GET", bucket, params={"inventory": None, "id": "list1"}),
        404,
        "NoSuchInventoryConfiguration",
    )
    for inv_id in ("list1", "list-2.b_c"):
        reply = await http.request(
            "PUT", bucket, params={"inventory": None, "id": inv_id}, data=inventory(inv_id)
        )
        assert reply.status == 200, reply.body
    got = await http.request("GET", bucket, params={"inventory": None, "id": "list1"})
    assert got.status == 200
    assert parse(got.body) == parse(inventory("list1"))

    listing = await http.request("GET", bucket, params={"inventory": None})
    assert listing.status == 200, listing.body
    doc = listing.xml()["ListInventoryConfigurationResult"]
    assert [c["Id"] for c in doc["InventoryConfiguration"]] == ["list-2.b_c", "list1"]
    assert doc["IsTruncated"] == "false"

    bad_chars = await http.request(
        "PUT", bucket, params={"inventory": None, "id": "bad id!"}, data=inventory("bad id!")
    )
    assert_error(bad_chars, 400, "InvalidArgument")
    mismatch = await http.request(
        "PUT", bucket, params={"inventory": None, "id": "other"}, data=inventory("list1")
    )
    assert_error(mismatch, 400, "InvalidArgument")
    no_id = await http.request("PUT", bucket, params={"inventory": None}, data=inventory("x"))
    assert_error(no_id, 400, "InvalidArgument")
    no_dest = inventory("list3")
    start, end = no_dest.index(b"<Destination>"), no_dest.index(b"</Destination>")
    no_dest = no_dest[:start] + no_dest[end + len(b"</Destination>") :]
    missing = await http.request(
        "PUT", bucket, params={"inventory": None, "id": "list3"}, data=no_dest
    )
    doc = assert_error(missing, 400, "MalformedXML")
    assert "Destination" in doc["Message"]

    deleted = await http.request("DELETE", bucket, params={"inventory": None, "id": "list1"})
    assert deleted.status == 204
    assert_error(
        await http.request("GET", bucket, params={"inventory": None, "id": "list1"}),
        404,
        "NoSuchInventoryConfiguration",
    )
    assert_error(
        await http.request("DELETE", bucket, params={"inventory": None, "id": "list1"}),
        404,
        "NoSuchInventoryConfiguration",
    )
    remaining = await http.request("GET", bucket, params={"inventory": None})
    doc = remaining.xml()["ListInventoryConfigurationResult"]
    assert [c["Id"] for c in doc["InventoryConfiguration"]] == ["list-2.b_c"]


async def test_versioning_config(http: CosHttp, bucket: str) -> None:
    empty = await http.request("GET", bucket, params={"versioning": None})
    assert empty.status == 200
    assert not empty.xml()["VersioningConfiguration"]
    for status in ("Enabled", "Suspended"):
        body = f"<VersioningConfiguration><Status>{status}</Status></VersioningConfiguration>"
        reply = await http.request("PUT", bucket, params={"versioning": None}, data=body.encode())
        assert reply.status == 200
        got = await http.request("GET", bucket, params={"versioning": None})
        assert got.xml() == {"VersioningConfiguration": {"Status": status}}
    for bad in (
        b"<VersioningConfiguration></VersioningConfiguration>",
        b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>",
    ):
        reply = await http.request("PUT", bucket, params={"versioning": None}, data=bad)
        doc = assert_error(reply, 400, "MalformedXML")
        assert "Status" in doc["Message"]
    got = await http.request("GET", bucket, params={"versioning": None})
    assert got.xml() == {"VersioningConfiguration": {"Status": "Suspended"}}


async def test_bucket_acl(http: CosHttp, bucket: str) -> None:
    got = await http.request("GET", bucket, params={"acl": None})
    assert got.status == 200
    assert got.headers["x-cos-acl"] == "private"
    assert_error(await http.request("GET", bucket, signed=False), 403, "AccessDenied")

    reply = await http.request(
        "PUT", bucket, params={"acl": None}, headers={"x-cos-acl": "public-read"}
    )
    assert reply.status == 200
    got = await http.request("GET", bucket, params={"acl": None})
    assert got.headers["x-cos-acl"] == "public-read"
    grants = got.xml()["AccessControlPolicy"]["AccessControlList"]["Grant"]
    assert [(g["Grantee"].get("ID") or g["Grantee"]["URI"], g["Permission"]) for g in grants] == [
        (OWNER, "FULL_CONTROL"),
        (ALL_USERS, "READ"),
    ]
    anon = await http.request("GET", bucket, signed=False)
    assert anon.status == 200

    body = (
        f"<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><AccessControlList>"
        f'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:type="CanonicalUser"><ID>{OWNER}</ID></Grantee>'
        "<Permission>FULL_CONTROL</Permission></Grant>"
        '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:type="CanonicalUser"><ID>qcs::cam::uin/100000000002:uin/100000000002</ID>'
        "</Grantee><Permission>WRITE</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>"
    ).encode()
    reply = await http.request("PUT", bucket, params={"acl": None}, data=body)
    assert reply.status == 200, reply.body
    got = await http.request("GET", bucket, params={"acl": None})
    grants = got.xml()["AccessControlPolicy"]["AccessControlList"]["Grant"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in grants] == [
        (OWNER, "FULL_CONTROL"),
        ("qcs::cam::uin/100000000002:uin/100000000002", "WRITE"),
    ]
    assert_error(await http.request("GET", bucket, signed=False), 403, "AccessDenied")

    by_grant_header = await http.request(
        "PUT", bucket, params={"acl": None}, headers={"x-cos-grant-read": f'uri="{ALL_USERS}"'}
    )
    assert by_grant_header.status == 200
    assert (await http.request("GET", bucket, signed=False)).status == 200

    default = await http.request(
        "PUT", bucket, params={"acl": None}, headers={"x-cos-acl": "default"}
    )
    assert_error(default, 400, "InvalidArgument")  # "default" is for objects only
    no_acl = await http.request("DELETE", bucket, params={"acl": None})
    assert no_acl.status == 405


# --- buckets ----------------------------------------------------------------------------------


async def test_location_and_head(http: CosHttp, bucket: str) -> None:
    loc = await http.request("GET", bucket, params={"location": None})
    assert loc.status == 200
    assert loc.xml() == {"LocationConstraint": "ap-guangzhou"}
    head = await http.request("HEAD", bucket)
    assert head.status == 200
    assert head.body == b""
    assert head.headers["x-cos-bucket-region"] == "ap-guangzhou"
    assert head.headers["x-cos-request-id"]
    missing = await http.request("HEAD", "missing-1250000000")
    assert missing.status == 404
    assert missing.body == b""
    assert missing.headers["x-cos-request-id"]
    assert_error(await http.request("GET", "missing-1250000000"), 404, "NoSuchBucket")


async def test_create_and_delete_bucket(http: CosHttp, vhttp: CosHttp) -> None:
    name = "created-1250000000"
    reply = await http.request("PUT", name)
    assert reply.status == 200, reply.body
    assert (await http.request("HEAD", name)).status == 200
    assert_error(await http.request("PUT", name), 409, "BucketAlreadyExists")

    put = await http.request("PUT", name, "obj", data=b"x")
    assert put.status == 200
    assert_error(await http.request("DELETE", name), 409, "BucketNotEmpty")
    assert (await http.request("HEAD", name)).status == 200
    assert (await http.request("DELETE", name, "obj")).status == 204
    deleted = await http.request("DELETE", name)
    assert deleted.status == 204
    assert (await http.request("HEAD", name)).status == 404
    assert_error(await http.request("DELETE", name), 404, "NoSuchBucket")

    # Virtual-hosted creation, with a canned ACL and a CreateBucketConfiguration body.
    other = "vhost-1250000000"
    body = b"<CreateBucketConfiguration><BucketAZConfig>MAZ</BucketAZConfig></CreateBucketConfiguration>"
    created = await vhttp.request("PUT", other, headers={"x-cos-acl": "public-read"}, data=body)
    assert created.status == 200, created.body
    acl = await vhttp.request("GET", other, params={"acl": None})
    assert acl.headers["x-cos-acl"] == "public-read"
    listing = await http.request("GET", None)
    names = [b["Name"] for b in listing.xml()["ListAllMyBucketsResult"]["Buckets"]["Bucket"]]
    assert names == [other]


async def test_delete_bucket_with_only_versions(
    http: CosHttp, server: LocalCosServer, bucket: str
) -> None:
    await enable_versioning(http, bucket)
    await http.request("PUT", bucket, "v", data=b"x")
    await http.request("DELETE", bucket, "v")  # only a delete marker is current
    assert_error(await http.request("DELETE", bucket), 409, "BucketNotEmpty")


@pytest.mark.parametrize(
    "name",
    [
        "Upper-1250000000",
        "noappid",
        "a_b-1250000000",
        "-lead-1250000000",
        "trail--1250000000x",
        "a" * 60 + "-1250000000",
        "dot.ted-1250000000",
    ],
)
async def test_invalid_bucket_names(http: CosHttp, name: str) -> None:
    assert_error(await http.request("PUT", name), 400, "InvalidBucketName")
    assert_error(await http.request("GET", name), 400, "InvalidBucketName")
    listing = await http.request("GET", None)
    assert not listing.xml()["ListAllMyBucketsResult"].get("Buckets")
