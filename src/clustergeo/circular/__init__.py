"""Circular economy: where waste producers and the industries that could use their waste sit.

Modules: :mod:`~.matrix` (the producer -> user matrix of material streams),
:mod:`~.colocation` (bivariate local and global co-location statistics of every stream at
once, and the table-only coagglomeration index), :mod:`~.zones` (symbiosis opportunity zones
and gaps) and :mod:`~.cooperation` (who must co-operate to close each loop).
"""
