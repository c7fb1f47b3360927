"""gensim 4's Word2Vec surface over w2v's own parts: attribute names, leftovers and loaders.

Nothing here holds state of its own. The hyper-parameters live in the model's one
:class:`~w2v.params.TrainParams`; ``model.window``, ``model.alpha``, ... read and write through to
it (a write checks the value at once; checks that involve two settings, such as
``min_alpha <= alpha``, run when training starts). The methods are gensim's, computed from the
model's tables: ``predict_output_word``, ``score`` (hierarchical softmax log-probabilities),
``estimate_memory``, ``reset_from``, ``build_vocab_from_freq``, ``get_latest_training_loss``.
"""
from __future__ import annotations

import difflib
import logging
import os

import numpy as np

from .params import TrainParams
from .vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP  # noqa: F401 (re-exported: w2v.RULE_*)

logger = logging.getLogger("w2v")

#: gensim attributes that read and write ``model.params``
PARAM_ATTRIBUTES = ("vector_size", "window", "min_count", "sg", "hs", "negative", "ns_exponent", "cbow_mean",
                    "sample", "alpha", "min_alpha", "epochs", "workers", "seed", "max_vocab_size",
                    "max_final_vocab", "shrink_windows", "compute_loss", "batch_words", "null_word",
                    "sorted_vocab", "kernel", "progress", "max_sentence_length", "errors")
#: TrainParams fields that are w2v's own (keyword-only in ``Word2Vec(...)``)
W2V_PARAMS = ("kernel", "progress", "max_sentence_length", "errors")
GENSIM_NAMES = ("sentences", "corpus_iterable", "corpus_file", "vector_size", "alpha", "window", "min_count",
                "max_vocab_size", "sample", "seed", "workers", "min_alpha", "sg", "hs", "negative",
                "ns_exponent", "cbow_mean", "hashfxn", "epochs", "null_word", "trim_rule", "sorted_vocab",
                "batch_words", "compute_loss", "callbacks", "comment", "max_final_vocab", "shrink_windows",
                "total_examples", "total_words", "start_alpha", "end_alpha", "word_count", "queue_factor",
                "report_delay", "update", "progress_per", "keep_raw_vocab")
#: names gensim 3 used (and ``corpus_iterable``, train()'s name for the constructor's ``sentences``)
GENSIM3_NAMES = {"size": "vector_size", "iter": "epochs", "corpus_iterable": "sentences"}
#: gensim's domain for its cumulative negative-sampling table (``model.cum_table``)
CUM_TABLE_DOMAIN = 2**31 - 1
MAX_EXP = 6.0


def unknown_parameter(name: str, known) -> TypeError:
    """TypeError naming an unknown keyword and the nearest known (gensim or w2v) name."""
    close = difflib.get_close_matches(name, [k for k in known if k != name], n=1, cutoff=0.6)
    if name in GENSIM3_NAMES:
        close = [GENSIM3_NAMES[name]]
    hint = f"; did you mean {close[0]!r}?" if close else "; see help(w2v.Word2Vec) and help(w2v.TrainParams)"
    return TypeError(f"unknown parameter {name!r}{hint}")


def check_train_call(total_examples, total_words, epochs) -> None:
    """gensim's rule for an explicit ``train()`` call: a corpus size and an epoch count, with gensim's
    own messages (people search for them)."""
    if total_examples is None and total_words is None:
        raise ValueError("You must specify either total_examples or total_words, for proper learning-rate "
                         "and progress calculations. If you've just built the vocabulary using the same "
                         "corpus, using the count cached in the model is sufficient: "
                         "total_examples=model.corpus_count.")
    if epochs is None or isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"You must specify an explicit epochs count (a positive int, got {epochs!r}). "
                         "The usual value is epochs=model.epochs.")


def split_options(options: dict, extras: tuple, params: bool = True) -> tuple[dict, dict]:
    """Keyword-only w2v options -> (TrainParams fields, other known extras); TypeError otherwise."""
    own = W2V_PARAMS if params else ()
    for name in options:
        if name not in own and name not in extras:
            raise unknown_parameter(name, GENSIM_NAMES + own + extras)
    return ({k: v for k, v in options.items() if k in own},
            {k: v for k, v in options.items() if k in extras})


class class_only:  # noqa: N801 (a decorator, named like classmethod)
    """A classmethod that refuses to run on an instance (gensim: ``model.load`` is an error).

    ``model = Word2Vec(); model = model.load(path)`` reads as if it loaded into ``model``; gensim
    raises AttributeError for it, and so does w2v.
    """

    def __init__(self, func):
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj, cls=None):
        if obj is not None:
            raise AttributeError(f"{self.func.__name__}() is a class method: call "
                                 f"{type(obj).__name__}.{self.func.__name__}(path), which returns the model")
        return self.func.__get__(cls, type(cls))


def _param_property(name: str) -> property:
    def get(self):
        return getattr(self.params, name)

    def set(self, value):
        params = self.params
        if name == "seed" and value is None:
            from .params import draw_seed
            value = draw_seed()
        old = getattr(params, name)
        setattr(params, name, value)
        try:
            params.validate_field(name)
        except (TypeError, ValueError):
            setattr(params, name, old)
            raise
        if isinstance(value, np.generic):
            setattr(params, name, value.item())

    return property(get, set, doc=f"``params.{name}`` (gensim's attribute; reads and writes the one setting)")


class GensimModelMixin:
    """gensim's attributes and helper methods for :class:`w2v.Word2Vec` (see the module docstring)."""

    @property
    def layer1_size(self) -> int:
        return self.params.vector_size

    @property
    def running_training_loss(self) -> float:
        """Loss summed over the epochs of the latest ``train`` call (needs ``compute_loss=True``)."""
        return float(self._loss_base + sum(self.loss_history[self._loss_mark:]))

    @running_training_loss.setter
    def running_training_loss(self, value: float) -> None:
        self._loss_base, self._loss_mark = float(value), len(self.loss_history)

    def get_latest_training_loss(self) -> float:
        """gensim's: the loss of the latest ``train`` call so far (0.0 unless ``compute_loss``)."""
        return self.running_training_loss

    @property
    def raw_vocab(self) -> dict:
        """word -> count of the last scan (empty once build_vocab is done, unless keep_raw_vocab)."""
        scan = self._scan
        return {} if scan is None else dict(zip(scan.words, scan.counts.tolist()))

    @property
    def cum_table(self):
        """gensim's cumulative ``count**ns_exponent`` table (uint32); w2v draws from an alias table."""
        if not self.params.negative or self.vocab is None:
            return None
        weights = np.cumsum(self.vocab.counts.astype(np.float64) ** float(self.params.ns_exponent))
        if not len(weights):
            return np.zeros(0, np.uint32)
        return np.round(weights / weights[-1] * CUM_TABLE_DOMAIN).astype(np.uint32)

    def __str__(self) -> str:
        return f"{type(self).__name__}<vocab={len(self.wv)}, vector_size={self.vector_size}, alpha={self.alpha}>"

    # ---- vocabulary -----------------------------------------------------------------------------

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None, trim_rule=None,
                              update=False):
        """Build (or with ``update``, grow) the vocabulary from a ``{word: count}`` mapping; no corpus."""
        words = list(word_freq)
        counts = np.fromiter((int(word_freq[w]) for w in words), dtype=np.int64, count=len(words))
        if (counts < 0).any():
            raise ValueError("build_vocab_from_freq: counts must be >= 0")
        if update and self.vocab is None:
            raise RuntimeError("build_vocab_from_freq(update=True) needs a vocabulary first")
        self._set_scan_counts(words, counts, corpus_count or 0)
        self.corpus_count = corpus_count or 0
        self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)

    def estimate_memory(self, vocab_size=None, report=None) -> dict:
        """gensim's estimate, in bytes, of what the vocabulary and tables take (same formula)."""
        vocab_size = vocab_size or len(self.wv)
        report = report or {}
        item = np.dtype(np.float32).itemsize
        report["vocab"] = vocab_size * (700 if self.hs else 500)
        report["vectors"] = vocab_size * self.vector_size * item
        if self.hs:
            report["syn1"] = vocab_size * self.layer1_size * item
        if self.negative:
            report["syn1neg"] = vocab_size * self.layer1_size * item
        report["total"] = sum(report.values())
        return report

    def reset_from(self, other_model) -> None:
        """Share ``other_model``'s vocabulary and corpus size, with freshly initialised tables."""
        if other_model.vocab is None:
            raise ValueError("reset_from: the other model has no vocabulary")
        self.corpus_count = other_model.corpus_count
        self.corpus_total_words = other_model.corpus_total_words
        self.adopt_vocabulary(other_model.vocab)

    def init_sims(self, replace=False) -> None:
        """gensim 3's leftover: norms are computed when needed; ``replace=True`` unit-normalises
        the vectors in place (their lengths are lost)."""
        if replace:
            from .vectors import unit_rows

            unit_rows(self.wv.vectors, out=self.wv.vectors)  # block by block: no float64 copy of the table
            self.wv.reset_norms()

    # ---- using the output layer -------------------------------------------------------------------

    def _index(self, word):
        try:
            return self.wv.get_index(word)
        except (KeyError, TypeError):
            return None

    def predict_output_word(self, context_words_list, topn=10):
        """Probability of each centre word given the context words (gensim's softmax over ``syn1neg``).

        Context words may be words or row indices. Returns ``topn`` (word, probability) pairs, or
        None if no context word is known. Needs negative sampling, as in gensim.
        """
        if not self.negative:
            raise RuntimeError("We have currently only implemented predict_output_word for the negative "
                               "sampling scheme, so you need to have run word2vec with negative > 0 for this to work.")
        if self.vocab is None or self.syn1neg.shape[0] != len(self.wv) or len(self.wv) == 0:
            raise RuntimeError("Parameters required for predicting the output words not found.")
        rows = [i for i in map(self._index, context_words_list) if i is not None]
        if not rows:
            logger.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        l1 = np.sum(self.wv.vectors[rows], axis=0)
        if self.cbow_mean:
            l1 /= len(rows)
        scores = self.syn1neg @ l1
        prob = np.exp(scores - scores.max())  # softmax, shifted so exp cannot overflow
        prob /= prob.sum()
        top = np.argsort(-prob, kind="stable")[:topn]
        return [(self.wv.index_to_key[i], prob[i]) for i in top]

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2, report_delay=1):
        """Log-probability of each sentence under the model (hierarchical softmax, gensim's definition).

        gensim's score: for every in-vocabulary word, the log-probability of its Huffman path given
        each word of the full window (skip-gram) or their mean/sum (CBOW); pairs whose score is
        saturated (|f| >= 6) are skipped. w2v uses exact ``log(sigmoid)`` where gensim reads a
        table. ``chunksize``, ``queue_factor`` and ``report_delay`` have no effect. Returns a
        float32 array, one score per sentence (at most ``total_sentences``).
        """
        if self.vocab is None or not len(self.wv):
            raise RuntimeError("you must first build vocabulary before scoring new data")
        if not self.hs:
            raise RuntimeError("We have currently only implemented score for the hierarchical softmax scheme, "
                               "so you need to have run word2vec with hs=1 and negative=0 for this to work.")
        codes, points, lengths = self.vocab.huffman()
        index, scores = self.wv.key_to_index, []
        for n, sentence in enumerate(sentences):
            if n >= total_sentences:
                break
            ids = [index[w] for w in sentence if w in index][:self.params.max_sentence_length]
            scores.append(self._score_ids(np.asarray(ids, np.int64), codes, points, lengths))
        return np.asarray(scores, dtype=np.float32)

    def _score_ids(self, ids, codes, points, lengths) -> float:
        syn0, syn1, window, total = self.wv.vectors, self.syn1, self.window, 0.0
        for i, word in enumerate(ids):
            path = points[word, :lengths[word]]
            signs = 1.0 - 2.0 * codes[word, :lengths[word]]  # code 0 -> +1, 1 -> -1
            context = np.r_[ids[max(0, i - window):i], ids[i + 1:i + window + 1]]
            if self.sg:
                f = (syn0[context] @ syn1[path].T) * signs
            else:  # no context word (a one-word sentence): gensim scores the path against zeros
                h = syn0[context].sum(axis=0)
                f = (syn1[path] @ (h / max(len(context), 1) if self.cbow_mean else h)) * signs
            f = f[np.abs(f) < MAX_EXP].astype(np.float64)
            total -= np.log1p(np.exp(-f)).sum()
        return total

    # ---- gensim's files -------------------------------------------------------------------------

    @classmethod
    def from_gensim_state(cls, state: dict):
        """A model from :func:`w2v.gensim_pickle.load_gensim_word2vec`'s plain data.

        Both libraries lay ``syn1`` out as V x d (V-1 inner nodes, one unused row), so tables
        are taken as stored. A ``vectors_lockf`` of gensim's default (a single 1.0) means no
        lock and is dropped.
        """
        params = {}
        for name, value in state["params"].items():
            if name not in PARAM_ATTRIBUTES or value is None and name not in ("max_vocab_size", "max_final_vocab"):
                continue
            try:
                TrainParams(**{name: value, **({"negative": 0, "hs": 1} if name == "negative" and not value else {})})
            except (TypeError, ValueError) as e:
                logger.warning("gensim model: parameter %s=%r not usable (%s); w2v's default is used", name, value, e)
                continue
            params[name] = value
        if not params.get("hs") and not params.get("negative", 5):
            params["negative"] = 5
        model = cls.__new__(cls)
        model.params = TrainParams(**params)
        model.cache_dir, model.spill_dir, model.hashfxn = None, None, hash
        model.comment = state["params"].get("comment")
        model.clear_state()
        vectors = state["vectors"]
        model._adopt_tables(list(state["words"]), np.asarray(state["counts"], np.int64), vectors,
                            state.get("syn1neg"), state.get("syn1"))
        lockf = state.get("vectors_lockf")
        if lockf is not None and not (np.size(lockf) == 1 and float(np.ravel(lockf)[0]) == 1.0):
            model.wv.vectors_lockf = np.asarray(lockf, np.float32)
        model.corpus_count = state.get("corpus_count") or 0
        model.corpus_total_words = state.get("corpus_total_words")
        model.running_training_loss = float(state.get("running_training_loss") or 0.0)
        p = state["params"]
        model.min_alpha_yet_reached = float(p.get("min_alpha_yet_reached") or model.params.alpha)
        model.train_count = int(p.get("train_count") or 0)
        model.total_train_time = float(p.get("total_train_time") or 0.0)
        return model

    def _adopt_tables(self, words, counts, vectors, syn1neg, syn1) -> None:
        """Install a vocabulary with ready tables (gensim's layout converted to w2v's)."""
        from .vocab import Vocabulary

        v, d = vectors.shape
        self.params.vector_size = d
        self.vocab = Vocabulary(words, counts, huffman_kind="gensim")
        self.wv = self._make_kv(vectors, words, counts)
        neg_ok = syn1neg is not None and np.shape(syn1neg) == (v, d)
        self.syn1neg = np.asarray(syn1neg, np.float32) if neg_ok else np.zeros((v if self.negative else 0, d), np.float32)
        hs_ok = syn1 is not None and np.shape(syn1) == (v, d)
        self.syn1 = np.asarray(syn1, np.float32) if hs_ok else np.zeros((v if self.hs else 0, d), np.float32)


for _name in PARAM_ATTRIBUTES:
    setattr(GensimModelMixin, _name, _param_property(_name))


# ---- gensim files: the restricted unpickler lives in w2v.gensim_pickle ------------------------------

def is_gensim_file(path) -> bool:
    """Whether ``path`` is a pickle (what gensim's ``save`` writes, maybe .gz/.bz2) rather than
    w2v's .npz (a zip: recognised first, as the pickle probe refuses zip files)."""
    if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            return False
    from .gensim_pickle import is_pickle_file

    try:
        return is_pickle_file(path)
    except ValueError:  # a compression w2v cannot read: not gensim's either; the .npz reader reports it
        return False


def load_gensim_state(path, mmap=None) -> dict:
    """gensim's Word2Vec file as plain data; a KeyedVectors file raises AttributeError, as in gensim."""
    from .gensim_pickle import GensimFormatError, load_gensim_word2vec

    try:
        return load_gensim_word2vec(path, mmap=mmap)
    except GensimFormatError as e:
        if "KeyedVectors" in str(e):
            raise AttributeError(f"{os.fspath(path)!r} holds KeyedVectors, not a Word2Vec model: "
                                 "load it with w2v.KeyedVectors.load") from None
        raise


def refuse_keyed_vectors(path) -> None:
    """Raise AttributeError (gensim's error) if ``path`` is a file saved by ``KeyedVectors.save``."""
    from .vectors import KeyedVectors

    try:
        KeyedVectors.load(path)
    except Exception:  # noqa: BLE001 - not KeyedVectors either: the caller reports the model error
        return
    raise AttributeError(f"{os.fspath(path)!r} holds KeyedVectors, not a Word2Vec model: "
                         "load it with w2v.KeyedVectors.load")

