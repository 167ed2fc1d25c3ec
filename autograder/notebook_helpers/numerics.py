"""Numerical building blocks the notebooks share (NumPy only).

``logsumexp`` is written here rather than taken from ``scipy.special``: the same values, but
SciPy's version costs about five times as much per call on the small arrays of a chain's
forward-backward pass, which notebook 08 runs in its training loop.
"""

from __future__ import annotations

import numpy as np


def logsumexp(a, axis=None):
    """log(sum(exp(a))) over ``axis``, without overflow: the largest entry is taken out first.

    Args:
        a: array-like of floats, any shape. Entries may be -inf (log of a potential or probability
           of 0) or as large as 1e300.
        axis: the axis to sum over (an int), or None for all entries.
    Returns:
        axis None: a Python float. Otherwise an array shaped like ``a`` without ``axis``, e.g.
        (T, K) with axis=1 gives (T,).
        A sum whose entries are all -inf is -inf (the log of 0), with no warning; +inf gives +inf
        and NaN gives NaN.
    """
    a = np.asarray(a, dtype=float)
    peak = np.max(a, axis=axis, keepdims=True)
    finite = np.isfinite(peak)
    if finite.all():  # the common case, kept cheap: 08 calls this in its training loop
        out = np.log(np.sum(np.exp(a - peak), axis=axis, keepdims=True)) + peak
    else:
        peak = np.where(finite, peak, 0.0)  # all -inf (or an inf): nothing to take out
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for an all -inf sum
            out = np.log(np.sum(np.exp(a - peak), axis=axis, keepdims=True)) + peak
    return out.item() if axis is None else np.squeeze(out, axis=axis)
