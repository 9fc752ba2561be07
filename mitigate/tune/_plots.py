"""PNG plots of a study with ``optuna.visualization.matplotlib``: Pareto front, history, parameter importances."""

from __future__ import annotations

import warnings
from pathlib import Path

import optuna
from optuna.trial import TrialState

__all__ = ["save_plots"]


def save_plots(study: optuna.Study, out_dir: str | Path) -> dict[str, str]:
    """Save ``pareto_front.png`` (multi-objective), ``history*.png`` and ``importances*.png`` into ``out_dir``.

    Returns plot name → file path, or → the reason it was skipped (e.g. too few complete trials for importances).

    >>> import tempfile
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=4)
    >>> sorted(save_plots(study, tempfile.mkdtemp()))
    ['history', 'importances']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as vis

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(study.user_attrs.get("objective_names") or [f"value_{i}" for i in range(len(study.directions))])
    n_complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    jobs: list[tuple[str, object]] = []
    if len(names) > 1:
        jobs.append(("pareto_front", lambda: vis.plot_pareto_front(study, target_names=names)))
        for i, name in enumerate(names):
            jobs.append((f"history_{name}", lambda i=i, name=name: vis.plot_optimization_history(
                study, target=lambda t: t.values[i], target_name=name)))
            jobs.append((f"importances_{name}", lambda i=i, name=name: vis.plot_param_importances(
                study, target=lambda t: t.values[i], target_name=name)))
    else:
        jobs.append(("history", lambda: vis.plot_optimization_history(study, target_name=names[0])))
        jobs.append(("importances", lambda: vis.plot_param_importances(study)))
    saved: dict[str, str] = {}
    for name, make in jobs:
        if n_complete < 2:
            saved[name] = f"skipped: {n_complete} complete trial(s), need 2"
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                axes = make()  # type: ignore[operator]
            figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure  # type: ignore[union-attr]
            path = out / f"{name}.png"
            figure.savefig(path, dpi=110, bbox_inches="tight")
            plt.close(figure)
            saved[name] = str(path)
        except (ValueError, RuntimeError) as error:  # e.g. importances when no parameter varied
            saved[name] = f"skipped: {error}"
    return saved
