"""Pieces of machine code numba's compiler does not write by itself, written in LLVM IR.

:func:`prefetch`
    A cache prefetch hint. Kernels that gather the rows of an area's neighbours wait on
    memory for the neighbours that sit far from the area in the table's order; asking the
    processor to load a cache line a few areas ahead has it there when the kernel arrives.
    It changes no result (on a machine without prefetch instructions LLVM emits nothing).

:func:`lane_sums`
    The eight running sums of numpy's pairwise summation on vector registers. numpy sums a
    run of terms in eight interleaved running sums (``pairwise_sum`` in
    ``numpy/_core/src/umath/loops_utils.h.src``), which its C compiler keeps in one vector
    register; numba's compiler leaves the same loop scalar. Each lane does the very additions
    of its running sum, in the same order, so the result has numpy's bits.

Both use IEEE arithmetic as written: no fast-math flags, so no reassociation or contraction.

:func:`float_bits` and :func:`trailing_zeros`
    A double's IEEE 754 bit pattern as a 64-bit integer, and the number of trailing zero
    bits of an integer (LLVM's ``cttz``: one or two instructions on x86-64 and ARM): what
    the exactness checks of the permutation counts read a value's exponent and lowest set
    mantissa bit from, without two library calls to ``frexp`` per value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["LANES", "float_bits", "lane_sums", "prefetch", "trailing_zeros"]

#: ``llvm.prefetch`` arguments: a read, kept in every cache level, of data (not code).
_READ, _ALL_LEVELS, _DATA = 0, 3, 1
#: numpy's pairwise summation keeps eight running sums; :func:`lane_sums` adds them as lanes.
LANES = 8
#: :func:`lane_sums`' modes (a literal integer): the terms x, x * x, (x - shift)**2 and
#: ((x - shift) * scale)**2.
_MODES = range(4)


def _element_pointer(
    context: Any, builder: Any, array_type: Any, array: Any, index: list[Any]
) -> Any:
    """A pointer to ``array[index]`` (in bounds, no negative indices)."""
    return cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
        context,
        builder,
        array_type,
        context.make_array(array_type)(context, builder, array),
        index,
        wraparound=False,
    )


@intrinsic
def _prefetch(
    typingctx: Any,
    array: types.Array,
    row: types.Integer,
    column: types.Integer,
) -> tuple[Any, Any]:
    signature = types.void(array, row, column)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array_value, row_value, column_value = args
        pointer = _element_pointer(
            context, builder, sig.args[0], array_value, [row_value, column_value]
        )
        byte_pointer = ir.IntType(8).as_pointer()
        word = ir.IntType(32)
        function = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, word, word, word]),
            "llvm.prefetch.p0i8",
        )
        builder.call(
            function,
            [builder.bitcast(pointer, byte_pointer), word(_READ), word(_ALL_LEVELS), word(_DATA)],
        )
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def _lane_sums(  # noqa: PLR0917 -- numba's intrinsic signature
    typingctx: Any,
    column: types.Array,
    first: types.Integer,
    runs: types.Integer,
    mode: types.IntegerLiteral,
    shift: types.Float,
    scale: types.Float,
) -> tuple[Any, Any] | None:
    if not isinstance(mode, types.IntegerLiteral) or mode.literal_value not in _MODES:
        return None  # numba then reports that no signature matches
    mode_value = mode.literal_value
    signature = types.float64(column, first, runs, mode, shift, scale)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        column_value, first_value, runs_value, _mode, shift_value, scale_value = args
        start = _element_pointer(context, builder, sig.args[0], column_value, [first_value])
        vector = ir.VectorType(ir.DoubleType(), LANES)
        index = ir.IntType(64)
        lane = ir.IntType(32)

        def splat(value: Any) -> Any:
            out = ir.Constant(vector, ir.Undefined)
            for position in range(LANES):
                out = builder.insert_element(out, value, lane(position))
            return out

        shift_lanes, scale_lanes = splat(shift_value), splat(scale_value)

        def term(x: Any) -> Any:
            if mode_value == 0:
                return x
            if mode_value == 1:
                return builder.fmul(x, x)
            deviation = builder.fsub(x, shift_lanes)
            if mode_value == 3:
                deviation = builder.fmul(deviation, scale_lanes)
            return builder.fmul(deviation, deviation)

        def run_terms(run: Any) -> Any:
            pointer = builder.gep(start, [builder.mul(run, index(LANES))])
            return term(builder.load(builder.bitcast(pointer, vector.as_pointer()), align=8))

        count = runs_value if runs_value.type == index else builder.sext(runs_value, index)
        sums = cgutils.alloca_once_value(builder, run_terms(index(0)))  # type: ignore[no-untyped-call]
        with cgutils.for_range_slice(builder, index(1), count, index(1), intp=index) as (run, _):
            builder.store(builder.fadd(builder.load(sums), run_terms(run)), sums)
        r = [
            builder.extract_element(builder.load(sums), lane(position)) for position in range(LANES)
        ]
        # numpy's closing order: ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        return builder.fadd(
            builder.fadd(builder.fadd(r[0], r[1]), builder.fadd(r[2], r[3])),
            builder.fadd(builder.fadd(r[4], r[5]), builder.fadd(r[6], r[7])),
        )

    return signature, codegen


#: ``prefetch(array, row, column)`` in compiled code: hint that ``array[row, column]`` (a 2-D
#: array, in bounds) is about to be read.
prefetch = cast(Callable[[np.ndarray, int, int], None], _prefetch)

#: ``lane_sums(column, first, runs, mode, shift, scale)`` in compiled code: the first
#: ``8 * runs`` terms from ``column[first]`` (``runs >= 1``, in bounds) summed as numpy's
#: pairwise summation sums a run of them: term ``first + 8k + l`` into running sum ``l``, then
#: the eight sums added pairwise. ``mode`` is a literal integer choosing the term: ``x``,
#: ``x * x``, ``(x - shift)**2`` or ``((x - shift) * scale)**2``.
lane_sums = cast(Callable[[np.ndarray, int, int, int, float, float], float], _lane_sums)


@intrinsic
def _float_bits(typingctx: Any, value: types.Float) -> tuple[Any, Any] | None:
    if value != types.float64:
        return None
    signature = types.int64(value)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return signature, codegen


@intrinsic
def _trailing_zeros(typingctx: Any, value: types.Integer) -> tuple[Any, Any] | None:
    if value != types.int64:
        return None
    signature = types.int64(value)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        word = ir.IntType(64)
        function = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module,
            ir.FunctionType(word, [word, ir.IntType(1)]),
            "llvm.cttz.i64",
        )
        # Defined for zero (64), so no input is undefined behaviour.
        return builder.call(function, [args[0], ir.IntType(1)(0)])

    return signature, codegen


#: ``float_bits(value)`` in compiled code: the bits of a float64 as an int64 (sign, 11
#: exponent bits, 52 mantissa bits), unchanged.
float_bits = cast(Callable[[float], int], _float_bits)

#: ``trailing_zeros(value)`` in compiled code: how many low bits of an int64 are zero (64 for
#: zero).
trailing_zeros = cast(Callable[[int], int], _trailing_zeros)
