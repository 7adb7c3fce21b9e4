"""Compatibility for the rest of the storage API (issue 19, item 5): the official SDK's own calls
(``put_symlink``, ``get_symlink``, ``put/get_async_fetch_task``, ``put/get/delete_bucket_origin``,
``put/get/delete_bucket_response_control``, ``put/get/delete_bucket_domain_certificate``,
``put/get_bucket_intelligenttiering_v2``, ``list_bucket_intelligenttiering_configurations``,
``post_bucket_inventory``, ``get_bucket_meta``, ``change_object_storage_class``,
``update_object_meta``) work against the local server, and for the configurations the official
SDK and cos-async send the same document.

The official SDK addresses async fetch to ``<region>.migration.myqcloud.com`` itself (not through
its IP mode): these tests give it the local server as its HTTP proxy, so the request reaches
127.0.0.1 with the migration host in its request line and ``Host``; nothing leaves the machine.
"""

from __future__ import annotations

from typing import Any

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from cos_async import (
    DomainCertificate,
    IntelligentTieringRule,
    IntelligentTieringTier,
    OriginCondition,
    OriginConfiguration,
    OriginHeader,
    OriginInfo,
    OriginParameter,
    OriginRule,
    ResponseControlConfiguration,
)
from cos_async._bucket_config import ConfigModel, from_xml, to_xml
from cos_async._xml import build, parse
from cos_async.testing import ThreadedLocalCosServer

from .conftest import ClientFactory

CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nOFFICIAL-SDK-SECRET\n-----END PRIVATE KEY-----"


def sent(cos_server: ThreadedLocalCosServer, operation: str) -> bytes:
    """The last document the server received for ``operation``."""
    docs = [
        r.document
        for r in cos_server.requests.records()
        if r.operation == operation and r.document is not None
    ]
    assert docs, operation
    return docs[-1]


def ours(model: ConfigModel) -> dict[str, Any]:
    ((root, doc),) = to_xml(model).items()
    return parse(build(root, doc))


@pytest.fixture
def keep_documents(cos_server: ThreadedLocalCosServer) -> Any:
    cos_server.requests.keep_documents = True
    yield
    cos_server.requests.keep_documents = False


# --- symbolic links ---------------------------------------------------------------------------


def test_symlink(cos_client: CosS3Client, cos_bucket: str) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="data/t.txt", Body=b"through the link")
    headers = cos_client.put_symlink(
        Bucket=cos_bucket, SymlinkName="links/l.txt", SymlinkTarget="data/t.txt"
    )
    assert headers["x-cos-request-id"]
    got = cos_client.get_symlink(Bucket=cos_bucket, SymlinkName="links/l.txt")
    assert got["x-cos-symlink-target"] == "data/t.txt"
    body = cos_client.get_object(Bucket=cos_bucket, Key="links/l.txt")["Body"]
    assert body.get_raw_stream().read() == b"through the link"


# --- async fetch ------------------------------------------------------------------------------


def test_async_fetch(
    cos_server: ThreadedLocalCosServer,
    cos_client: CosS3Client,
    make_cos_client: ClientFactory,
    cos_bucket: str,
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="src.bin", Body=b"fetched by COS")
    cos_client.put_object_acl(Bucket=cos_bucket, Key="src.bin", ACL="public-read")
    via_proxy = make_cos_client(
        cos_server,
        ip_mode=False,
        Proxies={"http": f"http://127.0.0.1:{cos_server.port}"},
    )
    answer = via_proxy.put_async_fetch_task(
        Bucket=cos_bucket,
        FetchTaskConfiguration={"Url": f"{cos_server.endpoint}/{cos_bucket}/src.bin", "Key": "dst"},
    )
    assert answer["code"] == 0
    task_id = answer["data"]["taskId"]
    status = via_proxy.get_async_fetch_task(Bucket=cos_bucket, TaskId=task_id)
    assert status["data"]["status"] == "TASK_SUCCESS"
    body = cos_client.get_object(Bucket=cos_bucket, Key="dst")["Body"]
    assert body.get_raw_stream().read() == b"fetched by COS"
    assert cos_server.requests.count("PutAsyncFetchTask", bucket=cos_bucket) == 1


# --- configurations: the official SDK's calls, and the same document as ours -----------------

ORIGIN_DICT = {
    "OriginRule": [
        {
            "RulePriority": "1",
            "OriginType": "Mirror",
            "OriginCondition": {"HTTPStatusCode": "404", "Prefix": "img/"},
            "OriginParameter": {
                "Protocol": "FOLLOW",
                "FollowQueryString": "true",
                "HttpHeader": {
                    "NewHttpHeaders": {"Header": [{"Key": "x-cos-meta-src", "Value": "o"}]}
                },
            },
            "OriginInfo": {"HostInfo": {"HostName": "origin.example.com"}},
        }
    ]
}
ORIGIN = OriginConfiguration(
    rules=[
        OriginRule(
            priority=1,
            origin_type="Mirror",
            condition=OriginCondition(prefix="img/"),
            parameter=OriginParameter(
                follow_query_string=True,
                new_http_headers=[OriginHeader(key="x-cos-meta-src", value="o")],
            ),
            info=OriginInfo(host_name="origin.example.com"),
        )
    ]
)


@pytest.mark.usefixtures("keep_documents")
def test_bucket_origin(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    cos_client.put_bucket_origin(Bucket=cos_bucket, OriginConfiguration=ORIGIN_DICT)
    assert parse(sent(cos_server, "PutBucketOrigin")) == ours(ORIGIN)
    got = cos_client.get_bucket_origin(Bucket=cos_bucket)
    assert got["OriginRule"][0]["OriginInfo"]["HostInfo"]["HostName"] == "origin.example.com"
    stored = parse(cos_server.server.store.buckets[cos_bucket].configs["origin"])
    assert from_xml(OriginConfiguration, stored["OriginConfiguration"]) == ORIGIN
    cos_client.delete_bucket_origin(Bucket=cos_bucket)
    with pytest.raises(CosServiceError) as info:
        cos_client.get_bucket_origin(Bucket=cos_bucket)
    assert info.value.get_status_code() == 404


@pytest.mark.usefixtures("keep_documents")
def test_bucket_response_control(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    params = ["response-content-type", "response-expires"]
    cos_client.put_bucket_response_control(
        Bucket=cos_bucket, ResponseControlConfiguration={"ControlParamList": {"Param": params}}
    )
    assert parse(sent(cos_server, "PutBucketResponseControl")) == ours(
        ResponseControlConfiguration(params=params)
    )
    got = cos_client.get_bucket_response_control(Bucket=cos_bucket)
    assert got["ControlParamList"]["Param"] == params
    cos_client.delete_bucket_response_control(Bucket=cos_bucket)
    with pytest.raises(CosServiceError):
        cos_client.get_bucket_response_control(Bucket=cos_bucket)


def test_bucket_domain_certificate(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    cos_client.put_bucket_domain(
        Bucket=cos_bucket,
        DomainConfiguration={
            "DomainRule": [{"Name": "cdn.example.com", "Status": "ENABLED", "Type": "REST"}]
        },
    )
    ours_cert = DomainCertificate(certificate=CERT, private_key=KEY, domains=["cdn.example.com"])
    config = ours(ours_cert)["DomainCertificate"]
    config["DomainList"]["DomainName"] = ["cdn.example.com"]
    cos_client.put_bucket_domain_certificate(
        Bucket=cos_bucket, DomainCertificateConfiguration=config
    )
    got = cos_client.get_bucket_domain_certificate(Bucket=cos_bucket, DomainName="cdn.example.com")
    assert got == {"Status": "Enabled"}
    cos_client.delete_bucket_domain_certificate(Bucket=cos_bucket, DomainName="cdn.example.com")
    with pytest.raises(CosServiceError) as info:
        cos_client.get_bucket_domain_certificate(Bucket=cos_bucket, DomainName="cdn.example.com")
    assert info.value.get_status_code() == 404


@pytest.mark.usefixtures("keep_documents")
def test_intelligent_tiering_v2(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    # the official SDK signs only the id: the server takes ?intelligent-tiering unsigned
    cos_client.put_bucket_intelligenttiering_v2(
        Bucket=cos_bucket,
        IntelligentTieringConfiguration={
            "Status": "Enabled",
            "Tiering": [{"AccessTier": "INFREQUENT", "Days": "30", "RequestFrequent": "1"}],
        },
        Id="default",
    )
    cos_client.put_bucket_intelligenttiering_v2(
        Bucket=cos_bucket,
        IntelligentTieringConfiguration={
            "Id": "archive",
            "Status": "Enabled",
            "Tiering": [{"AccessTier": "ARCHIVE_ACCESS", "Days": "91"}],
        },
        Id="archive",
    )
    archive = IntelligentTieringRule(
        id="archive", tierings=[IntelligentTieringTier(access_tier="ARCHIVE_ACCESS", days=91)]
    )
    assert parse(sent(cos_server, "PutBucketIntelligentTieringRule")) == ours(archive)
    got = cos_client.get_bucket_intelligenttiering_v2(Bucket=cos_bucket, Id="default")
    assert got["Id"] == "default"
    assert got["Tiering"]["AccessTier"] == "INFREQUENT"
    listed = cos_client.list_bucket_intelligenttiering_configurations(Bucket=cos_bucket)
    rules = listed["IntelligentTieringConfiguration"]
    assert sorted(r["Id"] for r in rules) == ["archive", "default"]


@pytest.mark.usefixtures("keep_documents")
def test_post_bucket_inventory(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    cos_client.post_bucket_inventory(
        Bucket=cos_bucket,
        Id="once",
        InventoryConfiguration={
            "Destination": {
                "COSBucketDestination": {
                    "Bucket": "qcs::cos:ap-guangzhou::dest-1250000000",
                    "Format": "CSV",
                }
            },
            "IncludedObjectVersions": "All",
        },
    )
    document = parse(sent(cos_server, "PostBucketInventory"))["InventoryConfiguration"]
    assert document["Id"] == "once"


def test_get_bucket_meta(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    cos_client.put_bucket_tagging(
        Bucket=cos_bucket, Tagging={"TagSet": {"Tag": [{"Key": "k", "Value": "v"}]}}
    )
    meta = cos_client.get_bucket_meta(Bucket=cos_bucket)
    assert meta["Location"] == cos_server.region
    assert meta["Tagging"]["TagSet"]["Tag"][0]["Key"] == "k"
    assert meta["ACL"] is not None
    assert meta["CORS"] is None
    assert meta["OFS"] is False


# --- copy in place ----------------------------------------------------------------------------


def test_change_object_storage_class_and_update_object_meta(
    cos_client: CosS3Client, cos_bucket: str
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="o.txt", Body=b"x", ContentType="text/plain")
    cos_client.change_object_storage_class(
        Bucket=cos_bucket, Key="o.txt", StorageClass="STANDARD_IA"
    )
    head = cos_client.head_object(Bucket=cos_bucket, Key="o.txt")
    assert head["x-cos-storage-class"] == "STANDARD_IA"
    cos_client.update_object_meta(
        Bucket=cos_bucket, Key="o.txt", ContentType="text/html", Metadata={"x-cos-meta-a": "1"}
    )
    head = cos_client.head_object(Bucket=cos_bucket, Key="o.txt")
    assert head["Content-Type"] == "text/html"
    assert head["x-cos-meta-a"] == "1"
    # the official SDK's copy in place does not keep the storage class (ours does)
    assert head.get("x-cos-storage-class", "STANDARD") == "STANDARD"
