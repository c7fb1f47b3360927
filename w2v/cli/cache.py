"""``w2v cache info`` and ``w2v cache clear``: the disk cache of corpus scans (:mod:`w2v.cache`)."""
from __future__ import annotations

import argparse
import time


def add_cache_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("cache", help="the disk cache of corpus scans: where it is, its size; clear it",
                       allow_abbrev=False, description="Corpus scans are cached on disk (4 bytes per "
                       "corpus word) so a second run on the same file skips reading the text.")
    p.add_argument("action", choices=("info", "clear"), help="info: location, cap, entries; clear: remove all")
    p.set_defaults(func=cmd_cache)
    return p


def cmd_cache(args: argparse.Namespace) -> int:
    """``w2v cache info``: where the cache is, its cap and entries; ``w2v cache clear`` empties it."""
    from ..cache import DiskCache, format_size

    cache = DiskCache()
    if args.action == "clear":
        count, freed = cache.clear()
        print(f"removed {count} cache entries ({format_size(freed)}) from {cache.directory}")
        return 0
    info = cache.info()
    cap = "off ($W2V_CACHE_MAX=0)" if cache.max_bytes == 0 else format_size(cache.max_bytes)
    print(f"directory: {info['directory']} (set $W2V_CACHE_DIR to move it)")
    print(f"size cap:  {cap} (least recently used entries are removed beyond it; $W2V_CACHE_MAX, "
          "w2v train -cache SIZE)")
    print(f"entries:   {len(info['entries'])}, {format_size(info['total_bytes'])} in all")
    for row in info["entries"]:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["last_used"]))
        words = f"{row['words']:,} words" if row["words"] is not None else "? words"
        print(f"  {format_size(row['bytes']):>10}  {words:>16}  used {used}  {row['state']:<11} {row['source']}")
    return 0
