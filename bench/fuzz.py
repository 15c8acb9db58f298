#!/usr/bin/env python
"""Differential fuzzing of allo-rtl: random kernels and schedules, run on an independent model,
the reference interpreter and the generated RTL, compared bit for bit; failures are shrunk and
saved as standalone reproducers.

    .venv/bin/python bench/fuzz.py --cases 150 --seed 1 --jobs 2
    .venv/bin/python bench/fuzz.py --case-seed 123456789 --no-shrink    # one case again
    .venv/bin/python bench/fuzz.py --features dataflow,if,arrays,faults --sample-other 0

Exit status 1 when a case is a mismatch (model/interpreter, interpreter/RTL, cycles), an internal
error or a frontend refusal of generated code; refused schedules and documented RTL limits are
counted and listed, not failures.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fuzzing import generator, shrink as shrinking  # noqa: E402
from bench.fuzzing.pool import Pool  # noqa: E402
from bench.fuzzing.repro import write_repro  # noqa: E402
from bench.fuzzing.runner import FAILURES, OUTCOMES, run_case  # noqa: E402
from bench.fuzzing.tags import program_tags  # noqa: E402

EXIT_FAILURES = ("interp_model_mismatch", "rtl_mismatch", "cycle_mismatch", "internal_error",
                 "frontend_refused")
SIMULATORS = ("amaranth", "verilator", "icarus")


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--simulator", default="amaranth", choices=SIMULATORS)
    ap.add_argument("--sample-other", type=int, default=10, metavar="K",
                    help="every K-th case also runs on the two other simulators (0: never)")
    ap.add_argument("--shrink", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--shrink-time", type=float, default=60.0, help="seconds per failure")
    ap.add_argument("--shrink-attempts", type=int, default=400, help="cases run per failure")
    ap.add_argument("--shrink-total", type=float, default=150.0,
                    help="seconds of shrinking in all; later failures are saved unshrunk")
    ap.add_argument("--out", default=str(ROOT / "build" / "fuzz"))
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds per case (three times that with the other simulators)")
    ap.add_argument("--features", default=",".join(generator.DEFAULT_FEATURES),
                    help="generator feature groups (default: all but dataflow): "
                    + ",".join(generator.FEATURE_GROUPS) + "; opt-in: dataflow, which makes "
                    "every case a df.region of kernels linked by streams, some of them its "
                    "stream arguments (RTL runs them with random gaps); with faults, some "
                    "regions deadlock")
    ap.add_argument("--fault-rate", type=float, default=0.05,
                    help="share of cases allowed to fault at run time")
    ap.add_argument("--case-seed", type=int, default=None, help="run only the case of this seed")
    args = ap.parse_args(argv)
    args.features = [f for f in args.features.split(",") if f]
    unknown = set(args.features) - set(generator.FEATURE_GROUPS)
    if unknown:
        ap.error(f"unknown feature group(s) {', '.join(sorted(unknown))}")
    return args


def simulators_for(args, k: int) -> tuple:
    if args.sample_other and k % args.sample_other == args.sample_other - 1:
        return (args.simulator,) + tuple(s for s in SIMULATORS if s != args.simulator)
    return (args.simulator,)


def table(rows: dict, columns: list, title: str) -> str:
    """A text table: rows name -> Counter over ``columns``."""
    shown = [c for c in columns if any(r[c] for r in rows.values())]
    width = max([len(title)] + [len(k) for k in rows]) + 2
    head = title.ljust(width) + "".join(c[:14].rjust(15) for c in shown)
    lines = [head, "-" * len(head)]
    for name in sorted(rows):
        lines.append(name.ljust(width) + "".join(str(rows[name][c] or "").rjust(15) for c in shown))
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse(argv)
    out_dir = Path(args.out)
    work = out_dir / "work"
    if args.case_seed is not None:
        seeds = [(0, args.case_seed)]
    else:
        seeds = [(k, generator.case_seed(args.seed, k)) for k in range(args.cases)]
    import allo_rtl  # noqa: F401 - imported once here, shared by the forked workers

    programs = {}

    def tasks():
        for k, seed in seeds:
            program = generator.generate(seed, args.features, args.fault_rate)
            programs[k] = (seed, program)
            sims = simulators_for(args, k)
            # a Verilator build of a design with wide dividers can take a minute on a busy machine
            yield k, (program, sims, str(work)), args.timeout * (3 if len(sims) > 1 else 1)

    counts = collections.Counter()
    by_feature: dict = collections.defaultdict(collections.Counter)
    reasons = collections.Counter()
    failures = []
    start = time.time()
    total = len(seeds)
    with Pool(run_case, args.jobs, args.timeout) as pool:
        for done, (k, res) in enumerate(pool.run(tasks()), 1):
            seed, program = programs[k]
            outcome = res["outcome"]
            counts[outcome] += 1
            for tag in program_tags(program) | {"all"}:
                by_feature[tag][outcome] += 1
            if outcome in ("schedule_refused", "rtl_rejected", "frontend_refused", "invalid"):
                reasons[f"{outcome}: {res.get('reason') or res.get('key')}"] += 1
            if outcome in FAILURES:
                failures.append((k, seed, program, res))
                print(f"[fuzz] case {k} (seed {seed}): {outcome} {res.get('key', '')}", flush=True)
            if done % 25 == 0 or done == total:
                summary = " ".join(f"{o}={counts[o]}" for o in OUTCOMES if counts[o])
                print(f"[fuzz] {done}/{total} {summary} ({time.time() - start:.0f} s)", flush=True)

        saved = shrink_and_save(args, pool, failures, out_dir)

    print()
    print(table({"outcome": counts}, list(OUTCOMES), "cases"))
    print()
    print(table(by_feature, list(OUTCOMES), "feature"))
    if reasons:
        print("\nrefusals and documented limits (count: outcome: error class: first line):")
        for reason, n in reasons.most_common():
            print(f"  {n:4d}  {reason}")
    if saved:
        print("\nfailures (reproducers):")
        for line in saved:
            print("  " + line)
    print(f"\n{total} cases in {time.time() - start:.0f} s")
    return 1 if any(counts[o] for o in EXIT_FAILURES) else 0


def shrink_and_save(args, pool, failures, out_dir) -> list:
    lines = []
    shrunk_sigs = {}
    budget_end = time.time() + args.shrink_total

    # the first failure of each signature first, then the others while the budget lasts
    firsts, seen = [], set()
    for f in failures:
        sig = shrinking.signature(f[3])
        firsts.append(sig not in seen)
        seen.add(sig)
    order = [f for f, first in zip(failures, firsts) if first] + \
        [f for f, first in zip(failures, firsts) if not first]
    for k, seed, program, res in order:
        sig = shrinking.signature(res)
        sims = (res["simulator"],) if res.get("simulator") else (args.simulator,)
        note = ""
        final, final_res = program, res
        if args.shrink and time.time() < budget_end and res["outcome"] != "timeout":
            def evaluate(progs, sims=sims):
                tasks = [(i, (p, sims, str(out_dir / "work"))) for i, p in enumerate(progs)]
                got = dict(pool.run(tasks))
                return [got[i] for i in range(len(progs))]
            t0 = time.time()
            limit = min(args.shrink_time, max(0.0, budget_end - time.time()))
            small, small_res, attempts = shrinking.shrink(
                program, sig, evaluate, args.shrink_attempts, limit, batch=args.jobs)
            if small_res is not None:
                final, final_res = small, small_res
            note = f" (shrunk in {attempts} runs, {time.time() - t0:.0f} s)"
        else:
            note = " (not shrunk)"
        if sig in shrunk_sigs:
            note += f"; same signature as {shrunk_sigs[sig]}"
        path = out_dir / f"{res['outcome']}_{seed}.py"
        write_repro(final, final_res, path)
        shrunk_sigs.setdefault(sig, path.name)
        sim = f" [{final_res.get('simulator')}]" if final_res.get("simulator") else ""
        lines.append(f"{path}  {sig}{sim}{note}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
