"""Compatibility: the official SDK's ``select_object_content`` against the local COS server gets
the same records as ``cos_async``'s, and reads the same statistics and errors."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import TYPE_CHECKING, Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

from cos_async import (
    AsyncCosClient,
    CosConfig,
    CSVInput,
    CSVOutput,
    JSONInput,
    JSONOutput,
    SelectEvent,
    SelectRecords,
    SelectStats,
)
from cos_async.testing import ThreadedLocalCosServer

if TYPE_CHECKING:
    from qcloud_cos import CosS3Client

CITIES = ["paris", "rome", '"oslo, no"']
CSV_DATA = b"name,age,city\n" + b"".join(
    f"user{i},{18 + i % 60},{CITIES[i % 3]}\n".encode() for i in range(8000)
)
JSON_DATA = b"".join(
    json.dumps({"id": i, "tags": {"even": i % 2 == 0}, "name": f"n{i}"}).encode() + b"\n"
    for i in range(3000)
)


def ours(
    server: ThreadedLocalCosServer, bucket: str, key: str, expression: str, **kw: Any
) -> list[SelectEvent]:
    config = CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
    )

    async def run() -> list[SelectEvent]:
        async with AsyncCosClient(config) as client:
            return [e async for e in client.select_object_content(bucket, key, expression, **kw)]

    return asyncio.run(run())


def our_records(events: list[SelectEvent]) -> bytes:
    return b"".join(e.payload for e in events if isinstance(e, SelectRecords))


def theirs(
    client: CosS3Client, bucket: str, key: str, expression: str, **kw: Any
) -> list[dict[str, Any]]:
    response = client.select_object_content(
        Bucket=bucket, Key=key, Expression=expression, ExpressionType="SQL", **kw
    )
    return list(response["Payload"])


def their_records(events: list[dict[str, Any]]) -> bytes:
    return b"".join(e["Records"]["Payload"] for e in events if "Records" in e)


@pytest.mark.parametrize(
    ("expression", "header", "sdk_output", "our_output"),
    [
        ("SELECT * FROM COSObject", "NONE", {"CSV": {"RecordDelimiter": "\n"}}, CSVOutput()),
        (
            "SELECT s.name, s.city FROM COSObject s WHERE s.age > 70 AND s.city <> 'rome'",
            "USE",
            {"CSV": {"RecordDelimiter": "\n", "QuoteFields": "ALWAYS"}},
            CSVOutput(quote_fields="ALWAYS"),
        ),
        (
            "SELECT s._1 FROM COSObject s WHERE s._3 = 'oslo, no' LIMIT 100",
            "IGNORE",
            {"JSON": {"RecordDelimiter": "\n"}},
            JSONOutput(),
        ),
    ],
)
def test_csv_select_matches(
    cos_server: ThreadedLocalCosServer,
    cos_bucket: str,
    cos_client: CosS3Client,
    expression: str,
    header: Any,
    sdk_output: dict[str, Any],
    our_output: Any,
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="people.csv", Body=CSV_DATA)
    sdk_events = theirs(
        cos_client,
        cos_bucket,
        "people.csv",
        expression,
        InputSerialization={"CompressionType": "NONE", "CSV": {"FileHeaderInfo": header}},
        OutputSerialization=sdk_output,
        RequestProgress={"Enabled": "TRUE"},
    )
    our_events = ours(
        cos_server,
        cos_bucket,
        "people.csv",
        expression,
        input_format=CSVInput(file_header_info=header),
        output_format=our_output,
        request_progress=True,
    )
    expected = their_records(sdk_events)
    assert expected  # every query above matches something
    assert our_records(our_events) == expected
    assert [next(iter(e)) for e in sdk_events][-2:] == ["Stats", "End"]
    assert "Progress" in {next(iter(e)) for e in sdk_events}
    details = sdk_events[-2]["Stats"]["Details"]
    [stats] = [e for e in our_events if isinstance(e, SelectStats)]
    assert int(details["BytesScanned"]) == stats.bytes_scanned == len(CSV_DATA)
    assert int(details["BytesReturned"]) == stats.bytes_returned == len(expected)


def test_gzip_json_lines_select_matches(
    cos_server: ThreadedLocalCosServer, cos_bucket: str, cos_client: CosS3Client
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="rows.jsonl.gz", Body=gzip.compress(JSON_DATA))
    expression = "SELECT s.id, s.name FROM COSObject s WHERE s.tags.even = true AND s.id >= 2900"
    response = cos_client.select_object_content(
        Bucket=cos_bucket,
        Key="rows.jsonl.gz",
        Expression=expression,
        ExpressionType="SQL",
        InputSerialization={"CompressionType": "GZIP", "JSON": {"Type": "LINES"}},
        OutputSerialization={"JSON": {"RecordDelimiter": "\n"}},
    )
    expected = response["Payload"].get_select_result()
    got = our_records(
        ours(
            cos_server,
            cos_bucket,
            "rows.jsonl.gz",
            expression,
            input_format=JSONInput(),
            compression="GZIP",
        )
    )
    assert got == expected
    assert [json.loads(line) for line in got.splitlines()] == [
        {"id": i, "name": f"n{i}"} for i in range(2900, 3000, 2)
    ]


def test_the_sdk_sees_select_errors(cos_bucket: str, cos_client: CosS3Client) -> None:
    cos_client.put_object(Bucket=cos_bucket, Key="people.csv", Body=CSV_DATA)
    with pytest.raises(CosServiceError) as info:
        theirs(
            cos_client,
            cos_bucket,
            "people.csv",
            "SELECT COUNT(*) FROM COSObject",
            InputSerialization={"CSV": {}},
            OutputSerialization={"CSV": {}},
        )
    assert info.value.get_status_code() == 400
    assert info.value.get_error_code() == "UnsupportedSyntax"
    with pytest.raises(CosServiceError) as info:
        theirs(
            cos_client,
            cos_bucket,
            "absent.csv",
            "SELECT * FROM COSObject",
            InputSerialization={"CSV": {}},
            OutputSerialization={"CSV": {}},
        )
    assert info.value.get_error_code() == "NoSuchKey"
