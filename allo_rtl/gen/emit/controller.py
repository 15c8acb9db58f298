"""The controller of one function: its state register's transitions, region by region.

Regions are emitted back to front as *continuations*: a continuation emits, inside whatever
condition the current state is under, what entering a point of the program takes (the next
state, and a loop counter's first value). A loop's counter steps in the last cycle of its body,
so nested loops with constant bounds run without a cycle of overhead between iterations.
"""
from __future__ import annotations

from amaranth.hdl import Module, Signal

from ...ir import nodes as ir
from ...ir.layout import Layout
from ..analysis.storage import bank_members
from .pipeline import emit_pipeline
from ..scheduling.regions import Block, Branch, Call, Concurrent, Delay, Loop, Seq, WhileLoop
from ..dataflow.region import emit_region


def has_checks(dfg) -> bool:
    return any(n.kind == "check" for n in dfg.nodes)


class Controller:
    def __init__(self, ctx, datapaths: dict, callees: dict, finish):
        self.ctx = ctx
        self.datapaths = datapaths        # id(Block) -> BlockDatapath
        self.callees = callees            # callee name -> component instance
        self.finish = finish              # the function's end: back to idle, done pulses

    def unless_error(self, dfg, k):
        """``k``, or the function's end when a run-time check of ``dfg`` (error_status.py) has
        failed: a region with checks ends before the function stops."""
        if not has_checks(dfg):
            return k
        errors = self.ctx.errors

        def decide(m: Module):
            with m.If(errors.pending):
                self.finish(m)
            with m.Else():
                k(m)
        return decide

    def goto(self, state: int):
        def enter(m: Module):
            m.d.sync += self.ctx.state.eq(state)
        return enter

    def at(self, state: int, emit) -> None:
        self.ctx.actions.at(state, emit)

    # -- regions ---------------------------------------------------------------------------------
    def seq(self, seq: Seq, k):
        for item in reversed(seq.items):
            k = self.region(item, k)
        return k

    def region(self, r, k):
        return getattr(self, "r_" + type(r).__name__)(r, k)

    def r_Block(self, block: Block, k, terminal=None):
        states = list(block.states())
        for here, after in zip(states, states[1:]):
            self.at(here, self.goto(after))
        self.at(states[-1], self.unless_error(block.dfg, terminal or k))
        return self.goto(states[0])

    def branch(self, block: Block, then_k, else_k):
        cond, = self.datapaths[id(block)].terminal_values()

        def decide(m: Module):
            with m.If(cond):
                then_k(m)
            with m.Else():
                else_k(m)
        return self.r_Block(block, None, decide)

    def r_Delay(self, delay: Delay, k):
        if delay.counted:
            remaining = Signal(range(delay.cycles), name=f"delay_{delay.first_state}")

            def wait(m: Module):
                with m.If(remaining == 0):
                    k(m)
                with m.Else():
                    m.d.sync += remaining.eq(remaining - 1)
            self.at(delay.first_state, wait)

            def enter(m: Module):
                m.d.sync += [self.ctx.state.eq(delay.first_state), remaining.eq(delay.cycles - 1)]
            return enter
        states = list(range(delay.first_state, delay.first_state + delay.cycles))
        for here, after in zip(states, states[1:]):
            self.at(here, self.goto(after))
        self.at(states[-1], k)
        return self.goto(states[0])

    def r_Loop(self, loop: Loop, k):
        stmt = loop.stmt
        counter = self.ctx.regs[stmt.var]
        body_entry = []

        if loop.trip is not None:
            last = stmt.lo.value + (loop.trip - 1) * stmt.step

            def latch(m: Module):
                if loop.trip == 1:
                    k(m)
                    return
                m.d.sync += counter.eq(counter + stmt.step)
                with m.If(counter != last):
                    body_entry[0](m)
                with m.Else():
                    k(m)

            body_entry.append(self.seq(loop.body, latch))

            def enter(m: Module):
                m.d.sync += counter.eq(stmt.lo.value)
                body_entry[0](m)
            return enter

        bound = self.ctx.regs[loop.bound_var]

        def latch(m: Module):
            following = counter + stmt.step
            m.d.sync += counter.eq(following)
            with m.If(following < bound if stmt.step > 0 else following > bound):
                body_entry[0](m)
            with m.Else():
                k(m)

        body_entry.append(self.seq(loop.body, latch))
        return self.branch(loop.head, lambda m: body_entry[0](m), k)

    def r_Pipeline(self, pipe, k):
        enter = emit_pipeline(self.ctx, pipe, self.datapaths[id(pipe)],
                              self.unless_error(pipe.dfg, k),
                              self.ctx.errors if has_checks(pipe.dfg) else None)
        if pipe.head is None:
            return enter
        return self.branch(pipe.head, enter, k)

    def r_WhileLoop(self, loop: WhileLoop, k):
        cond_entry = self.goto(loop.cond.first_state)
        body_entry = self.seq(loop.body, cond_entry)
        self.branch(loop.cond, body_entry, k)
        return cond_entry

    def r_Branch(self, branch: Branch, k):
        return self.branch(branch.cond, self.seq(branch.then, k), self.seq(branch.orelse, k))

    def r_Concurrent(self, region: Concurrent, k):
        return emit_region(self.ctx, region, self.callees, k, self.finish)

    def r_Call(self, call: Call, k):
        callee = self.callees[call.callee]
        stmt = call.stmt
        ctx = self.ctx
        args = self.datapaths[id(call.block)].terminal_values()
        scalar_params = [p for p in stmt.func.params if isinstance(p, ir.Var)]

        def start(m: Module):
            m.d.comb += callee.start.eq(1)
            for p, value in zip(scalar_params, args):
                m.d.comb += getattr(callee, f"in_{p.name}").eq(value)
            m.d.sync += ctx.state.eq(call.wait_state)
        entry = self.r_Block(call.block, None, start)

        bindings = [(_interfaces(callee, f"mem_{p.name}", p), a.buffer,
                     id(p) in callee.design.written)
                    for p, a in zip(stmt.func.params, stmt.args) if isinstance(p, ir.Buffer)]
        scalar_targets = []
        for index, target in enumerate(stmt.targets):
            if isinstance(target, ir.Buffer):
                bindings.append((_interfaces(callee, f"mem_result{index}", target), target, True))
            else:
                scalar_targets.append((ctx.regs[target], getattr(callee, f"out_{index}")))

        def finished(m: Module):
            for reg, port in scalar_targets:
                m.d.sync += reg.eq(port)
            k(m)

        def wait(m: Module):
            for iface, buffer, writes in bindings:
                ctx.storage[buffer].bind(m, iface, writes)
            with m.If(callee.done):
                if callee.design.has_checks:   # the callee stopped on an error: stop too
                    with m.If(callee.error != 0):
                        ctx.errors.adopt(m, callee.error, callee.error_data)
                        self.finish(m)
                    with m.Else():
                        finished(m)
                else:
                    finished(m)
        self.at(call.wait_state, wait)
        return entry


def _interfaces(callee, base: str, buffer) -> list:
    """The callee's interfaces of one array (caller and callee share a layout)."""
    return [getattr(callee, member) for member in bank_members(base, Layout.of(buffer))]
