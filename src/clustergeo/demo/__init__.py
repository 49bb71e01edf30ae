"""Synthetic inputs generated from a seed: the demo region and the national workload."""
