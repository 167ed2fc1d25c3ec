"""Course package: the grading machinery, and the few helpers every notebook shares.

Where things are (each folder's ``__init__`` says what it may import; nothing imports upwards):

    notebook_helpers/  what a notebook may import: runtime (mode, seeding, device, data folder),
                       data (checksummed datasets), gradcheck, plotting, timing. Imports nothing
                       else from this package (it is all a student bundle ships).
    course.py          where the course's folders are; nbgrader's configuration; generate_assignment
    kernel/            the isolated kernel: settings (limits, launch settings), executor (the one
                       way cells are run), sandbox (grader side), launcher, zygote, guard, isolation
    grading/           grading one submission: results (typed), kit, engine, static_check,
                       submissions (finding them in a folder), self_check (the learner's check)
    outputs/           what results become: feedback pages and tables, the class report,
                       similarity, gradebook exports (Canvas, Moodle), the results folder's files
    class_grading/     grading a whole class on Dask (grade-class)
    publish/           what the course publishes from solutions/: release (notebooks/), render
                       (lecture pages), bundle (the student bundle)
    cli.py             the command line: ``python -m autograder --help``

Notebooks import the helpers (see the setup cell of any notebook)::

    from autograder.notebook_helpers import runtime
    from autograder.notebook_helpers.gradcheck import numerical_gradient_array, relative_error
"""

__version__ = "0.1.0"
