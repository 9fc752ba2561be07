"""``run_demo``: scratch vs transfer with several seeds, evaluated and written to a report folder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mitigate.demo._figure import plot_pt_nt

if TYPE_CHECKING:
    from mitigate.evaluation import TransferReport
    from mitigate.models import TransferScenario

__all__ = ["DemoResult", "run_demo", "build_demo_scenario", "DEFAULT_PAIR"]

DEFAULT_PAIR = "wsj-pos:tpos"


@dataclass(frozen=True)
class DemoResult:
    """What ``run_demo`` produced: the evaluator's report and the files written."""

    scenario: str
    report: TransferReport
    markdown_path: Path
    json_path: Path
    figure_path: Path
    seconds: float


def build_demo_scenario(*, quick: bool = False, data_dir: str | Path | None = None, pair: str | None = None) -> TransferScenario:
    """The demo's scenario: without ``data_dir``, the embedded digits pair (scikit-learn's bundled digits, upright →
    rotated by 20° with 5 labels per class; no download); with ``data_dir``, the registry ``pair`` ``"source:target"``
    with the study's tagger (CPU preset).

    >>> build_demo_scenario(quick=True).name
    'digits-upright->digits-rotated'
    """
    from mitigate.models import DigitsScenario, TaggingScenario, TrainConfig

    if data_dir is None:
        if pair is not None:
            raise ValueError(f"Expected argument `data_dir` when `pair` is given (a registry pair needs the corpora), but got pair={pair!r} without it.")
        return DigitsScenario.embedded(
            per_class=5,
            angle=20.0,
            train_config=TrainConfig(batch_size=16, max_epochs=8 if quick else 60, patience=4 if quick else 10),
            source_config=TrainConfig(batch_size=32, max_epochs=5 if quick else 30, patience=5),
        )
    pair = pair or DEFAULT_PAIR
    source, sep, target = pair.partition(":")
    if not sep or not source or not target:
        raise ValueError(f"Expected argument `pair` as 'source:target' (e.g. {DEFAULT_PAIR!r}), but got {pair!r}.")
    return TaggingScenario(
        source=source,
        target=target,
        data_dir=data_dir,
        preset="tiny" if quick else "cpu",
        train_config=TrainConfig(max_epochs=2 if quick else 20, patience=4),
        source_config=TrainConfig(max_epochs=1 if quick else 8, patience=2),
    )


def run_demo(
    *,
    out: str | Path = "mitigate-report",
    seeds: Sequence[int] = (0, 1, 2),
    quick: bool = False,
    data_dir: str | Path | None = None,
    pair: str | None = None,
    progress: bool = True,
    echo: Callable[[str], Any] = print,
) -> DemoResult:
    """Pretrain the source once (seed 0), train scratch and transfer for every seed, evaluate on the target test
    split with ``mitigate.evaluation.transfer_report``, print the PT / NT table and write ``report.md``,
    ``report.json`` and ``pt_nt.png`` to ``out``.

    >>> import tempfile
    >>> result = run_demo(out=tempfile.mkdtemp(), seeds=(0, 1), quick=True, progress=False, echo=lambda s: None)
    >>> abs(result.report.gain - (result.report.transfer_accuracy - result.report.scratch_accuracy)) < 1e-9
    True
    """
    import torch
    from tqdm.auto import tqdm

    from mitigate.evaluation import transfer_report

    seeds = list(seeds)
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"Expected argument `seeds` to hold >= 2 distinct seeds (for the churn floor), but got {seeds}.")
    torch.set_num_threads(1)
    start = time.perf_counter()
    scenario = build_demo_scenario(quick=quick, data_dir=data_dir, pair=pair)
    echo(f"mitigate demo: {scenario.name}, seeds {seeds}{' (quick)' if quick else ''}")
    bar = tqdm(total=1 + 2 * len(seeds), desc="training", unit="model", disable=not progress)
    bar.set_postfix_str("source")
    source = scenario.pretrain(seed=0)
    bar.update(1)
    scratch, transfer = [], []
    for seed in seeds:
        bar.set_postfix_str(f"scratch seed {seed}")
        scratch.append(scenario.predict(scenario.fit_scratch(seed=seed), split="test"))
        bar.update(1)
        bar.set_postfix_str(f"transfer seed {seed}")
        transfer.append(scenario.predict(scenario.fit_transfer(source=source, seed=seed), split="test"))
        bar.update(1)
    bar.close()
    report = transfer_report(
        gold=scenario.gold(split="test"),
        scratch_seeds=scratch,
        transfer_seeds=transfer,
        tokens=scenario.tokens(split="test"),
        n_bootstrap=200 if quick else 1000,
    )
    seconds = time.perf_counter() - start
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    figure = plot_pt_nt(
        labels=[*(f"seed {p.scratch_seed}" for p in report.pairs), "mean"],
        pt=[*(p.pt for p in report.pairs), report.pt],
        nt=[*(p.nt for p in report.pairs), report.nt],
        churn=[*(None for _ in report.pairs), report.churn_floor],
        path=out / "pt_nt.png",
        title=f"{scenario.name}: scratch vs transfer on the test split",
    )
    json_path = out / "report.json"
    json_path.write_text(report.to_json())
    command = "mitigate demo" + (" --quick" if quick else "") + (f" --data-dir {data_dir} --pair {pair or DEFAULT_PAIR}" if data_dir else "")
    markdown = "\n".join([
        f"# mitigate demo: {scenario.name}",
        "",
        f"Command: `{command} --seeds {' '.join(map(str, seeds))}`; source pretrained with seed 0; "
        f"wall time {seconds:.0f} s.",
        "",
        report.to_markdown(),
        "",
        "![PT and NT per seed pair](pt_nt.png)",
        "",
    ])
    markdown_path = out / "report.md"
    markdown_path.write_text(markdown)
    echo(summary_table(report))
    echo(f"report: {markdown_path}  figure: {figure}  ({seconds:.0f} s)")
    return DemoResult(scenario.name, report, markdown_path, json_path, figure, seconds)


def summary_table(report: TransferReport) -> str:
    """A compact PT / NT table, one row per seed pair plus the mean (for the terminal)."""
    rows = ["| seeds (scratch, transfer) | scratch acc | transfer acc | PT | NT | gain | McNemar p |", "|---|---|---|---|---|---|---|"]
    for p in report.pairs:
        rows.append(
            f"| {p.scratch_seed}, {p.transfer_seed} | {p.scratch_accuracy:.2%} | {p.transfer_accuracy:.2%} | {p.pt:.2%} "
            f"| {p.nt:.2%} | {p.gain:+.2%} | {p.mcnemar_p:.3g} |"
        )
    rows.append(
        f"| mean | {report.scratch_accuracy:.2%} | {report.transfer_accuracy:.2%} | {report.pt:.2%} | {report.nt:.2%} "
        f"| {report.gain:+.2%} | |"
    )
    if report.churn_floor is not None:
        rows.append(f"\nchurn floor (NT of scratch vs scratch): {report.churn_floor:.2%}")
    if report.seed_noise is not None:
        rows.append(f"excess NT beyond seed noise: {report.seed_noise.excess_nt:+.2%} — {report.seed_noise.verdict}")
    return "\n".join(rows)
