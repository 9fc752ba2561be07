"""Early pretraining-state selection: keep the source model's states, then choose which one to transfer.

``PretrainingStateRecorder`` keeps states on disk while the source trains; ``load_pretraining_states`` reads them
back; ``select_pretraining_state`` chooses one (``oracle`` / ``proxy`` / ``halving`` / ``fixed``) and returns a
``SelectionResult``. The session strategy is ``mitigate.strategies.selection.SelectPretrainingState``.
See docs/strategies/selection.md.
"""

from mitigate.selection._loading import load_source_state
from mitigate.selection._probe import FeatureProbe
from mitigate.selection._recorder import PretrainingStateRecorder
from mitigate.selection._scenario import item_correctness, scenario_fine_tuner
from mitigate.selection._result import CandidateScores, SelectionCost, SelectionResult
from mitigate.selection._select import MODES, FineTuneOutcome, dev_objective, select_pretraining_state
from mitigate.selection._states import PretrainingState, load_pretraining_states

__all__ = [
    "MODES",
    "CandidateScores",
    "FeatureProbe",
    "FineTuneOutcome",
    "PretrainingState",
    "PretrainingStateRecorder",
    "SelectionCost",
    "SelectionResult",
    "dev_objective",
    "item_correctness",
    "load_pretraining_states",
    "load_source_state",
    "scenario_fine_tuner",
    "select_pretraining_state",
]
