"""The scan's pre-filter (collectors/inputs/textscan.py): a plain log is searched for SIGNATURES and EVIDENCE, which
must stay within the 64 patterns that ahocorasick-rs searches with SIMD (Teddy): past them the search of a 100 MB
log takes ~0.17 s more (bench/scan_bench.py), enough to break the 3 % speed target. Pasted text is searched for the
PASTE_SIGNATURES too, past that bound, as such texts are small."""

from __future__ import annotations

from bgprobe.collectors.inputs import textscan
from bgprobe.collectors.parsers.android_log import CONTEXT_SIGNATURES, EVIDENCE, PASTE_SIGNATURES, SIGNATURES

SIMD_PATTERNS = 64  # aho-corasick's packed (Teddy) searcher takes at most this many patterns


def test_a_plain_log_is_searched_with_at_most_64_patterns():
    assert len(textscan._PLAIN_PATTERNS) == len(SIGNATURES) + len(EVIDENCE) <= SIMD_PATTERNS


def test_every_word_is_searched_once_and_a_patterns_index_means_the_same_in_both_searches():
    words = [*SIGNATURES, *EVIDENCE, *PASTE_SIGNATURES]
    assert len(words) == len(set(words))
    assert textscan._PASTE_PATTERNS[: len(textscan._PLAIN_PATTERNS)] == textscan._PLAIN_PATTERNS
    assert set(CONTEXT_SIGNATURES) <= set(words)  # an opener that is never searched for hands over nothing
