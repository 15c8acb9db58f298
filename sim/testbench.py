"""The Verilog testbench wrapped around a design for the cocotb simulators.

Everything that happens every cycle lives here, in the simulator, not in Python: one behavioural
memory per memory interface (a read port with latency-1 reads and a write port; reads beyond
the depth give 0, writes beyond it are dropped), a counter of the cycles ``busy`` was high, and ``finished``, set by the edge that
samples ``done``. That same edge dumps every memory with ``$writememh``; memories are loaded
with ``$readmemh`` at time 0. File names come from plusargs, so the compiled testbench serves
every run of the design:

    +allo_load_<port>=<file>   +allo_dump_<port>=<file>   +allo_waves=<file> (Icarus only;
                                                          Verilator traces through cocotb's main)

cocotb drives ``clk``, ``rst``, ``start`` and the scalar inputs, which are the testbench's ports.
The design instance is called ``dut``, so a register inside it is ``<tb>.dut.<path>.<name>``.
"""
from __future__ import annotations

from ..gen.design import DesignInfo
from .streams import STREAM_CAPACITY, STUCK_EDGES, xorshift_verilog

TB_INSTANCE = "dut"
FILENAME_BITS = 8 * 1024   # a plusarg string: up to 1024 characters of path


def testbench_name(info: DesignInfo) -> str:
    return "allo_tb" if info.name != "allo_tb" else "allo_tb_top"


def stream_count_port(port) -> str:
    """The testbench output counting the values a stream argument moved."""
    return f"count_{port.port}"


def _stream_edges(handshakes: list) -> list:
    """The streams' handshakes, gap generators and the deadlock watch, past reset."""
    return [
        "    always @(posedge clk) begin",
        "        if (!rst && !finished) begin",
        *handshakes,
        "            stream_wait_seen <= stream_wait;",
        "            if (deadlock_edge) deadlocked <= 1'b1;",
        "            stuck_edges <= stream_wait ? stuck_edges + 1 : 0;",
        "        end",
        "    end",
        "",
    ]


def _vec(width: int) -> str:
    return f"[{width - 1}:0] "


def _memory(port) -> tuple[list[str], list[str], list[str], list[str]]:
    """Declarations, per-edge access, time-0 loading and dumping of one memory."""
    p, w, aw, depth = port.port, port.width, port.addr_width, port.depth
    store = f"store_{p}"
    def in_range(addr):
        return f"{p}__{addr} < {depth}" if depth < (1 << aw) else "1'b1"
    decls = [
        f"    wire {_vec(aw)}{p}__raddr;",
        f"    wire {_vec(aw)}{p}__waddr;",
        f"    wire {p}__ren;",
        f"    wire {p}__wen;",
        f"    wire {_vec(w)}{p}__wdata;",
        f"    reg {_vec(w)}{p}__rdata;",
        f"    reg {_vec(w)}{store} [0:{(1 << aw) - 1}];",
    ]
    access = [
        f"        if ({p}__ren) {p}__rdata <= ({in_range('raddr')}) ? {store}[{p}__raddr] : {w}'d0;",
        f"        if ({p}__wen && ({in_range('waddr')})) {store}[{p}__waddr] <= {p}__wdata;",
    ]
    load = [
        f"        {p}__rdata = {w}'d0;",
        f"        for (i = 0; i < {1 << aw}; i = i + 1) {store}[i] = {w}'d0;",
        f'        if ($value$plusargs("allo_load_{p}=%s", load_name))'
        f" $readmemh(load_name, {store}, 0, {depth - 1});",
    ]
    dump = [
        f'            if ($value$plusargs("allo_dump_{p}=%s", dump_name))'
        f" $writememh(dump_name, {store}, 0, {depth - 1});",
    ]
    return decls, access, load, dump


def _stream(port, count_port: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """Declarations, per-edge handshake, time-0 set-up and dumping of one stream argument's
    testbench side (``streams.py``: the same as Amaranth's harness, edge for edge)."""
    p, w = port.port, port.width
    gap, offer, store = f"gap_{p}", f"offer_{p}", f"values_{p}"
    index = f"{count_port}[{STREAM_CAPACITY.bit_length() - 2}:0]"
    decls = [
        f"    reg [31:0] {gap};",
        f"    wire {offer} = ({gap} == 32'd0) || {gap}[0] || stream_wait_seen;",
        f"    reg {_vec(w)}{store} [0:{STREAM_CAPACITY - 1}];",
        f"    wire {_vec(w)}{p}__payload;",
        f"    wire {p}__valid;",
        f"    wire {p}__ready;",
    ]
    if port.direction == "in":
        decls += [
            f"    reg [31:0] given_{p};",
            f"    assign {p}__valid = {offer} && ({count_port} < given_{p});",
            f"    assign {p}__payload = {store}[{index}];",
        ]
        handshake = [f"            if ({p}__valid && {p}__ready) {count_port} <= {count_port} + 32'd1;"]
        setup = [
            f'        if (!$value$plusargs("allo_count_{p}=%d", given_{p})) given_{p} = 32\'d0;',
            f'        if (given_{p} != 32\'d0 && $value$plusargs("allo_load_{p}=%s", load_name))'
            f" $readmemh(load_name, {store}, 0, given_{p} - 1);",
        ]
        dump = []
    else:
        decls += [f"    assign {p}__ready = {offer};"]
        handshake = [
            f"            if ({p}__valid && {p}__ready) begin",
            f"                if ({count_port} < {STREAM_CAPACITY}) {store}[{index}] <= {p}__payload;",
            f"                {count_port} <= {count_port} + 32'd1;",
            "            end",
        ]
        setup = []
        dump = [
            f'            if ({count_port} != 32\'d0 && $value$plusargs("allo_dump_{p}=%s", dump_name))'
            f" $writememh(dump_name, {store}, 0, {count_port} - 1);",
        ]
    handshake.append(f"            if ({gap} != 32'd0) {gap} <= {xorshift_verilog(gap)};")
    setup = [f"        {count_port} = 32'd0;",
             f'        if (!$value$plusargs("allo_gap_{p}=%h", {gap})) {gap} = 32\'d0;'] + setup
    return decls, handshake, setup, dump


def testbench_verilog(info: DesignInfo) -> str:
    tb = testbench_name(info)
    ports = ["    input wire clk", "    input wire rst", "    input wire start"]
    ports += [f"    input wire {_vec(p.width)}{p.port}" for p in info.scalar_args]
    ports += ["    output wire busy", "    output wire done"]
    ports += [f"    output wire {_vec(p.width)}{p.port}" for p in info.scalar_results]
    ports += [f"    output wire {_vec(width)}{port}" for port, width in info.status_outputs()]
    ports += ["    output reg finished", "    output reg [63:0] cycles"]
    if info.streams:
        ports += ["    output reg deadlocked"]
        ports += [f"    output reg [31:0] {stream_count_port(p)}" for p in info.streams]

    connections = ["clk", "rst", "start", "busy", "done"]
    connections += [p.port for p in info.scalar_args + info.scalar_results]
    connections += [port for port, _ in info.status_outputs()]
    decls, access, load, dump = [], [], [], []
    for a in info.arrays:
        d, c, l, u = _memory(a)
        decls += d
        access += c
        load += l
        dump += u
        connections += [f"{a.port}__{m}" for m in ("raddr", "ren", "waddr", "wen", "wdata",
                                                     "rdata")]
    handshakes, stream_setup = [], []
    for p in info.streams:
        d, h, l, u = _stream(p, stream_count_port(p))
        decls += d
        handshakes += h
        stream_setup += l
        dump += u
        connections += [f"{p.port}__{m}" for m in ("payload", "valid", "ready")]
    if info.streams:
        connections.append("stream_wait")
        decls += ["    wire stream_wait;", "    reg stream_wait_seen;",
                  f"    reg [{STUCK_EDGES.bit_length() - 1}:0] stuck_edges;",
                  # the edge that sees stream_wait for the STUCK_EDGES-th time in a row
                  f"    wire deadlock_edge = stream_wait && stuck_edges == {STUCK_EDGES - 1} "
                  "&& !rst && !finished;"]
    instance = ",\n".join(f"        .{c}({c})" for c in connections)

    lines = [
        f"// Testbench of {info.name}, generated by allo_rtl.sim (see sim/testbench.py).",
        f"module {tb} (",
        ",\n".join(ports),
        ");",
        *decls,
        f"    reg [{FILENAME_BITS - 1}:0] load_name;",
        f"    reg [{FILENAME_BITS - 1}:0] dump_name;",
        "    integer i;",
        "",
        f"    {info.name} {TB_INSTANCE} (",
        instance,
        "    );",
        "",
        "    initial begin",
        "        finished = 1'b0;",
        "        cycles = 64'd0;",
        *load,
        *stream_setup,
        *(["        deadlocked = 1'b0;", "        stream_wait_seen = 1'b0;",
            "        stuck_edges = 0;"] if info.streams else []),
        "`ifndef VERILATOR",
        '        if ($value$plusargs("allo_waves=%s", dump_name)) begin',
        "            $dumpfile(dump_name);",
        f"            $dumpvars(0, {tb});",
        "        end",
        "`endif",
        "    end",
        "",
        "    always @(posedge clk) begin",
        *access,
        "    end",
        "",
        *(_stream_edges(handshakes) if info.streams else []),
        "    always @(posedge clk) begin",
        "        if (rst) cycles <= 64'd0;",
        "        else if (busy && !finished) cycles <= cycles + 64'd1;",
        f"        if ({'(done || deadlock_edge)' if info.streams else 'done'} && !finished && !rst) begin",
        "            finished <= 1'b1;",
        *dump,
        "        end",
        "    end",
        "endmodule",
        "",
    ]
    return "\n".join(lines)
