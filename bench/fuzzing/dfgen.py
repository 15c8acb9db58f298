"""Random dataflow regions (feature group "dataflow"): the region half of ``generator.Gen``.

A case is one ``@df.region()`` whose parameters are arrays, with one or two groups of kernels:

* chain: a producer, 0..2 filter stages and a consumer, one ``mapping=[1]`` kernel each, linked
  by streams (separate ones, or one array of streams); each is a loop of constant trip count
  (sometimes nested, stepped or a grid) that gets, computes and puts or stores;
* meta: one kernel over ``mapping=[P + 2]`` whose instances take roles by pid with
  ``meta_if``/``meta_elif``/``meta_else`` (source, stages, sink) over an array of P + 1
  streams, the source and the sink sometimes moving U items per ``meta_for(U)``;
* grid: instances without streams, each writing its own slice of an output array (the pid in
  range bounds, sometimes through a ``ConstExpr``), or ``mapping=[P0, P1]`` cells;
* diamond: a fork into two streams (one path sometimes through a stage) and a join getting
  from both, in lockstep or one path after the other;
* rows: ``mapping=[R, C]`` over a 2-D array of streams, values passed east along each row.

Every count of puts and gets is known here: loops have constant trip counts, puts and gets are
never under a run-time ``if`` unless both branches put once. Arrays are read-only (shared by any
kernel) or owned by one kernel (its sink writes them), so that results do not depend on the order
instances run in. A fault-prone case gets one deadlock (a consumer gets once more than is put, or
a producer puts more than fit in the stream once its consumer is done), or leaves a few values in
a stream (ignored). Expressions stay safe otherwise: the only run-time error is a deadlock.
"""
from __future__ import annotations

from . import prog as P
from . import types as T
from .dfgroups import DataflowGroups
from .genexpr import ARITH, Ctx
from .model import Fault, Model
from .prog import Bin, Cmp, Lit, Ref, Sym


class DataflowGen(DataflowGroups):
    # -- arrays of the region ------------------------------------------------------------------
    def df_input(self, taken=()):
        """A read-only array parameter of the region (sometimes one already read elsewhere:
        kernels then share it; rarely one in ``taken``, which one kernel gets twice and RTL
        targets refuse)."""
        r = self.r
        reusable = [a for a in self.df_inputs if r.random() < 0.05 or a not in taken]
        if reusable and r.random() < 0.35:
            return r.choice(reusable)
        ty, shape = r.choice(self.pool)
        a = Sym(self.name("A"), ty, shape, kind="param")
        self.df_params.append(a)
        self.df_inputs.append(a)
        return a

    def df_output(self, shape=None):
        r = self.r
        if shape is None:
            ty, shape = r.choice(self.pool) if r.random() < 0.5 else (self.scalar_type(False),
                                                                      self.shape())
        else:
            ty = self.scalar_type(False)
        a = Sym(self.name("B"), ty, tuple(shape), kind="param")
        self.df_params.append(a)
        return a

    def stream_type(self):
        r = self.r
        if self.on("fixed") and r.random() < 0.15:
            bits = r.randint(2, 40)
            return T.Ty(r.choice(["fixed", "ufixed"]), bits, r.randint(0, bits))
        if r.random() < 0.15:
            return T.Ty(r.choice(["int", "uint"]), r.randint(1, 64))
        return self.int_type()

    def depth(self):
        return self.r.choice([1, 1, 2, 2, 3, 4])

    def df_input_list(self, n: int) -> list:
        out = []
        for _ in range(n):
            out.append(self.df_input(out))
        return out

    def df_pipelines(self, kernels: list) -> list:
        """Pipelines of innermost loops of some instances (II 1..3), each applied only where
        the instance has that loop (``meta_if`` gives instances different bodies): stalls of
        whole pipelines on streams, and stream operations of several iterations in a cycle."""
        r, ops = self.r, []
        for k in kernels:
            loops = _innermost_loops(k.fn.body)
            if not loops or r.random() < 0.4:
                continue
            for name in _instances(k):
                if r.random() < 0.6:
                    loop, ii = r.choice(loops), r.choice([1, 1, 1, 2, 3])
                    ops.append(P.SchedOp("s", "pipeline_where", [repr(name), repr(loop), str(ii)]))
        return ops

    # -- kernels -------------------------------------------------------------------------------
    def df_kernel(self, prefix, mapping, inputs, owned, group, role):
        """A KernelDef taking ``inputs`` (read-only) and ``owned`` arrays, and the Ctx of its
        body: parameters named apart from the region's."""
        args = list(inputs) + list(owned)
        params = [Sym(self.name("a"), a.ty, a.shape, kind="param") for a in args]
        fn = P.Func(self.name(prefix), params, [], [])
        k = P.KernelDef(fn=fn, mapping=tuple(mapping), args=args, group=group, role=role)
        frozen = frozenset(id(p) for p in params[:len(inputs)])
        c = Ctx(fn, [], [], list(params), helpers=list(self.df_helpers), frozen=frozen)
        return k, c, params[len(inputs):]

    def df_loop(self, c, trips):
        """A loop nest of exactly ``trips`` iterations of its innermost body: ``(stmt, ctx of
        the innermost body, that body's list)``."""
        r = self.r
        forms = ["range"] * 3 + ["range2", "step", "down"]
        divs = [d for d in range(2, trips) if trips % d == 0]
        if divs:
            forms += ["nested", "grid"]
        form = r.choice(forms)
        var = Sym(self.name("i"), T.INDEX, kind="loop")
        n = trips
        if form in ("nested", "grid"):
            a = r.choice(divs)
            b = trips // a
            var2 = Sym(self.name("i"), T.INDEX, kind="loop")
            inner = c.child(depth=c.depth + 2, trips=c.trips * trips)
            inner.readonly += [(var, 0, a - 1), (var2, 0, b - 1)]
            if form == "grid":
                loop = P.For(vars=[var, var2], kind="grid", bounds=[Lit(a), Lit(b)],
                             name=self.name("g") if self.chance(0.3) else None)
                return loop, inner, loop.body
            inner_loop = P.For(vars=[var2], kind="range", bounds=[Lit(0), Lit(b), 1])
            loop = P.For(vars=[var], kind="range", bounds=[Lit(0), Lit(a), 1])
            mid = c.child(depth=c.depth + 1, trips=c.trips * a)
            mid.readonly.append((var, 0, a - 1))
            self.stmt_budget = min(self.stmt_budget, 2)
            loop.body = (self.block(mid, r.randint(1, 2)) if self.chance(0.3) else []) + [inner_loop]
            return loop, inner, inner_loop.body
        if form == "range":
            lo, hi, step, vr = Lit(0), Lit(n), 1, (0, n - 1)
        elif form == "range2":
            a = r.randint(1, 3)
            lo, hi, step, vr = Lit(a), Lit(a + n), 1, (a, a + n - 1)
        elif form == "step":
            a, step = r.randint(0, 3), r.randint(2, 3)
            last = a + (n - 1) * step
            lo, hi, vr = Lit(a), Lit(last + r.randint(1, step)), (a, last)
        else:
            a = r.randint(-1, 2)
            step = r.choice([-1, -1, -2])
            b = a + n * -step
            lo, hi, vr = Lit(b), Lit(a), (b + (n - 1) * step, b)
        loop = P.For(vars=[var], kind="range", bounds=[lo, hi, step])
        inner = c.child(depth=c.depth + 1, trips=c.trips * trips)
        inner.readonly.append((var, *vr))
        return loop, inner, loop.body

    def uses(self, c, syms):
        """An expression that depends on one of ``syms`` (values got from a stream)."""
        r = self.r
        v = Ref(r.choice(syms))
        x = r.random()
        if x < 0.3:
            return v
        if x < 0.7:
            e = Bin(r.choice(ARITH), v, self.expr(c, 1))
            return e if r.random() < 0.5 else Bin(e.op, e.rhs, e.lhs)
        if x < 0.8:
            return P.MinMax(r.choice(["min", "max"]), [v, self.expr(c, 1)])
        if x < 0.9:
            return P.Sel(self.cond(c, 2), v, self.expr(c, 2))
        return P.Cast(self.scalar_type(False), Bin(r.choice(ARITH), v, self.expr(c, 2)))

    def gets(self, c, chan, g):
        """``g`` gets from ``chan`` at the top of an iteration, as scalars of the body."""
        r = self.r
        out, syms = [], []
        for _ in range(g):
            if syms and r.random() < 0.1:
                out.append(P.GetStmt(chan=chan))     # a value dropped
                continue
            ty = chan.stream.ty if r.random() < 0.6 else self.scalar_type(False)
            sym = Sym(self.name("v"), ty)
            out.append(P.Decl(sym=sym, init=P.Get(chan=chan)))
            c.scalars.append(sym)
            syms.append(sym)
        return out, syms

    def puts(self, c, chan, q, got):
        r = self.r
        if q > 1 and r.random() < 0.3:
            # for j in range(q): chan.put(...)
            var = Sym(self.name("j"), T.INDEX, kind="loop")
            inner = c.child(depth=c.depth + 1, trips=c.trips * q)
            inner.readonly.append((var, 0, q - 1))
            return [P.For(vars=[var], kind="range", bounds=[Lit(0), Lit(q), 1],
                          body=self.puts(inner, chan, 1, got))]
        out = []
        for _ in range(q):
            value = self.uses(c, got) if got and r.random() < 0.75 else self.expr(c)
            if self.on("if") and r.random() < 0.15:
                other = self.uses(c, got) if got else self.expr(c)
                out.append(P.If(cond=self.cond(c), then=[P.Put(chan=chan, value=value)],
                                orelse=[P.Put(chan=chan, value=other)]))
            else:
                out.append(P.Put(chan=chan, value=value))
        return out

    def iteration(self, c, in_chan, g, out_chan, q, meta_u=None):
        """One iteration's statements: gets, a few random statements, puts (``q`` of them, or
        ``q`` times ``meta_u`` through a meta_for)."""
        r = self.r
        body, got = [], []
        if in_chan is not None and out_chan is not None and g == 1 and q == 1 and meta_u is None \
                and r.random() < 0.2:
            # straight through: s1.put(s0.get() op e)
            e = P.Get(chan=in_chan)
            if r.random() < 0.6:
                e = Bin(r.choice(ARITH), e, self.expr(c, 1))
            return [P.Put(chan=out_chan, value=e)], []
        plant = in_chan is not None and out_chan is not None and meta_u is None and \
            r.random() < 0.3
        if in_chan is not None:
            body, got = self.gets(c, in_chan, g - plant)
        self.stmt_budget = r.randint(0, 3)
        body += self.block(c, r.randint(0, 2))
        if out_chan is not None:
            if meta_u is not None:
                u = Sym(self.name("u"), T.INT32, kind="meta")
                inner = c.child()
                inner.readonly.append((u, 0, meta_u - 1))
                body.append(P.MetaFor(var=u, count=meta_u, body=self.puts(inner, out_chan, q, got)))
            else:
                outs = self.puts(c, out_chan, q, got)
                if plant:
                    self.plant(outs, in_chan, body)
                body += outs
        return body, got

    # -- gets inside expressions ---------------------------------------------------------------
    def get_expr(self, chan, int_only=False):
        e = P.Get(chan=chan)
        return P.Cast(self.int_type(), e) if int_only and chan.stream.ty.is_fixed else e

    def plant(self, stmts, chan, body):
        """One get from ``chan`` inside the first of ``stmts`` (a put's or a store's value, an
        if's condition), on a path evaluated whenever the statement runs; else a get at the top
        of ``body``."""
        for s in stmts[:1]:
            field = "cond" if isinstance(s, P.If) else "value" if isinstance(s, (P.Put, P.Assign)) \
                else None
            if field and self._plant_in(s, field, chan):
                return
        body.insert(0, P.GetStmt(chan=chan) if self.chance(0.3) else
                    P.Decl(sym=Sym(self.name("v"), chan.stream.ty), init=P.Get(chan=chan)))

    def _plant_in(self, holder, field, chan) -> bool:
        root = getattr(holder, field)
        slots = [(holder, field, None)]
        k = 0
        while k < len(slots):
            slots += _eager_kids(_slot_get(slots[k]))
            k += 1
        self.r.shuffle(slots)
        for slot in slots:
            old = _slot_get(slot)
            _slot_set(slot, self.get_expr(chan, self.chance(0.5)))
            try:
                t = P.type_of(getattr(holder, field))
                # every node typed: a comparison's type is bool whatever its operands are
                for node in P.walk_expr(getattr(holder, field)):
                    P.type_of(node)
                if t.bits <= 96:
                    return True
            except T.NoRule:
                pass
            _slot_set(slot, old)
        setattr(holder, field, root)
        return False

    def dyn_loop(self, c, chan):
        """``for j in range(chan.get() & 3):`` a few statements (a trip count known at run
        time only; no stream operations inside)."""
        var = Sym(self.name("i"), T.INDEX, kind="loop")
        inner = c.child(depth=c.depth + 1, trips=c.trips * 3)
        inner.readonly.append((var, 0, 2))
        self.stmt_budget = self.r.randint(0, 2)
        bound = Bin("and", self.get_expr(chan, True), Lit(3))
        return P.For(vars=[var], kind="range", bounds=[Lit(0), bound, 1],
                     body=self.block(inner, self.r.randint(1, 2)))

    # -- faults ------------------------------------------------------------------------------
    def df_fault(self, faults) -> str:
        """One imbalance, named by what was done: get_more (a consumer gets once more than is
        put), put_more (a producer puts more after its loop), get_fewer (a consumer's loop
        stops early, so its producers, and theirs in turn, may wait on full streams), stages
        (every stage of a meta group gets once more). ``faults``: (op, body, chan, items) of
        each stream end. Whether it deadlocks or leaves values behind is the model's to say."""
        r = self.r
        shallow = [f for f in faults if f[0] == "depth"]
        op, body, chan, items = r.choice(shallow if shallow and r.random() < 0.5 else faults)
        if op == "depth":
            body.depth = r.randint(1, items - 1)      # body: the stream
            return "depth"
        if op == "stages":
            pipe = None
            for st in P.walk_stmts(body):
                if isinstance(st, P.Decl) and isinstance(st.init, P.Get):
                    pipe = st.init.chan
            if pipe is None:
                return ""
            body.append(P.GetStmt(chan=pipe))
            return "stages"
        if op == "get":
            if r.random() < 0.5 and self.cut_loop(body):
                return "get_fewer"
            if r.random() < 0.7:
                body.append(P.GetStmt(chan=chan))
            else:
                sym = Sym(self.name("v"), chan.stream.ty)
                body.insert(r.randint(0, len(body)), P.Decl(sym=sym, init=P.Get(chan=chan)))
            return "get_more"
        depth = chan.stream.depth
        extra = r.choice([depth + 1, depth + r.randint(1, 3), r.randint(1, depth)])
        var = Sym(self.name("e"), T.INDEX, kind="loop")
        value = Ref(var) if r.random() < 0.5 else Lit(r.randint(0, 9))
        body.append(P.For(vars=[var], kind="range", bounds=[Lit(0), Lit(extra), 1],
                          body=[P.Put(chan=chan, value=value)]))
        return "put_more"

    def cut_loop(self, body) -> bool:
        """Fewer iterations of the main loop of a kernel body (its last top-level loop)."""
        r = self.r
        loops = [s for s in body if isinstance(s, P.For)]
        if not loops:
            return False
        loop = loops[-1]
        if loop.kind == "grid":
            a = P.folded(loop.bounds[0])
            if a is None or a < 2:
                return False
            loop.bounds[0] = Lit(r.randint(1, a - 1))
            return True
        lo, hi, step = loop.bounds
        a, b = P.folded(lo), P.folded(hi)
        if a is None or b is None:
            return False
        n = len(range(a, b, step))
        if n < 2:
            return False
        m = r.randint(1, n - 1)          # iterations left
        loop.bounds[1] = Lit(a + m * step)
        return True

    # -- a whole case --------------------------------------------------------------------------
    def region_program(self) -> P.Program:
        r = self.r
        faulty = self.fault_prone
        self.fault_prone = False    # safe expressions: the only fault is a deadlock
        self.pool = [(self.scalar_type(False), self.shape()) for _ in range(r.randint(1, 3))]
        self.df_params, self.df_inputs = [], []
        self.df_short_input = False
        helpers = []
        if self.on("calls"):
            for _ in range(r.choice([0, 1, 1, 2])):
                helpers.append(self.helper(list(helpers)))
        self.df_helpers = helpers
        streams, kernels, faults = [], [], []
        groups = r.choices(["chain", "meta", "grid", "diamond", "rows", "blocks"],
                           weights=[5, 4, 2, 3, 2, 2],
                           k=r.choice([1, 1, 2]))
        for g in groups:
            if g == "chain":
                self.df_chain(streams, kernels, faults, faulty)
            else:
                getattr(self, f"df_{g}")(streams, kernels, faults)
        made = self.df_fault(faults) if faulty and faults else ""
        if not made and self.df_short_input:
            made = "given"
        region = P.Func("kernel", self.df_params, [], [], region=True)
        region.body = [P.StreamDecl(stream=s) for s in streams] + kernels
        program = P.Program(helpers + [region], tables=self.tables, seed=str(self.seed))
        program.sched = self.df_pipelines(kernels) if self.on("schedule") else []
        program.inputs = self.inputs(region)
        if made:
            # a deadlock, or values left behind (ignored): as the model sees it
            program.df_fault = f"leftover:{made}"
            try:
                Model(program).run(program.inputs)
                if made == "depth":
                    program.df_fault = ""       # deep enough after all: a balanced case
            except Fault as f:
                if f.cls == "AlloDeadlockError":
                    program.df_fault = f"deadlock:{made}"
            program.fault_prone = program.df_fault.startswith("deadlock")
        return program


def _instances(k: P.KernelDef) -> list:
    """The instance names of a df.kernel over its mapping grid (``<name>_<p0>_<p1>``)."""
    names = [k.fn.name]
    for extent in k.mapping:
        names = [f"{n}_{p}" for n in names for p in range(extent)]
    return names


def _innermost_loops(body: list) -> list:
    """Names of the loops of ``body`` with no loop and no call inside: what can pipeline."""
    out = []
    for s in P.walk_stmts(body):
        if isinstance(s, P.For) and not any(isinstance(x, (P.For, P.CallStmt))
                                            for x in P.walk_stmts(s.body)) and \
                not any(isinstance(e, P.Call) for e in P.all_exprs(s.body)):
            out.extend(v.name for v in s.vars[-1:])
    return out


def _eager_kids(e) -> list:
    """Slots of the sub-expressions of ``e`` evaluated whenever ``e`` is, where a value of
    another type keeps the generated safety: not divisors, shift amounts, indices, bit fields,
    the branches of a select or the later operands of and/or."""
    if isinstance(e, Bin):
        return [(e, "lhs", None), (e, "rhs", None)] if e.op in ("add", "sub", "mul", "and", "or",
                                                                "xor") else [(e, "lhs", None)]
    if isinstance(e, P.Un) and e.op in ("neg", "abs", "invert", "not", "bool"):
        return [(e, "x", None)]
    if isinstance(e, Cmp):
        return [(e, "lhs", None), (e, "rhs", None)]
    if isinstance(e, P.MinMax):
        return [(e, "vals", i) for i in range(len(e.vals))]
    if isinstance(e, P.Cast):
        return [(e, "x", None)]
    if isinstance(e, P.Sel):
        return [(e, "cond", None)]
    if isinstance(e, P.BoolOp):
        return [(e, "vals", 0)]
    return []


def _slot_get(slot):
    node, name, i = slot
    return getattr(node, name) if i is None else getattr(node, name)[i]


def _slot_set(slot, value):
    node, name, i = slot
    if i is None:
        setattr(node, name, value)
    else:
        getattr(node, name)[i] = value
