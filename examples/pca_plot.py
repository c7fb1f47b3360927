"""Plot a few word groups in 2-D: a PCA (numpy SVD, no scikit-learn) of their vectors.

    python examples/pca_plot.py                         # trains on the bundled sample first
    python examples/pca_plot.py --vectors vectors.txt --output groups.png

The left panel projects all groups together: numbers, verbs and places form separate clusters.
The right panel projects countries and capitals alone: countries fall on one side, capitals on the
other, linked country -> capital (the offset that analogies such as paris - france + italy use). Needs matplotlib (``pip install 'w2v[plot]'``); without it the
script says so and exits without error.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

import w2v

COUNTRY_CAPITAL = (("france", "paris"), ("germany", "berlin"), ("italy", "rome"), ("spain", "madrid"),
                   ("russia", "moscow"), ("china", "beijing"), ("japan", "tokyo"), ("england", "london"))
GROUPS = {
    "countries": [country for country, _ in COUNTRY_CAPITAL],
    "capitals": [capital for _, capital in COUNTRY_CAPITAL],
    "numbers": ["two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "verbs": ["run", "walk", "write", "read", "play", "speak", "drive", "think"],
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vectors", help="word2vec-format vectors to plot (default: train on the bundled sample)")
    p.add_argument("--binary", action="store_true", help="the --vectors file is binary")
    p.add_argument("--epochs", type=int, default=3, help="epochs when training (default 3)")
    p.add_argument("--output", default=str(Path(tempfile.gettempdir()) / "w2v-examples" / "pca.png"),
                   help="PNG to write (default: %(default)s)")
    return p.parse_args(argv)


def pca_2d(x: np.ndarray) -> np.ndarray:
    """Project rows onto their two principal axes: centre, SVD, keep the top two right singular vectors."""
    centred = x - x.mean(axis=0)
    _u, _s, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def load_or_train(args) -> w2v.KeyedVectors:
    """Plotting needs vectors; training on the sample is the default so the script runs as is."""
    if args.vectors:
        return w2v.KeyedVectors.load_word2vec_format(args.vectors, binary=args.binary)
    print(f"training skip-gram on the bundled sample, {args.epochs} epochs ...", flush=True)
    return w2v.train(w2v.sample_corpus_path(), sg=1, epochs=args.epochs, progress=False).wv


def draw(ax, wv, pairs: list[tuple[str, str]], title: str) -> None:
    """PCA of the given (word, group) pairs: colour by group, label every point, link country to capital."""
    words, groups = zip(*pairs)
    xy = pca_2d(np.stack([wv[w] for w in words]))
    at = dict(zip(words, xy))
    for country, capital in COUNTRY_CAPITAL:
        if country in at and capital in at:
            ax.plot(*zip(at[country], at[capital]), color="0.8", lw=1, zorder=0)
    for group in dict.fromkeys(groups):
        pts = np.array([p for p, g in zip(xy, groups) if g == group])
        ax.scatter(pts[:, 0], pts[:, 1], label=group, s=30)
    for word, (x, y) in at.items():
        ax.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9)
    ax.set(title=title, xlabel="PC 1", ylabel="PC 2")
    ax.legend(fontsize=8)


def plot(wv, pairs: list[tuple[str, str]], path: str, plt) -> None:
    """Two panels: all groups together, then countries and capitals alone (their own PCA).

    With every group in one projection the big differences (numbers vs words) take both axes;
    projecting countries and capitals alone shows the near-parallel country -> capital offsets.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6.5), constrained_layout=True)
    draw(left, wv, pairs, "all groups: first two principal components")
    places = [(w, g) for w, g in pairs if g in ("countries", "capitals")]
    if len(places) >= 3:
        draw(right, wv, places, "countries and capitals only")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; skipping the plot (pip install 'w2v[plot]')")
        return 0
    wv = load_or_train(args)
    pairs = [(w, g) for g, members in GROUPS.items() for w in members if w in wv]
    missing = [w for members in GROUPS.values() for w in members if w not in wv]
    if missing:
        print(f"not in the vocabulary, left out: {', '.join(missing)}")
    if len(pairs) < 3:
        print("too few of the words are in the vocabulary to plot", file=sys.stderr)
        return 1
    plot(wv, pairs, args.output, plt)
    print(f"wrote {args.output} ({len(pairs)} words)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
