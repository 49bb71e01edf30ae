"""Presentation: maps, QGIS styles and project, and the run report."""
