"""MitigateCallback inside a real Lightning Trainer on a tiny model (CPU, no logger, no checkpoints)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

lightning = pytest.importorskip("lightning")
import lightning.pytorch as pl  # noqa: E402

from mitigate.integrations.lightning import MitigateCallback  # noqa: E402
from mitigate.strategies import L2SP, FreezeModules  # noqa: E402
from mitigate.testing import RecordingStrategy, TinyMLP, snapshot, tiny_mlp_batches  # noqa: E402

torch.set_num_threads(1)


class _Module(pl.LightningModule):
    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.net = TinyMLP()
        self.fail_at = fail_at
        self.extra: list[float] = []
        self.mitigate: MitigateCallback | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
        if self.fail_at is not None and self.global_step >= self.fail_at:
            raise RuntimeError("planned failure")
        x, y = batch
        extra = self.mitigate.extra_loss() if self.mitigate else 0.0
        self.extra.append(float(extra.detach()) if isinstance(extra, torch.Tensor) else extra)
        return nn.functional.cross_entropy(self(x), y) + extra

    def validation_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
        x, y = batch
        self.log("val_acc", (self(x).argmax(-1) == y).float().mean())

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _loader(n: int = 3) -> torch.utils.data.DataLoader:
    batches = tiny_mlp_batches(n=n)
    dataset = torch.utils.data.TensorDataset(torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches]))
    return torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=False)


def _trainer(callback: MitigateCallback, epochs: int = 2) -> pl.Trainer:
    return pl.Trainer(
        max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, callbacks=[callback], num_sanity_val_steps=0,
    )


def test_lightning_callback_runs_hooks_freezes_and_undoes() -> None:
    module = _Module()
    recorder = RecordingStrategy()
    callback = MitigateCallback(strategies=[FreezeModules(patterns=["net.layers"]), L2SP(alpha=1.0), recorder], monitor="val_acc")
    module.mitigate = callback
    frozen = {n: p.detach().clone() for n, p in module.net.layers.named_parameters()}
    head = module.net.head.weight.detach().clone()
    trainer = _trainer(callback)
    trainer.fit(module, train_dataloaders=_loader(), val_dataloaders=_loader())
    per_epoch = ["on_epoch_start", *(["extra_loss", "after_backward", "after_step"] * 3), "on_epoch_end"]
    assert recorder.hooks() == ["before_transfer", "configure_param_groups", *per_epoch * 2, "after_transfer"]
    assert len(recorder.dev_scores) == 2 and all(isinstance(s, float) for s in recorder.dev_scores)
    assert all(torch.equal(frozen[n], p) for n, p in module.net.layers.named_parameters())
    assert not torch.equal(head, module.net.head.weight)
    assert module.extra[0] == 0.0 and module.extra[-1] > 0.0  # L2-SP term grows as weights move
    assert all(p.requires_grad for p in module.parameters())
    assert len(trainer.optimizers[0].param_groups[0]["params"]) == 6
    assert module.net.layers[1].training  # BatchNorm's forced eval mode is undone
    assert not callback.is_open


def test_lightning_callback_undoes_on_exception() -> None:
    module = _Module(fail_at=2)
    callback = MitigateCallback(strategies=[FreezeModules(patterns=["net.layers"])])
    module.mitigate = callback
    before = snapshot(module)
    with pytest.raises(RuntimeError, match="planned failure"):
        _trainer(callback).fit(module, train_dataloaders=_loader())
    module.train()
    before_train = {**before, "training": {k: True for k in before["training"]}}
    assert snapshot(module) == before_train
    assert not callback.is_open


def test_lightning_callback_argument_errors() -> None:
    with pytest.raises(TypeError, match="Expected argument `monitor` to be a metric name or None, but got int"):
        MitigateCallback(monitor=3)  # type: ignore[arg-type]
