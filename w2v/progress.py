"""What a person sees while w2v trains: a progress bar, a few plain lines, or nothing.

``progress`` (a training parameter) picks the form:

* ``None`` (the default, "auto"): a tqdm bar when stderr is a terminal (or a Jupyter kernel),
  nothing otherwise. gensim draws nothing and only logs, so a library calling ``Word2Vec(...)``
  inside its own ``fit()`` or a batch job writing to a log file gets no bar it did not ask for.
  Epoch summaries always go to the ``"w2v"`` logger at INFO level, as gensim's do.
* ``True``: the bar on a terminal; when stderr is redirected (a file, a pipe, CI), about ten
  plain lines (one per 10% of the run) instead of a bar's hundreds of refreshes.
* ``False``: nothing.

The loss shown is the loss per word over the last :data:`LOSS_WINDOW` trained words (a running
average), so it reads the same kind of number at the start of an epoch as at its end and can be
compared across epochs. The kernels add a chunk's loss only when the chunk is done, so the
average is taken over finished chunks only (see :class:`LossWindow`).

Before the first epoch, :func:`kernel_step` makes numba's first dispatch its own step: on a cold
cache (first run after installing or upgrading) it says "compiling kernels (once per install)"
instead of sitting at 0% for the 15-40 s numba takes. Commands that compile kernels elsewhere
(``w2v phrase``, the corpus scan of ``w2v train``) say the same through :func:`compile_notices`,
which hears numba announce each compile (its ``numba:compile`` event; a kernel loaded from the
cache sends none).

On a terminal that reports no size (a pseudo-terminal such as ``script``'s or an editor's, whose
size was never set, reads 0 x 0) the bar is drawn as on an 80 x 24 screen (:data:`FALLBACK_SIZE`,
or ``$COLUMNS`` x ``$LINES``): tqdm would draw nothing there.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections import deque

from tqdm.auto import tqdm

logger = logging.getLogger("w2v")

#: words the displayed loss is averaged over (fewer while less has been trained)
LOSS_WINDOW = 1_000_000
#: plain-line mode prints one line each time the run passes another LINE_STEP of its words
LINE_STEP = 0.10
#: with a warm cache on disk, a first dispatch slower than this is announced as a compile after all
SLOW_LOAD_SECONDS = 2.0
#: what is said before numba compiles (the first time after installing or upgrading w2v)
COMPILE_MESSAGE = "compiling kernels (once per install; numba caches them, later runs start in about a second)..."
#: (columns, rows) to draw the bar in on a terminal that reports a size of 0 (and no $COLUMNS/$LINES)
FALLBACK_SIZE = (80, 24)


def interactive(stream=None) -> bool:
    """True when ``stream`` (default stderr) is a terminal a person watches, or a Jupyter kernel."""
    stream = sys.stderr if stream is None else stream
    if type(stream).__module__.startswith("ipykernel"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress_mode(progress: bool | None, stream=None) -> str:
    """``"bar"``, ``"lines"`` or ``"off"`` for a ``progress`` setting (see the module docstring)."""
    if progress is not None and not progress:
        return "off"
    if interactive(stream):
        return "bar"
    return "lines" if progress else "off"


def bar_size(stream) -> dict:
    """``ncols``/``nrows`` for tqdm where the terminal reports a size of 0, as a pseudo-terminal whose
    size was never set does (``script``'s, an editor's): tqdm then draws nothing at all (it reads
    -1 rows and takes its bar for one below the screen). ``$COLUMNS``/``$LINES`` or 80 x 24 instead;
    {} (tqdm asks the terminal, as usual) when the size is known or there is no terminal."""
    try:
        columns, lines = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):  # no descriptor (a notebook) or not a terminal
        return {}
    size = {}
    for key, value, variable, fallback in (("ncols", columns, "COLUMNS", FALLBACK_SIZE[0]),
                                           ("nrows", lines, "LINES", FALLBACK_SIZE[1])):
        if value <= 0:
            try:
                size[key] = max(1, int(os.environ.get(variable, "")))
            except ValueError:
                size[key] = fallback
    return size


class LossWindow:
    """Loss per word over about the last ``window`` words of finished chunks.

    ``add(words, loss)`` takes the running totals of words whose loss has been added and of that
    loss; ``value()`` is the difference quotient between now and the oldest sample still within
    ``window`` words (or the first sample, early in a run). None before any chunk has finished.
    """

    def __init__(self, window: int = LOSS_WINDOW):
        self.window = max(1, int(window))
        self.samples: deque[tuple[int, float]] = deque()

    def add(self, words: int, loss: float) -> None:
        if self.samples and words <= self.samples[-1][0]:
            return
        self.samples.append((words, loss))
        while len(self.samples) > 2 and words - self.samples[1][0] >= self.window:
            self.samples.popleft()

    def reset(self, words: int, loss: float) -> None:
        """Start over from these totals (a new run of ``Training``, or after a resume)."""
        self.samples.clear()
        self.samples.append((words, loss))

    def value(self) -> float | None:
        if len(self.samples) < 2:
            return None
        (w0, l0), (w1, l1) = self.samples[0], self.samples[-1]
        return (l1 - l0) / (w1 - w0)


class Progress:
    """The display of one training run: a tqdm bar, plain lines, or nothing (``mode``)."""

    def __init__(self, total: int, initial: int, epochs: int, mode: str, stream=None,
                 show_loss: bool = True, loss_window: int = LOSS_WINDOW, desc: str = "w2v"):
        self.total, self.epochs, self.mode, self.desc = max(1, total), epochs, mode, desc
        self.stream = sys.stderr if stream is None else stream
        self.show_loss = show_loss
        self.loss = LossWindow(loss_window)
        self.done = initial
        self.started = time.perf_counter()
        self.start_words = initial
        self.next_line = (int(initial / self.total / LINE_STEP) + 1) * LINE_STEP
        self.bar = None  # drawn at begin() (after the compile step, which stands on its own) or the first update
        self.final_epoch = None  # the run reached 100% in this epoch; its line is said at close()

    def _bar(self):
        if self.bar is None:
            self.bar = tqdm(total=self.total, initial=self.start_words, unit="w", unit_scale=True,
                            desc=self.desc, smoothing=0, leave=False, file=self.stream,
                            **bar_size(self.stream))
        return self.bar

    def begin(self) -> None:
        """Training starts now (after the kernel step): rates are counted from here, the bar's too
        (tqdm counts from when the bar is made)."""
        self.started = time.perf_counter()
        if self.mode == "bar":
            self._bar()

    def update(self, done: int, epoch: int, loss_words: int, loss_total: float, extra: dict | None = None) -> None:
        """Record ``done`` words trained (``epoch`` is 0-based) and the loss of finished chunks
        (``extra``: more fields for the bar, e.g. a cluster's MB sent)."""
        self.done = done
        self.loss.add(loss_words, loss_total)
        if self.mode == "bar":
            bar = self._bar()
            postfix = {"epoch": f"{epoch + 1}/{self.epochs}"}
            loss = self.loss.value()
            if self.show_loss and loss is not None:
                postfix["loss"] = f"{loss:.4f}"
            bar.set_postfix({**postfix, **(extra or {})}, refresh=False)  # shown by the update's redraw
            bar.update(done - bar.n)
        elif self.mode == "lines":
            if done >= self.total:  # said by close(), after the last epoch's checkpoint and callbacks
                self.final_epoch = epoch
            elif done / self.total >= self.next_line - 1e-9:
                self._line(epoch)
                self.next_line = (int(done / self.total / LINE_STEP + 1e-9) + 1) * LINE_STEP

    def _line(self, epoch: int) -> None:
        seconds = time.perf_counter() - self.started
        rate = (self.done - self.start_words) / max(seconds, 1e-9)
        parts = [f"w2v: {min(self.done / self.total, 1.0):4.0%} epoch {epoch + 1}/{self.epochs}",
                 f"{self.done:,} of {self.total:,} words", f"{rate:,.0f} words/s"]
        loss = self.loss.value()
        if self.show_loss and loss is not None:
            parts.append(f"loss/word {loss:.4f}")
        print(", ".join(parts), file=self.stream, flush=True)

    def message(self, text: str) -> None:
        """A status line (not part of the bar), shown in bar and line modes, logged always."""
        logger.info(text)
        if self.mode != "off":
            if self.bar is not None:
                self.bar.write(f"w2v: {text}", file=self.stream)
            else:
                print(f"w2v: {text}", file=self.stream, flush=True)

    def close(self) -> None:
        """The run is over: the 100% line is said now, so its words/s, like every line's, is the
        words over the time since :meth:`begin` (the interval ``w2v train``'s summary uses too)."""
        if self.final_epoch is not None:
            self._line(self.final_epoch)
            self.final_epoch = None
        if self.bar is not None:
            self.bar.close()


def kernel_cache_is_cold(dispatcher) -> bool | None:
    """Whether numba will compile ``dispatcher`` rather than load it: True when it has no machine
    code in this process and no index file in numba's cache; None when that cannot be told."""
    if getattr(dispatcher, "overloads", None):
        return False
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    index = getattr(cache_file, "_index_path", None)
    if index is None:
        return None
    return not os.path.exists(index)


class CompileNotices:
    """Says :data:`COMPILE_MESSAGE` when numba starts compiling while a step listens (see
    :func:`compile_notices`), and how long the compiles took when that step ends.

    numba broadcasts a ``numba:compile`` event around every compile (a kernel loaded from its cache
    sends none); this object hears them from any thread. Compiles run one at a time (numba holds a
    global lock), so one depth counter tells a top-level compile from the callees compiled inside it.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.sayers: list = []  # the listening steps' ``say``, innermost last
        self.depth = 0
        self.began = 0.0  # when the top-level compile now running began
        self.seconds = 0.0  # compile time since the announcement
        self.announced = False
        self.listener = None

    def install(self) -> None:
        """Register with numba once per process (its listeners are global)."""
        with self.lock:
            if self.listener is not None:
                return
            from numba.core import event

            notices = self

            class Listener(event.Listener):
                def on_start(self, ev):
                    notices.started()

                def on_end(self, ev):
                    notices.ended()

            self.listener = Listener()
            event.register("numba:compile", self.listener)

    def started(self) -> None:
        with self.lock:
            self.depth += 1
            if self.depth == 1:
                self.began = time.perf_counter()
                if self.sayers:
                    self.announce()

    def ended(self) -> None:
        with self.lock:
            self.depth = max(0, self.depth - 1)
            if self.depth == 0:
                self.seconds += time.perf_counter() - self.began

    def announce(self, text: str = COMPILE_MESSAGE) -> None:
        """Say ``text`` now (once until the next :meth:`report`), if a step listens."""
        with self.lock:
            if self.announced or not self.sayers:
                return
            self.announced, self.seconds = True, 0.0
            self.sayers[-1](text)

    def report(self, say=None, at_least: float = 0.0) -> None:
        """After an announcement: say (with ``say``, else the innermost step's) the compile time
        since then (``at_least``: a step's own measure, for a slow cache load, or a compile in
        other processes, which send this one no compile event)."""
        with self.lock:
            if not self.announced:
                return
            self.announced = False
            say = say or (self.sayers[-1] if self.sayers else None)
            if say is not None:
                say(f"kernels ready in {max(self.seconds, at_least):.1f}s")


NOTICES = CompileNotices()


@contextlib.contextmanager
def compile_notices(say):
    """Within this block, a numba compile is announced with ``say`` before it starts, and the time
    the compiles took is said when the block ends (by the innermost block: ``w2v train``'s
    command announces the corpus scan's compile, its training step says when all are ready)."""
    NOTICES.install()
    with NOTICES.lock:
        NOTICES.sayers.append(say)
    try:
        yield NOTICES
    finally:
        with NOTICES.lock:
            NOTICES.sayers.remove(say)
        NOTICES.report(say)


def kernel_step(dispatcher, first_call, say) -> None:
    """Run ``first_call`` (a kernel dispatch that trains nothing) as a step of its own.

    On a cold cache ``say`` announces the compile before it starts; with a cache on disk the load
    takes about a second and is announced only if it turns out slow (numba compiles afresh for
    argument types the cache does not hold). The time it took is said when it was announced
    (including the compiles of an enclosing :func:`compile_notices` since its announcement).
    """
    if getattr(dispatcher, "overloads", None):
        return  # already in this process
    with compile_notices(say) as notices:
        timer = None
        if kernel_cache_is_cold(dispatcher):
            notices.announce()
        else:
            timer = threading.Timer(SLOW_LOAD_SECONDS, notices.announce)
            timer.daemon = True
            timer.start()
        started = time.perf_counter()
        try:
            first_call()
        finally:
            if timer is not None:
                timer.cancel()
        notices.report(say, at_least=time.perf_counter() - started)
