"""National scale: synthetic national workloads, streaming employment tables, panel runs."""
