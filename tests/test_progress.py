"""What a person sees while training: the bar only on a terminal (or when asked), a few plain lines
when stderr is redirected, the kernel compile as a step of its own, and a loss per word that is
smooth across epoch starts.

Training tests run on the sample's first 200k words for a few epochs (well under a second each with
the kernels cached); numba compiles once per test session.
"""
from __future__ import annotations

import io
import lzma
import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

import w2v
from w2v import progress, training
from w2v.progress import LossWindow, compile_notices, kernel_step, progress_mode

SMALL = dict(vector_size=16, window=3, min_count=3, workers=1, sg=1, seed=3)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("progress") / "tiny.txt"
    with lzma.open(w2v.sample_corpus_path(), "rt") as f:
        path.write_text(" ".join(f.read(1_400_000).split()[:200_000]))
    return path


class FakeStream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


# --------------------------------------------------------------------------- which display


@pytest.mark.parametrize("setting, tty, mode", [
    (None, True, "bar"), (None, False, "off"),      # auto: a bar only for a person at a terminal
    (True, True, "bar"), (True, False, "lines"),    # asked for: plain lines when redirected
    (False, True, "off"), (False, False, "off"),
])
def test_progress_mode(setting, tty, mode):
    assert progress_mode(setting, FakeStream(tty)) == mode


def test_default_progress_is_auto_and_draws_nothing_when_redirected(corpus, capsys):
    """Issue 13: a library calling Word2Vec inside its own fit() gets no bar (gensim draws none)."""
    assert w2v.TrainParams().progress is None
    w2v.train(str(corpus), epochs=1, cache_dir=False, **SMALL)
    assert capsys.readouterr().err == ""


def test_redirected_progress_is_a_few_plain_lines(corpus, capsys):
    w2v.train(str(corpus), epochs=4, cache_dir=False, progress=True, **SMALL)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "\r" not in err and "\x1b" not in err  # no terminal refreshes
    assert 1 <= len(lines) <= 11, lines
    assert lines[-1].startswith("w2v: 100% epoch 4/4") and "loss/word" in lines[-1]
    percents = [int(line.split("%")[0].split()[-1]) for line in lines]
    assert percents == sorted(set(percents))  # each line says something new


def test_cli_redirected_output_has_no_bar_refreshes(corpus, tmp_path):
    """``w2v train ... 2> log``: a handful of lines, not a bar's hundreds of refreshes."""
    log = tmp_path / "log.txt"
    with open(log, "w") as err:
        proc = subprocess.run([sys.executable, "-m", "w2v", "train", "-train", str(corpus), "-output",
                               str(tmp_path / "v.txt"), "-size", "16", "-iter", "5", "-threads", "1",
                               "-min-count", "3"], stderr=err, stdout=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0
    text = log.read_text()
    progress_lines = [line for line in text.splitlines() if "% epoch" in line]
    assert "\r" not in text and 5 <= len(progress_lines) <= 11, text
    assert len(text.splitlines()) <= len(progress_lines) + 5, text  # + start, compile step (cold cache), summary


# --------------------------------------------------------------------------- compile step


class FakeDispatcher:
    def __init__(self, compiled=False, index="/nonexistent/w2v-test.nbi"):
        self.overloads = {"sig": object()} if compiled else {}

        class CacheFile:
            _index_path = index

        class Cache:
            _cache_file = CacheFile()

        self._cache = Cache()


def test_cold_cache_is_announced_as_its_own_step():
    said, calls = [], []
    kernel_step(FakeDispatcher(), lambda: calls.append(len(said)), said.append)
    assert calls == [1], "the compile must be announced before it starts"
    assert said[0].startswith("compiling kernels (once per install")
    assert said[1].startswith("kernels ready in")


def test_warm_cache_loads_silently_and_compiled_kernels_are_not_called(tmp_path):
    index = tmp_path / "k.nbi"
    index.write_bytes(b"")
    said, calls = [], []
    kernel_step(FakeDispatcher(index=str(index)), lambda: calls.append(1), said.append)
    assert calls == [1] and said == []
    kernel_step(FakeDispatcher(compiled=True), lambda: calls.append(2), said.append)
    assert calls == [1] and said == []


def test_slow_load_with_a_warm_index_is_announced(tmp_path, monkeypatch):
    """The index exists but numba compiles anyway (a new argument type): say so once it is slow."""
    monkeypatch.setattr(progress, "SLOW_LOAD_SECONDS", 0.05)
    index = tmp_path / "k.nbi"
    index.write_bytes(b"")
    said = []
    kernel_step(FakeDispatcher(index=str(index)), lambda: time.sleep(0.5), said.append)
    assert [s.split(" ")[0] for s in said] == ["compiling", "kernels"]


def test_real_dispatcher_exposes_numba_cache_index():
    """The cold-cache check reads numba's index path; if numba moves it, only the timer is left."""
    from w2v.kernels import train_chunk

    index = train_chunk._cache._cache_file._index_path
    assert str(index).endswith(".nbi") and "train_chunk" in str(index)


def test_training_shows_the_compile_step_before_the_first_epoch(corpus, tmp_path):
    """End to end in a fresh process: the cold-cache check says cold, so the step is announced,
    and it comes before any progress line."""
    script = (
        "import sys, w2v, w2v.progress as p\n"
        "p.kernel_cache_is_cold = lambda d: True\n"
        f"w2v.train({str(corpus)!r}, epochs=2, progress=True, cache_dir=False, "
        "vector_size=16, min_count=3, workers=1)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("w2v: compiling kernels (once per install"), lines
    assert lines[1].startswith("w2v: kernels ready in"), lines
    assert all("% epoch" in line for line in lines[2:]) and len(lines) > 2


def test_compile_notices_announce_a_real_compile_before_it_and_time_it_after():
    """numba's own compile event drives the notice: any command's compile is announced, wherever in
    the command it happens; a function already compiled (or loaded from the cache) says nothing."""
    from numba import njit

    said = []

    @njit(cache=False)
    def fresh(x):  # a new function object: numba must compile it at the first call
        return x * 2 + 1

    def spy(text):
        said.append((text, fresh.overloads.copy()))  # what was compiled when it was said

    with compile_notices(spy):
        assert fresh(20) == 41
        assert len(said) == 1 and said[0][0] == progress.COMPILE_MESSAGE and not said[0][1]  # before
    assert said[1][0].startswith("kernels ready in ") and said[1][0].endswith("s")
    said.clear()
    with compile_notices(spy):
        assert fresh(1) == 3  # compiled already: silent
    assert said == []


def test_nested_notices_announce_once_and_the_inner_step_says_the_time():
    """``w2v train``: the command announces the corpus scan's compile; its training step, whose
    kernels compile next, says when all are ready (once, with the compile time since the message)."""
    from numba import njit

    outer, inner = [], []
    with compile_notices(outer.append):
        njit(cache=False)(lambda x: x + 1)(1)
        kernel_step(FakeDispatcher(), lambda: njit(cache=False)(lambda x: x - 1)(1), inner.append)
    assert outer == [progress.COMPILE_MESSAGE] and len(inner) == 1 and inner[0].startswith("kernels ready in")


# --------------------------------------------------------------------------- a pseudo-terminal


def run_in_a_pty(args, timeout=300) -> str:
    """Everything ``args`` writes to its terminal, a fresh pseudo-terminal whose size is 0 x 0 (as
    ``script`` gives one when it is not run from a terminal itself, or an editor's terminal)."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=max(1, deadline - time.monotonic())) == 0, b"".join(chunks).decode(errors="replace")
    finally:
        proc.kill()
        os.close(master)
    return b"".join(chunks).decode(errors="replace")


BAR = re.compile(r"w2v:\s+\d+%\|.*\|.*w/s")


def test_cli_draws_the_bar_in_a_pseudo_terminal(corpus, tmp_path):
    """Issue 29: under ``script -q -c "w2v train ..." /dev/null`` no bar was drawn (the terminal said
    0 x 0 and tqdm drew nothing there)."""
    shown = run_in_a_pty([sys.executable, "-m", "w2v", "train", "-train", str(corpus), "-output",
                          str(tmp_path / "v.txt"), "-size", "16", "-iter", "3", "-threads", "1", "-min-count", "3"])
    assert BAR.search(shown), shown
    assert "% epoch" not in shown  # the plain lines are for a redirected stderr


def test_library_draws_the_bar_in_a_pseudo_terminal(corpus):
    """``w2v.train`` with the default progress=None ("auto") draws the bar when stderr is a terminal."""
    script = f"import w2v; w2v.train({str(corpus)!r}, epochs=2, cache_dir=False, vector_size=16, min_count=3, workers=1)"
    assert BAR.search(run_in_a_pty([sys.executable, "-c", script]))


# --------------------------------------------------------------------------- words/s


def test_cli_summary_words_per_second_is_the_progress_lines_figure(corpus, tmp_path):
    """Issue 29: the summary said 7,907 words/s where the progress said 1.4M: it timed the kernel load
    and setup too. Both now count from the first epoch's start to the end of training; the time
    before it is reported apart."""
    proc = subprocess.run([sys.executable, "-m", "w2v", "train", "-train", str(corpus), "-output",
                           str(tmp_path / "v.txt"), "-size", "16", "-iter", "3", "-threads", "1", "-min-count", "3"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    final = re.search(r"w2v: 100% epoch 3/3, [\d,]+ of ([\d,]+) words, ([\d,]+) words/s", proc.stderr)
    summary = re.search(r"w2v: trained 3 epochs, ([\d,]+) words in ([\d.]+)s \(([\d,]+) words/s\)", proc.stderr)
    assert final and summary, proc.stderr
    number = lambda text: int(text.replace(",", ""))  # noqa: E731
    assert number(final.group(1)) == number(summary.group(1))
    assert abs(number(final.group(2)) / number(summary.group(3)) - 1) < 0.03, proc.stderr
    assert "s in all, with setup and kernel loading" in proc.stderr or float(summary.group(2)) > 0


def test_final_line_is_said_at_close_over_the_whole_run():
    """The 100% line waits for close() (after the last epoch's checkpoint and callbacks), so its
    words/s spans the same interval as the summary's."""
    stream = FakeStream(tty=False)
    display = progress.Progress(1000, 0, 1, "lines", stream=stream)
    display.begin()
    display.update(1000, 0, 1000, 500.0)
    assert "100%" not in stream.getvalue()
    display.close()
    assert stream.getvalue().splitlines()[-1].startswith("w2v: 100% epoch 1/1, 1,000 of 1,000 words")


def test_bar_size_falls_back_when_the_terminal_reports_none(monkeypatch):
    class Tty:
        def fileno(self):
            return 99

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((0, 0)))
    assert progress.bar_size(Tty()) == {"ncols": 80, "nrows": 24}
    monkeypatch.setenv("COLUMNS", "120")
    assert progress.bar_size(Tty())["ncols"] == 120
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((100, 30)))
    assert progress.bar_size(Tty()) == {}
    assert progress.bar_size(io.StringIO()) == {}  # no descriptor: tqdm decides


# --------------------------------------------------------------------------- the loss shown


def test_loss_window_is_a_running_average_over_the_last_words():
    window = LossWindow(100)
    assert window.value() is None
    window.reset(0, 0.0)
    for words in range(50, 501, 50):  # 2.0 per word for the first 250 words, then 1.0
        window.add(words, 2.0 * min(words, 250) + 1.0 * max(0, words - 250))
    assert window.value() == pytest.approx(1.0)


def test_displayed_loss_is_smooth_across_epoch_starts(corpus, monkeypatch):
    """The loss shown never reads 0 at an epoch start and moves little between polls: the old
    display divided the chunks' loss (added when a chunk ends) by all words, finished or not."""
    shown = []
    original = progress.Progress.update

    def spy(self, done, epoch, loss_words, loss_total):
        original(self, done, epoch, loss_words, loss_total)
        if self.loss.value() is not None:
            shown.append((epoch, self.loss.value()))

    monkeypatch.setattr(progress.Progress, "update", spy)
    monkeypatch.setattr(training, "POLL_SECONDS", 0.002)
    monkeypatch.setattr(training, "CHUNK_WORDS", 20_000)  # several chunks per epoch
    w2v.train(str(corpus), epochs=4, cache_dir=False, progress=True, **SMALL)
    assert len({epoch for epoch, _ in shown}) == 4 and len(shown) >= 20
    assert min(loss for _, loss in shown) > 1.0  # a loss per word near ln 2 x (negative + 1) early on
    # from the end of epoch 1 on (the first epoch's first chunks drop fast: that is learning)
    steps = [b / a for (_, a), (epoch, b) in zip(shown, shown[1:]) if epoch >= 1]
    assert max(steps) < 1.1 and min(steps) > 0.9, shown  # epoch starts included: no jumps to 0


def test_terminal_bar_starts_after_the_compile_message():
    """On a terminal the compile message stands alone; the bar (with epoch and loss) comes after."""
    stream = FakeStream(tty=True)
    display = progress.Progress(1000, 0, 2, "bar", stream=stream)
    display.message("compiling kernels (once per install)...")
    assert stream.getvalue() == "w2v: compiling kernels (once per install)...\n"
    display.begin()
    display.loss.reset(0, 0.0)
    display.update(500, 0, 400, 2000.0)
    display.bar.refresh()
    display.close()
    drawn = stream.getvalue().split("\n", 1)[1]
    assert "epoch=1/2" in drawn and "loss=5.0000" in drawn
