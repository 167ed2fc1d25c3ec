"""Grading a whole class on Dask: ``grade_class.py`` (``python -m autograder grade-class``).

The top of the package: may import everything below it (grading, kernel, outputs).
"""
