"""Command line of the generator: ``python -m salesnb.synth --out DIR [--seed N]``
generates the sample and writes one CSV per table (what ``make data`` runs).
"""

from __future__ import annotations

import argparse

from salesnb.synth.build import generate
from salesnb.synth.facts import fact_sheet
from salesnb.synth.write import write

__all__ = ["main"]


def main(argv=None) -> int:
    """Generate the sample and write it: ``python -m salesnb.synth --out data/sample``."""
    parser = argparse.ArgumentParser(
        prog="python -m salesnb.synth",
        description="Generate the seeded synthetic sales dataset as one CSV per table.",
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--start", default="2023-10-01", help="first day (default 2023-10-01)")
    parser.add_argument("--end", default="2026-09-30", help="last day = as_of (default 2026-09-30)")
    parser.add_argument(
        "--facts",
        action="store_true",
        help="also print the planted facts and row counts (Markdown)",
    )
    args = parser.parse_args(argv)
    tables = generate(args.seed, start=args.start, end=args.end)
    paths = write(tables, args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} tables to {args.out} ({total / 1e6:.2f} MB)")
    if args.facts:
        print(fact_sheet(tables))
    return 0
