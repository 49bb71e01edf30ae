"""Clusters: join significant neighbouring areas into clusters, one industry at a time.

Module: :mod:`~.delineate`.
"""
