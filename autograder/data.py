"""Dataset helpers shared by the notebooks: checksums and clear errors when data is missing.

Each dataset loader (added with the notebook that needs it) finds its files, verifies them with
`verify_file` and raises `DataMissingError` with exact instructions when they are absent.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np


class DataMissingError(FileNotFoundError):
    """A dataset file is missing or corrupt; the message says how to get it."""


def sha256sum(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (datasets can be larger than memory allows)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_file(name: str, candidates: list[Path], sha256: str, how_to_get: str) -> Path:
    """The first of `candidates`/`name` whose checksum matches `sha256`.

    Raises:
        DataMissingError: no candidate exists, or those that exist are corrupt; the message lists
            the folders searched and `how_to_get`.
    """
    corrupt = []
    for folder in candidates:
        path = Path(folder) / name
        if path.is_file():
            if sha256sum(path) == sha256:
                return path
            corrupt.append(str(path))
    searched = ", ".join(str(Path(folder)) for folder in candidates)
    problem = f"{name} is corrupt at {', '.join(corrupt)} (SHA-256 mismatch)" if corrupt else f"{name} not found in: {searched}"
    raise DataMissingError(f"{problem}. {how_to_get}")


INSTALL_HINT = "Install the course's requirements: pip install -r requirements.txt -e . (or `make install`)."
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"  # scikit-learn's digits.csv.gz


def load_digits() -> tuple:
    """scikit-learn's bundled handwritten digits (UCI optdigits test set), checksum-verified.

    Returns:
        X: (1797, 64) float64, 8x8 images flattened row by row, pixel values 0..16.
        y: (1797,) int, the digit 0..9.
    """
    try:
        import sklearn.datasets
    except ImportError:
        raise DataMissingError(f"the digits come with scikit-learn, which is not installed. {INSTALL_HINT}") from None
    folder = Path(sklearn.datasets.__file__).parent / "data"
    find_file("digits.csv.gz", [folder], DIGITS_SHA256, f"Reinstall scikit-learn. {INSTALL_HINT}")
    X, y = sklearn.datasets.load_digits(return_X_y=True)
    return X.astype(np.float64), y
