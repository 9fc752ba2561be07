"""The benchmark report: ``summary.md``, ``summary.csv`` / ``cells.csv`` and PNG figures, from a results file."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mitigate.bench._aggregate import Aggregate, Comparison, aggregate, compare_to_reference, rank_strategies, winners
from mitigate.bench._plots import plot_nt_vs_gain, plot_pt_nt_bars, plot_slice_heatmap
from mitigate.bench._results import read_results

__all__ = ["read_grids", "write_report"]


def _pct(mean: float, ci: float) -> str:
    if mean is None or math.isnan(mean):
        return "–"
    return f"{100 * mean:.2f}" if math.isnan(ci) else f"{100 * mean:.2f} ± {100 * ci:.2f}"


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 else "<1e-4"


def read_grids(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Records of every results file, first occurrence per cell. Grids of different configs may be read together
    (e.g. extra strategies run later beside a reference grid); two versions of one config are refused.

    >>> read_grids([])
    Traceback (most recent call last):
    ...
    ValueError: No results in : nothing to report.
    """
    records: dict[str, dict[str, Any]] = {}
    hashes: dict[str, dict[str, str | Path]] = {}
    for path in paths:
        for record in read_results(path):
            hashes.setdefault(str(record.get("config_name")), {}).setdefault(str(record.get("config_hash")), path)
            records.setdefault(str(record.get("cell")), record)
    for name, versions in hashes.items():
        if len(versions) > 1:
            described = ", ".join(f"{h!r} (first in {p})" for h, p in versions.items())
            raise ValueError(
                f"Refusing to report results of different config versions together: config {name!r} has {described}."
            )
    if not records:
        raise ValueError(f"No results in {', '.join(map(str, paths))}: nothing to report.")
    return list(records.values())


def write_report(
    *, results: str | Path | Sequence[str | Path], out_dir: str | Path, reference: str | None = "fine-tune"
) -> Path:
    """Write ``summary.md``, ``summary.csv``, ``cells.csv``, ``comparison.csv`` and three PNG figures; returns the
    markdown path.

    ``reference`` is the strategy label every other strategy of a pair is compared with, paired by seed
    (``compare_to_reference``); pairs without it get no comparison, and ``None`` turns it off.

    >>> import tempfile, pathlib
    >>> from mitigate.bench import parse_config, run_benchmark
    >>> grid = parse_config('seeds = [0, 1]\\n[[pairs]]\\nfactory = "mitigate.bench._fakes:FakeTaggingScenario"\\n'
    ...                     '[[strategies]]\\nstrategy = "none"\\n')
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = run_benchmark(config=grid, out_dir=out, progress=False, report=False)
    >>> write_report(results=out / "results.jsonl", out_dir=out / "report").name
    'summary.md'
    """
    paths = [Path(results)] if isinstance(results, (str, Path)) else [Path(p) for p in results]
    # Workers finish cells in any order: sort, so tables and figures list pairs and strategies the same way every
    # time (pairs by name; the reference first, then strategies by name).
    records = sorted(read_grids(paths), key=lambda r: (str(r["pair"]), r["strategy"] != reference, str(r["strategy"]), r["seed"]))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = aggregate(records)
    comparisons = [] if reference is None else compare_to_reference(records, reference=reference)
    _write_csv(out / "summary.csv", [row.row() for row in rows])
    _write_csv(out / "cells.csv", [_cell_row(record) for record in records])
    _write_csv(out / "comparison.csv", [_comparison_row(c) for c in comparisons])
    figures = {
        "PT / NT per strategy": plot_pt_nt_bars(rows, out / "pt_nt_bars.png").name,
        "NT vs gain": plot_nt_vs_gain(rows, out / "nt_vs_gain.png").name,
        "NT per kind of item": plot_slice_heatmap(rows, out / "slice_nt_heatmap.png").name,
    }
    path = out / "summary.md"
    path.write_text(_markdown(records, rows, comparisons, figures, paths), encoding="utf-8")
    return path


def _comparison_row(comparison: Comparison) -> dict[str, Any]:
    return {
        "pair": comparison.pair, "strategy": comparison.strategy, "reference": comparison.reference,
        "n_seeds": len(comparison.seeds), "delta_gain": comparison.gain[0], "delta_gain_ci95": comparison.gain[1],
        "delta_nt": comparison.nt[0], "delta_nt_ci95": comparison.nt[1], "verdict": comparison.verdict,
    }


def _cell_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {key: record.get(key) for key in ("cell", "pair", "strategy", "seed", "split", "seconds", "config_hash")}
    row.update(record["metrics"])
    return row


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    names = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)


def _markdown(
    records: list[dict[str, Any]], rows: list[Aggregate], comparisons: list[Comparison], figures: dict[str, str],
    paths: list[Path],
) -> str:
    first = records[0]
    seeds = sorted({record["seed"] for record in records})
    lines = [
        f"# Benchmark `{first.get('config_name', '?')}`",
        "",
        f"Config hash `{first.get('config_hash')}`, split `{first.get('split')}`, seeds {seeds}, {len(records)} cells,"
        f" from {', '.join(f'`{p}`' for p in paths)}.",
        "",
        "Values are % of evaluated items, mean ± half-width of the 95% t-interval over seeds. PT: wrong under scratch,"
        " right after transfer; NT: right under scratch, wrong after transfer; gain = PT − NT = acc(transfer) −"
        " acc(scratch), each against the scratch model of the same seed. McNemar p: exact test on the PT / NT counts"
        " pooled over seeds. Churn floor: NT of one scratch seed against another, averaged over seed pairs (the noise"
        " any NT must be read against). Excess NT: the evaluator's matched consensus NT minus matched churn, over all"
        " scratch seeds (`mitigate.evaluation`, seed noise); churn and excess NT need two or more seeds.",
        "",
    ]
    won = winners(rows)
    has_f1 = any(not math.isnan(row.mean["f1_transfer"]) for row in rows)
    for pair in dict.fromkeys(row.pair for row in rows):
        group = [row for row in rows if row.pair == pair]
        lines += [f"## {pair}", ""]
        header = ["strategy", "seeds", "acc scratch", "acc transfer"]
        header += ["F1 scratch", "F1 transfer"] if has_f1 else []
        header += ["PT", "NT", "gain", "McNemar p", "churn floor", "excess NT"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in group:
            cells = [f"**{row.strategy}**" if won.get(pair) == row.strategy else row.strategy, str(len(row.seeds))]
            measures = ["acc_scratch", "acc_transfer"] + (["f1_scratch", "f1_transfer"] if has_f1 else [])
            cells += [_pct(row.mean[m], row.ci[m]) for m in measures]
            cells += [_pct(row.mean[m], row.ci[m]) for m in ("pt", "nt", "gain")]
            cells += [_p(row.mcnemar_p), _pct(row.mean["churn"], float("nan")), _pct(row.mean["excess_nt"], row.ci["excess_nt"])]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", f"Winner (highest mean gain, ties to lower NT): **{won[pair]}**.", ""]
        against = [c for c in comparisons if c.pair == pair]
        if against:
            lines += [
                f"Against `{against[0].reference}`, paired by seed (mean difference ± 95% t half-width over seeds):",
                "",
                "| strategy | seeds | Δ gain | Δ NT | verdict |",
                "|---|---|---|---|---|",
            ]
            lines += [f"| {c.strategy} | {len(c.seeds)} | {_pct(*c.gain)} | {_pct(*c.nt)} | {c.verdict} |" for c in against]
            lines.append("")
    lines += ["## Ranking across pairs", "", "| rank | strategy | mean rank of gain | wins | pairs |", "|---|---|---|---|---|"]
    for position, (strategy, mean_rank, wins, n_pairs) in enumerate(rank_strategies(rows), start=1):
        lines.append(f"| {position} | {strategy} | {mean_rank:.2f} | {wins} | {n_pairs} |")
    if comparisons:
        reference = comparisons[0].reference
        lines += ["", f"## Lower NT than `{reference}` without losing gain", ""]
        for pair in dict.fromkeys(c.pair for c in comparisons):
            kept = [c.strategy for c in comparisons if c.pair == pair and c.verdict == "lower NT, gain kept"]
            lines.append(f"- {pair}: {', '.join(kept) if kept else 'none'}")
    lines += ["", "## Figures", ""]
    lines += [f"![{title}]({name})" for title, name in figures.items()]
    lines += ["", "Tables as CSV: `summary.csv` (per pair and strategy), `cells.csv` (per cell), `comparison.csv` (against"
              " the reference).", ""]
    return "\n".join(lines)
