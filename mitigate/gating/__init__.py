"""Multi-source gating: learn which sources to trust, down to ignoring all of them.

- ``GatedSourceMixture`` mixes K source encoders and a scratch encoder with a per-item softmax gate
  (``build_gated_tagger`` builds one for the study's tagger, ``gate_report`` says where the gate sends tokens,
  ``mitigate.strategies.gating.SourceGating`` drives it inside a session);
- ``DensityRatioWeighting`` is the discriminator gate of Wang et al. 2019 for joint source + target training
  (``train_jointly``);
- ``rank_sources`` ranks candidate sources before any training (proxies + ``mmd`` + ``proxy_a_distance``).

See docs/strategies/gating.md.
"""

from mitigate.gating._discriminator import DensityRatioWeighting
from mitigate.gating._joint import FeatureTap, JointResult, train_jointly
from mitigate.gating._mixture import SCRATCH, GatedSourceMixture
from mitigate.gating._ranking import DISTANCES, SourceRanking, rank_sources
from mitigate.gating._report import GateReport, gate_report, summarise_gate
from mitigate.gating._regularisers import gate_entropy, gate_regulariser, load_balance
from mitigate.gating._tagger import GatedTagger, TaggerEncoder, build_gated_tagger
from mitigate.gating._tagger_features import tagger_features
from mitigate.transferability._distances import mmd, proxy_a_distance

__all__ = [
    "build_gated_tagger",
    "DensityRatioWeighting",
    "DISTANCES",
    "FeatureTap",
    "gate_entropy",
    "gate_regulariser",
    "gate_report",
    "GatedSourceMixture",
    "GatedTagger",
    "GateReport",
    "JointResult",
    "load_balance",
    "mmd",
    "proxy_a_distance",
    "rank_sources",
    "SCRATCH",
    "SourceRanking",
    "summarise_gate",
    "tagger_features",
    "TaggerEncoder",
    "train_jointly",
]
