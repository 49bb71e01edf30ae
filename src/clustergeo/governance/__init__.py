"""Governance: overlay clusters and anchor sites on every authority tier.

Modules: :mod:`~.overlay` (authority shares and flags), :mod:`~.sites` (the anchor-site
registry and footprints), :mod:`~.summaries` (per-authority summaries in plain language).
"""
