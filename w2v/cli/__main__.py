"""``python -m w2v.cli`` runs the ``w2v`` command line, as ``python -m w2v`` does."""
import sys

from . import main

sys.exit(main())
