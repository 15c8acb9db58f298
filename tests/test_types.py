"""The type objects: construction, value equality, aliases, ranges and wrapping."""
import pytest

from allo_rtl import types as T
from allo_rtl.errors import AlloError, AlloTypeError


def test_types_compare_and_hash_by_value():
    assert T.Int(32) == T.int32 and hash(T.Int(32)) == hash(T.int32)
    assert T.UInt(8) == T.uint8 and T.UInt(8) != T.Int(8)
    assert T.Fixed(16, 12) == T.Fixed(16, 12) != T.UFixed(16, 12)
    assert T.int32[4, 8] == T.Int(32)[4, 8] and hash(T.int32[4, 8]) == hash(T.Int(32)[4, 8])
    assert T.int32[4, 8] != T.int32[8, 4]
    assert len({T.Int(7), T.Int(7), T.int7}) == 1
    assert T.Stream[T.int32, 4] == T.Stream[T.int32, 4] != T.Stream[T.int32, 2]


def test_aliases_cover_every_width_up_to_64():
    for w in range(1, 65):
        assert getattr(T, f"int{w}") == T.Int(w)
        assert getattr(T, f"uint{w}") == T.UInt(w)
    assert T.bool == T.UInt(1)
    assert T.index.bits == 32
    assert {T.float16.bits, T.bfloat16.bits, T.float32.bits, T.float64.bits} == {16, 32, 64}
    assert T.float16 != T.bfloat16


def test_any_width_is_allowed():
    assert T.Int(200).raw_max == 2**199 - 1
    assert T.UInt(1).raw_max == 1 and T.UInt(1).raw_min == 0


@pytest.mark.parametrize("make", [lambda: T.Int(0), lambda: T.UInt(-1), lambda: T.Int(3.5),
                                  lambda: T.Fixed(8, -1), lambda: T.int32[0], lambda: T.int32[2, "a"],
                                  lambda: T.Stream[T.int32, 0]])
def test_invalid_types_raise_allo_type_errors_at_the_user_line(make):
    with pytest.raises(AlloTypeError) as info:
        make()
    assert isinstance(info.value, AlloError)
    assert info.value.file == __file__
    assert info.value.line is not None


@pytest.mark.parametrize("t, raw, wrapped", [
    (T.Int(8), 127, 127), (T.Int(8), 128, -128), (T.Int(8), -129, 127), (T.UInt(8), -1, 255),
    (T.UInt(8), 256, 0), (T.Int(12), 2048, -2048), (T.Int(1), 1, -1), (T.UInt(1), 3, 1),
    (T.Fixed(16, 12), 2**15, -2**15), (T.Int(100), 2**99, -2**99),
])
def test_wrap_reduces_modulo_the_width(t, raw, wrapped):
    assert t.wrap(raw) == wrapped
    assert t.raw_min <= t.wrap(raw) <= t.raw_max


def test_array_and_stream_types():
    a = T.Fixed(16, 12)[3, 5]
    assert a.elem == T.Fixed(16, 12) and a.shape == (3, 5) and a.size == 15
    assert repr(a) == "Fixed(16, 12)[3, 5]"
    s = T.Stream[T.int8, 4][2, 3]
    assert s.shape == (2, 3) and s.elem == T.Stream[T.int8, 4]
    assert T.Stream[T.int8].depth == 2
