#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench --bench engine` run as a Markdown table.

Reads criterion's `target/criterion/<group>/<case>/new/estimates.json` (the median of the
per-sample means: each sample is the mean time of one `Ctx::new` + `place` over consecutive pairs)
and shows milliseconds per call, with the goals of the benchmark issue where there is one.

    python3 scripts/bench_table.py [TARGET_DIR]        # default: target
"""

import json
import os
import sys

GROUPS = ["1k", "10k", "germany50", "tatanld"]
CASES = ["a_algo0", "b_algo1_top10", "c_bod_waypoints"]
GOALS = {("1k", "a_algo0"): 0.5, ("10k", "a_algo0"): 8, ("1k", "b_algo1_top10"): 5, ("10k", "b_algo1_top10"): 80}


def estimate(root, group, case, stat):
    """The point estimate of `stat` in ms, or None."""
    path = os.path.join(root, "criterion", group, case, "new", "estimates.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)[stat]["point_estimate"] / 1e6
    except (OSError, KeyError, ValueError):
        return None


def main():
    """Prints the table."""
    root = sys.argv[1] if len(sys.argv) > 1 else "target"
    groups = GROUPS + sorted(
        g for g in os.listdir(os.path.join(root, "criterion")) if g not in GROUPS and g != "report"
    ) if os.path.isdir(os.path.join(root, "criterion")) else GROUPS
    print("| topology | " + " | ".join(CASES) + " |")
    print("|---|" + "---|" * len(CASES))
    for g in groups:
        cells = []
        for c in CASES:
            m = estimate(root, g, c, "median")
            if m is None:
                cells.append("–")
                continue
            goal = GOALS.get((g, c))
            cells.append(f"{m:.3f} ms" + (f" (goal ≤ {goal} ms)" if goal is not None else ""))
        if any(c != "–" for c in cells):
            print(f"| {g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
