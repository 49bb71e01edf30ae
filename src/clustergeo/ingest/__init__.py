"""Readers of a run's inputs: boundaries, authority tiers and lookups, employment tables.

Modules: :mod:`~.boundaries` (polygons, reprojected to British National Grid),
:mod:`~.authorities` (tiers from attributes, lookups or overlays), :mod:`~.employment` (Nomis
and tidy employment tables), :mod:`~.joins` (codes that do not join), :mod:`~.national_totals`.
Nothing is imported here, so using one reader does not load the others.
"""
