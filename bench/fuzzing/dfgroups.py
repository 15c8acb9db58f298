"""The groups of kernels a generated dataflow region holds (see ``dfgen.py``): chains, rows
over a 2-D array of streams, fork/join diamonds, grids with roles by pid, and grids of
instances without streams."""
from __future__ import annotations

from . import prog as P
from . import types as T
from .genexpr import ARITH, Ctx
from .prog import Bin, Cmp, Lit, Load, Ref, Sym

MAX_ITEMS = 40          # values through one stream


class DataflowGroups:
    """Mixin of ``dfgen.DataflowGen``: one method per kind of group."""

    # -- group: a chain of kernels -------------------------------------------------------------
    def df_chain(self, streams, kernels, faults, faulty=False):
        r = self.r
        n_stages = r.choice([0, 0, 1, 1, 2])
        # the caller gives the first stream's values or takes the last one's (stream
        # parameters of the region), instead of a source or a sink kernel
        given = r.random() < 0.3
        taken = r.random() < 0.3 and not (given and n_stages == 0)
        if given or taken:
            chans = []
            for k in range(n_stages + 1):
                s = P.Stream(self.name("S" if (given and k == 0) or
                                       (taken and k == n_stages) else "s"),
                             self.stream_type(), self.depth())
                chans.append(P.Chan(s, None))
            if given:
                chans[0].stream.arg = "in"
            if taken:
                chans[-1].stream.arg = "out"
            streams += [c.stream for c in chans if c.stream.arg is None]
        elif r.random() < 0.35:
            s = P.Stream(self.name("pipe"), self.stream_type(), self.depth(), n_stages + 1)
            streams.append(s)
            chans = [P.Chan(s, Lit(k)) for k in range(n_stages + 1)]
        else:
            chans = []
            for _ in range(n_stages + 1):
                s = P.Stream(self.name("s"), self.stream_type(), self.depth())
                streams.append(s)
                chans.append(P.Chan(s, None))

        if given:
            items = r.randint(1, MAX_ITEMS // 2)
            # a fault-prone case may give one value too few: its consumer waits for good
            short = faulty and r.random() < 0.3
            self.df_short_input |= short
            self.df_stream_param(chans[0].stream, items - short)
        else:
            # producer: T0 iterations of q0 puts (sometimes U puts through a meta_for)
            q0 = r.choice([1, 1, 1, 2])
            meta_u = r.choice([2, 3]) if r.random() < 0.2 else None
            per = q0 * (meta_u or 1)
            t0 = r.randint(1, max(1, MAX_ITEMS // per // 2))
            items = t0 * per
            k, c, _ = self.df_kernel("src", [1], self.df_input_list(r.choice([1, 1, 2])),
                                     [], "chain", "source")
            body = self.df_prelude(c)
            loop, inner, inner_body = self.df_loop(c, t0)
            inner_body += self.iteration(inner, None, 0, chans[0], q0, meta_u)[0]
            k.fn.body = body + [loop]
            kernels.append(k)
            if chans[0].stream.arg is None:
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
            # a kernel at the caller's end keeps its counts (the caller's are fixed)
            inside = chans[j].stream.arg is None and chans[j + 1].stream.arg is None
            if inside:
                faults.append(("get", k.fn.body, chans[j], items))
            items = trips * q
            if inside:
                faults.append(("put", k.fn.body, chans[j + 1], items))

        if taken:
            self.df_stream_param(chans[-1].stream, items)
            return
        # sink: gets g per iteration, stores into an array it owns (or accumulates)
        g = 2 if items % 2 == 0 and r.random() < 0.3 else 1
        trips = items // g
        inputs = [self.df_input()] if r.random() < 0.3 else []
        k, c, owned = self.df_kernel("sink", [1], inputs, [self.df_output()], "chain", "sink")
        k.fn.body = self.df_prelude(c) + self.sink_loop(c, owned[0], chans[-1], g, trips)
        kernels.append(k)
        if chans[-1].stream.arg is None:
            faults.append(("get", k.fn.body, chans[-1], items))

    def df_stream_param(self, stream, count: int):
        """``stream`` as a parameter of the region, whose caller gives or takes ``count``
        values."""
        self.df_params.append(Sym(stream.name, stream.ty, (count,), kind="param", stream=stream))

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
        inputs = self.df_input_list(r.choice([1, 1, 2]))
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

    # -- group: blocks through a stream ---------------------------------------------------------
    def df_blocks(self, streams, kernels, faults):
        """A producer filling a local array per iteration and putting it whole into a stream of
        blocks; a consumer getting each block into an array and folding it into its output."""
        r = self.r
        shape = (r.randint(1, 4),) if r.random() < 0.5 else (r.randint(1, 3), r.randint(2, 3))
        ty = self.int_type()
        s = P.Stream(self.name("blk"), ty, self.depth(), block=shape)
        streams.append(s)
        chan = P.Chan(s, None)
        trips = r.randint(1, 5)

        k, c, _ = self.df_kernel("src", [1], self.df_input_list(r.choice([1, 2])), [], "blocks",
                                 "source")
        loop, inner, inner_body = self.df_loop(c, trips)
        block = Sym(self.name("L"), ty, shape)
        inner_body.append(P.Decl(sym=block, init=0))
        inner_body += self.each_element(inner, shape, lambda cc, idx: [P.Assign(
            target=Load(block, idx), value=self.expr(cc))])
        inner_body.append(P.Put(chan=chan, value=Ref(block)))
        k.fn.body = self.df_prelude(c) + [loop]
        kernels.append(k)

        out = self.df_output(shape)
        k, c, owned = self.df_kernel("sink", [1], [], [out], "blocks", "sink")
        loop, inner, inner_body = self.df_loop(c, trips)
        got = Sym(self.name("G"), s.ty, shape)
        inner_body.append(P.Decl(sym=got, init=P.Get(chan=chan)))
        inner.scalars = list(inner.scalars)
        ops = [None, "add"] + ([] if owned[0].ty.is_fixed else ["xor"])   # xor takes integers
        inner_body += self.each_element(inner, shape, lambda cc, idx: [P.Assign(
            target=Load(owned[0], idx), op=r.choice(ops),
            value=Bin(r.choice(ARITH), Load(got, idx), self.expr(cc, 1)))])
        k.fn.body = [loop]
        kernels.append(k)

    def each_element(self, c, shape, body_of) -> list:
        """A loop nest over ``shape`` whose body is ``body_of(ctx, [index refs])``."""
        vars_ = [Sym(self.name("e"), T.INDEX, kind="loop") for _ in shape]
        inner = c.child(depth=c.depth + len(shape))
        inner.readonly += [(v, 0, d - 1) for v, d in zip(vars_, shape)]
        body = body_of(inner, [Ref(v) for v in vars_])
        for v, d in reversed(list(zip(vars_, shape))):
            body = [P.For(vars=[v], kind="range", bounds=[Lit(0), Lit(d), 1], body=body)]
        return body

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
        inputs = [src_in] + ([self.df_input([src_in])] if r.random() < 0.3 else [])
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
        inputs = self.df_input_list(r.choice([1, 1, 2]))
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
        inputs = self.df_input_list(r.choice([1, 1, 2]))
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
