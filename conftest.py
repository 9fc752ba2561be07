"""Root conftest: deterministic, single-threaded torch for tests and doctests alike."""

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass
