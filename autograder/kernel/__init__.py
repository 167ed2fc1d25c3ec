"""The isolated grading kernel and the one executor of notebook cells.

    settings.py   Limits (what an instructor sets) and LaunchSettings (what a kernel starts with)
    executor.py   runs a notebook's cells in a kernel (grading, lecture builds, self-check, tests)
    sandbox.py    grader side: a kernel with limits, in its own folder, checked by the guard
    launcher.py   kernel side: applies the settings, isolates, installs the guard, starts ipykernel
    zygote.py     a warm process that forks kernels with the setup cell's imports loaded
    guard.py      in the kernel: the integrity guard (what changed in the grading machinery)
    isolation.py  in the kernel: namespaces, hidden folders, dropped privileges

May import ``course``, ``notebook_helpers`` and ``grading.results``; never the rest of grading.
"""
