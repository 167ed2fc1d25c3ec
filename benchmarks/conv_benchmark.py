"""Benchmark for notebook 04: naive loops vs im2col vs torch.nn.functional.conv2d on the CPU.

    .venv/bin/python benchmarks/conv_benchmark.py [--threads 1] [--repeats 20]

Input x (16, 8, 32, 32), weights w (16, 8, 3, 3), stride 1, pad 1, float64 everywhere. NumPy's BLAS
and torch run with the same number of threads (threadpoolctl and torch.set_num_threads). Targets
(issue 5): conv2d_im2col at least 30x faster than conv2d_naive, and at most 4x slower than torch.
Each timing is the best of several wall-clock runs; run it on an otherwise idle machine (other jobs
on the same cores make the ratios noisy). Prints the timings and both ratios; exits 1 if a target is
missed. Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch
from notebook_solutions import load_solutions
from threadpoolctl import threadpool_limits

from autograder.notebook_helpers.timing import time_call

_SOLUTIONS = load_solutions("04_convolution", ["conv_output_size", "conv2d_naive", "im2col", "conv2d_im2col"])
conv2d_naive, conv2d_im2col = _SOLUTIONS["conv2d_naive"], _SOLUTIONS["conv2d_im2col"]

SHAPE_X, SHAPE_W, STRIDE, PAD = (16, 8, 32, 32), (16, 8, 3, 3), 1, 1
MIN_SPEEDUP_VS_NAIVE, MAX_SLOWDOWN_VS_TORCH = 30.0, 4.0


def best_time(function, repeats):
    """Smallest wall-clock time of `repeats` calls, in seconds (after one warm-up call)."""
    return time_call(function, repeat=repeats, warmup=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="threads for NumPy's BLAS and for torch (default 1)")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per method; the naive loops get 3")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=SHAPE_X), rng.normal(size=SHAPE_W), rng.normal(size=SHAPE_W[0])
    x_t, w_t, b_t = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads), torch.no_grad():
        expected = torch.nn.functional.conv2d(x_t, w_t, b_t, stride=STRIDE, padding=PAD).numpy()
        for name, function in (("naive", conv2d_naive), ("im2col", conv2d_im2col)):
            if not np.allclose(function(x, w, b, STRIDE, PAD), expected, rtol=1e-10, atol=1e-10):
                sys.exit(f"conv2d_{name} disagrees with torch.nn.functional.conv2d")
        t_naive = best_time(lambda: conv2d_naive(x, w, b, STRIDE, PAD), 3)
        t_im2col = best_time(lambda: conv2d_im2col(x, w, b, STRIDE, PAD), args.repeats)
        t_torch = best_time(lambda: torch.nn.functional.conv2d(x_t, w_t, b_t, stride=STRIDE, padding=PAD), args.repeats)
        t_torch32 = best_time(
            lambda: torch.nn.functional.conv2d(x_t.float(), w_t.float(), b_t.float(), stride=STRIDE, padding=PAD), args.repeats
        )

    speedup, slowdown = t_naive / t_im2col, t_im2col / t_torch
    print(f"x {SHAPE_X}, w {SHAPE_W}, stride {STRIDE}, pad {PAD}, float64, {args.threads} thread(s), torch {torch.__version__}")
    print(f"  conv2d_naive          {t_naive * 1e3:10.2f} ms")
    print(f"  conv2d_im2col         {t_im2col * 1e3:10.2f} ms")
    print(f"  torch conv2d float64  {t_torch * 1e3:10.2f} ms")
    print(f"  torch conv2d float32  {t_torch32 * 1e3:10.2f} ms  (for information; includes the casts)")
    ok_naive, ok_torch = speedup >= MIN_SPEEDUP_VS_NAIVE, slowdown <= MAX_SLOWDOWN_VS_TORCH
    print(f"naive / im2col time: {speedup:.0f} (target >= {MIN_SPEEDUP_VS_NAIVE:.0f}): {'ok' if ok_naive else 'MISSED'}")
    print(f"im2col / torch float64 time: {slowdown:.2f} (target <= {MAX_SLOWDOWN_VS_TORCH:.0f}): {'ok' if ok_torch else 'MISSED'}")
    print(f"im2col / torch float32 time: {t_im2col / t_torch32:.2f} (for information)")
    return 0 if ok_naive and ok_torch else 1


if __name__ == "__main__":
    sys.exit(main())
