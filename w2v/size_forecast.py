"""How large an n-gram count table will end up, forecast while a corpus of known size is read, so its
slot array is sized once (:meth:`w2v.ngram_table.NgramTable.reserve_slots`) instead of doubling.
"""
from __future__ import annotations

#: Heaps' law exponent of :class:`SizeForecast`: the distinct n-grams of a text grow about as
#: (words read) ** beta with beta 0.7-0.9 for natural language (0.8 on wiki17m's bigrams), so
#: the smallest usual value forecasts low rather than high
HEAPS_EXPONENT = 0.7
#: a forecast is at most this many times the entries counted so far (a bound on the memory a
#: wrong forecast can cost: a slot array sized for 4x the entries)
FORECAST_CAP = 4


class SizeForecast:
    """Forecasts a count table's final number of entries while a corpus of known size is read, so
    its slot array can be sized once for where it is going (:meth:`NgramTable.reserve_slots`)
    instead of doubling its way there. Each doubling places every entry again, and most of that
    work comes late, when the table is large: on wiki17m (4.2M entries) the doublings were ~15%
    of counting.

    The forecast is the smallest of: Heaps' law with a low exponent (:data:`HEAPS_EXPONENT`);
    the last block's growth rate carried to the end of the corpus (growth slows as a text goes
    on, so this is high for natural text, and it is right for one that repeats itself, whose
    growth stops); :data:`FORECAST_CAP` times the entries so far; and ``limit``. A forecast that
    comes out low costs nothing (the table doubles as before); one that comes out high costs
    slot memory (4 bytes a slot), bounded by the cap.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.last = (0.0, 0)

    def __call__(self, fraction: float | None, entries: int) -> int:
        """The forecast after ``fraction`` of the corpus gave ``entries`` (None: size unknown)."""
        f0, n0 = self.last
        if fraction is None or not f0 < fraction < 1 or entries <= 0:
            return entries
        self.last = fraction, entries
        heaps = entries * fraction ** -HEAPS_EXPONENT
        recent = entries + (entries - n0) / (fraction - f0) * (1 - fraction)
        return int(min(heaps, recent, FORECAST_CAP * entries, self.limit))
