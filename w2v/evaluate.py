"""Intrinsic evaluation with gensim's semantics: word analogies and word-pair similarity.

Both evaluators reproduce ``gensim.models.KeyedVectors.evaluate_word_analogies`` /
``evaluate_word_pairs`` result for result (same vocabulary restriction, upper-casing, OOV
handling and tie rules), but analogies are solved in batches: one matrix product per block of
questions instead of one ``most_similar`` call each. Pearson and Spearman correlations and their
p-values are computed here in numpy, so scipy is not a dependency.
"""
from __future__ import annotations

import io
import itertools
import logging
import math
from typing import NamedTuple

import numpy as np

from .fileutil import open_binary
from .ranking import top_k

logger = logging.getLogger(__name__)

# gensim asks most_similar for its top 5 and skips the 3 question words among them.
_ANALOGY_TOPN = 5
_ANALOGY_QUERY_WORDS = 3
# Score-block budget (floats) for batched analogies: bounds memory whatever the vocabulary size.
_BLOCK_FLOATS = 1 << 23


class Correlation(NamedTuple):
    """A correlation coefficient and its two-sided p-value (unpacks like scipy's results)."""

    statistic: float
    pvalue: float


class WordPairsResult(NamedTuple):
    """Result of :func:`evaluate_word_pairs`; unpacks like gensim's ``(pearson, spearman, oov_ratio)``."""

    pearson: Correlation
    spearman: Correlation
    oov_ratio: float


# ---------------------------------------------------------------------- shared vocabulary rules


def restricted_vocab(wv, restrict_vocab, case_insensitive: bool) -> dict[str, int]:
    """Map the first ``restrict_vocab`` words (upper-cased if case-insensitive) to their rows.

    Like gensim, when several case variants share an upper-cased form the first (most frequent)
    one wins.
    """
    keys = wv.index_to_key[:restrict_vocab]
    if not case_insensitive:
        return {k: i for i, k in enumerate(keys)}
    vocab: dict[str, int] = {}
    for i, k in enumerate(keys):
        vocab.setdefault(_upper(k), i)
    return vocab


def _upper(key):
    """Upper-cased str keys; other keys (ints...) as they are, since they have no case."""
    return key.upper() if isinstance(key, str) else key


# ---------------------------------------------------------------------- word analogies


def evaluate_word_analogies(wv, path, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
    """Accuracy on an analogy file (``: section`` headers, then ``a b c expected`` lines).

    A question counts as correct when the best 3CosAdd answer to ``b - a + c`` among the first
    ``restrict_vocab`` words, skipping ``a``, ``b``, ``c`` (and their case variants), is
    ``expected``. Questions with a word outside that vocabulary are skipped, or counted as
    incorrect with ``dummy4unknown``. Returns ``(accuracy, sections)``: ``sections`` holds one
    dict per section with the ``'correct'`` and ``'incorrect'`` question tuples, plus a final
    ``'Total accuracy'`` entry.
    """
    vocab = restricted_vocab(wv, restrict_vocab, case_insensitive)
    names, questions = _read_analogies(path, case_insensitive)
    rows = np.array([[vocab.get(w, -1) for w in q] for _, q in questions], dtype=np.intp).reshape(-1, 4)
    known = (rows >= 0).all(axis=1)
    outcome = np.zeros(len(questions), dtype=bool)
    outcome[known] = _solve_analogies(wv, rows[known], vocab, restrict_vocab, case_insensitive)
    sections = [{"section": name, "correct": [], "incorrect": []} for name in names]
    for (section, question), ok, is_known in zip(questions, outcome.tolist(), known.tolist()):
        if is_known or dummy4unknown:
            sections[section]["correct" if ok else "incorrect"].append(question)
    for section in sections:
        _log_accuracy(section)
    total = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    if questions:
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * (~known).sum() / len(questions))
    sections.append(total)
    return _log_accuracy(total), sections


def _read_analogies(path, case_insensitive: bool):
    """Parse an analogy file into section names and (section index, 4-word tuple) questions.

    Lines without exactly four words are skipped, as gensim does; a question before the first
    section header is an error.
    """
    names: list[str] = []
    questions: list[tuple[int, tuple[str, str, str, str]]] = []
    with open_binary(path) as f:
        for line_no, raw in enumerate(f):
            line = raw.decode("utf8")
            if line.startswith(": "):
                names.append(line.lstrip(": ").strip())
                continue
            if not names:
                raise ValueError(f"Missing section header before line #{line_no} in {path}")
            words = line.upper().split() if case_insensitive else line.split()
            if len(words) != 4:
                logger.debug("Skipping invalid line #%i in %s", line_no, path)
                continue
            questions.append((len(names) - 1, tuple(words)))
    return names, questions


def _solve_analogies(wv, rows: np.ndarray, vocab: dict[str, int], restrict_vocab, case_insensitive: bool) -> np.ndarray:
    """For each question row ``(a, b, c, expected)``, whether 3CosAdd predicts ``expected``.

    Mirrors gensim's per-question loop exactly, but on blocks of questions: score every
    searchable word against ``b - a + c`` (unit vectors) with one matrix product, keep the top
    ``5 + 3``, drop the exact query rows, keep the first 5, then take the first candidate whose
    case-folded form is not a query word (or, failing that, the last of the 5, as gensim does).
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    normed = wv.get_normed_vectors()[:restrict_vocab]
    n_search = len(normed)
    # Every row maps to the row standing for its (case-folded) form: its "group".
    fold = _upper if case_insensitive else (lambda key: key)
    group = np.fromiter((vocab[fold(k)] for k in wv.index_to_key[:n_search]), dtype=np.intp, count=n_search)
    block = max(1, _BLOCK_FLOATS // max(1, n_search))
    predicted = np.empty(len(rows), dtype=np.intp)
    for start in range(0, len(rows), block):
        r = rows[start:start + block]
        queries = normed[r[:, 1]] + normed[r[:, 2]] - normed[r[:, 0]]
        candidates = top_k(queries @ normed.T, _ANALOGY_TOPN + _ANALOGY_QUERY_WORDS)
        predicted[start:start + block] = _pick_answers(candidates, group, r[:, :3])
    return predicted == rows[:, 3]


def _pick_answers(candidates: np.ndarray, group: np.ndarray, query_rows: np.ndarray) -> np.ndarray:
    """Vectorised version of gensim's answer selection, returning the answer's group row (or -1)."""
    is_query = (candidates[:, :, None] == query_rows[:, None, :]).any(axis=2)
    in_top = ~is_query & (np.cumsum(~is_query, axis=1) <= _ANALOGY_TOPN)
    folded = group[candidates]
    acceptable = in_top & ~(folded[:, :, None] == query_rows[:, None, :]).any(axis=2)
    first_ok = acceptable.argmax(axis=1)
    last_in_top = candidates.shape[1] - 1 - in_top[:, ::-1].argmax(axis=1)
    take = np.where(acceptable.any(axis=1), first_ok, last_in_top)
    answer = folded[np.arange(len(candidates)), take]
    return np.where(in_top.any(axis=1), answer, -1)


def _log_accuracy(section: dict) -> float:
    """Log and return a section's accuracy (0.0 when it has no questions, as gensim does)."""
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


# ---------------------------------------------------------------------- word pairs


def evaluate_word_pairs(wv, path, delimiter="\t", restrict_vocab=300000, case_insensitive=True,
                        dummy4unknown=False, encoding="utf8") -> WordPairsResult:
    """Correlate cosine similarities with human ratings (WordSim353, SimLex-999 style files).

    Each non-comment line is ``word1<delimiter>word2<delimiter>rating``; malformed lines are
    skipped. Pairs with a word outside the first ``restrict_vocab`` words are skipped (or given
    similarity 0 with ``dummy4unknown``). Returns pearson and spearman ``(statistic, pvalue)``
    pairs and the percentage of out-of-vocabulary pairs.
    """
    vocab = restricted_vocab(wv, restrict_vocab, case_insensitive)
    pairs, gold = _read_word_pairs(path, delimiter, case_insensitive, encoding)
    rows = np.array([[vocab.get(a, -1), vocab.get(b, -1)] for a, b in pairs], dtype=np.intp).reshape(-1, 2)
    known = (rows >= 0).all(axis=1)
    oov = int((~known).sum())
    keep = np.ones(len(pairs), dtype=bool) if dummy4unknown else known
    if not keep.any():
        raise ValueError(f"No valid similarity judgements found in {path}: either invalid format or "
                         f"all are out-of-vocabulary in {wv}")
    normed = wv.get_normed_vectors()
    model = np.zeros(len(pairs), dtype=np.float64)
    model[known] = np.einsum("ij,ij->i", normed[rows[known, 0]], normed[rows[known, 1]])
    model, gold = model[keep], np.asarray(gold, dtype=np.float64)[keep]
    oov_ratio = 100.0 * oov / (len(gold) if dummy4unknown else len(gold) + oov)
    result = WordPairsResult(pearsonr(gold, model), spearmanr(gold, model), oov_ratio)
    logger.info("Pearson %.4f, Spearman %.4f, OOV %.1f%% on %s",
                result.pearson.statistic, result.spearman.statistic, oov_ratio, path)
    return result


def _read_word_pairs(path, delimiter: str, case_insensitive: bool, encoding: str):
    """Parse rated word pairs, skipping ``#`` comments and malformed lines like gensim."""
    pairs, gold = [], []
    with io.TextIOWrapper(open_binary(path), encoding=encoding) as f:
        for line_no, line in enumerate(f):
            if not line or line.startswith("#"):
                continue
            fields = line.split(delimiter)
            if case_insensitive:
                fields = [x.upper() for x in fields]
            try:
                a, b, rating = fields
                rating = float(rating)
            except ValueError:
                logger.debug("Skipping invalid line #%d in %s", line_no, path)
                continue
            pairs.append((a, b))
            gold.append(rating)
    return pairs, gold


# ---------------------------------------------------------------------- statistics (scipy-free)


def pearsonr(x, y) -> Correlation:
    """Pearson's r with the two-sided p-value of scipy.stats.pearsonr (t test, n - 2 dof)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D arrays of the same length, got {x.shape} and {y.shape}")
    if len(x) < 2:
        raise ValueError("correlation needs at least 2 observations")
    xm, ym = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(xm @ xm) * float(ym @ ym))
    if denom == 0.0:
        logger.warning("correlation undefined: an input is constant")
        return Correlation(math.nan, math.nan)
    r = max(-1.0, min(1.0, float(xm @ ym) / denom))
    return Correlation(r, _correlation_pvalue(r, len(x)))


def spearmanr(x, y) -> Correlation:
    """Spearman's rho (Pearson on average ranks) with scipy's t-distribution p-value."""
    return pearsonr(rankdata(x), rankdata(y))


def rankdata(values) -> np.ndarray:
    """Ranks 1..n, tied values sharing the average of their ranks (scipy's 'average' method)."""
    values = np.asarray(values)
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = np.empty(len(values), dtype=np.intp)
    dense[order] = np.cumsum(starts)
    bounds = np.r_[np.flatnonzero(starts), len(values)]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def _correlation_pvalue(r: float, n: int) -> float:
    """Two-sided p-value of a correlation under H0, via Student's t with n - 2 dof.

    With t^2 = r^2 (n-2) / (1-r^2), the two-sided tail P(|T| > |t|) equals the regularized
    incomplete beta I_{1-r^2}((n-2)/2, 1/2), which avoids computing t at all.
    """
    if n <= 2:
        return 1.0
    return betainc((n - 2) / 2.0, 0.5, 1.0 - r * r)


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes).

    The fraction converges fast for x < (a+1)/(a+b+2); above that the symmetry
    I_x(a, b) = 1 - I_{1-x}(b, a) is used.
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def _beta_continued_fraction(a: float, b: float, x: float, eps: float = 1e-15, max_iter: int = 10000) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, max_iter + 1):
        m2 = 2 * m
        for coef in (m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
                     -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))):
            d = 1.0 + coef * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + coef / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")
