"""A small CNN for 16×16 digit images, with the same part names as the tagger (``fe``, ``fe_out``, ``classifier``)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DigitsNet"]


class DigitsNet(nn.Module):
    """Conv(16) → pool → Conv(32) → pool → Linear(``hidden``) as the feature extractor ``fe``; its output goes
    through ``fe_out`` (``nn.Identity``, for hooks and Captum) and dropout to the linear ``classifier``.
    Input: (N, 256) or (N, 1, 16, 16) in [0, 1].

    >>> DigitsNet()(torch.zeros(2, 256)).shape
    torch.Size([2, 10])
    """

    def __init__(self, *, n_classes: int = 10, hidden: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"Expected argument `n_classes` to be >= 2, but got {n_classes}.")
        self.n_classes = n_classes
        self.hidden = hidden
        self.fe = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, hidden),
            nn.ReLU(),
        )
        self.fe_out = nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, n_classes)."""
        if x.dim() == 2:
            if x.shape[1] != 256:
                raise ValueError(f"Expected input of shape (N, 256) or (N, 1, 16, 16), but got {tuple(x.shape)}.")
            x = x.view(-1, 1, 16, 16)
        return self.classifier(self.dropout(self.fe_out(self.fe(x))))
