"""Markdown rendering of a :class:`~mitigate.evaluation.TransferReport`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mitigate.evaluation._result import Interval, TransferReport

__all__ = ["render_markdown"]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def _pm(value: float, std: float | None) -> str:
    return _pct(value) if std is None else f"{value:.2%} ± {std:.2%}"


def _ci(interval: Interval | None) -> str:
    return "–" if interval is None else f"[{interval.low:.2%}, {interval.high:.2%}]"


def _count(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def render_markdown(report: TransferReport) -> str:
    """Render ``report`` as markdown (tables plus the seed-noise verdict)."""
    seeds = f"{report.n_scratch_seeds} scratch × {report.n_transfer_seeds} transfer seeds ({report.pairing})"
    unit = f"{report.n:,} items" + (f" in {report.n_sentences:,} sentences" if report.n_sentences is not None else "")
    level = next((ci.level for ci in (report.pt_ci, report.nt_ci) if ci is not None), None)
    ci_head = f"{level:.0%} CI" if level is not None else "CI"
    lines = [
        "## Transfer report",
        "",
        f"{unit}; {seeds}; bootstrap: {report.n_bootstrap} resamples of {report.bootstrap_unit}s.",
        "",
        f"| metric | value (mean ± std over seeds or pairs) | count | {ci_head} |",
        "|---|---|---|---|",
        f"| scratch accuracy | {_pm(report.scratch_accuracy, report.scratch_accuracy_std)} | | |",
        f"| transfer accuracy | {_pm(report.transfer_accuracy, report.transfer_accuracy_std)} | | |",
        f"| PT (corrected) | {_pm(report.pt, report.pt_std)} | {_count(report.pt_count)} | {_ci(report.pt_ci)} |",
        f"| NT (falsified) | {_pm(report.nt, report.nt_std)} | {_count(report.nt_count)} | {_ci(report.nt_ci)} |",
        f"| gain = PT − NT | {_pm(report.gain, report.gain_std)} | {_count(report.gain_count)} | "
        f"{_ci(report.gain_ci)} |",
        f"| NTG = err(transfer) − err(scratch) | {_pct(report.ntg)} | | |",
        f"| McNemar exact p (max over pairs) | {report.mcnemar_p:.3g} | | |",
    ]
    if report.churn_floor is not None:
        lines.append(f"| churn floor (scratch vs scratch NT) | {_pm(report.churn_floor, report.churn_floor_std)} | | |")
    noise = report.seed_noise
    if noise is not None:
        lines += [
            "",
            "### Negative transfer versus seed noise",
            "",
            f"**{noise.verdict}**",
            "",
            f"| statistic (consensus share {noise.consensus:g}) | NT | PT |",
            "|---|---|---|",
            f"| plain (mean over pairs) | {_pct(report.nt)} | {_pct(report.pt)} |",
            f"| consensus of all {noise.n_scratch_seeds} scratch seeds | {_pct(noise.consensus_nt)} | "
            f"{_pct(noise.consensus_pt)} |",
            f"| matched consensus (leave one scratch seed out) | {_pct(noise.matched_nt)} | {_pct(noise.matched_pt)} |",
            f"| matched churn (left-out seed as 'transfer') | {_pct(noise.matched_churn_nt)} | "
            f"{_pct(noise.matched_churn_pt)} |",
            f"| **excess** = matched − churn | **{noise.excess_nt:+.2%}** | **{noise.excess_pt:+.2%}** |",
            f"| excess CI | {_ci(noise.excess_nt_ci)} | {_ci(noise.excess_pt_ci)} |",
            f"| one-sided p (excess <= 0) | {_p(noise.excess_nt_p)} | {_p(noise.excess_pt_p)} |",
            f"| reliable (in every seed pair) | {noise.reliably_falsified_count} ({_pct(noise.reliably_falsified)}) | "
            f"{noise.reliably_corrected_count} ({_pct(noise.reliably_corrected)}) |",
        ]
        if noise.top_reliably_falsified:
            lines += ["", "Reliably falsified tokens:", "", "| token | count | gold → transfer |", "|---|---|---|"]
            lines += [f"| `{t.token}` | {t.count} | {t.gold} → {t.predicted} |" for t in noise.top_reliably_falsified]
    if len(report.pairs) > 1:
        lines += ["", "### Seed pairs", "", "| scratch | transfer | PT | NT | gain | McNemar p |"]
        lines.append("|---|---|---|---|---|---|")
        lines += [
            f"| {p.scratch_seed} | {p.transfer_seed} | {_pct(p.pt)} ({p.pt_count}) | {_pct(p.nt)} ({p.nt_count}) | "
            f"{_pct(p.gain)} | {p.mcnemar_p:.3g} |"
            for p in report.pairs
        ]
    if report.per_class:
        lines += ["", "### Per gold class (by NT count)", "", "| class | support | PT | NT |", "|---|---|---|---|"]
        lines += [
            f"| {c.label} | {c.support} | {_pct(c.pt)} ({_count(c.pt_count)}) | {_pct(c.nt)} ({_count(c.nt_count)}) |"
            for c in report.per_class[:20]
        ]
        if len(report.per_class) > 20:
            lines.append(f"| … {len(report.per_class) - 20} more in `to_dict()` | | | |")
    if report.top_confusions:
        lines += ["", "### Top falsified confusions (gold → transfer, summed over pairs)", ""]
        lines += ["| gold → transfer | count | examples |", "|---|---|---|"]
        lines += [
            f"| {c.gold} → {c.predicted} | {c.count} | {', '.join(f'`{e}`' for e in c.examples)} |"
            for c in report.top_confusions
        ]
    if report.slices:
        lines += ["", "### Slices", ""]
        lines.append("| slice | n | scratch acc | transfer acc | PT | NT | gain | reliably falsified |")
        lines.append("|---|---|---|---|---|---|---|---|")
        lines += [
            f"| {s.name} | {s.n} | {_pct(s.scratch_accuracy)} | {_pct(s.transfer_accuracy)} | {_pct(s.pt)} | "
            f"{_pct(s.nt)} | {_pct(s.gain)} | {'–' if s.reliably_falsified is None else s.reliably_falsified} |"
            for s in report.slices
        ]
    if report.spans is not None:
        spans = report.spans
        lines += [
            "",
            "### Spans (exact match)",
            "",
            "| gold spans | scratch F1 | transfer F1 | span PT | span NT |",
            "|---|---|---|---|---|",
            f"| {spans.n_gold_spans} | {_pm(spans.scratch_f1, spans.scratch_f1_std)} | "
            f"{_pm(spans.transfer_f1, spans.transfer_f1_std)} | {_pct(spans.pt)} ({_count(spans.pt_count)}) | "
            f"{_pct(spans.nt)} ({_count(spans.nt_count)}) |",
        ]
    if report.notes:
        lines += ["", *[f"> {note}" for note in report.notes]]
    return "\n".join(lines) + "\n"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"
