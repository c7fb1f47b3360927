"""``python -m w2v`` runs the same command line as the ``w2v`` console script."""
import sys

from .cli import main

sys.exit(main())
