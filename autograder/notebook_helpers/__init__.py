"""What a course notebook may import: ``runtime`` (fast or full mode, seeding, device, data folder,
training announcements), ``data`` (checksummed datasets), ``gradcheck`` (numerical gradients),
``plotting``, ``timing`` (timing a call, waiting for the GPU), ``numerics`` (``logsumexp``).

These modules import nothing from the rest of ``autograder`` (the student bundle ships this folder
alone; ``publish/bundle.py`` checks it). Grading kernels may import them; the static look flags a
notebook that imports anything else of the package.
"""
