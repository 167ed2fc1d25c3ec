"""Wall-clock timing of a call, correct on a GPU too.

A GPU call returns as soon as its work is queued, not when it is done: reading the clock right
after it measures the queueing. ``time_call`` waits for the device (``torch.cuda.synchronize``)
before starting the clock and before reading it. On the CPU (``device`` None or ``"cpu"``) it
never imports torch, so numpy-only notebooks can use it too.
"""

from __future__ import annotations

import time
from typing import Callable


def _synchronizer(device) -> Callable[[], None]:
    """A function that waits until ``device`` has finished its queued work."""
    kind = "cpu" if device is None else str(device).split(":")[0]  # torch.device("cuda", 0) -> "cuda:0"
    if kind == "cpu":
        return lambda: None
    if kind == "cuda":
        import torch

        return lambda: torch.cuda.synchronize(device)
    if kind == "mps":
        import torch

        return torch.mps.synchronize
    raise ValueError(f"time_call: device {device!r} is not understood; use None or 'cpu', 'cuda', 'cuda:N' or 'mps'")


def time_call(fn: Callable, *args, repeat: int = 1, number: int = 1, warmup: int = 0, device=None) -> float:
    """Seconds per call of ``fn(*args)``: the best of ``repeat`` rounds of ``number`` calls each.

    Args:
        fn, args: what to time (keyword arguments: wrap the call in a lambda or functools.partial).
        repeat: rounds; the fastest is kept (slower rounds were disturbed by other programs).
        number: calls per round, timed together (the clock is read and the device waited for once
            per round, so many short calls are timed without per-call overhead).
        warmup: calls made first and not timed (first calls pay for caches, cuDNN's algorithm search).
        device: where ``fn`` runs its work: None or ``"cpu"``, or a torch device or name (``"cuda"``,
            ``"cuda:1"``, ``"mps"``) to wait for before starting and before reading the clock.
    Returns:
        seconds per call, the fastest round's time divided by ``number``.
    """
    if repeat < 1 or number < 1 or warmup < 0:
        raise ValueError(f"time_call: repeat and number must be >= 1 and warmup >= 0, got {repeat}, {number}, {warmup}")
    synchronize = _synchronizer(device)
    for _ in range(warmup):
        fn(*args)
    best = float("inf")
    for _ in range(repeat):
        synchronize()
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        synchronize()
        best = min(best, time.perf_counter() - start)
    return best / number
