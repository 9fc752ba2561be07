"""Unit surgery: masked units output zero, re-initialised units change and nothing else does."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mitigate.attribution import mask_units, reinit_units, unit_entries

torch.set_num_threads(1)


def _params(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_linear_mask_zeroes_unit_outputs_and_consumer_columns() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
    x = torch.randn(10, 5)
    before_hidden = model[1](model[0](x)).detach()
    mask_units(model, layer="0", units=torch.tensor([1, 4]), consumer="2")
    hidden = model[1](model[0](x)).detach()
    assert torch.equal(hidden[:, [1, 4]], torch.zeros(10, 2))
    keep = [0, 2, 3, 5]
    assert torch.equal(hidden[:, keep], before_hidden[:, keep])
    assert torch.equal(model[2].weight[:, [1, 4]].detach(), torch.zeros(3, 2))
    assert bool((model[2].weight[:, keep] != 0).all())


def test_linear_reinit_changes_only_selected_rows() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 6), nn.Linear(6, 2))
    before = _params(model)
    reinit_units(model, layer="0", units=torch.tensor([2]), seed=3)
    after = _params(model)
    assert bool((after["0.weight"][2] != before["0.weight"][2]).all())
    assert after["0.bias"][2] != before["0.bias"][2]
    others = [0, 1, 3, 4, 5]
    assert torch.equal(after["0.weight"][others], before["0.weight"][others])
    assert torch.equal(after["0.bias"][others], before["0.bias"][others])
    assert torch.equal(after["1.weight"], before["1.weight"])
    bound = 1 / 5**0.5
    assert float(after["0.weight"][2].abs().max()) <= bound


def _without_units(lstm: nn.LSTM, removed: dict[str, int]) -> nn.LSTM:
    hidden = lstm.hidden_size
    small = nn.LSTM(lstm.input_size, hidden - 1, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for suffix, k in removed.items():
            keep = [u for u in range(hidden) if u != k]
            rows = [g * hidden + u for g in range(4) for u in keep]
            getattr(small, f"weight_ih_l0{suffix}").copy_(getattr(lstm, f"weight_ih_l0{suffix}")[rows])
            getattr(small, f"weight_hh_l0{suffix}").copy_(getattr(lstm, f"weight_hh_l0{suffix}")[rows][:, keep])
            getattr(small, f"bias_ih_l0{suffix}").copy_(getattr(lstm, f"bias_ih_l0{suffix}")[rows])
            getattr(small, f"bias_hh_l0{suffix}").copy_(getattr(lstm, f"bias_hh_l0{suffix}")[rows])
    return small


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_mask_all_gates_both_directions(num_layers: int) -> None:
    torch.manual_seed(0)
    hidden = 4
    lstm = nn.LSTM(3, hidden, num_layers=num_layers, batch_first=True, bidirectional=True)
    model = nn.ModuleDict({"lstm": lstm, "out": nn.Linear(2 * hidden, 2)})
    x = torch.randn(2, 7, 3)
    before = lstm(x)[0].detach()
    units = torch.tensor([1, 6])  # forward unit 1 and reverse unit 2
    mask_units(model, layer="lstm", units=units, consumer="out")
    after = lstm(x)[0].detach()
    assert torch.equal(after[..., units], torch.zeros(2, 7, 2))
    if num_layers == 1:
        # masking equals removing: an LSTM without those two units gives the other units' outputs exactly
        others = [u for u in range(2 * hidden) if u not in (1, 6)]
        torch.testing.assert_close(after[..., others], _without_units(lstm, {"": 1, "_reverse": 2})(x)[0])
    else:
        assert float(after[..., [0, 2, 3]].abs().sum()) > 0
    last = num_layers - 1
    for suffix, k in (("", 1), ("_reverse", 2)):
        rows = [k, hidden + k, 2 * hidden + k, 3 * hidden + k]
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            param = getattr(lstm, f"{kind}_l{last}{suffix}").detach()
            assert torch.equal(param[rows], torch.zeros_like(param[rows])), (kind, suffix)
        assert torch.equal(getattr(lstm, f"weight_hh_l{last}{suffix}").detach()[:, k], torch.zeros(4 * hidden))
    assert torch.equal(model["out"].weight.detach()[:, units], torch.zeros(2, 2))


def test_lstm_reinit_changes_unit_rows_and_recurrent_column_only() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    model = nn.Sequential(lstm)
    before = _params(model)
    entries = unit_entries(model, layer="0", units=torch.tensor([5]))
    reinit_units(model, layer="0", units=torch.tensor([5]), seed=1)
    after = _params(model)
    changed = {e.name: e.mask for e in entries}
    assert set(changed) == {f"0.{k}_l0_reverse" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    assert int(changed["0.weight_hh_l0_reverse"][:, 1].sum()) == 16  # the recurrent column of reverse unit 1
    for name in before:
        mask = changed.get(name, torch.zeros_like(before[name], dtype=torch.bool))
        assert torch.equal(after[name][~mask], before[name][~mask]), name
        assert bool((after[name][mask] != before[name][mask]).all()), name


def test_conv_channel_mask_and_flattened_linear_consumer() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 2 * 2, 3))
    x = torch.randn(5, 1, 4, 4)
    mask_units(model, layer="0", units=torch.tensor([2]), consumer="3")
    assert torch.equal(model[0](x)[:, 2].detach(), torch.zeros(5, 2, 2))
    weight = model[3].weight.detach()
    assert torch.equal(weight[:, 8:12], torch.zeros(3, 4))
    assert bool((weight[:, :8] != 0).all()) and bool((weight[:, 12:] != 0).all())


def test_conv_consumer_input_channels() -> None:
    model = nn.Sequential(nn.Conv1d(2, 3, 1), nn.Conv1d(3, 2, 1))
    mask_units(model, layer="0", units=torch.tensor([0]), consumer="1")
    assert torch.equal(model[1].weight.detach()[:, 0], torch.zeros(2, 1))


def test_surgery_bad_inputs() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match=r"indices in \[0, 3\) for layer '0', but got \[3\]"):
        mask_units(model, layer="0", units=torch.tensor([3]))
    with pytest.raises(TypeError, match="Expected layer '1' to be an nn.Linear, nn.LSTM or nn.Conv1d/2d/3d"):
        mask_units(model, layer="1", units=torch.tensor([0]))
    with pytest.raises(ValueError, match=r"in_features a multiple of 3\), but got in_features=4"):
        mask_units(model, layer="0", units=torch.tensor([0]), consumer="2")
