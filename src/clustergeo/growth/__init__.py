"""Change over time: growth, change in LQ, index series and shift-share (stage ``growth``).

Modules: :mod:`~.series` (each area x industry's values by year, and each finding's combined
series), :mod:`~.measures` (start and end values, change, CAGR, index), :mod:`~.shift_share`
(the classic decomposition and the Esteban-Marquillas variant). Pure functions of frames; the
stage reads and writes the files.
"""
