"""Findings: clusters (contiguous hot spots, with a core and an extent) and concentrations.

Modules: :mod:`~.delineate` (significant areas joined by the weights, core and extent),
:mod:`~.concentrations` (single places whose own specialisation is significant),
:mod:`~.strength` (strength score and stars) and :mod:`~.findings` (both kinds in one table).
"""
