"""Pure-Python implementations that the benchmarks run beside ``oms_core`` on the same data."""
