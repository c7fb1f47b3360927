"""Training callbacks, gensim's protocol: objects with ``on_train_begin``, ``on_epoch_begin``,
``on_epoch_end`` and ``on_train_end`` methods, each called with the model.

Subclass :class:`CallbackAny2Vec` (or gensim's own ``gensim.models.callbacks.CallbackAny2Vec``:
any object with one of the methods works) and pass instances to ``Word2Vec(..., callbacks=[...])``,
``model.train(..., callbacks=[...])`` or ``w2v.train``. As in gensim 4, a model does not keep
its callbacks: each training call uses the ones it is given.
"""
from __future__ import annotations

HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")


class CallbackAny2Vec:
    """Base class with every hook doing nothing: override the ones you need."""

    def on_epoch_begin(self, model):
        """Called before each epoch."""

    def on_epoch_end(self, model):
        """Called after each epoch (``model.get_latest_training_loss()`` is up to date here)."""

    def on_train_begin(self, model):
        """Called once, before the first epoch of a ``train`` call."""

    def on_train_end(self, model):
        """Called once, after the last epoch of a ``train`` call."""


def check_callbacks(callbacks) -> tuple:
    """The callbacks as a tuple; TypeError naming an object that has none of the hooks."""
    callbacks = tuple(callbacks or ())
    for cb in callbacks:
        if not any(callable(getattr(cb, h, None)) for h in HOOKS):
            raise TypeError(f"callback {cb!r} has none of the methods {HOOKS}")
    return callbacks
