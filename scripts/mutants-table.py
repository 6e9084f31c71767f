#!/usr/bin/env python3
"""Per-file counts of a cargo-mutants run (mutants.out/outcomes.json), as benches/MUTANTS.md's
table rows: mutants, caught, missed, unviable, timeout, and the score (caught / viable, where
timeouts count as caught: the mutant hung the tests), plus the time per mutant.
Usage: scripts/mutants-table.py path/to/mutants.out [more ...]"""
import json
import sys
from collections import defaultdict

rows = defaultdict(lambda: defaultdict(int))
secs = []
for out in sys.argv[1:]:
    data = json.load(open(f"{out}/outcomes.json"))
    for o in data["outcomes"]:
        m = o["scenario"]
        if not isinstance(m, dict) or "Mutant" not in m:
            continue
        f = m["Mutant"]["file"]
        summary = o["summary"]
        rows[f][summary] += 1
        secs.append(sum(p.get("duration", 0) for p in o.get("phase_results", [])))
total = defaultdict(int)
print("| file | mutants | caught | missed | unviable | timeout | score |")
print("|---|---|---|---|---|---|---|")
for f in sorted(rows):
    r = rows[f]
    n = sum(r.values())
    caught, missed, unviable, timeout = r["CaughtMutant"], r["MissedMutant"], r["Unviable"], r["Timeout"]
    viable = caught + missed + timeout
    score = f"{100 * (caught + timeout) / viable:.1f} %" if viable else "-"
    print(f"| `{f}` | {n} | {caught} | {missed} | {unviable} | {timeout} | {score} ({caught + timeout}/{viable}) |")
    for k, v in (("n", n), ("c", caught), ("m", missed), ("u", unviable), ("t", timeout)):
        total[k] += v
viable = total["c"] + total["m"] + total["t"]
if viable:
    print(f"| all | {total['n']} | {total['c']} | {total['m']} | {total['u']} | {total['t']} | "
          f"{100 * (total['c'] + total['t']) / viable:.1f} % ({total['c'] + total['t']}/{viable}) |")
if secs:
    print(f"\nbuild + test time per mutant (one job): mean {sum(secs) / len(secs):.1f} s over {len(secs)}")
