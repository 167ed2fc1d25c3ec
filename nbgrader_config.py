"""nbgrader configuration for the course (read by nbgrader's CLI and by `python -m autograder`).

`python -m autograder release|grade` load this file and then point the gradebook and all
grading folders at a temporary directory, so no course state is ever left in the repository.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# Per-cell execution limit during autograde/validate (seconds). Training cells in fast mode
# finish well inside it; a stuck student cell is cut off instead of hanging the grader.
c.Execute.timeout = 300
# Keep nbgrader's log out of the repository.
c.NbGrader.logfile = ""
