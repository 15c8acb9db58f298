"""The kernel language's types: integers of any width, fixed point, floats, arrays and streams.

Types compare and hash by value (``Int(32) == int32``). Indexing a scalar type gives an array
type, as in annotations: ``int32[P, Q]``.

The arithmetic of every type is exact in the IR: an integer or fixed-point value is held as its
*raw* integer (a fixed-point value ``v`` of ``Fixed(w, f)`` is the integer ``v * 2**f``), and a
type's raw range says which raw integers it can hold.
"""
from __future__ import annotations

__all__ = [
    "AlloType", "Int", "UInt", "Index", "Fixed", "UFixed", "Float", "ArrayType", "Stream",
    "StreamType", "ConstExpr", "bool", "index", "float16", "bfloat16", "float32", "float64",
    "is_integer", "is_fixed_or_int", "is_float",
]

import builtins

from .errors import AlloTypeError, caller_loc


class AlloType:
    """A scalar type. ``bits`` is the storage width, ``fracs`` the fraction bits (0 for integers)."""

    bits: int
    fracs: int = 0
    signed: builtins.bool = True

    def _key(self):
        return (type(self).__name__, self.bits, self.fracs)

    def __eq__(self, other):
        return isinstance(other, AlloType) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __getitem__(self, dims) -> "ArrayType":
        return ArrayType(self, dims if isinstance(dims, tuple) else (dims,))

    def __repr__(self):
        return self.name

    # Raw range (integers and fixed point): the raw integers a value of this type can hold.
    @property
    def raw_min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, raw: int) -> int:
        """Reduce an exact raw integer modulo 2**bits into this type's range."""
        mask = (1 << self.bits) - 1
        raw &= mask
        if self.signed and raw >> (self.bits - 1):
            raw -= 1 << self.bits
        return raw


def _check_width(kind: str, bits, fracs=0):
    if not isinstance(bits, int) or isinstance(bits, builtins.bool) or bits < 1:
        raise AlloTypeError(f"{kind}: width must be an integer >= 1, got {bits!r}", caller_loc(),
                            f"write e.g. {kind}(8)")
    if not isinstance(fracs, int) or isinstance(fracs, builtins.bool) or fracs < 0:
        raise AlloTypeError(f"{kind}: fraction bits must be an integer >= 0, got {fracs!r}",
                            caller_loc(), f"write e.g. {kind}(16, 12)")


class Int(AlloType):
    """Signed two's-complement integer of ``bits`` bits."""

    def __init__(self, bits: int):
        _check_width("Int", bits)
        self.bits = bits

    @property
    def name(self):
        return f"int{self.bits}"


class UInt(AlloType):
    """Unsigned integer of ``bits`` bits."""

    signed = False

    def __init__(self, bits: int):
        _check_width("UInt", bits)
        self.bits = bits

    @property
    def name(self):
        return "bool" if self.bits == 1 else f"uint{self.bits}"


class Index(AlloType):
    """The type of loop variables and index arithmetic: a 32-bit signed integer whose arithmetic
    is exact (index expressions never wrap; an index out of an array's bounds is an error). A
    value stored in an index variable, array element or result keeps its low 32 bits."""

    bits = 32

    @property
    def name(self):
        return "index"


class Fixed(AlloType):
    """Signed fixed point: ``bits`` bits in all, ``fracs`` of them after the binary point."""

    def __init__(self, bits: int, fracs: int):
        _check_width("Fixed", bits, fracs)
        self.bits, self.fracs = bits, fracs

    @property
    def name(self):
        return f"Fixed({self.bits}, {self.fracs})"


class UFixed(AlloType):
    """Unsigned fixed point: ``bits`` bits in all, ``fracs`` of them after the binary point."""

    signed = False

    def __init__(self, bits: int, fracs: int):
        _check_width("UFixed", bits, fracs)
        self.bits, self.fracs = bits, fracs

    @property
    def name(self):
        return f"UFixed({self.bits}, {self.fracs})"


class Float(AlloType):
    """IEEE 754 binary floating point with ``exponent`` and ``mantissa`` (stored) bits."""

    _NAMES = {(32, 8): "float32", (64, 11): "float64", (16, 5): "float16", (16, 8): "bfloat16"}

    def __init__(self, bits: int, exponent: int, mantissa: int):
        if (bits, exponent) not in self._NAMES or bits != 1 + exponent + mantissa:
            raise AlloTypeError("Float: supported formats are float16, bfloat16, float32 and float64", caller_loc(), "see allo_rtl.types for the valid forms")
        self.bits, self.exponent, self.mantissa = bits, exponent, mantissa

    def _key(self):
        return ("Float", self.bits, self.exponent)

    @property
    def name(self):
        return self._NAMES[(self.bits, self.exponent)]

    @property
    def raw_min(self):
        raise TypeError(f"{self.name} has no raw integer range")

    raw_max = raw_min

    def wrap(self, raw):
        raise TypeError(f"{self.name} does not wrap")


class ArrayType:
    """``elem[d0, d1, ...]``: a multi-dimensional array of a scalar (or stream) type."""

    def __init__(self, elem, shape):
        if not isinstance(elem, (AlloType, StreamType)):
            raise AlloTypeError(f"array element type must be a scalar type, got {elem!r}", caller_loc(), "see allo_rtl.types for the valid forms")
        shape = tuple(shape)
        for d in shape:
            if not isinstance(d, int) or isinstance(d, builtins.bool) or d < 1:
                raise AlloTypeError(f"array dimensions must be positive integers, got {d!r}", caller_loc(), "see allo_rtl.types for the valid forms")
        self.elem, self.shape = elem, shape

    def _key(self):
        return ("Array", self.elem, self.shape)

    def __eq__(self, other):
        return isinstance(other, ArrayType) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"{self.elem!r}[{', '.join(map(str, self.shape))}]"

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


class StreamType:
    """A FIFO channel of ``elem`` values (scalars, or whole arrays: a stream of blocks) with
    room for ``depth`` of them."""

    def __init__(self, elem, depth: int = 2):
        if not isinstance(elem, AlloType) and not (isinstance(elem, ArrayType)
                                                   and isinstance(elem.elem, AlloType)):
            raise AlloTypeError(f"Stream element must be a scalar or array type, got {elem!r}",
                                caller_loc(), "write Stream[int32, 4] or Stream[int16[M, N], 2]")
        if not isinstance(depth, int) or depth < 1:
            raise AlloTypeError(f"Stream depth must be a positive integer, got {depth!r}", caller_loc(), "see allo_rtl.types for the valid forms")
        self.elem, self.depth = elem, depth

    def __eq__(self, other):
        return isinstance(other, StreamType) and (self.elem, self.depth) == (other.elem, other.depth)

    def __hash__(self):
        return hash(("Stream", self.elem, self.depth))

    def __getitem__(self, dims) -> ArrayType:
        return ArrayType(self, dims if isinstance(dims, tuple) else (dims,))

    def __repr__(self):
        return f"Stream[{self.elem!r}, {self.depth}]"


class _StreamFactory:
    """``Stream[T, depth]`` (depth defaults to 2) builds a StreamType."""

    def __getitem__(self, args) -> StreamType:
        if isinstance(args, tuple):
            return StreamType(*args)
        return StreamType(args)

    def __repr__(self):
        return "Stream"


Stream = _StreamFactory()


class ConstExprType:
    """``ConstExpr[T]``: a name bound at compile time to a value computed in Python (from
    template parameters, pids, constants), as Allo's ``x: ConstExpr[int32] = N // P``."""

    def __init__(self, elem: AlloType):
        if not isinstance(elem, AlloType):
            raise AlloTypeError(f"ConstExpr needs a scalar type, got {elem!r}", caller_loc(),
                                "write ConstExpr[int32]")
        self.elem = elem

    def __eq__(self, other):
        return isinstance(other, ConstExprType) and self.elem == other.elem

    def __hash__(self):
        return hash(("ConstExpr", self.elem))

    def __repr__(self):
        return f"ConstExpr[{self.elem!r}]"


class _ConstExprFactory:
    def __getitem__(self, elem) -> ConstExprType:
        return ConstExprType(elem)

    def __repr__(self):
        return "ConstExpr"


ConstExpr = _ConstExprFactory()

bool = UInt(1)  # noqa: A001 - the kernel language's name, as in Allo
index = Index()
float16 = Float(16, 5, 10)
bfloat16 = Float(16, 8, 7)
float32 = Float(32, 8, 23)
float64 = Float(64, 11, 52)

for _w in range(1, 65):
    globals()[f"int{_w}"] = Int(_w)
    globals()[f"uint{_w}"] = UInt(_w)
    __all__ += [f"int{_w}", f"uint{_w}"]
del _w


def is_integer(t) -> builtins.bool:
    return isinstance(t, (Int, UInt, Index))


def is_fixed_or_int(t) -> builtins.bool:
    """Types whose values are exact raw integers: integers and fixed point."""
    return isinstance(t, (Int, UInt, Index, Fixed, UFixed))


def is_float(t) -> builtins.bool:
    return isinstance(t, Float)
