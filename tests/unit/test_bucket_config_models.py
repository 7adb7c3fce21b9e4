"""Unit tests for the bucket-configuration models (cos_async._bucket_config): every whole
document round-trips model -> XML bytes -> model, the XML has COS's element layout, and every
documented constraint is refused with an InvalidArgument naming the class, the field and the bad
value. Pure: no sockets."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, Union

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cos_async._bucket_config as bucket_config
from cos_async import (
    AbortIncompleteMultipartUpload,
    BucketLoggingStatus,
    ConfigModel,
    CorsConfiguration,
    CorsRule,
    DomainConfiguration,
    DomainRule,
    EncryptionConfiguration,
    IndexDocument,
    IntelligentTieringConfiguration,
    InvalidArgument,
    InventoryConfiguration,
    InventoryDestination,
    LifecycleConfiguration,
    LifecycleExpiration,
    LifecycleFilter,
    LifecycleRule,
    LifecycleTransition,
    LoggingEnabled,
    NoncurrentVersionExpiration,
    NoncurrentVersionTransition,
    ObjectLockConfiguration,
    RedirectAllRequestsTo,
    RefererConfiguration,
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationRule,
    RoutingCondition,
    RoutingRedirect,
    RoutingRule,
    Tag,
    Tagging,
    VersioningConfiguration,
    WebsiteConfiguration,
)
from cos_async._bucket_config import from_xml, to_xml
from cos_async._xml import XMLError, build, parse

OWNER = "qcs::cam::uin/100000000001:uin/100000000001"
DEST = "qcs::cos:ap-beijing::dest-1250000000"
ALL_INVENTORY_FIELDS = (
    "Size",
    "LastModifiedDate",
    "ETag",
    "StorageClass",
    "IsMultipartUploaded",
    "ReplicationStatus",
)

# --- fully populated and minimal instances of every whole-document model -----------------------
# "Fully populated": every field of every nested model set somewhere in the document (fields that
# exclude each other are set in different items), every repeated field with more than one item,
# every bool true somewhere. test_full_instances_set_every_field checks that claim.

FULL_TAGGING = Tagging(
    tags=[
        Tag(key="env", value="prod"),
        Tag(key="team name", value="storage+infra:eu/west@a=b_c.d-e"),
        Tag(key="empty", value=""),
    ]
)

FULL_CORS = CorsConfiguration(
    rules=[
        CorsRule(
            id="web",
            allowed_origins=["https://app.example.com", "https://*.example.org"],
            allowed_methods=["GET", "PUT", "POST", "DELETE", "HEAD"],
            allowed_headers=["content-type", "x-cos-meta-*"],
            expose_headers=["ETag", "x-cos-request-id"],
            max_age_seconds=600,
        ),
        CorsRule(
            id="any",
            allowed_origins=["*", "http://localhost:8080"],
            allowed_methods=["GET", "HEAD"],
            allowed_headers=["*", "range"],
            expose_headers=["Content-Length", "x-cos-version-id"],
            max_age_seconds=0,
        ),
    ]
)

FULL_LIFECYCLE = LifecycleConfiguration(
    rules=[
        LifecycleRule(
            id="logs",
            filter=LifecycleFilter(
                prefix="logs/", tags=[Tag(key="kind", value="log"), Tag(key="tier", value="cold")]
            ),
            status="Enabled",
            transitions=[
                LifecycleTransition(days=30, storage_class="STANDARD_IA"),
                LifecycleTransition(date="2030-01-01T00:00:00+08:00", storage_class="ARCHIVE"),
            ],
            noncurrent_version_transitions=[
                NoncurrentVersionTransition(noncurrent_days=10, storage_class="STANDARD_IA"),
                NoncurrentVersionTransition(noncurrent_days=60, storage_class="DEEP_ARCHIVE"),
            ],
            noncurrent_version_expiration=NoncurrentVersionExpiration(noncurrent_days=90),
            expiration=LifecycleExpiration(days=365),
            abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(
                days_after_initiation=7
            ),
        ),
        LifecycleRule(
            id="tmp",
            filter=LifecycleFilter(prefix="tmp/"),
            status="Disabled",
            expiration=LifecycleExpiration(date="2031-06-30T00:00:00+08:00"),
        ),
        LifecycleRule(
            id="markers", expiration=LifecycleExpiration(expired_object_delete_marker=True)
        ),
    ]
)

FULL_VERSIONING = VersioningConfiguration(status="Enabled")

FULL_REPLICATION = ReplicationConfiguration(
    role=OWNER,
    rules=[
        ReplicationRule(
            id="to-beijing",
            status="Enabled",
            prefix="images/",
            destination=ReplicationDestination(bucket=DEST, storage_class="STANDARD_IA"),
        ),
        ReplicationRule(
            id="to-shanghai",
            status="Disabled",
            prefix="docs/",
            destination=ReplicationDestination(
                bucket="qcs::cos:ap-shanghai::backup-1250000000", storage_class="ARCHIVE"
            ),
        ),
    ],
)

FULL_WEBSITE = WebsiteConfiguration(
    index_document=IndexDocument(suffix="index.html"),
    redirect_all_requests_to=RedirectAllRequestsTo(protocol="https"),
    error_document="errors/404.html",
    routing_rules=[
        RoutingRule(
            condition=RoutingCondition(
                http_error_code_returned_equals=404, key_prefix_equals="old/"
            ),
            redirect=RoutingRedirect(
                protocol="https", http_redirect_code=301, replace_key_prefix_with="new/"
            ),
        ),
        RoutingRule(
            condition=RoutingCondition(key_prefix_equals="gone"),
            redirect=RoutingRedirect(
                protocol="http", http_redirect_code=302, replace_key_with="moved.html"
            ),
        ),
    ],
)

FULL_INVENTORY = InventoryConfiguration(
    id="daily-report_1.0",
    is_enabled=True,
    destination=InventoryDestination(
        bucket="qcs::cos:ap-guangzhou::inventory-1250000000",
        format="CSV",
        account_id="100000000001",
        prefix="reports/",
        sse_cos=True,
    ),
    frequency="Weekly",
    prefix="data/",
    included_object_versions="All",
    optional_fields=ALL_INVENTORY_FIELDS,
)

FULL_LOGGING = BucketLoggingStatus(
    logging_enabled=LoggingEnabled(target_bucket="logs-1250000000", target_prefix="access/")
)

FULL_REFERER = RefererConfiguration(
    status="Enabled",
    referer_type="Black-List",
    domains=["*.example.com", "evil.example.org"],
    empty_refer_configuration="Deny",
)

FULL_DOMAIN = DomainConfiguration(
    rules=[
        DomainRule(
            name="www.example.com", status="ENABLED", type="REST", forced_replacement="CNAME"
        ),
        DomainRule(
            name="static.example.org", status="DISABLED", type="WEBSITE", forced_replacement="TXT"
        ),
    ]
)

FULL_ENCRYPTION = EncryptionConfiguration(sse_algorithm="KMS", kms_master_key_id="kms-key-0123")

FULL_TIERING = IntelligentTieringConfiguration(status="Suspended", days=60, request_frequent=1)

FULL_OBJECT_LOCK = ObjectLockConfiguration(object_lock_enabled="Enabled", retention_days=36500)

#: one fully populated instance of each whole-document model
FULL: tuple[ConfigModel, ...] = (
    FULL_TAGGING,
    FULL_CORS,
    FULL_LIFECYCLE,
    FULL_VERSIONING,
    FULL_REPLICATION,
    FULL_WEBSITE,
    FULL_INVENTORY,
    FULL_LOGGING,
    FULL_REFERER,
    FULL_DOMAIN,
    FULL_ENCRYPTION,
    FULL_TIERING,
    FULL_OBJECT_LOCK,
)

#: the smallest valid instance of each whole-document model (defaults everywhere else)
MINIMAL: tuple[ConfigModel, ...] = (
    Tagging(),
    CorsConfiguration(rules=[CorsRule(allowed_origins=["*"], allowed_methods=["GET"])]),
    LifecycleConfiguration(
        rules=[
            LifecycleRule(
                abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(
                    days_after_initiation=1
                )
            )
        ]
    ),
    VersioningConfiguration(),
    ReplicationConfiguration(
        role=OWNER, rules=[ReplicationRule(destination=ReplicationDestination(bucket=DEST))]
    ),
    WebsiteConfiguration(index_document=IndexDocument(suffix="index.html")),
    InventoryConfiguration(id="a", destination=InventoryDestination(bucket=DEST)),
    BucketLoggingStatus(),
    RefererConfiguration(status="Disabled"),
    DomainConfiguration(rules=[DomainRule(name="a.example.com")]),
    EncryptionConfiguration(),
    IntelligentTieringConfiguration(),
    ObjectLockConfiguration(),
)

#: instances whose values differ from both of the above (false bools, other literals, "" texts)
VARIANTS: tuple[ConfigModel, ...] = (
    InventoryConfiguration(
        id="x" * 64,
        is_enabled=False,
        destination=InventoryDestination(bucket=DEST, prefix=""),
        prefix="",
        included_object_versions="Current",
        optional_fields=["Size"],
    ),
    LifecycleConfiguration(
        rules=[
            LifecycleRule(
                id="r" * 255,
                filter=LifecycleFilter(),
                expiration=LifecycleExpiration(expired_object_delete_marker=False),
            )
        ]
    ),
    WebsiteConfiguration(
        redirect_all_requests_to=RedirectAllRequestsTo(protocol="http"), error_document=""
    ),
    EncryptionConfiguration(sse_algorithm="SM4"),
    EncryptionConfiguration(sse_algorithm="KMS"),
    VersioningConfiguration(status="Suspended"),
    RefererConfiguration(
        status="Enabled", domains=["example.com"], empty_refer_configuration="Allow"
    ),
    BucketLoggingStatus(logging_enabled=LoggingEnabled(target_bucket="l-1")),
    CorsConfiguration(
        rules=[
            CorsRule(allowed_origins=[" padded ", "tab\tnew\nline\r\n"], allowed_methods=["PUT"])
        ]
    ),
    Tagging(tags=[Tag(key=" k ", value=" "), Tag(key="@:/=+-._", value="a" * 256)]),
    ObjectLockConfiguration(retention_days=1),
)


def _ids(models: tuple[ConfigModel, ...], prefix: str = "") -> list[str]:
    return [f"{prefix}{type(m).__name__}" for m in models]


def xml_bytes(model: ConfigModel) -> bytes:
    """The request body the client sends for ``model`` (what _put_config does)."""
    ((root, doc),) = to_xml(model).items()
    return build(root, doc)


def read(cls: type[ConfigModel], data: bytes) -> Any:
    """The model of a document the way the client reads a reply (``_Reply.xml`` then
    ``from_xml``)."""
    doc = parse(data)
    assert list(doc) == [cls.xml_root]
    value = doc[cls.xml_root]
    return from_xml(cls, value if isinstance(value, dict) else {})


def round_trip(model: ConfigModel) -> Any:
    return read(type(model), xml_bytes(model))


# --- introspection of the models (to check "fully populated" and coverage) --------------------


def _hints(cls: type[ConfigModel]) -> dict[str, Any]:
    """The resolved type of each attrs field of a model."""
    hints = typing.get_type_hints(cls, globalns=vars(bucket_config))
    return {f.name: hints[f.name] for f in attrs.fields(cls) if "xml" in f.metadata}


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """The type inside ``X | None`` and ``tuple[X, ...]``; and whether it is a tuple."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        (tp,) = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is tuple:
        return typing.get_args(tp)[0], True
    return tp, False


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, ConfigModel)


def _reachable(cls: type[ConfigModel]) -> set[type[ConfigModel]]:
    found = {cls}
    for tp in _hints(cls).values():
        inner, _ = _unwrap(tp)
        if _is_model(inner):
            found |= _reachable(inner)
    return found


def _walk(model: ConfigModel) -> Iterator[tuple[type[ConfigModel], str, Any]]:
    for f in attrs.fields(type(model)):
        value = getattr(model, f.name)
        yield type(model), f.name, value
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, ConfigModel):
                yield from _walk(item)


def _whole_document_models() -> set[type[ConfigModel]]:
    classes = (getattr(bucket_config, n) for n in bucket_config.__all__)
    return {c for c in classes if _is_model(c) and c.xml_root}


def test_every_whole_document_model_is_covered() -> None:
    expected = _whole_document_models()
    assert len(expected) == 13
    assert {type(m) for m in FULL} == expected
    assert {type(m) for m in MINIMAL} == expected
    assert len(FULL) == len(MINIMAL) == len(expected)


@pytest.mark.parametrize("model", FULL, ids=_ids(FULL))
def test_full_instances_set_every_field(model: ConfigModel) -> None:
    values: dict[tuple[type[ConfigModel], str], list[Any]] = {}
    for cls, name, value in _walk(model):
        values.setdefault((cls, name), []).append(value)
    for cls in _reachable(type(model)):
        for name, tp in _hints(cls).items():
            seen = values.get((cls, name))
            assert seen, f"{cls.__name__}.{name}: no instance of {cls.__name__} in the document"
            assert any(v is not None and v != "" and v is not False and v != () for v in seen), (
                f"{cls.__name__}.{name} is never set: {seen!r}"
            )
            if _unwrap(tp)[1]:
                assert max(len(v) for v in seen) >= 2, f"{cls.__name__}.{name} has < 2 items"


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    FULL + MINIMAL + VARIANTS,
    ids=_ids(FULL, "full-") + _ids(MINIMAL, "minimal-") + _ids(VARIANTS, "variant-"),
)
def test_round_trip_through_xml_bytes(model: ConfigModel) -> None:
    data = xml_bytes(model)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert f"<{type(model).xml_root}".encode() in data
    back = round_trip(model)
    assert type(back) is type(model)
    assert back == model
    # and the text is stable: rendering the parsed model again gives the same bytes
    assert xml_bytes(back) == data


MINIMAL_BODIES = [
    b"<Tagging></Tagging>",
    b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
    b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    b"<LifecycleConfiguration><Rule><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
    b"<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
    b"</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>",
    b"<VersioningConfiguration></VersioningConfiguration>",
    b"<ReplicationConfiguration><Role>" + OWNER.encode() + b"</Role><Rule><Status>Enabled</Status>"
    b"<Prefix></Prefix><Destination><Bucket>" + DEST.encode() + b"</Bucket></Destination></Rule>"
    b"</ReplicationConfiguration>",
    b"<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>"
    b"</WebsiteConfiguration>",
    b"<InventoryConfiguration><Id>a</Id><IsEnabled>true</IsEnabled><Destination>"
    b"<COSBucketDestination><Bucket>" + DEST.encode() + b"</Bucket><Format>CSV</Format>"
    b"</COSBucketDestination></Destination><Schedule><Frequency>Daily</Frequency></Schedule>"
    b"<IncludedObjectVersions>Current</IncludedObjectVersions></InventoryConfiguration>",
    b"<BucketLoggingStatus></BucketLoggingStatus>",
    b"<RefererConfiguration><Status>Disabled</Status><RefererType>White-List</RefererType>"
    b"</RefererConfiguration>",
    b"<DomainConfiguration><DomainRule><Name>a.example.com</Name><Status>ENABLED</Status>"
    b"<Type>REST</Type></DomainRule></DomainConfiguration>",
    b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
    b"<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
    b"</ServerSideEncryptionConfiguration>",
    b"<IntelligentTieringConfiguration><Status>Enabled</Status><Transition><Days>30</Days>"
    b"<RequestFrequent>1</RequestFrequent></Transition></IntelligentTieringConfiguration>",
    b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
    b"</ObjectLockConfiguration>",
]


@pytest.mark.parametrize(
    ("model", "body"), list(zip(MINIMAL, MINIMAL_BODIES, strict=True)), ids=_ids(MINIMAL)
)
def test_minimal_documents(model: ConfigModel, body: bytes) -> None:
    """Unset (None) fields and empty repeated fields are not written; defaults are."""
    assert xml_bytes(model) == b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def test_empty_documents() -> None:
    assert xml_bytes(Tagging()).endswith(b"<Tagging></Tagging>")
    assert xml_bytes(VersioningConfiguration()).endswith(
        b"<VersioningConfiguration></VersioningConfiguration>"
    )
    assert xml_bytes(BucketLoggingStatus()).endswith(b"<BucketLoggingStatus></BucketLoggingStatus>")
    # a reply with a self-closing root reads back as the empty model
    assert read(Tagging, b"<Tagging/>") == Tagging()
    assert read(VersioningConfiguration, b"<VersioningConfiguration/>").status is None


def _at(doc: Any, path: str) -> Any:
    """The parsed value at ``a/b/0/c`` (digits index lists)."""
    for part in path.split("/"):
        doc = doc[int(part)] if part.isdigit() else doc[part]
    return doc


@pytest.mark.parametrize(
    ("model", "path", "expected"),
    [
        (FULL_TAGGING, "Tagging/TagSet/Tag/1/Key", "team name"),
        (FULL_TAGGING, "Tagging/TagSet/Tag/0/Value", "prod"),
        (
            FULL_CORS,
            "CORSConfiguration/CORSRule/0/AllowedMethod",
            ["GET", "PUT", "POST", "DELETE", "HEAD"],
        ),
        (FULL_CORS, "CORSConfiguration/CORSRule/1/MaxAgeSeconds", "0"),
        # a prefix and tags together sit in <And>, as COS requires
        (FULL_LIFECYCLE, "LifecycleConfiguration/Rule/0/Filter/And/Prefix", "logs/"),
        (FULL_LIFECYCLE, "LifecycleConfiguration/Rule/0/Filter/And/Tag/1/Key", "tier"),
        (FULL_LIFECYCLE, "LifecycleConfiguration/Rule/0/Transition/1/StorageClass", "ARCHIVE"),
        (
            FULL_LIFECYCLE,
            "LifecycleConfiguration/Rule/0/AbortIncompleteMultipartUpload/DaysAfterInitiation",
            "7",
        ),
        (
            FULL_LIFECYCLE,
            "LifecycleConfiguration/Rule/2/Expiration/ExpiredObjectDeleteMarker",
            "true",
        ),
        (FULL_LIFECYCLE, "LifecycleConfiguration/Rule/1/Status", "Disabled"),
        (FULL_VERSIONING, "VersioningConfiguration/Status", "Enabled"),
        (FULL_REPLICATION, "ReplicationConfiguration/Role", OWNER),
        (FULL_REPLICATION, "ReplicationConfiguration/Rule/0/Destination/Bucket", DEST),
        (FULL_WEBSITE, "WebsiteConfiguration/IndexDocument/Suffix", "index.html"),
        (FULL_WEBSITE, "WebsiteConfiguration/ErrorDocument/Key", "errors/404.html"),
        (
            FULL_WEBSITE,
            "WebsiteConfiguration/RoutingRules/RoutingRule/0/Condition/HttpErrorCodeReturnedEquals",
            "404",
        ),
        (
            FULL_WEBSITE,
            "WebsiteConfiguration/RoutingRules/RoutingRule/1/Redirect/ReplaceKeyWith",
            "moved.html",
        ),
        (FULL_INVENTORY, "InventoryConfiguration/Id", "daily-report_1.0"),
        (FULL_INVENTORY, "InventoryConfiguration/IsEnabled", "true"),
        (
            FULL_INVENTORY,
            "InventoryConfiguration/Destination/COSBucketDestination/Encryption/SSE-COS",
            None,
        ),
        (FULL_INVENTORY, "InventoryConfiguration/Schedule/Frequency", "Weekly"),
        (FULL_INVENTORY, "InventoryConfiguration/Filter/Prefix", "data/"),
        (FULL_INVENTORY, "InventoryConfiguration/OptionalFields/Field", list(ALL_INVENTORY_FIELDS)),
        (
            FULL_LOGGING,
            "BucketLoggingStatus/LoggingEnabled/TargetBucket",
            "logs-1250000000",
        ),
        (
            FULL_REFERER,
            "RefererConfiguration/DomainList/Domain",
            ["*.example.com", "evil.example.org"],
        ),
        (FULL_REFERER, "RefererConfiguration/EmptyReferConfiguration", "Deny"),
        (FULL_DOMAIN, "DomainConfiguration/DomainRule/1/ForcedReplacement", "TXT"),
        (
            FULL_ENCRYPTION,
            "ServerSideEncryptionConfiguration/Rule/0/ApplyServerSideEncryptionByDefault/KMSMasterKeyID",
            "kms-key-0123",
        ),
        (FULL_TIERING, "IntelligentTieringConfiguration/Transition/0/Days", "60"),
        (FULL_TIERING, "IntelligentTieringConfiguration/Transition/0/RequestFrequent", "1"),
        (FULL_OBJECT_LOCK, "ObjectLockConfiguration/Rule/0/DefaultRetention/Days", "36500"),
    ],
)
def test_cos_element_layout(model: ConfigModel, path: str, expected: Any) -> None:
    """The XML has the element names and nesting of the COS API documents (a round trip alone
    would not notice a symmetric misnaming)."""
    assert _at(parse(xml_bytes(model)), path) == expected


def test_flag_false_is_omitted() -> None:
    doc = parse(xml_bytes(VARIANTS[0]))["InventoryConfiguration"]
    assert "Encryption" not in doc["Destination"]["COSBucketDestination"]
    assert doc["IsEnabled"] == "false"


# documents written like COS's (and the local server's) own examples, with whitespace and a
# namespace, read into the expected models
COS_DOCUMENTS: list[tuple[bytes, ConfigModel]] = [
    (
        b"""<?xml version="1.0" encoding="UTF-8"?>
<Tagging xmlns="http://www.qcloud.com/document/product/436/7751">
  <TagSet>
    <Tag><Key>env</Key><Value>prod</Value></Tag>
  </TagSet>
</Tagging>""",
        Tagging(tags=[Tag(key="env", value="prod")]),
    ),
    (
        b"<CORSConfiguration><CORSRule><ID>r1</ID>"
        b"<AllowedOrigin>https://*.example.com</AllowedOrigin>"
        b"<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
        b"<AllowedHeader>x-cos-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
        b"<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        CorsConfiguration(
            rules=[
                CorsRule(
                    id="r1",
                    allowed_origins=["https://*.example.com"],
                    allowed_methods=["PUT", "GET"],
                    allowed_headers=["x-cos-*"],
                    expose_headers=["ETag"],
                    max_age_seconds=600,
                )
            ]
        ),
    ),
    (
        b"""<LifecycleConfiguration>
  <Rule>
    <ID>r1</ID>
    <Filter><Prefix>logs/</Prefix></Filter>
    <Status>Enabled</Status>
    <Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>
    <Expiration><Days>365</Days></Expiration>
  </Rule>
</LifecycleConfiguration>""",
        LifecycleConfiguration(
            rules=[
                LifecycleRule(
                    id="r1",
                    filter=LifecycleFilter(prefix="logs/"),
                    transitions=[LifecycleTransition(days=30, storage_class="STANDARD_IA")],
                    expiration=LifecycleExpiration(days=365),
                )
            ]
        ),
    ),
    (
        # COS's own example of a rule filtered by a prefix and a tag (003, Go SDK lifecycle)
        b"<LifecycleConfiguration><Rule><ID>r</ID><Filter><And><Prefix>logs/</Prefix>"
        b"<Tag><Key>type</Key><Value>image</Value></Tag></And></Filter>"
        b"<Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>"
        b"</LifecycleConfiguration>",
        LifecycleConfiguration(
            rules=[
                LifecycleRule(
                    id="r",
                    filter=LifecycleFilter(prefix="logs/", tags=[Tag(key="type", value="image")]),
                    expiration=LifecycleExpiration(days=30),
                )
            ]
        ),
    ),
    (
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
        b"<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
        b"</ServerSideEncryptionConfiguration>",
        EncryptionConfiguration(sse_algorithm="AES256"),
    ),
    (
        b"<InventoryConfiguration><Id>list1</Id><IsEnabled>true</IsEnabled><Destination>"
        b"<COSBucketDestination><Format>CSV</Format><AccountId>100000000001</AccountId>"
        b"<Bucket>qcs::cos:ap-guangzhou::dest-1250000000</Bucket><Prefix>inv</Prefix>"
        b"<Encryption><SSE-COS></SSE-COS></Encryption>"
        b"</COSBucketDestination></Destination><Schedule><Frequency>Daily</Frequency></Schedule>"
        b"<Filter><Prefix>a/</Prefix></Filter><IncludedObjectVersions>All</IncludedObjectVersions>"
        b"<OptionalFields><Field>Size</Field><Field>ETag</Field></OptionalFields>"
        b"</InventoryConfiguration>",
        InventoryConfiguration(
            id="list1",
            destination=InventoryDestination(
                bucket="qcs::cos:ap-guangzhou::dest-1250000000",
                account_id="100000000001",
                prefix="inv",
                sse_cos=True,
            ),
            prefix="a/",
            included_object_versions="All",
            optional_fields=["Size", "ETag"],
        ),
    ),
    (
        b"<RefererConfiguration><Status>Enabled</Status><RefererType>White-List</RefererType>"
        b"<DomainList><Domain>*.example.com</Domain></DomainList>"
        b"<EmptyReferConfiguration>Allow</EmptyReferConfiguration></RefererConfiguration>",
        RefererConfiguration(domains=["*.example.com"], empty_refer_configuration="Allow"),
    ),
    (
        b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
        b"<DefaultRetention><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
        ObjectLockConfiguration(retention_days=1),
    ),
]


@pytest.mark.parametrize(("data", "expected"), COS_DOCUMENTS, ids=lambda v: type(v).__name__)
def test_reads_cos_documents(data: bytes, expected: ConfigModel) -> None:
    assert read(type(expected), data) == expected


def test_lists_are_converted_to_tuples() -> None:
    rule = CorsRule(allowed_origins=["a", "b"], allowed_methods=("GET",))
    assert rule.allowed_origins == ("a", "b")
    assert rule == CorsRule(allowed_origins=("a", "b"), allowed_methods=["GET"])
    assert isinstance(FULL_TAGGING.tags, tuple)


def test_tagging_mapping_helpers() -> None:
    tagging = Tagging.of({"env": "prod", "team": "storage"})
    assert tagging.tags == (Tag(key="env", value="prod"), Tag(key="team", value="storage"))
    assert tagging.as_dict() == {"env": "prod", "team": "storage"}
    assert FULL_TAGGING.as_dict() == {
        "env": "prod",
        "team name": "storage+infra:eu/west@a=b_c.d-e",
        "empty": "",
    }


def test_to_xml_refuses_nested_models() -> None:
    with pytest.raises(TypeError, match="Tag is not a whole configuration document"):
        to_xml(Tag(key="k"))


def test_models_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        FULL_TAGGING.tags = ()  # type: ignore[misc]


# --- hypothesis round trips -------------------------------------------------------------------

_TAG_CHARS = "ABCXYZabcxyz0189 +-=._:/@"
#: characters any XML 1.0 document can carry (the models refuse the others)
_XML_TEXT = st.text(
    st.characters(codec="utf-8").filter(  # utf-8: no surrogates
        lambda c: not re.match("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", c)
    ),
    max_size=40,
)

tags = st.builds(
    Tag,
    key=st.text(_TAG_CHARS, min_size=1, max_size=128),
    value=st.text(_TAG_CHARS, max_size=256),
)
taggings = st.builds(Tagging, tags=st.lists(tags, max_size=50, unique_by=lambda t: t.key))


@given(taggings)
def test_tagging_round_trip(tagging: Tagging) -> None:
    assert round_trip(tagging) == tagging


_dates = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=8))]),
).map(lambda d: d.replace(microsecond=0).isoformat())
_storage_classes = st.sampled_from(
    ["STANDARD", "STANDARD_IA", "ARCHIVE", "DEEP_ARCHIVE", "INTELLIGENT_TIERING", "MAZ_STANDARD"]
)
_expirations = st.one_of(
    st.builds(LifecycleExpiration, days=st.integers(1, 10**6)),
    st.builds(LifecycleExpiration, date=_dates),
    st.builds(LifecycleExpiration, expired_object_delete_marker=st.booleans()),
)
_transitions = st.one_of(
    st.builds(LifecycleTransition, days=st.integers(0, 10**6), storage_class=_storage_classes),
    st.builds(LifecycleTransition, date=_dates, storage_class=_storage_classes),
)


@st.composite
def lifecycle_rules(draw: st.DrawFn) -> LifecycleRule:
    actions: dict[str, Any] = {
        "transitions": draw(st.lists(_transitions, max_size=3)),
        "noncurrent_version_transitions": draw(
            st.lists(
                st.builds(
                    NoncurrentVersionTransition,
                    noncurrent_days=st.integers(0, 10**5),
                    storage_class=_storage_classes,
                ),
                max_size=2,
            )
        ),
        "noncurrent_version_expiration": draw(
            st.none() | st.builds(NoncurrentVersionExpiration, noncurrent_days=st.integers(1, 999))
        ),
        "expiration": draw(st.none() | _expirations),
        "abort_incomplete_multipart_upload": draw(
            st.none()
            | st.builds(AbortIncompleteMultipartUpload, days_after_initiation=st.integers(1, 99))
        ),
    }
    if not any(actions.values()):  # a rule needs an action
        actions["expiration"] = draw(_expirations)
    return LifecycleRule(
        id=draw(st.none() | st.text(_TAG_CHARS, min_size=1, max_size=30)),
        filter=LifecycleFilter(
            prefix=draw(st.none() | _XML_TEXT),
            tags=draw(st.lists(tags, max_size=3, unique_by=lambda t: t.key)),
        ),
        status=draw(st.sampled_from(["Enabled", "Disabled"])),
        **actions,
    )


lifecycles = st.builds(
    LifecycleConfiguration,
    rules=st.lists(
        lifecycle_rules(),
        min_size=1,
        max_size=4,
        unique_by=lambda r: r.id if r.id is not None else object(),
    ),
)


@given(lifecycles)
def test_lifecycle_round_trip(config: LifecycleConfiguration) -> None:
    assert round_trip(config) == config


cors_rules = st.builds(
    CorsRule,
    id=st.none() | _XML_TEXT,
    allowed_origins=st.lists(_XML_TEXT, min_size=1, max_size=3),
    allowed_methods=st.lists(
        st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]), min_size=1, max_size=5
    ),
    allowed_headers=st.lists(_XML_TEXT, max_size=3),
    expose_headers=st.lists(_XML_TEXT, max_size=3),
    max_age_seconds=st.none() | st.integers(0, 10**9),
)


@given(
    st.lists(
        cors_rules,
        min_size=1,
        max_size=3,
        unique_by=lambda r: r.id if r.id is not None else object(),
    )
)
def test_cors_round_trip_any_text(rules: list[CorsRule]) -> None:
    """Free-text fields keep any text XML can carry: whitespace, CR, markup characters."""
    config = CorsConfiguration(rules=rules)
    assert round_trip(config) == config


# --- validation -------------------------------------------------------------------------------

INV_DEST = InventoryDestination(bucket=DEST)
ANY_RULE = CorsRule(allowed_origins=["*"], allowed_methods=["GET"])
EXPIRE = LifecycleExpiration(days=1)
LONG_KEY = "k" * 129
LONG_VALUE = "v" * 257
LONG_ID = "i" * 65

#: (what builds a bad model, substrings its InvalidArgument message must hold)
BAD_MODELS: list[Any] = [
    # tags
    pytest.param(lambda: Tag(key=LONG_KEY), ["Tag.key", repr(LONG_KEY)], id="tag-key-129"),
    pytest.param(lambda: Tag(key=""), ["Tag.key", "''"], id="tag-key-empty"),
    pytest.param(
        lambda: Tag(key="k", value=LONG_VALUE), ["Tag.value", repr(LONG_VALUE)], id="tag-value-257"
    ),
    pytest.param(lambda: Tag(key="a#b"), ["Tag.key", "'a#b'"], id="tag-key-char"),
    pytest.param(lambda: Tag(key="k", value="v!"), ["Tag.value", "'v!'"], id="tag-value-char"),
    pytest.param(
        lambda: Tagging(tags=[Tag(key=f"k{i}") for i in range(51)]),
        ["Tagging.tags", "at most 50", "got 51"],
        id="tags-51",
    ),
    pytest.param(
        lambda: Tagging(tags=[Tag(key="env", value="a"), Tag(key="env", value="b")]),
        ["Tagging.tags", "duplicate", "'env'"],
        id="tags-duplicate-key",
    ),
    # CORS
    pytest.param(
        lambda: CorsRule(allowed_origins=["*"], allowed_methods=["GET", "PATCH"]),
        ["CorsRule.allowed_methods", "'PATCH'"],
        id="cors-method",
    ),
    pytest.param(
        lambda: CorsRule(allowed_origins=["*"], allowed_methods=["get"]),
        ["CorsRule.allowed_methods", "'get'"],
        id="cors-method-lowercase",
    ),
    pytest.param(
        lambda: CorsRule(allowed_origins=[], allowed_methods=["GET"]),
        ["CorsRule.allowed_origins", "must not be empty"],
        id="cors-no-origins",
    ),
    pytest.param(
        lambda: CorsRule(allowed_origins=["*"], allowed_methods=[]),
        ["CorsRule.allowed_methods", "must not be empty"],
        id="cors-no-methods",
    ),
    pytest.param(
        lambda: CorsRule(allowed_origins=["*"], allowed_methods=["GET"], max_age_seconds=-1),
        ["CorsRule.max_age_seconds", "-1"],
        id="cors-max-age",
    ),
    pytest.param(
        lambda: CorsConfiguration(rules=[]), ["CorsConfiguration.rules", "empty"], id="cors-none"
    ),
    pytest.param(
        lambda: CorsConfiguration(rules=[ANY_RULE] * 101),
        ["CorsConfiguration.rules", "at most 100", "got 101"],
        id="cors-101",
    ),
    pytest.param(
        lambda: CorsConfiguration(
            rules=[attrs.evolve(ANY_RULE, id="r"), attrs.evolve(ANY_RULE, id="r")]
        ),
        ["CorsConfiguration.rules", "duplicate", "'r'"],
        id="cors-duplicate-id",
    ),
    # lifecycle
    pytest.param(
        lambda: LifecycleExpiration(days=30, date="2030-01-01T00:00:00+08:00"),
        ["LifecycleExpiration", "exactly one", "'days', 'date'"],
        id="expiration-days-and-date",
    ),
    pytest.param(
        lambda: LifecycleExpiration(), ["LifecycleExpiration", "got none"], id="expiration-empty"
    ),
    pytest.param(
        lambda: LifecycleTransition(storage_class="ARCHIVE"),
        ["LifecycleTransition", "days=None, date=None"],
        id="transition-neither",
    ),
    pytest.param(
        lambda: LifecycleTransition(days=1, date="2030-01-01", storage_class="ARCHIVE"),
        ["LifecycleTransition", "days=1, date='2030-01-01'"],
        id="transition-both",
    ),
    pytest.param(
        lambda: LifecycleRule(id="r1"),
        ["LifecycleRule r1", "at least one action"],
        id="rule-no-action",
    ),
    pytest.param(
        lambda: LifecycleConfiguration(rules=[LifecycleRule(id="r1", expiration=EXPIRE)] * 2),
        ["LifecycleConfiguration.rules", "duplicate rule ID", "'r1'"],
        id="rule-duplicate-id",
    ),
    pytest.param(
        lambda: LifecycleConfiguration(rules=[]),
        ["LifecycleConfiguration.rules", "empty"],
        id="lifecycle-no-rules",
    ),
    pytest.param(
        lambda: LifecycleExpiration(days=0),
        ["LifecycleExpiration.days", "got 0"],
        id="expiration-days-0",
    ),
    pytest.param(
        lambda: LifecycleTransition(days=-1, storage_class="ARCHIVE"),
        ["LifecycleTransition.days", "got -1"],
        id="transition-days-negative",
    ),
    pytest.param(
        lambda: LifecycleTransition(days=30, storage_class="COLD"),
        ["LifecycleTransition.storage_class", "'COLD'"],
        id="transition-storage-class",
    ),
    pytest.param(
        lambda: NoncurrentVersionTransition(noncurrent_days=1, storage_class="GLACIER"),
        ["NoncurrentVersionTransition.storage_class", "'GLACIER'"],
        id="noncurrent-storage-class",
    ),
    pytest.param(
        lambda: NoncurrentVersionExpiration(noncurrent_days=0),
        ["NoncurrentVersionExpiration.noncurrent_days", "got 0"],
        id="noncurrent-expiration-0",
    ),
    pytest.param(
        lambda: AbortIncompleteMultipartUpload(days_after_initiation=0),
        ["AbortIncompleteMultipartUpload.days_after_initiation", "got 0"],
        id="abort-0",
    ),
    pytest.param(
        lambda: LifecycleExpiration(date="next tuesday"),
        ["LifecycleExpiration.date", "'next tuesday'"],
        id="expiration-bad-date",
    ),
    pytest.param(
        lambda: LifecycleRule(id="", expiration=EXPIRE),
        ["LifecycleRule.id", "''"],
        id="rule-id-empty",
    ),
    # replication
    pytest.param(
        lambda: ReplicationConfiguration(
            role="qcs::cam::uin/1:sub/2",
            rules=[ReplicationRule(destination=ReplicationDestination(bucket=DEST))],
        ),
        ["ReplicationConfiguration.role", "'qcs::cam::uin/1:sub/2'"],
        id="replication-role",
    ),
    pytest.param(
        lambda: ReplicationDestination(bucket="qcs::cos:ap-beijing:dest-1250000000"),
        ["ReplicationDestination.bucket", "'qcs::cos:ap-beijing:dest-1250000000'"],
        id="replication-destination",
    ),
    pytest.param(
        lambda: ReplicationDestination(bucket="qcs::cos:ap-beijing::dest"),
        ["ReplicationDestination.bucket", "'qcs::cos:ap-beijing::dest'"],
        id="replication-destination-no-appid",
    ),
    pytest.param(
        lambda: ReplicationConfiguration(role=OWNER, rules=[]),
        ["ReplicationConfiguration.rules", "empty"],
        id="replication-no-rules",
    ),
    # inventory
    pytest.param(
        lambda: InventoryConfiguration(id="daily report", destination=INV_DEST),
        ["InventoryConfiguration.id", "'daily report'"],
        id="inventory-id-char",
    ),
    pytest.param(
        lambda: InventoryConfiguration(id=LONG_ID, destination=INV_DEST),
        ["InventoryConfiguration.id", repr(LONG_ID)],
        id="inventory-id-65",
    ),
    pytest.param(
        lambda: InventoryConfiguration(id="a", destination=INV_DEST, optional_fields=["Owner"]),
        ["InventoryConfiguration.optional_fields", "'Owner'"],
        id="inventory-field",
    ),
    pytest.param(
        lambda: InventoryDestination(bucket=DEST, account_id="uin-1"),
        ["InventoryDestination.account_id", "'uin-1'"],
        id="inventory-account",
    ),
    pytest.param(
        lambda: InventoryDestination(bucket="dest-1250000000"),
        ["InventoryDestination.bucket", "'dest-1250000000'"],
        id="inventory-bucket",
    ),
    # logging, referer, domain, encryption, tiering, object lock
    pytest.param(
        lambda: LoggingEnabled(target_bucket="Logs_Bucket"),
        ["LoggingEnabled.target_bucket", "'Logs_Bucket'"],
        id="logging-target",
    ),
    pytest.param(
        lambda: RefererConfiguration(status="Enabled"),
        ["RefererConfiguration", "at least one domain"],
        id="referer-no-domains",
    ),
    pytest.param(
        lambda: RefererConfiguration(status="Enabled", referer_type="Grey-List", domains=["a"]),  # type: ignore[arg-type]
        ["RefererConfiguration.referer_type", "'Grey-List'"],
        id="referer-type",
    ),
    pytest.param(
        lambda: DomainRule(name="not a domain"),
        ["DomainRule.name", "'not a domain'"],
        id="domain-name",
    ),
    pytest.param(
        lambda: DomainConfiguration(rules=[DomainRule(name="a.example.com")] * 2),
        ["DomainConfiguration.rules", "duplicate", "'a.example.com'"],
        id="domain-duplicate",
    ),
    pytest.param(
        lambda: EncryptionConfiguration(sse_algorithm="AES256", kms_master_key_id="key-1"),
        ["EncryptionConfiguration.kms_master_key_id", "'AES256'"],
        id="encryption-key-without-kms",
    ),
    pytest.param(
        lambda: IntelligentTieringConfiguration(days=45),
        ["IntelligentTieringConfiguration.days", "got 45"],
        id="tiering-days-45",
    ),
    pytest.param(
        lambda: IntelligentTieringConfiguration(request_frequent=2),
        ["IntelligentTieringConfiguration.request_frequent", "got 2"],
        id="tiering-frequency",
    ),
    pytest.param(
        lambda: ObjectLockConfiguration(retention_days=0),
        ["ObjectLockConfiguration.retention_days", "got 0"],
        id="lock-days-0",
    ),
    pytest.param(
        lambda: ObjectLockConfiguration(retention_days=36501),
        ["ObjectLockConfiguration.retention_days", "got 36501"],
        id="lock-days-36501",
    ),
    # website
    pytest.param(
        lambda: WebsiteConfiguration(error_document="404.html"),
        ["WebsiteConfiguration", "index_document", "redirect_all_requests_to"],
        id="website-neither",
    ),
    pytest.param(
        lambda: RoutingRedirect(replace_key_prefix_with="new/", replace_key_with="a.html"),
        ["RoutingRedirect", "replace_key_prefix_with", "replace_key_with", "not both"],
        id="redirect-both-replacements",
    ),
    pytest.param(
        lambda: RoutingCondition(),
        ["RoutingCondition", "http_error_code_returned_equals", "key_prefix_equals"],
        id="condition-empty",
    ),
    pytest.param(
        lambda: RoutingCondition(http_error_code_returned_equals=200),
        ["RoutingCondition.http_error_code_returned_equals", "got 200"],
        id="condition-code",
    ),
    pytest.param(
        lambda: RoutingRedirect(http_redirect_code=200),
        ["RoutingRedirect.http_redirect_code", "got 200"],
        id="redirect-code",
    ),
    pytest.param(
        lambda: IndexDocument(suffix=""), ["IndexDocument.suffix", "empty"], id="index-empty"
    ),
    # wrong types
    pytest.param(lambda: Tag(key=1), ["Tag.key", "a string", "got 1"], id="int-for-str"),  # type: ignore[arg-type]
    pytest.param(
        lambda: CorsRule(allowed_origins="https://a.example.com", allowed_methods=["GET"]),
        ["CorsRule.allowed_origins", "sequence", "'https://a.example.com'"],
        id="str-for-tuple",
    ),
    pytest.param(
        lambda: Tagging(tags="env=prod"),
        ["Tagging.tags", "sequence", "'env=prod'"],
        id="str-for-tuple-of-models",
    ),
    pytest.param(
        lambda: CorsRule(allowed_origins=["*"], allowed_methods=["GET"], max_age_seconds="600"),  # type: ignore[arg-type]
        ["CorsRule.max_age_seconds", "an integer", "'600'"],
        id="str-for-int",
    ),
    pytest.param(
        lambda: CorsRule(allowed_origins=["*"], allowed_methods=["GET"], max_age_seconds=True),
        ["CorsRule.max_age_seconds", "an integer", "True"],
        id="bool-for-int",
    ),
    pytest.param(
        lambda: InventoryConfiguration(id="a", destination=INV_DEST, is_enabled="true"),  # type: ignore[arg-type]
        ["InventoryConfiguration.is_enabled", "True or False", "'true'"],
        id="str-for-bool",
    ),
    pytest.param(
        lambda: CorsConfiguration(rules=[ANY_RULE, {"allowed_origins": ["*"]}]),
        ["CorsConfiguration.rules[1]", "a CorsRule", "{'allowed_origins': ['*']}"],
        id="dict-for-model-item",
    ),
    pytest.param(
        lambda: LifecycleRule(expiration=LifecycleTransition(days=1, storage_class="ARCHIVE")),  # type: ignore[arg-type]
        ["LifecycleRule.expiration", "a LifecycleExpiration", "LifecycleTransition("],
        id="wrong-nested-model",
    ),
    pytest.param(
        lambda: VersioningConfiguration(status="On"),  # type: ignore[arg-type]
        ["VersioningConfiguration.status", "'Enabled', 'Suspended'", "'On'"],
        id="bad-literal",
    ),
    pytest.param(
        lambda: ReplicationRule(destination=None),  # type: ignore[arg-type]
        ["ReplicationRule.destination", "required"],
        id="required-none",
    ),
    pytest.param(
        lambda: CorsRule(allowed_origins=["a\x01b"], allowed_methods=["GET"]),
        ["CorsRule.allowed_origins[0]", "character XML cannot carry", "'a\\x01b'"],
        id="not-xml-char",
    ),
]


@pytest.mark.parametrize(("build_bad", "expected"), BAD_MODELS)
def test_invalid_models_are_refused(
    build_bad: Callable[[], ConfigModel], expected: list[str]
) -> None:
    with pytest.raises(InvalidArgument) as info:
        build_bad()
    message = str(info.value)
    for part in expected:
        assert part in message, (part, message)


def test_validation_happens_on_construction_not_only_on_xml() -> None:
    """attrs.evolve re-runs the checks: an invalid copy cannot be made either."""
    with pytest.raises(InvalidArgument, match=r"Tag\.key"):
        attrs.evolve(Tag(key="ok"), key="no#")
    with pytest.raises(InvalidArgument, match=r"ObjectLockConfiguration\.retention_days"):
        attrs.evolve(FULL_OBJECT_LOCK, retention_days=0)


def test_boundaries_are_accepted() -> None:
    assert Tag(key="k" * 128, value="v" * 256).key == "k" * 128
    assert len(Tagging(tags=[Tag(key=f"k{i}") for i in range(50)]).tags) == 50
    assert InventoryConfiguration(id="i" * 64, destination=INV_DEST).id == "i" * 64
    assert ObjectLockConfiguration(retention_days=36500).retention_days == 36500
    assert {IntelligentTieringConfiguration(days=d).days for d in (30, 60, 90)} == {30, 60, 90}
    assert len(CorsConfiguration(rules=[ANY_RULE] * 100).rules) == 100
    assert LifecycleTransition(days=0, storage_class="ARCHIVE").days == 0


# --- malformed documents ----------------------------------------------------------------------

MALFORMED: list[Any] = [
    pytest.param(
        ReplicationConfiguration,
        b"<ReplicationConfiguration><Rule><Destination><Bucket>" + DEST.encode() + b"</Bucket>"
        b"</Destination></Rule></ReplicationConfiguration>",
        "ReplicationConfiguration lacks <Role>",
        id="missing-role",
    ),
    pytest.param(
        Tagging,
        b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
        "lacks <Key>",
        id="missing-tag-key",
    ),
    pytest.param(
        InventoryConfiguration,
        b"<InventoryConfiguration><Id>a</Id></InventoryConfiguration>",
        "lacks <COSBucketDestination>",
        id="missing-destination",
    ),
    pytest.param(
        LifecycleConfiguration,
        b"<LifecycleConfiguration><Rule><Expiration><Days>ten</Days></Expiration></Rule>"
        b"</LifecycleConfiguration>",
        "Expiration/Days: not an integer: 'ten'",
        id="days-not-integer",
    ),
    pytest.param(
        LifecycleConfiguration,
        b"<LifecycleConfiguration><Rule><Expiration><Days>1.5</Days></Expiration></Rule>"
        b"</LifecycleConfiguration>",
        "not an integer: '1.5'",
        id="days-fraction",
    ),
    pytest.param(
        InventoryConfiguration,
        b"<InventoryConfiguration><Id>a</Id><IsEnabled>yes</IsEnabled><Destination>"
        b"<COSBucketDestination><Bucket>" + DEST.encode() + b"</Bucket></COSBucketDestination>"
        b"</Destination></InventoryConfiguration>",
        "IsEnabled: not true/false: 'yes'",
        id="bool-not-true-false",
    ),
    pytest.param(
        LifecycleConfiguration,
        b"<LifecycleConfiguration><Rule><Expiration><ExpiredObjectDeleteMarker>1"
        b"</ExpiredObjectDeleteMarker></Expiration></Rule></LifecycleConfiguration>",
        "not true/false: '1'",
        id="bool-digit",
    ),
    pytest.param(
        LifecycleConfiguration,
        b"<LifecycleConfiguration><Rule><Expiration>soon</Expiration></Rule>"
        b"</LifecycleConfiguration>",
        "expected child elements, got text 'soon'",
        id="text-for-model",
    ),
    pytest.param(
        LifecycleConfiguration,
        b"<LifecycleConfiguration><Rule><ID>a</ID><ID>b</ID><Expiration><Days>1</Days>"
        b"</Expiration></Rule></LifecycleConfiguration>",
        "ID: expected one element, got 2",
        id="repeated-scalar",
    ),
    pytest.param(
        Tagging,
        b"<Tagging><TagSet><Tag><Key><B>x</B></Key></Tag></TagSet></Tagging>",
        "expected a text element",
        id="children-for-text",
    ),
]


@pytest.mark.parametrize(("cls", "data", "message"), MALFORMED)
def test_malformed_documents_raise_xml_error(
    cls: type[ConfigModel], data: bytes, message: str
) -> None:
    with pytest.raises(XMLError) as info:
        read(cls, data)
    assert message in str(info.value)
    # a document COS sent is not the caller's mistake: not an InvalidArgument
    assert not isinstance(info.value, InvalidArgument)


# --- read leniently, written strictly ---------------------------------------------------------

NEWER = [
    pytest.param(
        Tagging,
        b"<Tagging><TagSet><Tag><Key>a#b</Key></Tag></TagSet></Tagging>",
        lambda m: m.tags[0].key == "a#b",
        "Tag.key must be letters",
        id="invalid-value",
    ),
    pytest.param(
        VersioningConfiguration,
        b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>",
        lambda m: m.status == "On",
        "VersioningConfiguration.status",
        id="newer-literal",
    ),
]


@pytest.mark.parametrize(("cls", "data", "kept", "message"), NEWER)
def test_values_newer_than_the_models_are_kept_and_refused_when_put(
    cls: type[ConfigModel], data: bytes, kept: Any, message: str
) -> None:
    """What a bucket reports is read as it is (a value newer than this SDK knows must not make a
    configuration unreadable); sending it back checks it like any configuration."""
    model = read(cls, data)
    assert kept(model)
    with pytest.raises(InvalidArgument, match=message):
        bucket_config.strict(model)


# --- lifecycle filters: one condition bare, several in <And> ----------------------------------


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        (LifecycleFilter(), b"<Filter></Filter>"),
        (LifecycleFilter(prefix="a/"), b"<Filter><Prefix>a/</Prefix></Filter>"),
        (
            LifecycleFilter(tags=[Tag(key="k", value="v")]),
            b"<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>",
        ),
        (
            LifecycleFilter(prefix="a/", tags=[Tag(key="k", value="v")]),
            b"<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And>"
            b"</Filter>",
        ),
        (
            LifecycleFilter(tags=[Tag(key="k", value="v"), Tag(key="j", value="w")]),
            b"<Filter><And><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>j</Key>"
            b"<Value>w</Value></Tag></And></Filter>",
        ),
    ],
)
def test_lifecycle_filter_layout(filter_: LifecycleFilter, expected: bytes) -> None:
    config = LifecycleConfiguration(
        rules=[LifecycleRule(id="r", filter=filter_, expiration=LifecycleExpiration(days=1))]
    )
    assert expected in xml_bytes(config)
    assert round_trip(config) == config


def test_lifecycle_filter_and_beside_its_own_prefix_is_malformed() -> None:
    doc = parse(
        b"<LifecycleConfiguration><Rule><Filter><Prefix>x/</Prefix><And><Prefix>a/</Prefix>"
        b"</And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
        b"</LifecycleConfiguration>"
    )
    with pytest.raises(XMLError, match="And"):
        from_xml(LifecycleConfiguration, doc["LifecycleConfiguration"])


def test_lifecycle_filter_duplicate_tag_keys_refused() -> None:
    with pytest.raises(InvalidArgument, match=r"LifecycleFilter\.tags has a duplicate tag key 'k'"):
        LifecycleFilter(tags=[Tag(key="k", value="1"), Tag(key="k", value="2")])


def test_storage_class_is_upper_cased() -> None:
    t = LifecycleTransition(days=1, storage_class="standard_ia")
    assert t.storage_class == "STANDARD_IA"
    assert b"<StorageClass>STANDARD_IA</StorageClass>" in xml_bytes(
        LifecycleConfiguration(rules=[LifecycleRule(id="r", transitions=[t])])
    )
    with pytest.raises(InvalidArgument, match="'GLACIER'"):
        LifecycleTransition(days=1, storage_class="glacier")
