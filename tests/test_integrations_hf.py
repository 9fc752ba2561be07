"""MitigateTrainerCallback inside a real Hugging Face Trainer on a tiny BERT built from a config (offline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate (pip install 'mitigate[hf]')")

from mitigate.integrations.hf import MitigateTrainerCallback  # noqa: E402
from mitigate.strategies import L2SP, FreezeModules  # noqa: E402
from mitigate.testing import RecordingStrategy  # noqa: E402

torch.set_num_threads(1)


class _Data(torch.utils.data.Dataset):
    def __init__(self, n: int = 16) -> None:
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(1, 50, (n, 6), generator=generator)
        self.labels = (self.ids[:, 0] > 25).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(6, dtype=torch.long), "labels": self.labels[i]}


def _model() -> transformers.PreTrainedModel:
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=16, num_labels=2,
    )
    return transformers.BertForSequenceClassification(config)


def _trainer(model, callback_dir: Path, *, epochs: int = 2) -> transformers.Trainer:  # type: ignore[no-untyped-def]
    args = transformers.TrainingArguments(
        output_dir=str(callback_dir), num_train_epochs=epochs, per_device_train_batch_size=8, learning_rate=1e-2,
        eval_strategy="epoch", save_strategy="no", report_to=[], use_cpu=True, disable_tqdm=True,
        logging_strategy="no", dataloader_num_workers=0, max_grad_norm=1.0,
    )

    def accuracy(prediction):  # type: ignore[no-untyped-def]
        return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}

    return transformers.Trainer(model=model, args=args, train_dataset=_Data(), eval_dataset=_Data(8), compute_metrics=accuracy)


def test_hf_callback_freezes_adds_loss_reports_metric_and_undoes(tmp_path: Path) -> None:
    model = _model()
    embeddings = {n: p.detach().clone() for n, p in model.bert.embeddings.named_parameters()}
    head = model.classifier.weight.detach().clone()
    recorder = RecordingStrategy()
    l2sp = L2SP(alpha=10.0)
    trainer = _trainer(model, tmp_path)
    callback = MitigateTrainerCallback(strategies=[FreezeModules(patterns=["bert.embeddings"]), l2sp, recorder],
                                       metric="eval_accuracy").attach(trainer)
    with callback:
        trainer.train()
    per_epoch = ["on_epoch_start", *(["extra_loss", "after_backward", "after_step"] * 2), "on_epoch_end"]
    assert recorder.hooks() == ["before_transfer", "configure_param_groups", *per_epoch * 2, "after_transfer"]
    assert len(recorder.dev_scores) == 2 and all(0.0 <= s <= 1.0 for s in recorder.dev_scores)
    assert all(torch.equal(embeddings[n], p) for n, p in model.bert.embeddings.named_parameters())
    assert not torch.equal(head, model.classifier.weight)
    assert all(p.requires_grad for p in model.parameters())
    assert not callback.is_open


def test_hf_extra_loss_reaches_the_training_loss(tmp_path: Path) -> None:
    model = _model()
    trainer = _trainer(model, tmp_path, epochs=1)
    seen = []
    original = trainer.compute_loss

    def spy(model, inputs, return_outputs=False, **kwargs):  # type: ignore[no-untyped-def]
        result = original(model, inputs, return_outputs=return_outputs, **kwargs)
        seen.append(float(result.detach()) if not return_outputs else None)
        return result

    trainer.compute_loss = spy
    from mitigate.testing import ConstantLoss

    callback = MitigateTrainerCallback(strategies=[ConstantLoss(value=100.0)]).attach(trainer)
    with callback:
        output = trainer.train()
    assert output.training_loss > 100.0  # the constant term is in the loss the Trainer optimised and logged
    assert all(value < 100.0 for value in seen if value is not None)


def test_hf_callback_context_manager_undoes_on_failure(tmp_path: Path) -> None:
    model = _model()
    trainer = _trainer(model, tmp_path, epochs=1)
    callback = MitigateTrainerCallback(strategies=[FreezeModules(patterns=["bert.embeddings"])]).attach(trainer)

    class Boom(transformers.TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("planned failure")

    trainer.add_callback(Boom())
    with pytest.raises(RuntimeError, match="planned failure"):
        with callback:
            trainer.train()
    assert all(p.requires_grad for p in model.parameters())
    assert not callback.is_open
