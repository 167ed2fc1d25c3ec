"""Find hidden-test source in what the course's tools print or write (grade, grade-class, render).

``hidden_test_lines(nb)`` takes the lines between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS`` of the parsed solution notebook and keeps the ones worth looking for:

- stripped of indentation and of a trailing line-continuation backslash;
- at least ``MIN_LENGTH`` characters: shorter lines (``else:``, ``pass``, ``return Wu, Wp``,
  ``model.eval()``) are generic Python that an honest message may contain;
- not a comment on its own (a leak of the test's code shows its code lines anyway);
- not a message string on its own (the continuation line of ``assert ..., \\``, possibly
  ending in ``,`` or ``+``): failure messages are shown to learners on purpose;
- not also written in the notebook outside hidden tests and solutions (the released notebook
  shows those lines, so seeing them proves nothing).

``find_leaks(text, lines, form)`` looks for every line in an output as it is stored there. Two
views, because each catches what the other can miss:

1. decoded: the output is turned back into plain strings (every string of a JSON document, the
   cells of a CSV file, an HTML page unescaped both as is and with its tags removed so that
   syntax-highlighted code reads as text) and each raw line is searched in them;
2. encoded: each line is also searched in the raw output and in the decoded strings in every form
   an encoder writes it: ``json.dumps`` (with and without ``ensure_ascii``; Jinja2's ``tojson``,
   which also writes ``<>&'`` as ``\\u003c``...), ``html.escape`` (with and without quotes),
   Jinja2/markupsafe (``&#34;``, ``&#39;``), CSV (quotes doubled). This covers
   output that does not decode (a truncated file, JSON inside an HTML page, a console that prints
   JSON next to text).
"""

from __future__ import annotations

import ast
import csv
import html
import io
import json
import re

import nbformat

MIN_LENGTH = 16
FORMS = ("text", "json", "html", "csv")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS[^\n]*\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION[^\n]*\n(.*?)### END SOLUTION", re.S)
TAG = re.compile(r"<[^>]*>")
EMBEDDED_IMAGE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+")


def _clean(line: str) -> str:
    return line.strip().removesuffix("\\").strip()


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(node.left) and _is_text(node.right)
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _only_a_string(line: str) -> bool:
    """A line that is string literals (f-strings, "a" + "b") and nothing else: an assertion's message."""
    try:
        return _is_text(ast.parse(line.rstrip(",+ "), mode="eval").body)
    except SyntaxError:
        return False


def _significant(line: str) -> bool:
    return len(line) >= MIN_LENGTH and not line.startswith("#") and not _only_a_string(line)


def hidden_test_lines(nb: nbformat.NotebookNode) -> set[str]:
    """The hidden-test lines of a parsed solution notebook worth searching for (rules above)."""
    hidden, public = set(), set()
    for cell in nb.cells:
        hidden |= {_clean(line) for block in HIDDEN.findall(cell.source) for line in block.splitlines()}
        public |= {_clean(line) for line in SOLUTION.sub("", HIDDEN.sub("", cell.source)).splitlines()}
    return {line for line in hidden - public if _significant(line)}


def encoded_forms(line: str) -> set[str]:
    """The line as JSON, HTML (stdlib and Jinja2/markupsafe) and CSV encoders write it."""
    forms = {line, line.replace('"', '""')}
    for ascii_only in (True, False):
        forms.add(json.dumps(line, ensure_ascii=ascii_only)[1:-1])
    html_safe_json = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}  # Jinja2's |tojson
    forms.add("".join(html_safe_json.get(char, char) for char in json.dumps(line)[1:-1]))
    for quote in (True, False):
        escaped = html.escape(line, quote=quote)
        forms |= {escaped, escaped.replace("&quot;", "&#34;").replace("&#x27;", "&#39;")}
    return forms


def _strings(value) -> list[str]:
    """Every string (keys included) of a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (*_strings(key), *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _json_documents(text: str) -> list:
    """The JSON documents of text (one, or several printed one after the other); [] if it is not JSON."""
    decoder, documents, at = json.JSONDecoder(), [], 0
    while (at := len(text) - len(text[at:].lstrip())) < len(text):
        try:
            document, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return []
        documents.append(document)
    return documents


def decoded_views(text: str, form: str) -> list[str]:
    """The plain strings an output of the given form holds (see the module's docstring)."""
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}: one of {', '.join(FORMS)}")
    if form == "json":
        return [s for document in _json_documents(text) for s in _strings(document)]
    if form == "csv":
        return [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    if form == "html":
        text = EMBEDDED_IMAGE.sub("", text)  # megabytes of base64 that cannot hold a line of code
        return [text, html.unescape(text), html.unescape(TAG.sub("", text))]
    return [text]


def find_leaks(text: str, lines: set[str] | list[str], form: str) -> list[str]:
    """The hidden-test lines found in an output of the given form, sorted."""
    views = decoded_views(text, form) if form == "html" else [text, *decoded_views(text, form)]
    return sorted(line for line in lines if any(variant in view for variant in encoded_forms(line) for view in views))


def assert_no_leak(text: str, lines: set[str] | list[str], form: str, where: str) -> None:
    assert lines, f"{where}: no hidden-test lines to look for (is the notebook's hidden part empty?)"
    leaked = find_leaks(text, lines, form)
    assert not leaked, f"{where} quotes {len(leaked)} hidden-test line(s), e.g. {leaked[:3]}"
