"""Numba kernels for phrase detection: n-gram counting, pruning, and applying phrases over word ids.

gensim's ``Phrases`` keeps one dict of strings (unigrams and delimiter-joined bigrams) and makes a
Python call per token. Here the same counts live in one open-addressing hash table keyed by
*id sequences*: a unigram is the key ``(a,)``, a bigram with connector words in between is
``(a, c1, ..., ck, b)``. The table never holds a Python object, and gensim's memory bound (prune
every entry rarer than ``min_reduce`` when the table outgrows ``max_vocab_size``) is applied to
the same entries in the same order.

Table layout (all numpy arrays, owned by :class:`w2v.ngrams.NgramTable`), 16 bytes per entry plus
4 per slot (about 25 bytes per entry at the peak; gensim's dict of strings takes ~100):

* ``entries`` int64[cap, 2]: (key, count) in first-seen order. A key of one or two ids *is* the
  number ``(a + 1) << 32 | (b + 1)`` (``b + 1`` = 0 for a unigram), so the common keys need no
  other storage. A longer key is negative: the sign bit, 23 bits of its FNV hash (bits 40-62)
  and where it starts in ``arena`` (bits 0-39);
* ``arena`` int32: the longer keys only, each as its length followed by its ids;
* ``slots`` int32[2^k]: -1, or an entry index (below the mask: there are more slots than
  entries) or-ed with a fingerprint of its key's hash in the bits above (:func:`_fingerprint`),
  open addressing with linear probing, load <= 0.7. A probe reads an entry only when the
  fingerprint matches, so the slots it passes over cost no cache miss into ``entries``;
* ``state`` int64: [entries, arena used, min_reduce, corpus words, prunes].

Kernels that may add entries stop *before* a sentence that could overflow the arrays and return
its index; the Python side grows the arrays and calls again. Pure numpy/Python references for
tests are in :mod:`w2v.kernels.phrases_reference`.

One module per step: :mod:`.table` (keys, lookup, insertion, pruning), :mod:`.counting`,
:mod:`.scoring`, :mod:`.applying`, :mod:`.word2phrase` (word2phrase.c's decision) and
:mod:`.writing` (phrased text); their public names are all importable from here.
"""
from .table import (  # noqa: F401
    ARENA_USED, FILL_AHEAD, LOW32, MIN_REDUCE, MIX, N_ENTRIES, PRUNES, WORDS, add_entries, add_flat, add_key,
    fill_slots, flat_keys, home_slot, key_length, key_part, lookup, prune, span_key,
)
from .counting import (  # noqa: F401
    ENTRY_AHEAD, SLOT_AHEAD, add_unigrams, count_ngrams, count_pairs_stream, flush_pairs, flush_unigrams,
    merge_tables,
)
from .scoring import score_ngrams, word_counts  # noqa: F401
from .applying import (  # noqa: F401
    CONNECTOR, ONE_PART, STARTS, apply_phrases, apply_positions, codes_to_ids, pair_filter, pair_filter_bits,
    phrase_starts, remap_ids, word_flags,
)
from .word2phrase import word2phrase_joins, word2phrase_pairs  # noqa: F401
from .writing import pad_words8, write_phrased, write_word2phrase  # noqa: F401
