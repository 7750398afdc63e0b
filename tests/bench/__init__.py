"""Benchmarks for `make bench`: each module has run(echo) printing its figures."""
