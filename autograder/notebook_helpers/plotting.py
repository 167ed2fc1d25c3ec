"""Plots that several notebooks share: 2-D decision boundaries and training curves."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: plt.Axes | None = None,
    title: str = "",
    resolution: int = 200,
    margin: float = 0.5,
) -> plt.Axes:
    """Shade the regions a classifier assigns to each label and scatter the data on top.

    Args:
        predict: maps points (M, 2) to labels (M,).
        X: points (N, 2).
        y: labels (N,), any values (e.g. -1/+1).
        ax: axes to draw on (a new figure if None).
    Returns:
        The axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    x_min, y_min = X.min(axis=0) - margin
    x_max, y_max = X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    zz = np.asarray(predict(grid), dtype=float).reshape(xx.shape)
    ax.contourf(xx, yy, zz, alpha=0.25, cmap="coolwarm", levels=np.unique(y).size)
    for label, marker in zip(np.unique(y), "os^vD"):
        points = X[y == label]
        ax.scatter(points[:, 0], points[:, 1], marker=marker, s=18, label=f"y = {label:g}", edgecolor="k", linewidth=0.3)
    ax.set(xlim=(x_min, x_max), ylim=(y_min, y_max), title=title)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    ax: plt.Axes | None = None,
    xlabel: str = "epoch",
    ylabel: str = "",
    title: str = "",
    logy: bool = False,
) -> plt.Axes:
    """Plot named series against their index (loss/accuracy per epoch, mistakes per run, ...)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for name, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name, marker="." if len(values) < 40 else None)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    return ax
