"""``cos_sync.CosClient.select_object_content``: a plain generator yielding the very events the
async client yields for the same query, and raising the same errors."""

from __future__ import annotations

import asyncio
import types

import pytest

import cos_async
from cos_async import AsyncCosClient, CSVInput, JSONOutput, SelectEvent
from cos_sync import CosClient, CosConfig

ROWS = b"".join(f"id{i},{i % 7},{'x' * (i % 40)}\n".encode() for i in range(20000))
QUERY = "SELECT s._1, s._3 FROM COSObject s WHERE s._2 = 3"


def test_the_facade_yields_the_same_events(
    cos: CosClient, sync_config: CosConfig, sync_bucket: str
) -> None:
    cos.put_object(sync_bucket, "rows.csv", ROWS)
    stream = cos.select_object_content(
        sync_bucket,
        "rows.csv",
        QUERY,
        input_format=CSVInput(),
        output_format=JSONOutput(),
        request_progress=True,
    )
    assert isinstance(stream, types.GeneratorType)
    sync_events = list(stream)

    async def via_async() -> list[SelectEvent]:
        async with AsyncCosClient(sync_config) as client:
            return [
                e
                async for e in client.select_object_content(
                    sync_bucket,
                    "rows.csv",
                    QUERY,
                    input_format=CSVInput(),
                    output_format=JSONOutput(),
                    request_progress=True,
                )
            ]

    async_events = asyncio.run(via_async())
    assert sync_events == async_events
    kinds = {type(e) for e in sync_events}
    assert kinds == {cos_async.SelectRecords, cos_async.SelectProgress, cos_async.SelectStats}
    assert sum(isinstance(e, cos_async.SelectRecords) for e in sync_events) > 1
    payload = b"".join(e.payload for e in sync_events if isinstance(e, cos_async.SelectRecords))
    assert payload.count(b"\n") == sum(1 for i in range(20000) if i % 7 == 3)


def test_the_facade_raises_the_same_errors_and_can_stop_early(
    cos: CosClient, sync_bucket: str
) -> None:
    with pytest.raises(cos_async.NoSuchKey):
        list(cos.select_object_content(sync_bucket, "absent.csv", QUERY, input_format=CSVInput()))
    cos.put_object(sync_bucket, "rows.csv", ROWS)
    with pytest.raises(cos_async.CosServiceError) as info:
        list(cos.select_object_content(sync_bucket, "rows.csv", "SELEC", input_format=CSVInput()))
    assert info.value.code == "InvalidExpression"
    with pytest.raises(cos_async.InvalidArgument):
        next(cos.select_object_content(sync_bucket, "rows.csv", QUERY, input_format="csv"))  # type: ignore[arg-type]
    # leaving after the first event closes the stream; the client keeps working
    stream = cos.select_object_content(
        sync_bucket, "rows.csv", "SELECT * FROM COSObject", input_format=CSVInput()
    )
    first = next(stream)
    assert isinstance(first, cos_async.SelectRecords)
    stream.close()
    again = cos.select_object_content(
        sync_bucket, "rows.csv", "SELECT * FROM COSObject LIMIT 1", input_format=CSVInput()
    )
    assert next(again) == cos_async.SelectRecords(b"id0,0,\n")
    again.close()
