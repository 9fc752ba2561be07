"""PT / NT bar charts (the study's Figure 1 style): one group of bars per dataset or seed pair."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["plot_pt_nt"]


def plot_pt_nt(
    *,
    labels: Sequence[str],
    pt: Sequence[float],
    nt: Sequence[float],
    path: str | Path,
    churn: Sequence[float | None] | None = None,
    title: str = "Positive (PT) and negative (NT) transfer",
) -> Path:
    """Save a grouped bar chart of PT and NT (fractions, shown in %) per label; optional churn-floor markers.

    >>> import tempfile
    >>> p = plot_pt_nt(labels=["a"], pt=[0.05], nt=[0.02], path=Path(tempfile.mkdtemp()) / "f.png")
    >>> p.stat().st_size > 0
    True
    """
    if not (len(labels) == len(pt) == len(nt)) or (churn is not None and len(churn) != len(labels)):
        raise ValueError(
            f"Expected `labels`, `pt`, `nt` (and `churn`) of equal length, but got {len(labels)}, {len(pt)}, {len(nt)}"
            f"{'' if churn is None else f', {len(churn)}'}."
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(4.0, 1.4 * len(labels) + 1.5), 3.2))
    ax.bar(x - 0.2, 100 * np.asarray(pt, dtype=float), 0.4, label="PT (corrected)", color="#4c72b0")
    ax.bar(x + 0.2, 100 * np.asarray(nt, dtype=float), 0.4, label="NT (falsified)", color="#dd8452")
    if churn is not None:
        values = [np.nan if c is None else 100 * c for c in churn]
        ax.scatter(x + 0.2, values, marker="_", s=400, color="black", zorder=3, label="churn floor (scratch vs scratch)")
    ax.set_xticks(x, list(labels))
    ax.set_ylabel("% of test items")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
