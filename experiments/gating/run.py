"""Multi-source gating on News/Web → Tweets: gated mixture vs every single source vs scratch, plus a permuted-label
source (the degenerate-source check), and the source ranking computed before any training.

For each target and seed: scratch, standard transfer from every source (one at a time), the gated mixture over the
real sources, the gated mixture over the real sources plus the permuted-label source, and the latter with the
source experts frozen. Every stage writes its
predictions as soon as it finishes (``out/<target>/<method>/seed<k>.json``) and a rerun skips finished stages, so
an interrupted run resumes. ``--summary`` turns what exists into ``docs/strategies/gating_results.md``
(``out/summary.md`` with ``--quick``).

    python experiments/gating/run.py --data-dir ../shared/data                       # full run (hours on 2 cores)
    python experiments/gating/run.py --data-dir ../shared/data --target tpos          # one target
    python experiments/gating/run.py --data-dir ../shared/data --summary              # tables from what exists
    python experiments/gating/run.py --data-dir ../shared/data --quick --out /tmp/g   # tiny smoke configuration
    python experiments/gating/run.py --data-dir ../shared/data --reuse-sources experiments/news_to_tweets/out/sources
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from mitigate.bench._lock import exclusive  # file locks: workers side by side share `out`

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

FULL: dict[str, Any] = {
    "targets": ["tpos", "tweebank", "tchunk", "ritter-ner"],
    "sources": ["wsj-pos", "conll2000-chunk", "conll2003-ner", "ewt-pos"],
    "permuted": "wsj-pos",  # its tags shuffled across all tokens: a source that learned nothing about words
    "seeds": [0, 1, 2],
    "source_seed": 0,
    "preset": "cpu",
    "source": {"optimizer": "adam", "max_epochs": 10, "patience": 2, "batch_size": 16},
    "source_overrides": {"conll2000-chunk": {"max_epochs": 5}, "conll2003-ner": {"max_epochs": 5}, "ewt-pos": {"max_epochs": 5}},
    "target": {"optimizer": "adam", "max_epochs": 25, "patience": 4, "batch_size": 16},
    # as in experiments/news_to_tweets: with early stopping every scratch NER model stops at the all-`O` tagger
    # (dev span F1 0 at epoch 1), so Ritter NER trains 15 epochs and keeps the best dev span F1 epoch.
    "target_overrides": {"ritter-ner": {"max_epochs": 15, "patience": 15}},
    # warm-up: on a TPoS pilot (seed 0, docs/strategies/gating.md) a gate trained from the first step handed ~all
    # weight to WSJ within two epochs; two epochs of uniform weights first scored higher (85.60 vs 84.90).
    "gating": {"entropy": 0.001, "warmup_epochs": 2},
    # gated: the real sources + scratch, experts fine-tuned; +permuted: plus the permuted-label source;
    # gated-frozen+permuted: the same with the source experts frozen (only scratch, projections, gate and head train).
    "gated_methods": ["gated", "gated+permuted", "gated-frozen+permuted"],
    "rank_sentences": 400,
    # discriminator gate (Wang et al. 2019): joint training on target data + the source *data* whose tags are the
    # target's (source tags the target lacks are ignored). Ritter NER has none: CoNLL-2003's 4 entity types are not
    # its 10. joint: plain joint training (ω = 1); joint-gate: ω from the discriminator; +permuted: the same with
    # the tags of a random half of the source sentences shuffled among them (the gate should give them ω ≈ 0).
    "joint_sources": {"tpos": "wsj-pos", "tweebank": "ewt-pos", "tchunk": "conll2000-chunk"},
    "joint_methods": ["joint", "joint-gate", "joint+permuted", "joint-gate+permuted"],
    # lr 1e-2, not the default 1e-3: on a TPoS pilot (seed 0, joint-gate+permuted) the discriminator at 1e-3 told
    # shuffled-tag sentences from intact ones with AUC 0.65 (mean ω 0.76 vs 0.96), at 1e-2 with AUC 0.88 (0.54 vs 1.06).
    "discriminator": {"warmup_steps": 100, "max_weight": 5.0, "lr": 0.01},
    "limit": None,
}
QUICK: dict[str, Any] = {
    **FULL,
    "targets": ["tpos"],
    "sources": ["wsj-pos", "ewt-pos"],
    "seeds": [0, 1],
    "preset": "tiny",
    "source": {"optimizer": "adam", "max_epochs": 1, "patience": 1, "batch_size": 16},
    "source_overrides": {},
    "target": {"optimizer": "adam", "max_epochs": 1, "patience": 1, "batch_size": 16},
    "target_overrides": {},
    "rank_sentences": 30,
    "joint_sources": {"tpos": "wsj-pos"},
    "discriminator": {"warmup_steps": 1, "max_weight": 5.0},
    "limit": 40,
}
PERMUTED_SUFFIX = "-permuted"


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _limit(splits: Any, limit: int | None) -> Any:
    from mitigate.data import DatasetSplits

    if limit is None:
        return splits
    return DatasetSplits(splits.name, splits.task, splits.train[:limit], splits.dev[: limit // 2], splits.test[: limit // 2])


def shuffled_tags(sentences: list, rng: random.Random) -> list:
    """The same sentences with their tags shuffled across all their tokens (tag frequencies kept)."""
    from mitigate.data import Sentence

    tags = [tag for s in sentences for tag in s.tags]
    rng.shuffle(tags)
    out, i = [], 0
    for s in sentences:
        out.append(Sentence(s.tokens, tuple(tags[i : i + len(s.tokens)])))
        i += len(s.tokens)
    return out


def permuted_labels(splits: Any, *, seed: int = 0) -> Any:
    """The same sentences with every split's tags shuffled across all its tokens (tag frequencies kept)."""
    from mitigate.data import DatasetSplits

    rng = random.Random(seed)
    return DatasetSplits(splits.name + PERMUTED_SUFFIX, splits.task,
                         *(shuffled_tags(part, rng) for part in (splits.train, splits.dev, splits.test)))


def tagger_batches(vocab: Any, sentences: list, *, batch_size: int, seed: int, token_ids: bool = False) -> list[tuple]:
    """``((words, chars), tags)`` in length-grouped batches, in a seeded random order; with ``token_ids`` a third
    tensor holds every token's index in ``sentences`` flattened (what the discriminator gate records weights by)."""
    import numpy as np
    import torch

    from mitigate.models import length_batches

    offsets = np.cumsum([0] + [len(s.tokens) for s in sentences])
    batches = length_batches([len(s.tokens) for s in sentences], batch_size=batch_size)
    out: list[tuple] = []
    for b in np.random.default_rng(seed).permutation(len(batches)):
        index = batches[b]
        words, chars = vocab.encode_tokens([sentences[i].tokens for i in index])
        tags = vocab.encode_tags([sentences[i].tags for i in index])
        batch: tuple = ((words, chars), tags)
        if token_ids:  # padding positions get an id too, but their tag is -100, so nothing is recorded for them
            batch += (torch.as_tensor(offsets[index])[:, None] + torch.arange(tags.shape[1]),)
        out.append(batch)
    return out


def source_weight_report(mean_weights: dict[int, float], sentences: list, permuted: list[int], *, lowest: int = 12) -> dict[str, Any]:
    """What the discriminator gate did to the source data: mean ω per sentence and per tag, the share of sentences
    below 0.5 (down-weighted), the lowest sentences, and, with ``permuted`` sentences, how well ω separates them."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    sentence_of = np.repeat(np.arange(len(sentences)), [len(s.tokens) for s in sentences])
    tag_of = np.array([t for s in sentences for t in s.tags], dtype=object)
    ids = np.fromiter(mean_weights, dtype=np.int64)
    w = np.fromiter(mean_weights.values(), dtype=np.float64)
    seen = np.unique(sentence_of[ids])
    sums = np.bincount(sentence_of[ids], weights=w, minlength=len(sentences))
    per_sentence = sums[seen] / np.bincount(sentence_of[ids], minlength=len(sentences))[seen]
    tags = sorted(set(tag_of[ids]))
    report: dict[str, Any] = {
        "sentences_seen": int(len(seen)), "tokens_seen": int(len(ids)), "mean": float(per_sentence.mean()),
        "share_below_half": float((per_sentence < 0.5).mean()),
        "per_tag": {t: float(w[tag_of[ids] == t].mean()) for t in tags},
        "lowest": [{"sentence": int(seen[k]), "weight": round(float(per_sentence[k]), 4), "permuted": int(seen[k]) in set(permuted),
                    "text": " ".join(sentences[seen[k]].tokens)[:140]} for k in np.argsort(per_sentence, kind="stable")[:lowest]],
    }
    if permuted:
        is_permuted = np.isin(seen, permuted)
        below = per_sentence < 0.5
        report |= {
            "mean_permuted": float(per_sentence[is_permuted].mean()), "mean_intact": float(per_sentence[~is_permuted].mean()),
            "permuted_share_of_down_weighted": float(is_permuted[below].mean()) if below.any() else float("nan"),
            "auc_permuted": float(roc_auc_score(is_permuted, -per_sentence)),
        }
    return report


class Run:
    """One configuration's data, cached source taggers and stages."""

    def __init__(
        self, config: dict[str, Any], *, data_dir: str | None, out: Path, reuse_sources: Path | None,
        methods: list[str] | None = None,
    ) -> None:
        self.config, self.data_dir, self.out, self.reuse = config, data_dir, out, reuse_sources
        self.only = methods
        self._data: dict[str, Any] = {}
        self._sources: dict[str, Any] = {}

    def data(self, name: str) -> Any:
        from mitigate.data import load_dataset

        if name not in self._data:
            if name.endswith(PERMUTED_SUFFIX):
                self._data[name] = permuted_labels(self.data(name[: -len(PERMUTED_SUFFIX)]), seed=0)
            else:
                self._data[name] = _limit(load_dataset(name, data_dir=self.data_dir), self.config["limit"])
        return self._data[name]

    def source_names(self) -> list[str]:
        return [*self.config["sources"], self.config["permuted"] + PERMUTED_SUFFIX]

    def source(self, name: str, *, wait: bool = True) -> Any:
        """The pretrained source tagger ``name``: from this run's cache, ``--reuse-sources`` or pretrained now.

        Workers sharing ``out`` pretrain each source once: with ``wait=False`` a source another worker is pretraining
        is skipped (``None``), otherwise this worker waits for it.
        """
        if name in self._sources:
            return self._sources[name]
        key = f"{name}-{self.config['preset']}-seed{self.config['source_seed']}"
        with exclusive(self._lock(f"source-{key}"), wait=wait) as held:
            if not held:
                return None
            self._sources[name] = self._load_or_pretrain(name, key)
        return self._sources[name]

    def _load_or_pretrain(self, name: str, key: str) -> Any:
        from mitigate.models import TaggingScenario, TrainConfig, load_tagger, read_metadata, save_tagger

        base = name[: -len(PERMUTED_SUFFIX)] if name.endswith(PERMUTED_SUFFIX) else name
        recipe = {**self.config["source"], **self.config["source_overrides"].get(base, {})}

        def same_recipe(candidate: Path | None) -> bool:
            # a cached source is reused only if it was trained with this recipe (the file name alone does not say)
            if candidate is None or not (candidate.is_file() and candidate.with_suffix(".json").is_file()):
                return False
            if read_metadata(candidate).get("recipe") == recipe:
                return True
            print(f"source {name}: {candidate} was trained with another recipe; retraining", flush=True)
            return False

        path = self.out / "sources" / f"{key}.pt"
        reused = self.reuse / f"{key}.pt" if self.reuse is not None else None
        if same_recipe(path):
            return load_tagger(path)
        if same_recipe(reused):
            print(f"source {name}: reused {reused}", flush=True)
            return load_tagger(reused)
        data = self.data(name)
        scenario = TaggingScenario(source=data, target=data, preset=self.config["preset"], source_config=TrainConfig(**recipe))
        start = time.perf_counter()
        model = scenario.pretrain(seed=self.config["source_seed"])
        save_tagger(model, path, seed=self.config["source_seed"], result=scenario.last_result, recipe=recipe)
        print(f"source {name}: {time.perf_counter() - start:.0f}s, dev {scenario.last_result.best_dev:.4f}", flush=True)
        return model

    def _lock(self, name: str) -> Path:
        return self.out / "locks" / f"{name.replace(':', '_')}.lock"

    @contextlib.contextmanager
    def _claim(self, name: str, done: Path) -> Iterator[bool]:
        """True when this worker should run the stage: not finished and no other worker on it (skip, do not wait)."""
        if done.is_file():
            yield False
            return
        with exclusive(self._lock(name), wait=False) as held:
            yield held and not done.is_file()  # another worker may have finished it since the first look

    # -- stages ---------------------------------------------------------------------------------------------
    def rank(self, target: str) -> None:
        from mitigate.gating import rank_sources, tagger_features

        path = self.out / target / "ranking.json"
        data, n = self.data(target), self.config["rank_sentences"]
        target_features, source_features = {}, {}
        for name in self.source_names():
            tagger = self.source(name)
            target_features[name] = tagger_features(tagger=tagger, sentences=data.train, max_sentences=n)
            source_features[name] = tagger_features(tagger=tagger, sentences=self.data(name).train, max_sentences=n, head=False).features
        ranking = rank_sources(target_features=target_features, source_features=source_features,
                               proxies=("logme", "h_score", "transrate", "leep", "nce"))
        _write_json(path, ranking.to_dict())
        print(f"[{target}] ranking: {ranking.order}", flush=True)

    def methods(self, target: str) -> list[str]:
        joint = self.config["joint_methods"] if target in self.config["joint_sources"] else []
        return ["scratch", *(f"single:{s}" for s in self.source_names()), *self.config["gated_methods"], *joint]

    def joint(self, target: str, method: str, seed: int) -> tuple[Any, Any, list, list[int]]:
        """The joint-training model (words and characters of target + source, the target's tags), its
        ``DiscriminatorGate``, the source sentences and which of them had their tags shuffled."""
        from mitigate.models import BiLSTMTagger, TaggerConfig, TaggerVocab, seed_everything
        from mitigate.strategies.gating import DiscriminatorGate

        data = self.data(target)
        source = list(self.data(self.config["joint_sources"][target]).train)
        permuted: list[int] = []
        if method.endswith("+permuted"):
            rng = random.Random(seed)
            permuted = sorted(rng.sample(range(len(source)), len(source) // 2))
            for i, sentence in zip(permuted, shuffled_tags([source[i] for i in permuted], rng)):
                source[i] = sentence
        both = TaggerVocab.build([*data.train, *source])
        vocab = TaggerVocab(both.words, both.chars, TaggerVocab.build(data.train).tags)
        seed_everything(seed)
        model = BiLSTMTagger(vocab=vocab, config=TaggerConfig.preset(self.config["preset"]))
        size = self.config["target"]["batch_size"]
        strategy = DiscriminatorGate(
            source_batches=tagger_batches(vocab, source, batch_size=size, seed=seed, token_ids=True),
            target_batches=tagger_batches(vocab, list(data.train), batch_size=size, seed=seed),
            weighted="-gate" in method, **self.config["discriminator"],
        )
        return model, strategy, source, permuted

    def fit(self, target: str, method: str, seed: int) -> None:
        from mitigate.gating import build_gated_tagger, gate_report
        from mitigate.models import TaggingScenario, TrainConfig, train_tagger
        from mitigate.strategies.gating import SourceGating

        path = self.stage_path(target, method, seed)
        data = self.data(target)
        config = TrainConfig(**{**self.config["target"], **self.config["target_overrides"].get(target, {})})
        scenario = TaggingScenario(source=data, target=data, preset=self.config["preset"], train_config=config)
        start = time.perf_counter()
        record: dict[str, Any] = {"target": target, "method": method, "seed": seed}
        if method == "scratch":
            model = scenario.fit_scratch(seed=seed)
            result = scenario.last_result
        elif method.startswith("single:"):
            model = scenario.fit_transfer(source=self.source(method.split(":", 1)[1]), seed=seed)
            result = scenario.last_result
        elif method.startswith("gated"):
            names = self.config["sources"] + ([self.config["permuted"] + PERMUTED_SUFFIX] if "permuted" in method else [])
            model = build_gated_tagger(sources={n: self.source(n) for n in names}, target_sentences=data.train, seed=seed)
            strategy = SourceGating(**{**self.config["gating"], "freeze_experts": "frozen" in method})
            result = train_tagger(model, train=data.train, dev=data.dev, config=config, seed=seed, strategies=[strategy],
                                  dev_metric=scenario.dev_metric)
            tokens = scenario.tokens(split="test")
            record["gate"] = gate_report(model, tokens).to_dict()
            record["strategy"] = repr(strategy)
            record["gate_history"] = strategy.history
        elif method.startswith("joint"):
            model, strategy, source, permuted = self.joint(target, method, seed)
            result = train_tagger(model, train=data.train, dev=data.dev, config=config, seed=seed, strategies=[strategy],
                                  dev_metric=scenario.dev_metric)
            record |= {"strategy": repr(strategy), "source": self.config["joint_sources"][target]}
            if strategy.weighting is not None and strategy.weighting.mean_weights():  # none while warming up
                record["source_weights"] = source_weight_report(strategy.weighting.mean_weights(), source, permuted)
        record.update({
            "test": scenario.predict(model, split="test"),
            "dev_score": result.best_dev,  # type: ignore[union-attr]
            "best_epoch": result.best_epoch,  # type: ignore[union-attr]
            "seconds": time.perf_counter() - start,
        })
        _write_json(path, record)
        print(f"[{target}] {method} seed {seed}: dev {record['dev_score']:.4f} ({record['seconds']:.0f}s)", flush=True)

    def stage_path(self, target: str, method: str, seed: int) -> Path:
        return self.out / target / method.replace(":", "_") / f"seed{seed}.json"

    def run(self, targets: list[str]) -> None:
        """Every selected stage not finished yet, in order.

        The same command in several processes runs them side by side (they share ``out``): each pretrains the
        sources no other worker is pretraining, then takes the stages no other worker holds.
        """
        import torch

        torch.set_num_threads(1)

        def wanted(stage: str) -> bool:
            return self.only is None or stage in self.only

        for name in self.source_names():
            if wanted("rank") or wanted(f"single:{name}") or any(wanted(m) for m in self.config["gated_methods"]):
                self.source(name, wait=False)
        for target in targets:
            if wanted("rank"):
                with self._claim(f"{target}-rank", self.out / target / "ranking.json") as mine:
                    if mine:
                        self.rank(target)
            for seed in self.config["seeds"]:
                for method in filter(wanted, self.methods(target)):
                    with self._claim(f"{target}-{method}-seed{seed}", self.stage_path(target, method, seed)) as mine:
                        if mine:
                            self.fit(target, method, seed)


# -- summary ----------------------------------------------------------------------------------------------------
def _load(out: Path, target: str, method: str) -> dict[int, dict[str, Any]]:
    folder = out / target / method.replace(":", "_")
    found = {}
    for path in sorted(folder.glob("seed*.json")):
        record = json.loads(path.read_text())
        found[int(record["seed"])] = record
    return found


class _Target:
    """One target's finished stages by method and seed, and their comparisons paired by seed, each computed once.

    ``runs`` also holds ``single:best-dev``: per seed, the single source with the best dev score (its name under
    ``picked``).
    """

    def __init__(self, run: Run, target: str) -> None:
        self.runs = {m: _load(run.out, target, m) for m in run.methods(target)}
        singles = [m for m in self.runs if m.startswith("single:")]
        best = {}
        for seed in self.runs["scratch"]:
            scored = [(self.runs[m][seed]["dev_score"], m) for m in singles if seed in self.runs[m]]
            if scored:
                picked = max(scored)[1]
                best[seed] = {**self.runs[picked][seed], "picked": picked}
        self.runs["single:best-dev"] = best
        self.seeds = sorted(self.runs["scratch"])
        test = run.data(target).test
        self.gold, self.tokens = [list(s.tags) for s in test], [list(s.tokens) for s in test]
        self._paired: dict[tuple[str, str], Any] = {}

    def paired(self, method: str, *, against: str = "scratch") -> Any:
        """``method`` against ``against`` (scratch, or another method) on the seeds both have; None when they share
        no seed."""
        from mitigate.evaluation import transfer_report

        if (method, against) not in self._paired:
            reference, records = self.runs.get(against, {}), self.runs.get(method, {})
            common = [s for s in self.seeds if s in records and s in reference]
            self._paired[method, against] = transfer_report(
                gold=self.gold, scratch_seeds=[reference[s]["test"] for s in common],
                transfer_seeds=[records[s]["test"] for s in common], pairing="paired", tokens=self.tokens, n_bootstrap=0,
            ) if common else None
        return self._paired[method, against]


def _overview(run: Run, evaluated: dict[str, _Target]) -> list[str]:
    """Two tables over all targets: the gated mixture (with the degenerate-source check) and the discriminator gate."""
    import numpy as np

    from mitigate.gating import SCRATCH

    permuted = run.config["permuted"] + PERMUTED_SUFFIX
    mixture = ["## All targets", "", "Gated mixture of source encoders (test, % of tokens, mean over seeds; gains against "
               "scratch of the same seed; Δ paired by seed, McNemar p the largest over seeds):", "",
               "| target | seeds | scratch acc | churn floor | best single on dev: gain / NT | `gated`: gain / NT | "
               "`gated` − best single (p) | `gated+permuted`: gain / NT (lowest seed gain) | permuted source's weight | "
               "scratch branch's weight, `gated` / frozen |",
               "|---|---|---|---|---|---|---|---|---|---|"]
    joint = ["", "Discriminator gate, joint training on the target and one source's data (same columns; ω of the "
             "sentences whose tags were shuffled / of the intact ones, AUC of −ω for finding the shuffled ones):", "",
             "| target | source | `joint`: gain / NT | `joint-gate`: gain / NT | Δ gain (p) | `joint+permuted`: gain / NT | "
             "`joint-gate+permuted`: gain / NT | Δ gain (p) | ω shuffled / intact | AUC |", "|---|---|---|---|---|---|---|---|---|---|"]

    def delta(report: Any) -> str:
        return f"{100 * report.gain:+.2f} ({report.mcnemar_p:.2g})" if report is not None else "–"

    def weight(records: dict[int, dict[str, Any]], name: str) -> str:
        return f"{np.mean([r['gate']['overall'][name] for r in records.values()]):.3f}" if records else "–"

    for target, evaluation in evaluated.items():
        runs = evaluation.runs
        reports = {m: evaluation.paired(m) for m in runs if m != "scratch"}
        done = [r for r in reports.values() if r is not None]
        if not done:
            continue
        gain = {m: f"{100 * r.gain:+.2f} / {100 * r.nt:.2f}" if r is not None else "–" for m, r in reports.items()}
        lowest = (f" ({min(100 * pair.gain for pair in reports['gated+permuted'].pairs):+.2f})"
                  if reports["gated+permuted"] is not None else "")
        mixture.append(
            f"| {target} | {len(evaluation.seeds)} | {100 * done[0].scratch_accuracy:.2f} | "
            f"{'–' if done[0].churn_floor is None else f'{100 * done[0].churn_floor:.2f}'} | "
            f"{gain['single:best-dev']} | {gain['gated']} | {delta(evaluation.paired('gated', against='single:best-dev'))} | "
            f"{gain['gated+permuted']}{lowest} | {weight(runs['gated+permuted'], permuted)} | "
            f"{weight(runs['gated'], SCRATCH)} / {weight(runs['gated-frozen+permuted'], SCRATCH)} |")
        source = run.config["joint_sources"].get(target)
        if source is None:
            continue
        cells = []
        for plain, gated in (("joint", "joint-gate"), ("joint+permuted", "joint-gate+permuted")):
            cells += [gain[plain], gain[gated], delta(evaluation.paired(gated, against=plain))]
        found = [r["source_weights"] for r in runs["joint-gate+permuted"].values() if "source_weights" in r]
        shuffled = (f"{np.mean([w['mean_permuted'] for w in found]):.2f} / {np.mean([w['mean_intact'] for w in found]):.2f} | "
                    f"{np.mean([w['auc_permuted'] for w in found]):.3f}") if found else "– | –"
        joint.append(f"| {target} | {source} | " + " | ".join(cells) + f" | {shuffled} |")
    return mixture + joint + [""]


def _joint_summary(evaluation: _Target, *, source: str | None) -> list[str]:
    """The discriminator gate's lines: each gated joint run against plain joint training on the same source data
    (paired by seed), and what the gate did to the source data (mean ω, down-weighted share, permuted vs intact
    sentences, tags)."""
    import numpy as np

    gated = {m: r for m, r in evaluation.runs.items() if m.startswith("joint-gate") and r}
    if source is None or not gated:
        return []
    lines = ["", f"Discriminator gate: joint training on the target and **{source}** data (source tags the target lacks "
             "ignored); ω = D/(1−D) per source token, sentence weight = mean ω of its tokens."]
    for method, records in gated.items():
        versus = evaluation.paired(method, against=method.replace("-gate", ""))
        if versus is not None:
            lines.append(f"\n`{method}` against `{method.replace('-gate', '')}` (ω = 1, same source data): PT {100 * versus.pt:.2f}, "
                         f"NT {100 * versus.nt:.2f}, gain {100 * versus.gain:+.2f}, McNemar p {versus.mcnemar_p:.3g} "
                         f"({len(versus.pairs)} seeds).")
        weights = {seed: r["source_weights"] for seed, r in records.items() if "source_weights" in r}
        if not weights:
            continue
        reports = list(weights.values())

        def mean(key: str) -> float:
            return float(np.mean([r[key] for r in reports]))  # noqa: B023 (used within the iteration)

        text = (f"\n`{method}` source weights (mean over {len(reports)} seeds): mean sentence ω {mean('mean'):.3f}, "
                f"{100 * mean('share_below_half'):.1f}% of the sentences below 0.5")
        if "auc_permuted" in reports[0]:
            shares = [r["permuted_share_of_down_weighted"] for r in reports if r["share_below_half"] > 0]
            share = (f"{100 * float(np.mean(shares)):.1f}% of the sentences below 0.5 are shuffled ones (half of all are)"
                     if shares else "no sentence below 0.5")
            text += (f"; sentences with shuffled tags {mean('mean_permuted'):.3f} vs intact {mean('mean_intact'):.3f}, "
                     f"{share}, AUC of −ω for finding them {mean('auc_permuted'):.3f}")
        lines.append(text + ".")
        per_tag = {t: float(np.mean([r["per_tag"][t] for r in reports if t in r["per_tag"]])) for t in reports[0]["per_tag"]}
        order = sorted(per_tag, key=per_tag.get)  # type: ignore[arg-type]
        lines.append("Lowest mean ω by source tag: " + ", ".join(f"{t} {per_tag[t]:.2f}" for t in order[:6])
                     + "; highest: " + ", ".join(f"{t} {per_tag[t]:.2f}" for t in order[::-1][:6]) + ".")
        first = min(weights)
        lines += [f"Most down-weighted source sentences (seed {first}):", ""]
        lines += [f"- ω {row['weight']:.3f}{' (shuffled tags)' if row['permuted'] else ''}: {row['text']}" for row in weights[first]["lowest"][:5]]
    return lines


def plot_gate_weights(data: dict[str, tuple[list[str], dict[str, list[float]]]], path: Path, *, title: str) -> Path:
    """One panel per gated method: mean gate weight of each encoder (bars) for all tokens and every slice."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, len(data), figsize=(5.5 * len(data), 3.6), squeeze=False, sharey=True)
    for ax, (method, (names, rows)) in zip(axes[0], data.items()):
        labels = list(rows)
        width = 0.8 / len(names)
        for k, name in enumerate(names):
            ax.bar(np.arange(len(labels)) + k * width, [rows[label][k] for label in labels], width, label=name)
        ax.set_xticks(np.arange(len(labels)) + 0.4 - width / 2, labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(f"{title}: {method}", fontsize=9)
        ax.set_ylabel("mean gate weight")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def summarise(
    run: Run,
    targets: list[str],
    *,
    command: str = "python experiments/gating/run.py",
    figure_dir: Path | None = None,
    figure_prefix: str = "gating",
) -> str:
    """Markdown tables of everything finished: PT / NT / gain vs scratch, gate weights, ranking vs measured gain."""
    lines = ["# Multi-source gating: results", "",
             f"Generated by `{command}` (then `--summary`) from `{os.path.relpath(run.out)}` "
             f"(preset {run.config['preset']}, seeds {run.config['seeds']}, source seed {run.config['source_seed']}, "
             f"target training {run.config['target']}, per-target overrides {run.config['target_overrides']}, "
             f"SourceGating options {run.config['gating']}). "
             "PT / NT / gain are per token on the test split against scratch with the same seed (paired), in %, "
             "mean over seeds; p is the largest McNemar p-value over the seed pairs; excess NT needs >= 2 seeds. "
             "`single:best-dev` picks, per "
             "seed, the single source with the best dev accuracy.", ""]
    evaluated = {target: _Target(run, target) for target in targets}
    lines += _overview(run, evaluated)
    predicted: dict[str, tuple[Any, dict[str, float], dict[str, float]]] = {}  # ranking, gain and −NT per source
    for target, evaluation in evaluated.items():
        runs, seeds = evaluation.runs, evaluation.seeds
        if not seeds:
            continue
        lines += [f"## {target}", "", "| method | seeds | accuracy | PT | NT | excess NT | gain | gain per seed | McNemar p |",
                  "|---|---|---|---|---|---|---|---|---|"]
        measured: dict[str, float] = {}
        measured_nt: dict[str, float] = {}  # minus NT: higher is better, like the ranking score
        acc_scratch, churn = None, None
        span_f1: dict[str, float] = {}
        for method in runs:
            report = evaluation.paired(method) if method != "scratch" else None
            if report is None:
                continue
            acc_scratch, churn = report.scratch_accuracy, report.churn_floor
            if report.spans is not None:
                span_f1 |= {"scratch": report.spans.scratch_f1, method: report.spans.transfer_f1}
            if method.startswith("single:") and method != "single:best-dev":
                measured[method.split(":", 1)[1]] = report.gain
                measured_nt[method.split(":", 1)[1]] = -report.nt
            excess = f"{100 * report.seed_noise.excess_nt:+.2f}" if report.seed_noise else ""
            lines.append(f"| {method} | {len(report.pairs)} | {100 * report.transfer_accuracy:.2f} | {100 * report.pt:.2f} | "
                         f"{100 * report.nt:.2f} | {excess} | {100 * report.gain:+.2f} | "
                         f"{' / '.join(f'{100 * pair.gain:+.2f}' for pair in report.pairs)} | {report.mcnemar_p:.3g} |")
        if acc_scratch is not None:
            lines.append(f"| scratch | {len(seeds)} | {100 * acc_scratch:.2f} | | | | | | |")
        if churn is not None:
            lines.append(f"\nChurn floor (NT of one scratch seed against another, mean over ordered pairs): "
                         f"{100 * churn:.2f} %. An NT near it is seed noise, not transfer; "
                         "excess NT (matched consensus NT minus matched churn, see docs/results.md) is the part above it.")
        if span_f1:
            lines.append("\nSpan F1 on test (exact BIO spans, %, mean over seeds): "
                         + ", ".join(f"{m} {100 * f:.2f}" for m, f in span_f1.items()) + ".")
        plotted: dict[str, tuple[list[str], dict[str, list[float]]]] = {}
        for method in run.config["gated_methods"]:
            records, best = runs.get(method, {}), runs["single:best-dev"]
            picked = ", ".join(sorted({best[s]["picked"] for s in records if s in best}))
            references = {"single:best-dev": f"the dev-picked best single source ({picked})"}
            if "permuted" in method:  # the degenerate-source test: does adding the permuted source cost anything?
                references["gated"] = "`gated` (the same sources without the permuted one)"
            for reference, label in references.items():
                versus = evaluation.paired(method, against=reference)
                if versus is None:
                    continue
                lines.append(f"\n`{method}` against {label}: PT {100 * versus.pt:.2f}, "
                             f"NT {100 * versus.nt:.2f}, gain {100 * versus.gain:+.2f}, McNemar p {versus.mcnemar_p:.3g} "
                             f"({len(versus.pairs)} seeds).")
            if not records:
                continue
            names = next(iter(records.values()))["gate"]["names"]
            rows = {"all": [r["gate"]["overall"] for r in records.values()]}
            for slice_name in next(iter(records.values()))["gate"]["slices"]:
                rows[slice_name] = [r["gate"]["slices"][slice_name]["weights"] for r in records.values()]
            lines += ["", f"Mean gate weight on test tokens, `{method}` (mean over {len(records)} seeds):", "",
                      "| tokens | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
            plotted[method] = (names, {})
            for label, dicts in rows.items():
                means = [sum(d[n] for d in dicts) / len(dicts) for n in names]
                plotted[method][1][label] = means
                lines.append(f"| {label} | " + " | ".join(f"{m:.3f}" for m in means) + " |")
        if plotted and figure_dir is not None:
            path = plot_gate_weights(plotted, figure_dir / f"{figure_prefix}_{target}.png", title=target)
            lines += ["", f"![mean gate weight per source and slice, {target}]({path.name})"]
        lines += _joint_summary(evaluation, source=run.config["joint_sources"].get(target))
        ranking_path = run.out / target / "ranking.json"
        if ranking_path.is_file():
            from mitigate.gating import SourceRanking

            ranking = SourceRanking(**json.loads(ranking_path.read_text()))
            lines += ["", "Source ranking before training (proxies on target train tokens, distances source↔target):", "",
                      ranking.to_markdown()]
            if len(measured) >= 3:
                lines += ["", f"Spearman ρ between the ranking score and the measured gain of each single source: "
                              f"{ranking.rank_correlation(measured):+.2f} (n = {len(measured)} sources); per column: "
                              + ", ".join(f"{c} {ranking.rank_correlation(measured, column=c):+.2f}" for c in ranking.columns),
                          "", f"Spearman ρ between the ranking score and minus the measured NT of each single source: "
                              f"{ranking.rank_correlation(measured_nt):+.2f}."]
                predicted[target] = (ranking, measured, measured_nt)
        lines.append("")
    if predicted:
        lines += ["## Does the ranking predict the single-source results?", "",
                  "Spearman ρ per target between the ranking computed before training and the measured single-source "
                  "gain / minus NT (test, mean over seeds); the source ranked first and the source that measured best.", "",
                  "| target | sources | ρ score vs gain | ρ score vs −NT | ranked first | best gain |",
                  "|---|---|---|---|---|---|"]
        for target, (ranking, measured, measured_nt) in predicted.items():
            lines.append(f"| {target} | {len(measured)} | {ranking.rank_correlation(measured):+.2f} | "
                         f"{ranking.rank_correlation(measured_nt):+.2f} | "
                         f"{ranking.order[0]} | {max(measured, key=lambda m: measured[m])} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--target", action="append", help="only these targets (repeatable)")
    parser.add_argument("--quick", action="store_true", help="tiny smoke configuration (tiny model, 40 sentences)")
    parser.add_argument("--summary", action="store_true", help="only write the summary of what exists")
    parser.add_argument("--reuse-sources", type=Path, default=None, help="folder with <source>-<preset>-seed<k>.pt to reuse")
    parser.add_argument("--sources", nargs="+", default=None, help="override the real sources")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="override the target seeds")
    parser.add_argument("--summary-to", type=Path, default=None,
                        help="where to write the summary (default docs/strategies/gating_results.md; out/summary.md with --quick)")
    parser.add_argument("--gate-warmup", type=int, default=None, help="override SourceGating(warmup_epochs=...)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="only these stages (rank, scratch, single:<source>, gated, gated+permuted, gated-frozen+permuted)")
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    if args.sources:
        config["sources"] = args.sources
    if args.seeds:
        config["seeds"] = args.seeds
    if args.gate_warmup is not None:
        config["gating"] = {**config["gating"], "warmup_epochs": args.gate_warmup}
    run = Run(config, data_dir=args.data_dir, out=args.out, reuse_sources=args.reuse_sources, methods=args.methods)
    targets = args.target or config["targets"]
    unknown = [t for t in targets if t not in FULL["targets"]]
    if unknown:
        parser.error(f"unknown target(s) {unknown}; choose among {FULL['targets']}")
    if not args.summary:
        run.run(targets)
    shown = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--summary"]
    destination = args.summary_to or (args.out / "summary.md" if args.quick else ROOT / "docs" / "strategies" / "gating_results.md")
    summary = summarise(run, targets, command=" ".join(["python experiments/gating/run.py", *shown]),
                        figure_dir=destination.parent, figure_prefix=destination.stem)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(summary)
    print(f"summary: {destination}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
