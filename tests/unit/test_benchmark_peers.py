"""The S3 peers suite's plan and ratios (``benchmarks.peers``), without servers or clients."""

from __future__ import annotations

import pytest

from benchmarks import peers

MiB = 1024 * 1024


def test_every_peer_is_measured_both_ways_against_ours() -> None:
    ms = peers.transfer_measurements(256 * MiB)
    ids = [m["id"] for m in ms]
    assert len(ids) == len(set(ids))
    for op in ("upload", "download"):
        clients = {m["client"] for m in ms if m["op"] == op}
        assert clients == {"ours", *peers.PEERS}
    equal = [m for m in ms if m["id"].endswith("_equal")]
    assert {m["client"] for m in equal} == {"boto3", "aioboto3"}
    assert all(m["spec"]["part_size"] and m["spec"]["concurrency"] for m in equal)


def test_transfer_ratios_are_ours_over_each_peer() -> None:
    results = [
        {
            "id": "up_ours",
            "client": "ours",
            "settings": "",
            "mb_per_s": 600.0,
            "client_cpu_s_per_gib": 1.0,
        },
        {
            "id": "up_boto3",
            "client": "boto3",
            "settings": "defaults",
            "mb_per_s": 300.0,
            "client_cpu_s_per_gib": 2.0,
        },
        {
            "id": "down_ours",
            "client": "ours",
            "settings": "",
            "mb_per_s": 900.0,
            "client_cpu_s_per_gib": 0.5,
        },
        {
            "id": "down_s3fs",
            "client": "s3fs",
            "settings": "defaults",
            "mb_per_s": 450.0,
            "client_cpu_s_per_gib": 4.0,
        },
    ]
    ratios = {(q["a"], q["b"]): q for q in peers.transfer_ratios(results)}
    assert set(ratios) == {("up_ours", "up_boto3"), ("down_ours", "down_s3fs")}
    assert ratios["up_ours", "up_boto3"]["throughput_ratio"] == pytest.approx(2.0)
    assert ratios["up_ours", "up_boto3"]["cpu_ratio"] == pytest.approx(0.5)
    assert ratios["down_ours", "down_s3fs"]["throughput_ratio"] == pytest.approx(2.0)
    assert ratios["down_ours", "down_s3fs"]["cpu_ratio"] == pytest.approx(0.125)
