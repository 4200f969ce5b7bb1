"""Benchmarks for hubbub (see bench/README.md).

Every number here is a ratio measured in one run against a bare baseline on
the same machine, so results compare across machines; nothing asserts an
absolute time.
"""
