"""Benchmarks: a bare Flask baseline and a harness that compares VAS with it."""
