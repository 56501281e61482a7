"""Run a benchmark on this checkout and on an earlier revision, in one run.

"Stays at least as fast as before" needs the before measured on the same
machine at the same time: a figure copied from an old note was taken under
other load. This script checks the reference revision out into a temporary
``git worktree`` (made and removed by this script), then runs the named
benchmark script of each tree in turn, ``--rounds`` times, alternating
(reference, current, reference, current, ...) so that a change in machine load
hits both. Each run is a fresh ``python benchmarks/<name>.py ARGS`` with the
tree's own folder first on ``sys.path`` (the benchmarks insert their root), in
the same virtual environment. Its output is printed as it is, with the run's
wall time; the last lines compare the wall times (best of the rounds).

The benchmarks print their own tables (steps, times, peak memory, ratios
against a floor measured in the same run); compare those step by step. The
wall time also counts what a benchmark does outside its timed steps (making
its data, warm-up runs), which is the same work in both trees when the
benchmark script did not change.

Usage::

    python benchmarks/against_revision.py REF bench_load --rows 10000000
    python benchmarks/against_revision.py ac72913 bench_report --rounds 2

Arguments after the benchmark name go to the benchmark unchanged.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(tree: Path, name: str, args: list[str]) -> float:
    script = tree / "benchmarks" / f"{name}.py"
    if not script.exists():
        raise SystemExit(f"{script} does not exist in this revision")
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script), *args], cwd=tree, env=env)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{script} exited with {done.returncode}")
    return wall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="reference revision (commit, tag or branch)")
    parser.add_argument("bench", help="benchmark name, e.g. bench_load")
    parser.add_argument("--rounds", type=int, default=1, help="runs per tree, alternating")
    ours, rest = parser.parse_known_args(argv)
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ours.ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if commit.returncode:
        raise SystemExit(f"not a revision of {ROOT}: {ours.ref!r}")
    sha = commit.stdout.strip()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    walls: dict[str, list[float]] = {"reference": [], "current": []}
    with tempfile.TemporaryDirectory(prefix="salesnb_ref_") as tmp:
        ref_tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(ref_tree), sha],
            cwd=ROOT,
            check=True,
        )
        try:
            for i in range(ours.rounds):
                for label, tree in (("reference", ref_tree), ("current", ROOT)):
                    rev = sha[:7] if label == "reference" else f"{head} (working tree)"
                    print(f"\n=== {ours.bench} round {i + 1}: {label} {rev}", flush=True)
                    walls[label].append(_run(tree, ours.bench, rest))
                    print(f"=== wall {walls[label][-1]:.1f} s", flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(ref_tree)], cwd=ROOT, check=False
            )
    ref, cur = min(walls["reference"]), min(walls["current"])
    print(
        f"\nwall time, best of {ours.rounds}: reference {sha[:7]} {ref:.1f} s, "
        f"current {cur:.1f} s, current / reference {cur / ref:.2f}"
    )


if __name__ == "__main__":
    main()
