"""Unit tests for cos_async._xml (parse and build COS XML documents)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cos_async._xml import REPEATED, XMLError, build, parse, text_of

LIST_ONE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://www.qcloud.com/document/product/436/7751">
  <Name>examplebucket-1250000000</Name>
  <Prefix/>
  <Marker/>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>a/b.txt</Key>
    <LastModified>2024-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>
    <Size>0</Size>
    <Owner><ID>1250000000</ID><DisplayName>1250000000</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>
"""

LIST_EMPTY = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://www.qcloud.com/document/product/436/7751">
  <Name>examplebucket-1250000000</Name>
  <Prefix>nothing/</Prefix>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
</ListBucketResult>
"""

ACL = b"""<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Owner><ID>qcs::cam::uin/100000000001:uin/100000000001</ID></Owner>
  <AccessControlList>
    <Grant>
      <Grantee xsi:type="CanonicalUser">
        <ID>qcs::cam::uin/100000000001:uin/100000000001</ID>
      </Grantee>
      <Permission>FULL_CONTROL</Permission>
    </Grant>
    <Grant>
      <Grantee xsi:type="Group"><URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee>
      <Permission>READ</Permission>
    </Grant>
  </AccessControlList>
</AccessControlPolicy>
"""


# --- parse -------------------------------------------------------------------------------------


def test_single_contents_is_a_list() -> None:
    doc = parse(LIST_ONE)
    result = doc["ListBucketResult"]
    assert isinstance(result["Contents"], list)
    assert len(result["Contents"]) == 1
    item = result["Contents"][0]
    assert item["Key"] == "a/b.txt"
    assert item["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert item["Size"] == "0"
    assert item["Owner"] == {"ID": "1250000000", "DisplayName": "1250000000"}
    assert result["MaxKeys"] == "1000"
    assert result["Prefix"] is None


def test_several_contents_keep_order() -> None:
    body = b"".join(b"<Contents><Key>k%d</Key></Contents>" % i for i in range(3))
    doc = parse(b"<ListBucketResult>" + body + b"</ListBucketResult>")
    assert [c["Key"] for c in doc["ListBucketResult"]["Contents"]] == ["k0", "k1", "k2"]


def test_zero_contents_key_absent() -> None:
    result = parse(LIST_EMPTY)["ListBucketResult"]
    assert "Contents" not in result
    assert "CommonPrefixes" not in result
    assert result["Prefix"] == "nothing/"


def test_namespace_declarations_dropped() -> None:
    for doc in (parse(LIST_ONE), parse(LIST_EMPTY)):
        result = doc["ListBucketResult"]
        assert not any(k.startswith("@xmlns") for k in result)
        assert not any(k.startswith("@") for k in result)
    policy = parse(ACL)["AccessControlPolicy"]
    assert "@xmlns:xsi" not in policy


def test_xsi_type_becomes_type() -> None:
    grants = parse(ACL)["AccessControlPolicy"]["AccessControlList"]["Grant"]
    assert isinstance(grants, list)
    assert [g["Grantee"]["@type"] for g in grants] == ["CanonicalUser", "Group"]
    assert all("@xsi:type" not in g["Grantee"] for g in grants)
    assert grants[1]["Grantee"]["URI"] == "http://cam.qcloud.com/groups/global/AllUsers"


def test_root_is_not_forced_to_a_list() -> None:
    # "Error" is in REPEATED (Delete results), but as the root it stays a dict.
    assert "Error" in REPEATED
    doc = parse(b"<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>")
    assert doc == {"Error": {"Code": "NoSuchKey", "Message": "gone"}}


def test_delete_result_errors_are_lists() -> None:
    doc = parse(
        b"<DeleteResult><Deleted><Key>a</Key></Deleted>"
        b"<Error><Key>b</Key><Code>AccessDenied</Code></Error></DeleteResult>"
    )
    result = doc["DeleteResult"]
    assert result["Deleted"] == [{"Key": "a"}]
    assert result["Error"] == [{"Key": "b", "Code": "AccessDenied"}]


def test_custom_repeated() -> None:
    data = b"<R><Item>1</Item><Contents><Key>k</Key></Contents></R>"
    assert parse(data, repeated={"Item"}) == {"R": {"Item": ["1"], "Contents": {"Key": "k"}}}


def test_str_input_and_unicode() -> None:
    doc = parse(
        "<ListBucketResult><Contents><Key>日志/中文 ✓.txt</Key></Contents></ListBucketResult>"
    )
    assert doc["ListBucketResult"]["Contents"][0]["Key"] == "日志/中文 ✓.txt"
    encoded = "<A><B>é</B></A>".encode()
    assert parse(encoded) == {"A": {"B": "é"}}


def test_character_references() -> None:
    assert parse(b"<A>a &amp; b &lt;c&gt; &#x4E2D;&#13;z</A>") == {"A": "a & b <c> 中\rz"}


@pytest.mark.parametrize("prefix", [b"   ", b"\n\n", b" \r\n\t  \n", b"\n" * 100, b"  " * 5000])
def test_leading_whitespace_tolerated(prefix: bytes) -> None:
    # COS pads CompleteMultipartUpload responses with whitespace while it assembles the object.
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult>'
        b"<Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/big.bin</Location>"
        b"<Bucket>examplebucket-1250000000</Bucket><Key>big.bin</Key>"
        b'<ETag>"0e6b1a1a6b9e1e0e7b0e0a0e6b1a1a6b-3"</ETag></CompleteMultipartUploadResult>\n'
    )
    doc = parse(prefix + body)
    result = doc["CompleteMultipartUploadResult"]
    assert result["Key"] == "big.bin"
    assert result["ETag"] == '"0e6b1a1a6b9e1e0e7b0e0a0e6b1a1a6b-3"'
    # "Bucket" repeats only inside <Buckets>; here it is a scalar.
    assert result["Bucket"] == "examplebucket-1250000000"
    assert parse((prefix + body).decode()) == doc


@pytest.mark.parametrize("key", ["  a  ", " ", "trailing ", "\tx\n"])
def test_text_whitespace_preserved(key: str) -> None:
    escaped = key.replace("\t", "&#9;").replace("\n", "&#10;")
    doc = parse(f"<ListBucketResult><Contents><Key>{escaped}</Key></Contents></ListBucketResult>")
    assert doc["ListBucketResult"]["Contents"][0]["Key"] == key


# --- rejected documents ------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Delete><Object><Key>&xxe;</Key></Object></Delete>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Delete SYSTEM "file:///etc/passwd">
<Delete><Object><Key>a</Key></Object></Delete>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote; ]>
<foo/>
"""

EMPTY_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE Delete>
<Delete><Quiet>true</Quiet></Delete>
"""


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY, EMPTY_DOCTYPE],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity", "bare-doctype"],
)
def test_doctype_rejected(data: bytes) -> None:
    with pytest.raises(XMLError, match="DOCTYPE"):
        parse(data)
    with pytest.raises(XMLError, match="DOCTYPE"):
        parse(b"  \n" + data)
    with pytest.raises(XMLError, match="DOCTYPE"):
        parse(data.decode())


def test_undeclared_entity_rejected() -> None:
    with pytest.raises(XMLError, match="malformed XML"):
        parse(b"<A>&xxe;</A>")


@pytest.mark.parametrize(
    "data",
    [
        b"<A>",
        b"<A></B>",
        b"not xml",
        b"<A><B></A></B>",
        b"<A/><B/>",
        b"<A/>trailing",
        b"<?xml version='1.0'?>",
        b"<A x='1' x='2'/>",
        b"\xff\xfe<A/>garbage\x00",
        b"<A>\x00</A>",
        b"{}",
    ],
)
def test_malformed_rejected(data: bytes) -> None:
    with pytest.raises(XMLError, match="malformed XML"):
        parse(data)


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\t\r\n", "", "  \n"])
def test_empty_rejected(data: bytes | str) -> None:
    with pytest.raises(XMLError, match="empty"):
        parse(data)


def test_xml_error_is_value_error() -> None:
    assert issubclass(XMLError, ValueError)
    with pytest.raises(ValueError, match="malformed"):
        parse(b"<")


# --- build -------------------------------------------------------------------------------------


def test_build_declaration_and_escaping() -> None:
    data = build("Delete", {"Quiet": "true", "Object": [{"Key": "a"}, {"Key": 'b & <c> "d"'}]})
    assert isinstance(data, bytes)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b"<Object><Key>a</Key></Object><Object><Key>b &amp; &lt;c&gt;" in data
    assert parse(data) == {
        "Delete": {"Quiet": "true", "Object": [{"Key": "a"}, {"Key": 'b & <c> "d"'}]}
    }


def test_build_none_and_empty_body() -> None:
    assert parse(build("Tagging", None)) == {"Tagging": None}
    assert parse(build("Tagging", {})) == {"Tagging": None}


def test_build_unicode_is_utf8() -> None:
    data = build("Tagging", {"TagSet": {"Tag": [{"Key": "项目", "Value": "✓ é"}]}})
    assert "项目".encode() in data
    assert parse(data) == {"Tagging": {"TagSet": {"Tag": [{"Key": "项目", "Value": "✓ é"}]}}}


def test_build_nested_round_trip() -> None:
    body: dict[str, Any] = {
        "Part": [
            {"PartNumber": "1", "ETag": '"aaa"'},
            {"PartNumber": "2", "ETag": '"bbb"'},
        ],
    }
    assert parse(build("CompleteMultipartUpload", body)) == {"CompleteMultipartUpload": body}

    lifecycle: dict[str, Any] = {
        "Rule": [
            {
                "ID": "r1",
                "Filter": {"Prefix": "logs/"},
                "Status": "Enabled",
                "Transition": [{"Days": "30", "StorageClass": "STANDARD_IA"}],
            },
            {
                "ID": "r2",
                "Filter": {"Prefix": "tmp/"},
                "Status": "Disabled",
                "Transition": [
                    {"Days": "30", "StorageClass": "STANDARD_IA"},
                    {"Days": "90", "StorageClass": "ARCHIVE"},
                ],
            },
        ]
    }
    assert parse(build("LifecycleConfiguration", lifecycle)) == {
        "LifecycleConfiguration": lifecycle
    }

    cors: dict[str, Any] = {
        "CORSRule": [
            {
                "AllowedOrigin": ["https://a.example", "https://b.example"],
                "AllowedMethod": ["GET"],
                "AllowedHeader": ["*"],
                "ExposeHeader": ["ETag", "x-cos-request-id"],
                "MaxAgeSeconds": "600",
            }
        ]
    }
    assert parse(build("CORSConfiguration", cors)) == {"CORSConfiguration": cors}


_SAFE_TEXT = st.text(
    st.characters(
        # XML 1.0 cannot carry most control characters; surrounding whitespace is not preserved
        # (see test_text_whitespace_preserved) and "\r" is normalised to "\n" by XML parsers.
        exclude_categories=["Cs", "Cc"],
        exclude_characters="\ufffe\uffff",
    ),
    min_size=1,
    max_size=20,
).filter(lambda s: s == s.strip())


@given(
    keys=st.lists(_SAFE_TEXT, min_size=1, max_size=5),
    quiet=st.sampled_from(["true", "false"]),
)
def test_build_parse_round_trip_property(keys: list[str], quiet: str) -> None:
    body = {"Quiet": quiet, "Object": [{"Key": k} for k in keys]}
    assert parse(build("Delete", body)) == {"Delete": body}


# --- text_of -----------------------------------------------------------------------------------


def test_text_of() -> None:
    assert text_of(None) == ""
    assert text_of("abc") == "abc"
    assert text_of("") == ""
    assert text_of({"#text": "v", "@type": "x"}) == "v"
    assert text_of(parse(b"<A/>")["A"]) == ""
    assert text_of(parse(b"<A>x</A>")["A"]) == "x"
    assert text_of(parse(b'<A b="1">x</A>')["A"]) == "x"


@pytest.mark.parametrize("value", [{"B": "x"}, ["x"], 1, {}])
def test_text_of_rejects_non_text(value: object) -> None:
    with pytest.raises(XMLError, match=type(value).__name__):
        text_of(value)


def test_bucket_is_a_list_only_under_buckets() -> None:
    doc = parse(
        b"<ListAllMyBucketsResult><Owner><ID>1</ID></Owner><Buckets><Bucket><Name>a-1</Name>"
        b"</Bucket></Buckets></ListAllMyBucketsResult>"
    )
    assert doc["ListAllMyBucketsResult"]["Buckets"]["Bucket"] == [{"Name": "a-1"}]
    upload = parse(
        b"<InitiateMultipartUploadResult><Bucket>a-1</Bucket></InitiateMultipartUploadResult>"
    )
    assert upload["InitiateMultipartUploadResult"]["Bucket"] == "a-1"


# --- bounds: depth, size, linear cost ----------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b"<a>" * depth + b"x" + b"</a>" * depth


class _CountingPath(list[Any]):
    """xmltodict's element path, counting the entries copied by slicing it."""

    copied = 0

    def __getitem__(self, index: Any) -> Any:
        result = super().__getitem__(index)
        if isinstance(index, slice):
            _CountingPath.copied += len(result)
        return result


@pytest.fixture
def xmltodict_counters(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the elements xmltodict's handler starts, and the path entries it copies."""
    import xmltodict

    counts = {"elements": 0}
    handler = xmltodict._DictSAXHandler
    init, start = handler.__init__, handler.startElement

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.path = _CountingPath()

    def counting_start(self: Any, *args: Any) -> None:
        counts["elements"] += 1
        start(self, *args)

    monkeypatch.setattr(handler, "__init__", counting_init)
    monkeypatch.setattr(handler, "startElement", counting_start)
    monkeypatch.setattr(_CountingPath, "copied", 0)
    return counts


def test_deep_nesting_is_refused_at_the_depth_limit(xmltodict_counters: dict[str, int]) -> None:
    from cos_async._xml import MAX_XML_DEPTH

    with pytest.raises(XMLError, match=f"deeper than {MAX_XML_DEPTH}"):
        parse(_nested(100_000))
    # refused on reaching the first element too deep, not after reading 100,000 of them
    assert xmltodict_counters["elements"] <= MAX_XML_DEPTH
    assert parse(_nested(MAX_XML_DEPTH))["a"] is not None
    with pytest.raises(XMLError, match="deeper than 8"):
        parse(_nested(9), max_depth=8)


def test_parsing_copies_no_element_paths(xmltodict_counters: dict[str, int]) -> None:
    # xmltodict copies the element's path for every element when force_list is a function: a
    # cost of the square of the depth (80,000 levels took 8 s of CPU)
    depth = 60
    leaves = b"".join(b"<Tag><Key>k</Key></Tag>" for _ in range(200))
    doc = b"<R>" + b"<a>" * depth + leaves + b"</a>" * depth + b"</R>"
    parsed = parse(doc)
    node = parsed["R"]
    for _ in range(depth):
        node = node["a"]
    assert len(node["Tag"]) == 200
    assert xmltodict_counters["elements"] == 1 + depth + 400
    assert _CountingPath.copied == 0


def _calls_to_parse(data: bytes) -> int:
    import sys

    calls = 0

    def profile(_frame: object, event: str, _arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        parse(data)
    finally:
        sys.setprofile(None)
    return calls


def test_parsing_work_grows_linearly() -> None:
    def listing(n: int) -> bytes:
        entry = b"<Contents><Key>k</Key><Size>1</Size></Contents>"
        return b"<ListBucketResult>" + entry * n + b"</ListBucketResult>"

    small, large = _calls_to_parse(listing(5_000)), _calls_to_parse(listing(50_000))
    assert 5 * small < large < 15 * small  # ten times the elements, about ten times the calls


def test_size_limit() -> None:
    from cos_async._xml import MAX_XML_BYTES

    assert MAX_XML_BYTES >= 16 * 1024 * 1024
    doc = b"<A>" + b"x" * 1000 + b"</A>"
    assert parse(doc, max_bytes=len(doc)) == {"A": "x" * 1000}
    with pytest.raises(XMLError, match="larger than 1000 bytes"):
        parse(doc, max_bytes=1000)
    with pytest.raises(XMLError, match="larger than 1000 bytes"):
        parse(doc.decode(), max_bytes=1000)
