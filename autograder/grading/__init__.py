"""Grading one submission.

    results.py      Status, CellResult, NotebookResult: what grading produces, and its JSON form
    kit.py          what grading a course notebook needs (gradebook, checksums); identify
    engine.py       grade_submission / grade_notebook: restore tests, run sandboxed, score
    static_check.py constructs in learners' cells that only tampering needs (review flags)
    submissions.py  the submissions in a folder (layouts, which notebook each is)
    self_check.py   the learner's own check (visible tests only, like Validate)

May import ``course``, ``kernel`` and ``notebook_helpers``; never ``class_grading`` or ``outputs``.
"""
