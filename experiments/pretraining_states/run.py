"""Early pretraining-state selection on the News → Tweets pairs: the study's Figure 2, proxies and selectors.

For each pair and seed: pretrain the source for a fixed number of epochs, keeping a state after chosen epochs
(``PretrainingStateRecorder`` as the reference loop's epoch callback); train a scratch target model; fine-tune from
every kept state (the oracle) and measure PT / NT / gain against scratch on target dev and test (Figure 2 of
Meftah et al. 2021: PT and NT vs the pretraining epoch transferred); score every state with the transferability
proxies from one forward pass over the target training set; run the selectors (``oracle``, ``proxy`` per proxy,
``halving``, and the usual practice ``last``) and report each one's regret on test and its compute as a ratio to
the oracle's.

Every unit of work is a JSON file under ``--out`` (ignored by git); rerunning resumes where it stopped.
``--quick`` runs a tiny digits scenario (no data folder) end to end in about a minute, for tests.

    python experiments/pretraining_states/run.py --data-dir ../shared/data            # the full run
    python experiments/pretraining_states/run.py --quick --out /tmp/ps --docs /tmp/ps  # smoke test
"""

from __future__ import annotations

import os

# One BLAS thread, like torch's one thread: on a shared 2-core machine, multi-threaded BLAS thrashes and makes the
# measured proxy seconds (the cost ratios below) vary tenfold from one state to the next.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import copy
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mitigate.models import BiLSTMTagger, TaggerVocab, TrainConfig, length_batches, seed_everything, train_tagger
from mitigate.selection import (
    FineTuneOutcome,
    PretrainingState,
    PretrainingStateRecorder,
    dev_objective,
    item_correctness,
    load_source_state,
    scenario_fine_tuner,
    select_pretraining_state,
)
from mitigate.transferability import PROXIES, extract_features, score_proxies

HERE = Path(__file__).resolve().parent
PAIRS = {
    "WSJ->TPoS": ("wsj-pos", "tpos"),
    "WSJ->TweeBank": ("wsj-pos", "tweebank"),
    "CoNLL2000->TChunk": ("conll2000-chunk", "tchunk"),
    "CoNLL2003->RitterNER": ("conll2003-ner", "ritter-ner"),
}
QUICK_PAIR = "digits->rotated"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=None, help="the shared data folder (default: MITIGATE_DATA / ../shared/data)")
    p.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=[*PAIRS, QUICK_PAIR])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--state-epochs", nargs="+", type=int, default=[1, 2, 3, 5, 8],
                   help="pretraining epochs after which a state is kept (the x axis of Figure 2)")
    p.add_argument("--preset", default="cpu", help="tagger size preset")
    p.add_argument("--target-epochs", type=int, default=15, help="max epochs of a full target fine-tune")
    p.add_argument("--patience", type=int, default=3, help="early-stopping patience of target trainings")
    p.add_argument("--keep", type=int, default=3, help="halving: states kept from the proxy ranking")
    p.add_argument("--min-epochs", type=int, default=2, help="halving: epochs of the first rung")
    p.add_argument("--halving-proxy", default="logme", help="halving: the proxy that shortlists states")
    p.add_argument("--nt-weight", type=float, default=1.0, help="dev objective: gain - nt_weight * NT")
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--docs", type=Path, default=HERE.parents[1] / "docs" / "strategies",
                   help="where selection_results.md and selection_figure2.png are written")
    p.add_argument("--quick", action="store_true", help="tiny digits scenario, 1 seed, for a smoke test")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--summary-only", action="store_true",
                   help="only tabulate the (pair, seed) runs already finished under --out; train nothing")
    args = p.parse_args(argv)
    args.command = " ".join(sys.argv[1:] if argv is None else argv)
    if args.quick:
        args.pairs, args.state_epochs = [QUICK_PAIR], [1, 2, 4]
        args.target_epochs, args.patience, args.keep, args.min_epochs = 4, 4, 2, 1
        if args.seeds == [0, 1, 2]:
            args.seeds = [0]
    return args


# ---- resumable JSON units ------------------------------------------------------------------------------------


def cached(path: Path, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()`` once; its JSON result is kept at ``path`` and read back on later runs."""
    if path.is_file():
        return json.loads(path.read_text())
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(path)
    return result


def bits(correct: np.ndarray) -> str:
    return "".join("1" if c else "0" for c in np.asarray(correct, dtype=bool))


def unbits(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8) == ord("1")


# ---- scenarios -----------------------------------------------------------------------------------------------


class Pair:
    """One source → target pair: the scenario plus what the protocol does not say (source model, probe batches)."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        self.name = name
        target_config = TrainConfig(max_epochs=args.target_epochs, patience=args.patience)
        if name == QUICK_PAIR:
            from mitigate.models import DigitsScenario

            self.kind = "digits"
            self.scenario = DigitsScenario.embedded(per_class=5, hidden=32, train_config=target_config,
                                                    source_config=TrainConfig(batch_size=32))
        else:
            from mitigate.models import TaggingScenario

            self.kind = "tagging"
            source, target = PAIRS[name]
            self.scenario = TaggingScenario(source=source, target=target, data_dir=args.data_dir, preset=args.preset,
                                            train_config=target_config)

    def fresh_source(self, seed: int) -> torch.nn.Module:
        """An untrained source model (its architecture; the vocabulary is deterministic)."""
        seed_everything(seed)
        if self.kind == "digits":
            from mitigate.models import DigitsNet

            return DigitsNet(hidden=self.scenario.hidden)
        data = self.scenario.source_data
        return BiLSTMTagger(vocab=TaggerVocab.build(data.train), config=self.scenario.model_config)

    def pretrain(self, model: torch.nn.Module, *, seed: int, epochs: int, recorder: PretrainingStateRecorder) -> None:
        """The reference loop for a fixed number of epochs (no early stopping), the recorder as epoch callback."""
        if self.kind == "digits":
            from mitigate.models import train_classifier

            config = TrainConfig(batch_size=32, max_epochs=epochs, patience=epochs)
            data = self.scenario.source_data
            train_classifier(model, train=data.split("train"), dev=data.split("dev"), config=config, seed=seed,
                             on_epoch_end=recorder)
            return
        base = self.scenario.source_config
        config = TrainConfig(**{**base.to_dict(), "max_epochs": epochs, "patience": epochs})
        data = self.scenario.source_data
        train_tagger(model, train=data.train, dev=data.dev, config=config, seed=seed, on_epoch_end=recorder)

    def probe_batches(self, source: torch.nn.Module) -> list[tuple[Any, torch.Tensor]]:
        """The target training set as (inputs, labels) batches for the *source* model (source vocabulary)."""
        if self.kind == "digits":
            x, y = self.scenario.target_data.split("train")
            return [(torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(np.asarray(y), dtype=torch.long))]
        train = self.scenario.target_data.train
        tag_ids = {t: i for i, t in enumerate(sorted({t for s in train for t in s.tags}))}
        batches = []
        for index in length_batches([len(s.tokens) for s in train], batch_size=64):
            words, chars = source.vocab.encode_tokens([train[i].tokens for i in index])
            tags = torch.full(words.shape, -100, dtype=torch.long)
            for row, i in enumerate(index):
                tags[row, : len(train[i].tags)] = torch.tensor([tag_ids[t] for t in train[i].tags])
            batches.append(((words, chars), tags))
        return batches


# ---- one (pair, seed) ----------------------------------------------------------------------------------------


def run_seed(pair: Pair, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = args.out / pair.name.replace(">", "") / f"seed{seed}"
    sc = pair.scenario
    template = pair.fresh_source(seed)
    recorder = PretrainingStateRecorder(model=template, directory=folder / "states",
                                        epochs=[e - 1 for e in args.state_epochs])
    wanted = {f"epoch_{e - 1:03d}" for e in args.state_epochs}
    if not wanted <= {s.name for s in recorder.states}:
        print(f"[{pair.name} seed {seed}] pretraining {max(args.state_epochs)} epochs", flush=True)
        pair.pretrain(template, seed=seed, epochs=max(args.state_epochs), recorder=recorder)
    states = [s for s in recorder.states if s.name in wanted]
    states.sort(key=lambda s: s.epoch)

    def load_source(state: PretrainingState) -> torch.nn.Module:
        model = copy.deepcopy(template)
        load_source_state(model, state.load(), extend_rows=False)
        return model

    def evaluate(model: torch.nn.Module) -> dict[str, str]:
        return {split: bits(item_correctness(sc.predict(model, split=split), sc.gold(split=split)))
                for split in ("dev", "test")}

    def fit(fn: Callable[..., torch.nn.Module], **kwargs: Any) -> dict[str, Any]:
        epochs = [0]
        start, cpu = time.perf_counter(), time.process_time()
        model = fn(seed=seed, on_epoch_end=lambda e, d: epochs.__setitem__(0, e + 1), **kwargs)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        return {"epochs": epochs[0], "seconds": seconds, "cpu_seconds": cpu_seconds, **evaluate(model)}

    scratch = cached(folder / "scratch.json", lambda: fit(sc.fit_scratch))
    full = {s.name: cached(folder / f"full_{s.name}.json", lambda s=s: fit(sc.fit_transfer, source=load_source(s)))
            for s in states}

    def proxies_of(state: PretrainingState) -> dict[str, Any]:
        start, cpu = time.perf_counter(), time.process_time()
        source = load_source(state)
        data = extract_features(model=source, batches=pair.probe_batches(source), module="fe_out", head="classifier")
        forward, forward_cpu = time.perf_counter() - start, time.process_time() - cpu
        scores, seconds, cpu_seconds = {}, {}, {}
        for name in PROXIES:
            t0, c0 = time.perf_counter(), time.process_time()
            scores[name] = score_proxies(data, proxies=[name])[name]
            seconds[name] = forward + time.perf_counter() - t0
            cpu_seconds[name] = forward_cpu + time.process_time() - c0
        return {"scores": scores, "seconds": seconds, "cpu_seconds": cpu_seconds, "items": int(data.labels.size)}

    proxies = {s.name: cached(folder / f"proxies_{s.name}.json", lambda s=s: proxies_of(s)) for s in states}

    scratch_dev, scratch_test = unbits(scratch["dev"]), unbits(scratch["test"])
    short_ft = scenario_fine_tuner(sc, seed=seed, load_source=load_source)
    spent: dict[str, float] = {}

    def short(state: PretrainingState, epochs: int) -> FineTuneOutcome:
        def compute() -> dict[str, Any]:
            start, cpu = time.perf_counter(), time.process_time()
            outcome = short_ft(state, epochs)
            return {"dev": bits(outcome.correct), "epochs": outcome.epochs, "seconds": time.perf_counter() - start,
                    "cpu_seconds": time.process_time() - cpu}

        if epochs >= args.target_epochs:  # a full-length rung is the oracle's fine-tune
            got = full[state.name]
        else:
            got = cached(folder / f"short_{state.name}_{epochs}.json", compute)
        spent["seconds"] = spent.get("seconds", 0.0) + got["seconds"]
        spent["cpu_seconds"] = spent.get("cpu_seconds", 0.0) + got.get("cpu_seconds", math.nan)
        return FineTuneOutcome(correct=unbits(got["dev"]), epochs=int(got["epochs"]))

    def oracle_ft(state: PretrainingState, epochs: int) -> FineTuneOutcome:
        got = full[state.name]
        return FineTuneOutcome(correct=unbits(got["dev"]), epochs=int(got["epochs"]))

    scores = {name: p["scores"] for name, p in proxies.items()}
    for s in states:
        scores[s.name]["source_dev"] = float(s.dev_score)
    common = dict(states=states, scratch_correct=scratch_dev, nt_weight=args.nt_weight, max_epochs=args.target_epochs,
                  precomputed=scores)
    selections: dict[str, Any] = {}
    oracle = select_pretraining_state(mode="oracle", fine_tune=oracle_ft, **common)
    selections["oracle"] = {"chosen": oracle.chosen, "seconds": sum(f["seconds"] for f in full.values()),
                            "cpu_seconds": sum(f.get("cpu_seconds", math.nan) for f in full.values()),
                            "epochs": oracle.cost.fine_tune_epochs, "result": oracle.to_dict()}
    selections["last"] = {"chosen": states[-1].name, "seconds": 0.0, "cpu_seconds": 0.0, "epochs": 0}
    for name in [*PROXIES, "source_dev"]:
        picked = select_pretraining_state(mode="proxy", proxy=name, **common)
        cost = 0.0 if name == "source_dev" else sum(p["seconds"][name] for p in proxies.values())
        cpu = 0.0 if name == "source_dev" else sum(p.get("cpu_seconds", {}).get(name, math.nan) for p in proxies.values())
        selections[f"proxy:{name}"] = {"chosen": picked.chosen, "seconds": cost, "cpu_seconds": cpu, "epochs": 0}
    spent.clear()
    halving = select_pretraining_state(mode="halving", proxy=args.halving_proxy, fine_tune=short, keep=args.keep,
                                       min_epochs=args.min_epochs, **common)
    proxy_cost = sum(p["seconds"].get(args.halving_proxy, 0.0) for p in proxies.values())
    proxy_cpu = sum(p.get("cpu_seconds", {}).get(args.halving_proxy, math.nan) for p in proxies.values())
    selections[f"halving:{args.halving_proxy}"] = {
        "chosen": halving.chosen, "seconds": proxy_cost + spent.get("seconds", 0.0),
        "cpu_seconds": proxy_cpu + spent.get("cpu_seconds", 0.0),
        "epochs": halving.cost.fine_tune_epochs, "result": halving.to_dict()}

    per_state = []
    for s in states:
        row = {"name": s.name, "pretrain_epochs": s.epoch + 1, "source_dev": s.dev_score,
               "ft_epochs": full[s.name]["epochs"], "proxies": proxies[s.name]["scores"]}
        for split, ref in (("dev", scratch_dev), ("test", scratch_test)):
            row[split] = dev_objective(transfer_correct=unbits(full[s.name][split]), scratch_correct=ref,
                                       nt_weight=args.nt_weight)
        per_state.append(row)
    return {"pair": pair.name, "seed": seed, "states": per_state, "selections": selections,
            "scratch": {"dev_acc": float(scratch_dev.mean()), "test_acc": float(scratch_test.mean()),
                        "epochs": scratch["epochs"], "seconds": scratch["seconds"]}}


# ---- summary -------------------------------------------------------------------------------------------------


def spearman(a: list[float], b: list[float]) -> float:
    from scipy.stats import spearmanr

    if len(set(a)) < 2 or len(set(b)) < 2:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _fmt_ratio(values: list[float]) -> str:
    return "–" if any(math.isnan(v) for v in values) else f"{np.mean(values):.3f}"


def summarise(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        "# Pretraining-state selection: results",
        "",
        "Generated by `experiments/pretraining_states/run.py` with",
        f"`python experiments/pretraining_states/run.py {args.command}` (seeds {args.seeds}, states after epochs {args.state_epochs},",
        f"preset `{args.preset}`, target max {args.target_epochs} epochs / patience {args.patience}, "
        f"objective gain − {args.nt_weight:g}·NT on dev, halving keep {args.keep} from `{args.halving_proxy}`, "
        f"first rung {args.min_epochs} epochs). Numbers are means over seeds, in % of target tokens (items).",
        "",
    ]
    pairs = list(dict.fromkeys(r["pair"] for r in runs))
    for pair in pairs:
        mine = [r for r in runs if r["pair"] == pair]
        epochs = [row["pretrain_epochs"] for row in mine[0]["states"]]
        lines += [f"## {pair}", "",
                  f"Scratch accuracy: dev {100 * np.mean([r['scratch']['dev_acc'] for r in mine]):.2f}, "
                  f"test {100 * np.mean([r['scratch']['test_acc'] for r in mine]):.2f} ({len(mine)} seeds).", "",
                  "| pretraining epochs | source dev | dev PT | dev NT | dev gain | test PT | test NT | test gain |",
                  "|---|---|---|---|---|---|---|---|"]
        for k, ep in enumerate(epochs):
            rows = [r["states"][k] for r in mine]

            def m(split: str, key: str, rows: list = rows) -> str:
                values = [100 * row[split][key] for row in rows]
                return f"{np.mean(values):.2f} ± {np.std(values):.2f}"

            src = np.mean([row["source_dev"] for row in rows])
            lines.append(f"| {ep} | {100 * src:.2f} | {m('dev', 'pt')} | {m('dev', 'nt')} | {m('dev', 'gain')} | "
                         f"{m('test', 'pt')} | {m('test', 'nt')} | {m('test', 'gain')} |")
        nt_trend = [spearman(epochs, [row["test"]["nt"] for row in r["states"]]) for r in mine]
        nt_first = np.mean([100 * r["states"][0]["test"]["nt"] for r in mine])
        nt_last = np.mean([100 * r["states"][-1]["test"]["nt"] for r in mine])
        grows = np.nanmean(nt_trend) > 0.3 and nt_last > nt_first
        lines += ["", f"Does NT grow with pretraining epochs here? Spearman(epochs, test NT) per seed: "
                  f"{', '.join(f'{v:.2f}' for v in nt_trend)}; test NT {nt_first:.2f}% after {epochs[0]} epoch(s) vs "
                  f"{nt_last:.2f}% after {epochs[-1]}: **{'yes' if grows else 'no'}**.", ""]
        lines += ["Rank correlation (Spearman, across states, mean over seeds) of each proxy with the oracle's dev "
                  "objective:", "", "| proxy | Spearman ρ |", "|---|---|"]
        for name in [*PROXIES, "source_dev"]:
            rho = [spearman([row["proxies"].get(name, row["source_dev"]) if name != "source_dev" else row["source_dev"]
                             for row in r["states"]], [row["dev"]["objective"] for row in r["states"]]) for r in mine]
            lines.append(f"| {name} | {np.nanmean(rho):.2f} |" if not all(math.isnan(x) for x in rho) else f"| {name} | – |")
        lines += ["", "Selectors: regret = test gain of the oracle's pick − test gain of the selector's pick "
                  "(accuracy points; the best-in-hindsight column uses the best state on test instead); cost = "
                  "selection seconds / oracle seconds, wall-clock and CPU time of the process (CPU time is "
                  "robust to the load of a shared machine; '–' when some unit predates its measurement).", "",
                  "| selector | picks (per seed) | regret vs oracle | regret vs best | cost ratio (wall) | "
                  "cost ratio (CPU) | fine-tune epochs |",
                  "|---|---|---|---|---|---|---|"]
        for sel in mine[0]["selections"]:
            regret, hindsight, ratio, cpu_ratio, picks, ft = [], [], [], [], [], []
            for r in mine:
                gains = {row["name"]: 100 * row["test"]["gain"] for row in r["states"]}
                chosen = r["selections"][sel]["chosen"]
                picks.append(str(next(row["pretrain_epochs"] for row in r["states"] if row["name"] == chosen)))
                regret.append(gains[r["selections"]["oracle"]["chosen"]] - gains[chosen])
                hindsight.append(max(gains.values()) - gains[chosen])
                ratio.append(r["selections"][sel]["seconds"] / r["selections"]["oracle"]["seconds"])
                cpu_ratio.append(r["selections"][sel].get("cpu_seconds", math.nan)
                                 / r["selections"]["oracle"].get("cpu_seconds", math.nan))
                ft.append(r["selections"][sel]["epochs"])
            lines.append(f"| {sel} | {', '.join(picks)} | {np.mean(regret):.2f} | {np.mean(hindsight):.2f} | "
                         f"{np.mean(ratio):.3f} | {_fmt_ratio(cpu_ratio)} | {np.mean(ft):.1f} |")
        lines.append("")
    return "\n".join(lines)


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = list(dict.fromkeys(r["pair"] for r in runs))
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.4), squeeze=False)
    for ax, pair in zip(axes[0], pairs):
        mine = [r for r in runs if r["pair"] == pair]
        epochs = [row["pretrain_epochs"] for row in mine[0]["states"]]
        for key, label, colour in (("pt", "PT (corrected)", "tab:green"), ("nt", "NT (falsified)", "tab:red")):
            values = np.array([[100 * row["dev"][key] for row in r["states"]] for r in mine])
            ax.errorbar(epochs, values.mean(axis=0), yerr=values.std(axis=0), label=label, color=colour,
                        marker="o", capsize=3)
        ax.set_title(pair)
        ax.set_xlabel("source pretraining epochs transferred")
        ax.set_ylabel("% of target dev tokens")
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    pairs = [Pair(name, args) for name in args.pairs]
    runs: list[dict[str, Any]] = []
    for seed in args.seeds:  # seed-major: an interrupted run already covers every pair
        for pair in pairs:
            path = args.out / pair.name.replace(">", "") / f"seed{seed}" / "summary.json"
            if args.summary_only and not path.is_file():
                continue
            runs.append(cached(path, lambda pair=pair, seed=seed: run_seed(pair, seed, args)))
            print(f"[{pair.name} seed {seed}] done", flush=True)
    if not runs:
        print(f"No finished runs under {args.out}.", file=sys.stderr)
        return 1
    text = summarise(runs, args)
    args.docs.mkdir(parents=True, exist_ok=True)
    (args.docs / "selection_results.md").write_text(text + "\n![PT and NT vs pretraining epochs]"
                                                    "(selection_figure2.png)\n")
    plot(runs, args.docs / "selection_figure2.png")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
