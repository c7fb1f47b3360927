"""Token lists to ids through the byte tokeniser: the same ids and words as a dict lookup per token,
whatever the tokens hold (spaces, empty strings, Unicode whitespace, no UTF-8 form)."""
from __future__ import annotations

import lzma

import pytest

import w2v
from w2v.token_lists import MIN_JOINED_TOKENS, TokenListIds, looked_up_ids
from w2v.word_index import WordIndex


@pytest.fixture(scope="module")
def words():
    with lzma.open(w2v.sample_corpus_path(), "rt", encoding="utf-8") as f:
        return f.read(400_000).split()[:50_000]


def batches_of(words, size):
    return [words[i:i + size] for i in range(0, len(words), size)]


def assert_same_as_lookups(batches):
    """Each batch's ids, and the index's words after each, equal a dict lookup per token."""
    joined_index, looked_index = WordIndex(), WordIndex()
    ids_of = TokenListIds(joined_index)
    for batch in batches:
        assert ids_of(batch).tolist() == looked_up_ids(looked_index, batch).tolist()
        assert joined_index.words == looked_index.words
        assert dict(joined_index) == dict(looked_index)


def test_batches_of_real_text_give_the_lookups_ids_and_first_seen_order(words):
    batches = batches_of(words, 2 * MIN_JOINED_TOKENS)
    assert len(batches) > 3
    assert_same_as_lookups(batches)


def test_an_index_that_knew_words_before_gives_them_their_own_ids(words):
    index, reference = WordIndex(words[:5000:3]), WordIndex(words[:5000:3])
    ids_of = TokenListIds(index)
    for batch in batches_of(words[:30_000], 10_000):
        assert ids_of(batch).tolist() == looked_up_ids(reference, batch).tolist()
    assert index.words == reference.words


@pytest.mark.parametrize("odd", ["new york", "", " lead", "trail ", "no\u00a0break", "\u3000", "line\nend",
                                 "tab\there", "caf\u00e9", "\ud800", "x" * 300, "\x1f"],
                         ids=["space", "empty", "leading", "trailing", "nbsp", "ideographic", "newline", "tab",
                              "accent", "surrogate", "long", "unit-separator"])
def test_a_token_the_join_would_change_gives_the_lookups_ids(words, odd):
    """Tokens the tokeniser would split or drop (or could not encode) take the dict path, and the
    batches after one of them still give the same ids."""
    first = words[:MIN_JOINED_TOKENS + 10]
    odd_batch = words[5000:5000 + MIN_JOINED_TOKENS] + [odd, odd] + words[100:120]
    assert_same_as_lookups([first, odd_batch, words[9000:9000 + 2 * MIN_JOINED_TOKENS]])


def test_a_token_that_is_not_a_str_is_an_error_naming_it(words):
    batch = words[:MIN_JOINED_TOKENS] + [7] + words[:10]
    with pytest.raises(TypeError, match="found int 7"):
        TokenListIds(WordIndex())(batch)


def test_phrases_on_odd_tokens_equal_gensims(words):
    """Phrases learned from and applied to lists holding tokens with spaces and empty tokens
    (legal in gensim's token lists) equal gensim's."""
    gensim_phrases = pytest.importorskip("gensim.models.phrases")
    sentences = batches_of(words, 500)
    for k in range(0, len(sentences), 7):
        sentences[k] = sentences[k][:100] + ["new york", "", "new york", "city"] + sentences[k][100:]
    ours, theirs = w2v.Phrases(sentences, min_count=3), gensim_phrases.Phrases(sentences, min_count=3)
    assert ours.export_phrases() == theirs.export_phrases()
    assert list(ours.freeze()[sentences]) == list(theirs.freeze()[sentences])


def test_tokens_of_any_hashable_type_where_the_index_takes_them(words):
    """A training corpus's tokens may be ints (graph walks' node ids) or mixed: the dict path."""
    mixed = list(range(3000)) + words[:MIN_JOINED_TOKENS] + [("tuple", 1), 2.5] + list(range(10))
    joined_index, looked_index = WordIndex(str_only=False), WordIndex(str_only=False)
    assert TokenListIds(joined_index)(mixed).tolist() == looked_up_ids(looked_index, mixed).tolist()
    assert joined_index.words == looked_index.words
    with pytest.raises(TypeError, match="found list"):
        TokenListIds(WordIndex(str_only=False))(words[:MIN_JOINED_TOKENS] + [["unhashable"]])


def test_a_short_list_is_looked_up_without_building_a_tokeniser(words):
    """A sentence at a time (``phrases[sentence]``) must not pay for the tokeniser's tables."""
    ids_of = TokenListIds(WordIndex())
    assert ids_of(words[:50]).tolist() == looked_up_ids(WordIndex(), words[:50]).tolist()
    assert ids_of.tokenizer is None
    ids_of(words[:MIN_JOINED_TOKENS])
    assert ids_of.tokenizer is not None
