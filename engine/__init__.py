"""The s2dcli engine: decoding, prefetching, batching and the device runtime.

This package never imports `s2dcli`; the application builds on it, not the other way round.
"""
