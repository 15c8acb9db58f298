"""Shrunk kernels that once gave different results on RTL than on the interpreter, or crashed
the generator. Each runs on the interpreter and on all three simulators, and the hardware must
equal the interpreter bit for bit (results, their dtypes, updated arrays) in the predicted
number of cycles."""
import contextlib
import signal

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.types import (index, int1, int4, int7, int8, int9, int12, int16, int32, int64, uint1, uint3, uint4,
                            uint5, uint8, uint9, uint63)

from .helpers_diagnostics import line_of
from .helpers_rtl import assert_rtl_equals_interp

SIMULATORS = ["amaranth", "verilator", "icarus"]


# -- a loop counter's register is narrower than its type --------------------------------------

def counter_times_value(y: int32) -> int32[8]:
    R: int32[8] = 1
    for i in range(8):
        R[i] = i * y          # i >= 4 came out negative: the 3-bit counter was read as signed
    return R


def single_iteration_counter(y: int32) -> int32:
    t: int32 = y
    for i in range(1):
        t = i * t             # a 0-bit counter crashed the multiplier ("0-width signed value")
    return t


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_counter_times_signed_value(simulator):
    out = assert_rtl_equals_interp(counter_times_value, [10], simulator)
    assert out.tolist() == [10 * i for i in range(8)]
    assert assert_rtl_equals_interp(single_iteration_counter, [-7], simulator) == 0


# -- a scalar written in one branch only keeps its value when the other branch runs -----------

def else_only_write_in_loop(c: int32, v: int32) -> int32:
    t: int32 = v
    x: int32 = 0
    for i in range(2):
        if c > 0:
            x = 1
        else:
            t = 0
    return t + x


def else_only_write_to_parameter(c: int32, t: int32) -> int32:
    x: int32 = 0
    if c > 0:
        x = 1
    else:
        t = 0
    return t + x


def elif_taken(c: int32, t: int32) -> int32:
    x: int32 = 0
    if c > 5:
        x = 1
    elif c > 0:
        x = 2
    else:
        t = 0
    return t * 10 + x


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_write_in_the_branch_not_taken(simulator):
    assert assert_rtl_equals_interp(else_only_write_in_loop, [3, 5], simulator) == 6
    assert assert_rtl_equals_interp(else_only_write_in_loop, [-3, 5], simulator) == 0
    assert assert_rtl_equals_interp(else_only_write_to_parameter, [3, 5], simulator) == 6
    assert assert_rtl_equals_interp(elif_taken, [3, 5], simulator) == 52
    assert assert_rtl_equals_interp(elif_taken, [9, 5], simulator) == 51
    assert assert_rtl_equals_interp(elif_taken, [0, 5], simulator) == 0


# -- an overwritten store whose value read the array --------------------------------------------

def overwritten_store_of_a_quotient(x: int32) -> int32:
    L: int32[3] = 5
    L[0] = L[0] // x      # this store is dropped; its load then ordered nothing (listsched crash)
    L[0] = 1
    return L[0]


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_overwritten_store_after_a_dead_load(simulator):
    assert assert_rtl_equals_interp(overwritten_store_of_a_quotient, [2], simulator) == 1


# -- Allo's jacobi-2d schedule: reuse buffers inside a pipelined row loop ------------------------

N = 8


def stencil(A0: int32[N, N], B0: int32[N, N]):
    for i0, j0 in allo.grid(N - 2, N - 2, name="A"):
        B0[i0 + 1, j0 + 1] = (A0[i0, j0 + 1] + A0[i0 + 1, j0] + A0[i0 + 1, j0 + 1]
                              + A0[i0 + 1, j0 + 2] + A0[i0 + 2, j0 + 1])


def stencil_schedule():
    s = allo.customize(stencil)
    lb = s.reuse_at(s.A0, "i0")
    wb = s.reuse_at(lb, "j0")
    s.partition(lb, dim=0)
    s.partition(wb, dim=0)
    s.pipeline("i0")
    s.partition(s.B0, dim=2)
    return s


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_reuse_buffers_in_a_pipelined_row_loop(simulator):
    # the unrolled copies of j0 whose guard `j0 >= 2` is false addressed bank -1 of B0
    # (a crash in dfg.row_major): a constant guard now keeps one branch only
    A = np.random.default_rng(7).integers(-1000, 1000, (N, N)).astype(np.int32)
    B = np.zeros((N, N), np.int32)
    s = stencil_schedule()
    assert_rtl_equals_interp(s, [A, B], simulator)
    (row_loop,) = [line for line in str(s.report()).splitlines() if "stencil:i0" in line]
    assert " 8 " in row_loop and "II" in row_loop   # one pipeline initiation per row


def test_stencil_result_is_the_stencil():
    A = np.arange(N * N, dtype=np.int32).reshape(N, N)
    B = np.zeros((N, N), np.int32)
    stencil_schedule().build(target="rtl", simulator="amaranth")(A, B)
    want = A[:-2, 1:-1] + A[1:-1, :-2] + A[1:-1, 1:-1] + A[1:-1, 2:] + A[2:, 1:-1]
    assert np.array_equal(B[1:-1, 1:-1], want) and not B[0].any() and not B[:, 0].any()


# -- found by bench/fuzz.py -------------------------------------------------------------------------

TABLE = np.array([1, -2, 3, 4])


def returned_table() -> int16[4]:
    L: int16[4] = TABLE          # a constant table returned: the result interface came out zeros
    return L


def index_products(A: int8[6], a: index) -> int8:
    for i in range(6):
        A[i] = i * i             # index * index: the product signal was one bit wide
    B: int8[8] = 0
    B[(a * a) & 7] = 5
    return B[4]


def stored_index(a: uint63) -> index:
    x: index = a                 # an index variable holds 32 bits, as the hardware does
    y: index = -34359738368      # also when read back in the block that assigns it
    return x + 1 + y


def writes_through_call(A: int16[5], d: int4) -> int4:
    A[1] //= d
    return 0


def caller_of_call_expression(A: int16[5]) -> uint3:
    r: uint3 = writes_through_call(A, 8)   # a call inside an expression passes A too
    return r


def reads_nothing(A: int7[8]) -> uint8:
    return 0


def complete_local_through_call() -> int64:
    L: int7[8] = 0
    r: uint8 = reads_nothing(L)
    return r


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_fuzzer_findings(simulator):
    assert assert_rtl_equals_interp(returned_table, [], simulator).tolist() == [1, -2, 3, 4]
    A = np.zeros(6, np.int8)
    assert assert_rtl_equals_interp(index_products, [A, 6], simulator) == 5
    assert assert_rtl_equals_interp(stored_index, [8784090959215204627], simulator) == -222422764
    # a partition of the caller's array is the callee's layout too, also through a call
    # inside an expression (the callee wrote element 1 of bank 0 as element 4)
    s = allo.customize(caller_of_call_expression)
    s.partition(s.A, allo.Partition.Cyclic, dim=0, factor=4)
    assert_rtl_equals_interp(s, [np.array([32047, -2, -32768, -31683, 32767], np.int16)], simulator)
    s = allo.customize(complete_local_through_call)
    s.partition(s.L, allo.Partition.Complete, dim=0)
    assert_rtl_equals_interp(s, [], simulator)


def bump(A: int32[2], k: int32) -> int32:
    A[0] += k
    return A[0] * 2


def calls_in_python_order(A: int32[2], c: int32) -> int32:
    # a read before a call that writes the array sees the old value; a call in a conditional
    # expression or an and/or runs only when Python would run it
    x: int32 = bump(A, 1) if c > 0 else A[1]
    y: int32 = 1 if c > 5 or bump(A, 10) > 3 else 0
    z: int32 = A[0] + bump(A, 100) + A[0]
    A[A[0] & 1] = bump(A, 1000)
    return x * 1000 + y * 100 + z


def inverted_counter() -> int64:
    L: uint1[3, 3] = 0
    for i in range(8):
        L[2, min(max(~i, 0), 1)] = 1    # ~i of the 3-bit counter was 7 - i, not -i - 1
    return L[2, 1]


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_calls_keep_pythons_order_of_evaluation(simulator):
    for c in (0, 3, 7):
        assert_rtl_equals_interp(calls_in_python_order, [np.array([1, 5], np.int32), c], simulator)
    assert assert_rtl_equals_interp(inverted_counter, [], simulator) == 0


def incremented(A: int64[6, 2]) -> int64[6, 2]:
    L: int64[6, 2]
    for i, j in allo.grid(6, 2):
        L[i, j] = A[i, j] + 1
    return L


def twice_incremented(A: int64[6, 2]) -> int64:
    B = incremented(A)
    C = incremented(B)
    return C[5, 1]


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_callees_partitioned_result_has_the_callers_layout(simulator):
    # the partition of A reaches the callee's result through B: the callee's result interface
    # was one memory while the caller bound it bank by bank (AttributeError in the controller)
    s = allo.customize(twice_incremented)
    s.partition(s.A, allo.Partition.Block, dim=2, factor=2)
    A = np.arange(12, dtype=np.int64).reshape(6, 2)
    assert assert_rtl_equals_interp(s, [A], simulator) == 13


def row_differences(A: uint5[5, 7]) -> int12[4, 6]:
    L: int12[4, 6] = -1
    for i, j in allo.grid(4, 6):
        L[i, j] = A[i + 1, j + 1] - A[i, j + 1]
    return L


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_register_read_is_not_moved_past_the_write_after_it(simulator):
    # the pipelined body shifts a line buffer in registers: the read of line 1 (for line 0)
    # was moved to its user's cycle, after line 1 had been overwritten (found by bench/fuzz.py)
    s = allo.customize(row_differences)
    lb = s.reuse_at(s.A, "i")
    s.reuse_at(lb, "j")
    s.split("i", 4)
    s.pipeline("i.outer", initiation_interval=2)
    A = np.random.default_rng(5).integers(0, 32, (5, 7)).astype(np.uint8)
    want = (A[1:, 1:].astype(np.int64) - A[:-1, 1:]) % 64    # uint5 - uint5 is a uint6
    assert np.array_equal(assert_rtl_equals_interp(s, [A], simulator), want)


def banks_chosen_at_run_time(A: int32[4], B: int32[8]) -> int32:
    s: int32 = 0
    for i in range(8):
        x: int32 = A[0]
        A[1] = x
        s += A[B[i] & 3]
    return s


@contextlib.contextmanager
def finishes_within(seconds: int):
    def too_slow(*_):
        raise AssertionError(f"not finished after {seconds} s")
    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_an_access_to_banks_chosen_at_run_time_finds_a_slot_free_on_all(simulator):
    # With one port per bank, A[0] took bank 0 in slot 0 and A[1] bank 1 in slot 1 at II 2:
    # the access whose bank is chosen at run time needs both banks in one slot, and none had
    # both free. The scheduler looked for one forever (found by bench/fuzz.py as a timeout),
    # then raised the II to 3. Interfaces have a read and a write port now: the write of A[1]
    # leaves the read ports free, and II 2 holds
    s = allo.customize(banks_chosen_at_run_time)
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=2)
    s.pipeline("i")
    with finishes_within(60):
        r = s.report().loop("i")
    assert r.ii == 2 and "2 accesses per iteration to A bank 0" in r.cause
    A = np.array([3, 5, 7, 11], dtype=np.int32)
    B = np.arange(8, dtype=np.int32) * 3
    assert assert_rtl_equals_interp(s, [A, B], simulator) == 2 * (3 + 11 + 7 + 3)   # A[1] is A[0] by then


# -- a long if/else padding is a counter, not one state per cycle -----------------------------

def long_and_short_branch(c: int32, A: int32[32]) -> int32:
    s: int32 = 0
    if c > 0:
        for i in range(32):
            s += A[i] // c    # a divider per iteration: the branch takes hundreds of cycles
    else:
        s = 5                 # padded to the same length: it took one state per cycle (8 MB of
    return s                  # Verilog for a fuzz kernel, which Verilator did not finish)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_long_padding_counts_its_cycles_in_one_state(simulator):
    s = allo.customize(long_and_short_branch)
    report = s.report()
    (top,) = [f for f in report.functions if f.name == "long_and_short_branch"]
    assert top.states < 100, top.states    # 1100 and more: one state per cycle of the padding
    A = np.arange(32, dtype=np.int32) * 7
    assert assert_rtl_equals_interp(s, [0, A], simulator) == 5
    assert assert_rtl_equals_interp(s, [3, A], simulator) == int((A // 3).sum())


# -- a pipelined loop whose counter the body never reads still repeats the word it updates ----

TABLE_3X3 = np.array([0, 443, 6, 0, 0, 3, 1, 6, 1]).reshape((3, 3))


def unread_counter_accumulates(A: uint4[4], a: int64) -> uint9[3, 3]:
    L: uint9[3, 3] = TABLE_3X3
    for i, j in allo.grid(1, 3, name="mm"):
        for k in allo.reduction(2):          # k is not read: both iterations update L[i, j]
            L[i, j] += a * min(A[2], j, a)   # the 64-bit product makes the update 8 cycles long
    return L


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_pipelined_loop_whose_counter_is_unread_keeps_its_recurrence(simulator):
    s = allo.customize(unread_counter_accumulates)
    s.pipeline("k")
    (loop,) = [l for l in s.report().loops if l.name == "k"]
    assert loop.ii == 2 and "recurrence through array L" in loop.cause   # was II 1: lost updates
    A = np.array([0, 14, 1, 5], dtype=np.uint8)
    out = assert_rtl_equals_interp(s, [A, 319292359126013045], simulator)
    assert out.tolist() == [[0, 165, 240], [0, 0, 3], [1, 6, 1]]


# -- a reversed index is a 32-bit signed value ------------------------------------------------

def reversed_counter_divided(a: int12[2]) -> int32[6]:
    R: int32[6] = 0
    for i in range(6):
        R[i] = i.reverse() / (a[0] | 1)   # 1.reverse() is -2**31; the interpreter had +2**31
    return R


def reversed_counter_compared(a: int12[2]) -> int32[6]:
    R: int32[6] = 0
    for i in range(6):
        R[i] = (i.reverse() < i) + 2 * (min(i.reverse(), a[0]) == a[0])   # RTL had it unsigned
    return R


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("unrolled", [False, True])
def test_a_reversed_index_is_signed(simulator, unrolled):
    s = allo.customize(reversed_counter_divided)
    if unrolled:
        s.unroll("i")
    out = assert_rtl_equals_interp(s, [np.array([-3, 0], dtype=np.int16)], simulator)
    assert out.tolist() == [0, 715827882, -357913941, 357913941, -178956970, 536870912]
    out = assert_rtl_equals_interp(reversed_counter_compared, [np.array([-3, 0], dtype=np.int16)],
                                   simulator)
    # 1, 3 and 5 reversed have bit 31 set: below both i and -3
    assert out.tolist() == [2, 1, 2, 1, 2, 1]


# -- a cast from unsigned to signed of the same width changes the value ------------------------

def unsigned_bit_as_signed(u: uint1[2], a: int9[4]) -> int9[4]:
    R: int9[4] = 0
    for i in range(2):
        v: int1 = u[i]            # 1 is -1 as an int1; the multiplier took it unsigned
        R[i] = v * a[i]
        R[i + 2] = int8(a[i + 2]) * uint8(a[i])
    return R


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_same_width_cast_to_signed_is_not_a_widening(simulator):
    u, a = np.array([1, 0], dtype=np.uint8), np.array([5, -92, 57, 3], dtype=np.int16)
    out = assert_rtl_equals_interp(unsigned_bit_as_signed, [u, a], simulator)
    assert out[:2].tolist() == [-5, 0]


# -- a dataflow region passed variables: the kernels got the registers' old values -----------
def scale_by(A: int32[4], B: int32[4], n: int32):
    for i in range(4):
        B[i] = A[i] * n


def shift_by(A: int32[4], C: int32[4], n: int32):
    for i in range(4):
        C[i] = A[i] + n


def fork_with_scalar(A: int32[4], B: int32[4], C: int32[4], n: int32):
    scale_by(A, B, n)
    shift_by(A, C, n)


def test_region_opening_a_function_passes_the_parameters_it_was_called_with():
    # the region started in the cycle the function did, before its parameter registers
    # were loaded: the kernels took 0 for n
    s = allo.customize(fork_with_scalar)
    s.dataflow("fork_with_scalar")
    A = np.arange(4, dtype=np.int32) - 1
    want = assert_rtl_equals_interp(s, [A, np.zeros_like(A), np.zeros_like(A), 3])
    assert want is None


def rows_in_a_loop(A: int32[3, 4], S: int32[3, 4]):
    T: int32[4]
    for k in range(3):
        for i in range(4):
            for j in range(4):
                T[j] = A[k, j] + i
            for j2 in range(4):
                S[k, j2] += T[j2]


def test_region_in_a_loop_passes_the_counter_of_the_iteration():
    # the region started in the cycle the counter was incremented: every run but the first
    # got the previous iteration's k
    s = allo.customize(rows_in_a_loop)
    s.dataflow("i")
    A = np.arange(12, dtype=np.int32).reshape(3, 4)
    S = np.zeros((3, 4), dtype=np.int32)
    assert_rtl_equals_interp(s, [A, S])
    s.build()(A, S)
    assert np.array_equal(S, 4 * A + 6)


# -- a caller's local named like a library module's global broke the library kernel -----------
def test_library_kernel_reads_its_own_module_not_the_callers_locals():
    # a loop variable `df` in the script that called customize() hid the library's
    # `import allo_rtl.dataflow as df`, so systolic_tile's @df.region was not recognised
    from allo_rtl.library.systolic import systolic
    from allo_rtl.types import int8

    def gemm(A: int8[2, 2], B: int8[2, 2], C: int32[2, 2]):
        systolic[int8, int8, int32, 2, 2, 2, 2, 2](A, B, C)
    for df in (False, True):
        s = allo.customize(gemm)
        A = np.array([[1, -2], [3, 4]], dtype=np.int8)
        C = np.zeros((2, 2), dtype=np.int32)
        s.build()(A, A, C)
        assert np.array_equal(C, A.astype(np.int32) @ A.astype(np.int32)), df
