"""Tagged corpora and digit images: readers, the registry of named datasets with fixed splits, downloads.

>>> from mitigate.data import list_datasets
>>> "tpos" in list_datasets()
True
"""

from mitigate.data._checksums_table import SHA256
from mitigate.data._clean import clean_token
from mitigate.data._conll import read_conll
from mitigate.data._conllu import read_conllu
from mitigate.data._digits import DigitImages, load_digits_pair, load_sklearn_digits, load_usps, to_grid
from mitigate.data._download import ChecksumError, DownloadError, download_dataset, download_file
from mitigate.data._errors import DataFormatError
from mitigate.data._iob import iob1_to_iob2
from mitigate.data._load import load_dataset, missing_files
from mitigate.data._paths import DATA_ENV_VAR, default_cache_dir, resolve_data_dir
from mitigate.data._ptb import read_ptb
from mitigate.data._read import load_splits, read_tagged
from mitigate.data._registry import REGISTRY, DatasetSpec, Download, get_spec, list_datasets
from mitigate.data._splits import hold_out_tail, split_by_fraction
from mitigate.data._types import DatasetSplits, Sentence, SentenceList
from mitigate.data._verify import FileCheck, sha256_file, verify_dataset

__all__ = [
    "DATA_ENV_VAR",
    "REGISTRY",
    "SHA256",
    "ChecksumError",
    "DataFormatError",
    "DatasetSpec",
    "DatasetSplits",
    "DigitImages",
    "Download",
    "DownloadError",
    "FileCheck",
    "Sentence",
    "SentenceList",
    "clean_token",
    "default_cache_dir",
    "download_dataset",
    "download_file",
    "get_spec",
    "hold_out_tail",
    "iob1_to_iob2",
    "list_datasets",
    "load_dataset",
    "load_digits_pair",
    "load_sklearn_digits",
    "load_splits",
    "load_usps",
    "missing_files",
    "read_conll",
    "read_conllu",
    "read_ptb",
    "read_tagged",
    "resolve_data_dir",
    "sha256_file",
    "split_by_fraction",
    "to_grid",
    "verify_dataset",
]
