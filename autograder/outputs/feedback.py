"""What a learner (and the ``grade`` command) sees of one graded notebook: points, pass/fail and the
failure message of each exercise, as an HTML page (grade-class's ``feedback/``) or a terminal table.

Built only from the ``NotebookResult`` (never from the executed notebook or the gradebook), so a
page cannot contain hidden-test source; tests scan every generated page to make sure.
"""

from __future__ import annotations

import functools

from autograder.grading.results import NotebookResult


@functools.cache
def _template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("autograder.outputs", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True)
    return env.get_template("feedback.html.j2")


def feedback_html(student: str, result: NotebookResult) -> str:
    """One self-contained HTML page for one graded notebook."""
    return _template().render(title=f"{result.assignment or result.notebook}: {student}", result=result) + "\n"


def format_table(result: NotebookResult) -> str:
    """A per-cell score table for the terminal (``grade``)."""
    width = max([len(c.grade_id) for c in result.cells] + [len(m.grade_id) for m in result.manual] + [8])
    lines = [f"{result.notebook}  ({result.assignment}, graded in {result.elapsed_s:.1f} s)",
             f"  {'cell':<{width}}  {'score':>5}  {'max':>5}  result"]
    for c in result.cells:
        status = "passed" if c.passed else f"FAILED  {c.message}"
        lines.append(f"  {c.grade_id:<{width}}  {c.score:>5g}  {c.max_score:>5g}  {status}")
    for m in result.manual:
        lines.append(f"  {m.grade_id:<{width}}  {'-':>5}  {m.max_score:>5g}  graded by hand (not in the total)")
    lines.append(f"  {'total':<{width}}  {result.score:>5g}  {result.max_score:>5g}")
    if result.first_error:
        error = result.first_error
        lines.append(f"  first error: {error.where()} raised {error.ename}: {error.evalue}")
    if result.status != "ok" or result.flags:
        lines.append(f"  status: {result.status}" + "".join(f"\n    - {flag}" for flag in result.flags))
    return "\n".join(lines)
