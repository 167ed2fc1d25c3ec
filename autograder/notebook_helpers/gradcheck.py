"""Numerical gradient checking with centred differences (in the style of CS231n's gradient_check).

Use float64 arrays: with h = 1e-6 a correct analytic gradient typically agrees to a relative
error below 1e-7; errors around 1e-2 or larger mean a bug.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def relative_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    """||a - b|| / (||a|| + ||b||) over whole arrays (0 for identical arrays of any shape).

    Norms over the whole array, not elementwise ratios: an entry that happens to be near zero
    does not make a correct gradient look wrong.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), eps))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function f at x by centred differences.

    Args:
        f: maps an array shaped like x to a float; it may read x but must not keep it.
        x: float64 array of any shape; perturbed in place and restored.
        h: step size.
    Returns:
        grad: array shaped like x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h).
    """
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Gradient of sum(f(x) * dout) with respect to x: checks a layer's backward pass.

    Args:
        f: maps x to an output array shaped like dout (a layer's forward pass).
        x: float64 input of any shape; perturbed in place and restored.
        dout: upstream gradient, shaped like f(x).
    Returns:
        dx: array shaped like x.
    """
    return numerical_gradient(lambda z: float(np.sum(f(z) * dout)), x, h)
