"""Load a source pretraining state into a model that may differ in its head or in grown vocabularies."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from mitigate.models._checkpoint import state_mismatch

__all__ = ["load_source_state"]


def load_source_state(
    model: nn.Module,
    state: Mapping[str, torch.Tensor],
    *,
    exclude: Sequence[str] = (),
    extend_rows: bool = True,
) -> list[str]:
    """Copy ``state`` into ``model`` in place and return the names copied.

    Keys matching a glob of ``exclude`` (e.g. ``"classifier.*"``, a head the target replaces) are skipped, on both
    sides. Every other key must exist in both with the same shape, except that with ``extend_rows`` a model
    tensor with *more rows* (dim 0) than the state's receives the state's rows as its first rows, the rest kept:
    this is how a target vocabulary extends the source's (``transfer_model``). Anything else raises
    ``ValueError`` naming the mismatched keys, so a state of another architecture never half-loads.

    >>> model = nn.Sequential(nn.Embedding(5, 2), nn.Linear(2, 3))
    >>> source = nn.Sequential(nn.Embedding(4, 2), nn.Linear(2, 7))
    >>> load_source_state(model, source.state_dict(), exclude=["1.*"])
    ['0.weight']
    >>> bool(torch.equal(model[0].weight[:4], source[0].weight))
    True
    """

    def excluded(key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in exclude)

    own = model.state_dict()
    wanted = {k: v for k, v in state.items() if not excluded(k)}
    mine = {k for k in own if not excluded(k)}

    def fits(dst: tuple[int, ...], src: tuple[int, ...]) -> bool:
        grows = extend_rows and len(src) == len(dst) >= 1 and src[1:] == dst[1:] and src[0] <= dst[0]
        return src == dst or grows

    problem = state_mismatch(
        {key: own[key].shape for key in mine},
        {key: value.shape for key, value in wanted.items()},
        describe_shape=lambda key, dst, src: f"{key}: state {src} vs model {dst}",
        fits=fits,
        missing_label="keys missing from the state",
        unexpected_label="keys the model lacks",
    )
    if problem:
        raise ValueError(
            f"The pretraining state does not fit the model (another architecture?): {problem}. "
            "Pass `exclude=` globs for parts the target replaces (e.g. its classifier)."
        )
    with torch.no_grad():
        for key, value in wanted.items():
            own[key][: value.shape[0]].copy_(value) if value.dim() else own[key].copy_(value)
    return sorted(wanted)
