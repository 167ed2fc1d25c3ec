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


# Files bundled with scikit-learn / scikit-image (see data/README.md for provenance and licences).
SKLEARN_FILES = {
    "digits.csv.gz": "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
    "diabetes_data_raw.csv.gz": "7fc0ded571454b1982210d3bb43f0aca44eae01a0b8654a3b24022bdb6b38009",
    "diabetes_target.csv.gz": "8e53f65eb811df43c206f3534bb3af0e5fed213bc37ed6ba36310157d6023803",
}
SKIMAGE_IMAGES = {
    "camera": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    "text": "bd84aa3a6e3c9887850d45d606c96b2e59433fbef50338570b63c319e668e6d1",
    "coins": "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
}


def _verified_sklearn_datasets(*files: str):
    """The sklearn.datasets module, after checking the bundled files a loader reads."""
    try:
        import sklearn.datasets
    except ImportError:
        raise DataMissingError(f"this dataset comes with scikit-learn, which is not installed. {INSTALL_HINT}") from None
    folder = Path(sklearn.datasets.__file__).parent / "data"
    for name in files:
        find_file(name, [folder], SKLEARN_FILES[name], f"Reinstall scikit-learn. {INSTALL_HINT}")
    return sklearn.datasets


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits (UCI optdigits test set), checksum-verified.

    Returns:
        X: (1797, 64) float64, 8x8 images flattened row by row, pixel values 0..16.
        y: (1797,) int, the digit 0..9.
    """
    X, y = _verified_sklearn_datasets("digits.csv.gz").load_digits(return_X_y=True)
    return X.astype(np.float64), y


def load_diabetes() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled diabetes regression set (Efron et al., 2004), checksum-verified.

    Returns:
        X: (442, 10) float64, the ten baseline variables, each column centred and scaled to unit
            Euclidean norm (scikit-learn's standard form).
        y: (442,) float64, disease progression one year after baseline.
    """
    datasets = _verified_sklearn_datasets("diabetes_data_raw.csv.gz", "diabetes_target.csv.gz")
    X, y = datasets.load_diabetes(return_X_y=True)
    return X.astype(np.float64), y.astype(np.float64)


def load_image(name: str) -> np.ndarray:
    """A grey-scale photograph bundled with scikit-image: "camera", "text" or "coins".

    Returns:
        image: (H, W) float64 in [0, 1] (camera 512x512, text 172x448, coins 303x384).
    """
    if name not in SKIMAGE_IMAGES:
        raise ValueError(f"unknown image {name!r}: choose one of {sorted(SKIMAGE_IMAGES)}")
    try:
        import skimage.data
    except ImportError:
        raise DataMissingError(f"the images come with scikit-image, which is not installed. {INSTALL_HINT}") from None
    folder = Path(skimage.data.__file__).parent
    find_file(f"{name}.png", [folder], SKIMAGE_IMAGES[name], f"Reinstall scikit-image. {INSTALL_HINT}")
    return getattr(skimage.data, name)().astype(np.float64) / 255.0
