"""What a generated top-level Component looks like from outside: the contract with ``sim/``.

Ports of the top-level Component (DESIGN.md, hardware conventions), all in the ``sync`` domain:

* ``start`` (in, 1 bit): sampled while idle; starts a run and samples every scalar argument.
* ``busy`` (out): high from the cycle after ``start`` is sampled until the last working cycle.
* ``done`` (out): a one-cycle pulse in the cycle after the last working cycle; scalar results are
  valid from then on. ``cycles`` of a run is the number of cycles ``busy`` was high, which is the
  number of clock edges from the one that samples ``start`` to the one that samples ``done``.
* ``in_<name>`` (in): a scalar argument, the raw two's-complement bits of its value.
* ``out_<k>`` (out): the k-th result, when it is a scalar.
* ``error`` and ``error_data`` (out), when the design has run-time checks (``gen/checks.py``):
  valid with ``done``; ``error`` is 0 after a run without error, else the code of the failed
  check (``DesignInfo.checks[code - 1]``), whose ``decode(error_data)`` gives the values its
  error message names. A run that fails stops early, and the failed store writes nothing.
* ``mem_<name>`` (out, ``MemorySignature``): an array argument ``<name>`` or an array result
  (``<name>`` is then ``result<k>``). Members ``addr``, ``ren``, ``wen``, ``wdata`` (out) and
  ``rdata`` (in): one access per cycle, row-major addresses, read data valid in the cycle after
  ``ren`` (latency 1), a write visible to reads issued in the next cycle. A partitioned
  array has one interface per bank, ``mem_<name>_<bank>``, each an ``ArrayPort`` whose
  ``elements`` say which array element each of its words holds.
* Between kernels (never at the top: ``normalize.stage_arguments``), an array whose partition
  leaves one word per bank is ``mem_<name>`` (out, ``RegisterFileSignature``) instead: the
  caller holds it in registers, ``words`` (in) carries every word at once, so reads take no
  cycle and need no port, and a set ``wen`` bit (out) writes that word of ``wdata``.

A value's bits are its raw value (``types.py``: fixed-point ``v * 2**f``) as two's complement
for signed types, ``width`` bits wide.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from amaranth.hdl import unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..types import AlloType


class MemorySignature(wiring.Signature):
    """An external memory interface, seen from the design that accesses the memory: a read
    port (``raddr``, ``ren``; ``rdata`` one cycle later) and a write port (``waddr``, ``wen``,
    ``wdata``), as a simple dual-port block RAM has, so that ``y[i] += ...`` reads one word and
    writes another in the same cycle. The design never reads and writes one word in a cycle."""

    def __init__(self, addr_width: int, data_width: int):
        self.addr_width, self.data_width = addr_width, data_width
        super().__init__({
            "raddr": Out(unsigned(addr_width)),
            "ren": Out(1),
            "rdata": In(unsigned(data_width)),
            "waddr": Out(unsigned(addr_width)),
            "wen": Out(1),
            "wdata": Out(unsigned(data_width)),
        })

    def __eq__(self, other):
        return (isinstance(other, MemorySignature) and self.addr_width == other.addr_width
                and self.data_width == other.data_width)

    def __hash__(self):
        return hash((MemorySignature, self.addr_width, self.data_width))

    def __repr__(self):
        return f"MemorySignature({self.addr_width}, {self.data_width})"


# Amaranth's netlist numbers the output bits of one cell in 16 bits (and a bus of all 2**16
# trips its port builder), so buses are chunked well below that.
MAX_BUS_BITS = 1 << 15


class RegisterFileSignature(wiring.Signature):
    """A completely partitioned array as registers held outside, seen from the design that
    accesses it. One interface per bank would give an array of N words N address decoders and
    N ports on every module it passes through; this is a few buses, and reads need no cycle.

    Each bus is an array of ``n_chunks`` chunks of ``chunk_words`` words (the last one padded):
    ``words[c]`` (in) and ``wdata[c]`` (out) hold words ``c * chunk_words`` up, ``data_width``
    bits each, and bit k of ``wen[c]`` (out) writes word ``c * chunk_words + k``."""

    def __init__(self, n_words: int, data_width: int):
        self.n_words, self.data_width = n_words, data_width
        self.chunk_words = max(1, min(n_words, MAX_BUS_BITS // data_width))
        self.n_chunks = -(-n_words // self.chunk_words)
        data = unsigned(self.chunk_words * data_width)
        super().__init__({
            "words": In(data).array(self.n_chunks),
            "wen": Out(unsigned(self.chunk_words)).array(self.n_chunks),
            "wdata": Out(data).array(self.n_chunks),
        })

    def word(self, bus, k: int):
        """Word ``k`` of ``bus`` (an interface's ``words`` or ``wdata``)."""
        chunk, at = divmod(k, self.chunk_words)
        return bus[chunk].word_select(at, self.data_width)

    def enable(self, wen, k: int):
        """The write enable of word ``k`` in an interface's ``wen``."""
        chunk, at = divmod(k, self.chunk_words)
        return wen[chunk][at]

    def __eq__(self, other):
        return (isinstance(other, RegisterFileSignature) and self.n_words == other.n_words
                and self.data_width == other.data_width)

    def __hash__(self):
        return hash((RegisterFileSignature, self.n_words, self.data_width))

    def __repr__(self):
        return f"RegisterFileSignature({self.n_words}, {self.data_width})"


def addr_width(depth: int) -> int:
    """Address bits of a memory of ``depth`` words (at least one)."""
    return max(1, (depth - 1).bit_length())


@dataclass(frozen=True)
class ScalarPort:
    """A scalar argument (``in_<name>``) or scalar result (``out_<k>``) of the top."""

    port: str               # the Component member name
    type: AlloType
    param_index: int | None = None   # position among the kernel's parameters
    result_index: int | None = None  # position among the kernel's results

    @property
    def width(self) -> int:
        return self.type.bits

    @property
    def signed(self) -> bool:
        return self.type.signed


class _ElementBits:
    """``width`` and ``signed`` of a port whose words are values of ``elem``."""

    @property
    def width(self) -> int:
        return self.elem.bits

    @property
    def signed(self) -> bool:
        return self.elem.signed


@dataclass(frozen=True)
class StreamPort(_ElementBits):
    """A stream argument of the top: the ``amaranth.lib.stream`` interface ``port``
    (``stream_<name>``). ``direction`` "in": the caller gives the values (the Component takes
    ``payload`` and ``valid`` and drives ``ready``); "out": the caller takes them."""

    port: str
    name: str
    elem: AlloType
    direction: str
    param_index: int
    depth: int              # the declared depth (the FIFO of an output)


@dataclass(frozen=True)
class ArrayPort(_ElementBits):
    """An array argument or array result of the top: the memory interface ``port``."""

    port: str               # the Component member name, "mem_<name>"
    name: str               # the parameter's name, or "result<k>"
    shape: tuple
    elem: AlloType
    param_index: int | None = None
    result_index: int | None = None
    written: bool = True    # whether the design ever writes it
    # a bank of a partitioned array: the row-major index into the whole array of each of
    # its words (-1: padding past the array's end); None: the port holds the whole array
    elements: tuple | None = None

    @property
    def depth(self) -> int:
        return math.prod(self.shape)

    @property
    def addr_width(self) -> int:
        return addr_width(self.depth)


@dataclass(frozen=True)
class StateProbe:
    """Where a controller's state register is, and what each of its values means.

    ``path`` is the chain of submodule names from the top (``()`` for the top itself),
    ``signal`` the state register's name inside that module, ``names[v]`` a description of
    state ``v`` (``"idle"`` for 0) for errors about a run that never finishes."""

    path: tuple
    signal: str
    names: tuple
    function: str


@dataclass(frozen=True)
class FifoProbe:
    """Where the register holding a FIFO's highest occupancy in a run (in words) is (``path``
    and ``signal`` as in ``StateProbe``), and which stream it is: ``stream`` of the region in
    ``function``, ``depth`` values deep."""

    path: tuple
    signal: str
    stream: str
    function: str
    depth: int
    words: int = 1          # FIFO words per value: a block's elements for a stream of blocks

    @property
    def key(self) -> str:
        return f"{self.function}:{self.stream}"


@dataclass(frozen=True)
class WaitProbe:
    """Where the register holding what a region's kernel waits on is (``path`` and ``signal``
    as in ``StateProbe``): 0 nothing, ``k`` its ``k``-th stream operation, ``waits[k - 1]`` =
    (operation, stream, depth, source location)."""

    path: tuple
    signal: str
    kernel: str
    waits: tuple


@dataclass
class DesignInfo:
    """The interface of a generated top-level Component and what the harness needs to run it."""

    name: str                        # the top function's name (also the Verilog module's)
    scalar_args: list = field(default_factory=list)     # ScalarPort, in parameter order
    scalar_results: list = field(default_factory=list)  # ScalarPort, in result order
    arrays: list = field(default_factory=list)          # ArrayPort: array args, then results
    probes: list = field(default_factory=list)          # StateProbe, top first
    fifo_probes: list = field(default_factory=list)     # FifoProbe of every stream
    # stream arguments (StreamPort, in parameter order); with them, a ``stream_wait`` output
    # and WaitProbe of each kernel of the region
    streams: list = field(default_factory=list)
    wait_probes: list = field(default_factory=list)
    predicted_cycles: int | None = None                 # static latency, when known
    # run-time checks (gen/checks.py): checks[code - 1] is the check of error code ``code``;
    # error_layout gives the widths of the ``error`` and ``error_data`` outputs (None: none)
    checks: list = field(default_factory=list)
    error_layout: object = None

    def status_outputs(self) -> list:
        """``(port, width)`` of the error status outputs, read with the scalar results."""
        if self.error_layout is None:
            return []
        return [("error", self.error_layout.code_width),
                ("error_data", self.error_layout.data_width)]
