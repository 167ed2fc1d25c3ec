"""The reference solutions of a course notebook as Python functions, read from ``solutions/`` (the
one copy: a benchmark never carries its own duplicate of an exercise's solution).

    namespace = load_solutions("04_convolution", ["conv_output_size", "conv2d_naive", "im2col", "conv2d_im2col"])

Runs the notebook's setup cell, then the solution cells with these nbgrader ``grade_id``s, in
notebook order, in one fresh namespace.
"""

from __future__ import annotations

from autograder import course


def load_solutions(notebook: str, grade_ids: list[str]) -> dict:
    nb = course.read_notebook(course.solution_path(notebook))
    wanted = set(grade_ids)
    cells = [cell for cell in nb.cells if cell.cell_type == "code" and
             cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in wanted | {"setup"}]
    found = {cell.metadata.nbgrader.grade_id for cell in cells}
    if wanted - found:
        raise SystemExit(f"solutions/{notebook}: no solution cell {', '.join(sorted(wanted - found))}")
    namespace: dict = {"__name__": f"solutions_{notebook}"}
    for cell in cells:
        exec(compile(cell.source, f"<{notebook}:{cell.metadata.nbgrader.grade_id}>", "exec"), namespace)
    return namespace
