"""Expose a layer's output as one tensor for Captum, without the user rewriting the model.

Captum attributes to a module whose output is a tensor. An ``nn.LSTM`` returns ``(output, (h, c))`` and may
return a ``PackedSequence``; we hook the layer and route its main output through a private ``nn.Identity``
(padded, batch first, for packed sequences) and attribute to that identity instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

__all__ = ["tensor_output"]


def _through(identity: nn.Module, value: Any, layer: str) -> Any:
    if isinstance(value, torch.Tensor):
        return identity(value)
    if isinstance(value, PackedSequence):
        padded, lengths = pad_packed_sequence(value, batch_first=True)
        padded = identity(padded)
        order = value.sorted_indices if value.sorted_indices is not None else torch.arange(padded.shape[0])
        repacked = pack_padded_sequence(padded.index_select(0, order), lengths.index_select(0, order), batch_first=True)
        return PackedSequence(repacked.data, value.batch_sizes, value.sorted_indices, value.unsorted_indices)
    raise ValueError(
        f"Expected layer {layer!r} to output a tensor, a PackedSequence or a tuple starting with one, "
        f"but got {type(value).__name__}; it cannot be adapted for attribution."
    )


@contextmanager
def tensor_output(module: nn.Module, *, layer: str = "layer") -> Iterator[nn.Module]:
    """Within the block, the returned identity module sees ``module``'s main output as a tensor.

    >>> lstm = nn.LSTM(3, 2, batch_first=True)
    >>> with tensor_output(lstm, layer="lstm") as out:
    ...     seen = []
    ...     handle = out.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    ...     _ = lstm(torch.zeros(1, 4, 3))
    ...     handle.remove()
    >>> seen
    [torch.Size([1, 4, 2])]
    """
    identity = nn.Identity()

    def hook(_module: nn.Module, _inputs: Any, output: Any) -> Any:
        if isinstance(output, tuple) and output:
            return (_through(identity, output[0], layer), *output[1:])
        return _through(identity, output, layer)

    handle = module.register_forward_hook(hook)
    try:
        yield identity
    finally:
        handle.remove()
