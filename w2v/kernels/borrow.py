"""Arrays without a reference count, for the hot loops of the training kernels.

numba counts references to every array it passes around: each inlined helper that takes an array
copies it into a local and pairs an atomic increment of its ``meminfo`` with a decrement when the
local dies. LLVM's reference-count pruning removes most pairs but not those across the branches of
the per-pair code, and in skip-gram with hierarchical softmax ~30 atomic operations per (context,
centre) pair survived: ~40% of the CPU time of one worker, and with several threads all of them
hit the same few counters (those of ``syn0`` and ``syn1``), one cache line bouncing between cores.
Phrase counting (:mod:`w2v.kernels.phrases`) and the tokeniser spent about a third of their time
the same way.

:func:`borrowed` returns the same view with its ``meminfo`` set to NULL, on which numba's
``NRT_incref``/``NRT_decref`` return at once. It is safe where the caller holds the real array for
longer than the borrowed view lives: a kernel borrows its own arguments on entry, and the Python
caller keeps them alive until the kernel returns. Never return a borrowed array or store it where
it outlives the call, and never borrow an array the kernel allocates itself: numba frees a local
after its last use, which the borrowed view would outlive.
"""
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def borrowed(typingctx, array):
    """``array`` itself (same data, shape, strides) with no reference count: see the module docstring."""
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, value=args[0])
        ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
        return ary._getvalue()

    return array(array), codegen
