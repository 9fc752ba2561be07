"""Unit surgery: which parameter entries make up a unit, and how to mask or re-initialise them.

A unit is one output feature of an ``nn.Linear`` (its weight row and bias), one output channel of a convolution,
or one hidden unit of an ``nn.LSTM``'s last layer in either direction (units ``0..H-1`` forward, ``H..2H-1``
reverse): its rows in all four gate blocks of ``W_ih``, ``W_hh`` and both biases, and its recurrent column of
``W_hh``. Masking also zeroes the consumer's input columns that read the unit, so nothing downstream sees it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from mitigate.attribution._modules import _CONV, resolve_module, unit_count

__all__ = ["UnitEntries", "unit_entries", "consumer_entries", "mask_units", "reinit_units"]


@dataclass
class UnitEntries:
    """Entries (``mask``, bool, shape of ``param``) of parameter ``name`` that belong to the selected units."""

    name: str
    param: nn.Parameter
    mask: torch.Tensor
    init_bound: float


def _mask_like(param: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(param, dtype=torch.bool)


def _check_units(units: torch.Tensor, n_units: int, layer: str) -> torch.Tensor:
    units = torch.as_tensor(units, dtype=torch.long).flatten()
    if units.numel() and (int(units.min()) < 0 or int(units.max()) >= n_units):
        raise ValueError(
            f"Expected argument `units` to hold indices in [0, {n_units}) for layer {layer!r}, but got "
            f"{units.tolist()[:10]}."
        )
    return units


def unit_entries(model: nn.Module, *, layer: str, units: torch.Tensor) -> list[UnitEntries]:
    """The parameter entries of ``units`` in module ``layer`` (Linear, LSTM or convolution).

    >>> lstm = nn.LSTM(3, 2, batch_first=True, bidirectional=True)
    >>> model = nn.Sequential(lstm)
    >>> [(e.name, int(e.mask.sum())) for e in unit_entries(model, layer="0", units=torch.tensor([3]))]
    [('0.weight_ih_l0_reverse', 12), ('0.weight_hh_l0_reverse', 12), ('0.bias_ih_l0_reverse', 4), ('0.bias_hh_l0_reverse', 4)]
    """
    module = resolve_module(model, layer)
    n_units = unit_count(module, layer=layer)
    units = _check_units(units, n_units, layer)
    prefix = f"{layer}."
    if isinstance(module, (nn.Linear, *_CONV)):
        fan_in = module.weight[0].numel()
        bound = 1.0 / math.sqrt(fan_in)
        entries = []
        w = _mask_like(module.weight)
        w[units] = True
        entries.append(UnitEntries(prefix + "weight", module.weight, w, bound))
        if module.bias is not None:
            b = _mask_like(module.bias)
            b[units] = True
            entries.append(UnitEntries(prefix + "bias", module.bias, b, bound))
        return entries
    # unit_count already refused anything but an LSTM here
    hidden = module.hidden_size
    bound = 1.0 / math.sqrt(hidden)
    last = module.num_layers - 1
    entries = []
    for direction, suffix in enumerate(["", "_reverse"][: 2 if module.bidirectional else 1]):
        mine = units[(units // hidden) == direction] % hidden
        if mine.numel() == 0:
            continue
        rows = (mine.unsqueeze(0) + hidden * torch.arange(4).unsqueeze(1)).flatten()
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            name = f"{kind}_l{last}{suffix}"
            param = getattr(module, name, None)
            if param is None:
                continue
            mask = _mask_like(param)
            mask[rows] = True
            if kind == "weight_hh":
                mask[:, mine] = True
            entries.append(UnitEntries(prefix + name, param, mask, bound))
    return entries


def consumer_entries(model: nn.Module, *, layer: str, consumer: str, units: torch.Tensor) -> list[UnitEntries]:
    """The input columns of module ``consumer`` that read ``units`` of ``layer``.

    >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> [(e.name, e.mask[0].tolist()) for e in consumer_entries(model, layer="0", consumer="2", units=torch.tensor([1]))]
    [('2.weight', [False, True, False])]
    """
    n_units = unit_count(resolve_module(model, layer), layer=layer)
    units = _check_units(units, n_units, layer)
    module = resolve_module(model, consumer)
    prefix = f"{consumer}."
    if isinstance(module, nn.Linear):
        if module.in_features % n_units:
            raise ValueError(
                f"Expected consumer {consumer!r} to read the {n_units} units of {layer!r} (in_features a multiple of "
                f"{n_units}), but got in_features={module.in_features}."
            )
        block = module.in_features // n_units  # a flattened channel map is read channel-major
        cols = (units.unsqueeze(1) * block + torch.arange(block).unsqueeze(0)).flatten()
        mask = _mask_like(module.weight)
        mask[:, cols] = True
        return [UnitEntries(prefix + "weight", module.weight, mask, 1.0 / math.sqrt(module.in_features))]
    if isinstance(module, _CONV):
        if module.in_channels != n_units or module.groups != 1:
            raise ValueError(
                f"Expected consumer {consumer!r} to have in_channels={n_units} and groups=1, but got "
                f"in_channels={module.in_channels}, groups={module.groups}."
            )
        mask = _mask_like(module.weight)
        mask[:, units] = True
        return [UnitEntries(prefix + "weight", module.weight, mask, 1.0 / math.sqrt(module.weight[0].numel()))]
    if isinstance(module, nn.LSTM):
        if module.input_size != n_units:
            raise ValueError(
                f"Expected consumer {consumer!r} to have input_size={n_units}, but got {module.input_size}."
            )
        entries = []
        for suffix in ["", "_reverse"][: 2 if module.bidirectional else 1]:
            param = getattr(module, f"weight_ih_l0{suffix}")
            mask = _mask_like(param)
            mask[:, units] = True
            entries.append(UnitEntries(f"{prefix}weight_ih_l0{suffix}", param, mask, 1.0 / math.sqrt(module.hidden_size)))
        return entries
    raise TypeError(
        f"Expected consumer {consumer!r} to be an nn.Linear, nn.LSTM or convolution, but got {type(module).__name__}."
    )


def mask_units(
    model: nn.Module, *, layer: str, units: torch.Tensor, consumer: str | None = None
) -> list[UnitEntries]:
    """Zero the entries of ``units`` (and the consumer's columns reading them); return them to keep at zero.

    >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> _ = mask_units(model, layer="0", units=torch.tensor([0, 2]), consumer="2")
    >>> model[0](torch.ones(1, 2))[0, [0, 2]].tolist()
    [0.0, 0.0]
    """
    entries = unit_entries(model, layer=layer, units=units)
    if consumer is not None:
        entries += consumer_entries(model, layer=layer, consumer=consumer, units=units)
    with torch.no_grad():
        for entry in entries:
            entry.param.masked_fill_(entry.mask, 0.0)
    return entries


def reinit_units(model: nn.Module, *, layer: str, units: torch.Tensor, seed: int = 0) -> list[UnitEntries]:
    """Draw the entries of ``units`` afresh from PyTorch's default ``U(-1/√fan_in, 1/√fan_in)``; others are untouched.

    >>> model = nn.Sequential(nn.Linear(2, 3))
    >>> before = model[0].weight.detach().clone()
    >>> _ = reinit_units(model, layer="0", units=torch.tensor([1]))
    >>> bool((model[0].weight[0] == before[0]).all()), bool((model[0].weight[1] != before[1]).all())
    (True, True)
    """
    entries = unit_entries(model, layer=layer, units=units)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for entry in entries:
            fresh = torch.empty(entry.param.shape).uniform_(-entry.init_bound, entry.init_bound, generator=generator)
            entry.param.copy_(torch.where(entry.mask, fresh.to(entry.param), entry.param))
    return entries
