"""Transferability proxies: score a pretrained state for a target task from one forward pass, without fine-tuning.

Every proxy is a pure function on numpy arrays, higher meaning more transferable:
``logme`` (You et al. 2021), ``leep`` (Nguyen et al. 2020), ``nce`` (Tran et al. 2019), ``h_score``
(Bao et al. 2019; shrinkage of Ibrahim et al. 2022) and ``transrate`` (Huang et al. 2022).
``mmd`` and ``proxy_a_distance`` measure how far source and target features lie apart.
``extract_features`` collects their inputs from a model with forward hooks. See docs/transferability.md.
"""

from mitigate.transferability._distances import mmd, proxy_a_distance
from mitigate.transferability._features import TargetFeatures, extract_features
from mitigate.transferability._hscore import h_score
from mitigate.transferability._leep import leep
from mitigate.transferability._logme import logme
from mitigate.transferability._nce import nce
from mitigate.transferability._registry import PROXIES, score_proxies
from mitigate.transferability._transrate import transrate

__all__ = [
    "PROXIES",
    "TargetFeatures",
    "extract_features",
    "h_score",
    "leep",
    "logme",
    "mmd",
    "nce",
    "proxy_a_distance",
    "score_proxies",
    "transrate",
]
