"""Hot spots: spatial weights, Getis-Ord Gi*/Gi and Local Moran's I with inference.

Modules: :mod:`~.weights` (tolerant contiguity and libpysal weights, islands),
:mod:`~.weights_formats` (libpysal adjacency, GAL, GWT), :mod:`~.statistics`,
:mod:`~.permutation`, :mod:`~.multiple_testing`, :mod:`~.engine` (every industry at once) and
:mod:`~.partitioned` (the same on Dask). Nothing is imported here, so building weights does not
compile the statistics.
"""
