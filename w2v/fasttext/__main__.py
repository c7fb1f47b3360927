"""``python -m w2v.fasttext ...``: fastText's command line (:mod:`w2v.fasttext.cli`)."""
import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
