"""Token lists (gensim's in-memory corpus: lists of str) as ids of a :class:`~w2v.word_index.WordIndex`.

A dict lookup per token is most of the time ``Phrases(sentences)`` and ``frozen[sentences]`` take
on lists: each token is a separate str object to hash and compare. Joined by spaces into one
UTF-8 buffer, the same tokens go through the byte tokeniser the file path uses (numba, a recent-
words cache, one hash table probe per rare word), and only the distinct words meet the dict.

The join is exact, or not used: the tokeniser's tokens are the input's when it found as many
tokens as were joined (no token was empty) and their bytes add up to the buffer less the
separators put between them (no token held whitespace, which the tokeniser would have split at).
Anything else (an empty token, a token with a space in it, a token that is not a str, such as a
graph walk's int node id, or one with no UTF-8 form) takes the dict path, which gives the same ids
or names the bad token.
"""
from __future__ import annotations

import numpy as np

from . import corpus as corpus_mod
from . import tokenize
from .file_blocks import StreamingTokenizer, index_lookup
from .kernels import phrases as K
from .word_index import WordIndex

#: fewer tokens than this go straight to the dict: the tokeniser's tables cost more to set up
MIN_JOINED_TOKENS = 1 << 12
#: the tokeniser never ends a sentence by length here: a token list is one buffer of tokens
_NO_SENTENCE_LIMIT = 1 << 62


def token_ids(index: WordIndex, tokens: list) -> np.ndarray:
    """int32 ids in ``index`` of the str ``tokens``, new words added in first-seen order (as a
    lookup of each token in turn adds them)."""
    return TokenListIds(index)(tokens)


def looked_up_ids(index: WordIndex, tokens: list) -> np.ndarray:
    """:func:`token_ids` by one dict lookup per token; a token that is not a str is an error naming it."""
    try:
        return np.fromiter(map(index.__getitem__, tokens), np.int32, count=len(tokens))
    except TypeError:
        bad = next((t for t in tokens if not _valid_token(t, index.str_only)), None)
        if bad is None:
            raise
        raise corpus_mod.bad_token(bad) from None


def _valid_token(token, str_only: bool) -> bool:
    if isinstance(token, str):
        return True
    if str_only:
        return False
    try:
        hash(token)
    except TypeError:
        return False
    return True


class TokenListIds:
    """:func:`token_ids` for one batch of tokens after another (the blocks of a corpus): the
    tokeniser's table is kept between batches, so each distinct word meets ``index``'s dict once
    per pass, not once per batch."""

    def __init__(self, index: WordIndex):
        self.index = index
        self.tokenizer = None   # made by the first batch large enough to take the join
        self.known = 0          # tokeniser ids below this have joined the index
        self.lookup = None      # tokeniser id -> index id, None while they are the same

    def __call__(self, tokens: list) -> np.ndarray:
        ids = self._joined(tokens) if len(tokens) >= MIN_JOINED_TOKENS else None
        return looked_up_ids(self.index, tokens) if ids is None else ids

    def _start_table(self) -> None:
        self.tokenizer = StreamingTokenizer(_NO_SENTENCE_LIMIT)
        self.known, self.lookup = 0, None

    def _joined(self, tokens: list) -> np.ndarray | None:
        """The ids through the byte tokeniser, or None where the join would not give back exactly
        ``tokens`` (see the module's docstring; the table is then started afresh)."""
        try:
            text = " ".join(tokens).encode("utf-8")
        except (TypeError, UnicodeEncodeError):
            return None
        if self.tokenizer is None:
            self._start_table()
        tok = self.tokenizer
        tok.feed(text)
        tok.end_document()
        ids, _ = tok.take(keep_open=False)
        if len(ids) != len(tokens) or int(tok.lengths[ids].sum(dtype=np.int64)) != len(text) - (len(tokens) - 1):
            self.tokenizer = None   # its table holds the split tokens: the next join starts afresh
            return None
        n_words = int(tok.state[tokenize.WORDS])
        new_words = tok.new_words(self.known) if n_words > self.known else []
        self.lookup = index_lookup(self.index, new_words, self.known, self.lookup)
        self.known = n_words
        if self.lookup is not None:
            K.remap_ids(self.lookup, ids)
        return ids
