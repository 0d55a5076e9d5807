"""Datasets: IDX files (MNIST, Fashion-MNIST), toy sets, CSV files and typed functions. No Qt."""

from nnstudio.data.dataset import DataSplit, Dataset, DatasetError, Normalisation, split
from nnstudio.data.idx import IdxError, read_idx, write_idx

__all__ = ["DataSplit", "Dataset", "DatasetError", "IdxError", "Normalisation", "read_idx", "split", "write_idx"]
