"""The pure helpers of ``python -m benchmarks``: percentiles, ratios, tables, the progress bar,
and how a benchmark target addresses a bucket."""

from __future__ import annotations

import io
import random

import pytest

from benchmarks import _report, listing, small_objects
from benchmarks._progress import Progress
from benchmarks._target import Target
from cos_async import _signing


def test_percentile_interpolates_between_ranks() -> None:
    assert _report.percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.5
    assert _report.percentile([5.0], 99) == 5.0
    values = [float(x) for x in range(1, 101)]
    random.Random(1).shuffle(values)
    assert _report.percentile(values, 0) == 1.0
    assert _report.percentile(values, 100) == 100.0
    assert _report.percentile(values, 50) == pytest.approx(50.5)
    assert _report.percentile(values, 99) == pytest.approx(99.01)


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_rejects_bad_input(values: list[float], q: float) -> None:
    with pytest.raises(ValueError, match=r"percentile|q must"):
        _report.percentile(values, q)


def test_ratio_and_formats() -> None:
    assert _report.ratio(3.0, 2.0) == 1.5
    assert _report.ratio(None, 2.0) is None
    assert _report.ratio(1.0, 0.0) is None
    assert _report.fmt_ratio(1.234) == "1.23×"
    assert _report.fmt_ratio(None) == "n/a"
    assert _report.fmt_num(12345.6) == "12,346"
    assert _report.fmt_num(0.517, 2) == "0.52"
    assert _report.fmt_num(None) == "n/a"
    assert _report.fmt_ms(0.000123) == "0.12"
    assert _report.fmt_ms(0.0123) == "12.3"
    assert _report.fmt_ms(0.123) == "123"
    assert [_report.fmt_size(n) for n in (1024, 65536, 1 << 30, 1000)] == [
        "1 KiB",
        "64 KiB",
        "1 GiB",
        "1000 B",
    ]


def test_markdown_table() -> None:
    table = _report.markdown_table(["a", "b"], [["x", "1"], ["y", "22"]], right=" r")
    assert table.splitlines() == ["| a | b |", "| --- | ---: |", "| x | 1 |", "| y | 22 |"]
    with pytest.raises(ValueError, match="one cell per column"):
        _report.markdown_table(["a", "b"], [["x"]])


def _small_row(op: str, client: str, conc: int, ops: float) -> dict[str, object]:
    return {
        "id": small_objects.row_id(1024, op, client, conc),
        "size": 1024,
        "op": op,
        "client": client,
        "concurrency": conc,
        "ops_per_s": ops,
    }


def test_small_object_ratios_pair_ours_with_each_baseline() -> None:
    rows = [
        _small_row("get", "async", 8, 600.0),
        _small_row("get", "sync", 8, 300.0),
        _small_row("get", "official", 8, 200.0),
        _small_row("get", "raw", 8, 1200.0),
        _small_row("get", "async", 1, 100.0),  # no baseline at 1: no ratio
    ]
    got = {(q["a"], q["b"]): q["ratio"] for q in small_objects.ratios(rows)}
    assert got == {
        ("small_1KiB_get_async_c8", "small_1KiB_get_official_c8"): 3.0,
        ("small_1KiB_get_async_c8", "small_1KiB_get_raw_c8"): 0.5,
        ("small_1KiB_get_sync_c8", "small_1KiB_get_official_c8"): 1.5,
        ("small_1KiB_get_sync_c8", "small_1KiB_get_raw_c8"): 0.25,
    }


def test_listing_ratios() -> None:
    rows = [
        {"id": listing.row_id(c), "client": c, "keys_per_s": v}
        for c, v in (("async", 20.0), ("sync", 10.0), ("official", 5.0), ("raw", 40.0))
    ]
    got = {(q["a"], q["b"]): q["ratio"] for q in listing.ratios(rows)}
    assert got == {
        ("list_async", "list_official"): 4.0,
        ("list_async", "list_raw"): 0.5,
        ("list_sync", "list_official"): 2.0,
        ("list_sync", "list_raw"): 0.25,
    }


def test_progress_writes_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    p = Progress(100, out, tty=False)
    p.start("small objects", "step 1")
    for i in range(100):
        p.start("small objects", f"step {i}")
        p.done(1)
    p.start("listing")
    p.finish()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0].startswith("[  0%]")
    assert lines[-1].startswith("[100%] done in ")
    assert 15 <= len(lines) <= 30  # every 5 %, not every step


def test_progress_redraws_one_line_on_a_terminal() -> None:
    out = io.StringIO()
    p = Progress(4, out, tty=True)
    p.start("large objects", "upload")
    p.done(2)
    p.write("a message")
    p.finish()
    text = out.getvalue()
    assert text.count("\n") == 2  # the message and the end of the bar
    assert "\r\x1b[K[" in text
    assert " 50%" in text
    assert "a message\n" in text


def test_target_addressing_and_signatures() -> None:
    local = Target.local_server("http://127.0.0.1:9000")
    assert not local.virtual_hosted
    assert local.url("a b/c") == "http://127.0.0.1:9000/bench-1250000000/a%20b/c"
    assert local.path("") == "/bench-1250000000/"
    assert "secret" not in repr(local).lower()
    assert local.to_spec() == {
        "endpoint": "http://127.0.0.1:9000",
        "bucket": "bench-1250000000",
        "region": local.region,
        "local": True,
    }

    cos = Target(
        endpoint="https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
        bucket="examplebucket-1250000000",
        region="ap-beijing",
        secret_id="AKIDexample",
        secret_key="example-key",
        token="tok",
        local=False,
    )
    assert cos.virtual_hosted
    assert cos.endpoint == "https://cos.ap-beijing.myqcloud.com"
    assert cos.host == "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"
    assert cos.url("k") == "https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/k"
    assert cos.cos_config().endpoint == "cos.ap-beijing.myqcloud.com"
    headers = cos.sign("GET", "k", extra={"Range": "bytes=0-1"})
    assert headers["x-cos-security-token"] == "tok"
    assert headers["Range"] == "bytes=0-1"
    auth = _signing.Authorization.parse(headers["Authorization"])
    assert auth.header_list == ("host", "range")  # the extra headers are signed too
    _signing.verify(
        auth,
        secret_key="example-key",
        method="GET",
        path="/k",
        params={},
        headers={"host": cos.host, "range": "bytes=0-1"},
        now=auth.sign_time[0] + 60,
    )


def test_target_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COS_SECRET_ID", raising=False)
    with pytest.raises(ValueError, match="COS_SECRET_ID"):
        Target.from_environment("https://cos.ap-shanghai.myqcloud.com", "b-1250000000")
    monkeypatch.setenv("COS_SECRET_ID", "AKIDx")
    monkeypatch.setenv("COS_SECRET_KEY", "k")
    monkeypatch.delenv("COS_REGION", raising=False)
    monkeypatch.delenv("COS_TOKEN", raising=False)
    t = Target.from_environment("https://cos.ap-shanghai.myqcloud.com", "b-1250000000")
    assert (t.region, t.token, t.local) == ("ap-shanghai", None, False)
    monkeypatch.setenv("COS_REGION", "ap-chengdu")
    assert Target.from_environment("http://10.0.0.1:8080", "b-1").region == "ap-chengdu"
    with pytest.raises(ValueError, match="path"):
        Target.from_environment("http://10.0.0.1:8080/prefix", "b-1")


def test_transfer_ratios_check_throughput_floors_and_cpu_ceilings() -> None:
    from benchmarks import transfers

    ids = {i for a, b, *_ in transfers._RATIOS for i in (a, b)}
    results = [{"id": i, "mb_per_s": 1000.0, "client_cpu_s_per_gib": 0.5} for i in ids]
    by_id = {r["id"]: r for r in results}
    by_id["up_ours_default"]["client_cpu_s_per_gib"] = 0.6  # 1.2× the raw file upload's CPU
    ratios = {q["comparison"]: q for q in transfers._ratios(results)}
    cpu = ratios["upload: ours ÷ raw aiohttp reading the same file (signed); CPU ≤ 1.25×"]
    assert cpu["cpu_ratio"] == pytest.approx(1.2)
    assert cpu["met"] is True
    by_id["up_ours_default"]["client_cpu_s_per_gib"] = 0.65  # 1.3×: over the ceiling
    ratios = {q["comparison"]: q for q in transfers._ratios(results)}
    assert ratios[cpu["comparison"]]["met"] is False
    equal = ratios["upload: ours ÷ official, equal settings (8 MiB × 5)"]
    assert equal["met"] is False  # 1.0× against a floor of 1.3×
    by_id["up_ours_8x5"]["mb_per_s"] = 1300.0
    ratios = {q["comparison"]: q for q in transfers._ratios(results)}
    assert ratios[equal["comparison"]]["met"] is True
    assert ratios["download: ours (no verify) ÷ official EnableCRC=False, defaults"]["met"] is None
