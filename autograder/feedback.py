"""Feedback pages for learners: points, pass/fail and the failure message of each exercise.

Built only from the grading result (never from the executed notebook or the gradebook), so a page
cannot contain hidden-test source; tests scan every generated page to make sure.
"""

from __future__ import annotations

from html import escape

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; }
.passed { color: #196c2e; } .failed { color: #a40e26; } .flags { background: #fff4e5; padding: .6rem; }
"""


def feedback_html(student: str, result: dict) -> str:
    """One self-contained HTML page for one graded notebook."""
    rows = []
    for cell in result.get("cells", []):
        state = "passed" if cell["passed"] else "failed"
        rows.append(
            f"<tr><td>{escape(cell['grade_id'])}</td><td>{cell['score']:g} / {cell['max_score']:g}</td>"
            f"<td class='{state}'>{state}</td><td>{escape(cell['message'])}</td></tr>"
        )
    for cell in result.get("manual", []):
        rows.append(f"<tr><td>{escape(cell['grade_id'])}</td><td>? / {cell['max_score']:g}</td><td>graded by hand</td><td></td></tr>")
    flags = "".join(f"<li>{escape(flag)}</li>" for flag in result.get("flags", []))
    flag_block = f"<div class='flags'><strong>Notes from the grader</strong><ul>{flags}</ul></div>" if flags else ""
    error = result.get("first_error")
    if error:  # where a chain of failures starts: what a learner should fix first
        heading = f" (&ldquo;{escape(error['heading'])}&rdquo;)" if error.get("heading") else ""
        flag_block += (f"<p class='flags'><strong>First error</strong>: cell {error['cell']}{heading} raised "
                       f"{escape(error['ename'])}: {escape(error['evalue'])}</p>")
    title = f"{result.get('assignment') or result.get('notebook')}: {student}"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>Score: <strong>{result.get('score', 0):g} / {result.get('max_score', 0):g}</strong> "
        f"(status: {escape(str(result.get('status', '')))})</p>{flag_block}"
        "<table><tr><th>exercise (test cell)</th><th>points</th><th>result</th><th>why</th></tr>"
        + "".join(rows)
        + "</table><p>Hidden tests ran as well as the visible ones; their code is not shown.</p></body></html>\n"
    )
