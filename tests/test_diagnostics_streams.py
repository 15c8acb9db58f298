"""One failing region per diagnostic of streams, dataflow regions and meta constructs."""
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import AlloIndexError, AlloSyntaxError, AlloTypeError
from allo_rtl.types import ConstExpr, Stream, int32

from .helpers_diagnostics import check


def refused(fn, cls):
    with pytest.raises(cls) as info:
        allo.customize(fn)
    return info


def test_a_stream_with_two_producers():
    @df.region()
    def top(A: int32[4]):
        pipe: Stream[int32, 2]  # <- here

        @df.kernel(mapping=[2], args=[A])
        def source(a: int32[4]):
            pipe.put(a[0])

        @df.kernel(mapping=[1], args=[A])
        def sink(a: int32[4]):
            a[0] = pipe.get()
    check(refused(top, AlloSyntaxError), AlloSyntaxError, "stream 'pipe' is written by 2 kernel "
          "instances (source_0, source_1); a stream connects one producer to one consumer",
          "pipe: Stream[int32, 2]")


def test_a_stream_never_read():
    @df.region()
    def top(A: int32[4]):
        pipe: Stream[int32, 2]  # <- here

        @df.kernel(mapping=[1], args=[A])
        def source(a: int32[4]):
            pipe.put(a[0])
    check(refused(top, AlloSyntaxError), AlloSyntaxError,
          "stream 'pipe' is written by source_0 but never read", "pipe: Stream[int32, 2]")


def test_a_stream_never_written():
    @df.region()
    def top(A: int32[4]):
        pipe: Stream[int32, 2]  # <- here

        @df.kernel(mapping=[1], args=[A])
        def sink(a: int32[4]):
            a[0] = pipe.get()
    check(refused(top, AlloSyntaxError), AlloSyntaxError, "stream 'pipe' is read by sink_0 but "
          "never written, so that kernel would wait forever", "pipe: Stream[int32, 2]")


def test_a_stream_index_outside_the_array_of_streams():
    @df.region()
    def top(A: int32[4]):
        pipe: Stream[int32, 2][2]

        @df.kernel(mapping=[1], args=[A])
        def source(a: int32[4]):
            pipe[2].put(a[0])  # <- here
    check(refused(top, AlloIndexError), AlloIndexError,
          "stream index [2] is out of bounds for 'pipe' of shape [2]", "pipe[2]")


def test_a_stream_index_known_only_at_run_time():
    @df.region()
    def top(A: int32[4]):
        pipe: Stream[int32, 2][2]

        @df.kernel(mapping=[1], args=[A])
        def source(a: int32[4]):
            for idx in range(2):
                pipe[idx].put(a[0])  # <- here
    check(refused(top, AlloTypeError), AlloTypeError, "an index into the streams 'pipe' must be "
          "known at compile time: 'idx' is only known when the kernel runs", "idx")


def test_a_stream_declared_in_a_plain_kernel():
    def k(A: int32[4]):
        pipe: Stream[int32, 2]  # <- here
        A[0] = 1
    check(refused(k, AlloSyntaxError), AlloSyntaxError,
          "streams are declared in the body of a df.region", "pipe: Stream[int32, 2]")


def test_computation_in_a_region_body():
    @df.region()
    def top(A: int32[4]):
        A[0] = 1  # <- here
    check(refused(top, AlloSyntaxError), AlloSyntaxError, "a dataflow region holds stream "
          "declarations, ConstExpr constants and @df.kernel definitions only", "A[0] = 1")


def test_meta_elif_without_meta_if():
    def k(A: int32[4]):
        with allo.meta_elif(True):  # <- here
            A[0] = 1
    check(refused(k, AlloSyntaxError), AlloSyntaxError,
          "allo.meta_elif() without an allo.meta_if() before it in this block", "with")


def test_meta_if_on_a_run_time_value():
    def k(A: int32[4], c: int32):
        with allo.meta_if(c > 0):  # <- here
            A[0] = 1
    check(refused(k, AlloTypeError), AlloTypeError, "the condition of allo.meta_if() must be "
          "known at compile time: 'c' is only known when the kernel runs", "c")


def test_get_pid_outside_a_kernel_instance():
    def k(A: int32[4]):
        i = df.get_pid()  # <- here
        A[0] = i
    check(refused(k, AlloSyntaxError), AlloSyntaxError, "df.get_pid() outside a df.kernel",
          "i = df.get_pid()")


def test_get_pid_unpacked_to_too_few_names():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[2, 2], args=[A])
        def k(a: int32[4]):
            row = df.get_pid()  # <- here
            a[row] = 1
    check(refused(top, AlloTypeError), AlloTypeError, "the mapping of this kernel has 2 "
          "dimension(s), so df.get_pid() gives 2 value(s), assigned to 1", "row")


def test_args_naming_a_scalar():
    @df.region()
    def top(A: int32[4], count: int32):
        @df.kernel(mapping=[1], args=[count])  # <- here
        def k(a: int32):
            pass
    check(refused(top, AlloTypeError), AlloTypeError, "'count' in args is a scalar", "count")


def test_args_of_another_shape():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[1], args=[A])  # <- here
        def k(a: int32[8]):
            a[0] = 1
    check(refused(top, AlloTypeError), AlloTypeError, "parameter 'a' of df.kernel 'k' is "
          "int32[8], its argument 'A' is int32[4]", "A")


def test_a_kernel_without_mapping():
    @df.region()
    def top(A: int32[4]):
        @df.kernel(args=[A])  # <- here
        def k(a: int32[4]):
            a[0] = 1
    check(refused(top, AlloSyntaxError), AlloSyntaxError,
          "@df.kernel takes mapping=[...] and args=[...]", "df.kernel(args=[A])")


def test_a_kernel_customized_alone():
    @df.kernel(mapping=[1])
    def k(a: int32[4]):  # <- here
        a[0] = 1
    check(refused(k, AlloSyntaxError), AlloSyntaxError,
          "'k' is a df.kernel, which runs inside a df.region", "def")


def test_constexpr_without_value():
    def k(A: int32[4]):
        n: ConstExpr[int32]  # <- here
        A[0] = 1
    check(refused(k, AlloSyntaxError), AlloSyntaxError, "ConstExpr 'n' needs a value",
          "n: ConstExpr[int32]")
