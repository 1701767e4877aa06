"""Benchmarks: one script per figure, each printing one JSON object (see bench/README.md)."""
