"""Rebalancing of chains of wrapping additions in a block's dataflow graph."""
from __future__ import annotations

from ...types import Float, Index
from .graph import Node
from .shapes import widens


def _sum_parts(n: Node):
    """``(add node, result type)`` when ``n`` is ``T(W(x) + W(y))``: a sum wrapped to an
    integer or fixed type ``T`` from operands widened to ``W`` at the same scale."""
    if n.kind != "op" or n.op != "cast" or isinstance(n.type, (Index, Float)):
        return None
    add = n.operands[0]
    if add.kind != "op" or add.op != "add" or isinstance(add.type, (Index, Float)) or \
            add.type.fracs != n.type.fracs or add.type.bits <= n.type.bits:
        return None
    for o in add.operands:
        if isinstance(o.type, (Index, Float)) or o.type.fracs != n.type.fracs or \
                o.type.bits > add.type.bits:
            return None
    return add, n.type


def _unwidened(n: Node) -> Node:
    return n.operands[0] if n.kind == "op" and n.op == "cast" and \
        widens(n.operands[0].type, n.type) else n


def balance_sums(nodes: list) -> None:
    """Rebalance chains of wrapping additions (``acc += a; acc += b; ...`` unrolled) into a tree.

    Addition modulo ``2**bits`` is associative, so the result is bit-identical; the chain's
    depth drops from ``n`` adders to ``log2(n)``, and a running value read from a register (a
    variable or array element carried between iterations) joins last, so a recurrence through
    it spans one adder."""
    users: dict = {}
    for n in nodes:
        for o in n.operands:
            users[id(o)] = users.get(id(o), 0) + 1
    absorbed = set()
    for root in reversed(list(nodes)):
        parts = _sum_parts(root)
        if parts is None or id(root) in absorbed:
            continue
        add, t = parts
        leaves, stack = [], [add]
        while stack:
            a = stack.pop()
            for o in reversed(a.operands):
                inner = _unwidened(o)
                sub = _sum_parts(inner)
                if sub is not None and sub[1] == t and sub[0].type == add.type and \
                        users.get(id(inner)) == 1 and users.get(id(sub[0])) == 1:
                    absorbed.add(id(inner))
                    stack.append(sub[0])
                else:
                    leaves.append(inner)
        if len(leaves) < 3:
            continue
        carried = [x for x in leaves if _unwidened(x).kind in ("var", "load")]
        level = [x for x in leaves if x not in carried]
        new = []

        def make(kind_op, type_, operands):
            node = Node("op", type_, operands, root.loc, kind_op)
            new.append(node)
            return node

        def add_pair(x, y):
            wx = x if x.type == add.type else make("cast", add.type, [x])
            wy = y if y.type == add.type else make("cast", add.type, [y])
            return make("cast", t, [make("add", add.type, [wx, wy])])

        while len(level) > 1:
            level = [add_pair(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                     for i in range(0, len(level), 2)]
        total = level[0] if level else None
        for x in carried:
            total = x if total is None else add_pair(total, x)
        # the root keeps its identity (its users point at it): it becomes the tree's top
        top = total.operands[0] if total.kind == "op" and total.op == "cast" and total in new \
            else make("cast", add.type, [total])
        if total in new and total.op == "cast":
            new.remove(total)
        index = nodes.index(root)
        nodes[index:index] = new
        root.operands = [top]
