"""TransferSession: hook order, undo (also on exceptions), optimizer groups, and the bad-input errors."""

from __future__ import annotations

import io

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from mitigate.session import Compose, Strategy, TransferSession
from mitigate.strategies import FreezeModules, GradualUnfreezing, L2SP, LayerwiseLRDecay
from mitigate.testing import (
    ConstantLoss,
    RecordingStrategy,
    TinyMLP,
    TinyTagger,
    run_transfer,
    snapshot,
    tiny_mlp_batches,
    tiny_tagger_batches,
)

torch.set_num_threads(1)


def _sgd(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.1)


def test_hooks_fire_in_documented_order_with_progress() -> None:
    recorder = RecordingStrategy()
    session, _, _ = run_transfer(TinyTagger(), [recorder], tiny_tagger_batches(n=2), epochs=2)
    assert recorder.calls == [
        ("before_transfer", -1, 0),
        ("configure_param_groups", -1, 0),
        ("on_epoch_start", 0, 0),
        ("extra_loss", 0, 0),
        ("after_backward", 0, 0),
        ("after_step", 0, 1),
        ("extra_loss", 0, 1),
        ("after_backward", 0, 1),
        ("after_step", 0, 2),
        ("on_epoch_end", 0, 2),
        ("on_epoch_start", 1, 2),
        ("extra_loss", 1, 2),
        ("after_backward", 1, 2),
        ("after_step", 1, 3),
        ("extra_loss", 1, 3),
        ("after_backward", 1, 3),
        ("after_step", 1, 4),
        ("on_epoch_end", 1, 4),
        ("after_transfer", 1, 4),
    ]
    assert len(recorder.dev_scores) == 2 and all(isinstance(s, float) for s in recorder.dev_scores)
    assert session.context.step == 4


def test_extra_loss_is_zero_tensor_without_terms_and_sums_terms() -> None:
    model = TinyMLP()
    with TransferSession(model=model, optimizer=_sgd(model)) as session:
        zero = session.extra_loss()
        assert zero.dim() == 0 and float(zero) == 0.0
    model = TinyMLP()
    strategies = [ConstantLoss(value=0.25), ConstantLoss(value=0.5)]
    with TransferSession(model=model, optimizer=_sgd(model), strategies=strategies) as session:
        assert float(session.extra_loss()) == pytest.approx(0.75)


def test_freeze_removes_params_from_groups_and_exit_restores_everything() -> None:
    model = TinyTagger()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = snapshot(model, optimizer)
    original_groups = optimizer.param_groups
    with TransferSession(model=model, optimizer=optimizer, strategies=[FreezeModules(patterns=["wre"])]):
        held = {id(p) for g in optimizer.param_groups for p in g["params"]}
        assert not any(id(p) in held for p in model.wre.parameters())
        assert all(id(p) in held for p in model.fe.parameters())
        assert not any(p.requires_grad for p in model.wre.parameters())
        assert optimizer.param_groups is original_groups  # edited in place
    assert snapshot(model, optimizer) == before


def test_undo_happens_on_exception_and_after_transfer_still_runs() -> None:
    model = TinyMLP()
    optimizer = _sgd(model)
    recorder = RecordingStrategy()
    before = snapshot(model, optimizer)
    with pytest.raises(RuntimeError, match="planned failure"):
        run_transfer(model, [FreezeModules(patterns=["layers"]), recorder], tiny_mlp_batches(), fail_after_steps=2, optimizer=optimizer)
    assert recorder.hooks()[-1] == "after_transfer"
    assert snapshot(model, optimizer) == before


def test_frozen_batchnorm_stays_in_eval_mode_and_keeps_running_stats() -> None:
    model = TinyMLP()
    stats = model.layers[1].running_mean.clone()
    with TransferSession(model=model, optimizer=_sgd(model), strategies=[FreezeModules(patterns=["layers"])]):
        model.train()
        model(torch.randn(8, 4))
        assert model.layers[1].training is False
    assert torch.equal(model.layers[1].running_mean, stats)
    assert model.layers[1].training is True


def test_gradual_unfreezing_puts_params_back_with_lr_decay_learning_rates() -> None:
    model = TinyTagger()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    strategies = [GradualUnfreezing(every=1), LayerwiseLRDecay(decay=0.5)]
    lr_of = {}
    with TransferSession(model=model, optimizer=optimizer, strategies=strategies) as session:
        for epoch in range(3):
            session.epoch_start(epoch)
            lr_of[epoch] = {
                name: group["lr"]
                for group in optimizer.param_groups
                for name, p in model.named_parameters()
                if any(p is q for q in group["params"])
            }
            session.epoch_end(epoch)
    assert set(lr_of[0]) == {"classifier.weight", "classifier.bias"}
    assert lr_of[1]["fe.weight_ih_l0"] == 0.5 and lr_of[1]["classifier.weight"] == 1.0
    assert "wre.word_emb.weight" not in lr_of[1]
    assert lr_of[2]["wre.word_emb.weight"] == 0.25
    assert len(optimizer.param_groups) == 1 and optimizer.param_groups[0]["lr"] == 1.0


def test_optimizer_hooks_off_lets_the_caller_drive_steps() -> None:
    model = TinyMLP()
    optimizer = _sgd(model)
    recorder = RecordingStrategy()
    with TransferSession(model=model, optimizer=optimizer, strategies=[recorder], optimizer_hooks=False) as session:
        optimizer.step()
        assert session.context.step == 0
        session.after_backward()
        session.after_step()
        assert session.context.step == 1
    assert recorder.hooks()[2:4] == ["after_backward", "after_step"]


def test_session_state_dict_resumes_progress_and_strategy_state() -> None:
    model = TinyTagger()
    session, _, _ = run_transfer(model, [GradualUnfreezing(every=1)], tiny_tagger_batches(n=1), epochs=2)
    state = session.state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    model = TinyTagger()
    resumed = TransferSession(model=model, optimizer=_sgd(model), strategies=[GradualUnfreezing(every=1)])
    resumed.load_state_dict(loaded)
    with resumed:
        assert (resumed.context.epoch, resumed.context.step) == (1, 2)
        assert model.fe.weight_ih_l0.requires_grad  # two layers unfrozen, as when the state was saved


def test_pretrained_state_is_a_detached_copy_taken_at_entry() -> None:
    model = TinyMLP()
    with TransferSession(model=model, optimizer=_sgd(model)) as session:
        with torch.no_grad():
            model.head.weight.add_(1.0)
        pretrained = session.context.pretrained_state["head.weight"]
        assert not pretrained.requires_grad
        assert torch.allclose(pretrained + 1.0, model.head.weight)


def test_context_forward_hook_is_removed_on_exit() -> None:
    model = TinyTagger()
    seen = []
    with TransferSession(model=model, optimizer=_sgd(model)) as session:
        session.context.register_forward_hook("fe_out", lambda m, a, out: seen.append(out.shape))
        model(*tiny_tagger_batches(n=1)[0][0])
    model(*tiny_tagger_batches(n=1)[0][0])
    assert len(seen) == 1


# -- bad input ---------------------------------------------------------------------------------------------
def test_unknown_module_name_lists_close_matches() -> None:
    model = TinyTagger()
    session = TransferSession(model=model, optimizer=_sgd(model), strategies=[FreezeModules(patterns=["wre.char_lstn"])])
    with pytest.raises(ValueError, match=r"'wre.char_lstn' matches nothing\. Close matches: 'wre.char_lstm'"):
        with session:
            pass
    assert all(p.requires_grad for p in model.parameters())


def test_get_module_error_names_argument() -> None:
    model = TinyTagger()
    with TransferSession(model=model, optimizer=_sgd(model)) as session:
        with pytest.raises(ValueError, match=r"Expected argument `name` to name modules of the model, but 'clasifier'"):
            session.context.get_module("clasifier")


def test_freezing_everything_is_an_error() -> None:
    model = TinyMLP()
    session = TransferSession(model=model, optimizer=_sgd(model), strategies=[FreezeModules(patterns=["*"])])
    with pytest.raises(ValueError, match="would freeze every parameter of the model"):
        with session:
            pass
    model = TinyMLP()
    with pytest.raises(ValueError, match=r"Expected argument `first_k` to be below the number of top-level modules"):
        with TransferSession(model=model, optimizer=_sgd(model), strategies=[FreezeModules(first_k=2)]):
            pass


def test_strategy_attached_twice_is_an_error() -> None:
    strategy = L2SP(alpha=0.1)
    model = TinyMLP()
    with pytest.raises(ValueError, match=r"Strategy L2SP\(alpha=0.1, beta=0.0\) is attached twice"):
        TransferSession(model=model, optimizer=_sgd(model), strategies=[strategy, strategy])
    first = TransferSession(model=model, optimizer=_sgd(model), strategies=[strategy])
    other = TinyMLP()
    second = TransferSession(model=other, optimizer=_sgd(other), strategies=[strategy])
    with first:
        with pytest.raises(RuntimeError, match="already attached to another open TransferSession"):
            second.__enter__()
    with TransferSession(model=other, optimizer=_sgd(other), strategies=[strategy]):
        pass  # free again once the first session closed


def test_compose_refuses_two_claims_on_one_resource() -> None:
    with pytest.raises(ValueError, match=r"both claim 'param_groups:lr'"):
        Compose([LayerwiseLRDecay(decay=0.5), FreezeModules(first_k=1), LayerwiseLRDecay(decay=0.9)])
    nested = Compose([Compose([L2SP(alpha=0.1)]), FreezeModules(first_k=1)])
    assert nested.claims() == {"regulariser:l2sp", "freeze:first_k"}


def test_session_used_after_exit_or_entered_twice_is_an_error() -> None:
    model = TinyMLP()
    session = TransferSession(model=model, optimizer=_sgd(model))
    with pytest.raises(RuntimeError, match=r"`session.extra_loss` was called before it was entered"):
        session.extra_loss()
    with session:
        with pytest.raises(RuntimeError, match="already open; it cannot be entered twice"):
            session.__enter__()
    with pytest.raises(RuntimeError, match=r"`session.epoch_start` was called after it was closed"):
        session.epoch_start(0)
    with pytest.raises(RuntimeError, match="was closed; build a new TransferSession"):
        with session:
            pass


def test_optimizer_not_holding_model_params_is_an_error() -> None:
    model, other = TinyMLP(), TinyMLP(seed=1)
    with pytest.raises(ValueError, match=r"Expected argument `optimizer` to hold the model's parameters, but it holds none"):
        TransferSession(model=model, optimizer=_sgd(other))
    mixed = torch.optim.SGD([*model.parameters(), *other.head.parameters()], lr=0.1)
    with pytest.raises(ValueError, match=r"holds 2 tensors that are not in the model \(the first has shape \(3, 8\)\)"):
        TransferSession(model=model, optimizer=mixed)
    partial = torch.optim.SGD(model.head.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"every trainable parameter of the model, but 4 are missing: 'layers.0.weight'"):
        TransferSession(model=model, optimizer=partial)


def test_wrong_argument_types_are_reported() -> None:
    model = TinyMLP()
    with pytest.raises(TypeError, match="Expected argument `model` to be a torch.nn.Module, but got str"):
        TransferSession(model="model", optimizer=_sgd(model))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Expected argument `strategies` to hold Strategy instances, but item 0 is str"):
        TransferSession(model=model, optimizer=_sgd(model), strategies=["l2sp"])  # type: ignore[list-item]
    with TransferSession(model=model, optimizer=_sgd(model)) as session:
        with pytest.raises(TypeError, match="Expected argument `dev_score` to be a float or None, but got str"):
            session.epoch_end(0, dev_score="0.9")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="Expected argument `epoch` to be an int >= 0, but got -1"):
            session.epoch_start(-1)


def test_bad_param_groups_from_a_strategy_are_reported() -> None:
    class DropsEverything(Strategy):
        def configure_param_groups(self, ctx, groups):  # type: ignore[no-untyped-def]
            return [{"params": []}]

    model = TinyMLP()
    with pytest.raises(ValueError, match=r"keep every parameter the optimizer held, but 6 are missing"):
        with TransferSession(model=model, optimizer=_sgd(model), strategies=[DropsEverything()]):
            pass
    assert len(_sgd(model).param_groups) == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["wre", "wre.char_lstm", "fe", "classifier.bias", "wre.word_emb"]), min_size=1, max_size=3))
def test_any_freeze_set_is_undone(patterns: list[str]) -> None:
    model = TinyTagger()
    optimizer = torch.optim.Adam(model.parameters())
    before = snapshot(model, optimizer)
    with TransferSession(model=model, optimizer=optimizer, strategies=[FreezeModules(patterns=patterns)]):
        trainable = {id(p) for p in model.parameters() if p.requires_grad}
        held = {id(p) for g in optimizer.param_groups for p in g["params"]}
        assert trainable == held
    assert snapshot(model, optimizer) == before


def test_unfreezing_a_parameter_the_optimizer_never_held_is_an_error() -> None:
    model = TinyMLP()
    model.layers[0].weight.requires_grad_(False)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    with TransferSession(model=model, optimizer=optimizer) as session:
        with pytest.raises(ValueError, match=r"Cannot unfreeze 'layers.0.weight': the optimizer does not hold it"):
            session.context.unfreeze("layers.0.weight")
    assert model.layers[0].weight.requires_grad is False


def test_force_eval_survives_model_train_and_is_undone() -> None:
    model = TinyTagger()
    with TransferSession(model=model, optimizer=_sgd(model)) as session:
        assert session.context.force_eval("wre") == ["wre"]
        model.train()
        model(*tiny_tagger_batches(n=1)[0][0])
        assert not model.wre.char_lstm.training and model.fe.training
    assert all(m.training for m in model.modules())


@pytest.mark.parametrize(
    ("make_groups", "error", "message"),
    [
        (lambda groups, model: "groups", TypeError, r"to return a list of dicts, but got str"),
        (lambda groups, model: [{"params": 3}], TypeError, r"to hold a list under 'params', but group 0 holds int"),
        (lambda groups, model: groups + [{"params": [torch.zeros(2)]}], ValueError,
         r"hold only parameters the optimizer held, but group 1 holds a tensor outside the model"),
        (lambda groups, model: groups + [{"params": [model.head.bias]}], ValueError,
         r"hold each parameter once, but 'head.bias' is in groups 0 and 1"),
    ],
)
def test_invalid_groups_are_reported_and_undone(make_groups, error, message) -> None:  # type: ignore[no-untyped-def]
    class Reshape(Strategy):
        def configure_param_groups(self, ctx, groups):  # type: ignore[no-untyped-def]
            return make_groups(groups, ctx.model)

    model = TinyMLP()
    optimizer = _sgd(model)
    before = snapshot(model, optimizer)
    with pytest.raises(error, match=message):
        with TransferSession(model=model, optimizer=optimizer, strategies=[Reshape()]):
            pass
    assert snapshot(model, optimizer) == before


_CLAIMING = {
    "lr_a": lambda: LayerwiseLRDecay(decay=0.5),
    "lr_b": lambda: LayerwiseLRDecay(decay=0.9),
    "l2sp": lambda: L2SP(alpha=0.1),
    "freeze_k": lambda: FreezeModules(first_k=1),
    "freeze_wre": lambda: FreezeModules(patterns=["wre"]),
    "gradual": lambda: GradualUnfreezing(),
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(_CLAIMING)), min_size=1, max_size=4, unique=True))
def test_compose_refuses_exactly_when_claims_overlap(names: list[str]) -> None:
    built = [_CLAIMING[name]() for name in names]
    claims = [c for s in built for c in s.claims()]
    if len(claims) == len(set(claims)):
        assert Compose(built).claims() == frozenset(claims)
    else:
        with pytest.raises(ValueError, match="both claim"):
            Compose(built)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(min_value=-10, max_value=10, allow_nan=False), min_size=1, max_size=5))
def test_extra_loss_is_the_sum_of_terms(values: list[float]) -> None:
    model = TinyMLP()
    with TransferSession(model=model, optimizer=_sgd(model), strategies=[ConstantLoss(value=v) for v in values]) as session:
        assert float(session.extra_loss()) == pytest.approx(sum(values), abs=1e-4)


def test_failing_after_transfer_still_undoes_and_raises() -> None:
    class FailsOnExit(FreezeModules):
        def after_transfer(self, ctx):  # type: ignore[no-untyped-def]
            raise RuntimeError("exit failed")

    model = TinyMLP()
    optimizer = _sgd(model)
    before = snapshot(model, optimizer)
    with pytest.raises(RuntimeError, match="exit failed"):
        with TransferSession(model=model, optimizer=optimizer, strategies=[FailsOnExit(patterns=["head"])]):
            pass
    assert snapshot(model, optimizer) == before
