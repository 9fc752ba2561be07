"""The condensed tables of docs/results.md from benchmark results files (``mitigate bench`` output).

    python experiments/bench_tables.py RESULTS [RESULTS ...] [--reference fine-tune] [--layers wre fe classifier]
        [--pairs P ...] [--strategies S ...] [--slices]

Prints, per pair and strategy: accuracy (span F1 where the pair has spans), PT, NT, gain, the churn floor, and the
strategy against the reference strategy paired by seed (Δ gain, Δ NT, verdict), all from
``mitigate.bench.aggregate`` / ``compare_to_reference``. Where records hold ``SimilarityFreezing`` states, also prints
the per-layer CKA and the layers frozen, per pair and seed; with ``--slices``, the NT within each kind of token.
Percentages of items; ± is the 95% t half-width over seeds. Results files are read like ``mitigate bench report``
reads them (``read_grids``: one record per cell; two versions of one config are refused).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from mitigate.bench import aggregate, compare_to_reference, read_grids


def _pct(mean: float, ci: float | None = None) -> str:
    if mean is None or math.isnan(mean):
        return "–"
    if ci is None or math.isnan(ci):
        return f"{100 * mean:+.2f}" if ci is not None else f"{100 * mean:.2f}"
    return f"{100 * mean:+.2f} ± {100 * ci:.2f}"


def _ordered(records: list[dict[str, Any]], pairs: list[str] | None, strategies: list[str] | None) -> list[dict[str, Any]]:
    """Records sorted by the given pair and strategy orders (names not listed follow, in order of appearance)."""
    def rank(order: list[str] | None, name: str, seen: dict[str, int]) -> int:
        seen.setdefault(name, len(seen))
        return order.index(name) if order and name in order else len(order or []) + seen[name]

    seen_pairs: dict[str, int] = {}
    seen_strategies: dict[str, int] = {}
    keys = [(rank(pairs, r["pair"], seen_pairs), rank(strategies, r["strategy"], seen_strategies), r["seed"]) for r in records]
    return [record for _, record in sorted(zip(keys, records), key=lambda item: item[0])]


def strategy_table(records: list[dict[str, Any]], *, reference: str) -> list[str]:
    rows = aggregate(records)
    against = {(c.pair, c.strategy): c for c in compare_to_reference(records, reference=reference)}
    lines = [
        f"| pair | strategy | seeds | acc (F1) | PT | NT | gain | churn floor | Δ gain vs {reference} | Δ NT vs {reference} | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        f1 = row.mean["f1_transfer"]
        score = _pct(row.mean["acc_transfer"]) + ("" if math.isnan(f1) else f" ({_pct(f1)})")
        c = against.get((row.pair, row.strategy))
        if c is not None:
            tail = [_pct(*c.gain), _pct(*c.nt), c.verdict]
        else:
            tail = ["–", "–", "reference" if row.strategy == reference else f"no {reference} run for this pair"]
        lines.append(
            f"| {row.pair} | {row.strategy} | {len(row.seeds)} | {score} | {_pct(row.mean['pt'])} | {_pct(row.mean['nt'])} | "
            f"{_pct(row.mean['gain'], row.ci['gain'])} | {_pct(row.mean['churn'])} | " + " | ".join(tail) + " |"
        )
    return lines


def slice_table(records: list[dict[str, Any]]) -> list[str]:
    """NT within each kind of item (% of that kind's items, pooled over seeds), per pair and strategy."""
    rows = aggregate(records)
    kinds = [kind for kind in dict.fromkeys(k for row in rows for k in row.slices) if kind != "all"]
    if not kinds:
        return []
    lines = ["| pair | strategy | " + " | ".join(f"NT {kind}" for kind in kinds) + " |", "|---|---|" + "---|" * len(kinds)]
    for row in rows:
        cells = []
        for kind in kinds:
            n, _, nt = row.slices.get(kind, [0, 0, 0])
            cells.append(f"{100 * nt / n:.1f} (n={n // len(row.seeds)})" if n else "–")
        lines.append(f"| {row.pair} | {row.strategy} | " + " | ".join(cells) + " |")
    return lines


def similarity_table(records: list[dict[str, Any]], *, layers: list[str] | None = None) -> list[str]:
    found = []
    for record in records:
        for entry in record.get("strategy_states") or []:
            if entry and entry.get("strategy") == "SimilarityFreezing":
                found.append((record["pair"], record["strategy"], record["seed"], entry["state"]))
    if not found:
        return []
    # Results files store keys sorted, so the bottom-to-top order of the layers comes from ``layers`` when given.
    layers = layers or list(dict.fromkeys(layer for *_, state in found for layer in state["similarity"]))
    lines = ["| pair | strategy | seed | " + " | ".join(f"CKA {layer}" for layer in layers) + " | frozen |",
             "|---|---|---|" + "---|" * len(layers) + "---|"]
    for pair, strategy, seed, state in sorted(found, key=lambda item: (item[0], item[1], item[2])):
        scores = " | ".join(f"{state['similarity'][layer]:.3f}" if layer in state["similarity"] else "–" for layer in layers)
        lines.append(f"| {pair} | {strategy} | {seed} | {scores} | {', '.join(state['frozen_layers']) or 'nothing'} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--reference", default="fine-tune")
    parser.add_argument("--pairs", nargs="+", default=None, help="row order of the pairs")
    parser.add_argument("--strategies", nargs="+", default=None, help="row order of the strategies")
    parser.add_argument("--slices", action="store_true", help="also the NT within each kind of token, per strategy")
    parser.add_argument("--layers", nargs="+", default=None, help="CKA columns, bottom to top (e.g. wre fe classifier)")
    args = parser.parse_args(argv)
    ordered = _ordered(read_grids(args.results), args.pairs, args.strategies)
    print("\n".join(strategy_table(ordered, reference=args.reference)))
    if args.slices:
        print()
        print("\n".join(slice_table(ordered)))
    similarity = similarity_table(ordered, layers=args.layers)
    if similarity:
        print()
        print("\n".join(similarity))
    return 0


if __name__ == "__main__":
    sys.exit(main())
