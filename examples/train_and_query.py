"""Train word vectors on a text file, save them in word2vec format, load them back and query them.

    python examples/train_and_query.py                          # the bundled 2M-word sample
    python examples/train_and_query.py corpus.txt --output vectors.bin --epochs 5

The saved file is word2vec.c's format (text, or binary for a .bin name), which gensim, fastText
tools and word2vec.c's own distance program all read.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import w2v
from w2v import KeyedVectors

QUERIES = ("king", "france", "computer", "music")
ANALOGIES = (("man", "king", "woman"), ("france", "paris", "germany"))  # a : b :: c : ?
PAIRS = (("car", "automobile"), ("city", "town"), ("king", "banana"))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", nargs="?", default=w2v.sample_corpus_path(),
                   help="training text (default: the bundled sample)")
    p.add_argument("--output", default=str(Path(tempfile.gettempdir()) / "w2v-examples" / "vectors.txt"),
                   help="vectors file to write; a .bin suffix writes binary (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    return p.parse_args(argv)


def train(corpus: str, epochs: int, sg: int) -> w2v.Word2Vec:
    """Train with the library defaults except the architecture and epochs: they are good defaults."""
    start = time.perf_counter()
    model = w2v.train(corpus, sg=sg, epochs=epochs, progress=False)
    print(f"trained {'skip-gram' if sg else 'CBOW'} on {model.corpus_total_words:,} words in "
          f"{time.perf_counter() - start:.1f}s: {len(model.wv):,} words x {model.wv.vector_size} dimensions")
    return model


def save_and_reload(wv: KeyedVectors, path: str) -> KeyedVectors:
    """Round-trip through word2vec format and check nothing but float rounding was lost."""
    binary = path.endswith(".bin")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wv.save_word2vec_format(path, binary=binary)
    loaded = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert loaded.index_to_key == wv.index_to_key, "vocabulary changed in the round trip"
    assert np.allclose(loaded.vectors, wv.vectors, atol=1e-5), "vectors changed in the round trip"
    kind = "binary" if binary else "text"
    print(f"saved and reloaded {path} ({kind}, {Path(path).stat().st_size:,} bytes)")
    return loaded


def query(wv: KeyedVectors) -> None:
    """The three everyday questions: neighbours, analogies and pairwise similarity."""
    for word in (w for w in QUERIES if w in wv):
        neighbours = ", ".join(f"{w} ({s:.2f})" for w, s in wv.most_similar(positive=[word], topn=6))
        print(f"most similar to {word!r}: {neighbours}")
    for a, b, c in (q for q in ANALOGIES if all(w in wv for w in q)):
        answer, score = wv.most_similar(positive=[b, c], negative=[a], topn=1)[0]
        print(f"{a} : {b} :: {c} : {answer} ({score:.2f})")
    for x, y in (p for p in PAIRS if all(w in wv for w in p)):
        print(f"similarity({x}, {y}) = {wv.similarity(x, y):.3f}")


def main(argv=None) -> int:
    args = parse_args(argv)
    model = train(args.corpus, args.epochs, sg=int(not args.cbow))
    query(save_and_reload(model.wv, args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
