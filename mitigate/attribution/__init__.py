"""Attribution of hidden units with Captum, and the unit surgery that prunes them.

Building blocks of ``PruneBiasedUnits`` (``mitigate.strategies.pruning``), usable on their own:
``unit_importance`` (mean |attribution| per unit of a layer, through the model's head or a target probe),
``fit_probe``, ``bias_scores`` / ``select_top_units`` / ``select_random_units``, ``mask_units`` / ``reinit_units``,
``tensor_output`` (LSTM and packed outputs as one tensor) and ``write_report``.
"""

from mitigate.attribution._adapter import tensor_output
from mitigate.attribution._batches import Batches, split_batch
from mitigate.attribution._bias import bias_scores, count_for_percent, select_random_units, select_top_units
from mitigate.attribution._modules import resolve_module, unit_count, unit_dim
from mitigate.attribution._probe import fit_probe, head_features
from mitigate.attribution._report import LayerReport, top_labels, write_report
from mitigate.attribution._scoring import METHODS, UnitImportance, unit_importance
from mitigate.attribution._surgery import UnitEntries, consumer_entries, mask_units, reinit_units, unit_entries

__all__ = [
    "METHODS",
    "Batches",
    "LayerReport",
    "UnitEntries",
    "UnitImportance",
    "bias_scores",
    "consumer_entries",
    "count_for_percent",
    "fit_probe",
    "head_features",
    "mask_units",
    "reinit_units",
    "resolve_module",
    "select_random_units",
    "select_top_units",
    "split_batch",
    "tensor_output",
    "top_labels",
    "unit_count",
    "unit_dim",
    "unit_entries",
    "unit_importance",
    "write_report",
]
