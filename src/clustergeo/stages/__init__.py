"""Orchestration: the only code that reads and writes a run's files, one module per stage."""
