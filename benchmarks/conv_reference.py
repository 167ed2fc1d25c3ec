"""Reference 2-D convolutions from notebook 04 (`04_convolution`), for the benchmark next to it.

The same code as the solution notebook's exercises (float64 NumPy; x (N, C, H, W), w (F, C, HH, WW),
b (F,)), kept here as a plain module so the benchmark does not have to execute a notebook. If you
change an exercise's reference solution, change it here too.
"""

from __future__ import annotations

import numpy as np


def _output_size(n: int, k: int, stride: int, pad: int) -> int:
    span = n + 2 * pad - k
    if span < 0 or span % stride != 0:
        raise ValueError(f"a {k}-wide window with stride {stride} does not tile {n} + 2 * {pad}")
    return span // stride + 1


def conv2d_naive(x, w, b, stride=1, pad=0):
    """Cross-correlation with explicit loops over (n, f, y, x): out (N, F, H_out, W_out)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = _output_size(H, HH, stride, pad), _output_size(W, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    patch = x_pad[n, :, y * stride : y * stride + HH, x_ * stride : x_ * stride + WW]
                    out[n, f, y, x_] = np.sum(patch * w[f]) + b[f]
    return out


def im2col(x, HH, WW, stride=1, pad=0):
    """Patches as columns: cols (C*HH*WW, N*H_out*W_out), rows ordered (c, i, j), columns (n, y, x)."""
    N, C, H, W = x.shape
    H_out, W_out = _output_size(H, HH, stride, pad), _output_size(W, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((C, HH, WW, N, H_out, W_out), dtype=x.dtype)
    for i in range(HH):
        for j in range(WW):
            window = x_pad[:, :, i : i + stride * H_out : stride, j : j + stride * W_out : stride]
            cols[:, i, j] = window.transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, N * H_out * W_out)


def conv2d_im2col(x, w, b, stride=1, pad=0):
    """The same cross-correlation as conv2d_naive: im2col, then one matrix product."""
    N, _, H, W = x.shape
    F, C, HH, WW = w.shape
    H_out, W_out = _output_size(H, HH, stride, pad), _output_size(W, WW, stride, pad)
    out = w.reshape(F, C * HH * WW) @ im2col(x, HH, WW, stride, pad) + b[:, None]
    return np.ascontiguousarray(out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3))
