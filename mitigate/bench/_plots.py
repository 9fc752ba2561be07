"""The report's figures: PT/NT bars per strategy (the study's Figure 1), NT vs gain, per-slice NT heatmaps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mitigate.bench._aggregate import Aggregate

__all__ = ["plot_nt_vs_gain", "plot_pt_nt_bars", "plot_slice_heatmap"]

# The evaluator's token slices, in the order the study lists falsified tokens; other kinds (classes) follow sorted.
SLICE_ORDER: tuple[str, ...] = ("all", "capitalised", "all_caps", "contraction", "hashtag_mention_url", "digits", "oov")


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _pairs(rows: Sequence[Aggregate]) -> list[str]:
    return list(dict.fromkeys(row.pair for row in rows))


def _err(value: float) -> float:
    return 0.0 if math.isnan(value) else 100 * value


def _save(plt: Any, figure: Any, path: str | Path) -> Path:
    """Lay out, write the PNG and free the figure (every plot here ends this way)."""
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return Path(path)


def plot_pt_nt_bars(rows: Sequence[Aggregate], path: str | Path) -> Path:
    """Per pair, PT (corrected) and NT (falsified) in % per strategy, with 95% CIs and the churn floor dashed."""
    plt = _pyplot()
    pairs = _pairs(rows)
    columns = min(2, len(pairs))  # two panels a row keeps many pairs readable
    lines = math.ceil(len(pairs) / columns)
    width = max(4.5, 2 + 0.8 * len(rows) / len(pairs))
    figure, axes = plt.subplots(lines, columns, figsize=(width * columns, 4 * lines), squeeze=False)
    for axis in axes.flat[len(pairs):]:
        axis.set_visible(False)
    for axis, pair in zip(axes.flat, pairs):
        group = [row for row in rows if row.pair == pair]
        x = np.arange(len(group))
        axis.bar(x - 0.2, [100 * r.mean["pt"] for r in group], 0.4, yerr=[_err(r.ci["pt"]) for r in group],
                 color="#4c9a2a", label="PT (corrected)", capsize=3)
        axis.bar(x + 0.2, [100 * r.mean["nt"] for r in group], 0.4, yerr=[_err(r.ci["nt"]) for r in group],
                 color="#c0392b", label="NT (falsified)", capsize=3)
        churn = [r.mean["churn"] for r in group if not math.isnan(r.mean["churn"])]
        if churn:
            axis.axhline(100 * float(np.mean(churn)), color="grey", linestyle="--", linewidth=1, label="churn floor")
        axis.set_xticks(x, [r.strategy for r in group], rotation=30, ha="right")
        axis.set_title(pair)
        axis.set_ylabel("% of items")
    axes[0][0].legend(fontsize="small")
    return _save(plt, figure, path)


def plot_nt_vs_gain(rows: Sequence[Aggregate], path: str | Path) -> Path:
    """Each (pair, strategy) as a point: NT on x, gain on y (up-left is better)."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 4.5))
    markers = "osD^vP*X"
    strategies = list(dict.fromkeys(row.strategy for row in rows))
    colours = plt.get_cmap("tab10")
    for index, pair in enumerate(_pairs(rows)):
        for row in (r for r in rows if r.pair == pair):
            axis.errorbar(100 * row.mean["nt"], 100 * row.mean["gain"], xerr=_err(row.ci["nt"]), yerr=_err(row.ci["gain"]),
                          fmt=markers[index % len(markers)], color=colours(strategies.index(row.strategy) % 10),
                          capsize=2, label=f"{pair} · {row.strategy}")
    axis.axhline(0, color="black", linewidth=0.8)
    axis.set_xlabel("NT: % falsified (lower is better)")
    axis.set_ylabel("gain = acc(transfer) − acc(scratch), %")
    axis.legend(fontsize="x-small", loc="best")
    return _save(plt, figure, path)


def plot_slice_heatmap(rows: Sequence[Aggregate], path: str | Path) -> Path:
    """Per pair, NT within each kind of item (% of that kind falsified) for every strategy."""
    plt = _pyplot()
    pairs = _pairs(rows)
    figure, axes = plt.subplots(len(pairs), 1, figsize=(8, 1.2 + 0.45 * len(rows)), squeeze=False)
    for axis, pair in zip(axes[:, 0], pairs):
        group = [row for row in rows if row.pair == pair]
        kinds = sorted({kind for row in group for kind in row.slices},
                       key=lambda kind: (SLICE_ORDER.index(kind) if kind in SLICE_ORDER else len(SLICE_ORDER), kind))
        values = np.array([[100 * row.slices[kind][2] / row.slices[kind][0] if row.slices.get(kind, [0])[0] else np.nan
                            for kind in kinds] for row in group])
        image = axis.imshow(values, aspect="auto", cmap="Reds")
        axis.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right")
        axis.set_yticks(range(len(group)), [row.strategy for row in group])
        axis.set_title(f"{pair}: NT within each kind of item (%)")
        for (i, j), value in np.ndenumerate(values):
            if not np.isnan(value):
                axis.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize="x-small")
        figure.colorbar(image, ax=axis)
    return _save(plt, figure, path)
