"""Models, training loops, the transfer step and the scenarios (source → target pairs).

The study's tagger (``BiLSTMTagger``: Υ ``wre`` → Φ ``fe`` → Ψ ``classifier``), its vocabularies, the reference
training loop (inside a ``TransferSession``), ``transfer_model`` and the ``TransferScenario`` implementations.
"""

from mitigate.models._classifier_loop import predict_classes, train_classifier
from mitigate.models._checkpoint import load_state_checked, read_metadata, save_checkpoint
from mitigate.models._dev_metrics import bio_spans, span_f1
from mitigate.models._digits_data import (
    ImageSplits,
    shifted_digits_pair,
    sklearn_digits_splits,
    upsample_8_to_16,
    usps_splits,
)
from mitigate.models._digits_net import DigitsNet
from mitigate.models._digits_scenario import DigitsScenario
from mitigate.models._scenario import EpochCallback, TransferScenario
from mitigate.models._tagger import PRESETS, BiLSTMTagger, TaggerConfig, WordRepresentation
from mitigate.models._tagger_loop import (
    length_batches,
    load_tagger,
    predict_tags,
    save_tagger,
    tag_accuracy,
    train_tagger,
)
from mitigate.models._tagging_scenario import TaggingScenario
from mitigate.models._tagger_vocab import TaggerVocab
from mitigate.models._training import EarlyStopping, TrainConfig, TrainResult, make_optimizer, seed_everything
from mitigate.models._transfer import transfer_model
from mitigate.models._vocab import PAD, UNK, Vocabulary

__all__ = [
    "BiLSTMTagger",
    "bio_spans",
    "DigitsNet",
    "DigitsScenario",
    "EarlyStopping",
    "EpochCallback",
    "ImageSplits",
    "length_batches",
    "load_state_checked",
    "load_tagger",
    "make_optimizer",
    "PAD",
    "predict_classes",
    "predict_tags",
    "PRESETS",
    "read_metadata",
    "save_checkpoint",
    "save_tagger",
    "seed_everything",
    "shifted_digits_pair",
    "sklearn_digits_splits",
    "span_f1",
    "tag_accuracy",
    "TaggerConfig",
    "TaggerVocab",
    "TaggingScenario",
    "train_classifier",
    "train_tagger",
    "TrainConfig",
    "TrainResult",
    "transfer_model",
    "TransferScenario",
    "UNK",
    "upsample_8_to_16",
    "usps_splits",
    "Vocabulary",
    "WordRepresentation",
]
