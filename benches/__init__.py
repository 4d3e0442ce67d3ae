"""Micro benchmarks of oms_core beside pure-Python baselines (see docs/BENCHMARKS.md)."""
