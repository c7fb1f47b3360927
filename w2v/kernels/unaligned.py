"""Unaligned 8-byte loads and stores in a byte array (numba has no way to read or write a uint64
at any byte offset).

The text writers (:func:`w2v.kernels.phrases.write_phrased`) copy words 8 bytes at a time from
zero-padded chunks: a word of up to 8 bytes is one store, whatever its position in the output,
where shifting bytes into an aligned accumulator cost a few branches per byte. The tokeniser
(:mod:`w2v.tokenize`) reads text 8 bytes at a time the same way, to find where a word ends.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_I64P = ir.IntType(64).as_pointer()


def item_pointer(context, builder, sig, args):
    """The address of ``array[index]`` for an intrinsic whose first two arguments are a 1-D array
    and an integer index (no bounds check: the caller guarantees it)."""
    array_t, index_t = sig.args[:2]
    ary = context.make_array(array_t)(context, builder, args[0])
    i = context.cast(builder, args[1], index_t, types.intp)
    return cgutils.get_item_pointer(context, builder, array_t, ary, [i])


@intrinsic
def store_u64(typingctx, array, index, value):
    """``array[index:index + 8] = value`` in the machine's byte order (little-endian on every
    platform numba runs on, the order :func:`w2v.kernels.phrases.pad_words8` packs bytes in);
    ``array`` is a 1-D uint8 array and the caller guarantees the 8 bytes are inside it. One
    unaligned store (x86-64 and ARM64 allow them)."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and array.dtype == types.uint8
            and isinstance(index, types.Integer) and value == types.uint64):
        return None

    def codegen(context, builder, sig, args):
        ptr = item_pointer(context, builder, sig, args)
        store = builder.store(args[2], builder.bitcast(ptr, _I64P))
        store.align = 1
        return context.get_dummy_value()

    return types.void(array, index, value), codegen


@intrinsic
def load_u64(typingctx, array, index):
    """``array[index:index + 8]`` as a uint64 in the machine's byte order (little-endian on every
    platform numba runs on: byte ``index`` is the lowest); ``array`` is a 1-D uint8 array and
    the caller guarantees the 8 bytes are inside it. One unaligned load."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and array.dtype == types.uint8
            and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        ptr = item_pointer(context, builder, sig, args)
        load = builder.load(builder.bitcast(ptr, _I64P))
        load.align = 1
        return load

    return types.uint64(array, index), codegen
