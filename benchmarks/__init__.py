"""Benchmarks: parser speed, matching speed and matching quality on the real snapshots."""
