"""The main suite's chart (PNG, matplotlib's Agg backend): ours vs the official SDK vs raw aiohttp.

Top rows: one panel per small-object (size, operation), ops/s per concurrency level, a bar per
client. Bottom row: MB/s of the large-object uploads and downloads, and keys/s of the listing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._report import fmt_size

COLORS = {
    "async": "#1f77b4",
    "sync": "#6baed6",
    "ours": "#1f77b4",
    "official": "#ff7f0e",
    "raw": "#7f7f7f",
}
LABELS = {
    "async": "cos-async (async; ours in the large-object panels)",
    "sync": "cos-async (cos_sync facade)",
    "official": "official SDK",
    "raw": "raw aiohttp",
}
SHORT = {"async": "async", "sync": "sync facade", "official": "official", "raw": "raw aiohttp"}


def write_chart(doc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    sections = doc["sections"]
    small = sections.get("small_objects")
    large = sections.get("large_objects")
    listing = sections.get("listing")
    small_panels = [(size, op) for size in small["sizes"] for op in small["ops"]] if small else []
    ncols = 3
    nrows = max(1, -(-len(small_panels) // ncols) + (1 if large or listing else 0))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(16, 3.6 * nrows + 0.8), squeeze=False, layout="constrained"
    )
    cells = [ax for row in axes for ax in row]
    used = 0

    if small:
        clients = small["clients"]
        levels = small["concurrency"]
        width = 0.8 / len(clients)
        by_key = {(r["size"], r["op"], r["client"], r["concurrency"]): r for r in small["rows"]}
        for size, op in small_panels:
            ax = cells[used]
            used += 1
            for j, client in enumerate(clients):
                xs = [i + (j - (len(clients) - 1) / 2) * width for i in range(len(levels))]
                ys = [by_key[size, op, client, c]["ops_per_s"] for c in levels]
                ax.bar(xs, ys, width, color=COLORS[client])
            ax.set_xticks(range(len(levels)), [f"{c} at a time" for c in levels])
            ax.set_title(f"{fmt_size(size)} {op}: ops/s")
            ax.grid(axis="y", alpha=0.3)
        used = -(-used // ncols) * ncols  # the large objects start a new row

    if large:
        for op in ("upload", "download"):
            rows = [r for r in large["rows"] if r["op"] == op]
            ax = cells[used]
            used += 1
            ys = list(range(len(rows)))
            ax.barh(ys, [r["mb_per_s"] for r in rows], color=[COLORS[r["client"]] for r in rows])
            ax.set_yticks(ys, [r.get("label", r["id"]) for r in rows], fontsize=8)
            ax.invert_yaxis()
            ax.set_title(f"{fmt_size(large['size'])} {op_title(op)}: MB/s")
            ax.grid(axis="x", alpha=0.3)

    if listing:
        ax = cells[used]
        used += 1
        rows = listing["rows"]
        ax.bar(
            [SHORT[r["client"]] for r in rows],
            [r["keys_per_s"] for r in rows],
            color=[COLORS[r["client"]] for r in rows],
        )
        ax.set_title(f"list_objects over {listing['keys']:,} keys: keys/s")
        ax.grid(axis="y", alpha=0.3)

    for ax in cells[used:]:
        ax.axis("off")
    clients_shown = ["async", "sync", "official", "raw"]
    fig.legend(
        handles=[Patch(color=COLORS[c]) for c in clients_shown],
        labels=[LABELS[c] for c in clients_shown],
        loc="outside lower center",
        ncols=len(clients_shown),
    )
    target = doc["target"]
    where = "local COS server" if target["local"] else target["endpoint"]
    fig.suptitle(
        f"cos-async vs the official SDK vs raw aiohttp ({where}; {doc['machine']['cpus']} CPUs, "
        f"Python {doc['machine']['python']}{'; --quick' if doc['quick'] else ''})"
    )
    fig.savefig(path, dpi=100)
    plt.close(fig)


def op_title(op: str) -> str:
    return {"upload": "upload_file", "download": "download_file"}.get(op, op)
