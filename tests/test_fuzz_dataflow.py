"""The fuzzer's dataflow group (bench/fuzzing/dfgen.py, dataflow_model.py): generated regions are
deterministic, accepted by the frontend and predicted by the model (results, and deadlocks to the
message), RTL targets refuse them as a documented limit, and shrinking keeps regions valid."""
import pytest

from bench import fuzz
from bench.fuzzing import dataflow_model, runner, shrink
from bench.fuzzing import prog as P
from bench.fuzzing import types as T
from bench.fuzzing.generator import DEFAULT_FEATURES, FEATURE_GROUPS, case_seed, generate
from bench.fuzzing.model import Fault, Model
from bench.fuzzing.prog import Bin, Lit, Load, Ref, Sym
from bench.fuzzing.render import render_module
from bench.fuzzing.tags import program_tags

FEATURES = ["dataflow", "if", "arrays", "faults"]
SEEDS = [case_seed(77, k) for k in range(30)]


def test_dataflow_is_opt_in():
    assert "dataflow" in FEATURE_GROUPS and "dataflow" not in DEFAULT_FEATURES
    assert "dataflow" not in fuzz.parse([]).features
    assert fuzz.parse(["--features", "dataflow,if"]).features == ["dataflow", "if"]
    assert not generate(SEEDS[0]).is_region


@pytest.mark.parametrize("seed", SEEDS[:5])
def test_generation_of_regions_is_deterministic(seed):
    a, b = generate(seed, FEATURES, 0.3), generate(seed, FEATURES, 0.3)
    assert a.is_region and render_module(a) == render_module(b)
    assert a.inputs == b.inputs and a.df_fault == b.df_fault
    assert "@df.region()" in render_module(a) and "import allo_rtl.dataflow as df" in render_module(a)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_model_predicts_the_interpreter_on_regions(seed, tmp_path):
    # results and written arrays, or the deadlock (class, message with every waiting
    # instance, line); a third of the cases are made to deadlock or leave values behind
    program = generate(seed, FEATURES, 0.3)
    assert shrink.valid(program) and dataflow_model.region_problem(program) is None
    out = runner.run_case(program, simulators=(), workdir=str(tmp_path))
    assert out["outcome"] == ("ok_fault" if program.df_fault.startswith("deadlock") else "ok"), out


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_the_hardware_equals_the_interpreter_on_regions(seed, tmp_path):
    # the same results, or the same deadlock, on RTL (Amaranth's simulator)
    program = generate(seed, FEATURES, 0.3)
    out = runner.run_case(program, simulators=("amaranth",), workdir=str(tmp_path))
    assert out["outcome"] in ("ok", "ok_fault"), out


# ---------------------------------------------------------------------------------------------
# Deadlocks written by hand, predicted to the message


def _chain(counts, depths):
    """A region of linked kernels: kernel k loops counts[k] times; the first puts A's
    elements, the middle ones pass values on, the last stores into B."""
    t = T.Int(8)
    A, B = Sym("A", t, (8,), "param"), Sym("B", t, (8,), "param")
    streams = [P.Stream(f"s{k + 1}", t, d) for k, d in enumerate(depths)]
    names = ["give"] + [f"pass{k}" for k in range(1, len(counts) - 1)] + ["take"]
    body = [P.StreamDecl(stream=s) for s in streams]
    for k, (name, n) in enumerate(zip(names, counts)):
        i = Sym(f"i{k}", T.INDEX, kind="loop")
        arg = A if k == 0 else B
        a = Sym(f"a{k}", t, (8,), "param")
        slot = Load(a, [Bin("and", Ref(i), Lit(7))])
        if k == 0:
            inner = [P.Put(chan=P.Chan(streams[0]), value=Bin("add", slot, Lit(1)))]
        elif k == len(counts) - 1:
            inner = [P.Assign(target=slot, value=P.Get(chan=P.Chan(streams[-1])))]
        else:
            inner = [P.Put(chan=P.Chan(streams[k]), value=P.Get(chan=P.Chan(streams[k - 1])))]
        loop = P.For(vars=[i], kind="range", bounds=[Lit(0), Lit(n), 1], body=inner)
        args = [arg] if k in (0, len(counts) - 1) else []
        params = [a] if args else []
        body.append(P.KernelDef(fn=P.Func(name, params, [], [loop]), args=args, group="chain"))
    region = P.Func("kernel", [A, B], [], body, region=True)
    program = P.Program([region], inputs=[list(range(-3, 5)), [0] * 8], df_fault="deadlock:get_more")
    render_module(program)
    return program


def _line(program, kernel, cls):
    k = next(s for s in program.kernel.body if isinstance(s, P.KernelDef) and s.fn.name == kernel)
    return next(s.line for s in P.walk_stmts(k.fn.body) if isinstance(s, cls))


def _model_fault(program):
    with pytest.raises(Fault) as info:
        Model(program).run(program.inputs)
    return info.value


def test_a_consumer_getting_once_more_waits_alone(tmp_path):
    program = _chain([3, 4], [2])
    f = _model_fault(program)
    line = _line(program, "take", P.Assign)
    assert (f.cls, f.line) == ("AlloDeadlockError", line)
    assert f.message == ("deadlock: every running kernel waits: take_0 waits to get from 's1' "
                         f"(empty) at {dataflow_model.MODULE_FILE}:{line}")
    out = runner.run_case(program, simulators=(), workdir=str(tmp_path))
    assert out["outcome"] == "ok_fault", out


def test_producers_stuck_on_full_streams_are_all_named(tmp_path):
    # give puts 6 into s1 (depth 1), pass0 forwards into s2 (depth 1), take stops after 2:
    # pass0 puts its 4th value into a full s2, give its 6th into a full s1
    program = _chain([6, 6, 2], [1, 1])
    f = _model_fault(program)
    g, p = _line(program, "give", P.Put), _line(program, "pass1", P.Put)
    where = dataflow_model.MODULE_FILE
    assert f.message == ("deadlock: every running kernel waits: give_0 waits to put into 's1' "
                         f"(full, depth 1) at {where}:{g}; pass1_0 waits to put into 's2' "
                         f"(full, depth 1) at {where}:{p}") and f.line == g
    out = runner.run_case(program, simulators=(), workdir=str(tmp_path))
    assert out["outcome"] == "ok_fault", out


def test_values_left_in_a_stream_are_ignored(tmp_path):
    program = _chain([5, 3], [2])        # two values stay in s1, which holds two
    program.df_fault = "leftover:put_more"
    results, arrays = Model(program).run(program.inputs)
    assert arrays["B"][:3] == [-2, -1, 0]
    out = runner.run_case(program, simulators=(), workdir=str(tmp_path))
    assert out["outcome"] == "ok", out


def test_a_result_that_depends_on_the_order_kernels_run_in_is_a_mismatch(tmp_path, monkeypatch):
    # the runner runs a region again with a shuffled schedule_seed; here the second run is
    # made to write something else
    program = _chain([4, 4], [1])
    program.df_fault = ""
    real, calls = runner._call, []

    def second_run_differs(built, prog):
        obs = real(built, prog)
        calls.append(prog)
        if len(calls) == 2:
            kind, dtype, shape, values = obs["arrays"]["B"]
            obs["arrays"]["B"] = (kind, dtype, shape, [v + 1 for v in values])
        return obs

    monkeypatch.setattr(runner, "_call", second_run_differs)
    out = runner.run_case(program, simulators=(), workdir=str(tmp_path))
    assert out["outcome"] == "interp_model_mismatch" and out["key"] == "order:arg:B", out


# ---------------------------------------------------------------------------------------------
# Shrinking and tags


def _has_mul(program):
    return any(isinstance(e, P.Bin) and e.op == "mul"
               for fn in program.funcs for e in P.all_exprs(fn.body))


def test_shrinking_a_region_keeps_it_valid():
    seed = next(s for s in (case_seed(99, k) for k in range(300))
                if _has_mul(generate(s, FEATURES[:3])) and len(shrink.groups(generate(s, FEATURES[:3]))) > 1)
    program = generate(seed, FEATURES[:3])
    seen = []

    def evaluate(programs):
        seen.extend(programs)
        return [{"outcome": "interp_model_mismatch", "key": "arg"} if _has_mul(p) else
                {"outcome": "ok", "key": ""} for p in programs]

    small, res, attempts = shrink.shrink(program, "interp_model_mismatch:arg", evaluate,
                                         max_attempts=3000, max_seconds=60)
    assert res is not None and _has_mul(small)
    assert len(render_module(small)) < len(render_module(program))
    # every candidate run was a valid region: one producer and one consumer per stream, as
    # many gets as puts
    for p in seen + [small]:
        assert dataflow_model.region_problem(p) is None, render_module(p)
        assert dataflow_model.balanced(p), render_module(p)


def test_shrinking_an_unbalancing_edit_is_refused():
    program = _chain([4, 4], [2])
    program.df_fault = ""
    assert shrink.valid(program)
    give = next(s for s in program.kernel.body if isinstance(s, P.KernelDef))
    give.fn.body[0].bounds[1] = Lit(3)       # one put fewer
    assert not shrink.valid(program)


def test_tags_name_the_dataflow_constructs():
    tags = set()
    for s in SEEDS:
        tags |= program_tags(generate(s, FEATURES, 0.3))
    assert {"df:region", "df:chain", "df:meta", "df:grid", "df:diamond", "df:rows",
            "df:meta_for", "df:meta_else", "df:deadlock", "stream:depth1", "stream:array",
            "stream:array2d"} <= tags
