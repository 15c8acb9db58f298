"""Random backpressure on the stream arguments of dataflow regions: no value lost, duplicated or
reordered.

Runs each design below many times on the generated hardware with random values and a random gap
seed (the testbench gives and takes nothing in random cycles on every stream argument), and
compares every output stream and array with the interpreter's. Prints the runs, the mismatches
(there must be none) and the cycles with and without gaps.

    .venv/bin/python bench/bench_backpressure.py [--runs 1000] [--simulator amaranth]
"""
import argparse
import sys
import time

import numpy as np

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.types import Stream, int8, int16, int32, uint4

N = 48
P = 3


@df.region()
def chain(A: Stream[int16, 2], B: Stream[int32, 1]):
    s0: Stream[int32, 1]
    s1: Stream[int32, 3]

    @df.kernel(mapping=[1])
    def double():
        for i in range(N):
            s0.put(A.get() * 2)

    @df.kernel(mapping=[1])
    def offset():
        for i in range(N):
            s1.put(s0.get() + i)

    @df.kernel(mapping=[1])
    def square():
        for i in range(N):
            v: int32 = s1.get()
            B.put(v * v)


@df.region()
def fork_join(A: Stream[int8, 4], B: Stream[int32, 2], C: Stream[uint4, 2], D: int32[2]):
    left: Stream[int8, 2]
    right: Stream[int8, 5]

    @df.kernel(mapping=[1])
    def fork():
        for i in range(N // 2):
            left.put(A.get())
            right.put(A.get())

    @df.kernel(mapping=[1], args=[D])
    def join(d: int32[2]):
        total: int32 = 0
        for i in range(N // 2):
            a: int32 = left.get()
            b: int32 = right.get()
            total += a - b
            B.put(a * b)
        d[0] = total

    @df.kernel(mapping=[1])
    def tail():
        for i in range(N // 2):
            C.put(i)


@df.region()
def grid(A: Stream[int16, 2], B: Stream[int16, 2]):
    pipe: Stream[int16, 2][P - 1]

    @df.kernel(mapping=[P])
    def stage():
        p = df.get_pid()
        with allo.meta_if(p == 0):
            for i in range(N):
                pipe[0].put(A.get() + 1)
        with allo.meta_elif(p == P - 1):
            for i in range(N):
                B.put(pipe[p - 1].get() ^ p)
        with allo.meta_else():
            for i in range(N):
                pipe[p].put(pipe[p - 1].get() - i)


def schedules():
    """(name, schedule, argument maker) of every design, pipelined and not."""
    out = []
    for name, top, pipelines in (("chain", chain, ["double_0:i", "offset_0:i", "square_0:i"]),
                                 ("fork_join", fork_join, ["fork_0:i", "join_0:i", "tail_0:i"]),
                                 ("grid", grid, [f"stage_{p}:i" for p in range(P)])):
        for pipelined in (False, True):
            s = df.customize(top)
            if pipelined:
                for loop in pipelines:
                    s.pipeline(loop)
            out.append((f"{name}{' pipelined' if pipelined else ''}", s, ARGS[name]))
    return out


ARGS = {
    "chain": lambda rng: [rng.integers(-2**15, 2**15, N, dtype=np.int16),
                          np.zeros(N, dtype=np.int32)],
    "fork_join": lambda rng: [rng.integers(-128, 128, N, dtype=np.int8),
                              np.zeros(N // 2, dtype=np.int32), np.zeros(N // 2, dtype=np.uint8),
                              rng.integers(-9, 9, 2, dtype=np.int32)],
    "grid": lambda rng: [rng.integers(-2**15, 2**15, N, dtype=np.int16),
                         np.zeros(N, dtype=np.int16)],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--simulator", default="amaranth")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    designs = schedules()
    modules = [(name, s.build(), s.build(target="rtl", simulator=args.simulator), make)
               for name, s, make in designs]
    runs = mismatches = 0
    cycles = {name: [] for name, *_ in modules}
    free = {}
    start = time.time()
    for name, interp, rtl, make in modules:   # without gaps: the steady state
        want_args = make(np.random.default_rng(0))
        interp(*want_args)
        rtl.backpressure = None
        got_args = make(np.random.default_rng(0))
        rtl(*got_args)
        free[name] = rtl.cycles
    for k in range(args.runs):
        name, interp, rtl, make = modules[k % len(modules)]
        data_seed = int(rng.integers(0, 2**31))
        want_args, got_args = make(np.random.default_rng(data_seed)), \
            make(np.random.default_rng(data_seed))
        interp(*want_args)
        rtl.backpressure = int(rng.integers(0, 2**31))
        rtl(*got_args)
        runs += 1
        cycles[name].append(rtl.cycles)
        if not all(np.array_equal(w, g) for w, g in zip(want_args, got_args)):
            mismatches += 1
            print(f"MISMATCH: {name}, data seed {data_seed}, gap seed {rtl.backpressure}")
        if (k + 1) % 100 == 0:
            print(f"[backpressure] {k + 1}/{args.runs} runs, {mismatches} mismatches "
                  f"({time.time() - start:.0f} s)", flush=True)
    print(f"\n{'design':22s} {'runs':>5s} {'cycles, no gaps':>16s} {'with gaps: min':>15s} "
          f"{'mean':>7s} {'max':>6s}")
    for name, values in cycles.items():
        print(f"{name:22s} {len(values):5d} {free[name]:16d} {min(values):15d} "
              f"{np.mean(values):7.0f} {max(values):6d}")
    print(f"\n{runs} randomised runs on {args.simulator}: {mismatches} with a value lost, "
          f"duplicated or reordered ({time.time() - start:.0f} s)")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
