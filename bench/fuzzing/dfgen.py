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
from .genexpr import ARITH, Ctx
from .model import Fault, Model
from .prog import Bin, Cmp, Lit, Load, Ref, Sym

MAX_ITEMS = 40          # values through one stream


class DataflowGen:
    # -- arrays of the region ------------------------------------------------------------------
    def df_input(self):
        """A read-only array parameter of the region (sometimes one already read elsewhere)."""
        r = self.r
        if self.df_inputs and r.random() < 0.35:
            return r.choice(self.df_inputs)
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

    # -- group: a chain of kernels -------------------------------------------------------------
    def df_chain(self, streams, kernels, faults):
        r = self.r
        n_stages = r.choice([0, 0, 1, 1, 2])
        if r.random() < 0.35:
            s = P.Stream(self.name("pipe"), self.stream_type(), self.depth(), n_stages + 1)
            streams.append(s)
            chans = [P.Chan(s, Lit(k)) for k in range(n_stages + 1)]
        else:
            chans = []
            for _ in range(n_stages + 1):
                s = P.Stream(self.name("s"), self.stream_type(), self.depth())
                streams.append(s)
                chans.append(P.Chan(s, None))

        # producer: T0 iterations of q0 puts (sometimes U puts through a meta_for)
        q0 = r.choice([1, 1, 1, 2])
        meta_u = r.choice([2, 3]) if r.random() < 0.2 else None
        per = q0 * (meta_u or 1)
        t0 = r.randint(1, max(1, MAX_ITEMS // per // 2))
        items = t0 * per
        k, c, _ = self.df_kernel("src", [1], [self.df_input() for _ in range(r.choice([1, 1, 2]))],
                                 [], "chain", "source")
        body = self.df_prelude(c)
        loop, inner, inner_body = self.df_loop(c, t0)
        inner_body += self.iteration(inner, None, 0, chans[0], q0, meta_u)[0]
        k.fn.body = body + [loop]
        kernels.append(k)
        faults.append(("put", k.fn.body, chans[0], items))

        # stages: gets g per iteration from chans[j], puts q into chans[j + 1]
        for j in range(n_stages):
            g = 2 if items % 2 == 0 and r.random() < 0.3 else 1
            trips = items // g
            q = 2 if trips * 2 <= MAX_ITEMS and r.random() < 0.25 else 1
            inputs = [self.df_input()] if r.random() < 0.4 else []
            k, c, _ = self.df_kernel("stage", [1], inputs, [], "chain", "stage")
            body = self.df_prelude(c)
            loop, inner, inner_body = self.df_loop(c, trips)
            inner_body += self.iteration(inner, chans[j], g, chans[j + 1], q)[0]
            k.fn.body = body + [loop]
            kernels.append(k)
            faults.append(("get", k.fn.body, chans[j], items))
            items = trips * q
            faults.append(("put", k.fn.body, chans[j + 1], items))

        # sink: gets g per iteration, stores into an array it owns (or accumulates)
        g = 2 if items % 2 == 0 and r.random() < 0.3 else 1
        trips = items // g
        inputs = [self.df_input()] if r.random() < 0.3 else []
        k, c, owned = self.df_kernel("sink", [1], inputs, [self.df_output()], "chain", "sink")
        k.fn.body = self.df_prelude(c) + self.sink_loop(c, owned[0], chans[-1], g, trips)
        kernels.append(k)
        faults.append(("get", k.fn.body, chans[-1], items))

    def df_prelude(self, c):
        """A few scalar declarations before a kernel's loop."""
        self.stmt_budget = 0
        return [s for _ in range(self.r.choice([0, 0, 1, 2])) for s in self._decl(c)]

    def _decl(self, c):
        sym = Sym(self.name("x"), self.scalar_type(False))
        stmt = P.Decl(sym=sym, init=self.expr(c))
        c.scalars.append(sym)
        return [stmt]

    def sink_loop(self, c, out, chan, g, trips, meta_u=None):
        """The statements of a sink: a loop getting ``g`` values per iteration (times meta_u)
        and storing into ``out``; sometimes accumulating into a scalar stored after the loop."""
        r = self.r
        acc = None
        pre = []
        if r.random() < 0.3:
            acc = Sym(self.name("acc"), self.scalar_type(False))
            pre.append(P.Decl(sym=acc, init=Lit(0)))
            c.scalars.append(acc)
        loop, inner, inner_body = self.df_loop(c, trips)
        if meta_u is not None:
            u = Sym(self.name("u"), T.INT32, kind="meta")
            mc = inner.child()
            mc.readonly.append((u, 0, meta_u - 1))
            inner_body.append(P.MetaFor(var=u, count=meta_u,
                                        body=self.sink_iteration(mc, out, chan, g, acc)))
        else:
            inner_body += self.sink_iteration(inner, out, chan, g, acc)
        post = []
        if acc is not None:
            post.append(P.Assign(target=Load(out, [self.index(c, d) for d in out.shape]),
                                 value=Ref(acc)))
        return pre + [loop] + post

    def sink_iteration(self, c, out, chan, g, acc):
        r = self.r
        if g == 1 and acc is None and r.random() < 0.25:
            return [P.Assign(target=Load(out, [self.index(c, d) for d in out.shape]),
                             value=P.Get(chan=chan))]
        loops = 1 if g >= 2 and r.random() < 0.25 else 0
        plant = 1 if r.random() < 0.25 else 0     # one of the gets inside a store's value
        body, got = self.gets(c, chan, g - loops - plant)
        if loops:
            body.append(self.dyn_loop(c, chan))
        self.stmt_budget = r.randint(0, 2)
        body += self.block(c, r.randint(0, 2))
        if acc is not None and got:
            op = r.choice(["add", "add", "sub", "xor"] if acc.ty.is_int else ["add", "sub"])
            value = self.uses(c, got)
            body.append(P.Assign(target=Ref(acc), value=self.as_int(value) if op == "xor"
                                 else value, op=op))
        stores = []
        for _ in range(r.choice([1, 1, 2]) if acc is None and got else r.choice([0, 1]) + plant):
            stores.append(P.Assign(target=Load(out, [self.index(c, d) for d in out.shape]),
                                   value=self.uses(c, got) if got else self.expr(c),
                                   op="add" if r.random() < 0.15 else None))
        if plant:
            self.plant(stores, chan, body)       # (or a get at the top when none fits)
        return body + stores

    # -- group: rows of instances passing values east ---------------------------------------
    def df_rows(self, streams, kernels, faults):
        """``mapping=[R, C]`` over a 2-D array of streams ``fa[R, C]``: instance (i, 0) reads
        row data and puts into fa[i, 1], instances (i, j) forward fa[i, j] into fa[i, j + 1],
        instance (i, C - 1) stores into row i of the output (rows are disjoint). fa[i, 0] stays
        unused."""
        r = self.r
        rows, cols, items = r.randint(1, 3), r.randint(2, 4), r.randint(1, 8)
        fa = P.Stream(self.name("fa"), self.stream_type(), self.depth(), (rows, cols))
        streams.append(fa)
        width = r.randint(1, 6)
        inputs = [self.df_input() for _ in range(r.choice([1, 1, 2]))]
        k, c, owned = self.df_kernel("pe", [rows, cols], inputs, [self.df_output((rows, width))],
                                     "rows", "pe")
        out = owned[0]
        readable = [a for a in c.arrays if a is not out]
        pi, pj = (Sym(self.name("p"), T.INT32, kind="pid") for _ in range(2))

        def role(lo, hi, arrays):
            return Ctx(k.fn, [], [(pi, 0, rows - 1), (pj, lo, hi)], list(arrays),
                       helpers=list(self.df_helpers), frozen=c.frozen)

        west = P.Chan(fa, [Ref(pi), Ref(pj)])
        east = P.Chan(fa, [Ref(pi), Bin("add", Ref(pj), Lit(1))])
        # the first column
        fc = role(0, 0, readable)
        first = self.df_prelude(fc)
        loop, inner, body = self.df_loop(fc, items)
        body += self.iteration(inner, None, 0, P.Chan(fa, [Ref(pi), Lit(1)]), 1)[0]
        first.append(loop)
        faults.append(("put", first, P.Chan(fa, [Ref(pi), Lit(1)]), items))
        # the middle columns
        mc = role(1, max(1, cols - 2), readable)
        middle = self.df_prelude(mc)
        loop, inner, body = self.df_loop(mc, items)
        body += self.iteration(inner, west, 1, east, 1)[0]
        middle.append(loop)
        # the last column: row i of out
        lc = role(cols - 1, cols - 1, readable)
        last = self.df_prelude(lc)
        loop, inner, body = self.df_loop(lc, items)
        got = self.gets(inner, west, 1)
        body += got[0]
        self.stmt_budget = r.randint(0, 2)
        body += self.block(inner, r.randint(0, 1))
        for _ in range(r.choice([1, 2])):
            body.append(P.Assign(target=Load(out, [Ref(pi), self.index(inner, width)]),
                                 value=self.uses(inner, got[1]),
                                 op=r.choice([None, None, "add"])))
        last.append(loop)
        faults.append(("get", last, west, items))
        if cols > 2:
            faults.append(("get", middle, west, items))
        branches = [(Cmp("eq", Ref(pj), Lit(0)), first), (Cmp("eq", Ref(pj), Lit(cols - 1)), last)]
        r.shuffle(branches)
        k.fn.body = [P.PidDecl(syms=[pi, pj]), P.MetaIf(branches=branches, orelse=middle)]
        kernels.append(k)

    # -- group: a fork and a join --------------------------------------------------------------
    def df_diamond(self, streams, kernels, faults):
        """A source putting into two streams each iteration (path A sometimes through a stage),
        a join getting from both: in lockstep, or all of path A first, then all of path B (then
        path B's stream must hold all its values: a shallower one deadlocks, counts balanced)."""
        r = self.r
        trips = r.randint(1, 8)
        qa, qb = r.choice([1, 1, 2]), r.choice([1, 1, 2])
        sa, sb = (P.Stream(self.name("s"), self.stream_type(), self.depth()) for _ in range(2))
        streams += [sa, sb]
        ca, cb = P.Chan(sa), P.Chan(sb)
        k, c, _ = self.df_kernel("fork", [1], [self.df_input()], [], "diamond", "source")
        body = self.df_prelude(c)
        loop, inner, inner_body = self.df_loop(c, trips)
        self.stmt_budget = r.randint(0, 2)
        inner_body += self.block(inner, r.randint(0, 2))
        outs = [self.puts(inner, ca, qa, []), self.puts(inner, cb, qb, [])]
        r.shuffle(outs)
        inner_body += outs[0] + outs[1]
        k.fn.body = body + [loop]
        kernels.append(k)
        faults += [("put", k.fn.body, ca, trips * qa), ("put", k.fn.body, cb, trips * qb)]
        if r.random() < 0.5:
            ta = P.Stream(self.name("s"), self.stream_type(), self.depth())
            streams.append(ta)
            k, c, _ = self.df_kernel("stage", [1], [], [], "diamond", "stage")
            loop, inner, inner_body = self.df_loop(c, trips * qa)
            inner_body += self.iteration(inner, ca, 1, P.Chan(ta), 1)[0]
            k.fn.body = self.df_prelude(c) + [loop]
            kernels.append(k)
            faults.append(("get", k.fn.body, ca, trips * qa))
            ca = P.Chan(ta)
        inputs = [self.df_input()] if r.random() < 0.3 else []
        k, c, owned = self.df_kernel("join", [1], inputs, [self.df_output()], "diamond", "sink")
        out = owned[0]
        body = self.df_prelude(c)
        if r.random() < 0.5:
            loop, inner, inner_body = self.df_loop(c, trips)
            got_a, got_b = self.gets(inner, ca, qa), self.gets(inner, cb, qb)
            inner_body += got_a[0] + got_b[0]
            got = got_a[1] + got_b[1]
            self.stmt_budget = r.randint(0, 2)
            inner_body += self.block(inner, r.randint(0, 1))
            for _ in range(r.choice([1, 2])):
                inner_body.append(P.Assign(target=Load(out, [self.index(inner, d) for d in out.shape]),
                                           value=self.uses(inner, got)))
            body.append(loop)
        else:
            # phases: all of path A, then all of path B; sb holds all of B unless a fault
            body += self.sink_loop(c, out, ca, 1, trips * qa)
            body += self.sink_loop(c, out, cb, 1, trips * qb)
            sb.depth = max(sb.depth, trips * qb)
            if trips * qb > 1:
                faults.append(("depth", sb, None, trips * qb))
        k.fn.body = body
        kernels.append(k)
        faults += [("get", k.fn.body, ca, trips * qa), ("get", k.fn.body, cb, trips * qb)]

    # -- group: one grid of instances, roles by pid ---------------------------------------------
    def df_meta(self, streams, kernels, faults):
        r = self.r
        stages = r.randint(1, 3)
        idle = r.choice([0, 0, 0, 1, 2])      # instances past the sink with nothing to do
        u = r.choice([1, 1, 2, 3])
        items = u * r.randint(1, max(1, 16 // u))
        pipe = P.Stream(self.name("pipe"), self.stream_type(), self.depth(), stages + 1)
        streams.append(pipe)
        src_in = self.df_input()
        inputs = [src_in] + ([self.df_input()] if r.random() < 0.3 else [])
        k, c, owned = self.df_kernel("chain", [stages + 2 + idle], inputs, [self.df_output()],
                                     "meta", "roles")
        params = k.fn.params
        out = owned[0]
        pid = Sym(self.name("p"), T.INT32, kind="pid")
        last = stages + 1

        def role_ctx(lo, hi, arrays):
            return Ctx(k.fn, [], [(pid, lo, hi)], list(arrays), helpers=list(self.df_helpers),
                       frozen=c.frozen | frozenset([id(out)]) if out not in arrays else c.frozen)

        readable = [p for p in params if p is not out]
        # the source
        sc = role_ctx(0, 0, readable)
        src = self.df_prelude(sc)
        n_iter = items // u
        loop, inner, inner_body = self.df_loop(sc, n_iter)
        src_param = params[0]
        if u > 1:
            uvar = Sym(self.name("u"), T.INT32, kind="meta")
            mc = inner.child()
            mc.readonly.append((uvar, 0, u - 1))
            value = self.expr(mc)
            if len(src_param.shape) == 1 and src_param.shape[0] >= items and \
                    loop.kind == "range" and loop.bounds[2] == 1 and \
                    P.folded(loop.bounds[0]) == 0 and loop.body is inner_body:
                el = Load(src_param, [Bin("add", Bin("mul", Ref(loop.vars[0]), Lit(u)), Ref(uvar))])
                value = el if r.random() < 0.5 else Bin(r.choice(ARITH), el, value)
            inner_body.append(P.MetaFor(var=uvar, count=u,
                                        body=[P.Put(chan=P.Chan(pipe, Lit(0)), value=value)]))
        else:
            inner_body += self.iteration(inner, None, 0, P.Chan(pipe, Lit(0)), 1)[0]
        src.append(loop)
        faults.append(("put", src, P.Chan(pipe, Lit(0)), items))

        # the stages (one of them sometimes a branch of its own)
        special = r.randint(1, stages) if stages >= 2 and r.random() < 0.4 else None
        stage_bodies = []
        for which in ([special] if special else []) + [None]:
            lo, hi = (which, which) if which else (1, stages)
            stc = role_ctx(lo, hi, readable)
            body = self.df_prelude(stc)
            loop, inner, inner_body = self.df_loop(stc, items)
            prev = P.Chan(pipe, Bin("sub", Ref(pid), Lit(1)))
            here = P.Chan(pipe, Ref(pid))
            inner_body += self.iteration(inner, prev, 1, here, 1)[0]
            body.append(loop)
            stage_bodies.append((which, body))

        # the sink
        kc = role_ctx(last, last, readable + [out])
        kc.frozen = c.frozen
        sink = self.df_prelude(kc) + self.sink_loop(kc, out, P.Chan(pipe, Lit(stages)), 1,
                                                     n_iter, u if u > 1 else None)
        faults.append(("get", sink, P.Chan(pipe, Lit(stages)), items))
        generic = stage_bodies[-1][1]
        faults.append(("stages", generic, None, items))

        branches = [(Cmp("eq", Ref(pid), Lit(0)), src), (Cmp("eq", Ref(pid), Lit(last)), sink)]
        if special:
            branches.append((Cmp("eq", Ref(pid), Lit(special)), stage_bodies[0][1]))
        if idle:
            branches.append((Cmp("gt", Ref(pid), Lit(last)), []))    # renders as pass
        r.shuffle(branches)
        if r.random() < 0.3:
            # the stages in a branch of their own (a range of pids); sometimes the last branch
            # becomes the meta_else (every pid is still covered)
            rng = P.BoolOp("and", [Cmp("ge", Ref(pid), Lit(1)), Cmp("le", Ref(pid), Lit(stages))])
            cond = rng if r.random() < 0.5 else P.BoolOp("and", [Cmp("gt", Ref(pid), Lit(0)),
                                                                  Cmp("lt", Ref(pid), Lit(last))])
            branches.append((cond, generic))
            r.shuffle(branches)
            orelse = branches.pop()[1] if r.random() < 0.5 else None
        else:
            orelse = generic
        k.fn.body = [P.PidDecl(syms=[pid]), P.MetaIf(branches=branches, orelse=orelse)]
        kernels.append(k)

    # -- group: instances without streams, each writing its slice ------------------------------
    def df_grid(self, streams, kernels, faults):
        r = self.r
        if r.random() < 0.3:
            return self.df_grid2(kernels)
        parts = r.randint(2, 4)
        width = r.randint(1, 5)
        two_d = r.random() < 0.4
        out_shape = (parts, width) if two_d else (parts * width,)
        inputs = [self.df_input() for _ in range(r.choice([1, 1, 2]))]
        out_ty_shape = out_shape
        k, c, owned = self.df_kernel("part", [parts], inputs, [self.df_output(out_ty_shape)],
                                     "grid", "part")
        out = owned[0]
        c.arrays = [a for a in c.arrays if a is not out]      # written at its own slice only
        pid = Sym(self.name("p"), T.INT32, kind="pid")
        c.readonly.append((pid, 0, parts - 1))
        body = [P.PidDecl(syms=[pid])]
        var = Sym(self.name("i"), T.INDEX, kind="loop")
        if two_d:
            bounds = [Lit(0), Lit(width), 1]
            vr = (var, 0, width - 1)
            target = [Ref(pid), Ref(var)]
        else:
            start = Bin("mul", Ref(pid), Lit(width))
            if r.random() < 0.4:
                lo = Sym(self.name("lo"), T.INT32, kind="const")
                body.append(P.ConstDecl(sym=lo, value=start))
                start = Ref(lo)
            bounds = [start, Bin("add", start, Lit(width)), 1]
            vr = (var, 0, parts * width - 1)
            target = [Ref(var)]
        body += self.df_prelude(c)
        loop = P.For(vars=[var], kind="range", bounds=bounds)
        inner = c.child(depth=1, trips=width)
        inner.readonly.append(vr)
        self.stmt_budget = r.randint(0, 3)
        loop.body = self.block(inner, r.randint(0, 2))
        loop.body.append(P.Assign(target=Load(out, target), value=self.expr(inner),
                                  op="add" if r.random() < 0.2 else None))
        body.append(loop)
        k.fn.body = body
        kernels.append(k)

    def df_grid2(self, kernels):
        """``mapping=[P0, P1]``: instance (i, j) reduces over k into out[i, j]."""
        r = self.r
        p0, p1, kk = r.randint(1, 3), r.randint(2, 3), r.randint(1, 4)
        inputs = [self.df_input() for _ in range(r.choice([1, 1, 2]))]
        k, c, owned = self.df_kernel("tile", [p0, p1], inputs, [self.df_output((p0, p1))],
                                     "grid", "tile")
        out = owned[0]
        c.arrays = [a for a in c.arrays if a is not out]
        pi, pj = (Sym(self.name("p"), T.INT32, kind="pid") for _ in range(2))
        c.readonly += [(pi, 0, p0 - 1), (pj, 0, p1 - 1)]
        body = [P.PidDecl(syms=[pi, pj])] + self.df_prelude(c)
        var = Sym(self.name("i"), T.INDEX, kind="loop")
        inner = c.child(depth=1, trips=kk)
        inner.readonly.append((var, 0, kk - 1))
        self.stmt_budget = r.randint(0, 2)
        loop = P.For(vars=[var], kind="range", bounds=[Lit(0), Lit(kk), 1],
                     body=self.block(inner, r.randint(0, 1)))
        cell = Load(out, [Ref(pi), Ref(pj)])
        loop.body.append(P.Assign(target=cell, value=self.expr(inner),
                                  op=r.choice(["add", "sub", None])))
        body.append(loop)
        k.fn.body = body
        kernels.append(k)

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
        helpers = []
        if self.on("calls"):
            for _ in range(r.choice([0, 1, 1, 2])):
                helpers.append(self.helper(list(helpers)))
        self.df_helpers = helpers
        streams, kernels, faults = [], [], []
        groups = r.choices(["chain", "meta", "grid", "diamond", "rows"], weights=[5, 4, 2, 3, 2],
                           k=r.choice([1, 1, 2]))
        for g in groups:
            getattr(self, f"df_{g}")(streams, kernels, faults)
        made = self.df_fault(faults) if faulty and faults else ""
        region = P.Func("kernel", self.df_params, [], [], region=True)
        region.body = [P.StreamDecl(stream=s) for s in streams] + kernels
        program = P.Program(helpers + [region], tables=self.tables, seed=str(self.seed))
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
