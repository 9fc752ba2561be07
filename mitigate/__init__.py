"""mitigate: measure and mitigate hidden negative transfer in PyTorch fine-tuning."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mitigate")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
