"""How long the similarity step takes as a class grows (issue 19, point 5).

    PYTHONPATH=. .venv/bin/python benchmarks/similarity_benchmark.py [--sizes 50 100 200]

For each N, writes N submissions of 01_perceptron made from the honest solutions in
tests/similarity_cases/ (a style at random, a random third of the exercises left unsolved) and times
``python -m autograder similarity``'s work in three parts: reading the notebooks and removing the
starter code, fingerprinting (copydetect, once per submission: O(N)), and comparing every pair
(N (N - 1) / 2 set intersections: O(N^2)), plus writing the page. Many generated students share a
style, so many pairs are reported: the page is as large as it gets. No grading is involved.
Wall-clock times depend on what else runs on the machine; the CPU column is this process's own time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from similarity_class import NOTEBOOK, generated_class, write_class  # noqa: E402

from autograder.outputs import similarity  # noqa: E402


def measure(n: int) -> dict:
    import io

    from copydetect import CodeFingerprint

    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as tmp:
        folder = write_class(Path(tmp) / "submissions", generated_class(n))
        start = time.perf_counter()
        documents, _ = similarity.collect(folder)
        read_s = time.perf_counter() - start
        stubs = {NOTEBOOK: similarity.starter_code(NOTEBOOK)}
        start = time.perf_counter()
        for d in documents:  # the fingerprinting alone, as compare() does it first
            CodeFingerprint(f"{d.student}.py", similarity.NOISE_TOKENS, 1, fp=io.StringIO(d.text))
        fingerprint_s = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        pairs = similarity.run(folder, Path(tmp) / "out", log=lambda line: None)
        total_s, total_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        page_kb = (Path(tmp) / "out" / "report" / "similarity.html").stat().st_size / 1024
    del stubs
    return {"n": n, "pairs_compared": n * (n - 1) // 2, "pairs_reported": len(pairs), "read_s": read_s,
            "fingerprint_s": fingerprint_s, "total_s": total_s, "total_cpu_s": total_cpu_s, "page_kb": page_kb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    args = parser.parse_args()
    print(f"{'N':>5} {'pairs':>7} {'reported':>8} {'read s':>7} {'fprint s':>8} {'whole run s':>11} {'CPU s':>6} {'ms/pair':>8} {'page KB':>8}")
    for n in args.sizes:
        r = measure(n)
        compare_s = max(r["total_s"] - r["read_s"] - r["fingerprint_s"], 0.0)
        print(f"{r['n']:>5} {r['pairs_compared']:>7} {r['pairs_reported']:>8} {r['read_s']:>7.2f} {r['fingerprint_s']:>8.2f} "
              f"{r['total_s']:>11.2f} {r['total_cpu_s']:>6.2f} {1000 * compare_s / r['pairs_compared']:>8.3f} {r['page_kb']:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
