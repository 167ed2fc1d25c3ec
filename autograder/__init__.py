"""Course package: the grading machinery and the few helpers every notebook shares.

Notebooks import the helpers from here (see the setup cell of any notebook)::

    from autograder import runtime          # fast mode, seeding, device, data folder
    from autograder.gradcheck import numerical_gradient_array, relative_error
    from autograder.plotting import plot_decision_boundary, plot_curves

Instructors use the command line: ``python -m autograder --help``.
"""

__version__ = "0.1.0"
