"""The newer bucket-configuration models (``cos_async._bucket_extras``: origin-pull, response
control, domain certificates, intelligent-tiering rules, one-off inventories) and the async
fetch task (``cos_async._fetch``): XML round trips through the generic mechanism, the COS
element layout, checks on construction naming the class, the field and the bad value, and the
private key of a certificate never shown. Pure: no sockets."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from typing import Any, Union

import attrs
import pytest

import cos_async
from cos_async import (
    AsyncFetchTask,
    AsyncFetchTaskResult,
    AsyncFetchTaskStatus,
    ConfigModel,
    DomainCertificate,
    DomainCertificateStatus,
    IntelligentTieringFilter,
    IntelligentTieringRule,
    IntelligentTieringRules,
    IntelligentTieringTier,
    InvalidArgument,
    InventoryDestination,
    OneOffInventoryConfiguration,
    OriginCondition,
    OriginConfiguration,
    OriginFileInfo,
    OriginHeader,
    OriginInfo,
    OriginParameter,
    OriginRule,
    ResponseControlConfiguration,
    Tag,
)
from cos_async import _bucket_extras as extras
from cos_async._bucket_config import _fields, from_xml, strict, to_xml
from cos_async._fetch import check_task_id, parse_answer
from cos_async._xml import build, parse

DEST = "qcs::cos:ap-beijing::dest-1250000000"
CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"
SECRET_PART = "TOP-SECRET-KEY-MATERIAL"

FULL_ORIGIN = OriginConfiguration(
    rules=[
        OriginRule(
            priority=1,
            origin_type="Mirror",
            condition=OriginCondition(http_status_code="404", prefix="img/", suffix=".jpg"),
            parameter=OriginParameter(
                protocol="HTTPS",
                transparent_error_code=True,
                follow_query_string=True,
                follow_all_headers=True,
                new_http_headers=[
                    OriginHeader(key="x-cos-meta-from", value="origin"),
                    OriginHeader(key="Cache-Control", value="max-age=60"),
                ],
                follow_http_headers=[OriginHeader(key="Range"), OriginHeader(key="x-my")],
                follow_redirection=True,
                http_redirect_code="302",
                copy_origin_data=True,
            ),
            info=OriginInfo(
                host_name="origin.example.com:8080",
                file_info=OriginFileInfo(
                    prefix="img/",
                    replaced_with_prefix="images/",
                    suffix=".jpg",
                    replaced_with_suffix=".jpeg",
                ),
            ),
        ),
        OriginRule(
            priority=2,
            origin_type="Redirect",
            condition=OriginCondition(http_status_code="403"),
            info=OriginInfo(
                host_name="fallback.example.com",
                file_info=OriginFileInfo(fixed_file_path="/index.html"),
            ),
        ),
    ]
)
FULL_RESPONSE_CONTROL = ResponseControlConfiguration(
    params=["response-content-type", "response-content-disposition", "response-expires"]
)
FULL_CERTIFICATE = DomainCertificate(
    certificate=CERT, private_key=KEY, domains=["cdn.example.com", "www.example.org"]
)
FULL_CERTIFICATE_STATUS = DomainCertificateStatus(status="Enabled")
FULL_TIERING_RULE = IntelligentTieringRule(
    id="archive-logs",
    status="Disabled",
    filter=IntelligentTieringFilter(
        prefix="logs/", tags=[Tag(key="team", value="a"), Tag(key="env", value="b")]
    ),
    tierings=[
        IntelligentTieringTier(access_tier="ARCHIVE_ACCESS", days=91, request_frequent=2),
        IntelligentTieringTier(access_tier="DEEP_ARCHIVE_ACCESS", days=180),
    ],
)
FULL_ONE_OFF = OneOffInventoryConfiguration(
    id="once-1",
    destination=InventoryDestination(
        bucket=DEST, account_id="100000000001", prefix="inv", sse_cos=True
    ),
    prefix="data/",
    included_object_versions="All",
    optional_fields=["Size", "ETag"],
)

FULL: tuple[ConfigModel, ...] = (
    FULL_ORIGIN,
    FULL_RESPONSE_CONTROL,
    FULL_CERTIFICATE,
    FULL_CERTIFICATE_STATUS,
    FULL_TIERING_RULE,
    FULL_ONE_OFF,
)
DEFAULT_TIERING = IntelligentTieringRule(
    id="default",
    tierings=[IntelligentTieringTier(access_tier="INFREQUENT", days=30, request_frequent=1)],
)
MINIMAL: tuple[ConfigModel, ...] = (
    OriginConfiguration(
        rules=[OriginRule(priority=1, origin_type="Proxy", info=OriginInfo(host_name="o.example"))]
    ),
    ResponseControlConfiguration(params=["response-cache-control"]),
    DomainCertificate(certificate=CERT, private_key=KEY, domains=["a.example.com"]),
    DomainCertificateStatus(),
    DEFAULT_TIERING,
    OneOffInventoryConfiguration(id="a", destination=InventoryDestination(bucket=DEST)),
)


def _ids(models: tuple[ConfigModel, ...], prefix: str) -> list[str]:
    return [f"{prefix}{type(m).__name__}" for m in models]


def xml_bytes(model: ConfigModel) -> bytes:
    ((root, doc),) = to_xml(model).items()
    return build(root, doc)


def read(cls: type[ConfigModel], data: bytes) -> Any:
    doc = parse(data)
    assert list(doc) == [cls.xml_root]
    value = doc[cls.xml_root]
    return from_xml(cls, value if isinstance(value, dict) else {})


def _unwrap(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (Union, types.UnionType):
        (tp,) = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is tuple:
        return typing.get_args(tp)[0], True
    return tp, False


def _reachable(cls: type[ConfigModel]) -> set[type[ConfigModel]]:
    found = {cls}
    for _field, kind in _fields(cls):
        inner = kind.item.args if kind.tag == "tuple" and kind.item is not None else kind.args
        if isinstance(inner, type) and issubclass(inner, ConfigModel):
            found |= _reachable(inner)
    return found


def _walk(model: ConfigModel) -> Iterator[tuple[type[ConfigModel], str, Any]]:
    for f in attrs.fields(type(model)):
        value = getattr(model, f.name)
        yield type(model), f.name, value
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, ConfigModel):
                yield from _walk(item)


def test_every_whole_document_model_is_covered() -> None:
    classes = (getattr(extras, n) for n in extras.__all__)
    expected = {c for c in classes if isinstance(c, type) and issubclass(c, ConfigModel)}
    expected = {c for c in expected if c.xml_root}
    assert {type(m) for m in FULL} == expected
    assert {type(m) for m in MINIMAL} == expected


@pytest.mark.parametrize("model", FULL, ids=_ids(FULL, ""))
def test_full_instances_set_every_field(model: ConfigModel) -> None:
    seen: dict[tuple[type[ConfigModel], str], list[Any]] = {}
    for cls, name, value in _walk(model):
        seen.setdefault((cls, name), []).append(value)
    for cls in _reachable(type(model)):
        for field, kind in _fields(cls):
            values = seen.get((cls, field.name))
            assert values, f"{cls.__name__}.{field.name}: no instance in the document"
            assert any(v not in (None, "", False, ()) for v in values), (cls, field.name)
            if kind.tag == "tuple":
                assert max(len(v) for v in values) >= 2, f"{cls.__name__}.{field.name}"


@pytest.mark.parametrize(
    "model", FULL + MINIMAL, ids=_ids(FULL, "full-") + _ids(MINIMAL, "minimal-")
)
def test_round_trip_through_xml_bytes(model: ConfigModel) -> None:
    data = xml_bytes(model)
    back = read(type(model), data)
    assert type(back) is type(model)
    assert back == model
    assert xml_bytes(back) == data
    assert strict(back) == model


# --- the COS element layout -------------------------------------------------------------------


def test_origin_layout() -> None:
    doc = parse(xml_bytes(FULL_ORIGIN))["OriginConfiguration"]
    first, second = doc["OriginRule"]
    assert first["RulePriority"] == "1"
    assert first["OriginType"] == "Mirror"
    assert first["OriginCondition"] == {
        "HTTPStatusCode": "404",
        "Prefix": "img/",
        "Suffix": ".jpg",
    }
    parameter = first["OriginParameter"]
    assert parameter["Protocol"] == "HTTPS"
    assert parameter["TransparentErrorCode"] == "true"
    assert parameter["HttpHeader"]["FollowAllHeaders"] == "true"
    assert parameter["HttpHeader"]["NewHttpHeaders"]["Header"][1] == {
        "Key": "Cache-Control",
        "Value": "max-age=60",
    }
    assert parameter["HttpHeader"]["FollowHttpHeaders"]["Header"][0]["Key"] == "Range"
    assert first["OriginInfo"]["HostInfo"] == {"HostName": "origin.example.com:8080"}
    assert first["OriginInfo"]["FileInfo"]["PrefixConfiguration"] == {
        "Prefix": "img/",
        "ReplacedWithPrefix": "images/",
    }
    assert second["OriginInfo"]["FileInfo"] == {
        "FixedFileConfiguration": {"FixedFilePath": "/index.html"}
    }


def test_other_layouts() -> None:
    assert parse(xml_bytes(FULL_RESPONSE_CONTROL)) == {
        "ResponseControlConfiguration": {
            "ControlParamList": {
                "Param": [
                    "response-content-type",
                    "response-content-disposition",
                    "response-expires",
                ]
            }
        }
    }
    cert = parse(xml_bytes(FULL_CERTIFICATE))["DomainCertificate"]
    assert cert["CertificateInfo"]["CertType"] == "CustomCert"
    assert cert["CertificateInfo"]["CustomCert"]["PrivateKey"].strip() == KEY.strip()
    assert cert["DomainList"]["DomainName"] == ["cdn.example.com", "www.example.org"]
    rule = parse(xml_bytes(FULL_TIERING_RULE))["IntelligentTieringConfiguration"]
    assert list(rule) == ["Id", "Status", "Filter", "Tiering"]
    assert rule["Filter"]["And"]["Prefix"] == "logs/"
    assert rule["Tiering"][0] == {
        "AccessTier": "ARCHIVE_ACCESS",
        "Days": "91",
        "RequestFrequent": "2",
    }
    one_off = parse(xml_bytes(FULL_ONE_OFF))["InventoryConfiguration"]
    assert "Schedule" not in one_off
    assert "IsEnabled" not in one_off
    assert one_off["Destination"]["COSBucketDestination"]["Encryption"] == {"SSE-COS": None}


def test_a_tiering_rule_without_id_in_its_document_is_read_as_cos_answers_it() -> None:
    data = (
        b"<IntelligentTieringConfiguration><Id>default</Id><Status>Enabled</Status>"
        b"<Tiering><AccessTier>INFREQUENT</AccessTier><Days>30</Days>"
        b"<RequestFrequent>1</RequestFrequent></Tiering></IntelligentTieringConfiguration>"
    )
    assert read(IntelligentTieringRule, data) == DEFAULT_TIERING


# --- checks on construction -------------------------------------------------------------------

ANY_INFO = OriginInfo(host_name="o.example.com")


def _bad(factory: Any, *fragments: str) -> Any:
    return pytest.param(factory, fragments, id=fragments[0])


INVALID = [
    _bad(lambda: OriginConfiguration(rules=[]), "OriginConfiguration.rules must not be empty"),
    _bad(
        lambda: OriginRule(priority=0, origin_type="Mirror", info=ANY_INFO),
        "OriginRule.priority must be >= 1, got 0",
    ),
    _bad(
        lambda: OriginRule(priority=1, origin_type="Fetch", info=ANY_INFO),
        "OriginRule.origin_type must be one of",
        "'Fetch'",
    ),
    _bad(
        lambda: OriginConfiguration(
            rules=[
                OriginRule(priority=1, origin_type="Mirror", info=ANY_INFO),
                OriginRule(priority=1, origin_type="Proxy", info=ANY_INFO),
            ]
        ),
        "OriginConfiguration.rules has a duplicate rule priority 1",
    ),
    _bad(
        lambda: OriginRule(
            priority=1,
            origin_type="Mirror",
            condition=OriginCondition(http_status_code="403"),
            info=ANY_INFO,
        ),
        "OriginRule.condition.http_status_code must be '404' for a Mirror rule, got '403'",
    ),
    _bad(
        lambda: OriginCondition(http_status_code="200"),
        "OriginCondition.http_status_code must be an HTTP status 4xx or 5xx",
        "'200'",
    ),
    _bad(lambda: OriginInfo(host_name="bad host"), "OriginInfo.host_name", "'bad host'"),
    _bad(lambda: OriginHeader(key="bad key"), "OriginHeader.key must be a header name"),
    _bad(
        lambda: OriginParameter(new_http_headers=[OriginHeader(key=f"h{i}") for i in range(11)]),
        "OriginParameter.new_http_headers holds at most 10 items, got 11",
    ),
    _bad(lambda: OriginFileInfo(), "OriginFileInfo needs at least one field set"),
    _bad(
        lambda: OriginFileInfo(prefix="a/", fixed_file_path="/x"),
        "OriginFileInfo.fixed_file_path excludes",
    ),
    _bad(
        lambda: ResponseControlConfiguration(params=["response-colour"]),
        "ResponseControlConfiguration.params must hold parameters among",
        "'response-colour'",
    ),
    _bad(
        lambda: ResponseControlConfiguration(params=["response-expires", "response-expires"]),
        "ResponseControlConfiguration.params has a duplicate parameter 'response-expires'",
    ),
    _bad(lambda: ResponseControlConfiguration(), "ResponseControlConfiguration.params"),
    _bad(
        lambda: DomainCertificate(certificate="not pem", private_key=KEY, domains=["a.example"]),
        "DomainCertificate.certificate must be a PEM block",
    ),
    _bad(
        lambda: DomainCertificate(certificate=CERT, private_key=KEY, domains=["not a domain"]),
        "DomainCertificate.domains[0] must be a domain name",
        "'not a domain'",
    ),
    _bad(
        lambda: DomainCertificate(certificate=CERT, private_key=KEY, domains=[]),
        "DomainCertificate.domains must not be empty",
    ),
    _bad(
        lambda: IntelligentTieringRule(id="bad id!", tierings=DEFAULT_TIERING.tierings),
        "IntelligentTieringRule.id must be 1..64 of",
        "'bad id!'",
    ),
    _bad(
        lambda: IntelligentTieringRule(id="default", tierings=FULL_TIERING_RULE.tierings),
        "IntelligentTieringRule 'default' configures the INFREQUENT tier",
    ),
    _bad(
        lambda: IntelligentTieringRule(id="archive", tierings=DEFAULT_TIERING.tierings),
        "IntelligentTieringRule 'archive': only the rule 'default'",
    ),
    _bad(
        lambda: IntelligentTieringRule(
            id="archive",
            tierings=[
                IntelligentTieringTier(access_tier="ARCHIVE_ACCESS", days=91),
                IntelligentTieringTier(access_tier="ARCHIVE_ACCESS", days=100),
            ],
        ),
        "IntelligentTieringRule.tierings has a duplicate access tier 'ARCHIVE_ACCESS'",
    ),
    _bad(
        lambda: IntelligentTieringTier(access_tier="COLD", days=1),
        "IntelligentTieringTier.access_tier must be one of",
        "'COLD'",
    ),
    _bad(
        lambda: IntelligentTieringTier(access_tier="ARCHIVE_ACCESS", days=0),
        "IntelligentTieringTier.days must be >= 1, got 0",
    ),
    _bad(
        lambda: OneOffInventoryConfiguration(
            id="x", destination=InventoryDestination(bucket=DEST), optional_fields=["Colour"]
        ),
        "OneOffInventoryConfiguration.optional_fields must hold fields among",
        "'Colour'",
    ),
    _bad(
        lambda: OneOffInventoryConfiguration(id="x", destination="bucket"),  # type: ignore[arg-type]
        "OneOffInventoryConfiguration.destination must be a InventoryDestination",
        "'bucket'",
    ),
]


@pytest.mark.parametrize(("factory", "fragments"), INVALID)
def test_invalid_models_are_refused_naming_the_field(factory: Any, fragments: tuple[str]) -> None:
    with pytest.raises(InvalidArgument) as info:
        factory()
    for fragment in fragments:
        assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_the_private_key_is_never_shown() -> None:
    assert SECRET_PART not in repr(FULL_CERTIFICATE)
    assert SECRET_PART not in str(FULL_CERTIFICATE)
    assert "private_key" not in repr(FULL_CERTIFICATE)
    # a private key that is not one: the message names the field, never the value
    bad_key = "garbage " + SECRET_PART
    with pytest.raises(InvalidArgument) as info:
        DomainCertificate(certificate=CERT, private_key=bad_key, domains=["a.example.com"])
    assert "DomainCertificate.private_key" in str(info.value)
    assert SECRET_PART not in str(info.value)
    # of the wrong type, or holding a character XML cannot carry: still not shown
    with pytest.raises(InvalidArgument) as info:
        DomainCertificate(
            certificate=CERT,
            private_key=KEY.encode(),  # type: ignore[arg-type]
            domains=["a.example.com"],
        )
    assert "DomainCertificate.private_key" in str(info.value)
    assert SECRET_PART not in str(info.value)
    with pytest.raises(InvalidArgument) as info:
        DomainCertificate(
            certificate=CERT, private_key=KEY + "\x00" + SECRET_PART, domains=["a.example.com"]
        )
    assert SECRET_PART not in str(info.value)


def test_models_present_themselves_as_cos_async() -> None:
    for name in extras.__all__:
        assert getattr(cos_async, name).__module__ == "cos_async"
    rules = IntelligentTieringRules([DEFAULT_TIERING], request_id="r1")
    assert rules == (DEFAULT_TIERING,)
    assert rules.request_id == "r1"


# --- the async fetch task ---------------------------------------------------------------------


def test_fetch_task_json() -> None:
    task = AsyncFetchTask(
        url="http://127.0.0.1:9000/src/a%20b.bin",
        key="dest/a b.bin",
        md5="0cc175b9c0f1b6a831c399e269772661",
        on_key_exist="overwrite",
        ignore_same_key=False,
        success_callback_url="https://hooks.example.com/ok",
        failure_callback_url="https://hooks.example.com/failed",
    )
    assert task.to_json() == {
        "Url": "http://127.0.0.1:9000/src/a%20b.bin",
        "Key": "dest/a b.bin",
        "MD5": "0cc175b9c0f1b6a831c399e269772661",
        "OnKeyExist": "overwrite",
        "IgnoreSameKey": False,
        "SuccessCallbackUrl": "https://hooks.example.com/ok",
        "FailureCallbackUrl": "https://hooks.example.com/failed",
    }
    assert AsyncFetchTask(url="https://a.example/x", key="k").to_json() == {
        "Url": "https://a.example/x",
        "Key": "k",
    }


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"url": "ftp://a.example/x"}, "AsyncFetchTask.url must be an http:// or https:// URL"),
        ({"url": "http://a.example/a b"}, "'http://a.example/a b'"),
        ({"url": "http:///nohost"}, "AsyncFetchTask.url"),
        ({"key": ""}, "AsyncFetchTask.key"),
        ({"key": "a\x00b"}, "AsyncFetchTask.key"),
        ({"md5": "xyz"}, "AsyncFetchTask.md5 must be the MD5"),
        ({"ignore_same_key": "yes"}, "AsyncFetchTask.ignore_same_key must be True or False"),
        ({"on_key_exist": "two words"}, "AsyncFetchTask.on_key_exist"),
        ({"success_callback_url": "javascript:x"}, "AsyncFetchTask.success_callback_url"),
    ],
)
def test_fetch_task_checks(kwargs: dict[str, Any], fragment: str) -> None:
    values: dict[str, Any] = {"url": "http://127.0.0.1/x", "key": "k", **kwargs}
    with pytest.raises(InvalidArgument, match=None) as info:
        AsyncFetchTask(**values)
    assert fragment in str(info.value)


@pytest.mark.parametrize("bad", ["", "a/b", "a b", "x" * 1025, None, 7])
def test_task_ids_are_one_path_segment(bad: object) -> None:
    with pytest.raises(InvalidArgument, match="task_id"):
        check_task_id(bad)
    assert check_task_id("NjE0ZGMx=") == "NjE0ZGMx="


def test_fetch_answers() -> None:
    body = json.dumps({"code": 0, "Data": {"TaskId": "t1"}}).encode()
    doc, data = parse_answer(body, "x")
    assert doc["code"] == 0
    assert data == {"TaskId": "t1"}
    with pytest.raises(cos_async.CosClientError, match="not JSON"):
        parse_answer(b"<xml/>", "x")
    with pytest.raises(cos_async.CosClientError, match="not a JSON object"):
        parse_answer(b"[1]", "x")
    with pytest.raises(cos_async.CosClientError, match="data is not"):
        parse_answer(b'{"code": 0, "data": 3}', "x")
    result = AsyncFetchTaskResult(task_id="t1", request_id="r")
    status = AsyncFetchTaskStatus(status="TASK_SUCCESS", percent=100)
    assert (result.task_id, status.percent) == ("t1", 100)
