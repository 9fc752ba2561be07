"""``run_benchmark``: run every unfinished cell of a grid, in one process or as one of many workers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mitigate.bench._config import BenchConfig, load_config
from mitigate.bench._results import ResultsFile
from mitigate.bench._workspace import Workspace

__all__ = ["BenchRun", "run_benchmark"]

RESULTS_NAME = "results.jsonl"


@dataclass
class BenchRun:
    """What one call of ``run_benchmark`` did.

    >>> BenchRun(results=Path("r.jsonl"), total=4, ran=1, skipped=3).complete
    True
    """

    results: Path
    total: int
    ran: int
    skipped: int
    counts: dict[str, int] = field(default_factory=dict)
    report: Path | None = None

    @property
    def complete(self) -> bool:
        """Whether every cell of the grid now has a result in this results file."""
        return self.ran + self.skipped >= self.total


def _progress(total: int, initial: int, name: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=f"bench {name}", unit="cell", disable=not enabled, dynamic_ncols=True)


def run_benchmark(
    *,
    config: BenchConfig | str | Path,
    out_dir: str | Path,
    storage: str | None = None,
    study_name: str | None = None,
    data_dir: str | Path | None = None,
    max_cells: int | None = None,
    progress: bool = True,
    report: bool = True,
) -> BenchRun:
    """Run the unfinished cells of ``config`` and append their results to ``out_dir/results.jsonl``.

    Finished cells (already in the results file) are skipped, so rerunning the same command resumes an interrupted
    run. With ``storage`` (an Optuna storage URL, or ``journal:PATH``), cells are handed out through an Optuna study
    shared by every worker started with the same config and storage. ``max_cells`` stops after that many new cells.
    When the grid is complete and ``report`` is true, the report is written to ``out_dir/report``.

    >>> import tempfile
    >>> from mitigate.bench._config import parse_config
    >>> grid = parse_config('seeds = [0]\\n[[pairs]]\\nfactory = "mitigate.bench._fakes:FakeTaggingScenario"\\n'
    ...                     '[[strategies]]\\nstrategy = "none"\\n')
    >>> run = run_benchmark(config=grid, out_dir=tempfile.mkdtemp(), progress=False, report=False)
    >>> run.ran, run.complete
    (1, True)
    """
    if not isinstance(config, BenchConfig):
        if not isinstance(config, (str, Path)):
            raise TypeError(f"Expected argument `config` to be a BenchConfig or a path, but got {type(config).__name__}.")
        config = load_config(config)
    if max_cells is not None and (isinstance(max_cells, bool) or not isinstance(max_cells, int) or max_cells < 1):
        raise ValueError(f"Expected argument `max_cells` to be an int >= 1 or None, but got {max_cells!r}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = ResultsFile(out / RESULTS_NAME, config_hash=config.config_hash)
    _write_config_copy(config, out)
    workspace = Workspace(config, out_dir=out, data_dir=data_dir)
    cells = config.cells()
    if storage is None:
        done = results.finished()
        todo = [cell for cell in cells if cell.cell_id not in done]
        ran = 0
        with _progress(len(cells), len(cells) - len(todo), config.name, progress) as bar:
            for cell in todo:
                if max_cells is not None and ran >= max_cells:
                    break
                results.append(workspace.run_cell(cell))
                ran += 1
                bar.update(1)
        skipped = len(cells) - len(todo)
    else:
        from mitigate.bench._distributed import run_worker

        with _progress(len(cells), 0, config.name, progress) as bar:
            ran, skipped = run_worker(
                config=config, workspace=workspace, results=results, storage=storage, study_name=study_name,
                max_cells=max_cells, on_cell=lambda: bar.update(1),
            )
    run = BenchRun(results=results.path, total=len(cells), ran=ran, skipped=skipped, counts=dict(workspace.counts))
    finished = results.finished()
    if report and all(cell.cell_id in finished for cell in cells):
        from mitigate.bench._report import write_report

        run.report = write_report(results=results.path, out_dir=out / "report")
    return run


def _write_config_copy(config: BenchConfig, out: Path) -> None:
    """Keep the resolved config beside its results (what the hash in every line refers to)."""
    path = out / f"config-{config.config_hash}.json"
    if not path.exists():
        payload = {"config_hash": config.config_hash, "source": str(config.path) if config.path else None, **config.to_dict()}
        path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
