"""The real libraries on ``cos://``, against the local server: pandas with ``storage_options``,
pyarrow datasets through ``PyFileSystem(FSSpecHandler(fs))``, a parquet footer read by random
seeks (bytes counted by the server), a ``dask.distributed`` cluster of two worker processes.
Ray Data runs in docs/datastack.md's example (``test_datastack_docs.py``)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from cos_async.fs import CosFileSystem
from cos_async.testing import ThreadedLocalCosServer

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")
pafs = pytest.importorskip("pyarrow.fs")


def frame(rows: int, seed: int = 0) -> Any:
    return pd.DataFrame(
        {
            "city": [("guangzhou", "beijing", "shanghai")[(i + seed) % 3] for i in range(rows)],
            "year": [2023 + (i % 2) for i in range(rows)],
            "amount": [float((i * 37 + seed) % 1000) for i in range(rows)],
        }
    )


def sent_bytes(server: ThreadedLocalCosServer, key: str) -> int:
    return sum(
        r.response_bytes or 0
        for r in server.requests.records()
        if r.operation == "GetObject" and r.key == key
    )


# --- pandas -------------------------------------------------------------------------------------


def test_pandas_parquet_and_csv_with_storage_options(
    cos_storage_options: dict[str, Any], cos_bucket: str
) -> None:
    df = frame(1000)
    url = f"cos://{cos_bucket}/tables/sales.parquet"
    df.to_parquet(url, storage_options=cos_storage_options)
    pd.testing.assert_frame_equal(pd.read_parquet(url, storage_options=cos_storage_options), df)
    csv = f"cos://{cos_bucket}/tables/sales.csv"
    df.to_csv(csv, index=False, storage_options=cos_storage_options)
    back = pd.read_csv(csv, storage_options=cos_storage_options)
    pd.testing.assert_frame_equal(back, df)
    only = pd.read_parquet(url, columns=["amount"], storage_options=cos_storage_options)
    assert list(only.columns) == ["amount"]


# --- pyarrow ------------------------------------------------------------------------------------


def test_pyarrow_dataset_over_a_partitioned_directory(
    cos_fs: CosFileSystem, cos_bucket: str
) -> None:
    filesystem = pafs.PyFileSystem(pafs.FSSpecHandler(cos_fs))
    table = pa.Table.from_pandas(frame(600), preserve_index=False)
    root = f"{cos_bucket}/warehouse/sales"
    ds.write_dataset(
        table,
        root,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("year", pa.int64())]), flavor="hive"),
        filesystem=filesystem,
    )
    assert cos_fs.ls(root, detail=False) == [f"{root}/year=2023", f"{root}/year=2024"]
    dataset = ds.dataset(root, format="parquet", partitioning="hive", filesystem=filesystem)
    assert dataset.count_rows() == 600
    only_2024 = dataset.to_table(filter=ds.field("year") == 2024).to_pandas()
    assert len(only_2024) == 300
    assert set(only_2024["year"]) == {2024}
    expected = frame(600)
    assert only_2024["amount"].sum() == expected[expected["year"] == 2024]["amount"].sum()


def test_a_parquet_footer_read_does_not_download_the_file(
    cos_fs: CosFileSystem, cos_bucket: str, cos_server: ThreadedLocalCosServer
) -> None:
    df = pd.DataFrame({f"c{i}": range(i, 200_000 + i) for i in range(8)})
    buf = io.BytesIO()
    df.to_parquet(buf, row_group_size=50_000, compression=None)
    data = buf.getvalue()
    key = "big/table.parquet"
    path = f"{cos_bucket}/{key}"
    cos_fs.pipe_file(path, data)
    assert len(data) > 8 * 1024 * 1024  # more than one block of fs.open
    cos_server.requests.clear()
    with cos_fs.open(path) as f:
        meta = pq.ParquetFile(f).metadata
    assert meta.num_rows == 200_000
    assert meta.num_row_groups == 4
    footer_cost = sent_bytes(cos_server, key)
    assert 0 < footer_cost < len(data) // 20
    cos_server.requests.clear()
    with cos_fs.open(path) as f:  # one column of one row group: seeks to its pages
        column = pq.ParquetFile(f).read_row_group(2, columns=["c3"])
    assert column.column("c3").to_pylist()[:2] == [100_003, 100_004]
    assert sent_bytes(cos_server, key) < len(data) // 4


# --- dask ---------------------------------------------------------------------------------------


@pytest.fixture
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("dask.distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's own start-up chatter
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.close()
            cluster.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_dask_cluster_reads_csv_and_writes_parquet(
    dask_client: Any, cos_storage_options: dict[str, Any], cos_fs: CosFileSystem, cos_bucket: str
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    parts = [frame(300, seed=i) for i in range(6)]
    for i, part in enumerate(parts):
        cos_fs.pipe_file(f"{cos_bucket}/data/part-{i}.csv", part.to_csv(index=False).encode())
    df = dd.read_csv(f"cos://{cos_bucket}/data/*.csv", storage_options=cos_storage_options)
    assert df.npartitions == 6
    totals = df.groupby("city")["amount"].sum().to_frame()
    out = f"cos://{cos_bucket}/results/by_city"
    totals.to_parquet(out, storage_options=cos_storage_options)
    # where the work ran: the two worker processes, none of them this one
    workers = dask_client.scheduler_info()["workers"]
    assert len(workers) == 2
    written = cos_fs.find(f"{cos_bucket}/results/by_city")
    assert written
    assert all(name.endswith(".parquet") for name in written)
    got = pd.read_parquet(out, storage_options=cos_storage_options)["amount"].sort_index()
    expected = pd.concat(parts).groupby("city")["amount"].sum().sort_index()
    pd.testing.assert_series_equal(got, expected, check_names=False)
