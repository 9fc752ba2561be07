"""Score one cell with the evaluator (``mitigate.evaluation.transfer_report``) and keep what the report needs.

PT / NT / gain / McNemar / span F1 / slices compare the transferred model with the scratch model of the cell's own
seed. With two or more scratch seeds, a second call over every scratch seed adds the churn floor and excess NT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mitigate.evaluation import transfer_report

__all__ = ["check_alignment", "evaluate_cell"]


def _flat_set(labels: Sequence[Any]) -> set[str]:
    if len(labels) and isinstance(labels[0], (list, tuple)):
        return {str(label) for sentence in labels for label in sentence}
    return {str(label) for label in labels}


def check_alignment(*, pair: str, gold: Sequence[Any], predictions: Sequence[Any], model: str) -> None:
    """Refuse predictions that cannot be compared item by item with the gold labels.

    >>> check_alignment(pair="p", gold=[["N", "V"]], predictions=[["X", "Y"]], model="scratch")
    Traceback (most recent call last):
    ...
    ValueError: Pair 'p': cannot align the label sets of the scratch model's predictions ['X', 'Y'] and the target's gold labels ['N', 'V']: they share no label (is the model predicting the source's tag set?).
    """
    if len(predictions) != len(gold):
        raise ValueError(
            f"Pair {pair!r}: the {model} model predicted {len(predictions)} items/sentences, but the target has {len(gold)}."
        )
    if len(gold) and isinstance(gold[0], (list, tuple)):
        for index, (gold_sentence, sentence) in enumerate(zip(gold, predictions)):
            if len(gold_sentence) != len(sentence):
                raise ValueError(
                    f"Pair {pair!r}: sentence {index} has {len(gold_sentence)} gold tags but {len(sentence)} predicted"
                    f" by the {model} model."
                )
    gold_set, predicted_set = _flat_set(gold), _flat_set(predictions)
    if not gold_set & predicted_set:
        raise ValueError(
            f"Pair {pair!r}: cannot align the label sets of the {model} model's predictions {sorted(predicted_set)[:10]}"
            f" and the target's gold labels {sorted(gold_set)[:10]}: they share no label (is the model predicting the"
            " source's tag set?)."
        )


def evaluate_cell(
    *,
    gold: Sequence[Any],
    scratch: dict[int, Sequence[Any]],
    transfer: Sequence[Any],
    seed: int,
    tokens: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Metrics of one transfer run (``seed``) against ``scratch[seed]``, plus churn / excess NT over every scratch seed.

    ``slices`` maps a kind of item (token slices of the evaluator, or ``class <label>`` without tokens) to
    ``[n, pt_count, nt_count]``.

    >>> metrics = evaluate_cell(gold=["a", "b", "a", "b"], scratch={0: ["a", "a", "a", "a"]}, transfer=["a", "b", "b", "b"], seed=0)
    >>> metrics["pt"], metrics["nt"], metrics["gain"], metrics["acc_transfer"] - metrics["acc_scratch"]
    (0.5, 0.25, 0.25, 0.25)
    """
    report = transfer_report(gold=gold, scratch=scratch[seed], transfer=transfer, tokens=tokens, n_bootstrap=0).to_dict()
    metrics: dict[str, Any] = {
        "n_items": int(report["n"]),
        "acc_scratch": report["scratch_accuracy"],
        "acc_transfer": report["transfer_accuracy"],
        "pt": report["pt"],
        "nt": report["nt"],
        "gain": report["gain"],
        "pt_count": int(round(report["pt_count"])),
        "nt_count": int(round(report["nt_count"])),
        "mcnemar_p": report["mcnemar_p"],
        "f1_scratch": report["spans"]["scratch_f1"] if report.get("spans") else None,
        "f1_transfer": report["spans"]["transfer_f1"] if report.get("spans") else None,
        "churn": float("nan"),
        "excess_nt": float("nan"),
    }
    if len(scratch) >= 2:
        seeds = sorted(scratch)
        noise = transfer_report(
            gold=gold, scratch_seeds=[scratch[s] for s in seeds], transfer=transfer, n_bootstrap=0, spans=False
        ).to_dict()
        metrics["churn"] = noise["churn_floor"]
        metrics["excess_nt"] = noise["seed_noise"]["excess_nt"]
    slices = {"all": [metrics["n_items"], metrics["pt_count"], metrics["nt_count"]]}
    if tokens is not None:
        for item in report.get("slices") or []:
            slices[item["name"]] = [int(item["n"]), int(round(item["pt"] * item["n"])), int(round(item["nt"] * item["n"]))]
    else:
        for item in report.get("per_class") or []:
            slices[f"class {item['label']}"] = [int(item["support"]), int(round(item["pt_count"])), int(round(item["nt_count"]))]
    metrics["slices"] = slices
    return metrics
