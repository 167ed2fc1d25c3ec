"""Grade some cases of the corpus (tests/grading_corpus.py) with this checkout's grader and print
what each got: a quick loop while working on the guard, without the whole test module.

    PYTHONPATH=$PWD python tests/run_corpus.py attacks|honest|all|NAME[,NAME...] [results.json]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import nbformat  # noqa: E402
from grading_corpus import ATTACKS, CASES, HONEST, NOTEBOOK  # noqa: E402
from test_class_grading import LIMITS  # noqa: E402

from autograder.class_grading.grade_class import grade_class  # noqa: E402


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "attacks"
    everything = CASES + HONEST
    picked = {"attacks": ATTACKS, "honest": HONEST, "all": everything}.get(which)
    if picked is None:
        names = set(which.split(","))
        picked = [case for case in everything if case.name in names]
        if len(picked) != len(names):
            sys.exit(f"unknown case(s): {sorted(names - {case.name for case in picked})}")
    root = Path(tempfile.mkdtemp(prefix="corpus-"))
    for case in picked:
        built = case.build()
        (root / "subs" / case.name).mkdir(parents=True)
        (root / "subs" / case.name / f"{NOTEBOOK}.ipynb").write_bytes(built if isinstance(built, bytes) else nbformat.writes(built).encode())
    start = time.perf_counter()
    results = grade_class(root / "subs", root / "out", workers=2, limits=LIMITS, progress=False)
    rows, misses = [], 0
    for case in picked:
        result = results[(case.name, NOTEBOOK)]
        flags = " | ".join(result.flags)
        full = result.score == result.max_score > 0
        score_ok = {"full": full, "zero": result.score == 0, "partial": 0 < result.score < result.max_score}[case.score]
        ok = result.status == case.status and score_ok and case.flag in flags
        misses += not ok
        rows.append({"name": case.name, "status": result.status, "score": result.score, "max_score": result.max_score,
                     "flags": result.flags, "expected": {"status": case.status, "score": case.score, "flag": case.flag}, "as_expected": ok})
        print(f"{'  ' if ok else '! '}{case.name:42} {result.status:9} {result.score:>4g}/{result.max_score:g}  {flags[:200]}")
    print(f"{len(picked)} cases in {time.perf_counter() - start:.0f} s; {misses} not as expected (marked !)")
    if len(argv) > 1:
        Path(argv[1]).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
