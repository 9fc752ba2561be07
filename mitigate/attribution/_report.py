"""The inspection report of a pruning: units pruned, their scores, the labels each unit drives most; JSON + PNG."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mitigate.attribution._scoring import UnitImportance

__all__ = ["LayerReport", "top_labels", "write_report"]


def top_labels(
    scores: UnitImportance | None, unit: int, *, names: Sequence[str] | None = None, n: int = 3, min_count: int = 5
) -> list[list[Any]]:
    """The ``n`` gold labels through which ``unit`` is most important, as ``[label, mean |A|]`` pairs.

    Only labels seen at least ``min_count`` times compete (or, when none is, the most frequent ones), so a label seen
    once does not top the list by chance.

    >>> s = UnitImportance("l", "activation", torch.ones(2), 3, torch.tensor([[1.0, 0.0], [3.0, 5.0]]), torch.tensor([6, 5]))
    >>> top_labels(s, 1, names=["NN", "VB"])
    [['VB', 5.0], ['NN', 0.0]]
    """
    if scores is None or scores.label_importance is None or scores.label_counts is None:
        return []
    column = scores.label_importance[:, unit]
    floor = min(min_count, int(scores.label_counts.max()))
    seen = torch.nonzero(scores.label_counts >= max(1, floor)).flatten()
    order = seen[torch.argsort(column[seen], descending=True, stable=True)][:n]
    return [[names[i] if names is not None and i < len(names) else str(int(i)), round(float(column[i]), 6)] for i in order]


@dataclass
class LayerReport:
    """What a pruning did to one layer (all lists are per unit of the layer, ``pruned`` best first)."""

    layer: str
    selection: str
    mode: str
    pruned: list[int]
    bias: list[float] | None = None
    source_importance: list[float] | None = None
    target_importance: list[float] | None = None
    harm_importance: list[float] | None = None
    units: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON)."""
        return dict(self.__dict__)


def write_report(reports: Sequence[LayerReport], *, path: str | Path) -> tuple[Path, Path]:
    """Write ``<path>.json`` and ``<path>.png`` (bias score histogram per layer, pruned units marked).

    >>> import tempfile
    >>> r = LayerReport("fe", "bias", "mask", [1], bias=[0.0, 2.0, -1.0])
    >>> j, p = write_report([r], path=Path(tempfile.mkdtemp()) / "pruning")
    >>> j.suffix, p.is_file()
    ('.json', True)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem = Path(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    json_path, png_path = stem.with_suffix(".json"), stem.with_suffix(".png")
    json_path.write_text(json.dumps({"layers": [r.to_dict() for r in reports]}, indent=1))
    fig, axes = plt.subplots(1, max(1, len(reports)), figsize=(5 * max(1, len(reports)), 3.5), squeeze=False)
    for ax, report in zip(axes[0], reports):
        if report.bias is None:
            ax.text(0.5, 0.5, f"{report.layer}: {report.selection} selection,\n{len(report.pruned)} units, no scores",
                    ha="center", va="center")
            ax.set_axis_off()
            continue
        bias = torch.tensor(report.bias)
        ax.hist(bias.numpy(), bins=min(40, max(5, bias.numel() // 4)), color="0.7", label="all units")
        pruned = bias[torch.tensor(report.pruned, dtype=torch.long)].numpy() if report.pruned else []
        ax.plot(pruned, [0] * len(pruned), "|", color="crimson", markersize=18, label=f"pruned ({len(pruned)})")
        ax.set_title(f"{report.layer} ({report.selection}, {report.mode})")
        ax.set_xlabel("bias score (z of log source/target importance)")
        ax.set_ylabel("units")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return json_path, png_path
