"""Sphinx configuration of w2v's API reference (``sphinx-build -W -b html docs docs/_build``).

The reference is built from the docstrings by autodoc; ``tests/test_docs.py`` builds it with
warnings as errors, so a docstring that stops rendering fails the test suite.
"""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))  # the checkout's w2v, also when it is not installed

project = "w2v"
author = "w2v contributors"
copyright = "w2v contributors, MIT licence"
extensions = ["sphinx.ext.autodoc"]
autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autoclass_content = "both"  # a class's docstring and its __init__'s
exclude_patterns = ["_build"]
html_theme = "alabaster"
