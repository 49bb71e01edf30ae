"""A cache prefetch hint for the compiled kernels.

Kernels that gather the rows of an area's neighbours wait on memory for the neighbours that
sit far from the area in the table's order. :func:`prefetch` asks the processor to start
loading a cache line a few areas ahead, so the line is there when the kernel reaches it. It
changes no result: on a machine without prefetch instructions LLVM emits nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["prefetch"]

#: ``llvm.prefetch`` arguments: a read, kept in every cache level, of data (not code).
_READ, _ALL_LEVELS, _DATA = 0, 3, 1


@intrinsic
def _prefetch(
    typingctx: Any,
    array: types.Array,
    row: types.Integer,
    column: types.Integer,
) -> tuple[Any, Any]:
    """Hint that ``array[row, column]`` (a 2-D array, in bounds) is about to be read."""
    signature = types.void(array, row, column)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array_value, row_value, column_value = args
        array_type = sig.args[0]
        pointer = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context,
            builder,
            array_type,
            context.make_array(array_type)(context, builder, array_value),
            [row_value, column_value],
            wraparound=False,
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


#: ``prefetch(array, row, column)`` in compiled code: hint that ``array[row, column]`` (a 2-D
#: array, in bounds) is about to be read.
prefetch = cast(Callable[[np.ndarray, int, int], None], _prefetch)
