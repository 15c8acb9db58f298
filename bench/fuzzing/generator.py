"""Random kernels in the fuzzer's own representation (``prog``), one ``random.Random`` per case:
helpers (called from several sites, in expressions and as statements), PEP 695 templates, the
kernel, a schedule (``schedgen``) and inputs.

``generate(seed, features)`` gives a ``prog.Program``; ``case_seed(S, k)`` the seed of case k of a
campaign with seed S.
"""
from __future__ import annotations

from . import prog as P
from . import types as T
from .dfgen import DataflowGen
from .genexpr import (ARITH, BITWISE, DEFAULT_FEATURES, FEATURE_GROUPS, MAX_TRIPS,  # noqa: F401
                      Ctx, ExprGen, case_seed)
from .prog import Bin, Lit, Load, Ref, Sym, type_of
from .types import Ty


class Gen(DataflowGen, ExprGen):
    # -- statements ----------------------------------------------------------------------------
    def block(self, c: Ctx, n: int) -> list:
        out = []
        for _ in range(n):
            out.extend(self.stmt(c))
        return out

    def stmt(self, c: Ctx) -> list:
        r = self.r
        self.stmt_budget -= 1
        writable = c.writable()
        kinds = [("decl", 5), ("assign", 3 if c.scalars else 0), ("aug", 4 if c.scalars else 0),
                 ("store", 7 if writable else 0), ("store_aug", 3 if writable else 0)]
        if self.on("bits"):
            kinds.append(("bitstore", 2))
        if self.stmt_budget < 0:      # out of budget: no more nesting
            kinds = [k for k in kinds if k[1]] or [("decl", 1)]
        elif self.on("if"):
            kinds.append(("if", 4))
        if self.stmt_budget >= 0 and c.depth < 3 and c.trips < MAX_TRIPS // 2:
            kinds.append(("for", 6))
            if self.on("while"):
                kinds.append(("while", 1))
        if any(self.can_call(c, h) for h in c.helpers):
            kinds.append(("call", 3))
        if self.on("arrays") and self.stmt_budget >= 0:
            kinds.append(("arrdecl", 1))
        kind = r.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        if kind == "decl":
            sym = Sym(self.name("x"), self.scalar_type())
            stmt = P.Decl(sym=sym, init=self.expr(c))
            c.scalars.append(sym)
            return [stmt]
        if kind == "assign":
            return [P.Assign(target=Ref(r.choice(c.scalars)), value=self.expr(c))]
        if kind in ("aug", "store_aug"):
            target = Ref(r.choice(c.scalars)) if kind == "aug" else self.element(c)
            return [self.aug(c, target)]
        if kind == "store":
            return [P.Assign(target=self.element(c), value=self.expr(c))]
        if kind == "bitstore":
            return self.bit_store(c)
        if kind == "if":
            return [self.if_stmt(c, 0)]
        if kind == "for":
            return self.loop(c)
        if kind == "while":
            return [self.while_stmt(c)]
        if kind == "call":
            return self.call_stmt(c)
        return [self.array_decl(c)]

    def element(self, c):
        a = self.r.choice(c.writable())
        return Load(a, [self.index(c, d) for d in a.shape])

    def aug(self, c, target):
        r = self.r
        t = type_of(target)
        ops = list(ARITH) * 3
        if t.is_int:
            ops += list(BITWISE)
        if self.on("div"):
            ops += ["div", "floordiv", "mod"]
        if self.on("shift"):
            ops += ["shl", "shr"]
        op = r.choice(ops)
        if op in ("div", "floordiv", "mod"):
            value = self.divisor(c, 1)
        elif op in ("shl", "shr"):
            value = self.shift_amount(c, 1)
        else:
            value = self.expr(c, 0, op in BITWISE)
        return P.Assign(target=target, value=value, op=op)

    def bit_store(self, c):
        r = self.r
        targets = [Ref(s) for s in c.scalars if not s.ty.is_index]
        if c.writable() and (not targets or r.random() < 0.5):
            el = self.element(c)
            if not el.sym.ty.is_index:
                targets = [el]
        if not targets:
            return []
        target = r.choice(targets)
        bits = type_of(target).bits
        width = 1 if r.random() < 0.5 else r.randint(1, min(bits, 12))
        return [P.BitStore(target=target, lo=self.bit_low(c, bits, width), width=width,
                           slice=width > 1 or self.chance(0.2), value=self.expr(c, 1))]

    def if_stmt(self, c, chain):
        r = self.r
        cond = self.cond(c)
        then = self.block(c.child(), r.randint(1, 3))
        orelse = []
        x = r.random()
        if x < 0.3 and chain < 2:
            orelse = [self.if_stmt(c, chain + 1)]
        elif x < 0.65:
            orelse = self.block(c.child(), r.randint(1, 2))
        return P.If(cond=cond, then=then, orelse=orelse)

    def while_stmt(self, c):
        r = self.r
        limit = r.randint(1, max(1, min(4, MAX_TRIPS // c.trips)))
        counter = Sym(self.name("w"), T.INT32)
        cond = self.cond(c, 2) if self.chance(0.4) else None
        inner = c.child(depth=c.depth + 1, trips=c.trips * limit)
        inner.readonly.append((counter, 0, limit - 1))
        return P.While(counter=counter, limit=limit, cond=cond, body=self.block(inner, r.randint(1, 2)))

    def call_stmt(self, c):
        r = self.r
        h = r.choice([h for h in c.helpers if self.can_call(c, h)])
        args = self.call_args(c, h, 1)
        targets = []
        for res in h.results:
            if res.is_array:
                sym = Sym(self.name("B"), res.ty, res.shape)
                c.arrays.append(sym)
            elif c.scalars and r.random() < 0.4:
                sym = r.choice(c.scalars)
            else:
                sym = Sym(self.name("r"), res.ty)
                c.scalars.append(sym)
            targets.append(sym)
        return [P.CallStmt(fn=h, args=args, targets=targets)]

    def array_decl(self, c, shape=None, ty=None):
        r = self.r
        if shape is None:
            ty, shape = r.choice(self.pool) if r.random() < 0.5 else (self.scalar_type(False),
                                                                      self.shape())
        sym = Sym(self.name("L"), ty, shape)
        x = r.random()
        if x < 0.4:
            init = 0
        elif x < 0.55:
            init = None
        elif x < 0.7 and self.on("tables") and ty.bits <= 32:
            init = self.table(ty, shape)
        elif ty.is_fixed:
            init = r.randint(-8, 8) / 4
        else:
            init = r.choice([1, 3, -1, 200, 7])
        c.arrays.append(sym)
        return P.Decl(sym=sym, init=init)

    def table(self, ty, shape):
        n = 1
        for d in shape:
            n *= d
        raws = [self.raw_value(ty) for _ in range(n)]
        values = [v / (1 << ty.fracs) if ty.is_fixed else v for v in raws]
        table = P.Table(f"TABLE{len(self.tables)}", values, tuple(shape))
        self.tables.append(table)
        return table

    # -- loops ---------------------------------------------------------------------------------
    def loop(self, c: Ctx) -> list:
        r = self.r
        room = max(1, MAX_TRIPS // c.trips)
        forms = ["range"] * 4 + ["range2", "step", "down", "grid", "reduction"]
        tri = [(v, lo, hi) for v, lo, hi in c.readonly if v.ty.is_index and 0 <= lo <= hi <= 8
               and hi + 1 <= room]
        if tri:
            forms += ["tri"] * 2
        dyn = [s for s in c.scalars if s.ty.kind in ("int", "uint")]
        if dyn:
            forms.append("dyn")
        form = r.choice(forms)
        var = Sym(self.name("i"), T.INDEX, kind="loop")
        if form in ("grid", "reduction"):
            nvars = 2 if (form == "grid" or self.chance(0.3)) and room >= 4 else 1
            extents = [r.randint(1, max(1, min(6, room)))]
            if nvars == 2:
                extents.append(r.randint(1, max(1, min(6, room // extents[0]))))
            vars_ = [var] + [Sym(self.name("i"), T.INDEX, kind="loop") for _ in extents[1:]]
            name = self.name("g") if self.chance(0.6) else None
            loop = P.For(vars=vars_, kind=form, bounds=[Lit(e) for e in extents], name=name)
            ranges = [(v, 0, e - 1) for v, e in zip(vars_, extents)]
            trips = 1
            for e in extents:
                trips *= e
            return [self.loop_body(c, loop, ranges, trips)]
        if form == "range":
            n = r.randint(1, min(8, room))
            lo, hi, step, vr, trips = Lit(0), Lit(n), 1, (0, n - 1), n
        elif form == "range2":
            a = r.randint(0, 3)
            n = r.randint(1, min(6, room))
            lo, hi, step, vr, trips = Lit(a), Lit(a + n), 1, (a, a + n - 1), n
        elif form == "step":
            a, step = r.randint(0, 3), r.randint(2, 3)
            n = r.randint(1, min(5, room))
            last = a + (n - 1) * step
            lo, hi, vr, trips = Lit(a), Lit(last + r.randint(1, step)), (a, last), n
        elif form == "down":
            a = r.randint(-1, 2)
            step = r.choice([-1, -1, -2])
            n = r.randint(1, min(6, room))
            b = a + n * -step
            lo, hi, vr, trips = Lit(b), Lit(a), (b + (n - 1) * step, b), n
        elif form == "tri":
            v, vlo, vhi = r.choice(tri)
            x = r.random()
            if x < 0.35 and vhi >= 1:
                lo, hi, vr, trips = Lit(0), Ref(v), (0, vhi - 1), vhi
            elif x < 0.7:
                lo, hi, vr, trips = Lit(0), Bin("add", Ref(v), Lit(1)), (0, vhi), vhi + 1
            else:
                m = vhi + r.randint(1, 3)
                lo, hi, vr, trips = Ref(v), Lit(m), (vlo, m - 1), m - vlo
            step = 1
        else:
            s = r.choice(dyn)
            k = r.choice([1, 3, 7]) if room >= 8 else 1
            lo, hi, step, vr, trips = Lit(0), Bin("and", Ref(s), Lit(k)), 1, (0, k - 1), k
        loop = P.For(vars=[var], kind="range", bounds=[lo, hi, step])
        return [self.loop_body(c, loop, [(var, *vr)], max(trips, 1))]

    def loop_body(self, c, loop, ranges, trips):
        inner = c.child(depth=c.depth + 1, trips=c.trips * trips)
        inner.readonly.extend(r for r in ranges if r[1] <= r[2])
        loop.body = self.block(inner, self.r.randint(1, 3))
        return loop

    # -- patterns the schedule primitives want -------------------------------------------------
    def patterns(self, c: Ctx) -> list:
        r = self.r
        out = []
        two_d = [a for a in c.arrays if len(a.shape) == 2 and min(a.shape) >= 3]
        one_d = [a for a in c.arrays if len(a.shape) == 1 and a.shape[0] >= 3]
        if (two_d or one_d) and self.chance(0.25):
            out += self.stencil(c, r.choice(two_d or one_d))
        if c.arrays and self.chance(0.2):
            out += self.producer_consumer(c, r.choice(c.arrays))
        if self.chance(0.15):
            out += self.accumulation(c)
        if self.chance(0.2):
            out += self.tasks(c)
        return out

    def stencil(self, c, a):
        r = self.r
        k = r.randint(2, min(3, *a.shape))
        out_shape = tuple(d - k + 1 for d in a.shape)
        decl = self.array_decl(c, out_shape, self.scalar_type(False))
        res = decl.sym
        vars_ = [Sym(self.name("i"), T.INDEX, kind="loop") for _ in a.shape]
        taps = []
        for _ in range(r.randint(2, 4)):
            idx = []
            for v in vars_:
                off = r.randint(0, k - 1)
                idx.append(Ref(v) if off == 0 else Bin("add", Ref(v), Lit(off)))
            taps.append(Load(a, idx))
        e = taps[0]
        for t in taps[1:]:
            e = Bin(r.choice(["add", "add", "sub", "mul"]), e, t)
        body = [P.Assign(target=Load(res, [Ref(v) for v in vars_]), value=e)]
        if len(vars_) == 2:
            loop = P.For(vars=vars_, kind="grid", bounds=[Lit(d) for d in out_shape],
                         name=self.name("st"), body=body)
        else:
            loop = P.For(vars=vars_, kind="range", bounds=[Lit(0), Lit(out_shape[0]), 1], body=body)
        loop.pattern = ("stencil", a, res)
        return [decl, loop]

    def producer_consumer(self, c, a):
        r = self.r
        mid = self.array_decl(c, a.shape, self.scalar_type(False))
        out = self.array_decl(c, a.shape, self.scalar_type(False))
        nests = []
        for src, dst in ((a, mid.sym), (mid.sym, out.sym)):
            vars_ = [Sym(self.name("i"), T.INDEX, kind="loop") for _ in a.shape]
            inner = c.child(depth=c.depth + len(vars_))
            inner.readonly.extend((v, 0, d - 1) for v, d in zip(vars_, a.shape))
            here = [Ref(v) for v in vars_]
            value = Bin(r.choice(ARITH), Load(src, here), self.expr(inner, 2))
            body = [P.Assign(target=Load(dst, list(here)), value=value)]
            if len(vars_) == 2:
                loop = P.For(vars=vars_, kind="grid", bounds=[Lit(d) for d in a.shape], body=body)
            else:
                loop = P.For(vars=vars_, kind="range", bounds=[Lit(0), Lit(a.shape[0]), 1], body=body)
            nests.append(loop)
        nests[0].pattern = ("producer", nests[1])
        return [mid, out] + nests

    def tasks(self, c):
        """A loop whose body is a chain of nests passing local rows, for ``s.dataflow`` of the
        loop: the first nest fills a row, the next ones fill a row from the previous one, the
        last folds the row into a row of an output; sometimes a scalar sums a row into a second
        output (statements sharing a scalar stay one task)."""
        r = self.r
        rows, n = r.randint(1, 4), r.randint(1, 6)
        outer = Sym(self.name("i"), T.INDEX, kind="loop")
        base = c.child(depth=c.depth + 1, trips=c.trips * rows)
        base.readonly.append((outer, 0, rows - 1))
        ty = self.scalar_type(False)
        mids = [self.array_decl(c, (n,), ty) for _ in range(r.randint(1, 2))]
        out = self.array_decl(c, (rows, n), self.scalar_type(False))

        def nest(src, dst_index, dst, op=None):
            v = Sym(self.name("i"), T.INDEX, kind="loop")
            inner = base.child(depth=base.depth + 1, trips=base.trips * n)
            inner.readonly.append((v, 0, n - 1))
            value = self.expr(inner, 2)
            if src is not None:
                at = Ref(v) if r.random() < 0.7 else Bin("sub", Lit(n - 1), Ref(v))
                value = Bin(r.choice(ARITH), Load(src, [at]), value)
            target = Load(dst, dst_index(Ref(v)))
            return P.For(vars=[v], kind="range", bounds=[Lit(0), Lit(n), 1],
                         body=[P.Assign(target=target, value=value, op=op)])
        body, src = [], None
        for mid in mids:
            body.append(nest(src, lambda v: [v], mid.sym))
            src = mid.sym
        body.append(nest(src, lambda v: [Ref(outer), v], out.sym, r.choice([None, "add"])))
        decls = mids + [out]
        if self.chance(0.4):
            sums = self.array_decl(c, (rows,), self.int_type())
            acc = Sym(self.name("x"), self.int_type())
            v = Sym(self.name("i"), T.INDEX, kind="loop")
            body += [P.Decl(sym=acc, init=Lit(0)),
                     P.For(vars=[v], kind="range", bounds=[Lit(0), Lit(n), 1],
                           body=[P.Assign(target=Ref(acc), value=Load(src, [Ref(v)]), op="add")]),
                     P.Assign(target=Load(sums.sym, [Ref(outer)]), value=Ref(acc))]
            decls.append(sums)
        for mid in mids:   # used after the loop, a row could not become a ping-pong pair
            c.arrays.remove(mid.sym)
        loop = P.For(vars=[outer], kind="range", bounds=[Lit(0), Lit(rows), 1], body=body)
        loop.pattern = ("tasks",)
        return decls + [loop]

    def accumulation(self, c):
        r = self.r
        m, n, k = r.randint(2, 4), r.randint(2, 4), r.randint(2, 4)
        decl = self.array_decl(c, (m, n), self.int_type())
        vi, vj, vk = (Sym(self.name("i"), T.INDEX, kind="loop") for _ in range(3))
        inner = c.child(depth=c.depth + 3, trips=m * n * k)
        inner.readonly.extend([(vi, 0, m - 1), (vj, 0, n - 1), (vk, 0, k - 1)])
        value = Bin("mul", self.expr(inner, 2), self.expr(inner, 2))
        red = P.For(vars=[vk], kind="reduction", bounds=[Lit(k)],
                    body=[P.Assign(target=Load(decl.sym, [Ref(vi), Ref(vj)]), value=value, op="add")])
        loop = P.For(vars=[vi, vj], kind="grid", bounds=[Lit(m), Lit(n)], name=self.name("mm"),
                     body=[red])
        loop.pattern = ("accum", decl.sym)
        return [decl, loop]

    # -- functions -----------------------------------------------------------------------------
    def params(self, n_arrays, n_scalars):
        arrays = [Sym(self.name("A"), *self.r.choice(self.pool), kind="param")
                  for _ in range(n_arrays)]
        scalars = [Sym(self.name("a"), self.scalar_type(), kind="param") for _ in range(n_scalars)]
        return arrays + scalars

    def returns(self, c: Ctx, fn: P.Func, count: int) -> P.Return:
        r = self.r
        values, results = [], []
        local_arrays = [a for a in c.arrays if a.kind != "param"]
        for _ in range(count):
            if local_arrays and r.random() < 0.4:
                a = local_arrays.pop(r.randrange(len(local_arrays)))
                values.append(Ref(a))
                results.append(Sym("", a.ty, a.shape))
            else:
                values.append(self.expr(c, 1))
                results.append(Sym("", self.scalar_type()))
        fn.results = results
        return P.Return(values=values)

    def helper(self, helpers):
        r = self.r
        fn = P.Func(self.name("h"), [], [], [])
        fn.params = self.params(r.randint(1, 2), r.randint(0, 2))
        c = Ctx(fn, [p for p in fn.params if not p.is_array], [],
                [p for p in fn.params if p.is_array], helpers=list(helpers))
        self.stmt_budget = r.randint(2, 6)
        body = self.block(c, r.randint(1, 3))
        kind = r.choice(["scalar", "scalar", "none", "array", "tuple"])
        if kind in ("array", "tuple"):
            body.insert(0, self.array_decl(c))
        if kind != "none":
            body.append(self.returns(c, fn, 2 if kind == "tuple" else 1))
        fn.body = body
        return fn

    def template(self):
        """Instances of one template ``t[T, N](A: "T[N]", x: "T") -> "T"``: one body, one
        random stream, several element types and sizes."""
        r = self.r
        pairs = sorted({(ty, shape[0]) for ty, shape in self.pool
                        if len(shape) == 1 and not ty.is_fixed}, key=repr)
        if not pairs:
            return []
        name, sub_seed = self.name("t"), r.getrandbits(32)
        loop_name, acc_name = self.name("i"), self.name("acc")
        instances = []
        for ty, n in r.sample(pairs, min(len(pairs), 2)):
            sub = __import__("random").Random(sub_seed)
            A = Sym("A", ty, (n,), "param", "T")
            x = Sym("x", ty, None, "param", "T")
            acc = Sym(acc_name, ty, None, "local", "T")
            i = Sym(loop_name, T.INDEX, kind="loop")
            el = Load(A, [Ref(i)])
            forms = [Bin("add", Ref(acc), el), P.MinMax("max", [Ref(acc), Bin("mul", el, Ref(x))]),
                     P.Sel(P.Cmp("gt", el, Ref(acc)), el, Ref(acc)),
                     Bin("sub", Ref(acc), Bin("mul", el, Lit(2))),
                     Bin("xor", Ref(acc), Bin("and", el, Ref(x)))]
            step = P.Assign(target=Ref(acc), value=sub.choice(forms))
            body = [P.Decl(sym=acc, init=Ref(x)),
                    P.For(vars=[i], kind="range", bounds=[Lit(0), Lit(n, "N"), 1], body=[step]),
                    P.Return(values=[Ref(acc)])]
            instances.append(P.Func(f"{name}_{ty.text()}_{n}", [A, x], [Sym("", ty, None, "local", "T")],
                                    body, template=name, targs=(ty, n)))
        return instances

    def kernel(self, helpers):
        r = self.r
        fn = P.Func("kernel", [], [], [])
        fn.params = self.params(r.randint(1, 3), r.randint(0, 3))
        c = Ctx(fn, [p for p in fn.params if not p.is_array], [],
                [p for p in fn.params if p.is_array], helpers=list(helpers))
        self.stmt_budget = r.randint(4, 12)
        body = []
        for _ in range(r.choice([0, 0, 1, 2])):
            body.append(self.array_decl(c))
        body += self.patterns(c)
        body += self.block(c, r.randint(2, 6))
        body.append(self.returns(c, fn, r.choice([1, 1, 1, 2, 2, 3])))
        fn.body = body
        return fn

    # -- inputs --------------------------------------------------------------------------------
    def raw_value(self, t: Ty) -> int:
        r = self.r
        if t.is_index:
            return r.randint(0, 20)
        x = r.random()
        if x < 0.45:
            return r.randint(t.raw_min, t.raw_max)
        if x < 0.7:
            return r.choice([t.raw_min, t.raw_max, 0, min(1, t.raw_max), max(-1, t.raw_min),
                             t.raw_min + (t.raw_max > t.raw_min)])
        return max(t.raw_min, min(t.raw_max, r.randint(-6, 6) << t.fracs))

    def inputs(self, kernel):
        return [[self.raw_value(p.ty) for _ in range(p.size)] if p.is_array else
                self.raw_value(p.ty) for p in kernel.params]

    # -- a whole case --------------------------------------------------------------------------
    def program(self) -> P.Program:
        r = self.r
        if self.on("dataflow"):
            return self.region_program()
        self.pool = [(self.scalar_type(False), self.shape()) for _ in range(r.randint(1, 3))]
        if self.on("templates") and r.random() < 0.5:
            self.pool.append((self.int_type(), (r.randint(2, 8),)))
        funcs = []
        if self.on("calls"):
            for _ in range(r.choice([0, 0, 1, 1, 2])):
                funcs.append(self.helper(list(funcs)))
        if self.on("templates") and r.random() < 0.15:
            funcs += self.template()
        kernel = self.kernel(funcs)
        program = P.Program(funcs + [kernel], tables=self.tables, seed=str(self.seed),
                            fault_prone=self.fault_prone)
        if self.on("schedule"):
            from .schedgen import schedule
            program.sched = schedule(self, program)
        program.inputs = self.inputs(kernel)
        return program


def generate(seed: int, features=DEFAULT_FEATURES, fault_rate: float = 0.05) -> P.Program:
    return Gen(seed, features, fault_rate).program()
