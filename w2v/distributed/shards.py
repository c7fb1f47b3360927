"""The corpus as shards: which pieces of text exist, which worker reads which, and how a worker reads one.

A shard is one file (a local path, or an fsspec URL such as ``s3://bucket/part-0.txt.gz`` when
fsspec is installed) or one partition of a ``dask.bag`` of token lists. The driver only lists
them (expanding directories and glob patterns it can see) and never opens one: each worker reads
its own with w2v's tokeniser (:func:`w2v.encode.scan`), so the text never passes through the driver.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import corpus as corpus_mod
from .. import encode


@dataclass(frozen=True)
class Shard:
    """One piece of the corpus: ``kind`` is "file", "url" or "bag" (then ``source`` is the partition)."""

    index: int
    kind: str
    source: str
    size: int = 0   # bytes, where the driver can see the file (for balancing); 0 if unknown

    def describe(self) -> str:
        return f"partition {self.source} of the dask.bag" if self.kind == "bag" else repr(self.source)

    def to_json(self) -> dict:
        return asdict(self)


def is_bag(corpus) -> bool:
    return type(corpus).__module__.startswith("dask.bag") and hasattr(corpus, "to_delayed")


def is_url(path) -> bool:
    return isinstance(path, str) and "://" in path and not path.startswith("file://")


def plan_shards(corpus) -> tuple[list[Shard], list | None]:
    """The shards of ``corpus`` and, for a dask.bag, its partitions as delayed objects."""
    if is_bag(corpus):
        parts = corpus.to_delayed()
        return [Shard(i, "bag", str(i)) for i in range(len(parts))], parts
    items = list(corpus) if isinstance(corpus, (list, tuple)) else [corpus]
    if not items or not all(isinstance(c, (str, os.PathLike)) for c in items):
        raise TypeError("distributed training reads a list of files, a directory, a glob pattern or a "
                        "dask.bag of token lists (an in-memory corpus would pass all the text through "
                        "the driver): write it to files or use dask.bag.from_sequence")
    shards: list[Shard] = []
    for item in items:
        for kind, source, size in _expand(item):
            shards.append(Shard(len(shards), kind, source, size))
    return shards, None


def _expand(item) -> list[tuple[str, str, int]]:
    """(kind, source, size) of the files one corpus item stands for."""
    if is_url(item):
        return [("url", url, 0) for url in _expand_url(item)]
    path = Path(item)
    if path.exists() or corpus_mod.is_glob(str(item)):
        return [("file", str(f.resolve()), f.stat().st_size) for f in corpus_mod.corpus_files(item)]
    return [("file", str(item), 0)]  # not visible here: the worker that reads it will say if it is missing


def _expand_url(url: str) -> list[str]:
    try:
        import fsspec
    except ImportError:
        raise ImportError(f"corpus {url!r} is a URL: reading URLs needs fsspec (pip install fsspec)") from None
    fs, path = fsspec.core.url_to_fs(url)
    if corpus_mod.is_glob(path):
        found = sorted(fs.glob(path))
    elif fs.isdir(path):
        found = sorted(p for p in fs.ls(path, detail=False) if not Path(p).name.startswith("."))
    else:
        return [url]
    if not found:
        raise FileNotFoundError(f"corpus {url!r} matches no file")
    return [fs.unstrip_protocol(p) for p in found]


def assign(shards: list[Shard], workers: list[str]) -> dict[int, str]:
    """Shard index -> worker: largest shards first, each to the least loaded worker.

    Shards of unknown size count as equal, which makes this round-robin for them.
    """
    if len(shards) < len(workers):
        raise ValueError(f"the corpus has {len(shards)} shard(s) but the cluster has {len(workers)} "
                         f"workers: every worker needs at least one; cut the corpus into >= {len(workers)} "
                         "files (or bag partitions), or use fewer workers")
    load = {w: 0 for w in workers}
    owner = {}
    for shard in sorted(shards, key=lambda s: (-s.size, s.index)):
        w = min(workers, key=lambda a: (load[a], workers.index(a)))
        owner[shard.index] = w
        load[w] += max(shard.size, 1)
    return owner


def read_shard(shard: Shard, partition, max_sentence_length: int, errors: str, cache_dir, threads: int):
    """Tokenise one shard on this (worker) process: a :class:`w2v.encode.RawScan`."""
    if shard.kind == "file":
        if not Path(shard.source).is_file():
            raise FileNotFoundError(f"corpus shard {shard.source!r} does not exist")
        return encode.scan(shard.source, max_sentence_length, errors, cache_dir, threads)
    if shard.kind == "bag":
        return encode.scan(list(partition), max_sentence_length, errors, False, 1)
    return encode.scan(_UrlSentences(shard.source, max_sentence_length, errors), max_sentence_length,
                       errors, False, 1)


class _UrlSentences:
    """The sentences of a file behind an fsspec URL (compression inferred from its name)."""

    def __init__(self, url: str, max_len: int, errors: str):
        self.url, self.max_len, self.errors = url, max_len, errors

    def __iter__(self):
        import fsspec

        try:
            opened = fsspec.open(self.url, "rt", encoding="utf-8", errors=self.errors, compression="infer")
            with opened as f:
                for line in f:
                    yield from corpus_mod.split_long(line.split(), self.max_len)
        except FileNotFoundError:
            raise FileNotFoundError(f"corpus shard {self.url!r} does not exist") from None
