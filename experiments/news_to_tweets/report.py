"""News → Tweets: evaluate the saved predictions of ``run.py`` and write results JSON, markdown and the figure.

    python experiments/news_to_tweets/report.py                     # reads out/, writes out/results.{json,md}, out/figure1.png
    python experiments/news_to_tweets/report.py --docs docs/figures  # also copies the summary table + PNG for the docs

Pairs whose stages are not all finished are listed as pending, so the report can run while ``run.py`` still works.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import _slug, _write_json  # noqa: E402


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def evaluate_pair(pair: dict[str, Any], config: dict[str, Any], out: Path) -> dict[str, Any] | None:
    from mitigate.evaluation import transfer_report

    pair_dir = out / _slug(pair["name"])
    stages = {}
    for seed in config["seeds"]:
        for kind in ("scratch", "transfer"):
            path = pair_dir / "stages" / f"{kind}_seed{seed}.json"
            if not path.is_file():
                return None
            stages[f"{kind}_seed{seed}"] = json.loads(path.read_text())
    data = json.loads((pair_dir / "data.json").read_text())
    source_key = f"{pair['source']}-{config['preset']}-seed{config['source_seed']}"
    source_stage = json.loads((out / "sources" / f"{source_key}.stage.json").read_text())
    source_meta = json.loads((out / "sources" / f"{source_key}.json").read_text())
    predictions = {
        kind: [json.loads((pair_dir / "predictions" / f"{kind}_seed{s}.json").read_text())["test"] for s in config["seeds"]]
        for kind in ("scratch", "transfer")
    }
    report = transfer_report(
        gold=data["gold_test"],
        scratch_seeds=predictions["scratch"],
        transfer_seeds=predictions["transfer"],
        tokens=data["tokens_test"],
        source_vocab=source_meta["vocab"]["words"][2:],
        n_bootstrap=1000,
        seed=0,
    )
    (pair_dir / "report.md").write_text(f"# {pair['name']}\n\n" + report.to_markdown() + "\n")
    return {
        "pair": pair,
        "task": data["task"],
        "sizes": data["sizes"],
        "source_sizes": data["source_sizes"],
        "unseen_test_tags": data["unseen_test_tags"],
        "source_stage": source_stage,
        "stages": stages,
        "pair_seconds": sum(s["seconds"] for s in stages.values()) + source_stage["seconds"],
        "pair_cpu_seconds": sum(s.get("cpu_seconds", float("nan")) for s in stages.values())
        + source_stage.get("cpu_seconds", float("nan")),
        "report": report.to_dict(),
    }


def seed_noise_markdown(results: list[dict[str, Any]]) -> list[str]:
    """Issue 10's evidence: per-seed NT, consensus NT, matched churn, excess NT / PT with CI and one-sided p, and the
    reliably falsified tokens (falsified in every scratch × transfer seed pair) by slice."""
    lines = [
        "Negative transfer against seed noise (excess = matched − matched churn; CI: bootstrap over sentences and seeds; "
        "p: one-sided test that transfer falsifies (corrects) more than seed noise does):",
        "",
        "| pair | NT per seed pair | consensus NT | matched NT | matched churn | excess NT [95% CI] | p | excess PT [95% CI] | p | reliably falsified tokens |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rep, noise = r["report"], r["report"]["seed_noise"]
        per_seed = " / ".join(_pct(pair["nt"]) for pair in rep["pairs"])
        nt_ci, pt_ci = noise["excess_nt_ci"], noise["excess_pt_ci"]
        lines.append(
            f"| {r['pair']['name']} | {per_seed} | {_pct(noise['consensus_nt'])} | {_pct(noise['matched_nt'])} "
            f"| {_pct(noise['matched_churn_nt'])} | {_pct(noise['excess_nt'])} [{_pct(nt_ci['low'])}, {_pct(nt_ci['high'])}] "
            f"| {noise['excess_nt_p']:.3g} | {_pct(noise['excess_pt'])} [{_pct(pt_ci['low'])}, {_pct(pt_ci['high'])}] "
            f"| {noise['excess_pt_p']:.3g} | {noise['reliably_falsified_count']} ({_pct(noise['reliably_falsified'])}) |"
        )
    slices = sorted({name for r in results for name in r["report"]["seed_noise"]["reliably_falsified_by_slice"]})
    lines += [
        "",
        "Reliably falsified tokens by slice (counts; a token can be in several slices), and the most frequent ones:",
        "",
        "| pair | " + " | ".join(slices) + " | top reliably falsified (gold → transfer) |",
        "|---|" + "---|" * len(slices) + "---|",
    ]
    for r in results:
        noise = r["report"]["seed_noise"]
        by_slice = noise["reliably_falsified_by_slice"]
        top = ", ".join(f"`{t['token']}` {t['gold']}→{t['predicted']} ×{t['count']}" for t in noise["top_reliably_falsified"][:6])
        lines.append(f"| {r['pair']['name']} | " + " | ".join(str(by_slice.get(name, 0)) for name in slices) + f" | {top} |")
    return lines


def summary_markdown(results: list[dict[str, Any]], config: dict[str, Any], pending: list[str]) -> str:
    seeds = len(config["seeds"])
    lines = [
        f"Test split, {seeds} scratch × {seeds} transfer seeds (paired), one source model per corpus (seed "
        f"{config['source_seed']}), preset `{config['preset']}`, target training {config['target']}. Values in % of "
        "test tokens; ± is the standard deviation over seed pairs. Per-pair overrides:",
        "",
        *[f"- {p['name']}: " + ", ".join(f"{k} {v}" for k, v in p[key].items()) + f" ({key})"
          for p in config["pairs"] for key in ("source_overrides", "target_overrides") if p.get(key)],
        "",
        "| pair | scratch acc | transfer acc | gain | PT | NT | churn floor | consensus NT | matched NT | matched churn | excess NT [95% CI] | span F1 scratch → transfer |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rep = r["report"]
        noise = rep["seed_noise"] or {}
        ci = noise.get("excess_nt_ci")
        excess = "–" if not noise else f"{_pct(noise['excess_nt'])}" + (f" [{_pct(ci['low'])}, {_pct(ci['high'])}]" if ci else "")
        spans = rep["spans"]
        span_text = "–" if spans is None else f"{_pct(spans['scratch_f1'])} → {_pct(spans['transfer_f1'])}"
        lines.append(
            f"| {r['pair']['name']} | {_pct(rep['scratch_accuracy'])} ± {_pct(rep['scratch_accuracy_std'])} "
            f"| {_pct(rep['transfer_accuracy'])} ± {_pct(rep['transfer_accuracy_std'])} | {_pct(rep['gain'])} "
            f"| {_pct(rep['pt'])} | {_pct(rep['nt'])} | {_pct(rep['churn_floor'])} | {_pct(noise.get('consensus_nt'))} "
            f"| {_pct(noise.get('matched_nt'))} | {_pct(noise.get('matched_churn_nt'))} | {excess} | {span_text} |"
        )
    lines += ["", *seed_noise_markdown(results)]
    lines += [
        "",
        "Beside the study's Table 2 (Meftah et al. 2021: GloVe 300d, a 10× larger news source, SGD; token accuracy, "
        "WNUT is entity F1 on a different NER corpus than Ritter's):",
        "",
        "| target | study scratch | study transfer | study gain | ours scratch | ours transfer | ours gain |",
        "|---|---|---|---|---|---|---|",
    ]
    study = config["study_table2"]
    for r in results:
        key, rep = r["pair"]["study"], r["report"]
        ours_metric = rep["spans"] if key == "WNUT" and rep["spans"] is not None else None
        s_ours = ours_metric["scratch_f1"] if ours_metric else rep["scratch_accuracy"]
        t_ours = ours_metric["transfer_f1"] if ours_metric else rep["transfer_accuracy"]
        lines.append(
            f"| {key}{' (ours: Ritter NER, span F1)' if ours_metric else ''} | {study['scratch'][key]:.2f} | "
            f"{study['transfer'][key]:.2f} | {study['transfer'][key] - study['scratch'][key]:+.2f} | {_pct(s_ours)} | "
            f"{_pct(t_ours)} | {100 * (t_ours - s_ours):+.2f} |"
        )
    lines += [
        "",
        "Wall time per stage (seconds; the 2 cores were shared with other jobs, so CPU seconds of the process are given "
        "too; the pair totals sum the stages, some of which ran in parallel processes):",
        "",
        "| pair | source pretraining (epochs) | scratch runs (mean epochs) | transfer runs (mean epochs) | pair total wall | pair total CPU |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        st = r["stages"]
        scratch = [v for k, v in st.items() if k.startswith("scratch")]
        transfer = [v for k, v in st.items() if k.startswith("transfer")]

        def _fmt(runs: list[dict[str, Any]]) -> str:
            return " / ".join(f"{v['seconds']:.0f}" for v in runs) + f" ({sum(len(v['dev_scores']) for v in runs) / len(runs):.1f})"

        lines.append(
            f"| {r['pair']['name']} | {r['source_stage']['seconds']:.0f} ({len(r['source_stage']['dev_scores'])}) "
            f"| {_fmt(scratch)} | {_fmt(transfer)} | {r['pair_seconds']:.0f} | {r['pair_cpu_seconds']:.0f} |"
        )
    unseen = {r["pair"]["name"]: r["unseen_test_tags"] for r in results if r["unseen_test_tags"]}
    if unseen:
        lines += ["", "Test tags never seen in target training (always counted wrong): "
                  + "; ".join(f"{k}: {v}" for k, v in unseen.items())]
    if pending:
        lines += ["", f"Pending (stages not finished): {', '.join(pending)}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=HERE / "config.json")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--docs", type=Path, default=None, help="also copy summary.md and the figure into this folder")
    args = parser.parse_args(argv)
    from mitigate.demo import plot_pt_nt

    config = json.loads(args.config.read_text())
    results, pending = [], []
    for pair in config["pairs"]:
        result = evaluate_pair(pair, config, args.out)
        if result is None:
            pending.append(pair["name"])
        else:
            results.append(result)
    _write_json(args.out / "results.json", {"config": config, "results": results, "pending": pending})
    summary = summary_markdown(results, config, pending)
    (args.out / "summary.md").write_text(summary)
    print(summary)
    if results:
        figure = plot_pt_nt(
            labels=[r["pair"]["study"] if r["pair"]["study"] != "WNUT" else "Ritter NER" for r in results],
            pt=[r["report"]["pt"] for r in results],
            nt=[r["report"]["nt"] for r in results],
            churn=[r["report"]["churn_floor"] for r in results],
            path=args.out / "figure1.png",
            title="News → Tweets: PT and NT of standard transfer vs scratch (mean of seed pairs)",
        )
        if args.docs is not None:
            args.docs.mkdir(parents=True, exist_ok=True)
            shutil.copy(figure, args.docs / "news_to_tweets_pt_nt.png")
            (args.docs / "news_to_tweets_summary.md").write_text(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
