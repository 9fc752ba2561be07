"""Benchmark of the TransferSession's overhead (issue 4): wall time of one training step of the reference tagger
with vs without the session, in the same run, interleaved round by round so every variant sees the same machine load.

Variants: ``plain`` (the loop without a session), ``plain (again)`` (the same loop a second time: an A/A control
whose ratio shows the measurement noise), ``session`` (a session with no strategy), ``session+noop`` (a
strategy overriding every hook with nothing: the cost of dispatching hooks), and, for information, ``session+l2sp``
(L2-SP's own arithmetic, which is the regulariser's cost rather than the session's). The session's own per-step
work (``extra_loss`` plus the optimizer pre/post hooks) is also timed alone, over 20,000 calls. A step is forward + loss
(+ ``session.extra_loss()``) + backward + ``optimizer.step()`` on a batch of 32 synthetic sentences of 20 tokens;
the figure per variant is the median over rounds of the mean step time in that round, as wall time and as process
CPU time (less sensitive to other processes on a shared machine).

    python experiments/bench_session_overhead.py --preset cpu --rounds 100 --steps 3 --seed 0
    python experiments/bench_session_overhead.py --preset study --rounds 50 --steps 3 --seed 0
    python experiments/bench_session_overhead.py --report experiments/bench_session_overhead_{cpu,study}.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mitigate.session import Strategy, TransferSession
from mitigate.strategies import L2SP


class NoOp(Strategy):
    """Overrides every hook and does nothing: what remains is the session's dispatch cost."""

    name = "noop_bench"

    def before_transfer(self, ctx: Any) -> None:
        pass

    def configure_param_groups(self, ctx: Any, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return groups

    def on_epoch_start(self, ctx: Any, epoch: int) -> None:
        pass

    def extra_loss(self, ctx: Any) -> torch.Tensor | None:
        return None

    def after_backward(self, ctx: Any) -> None:
        pass

    def after_step(self, ctx: Any) -> None:
        pass

    def on_epoch_end(self, ctx: Any, epoch: int, dev_score: float | None) -> None:
        pass


def build_model(preset: str, seed: int) -> tuple[nn.Module, list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], str]:
    """The reference tagger (``mitigate.models.BiLSTMTagger``) with a synthetic vocabulary of realistic size."""
    from mitigate.models import BiLSTMTagger, TaggerConfig, TaggerVocab

    generator = torch.Generator().manual_seed(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'@#"
    n_words, n_tags = 8000, 17
    words = ["".join(alphabet[int(i)] for i in torch.randint(0, len(alphabet), (int(n) ,), generator=generator))
             for n in torch.randint(2, 11, (n_words,), generator=generator)]
    tags = [f"T{i}" for i in range(n_tags)]
    vocab = TaggerVocab.build([(words, [tags[i % n_tags] for i in range(n_words)])])
    torch.manual_seed(seed)
    model = BiLSTMTagger(vocab=vocab, config=TaggerConfig.preset(preset))
    batches = []
    for _ in range(4):
        index = torch.randint(0, n_words, (32, 20), generator=generator)
        sentences = [[words[int(i)] for i in row] for row in index]
        w, c = vocab.encode_tokens(sentences)
        batches.append((w, c, torch.randint(0, n_tags, (32, 20), generator=generator)))
    return model, batches, "mitigate.models.BiLSTMTagger"


def run_round(model: nn.Module, batches: list[Any], variant: str, steps: int) -> tuple[float, float]:
    """Mean (wall, process CPU) seconds per step of ``steps`` steps of ``variant``."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    strategies: list[Strategy] = {"session": [], "session+noop": [NoOp()], "session+l2sp": [L2SP(alpha=0.01)]}.get(variant, [])
    model.train()

    def step(i: int, extra: Any) -> None:
        words, chars, tags = batches[i % len(batches)]
        logits = model(words, chars)
        loss = criterion(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1))
        if extra is not None:
            loss = loss + extra()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    if variant in ("plain", "plain (again)"):
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(steps):
            step(i, None)
        return (time.perf_counter() - start) / steps, (time.process_time() - cpu) / steps
    with TransferSession(model=model, optimizer=optimizer, strategies=strategies) as session:
        session.epoch_start(0)
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(steps):
            step(i, session.extra_loss)
        elapsed, cpu_elapsed = time.perf_counter() - start, time.process_time() - cpu
        session.epoch_end(0)
    return elapsed / steps, cpu_elapsed / steps


def dispatch_seconds(model: nn.Module, strategies: list[Strategy], calls: int = 20000) -> float:
    """Seconds per step spent in the session's own per-step work (extra_loss + the optimizer pre/post hooks),
    measured without the training step around it: a load-independent view of the overhead."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    with TransferSession(model=model, optimizer=optimizer, strategies=strategies) as session:
        start = time.perf_counter()
        for _ in range(calls):
            session.extra_loss()
            session._pre_step(optimizer, (), {})
            session._post_step(optimizer, (), {})
        return (time.perf_counter() - start) / calls


def report(paths: list[Path]) -> str:
    """The Markdown table of docs/benchmarks.md ("Session overhead") from result files."""
    lines = [
        "| preset (params) | variant | wall ms/step (median) | ratio of medians | median paired ratio | CPU ms/step | CPU ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        d = json.loads(path.read_text())
        label = f"{d['preset']} ({d['parameters'] / 1e6:.2f} M)"
        lines.append(f"| {label} | plain | {1e3 * d['median_step_seconds']['plain']:.1f} | 1 | 1 | "
                     f"{1e3 * d['median_cpu_step_seconds']['plain']:.1f} | 1 |")
        for v in ("plain (again)", "session", "session+noop", "session+l2sp"):
            lines.append(
                f"| {label} | {v} | {1e3 * d['median_step_seconds'][v]:.1f} | {d['ratio_of_medians'][v]:.3f} | "
                f"{d['median_paired_ratio'][v]:.3f} | {1e3 * d['median_cpu_step_seconds'][v]:.1f} | "
                f"{d['cpu_ratio_of_medians'][v]:.3f} |"
            )
    lines.append("")
    for path in paths:
        d = json.loads(path.read_text())
        share = d["dispatch_share_of_plain_step"]
        lines.append(
            f"- {d['preset']}: the session's own per-step work takes "
            f"{1e6 * d['dispatch_seconds_per_step']['session']:.1f} µs without strategies and "
            f"{1e6 * d['dispatch_seconds_per_step']['session+noop']:.1f} µs with a no-op strategy, "
            f"{100 * share['session']:.4f}% / {100 * share['session+noop']:.4f}% of the plain step "
            f"(`{d['command']}`)."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="cpu", help="tagger size preset: cpu or study")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="default: experiments/bench_session_overhead_<preset>.json")
    parser.add_argument("--report", type=Path, nargs="+", help="print the Markdown table of these result files and exit")
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
        return
    out = args.out or Path(__file__).with_name(f"bench_session_overhead_{args.preset}.json")
    torch.set_num_threads(args.threads)
    model, batches, source = build_model(args.preset, args.seed)
    variants = ["plain", "plain (again)", "session", "session+noop", "session+l2sp"]
    times: dict[str, list[float]] = {v: [] for v in variants}
    cpu_times: dict[str, list[float]] = {v: [] for v in variants}
    for variant in variants:  # warm-up
        run_round(model, batches, variant, 2)
    for r in range(args.rounds):
        order = variants[r % len(variants):] + variants[: r % len(variants)]  # rotate who goes first
        for variant in order:
            wall, cpu = run_round(model, batches, variant, args.steps)
            times[variant].append(wall)
            cpu_times[variant].append(cpu)
    median = {v: statistics.median(t) for v, t in times.items()}
    cpu_median = {v: statistics.median(t) for v, t in cpu_times.items()}
    best = {v: min(t) for v, t in times.items()}
    # per-round ratios pair each session round with the plain round run next to it under the same load
    paired = {v: statistics.median(s / p for s, p in zip(times[v], times["plain"])) for v in variants[1:]}
    dispatch = {
        "session": dispatch_seconds(model, []),
        "session+noop": dispatch_seconds(model, [NoOp()]),
    }
    result = {
        "benchmark": "session_overhead",
        "command": f"python experiments/bench_session_overhead.py --preset {args.preset} --rounds {args.rounds} "
        f"--steps {args.steps} --seed {args.seed} --threads {args.threads}",
        "model": source,
        "preset": args.preset,
        "parameters": sum(p.numel() for p in model.parameters()),
        "batch": "32 sentences x 20 tokens, synthetic vocabulary of 8000 words",
        "torch": torch.__version__,
        "threads": args.threads,
        "machine": platform.platform(),
        "median_step_seconds": median,
        "best_step_seconds": best,
        "ratio_of_medians": {v: median[v] / median["plain"] for v in variants[1:]},
        "ratio_of_best": {v: best[v] / best["plain"] for v in variants[1:]},
        "median_paired_ratio": paired,
        "median_cpu_step_seconds": cpu_median,
        "cpu_ratio_of_medians": {v: cpu_median[v] / cpu_median["plain"] for v in variants[1:]},
        "dispatch_seconds_per_step": dispatch,
        "dispatch_share_of_plain_step": {v: d / median["plain"] for v, d in dispatch.items()},
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
