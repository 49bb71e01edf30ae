"""Open a run's QGIS project and GeoPackage in real QGIS and report what QGIS sees, as JSON.

Run with the system Python that has QGIS (Debian's python3-qgis), not the project's venv:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_outputs.py RUN_DIR OUT.png

Prints one JSON document: the project's title, CRS, groups and default view; for every layer
of the GeoPackage opened on its own, its validity, feature count, CRS, default renderer
(type, attribute, class count) and whether labels are on; for every GeoTIFF of the run's
employment surface, its validity, CRS, band count, band names and nodata; and the share of
non-white pixels of the project rendered to OUT.png, with the labels QGIS placed and any
pair of them that overlap.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # QT_QPA_PLATFORM is set first
    QgsApplication,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def renderer_info(layer: QgsVectorLayer) -> dict[str, object]:
    renderer = layer.renderer() if layer.isSpatial() else None
    if renderer is None:
        return {"renderer": None, "attribute": None, "classes": None}
    kind = renderer.type()
    classes = None
    attribute = None
    if kind == "graduatedSymbol":
        classes, attribute = len(renderer.ranges()), renderer.classAttribute()
    elif kind == "categorizedSymbol":
        classes, attribute = len(renderer.categories()), renderer.classAttribute()
    elif kind == "singleSymbol":
        classes = 1
    return {"renderer": kind, "attribute": attribute, "classes": classes}


def _overlap(first: object, second: object) -> bool:
    """Whether two label rectangles share area (touching edges do not count)."""
    common = first.intersect(second)  # type: ignore[attr-defined]
    return not common.isEmpty() and common.width() > 0 and common.height() > 0


def inspect(run_dir: str, png: str) -> dict[str, object]:
    """Everything QGIS reports about the run's outputs (layers are freed on return)."""
    gpkg = str(Path(run_dir) / "clustergeo.gpkg")
    report: dict[str, object] = {"layers": {}}
    probe = QgsVectorLayer(gpkg, "probe", "ogr")
    names = [s.split("!!::!!")[1] for s in probe.dataProvider().subLayers()]
    for name in names:
        if name == "layer_styles":
            continue
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        report["layers"][name] = {
            "valid": layer.isValid(),
            "features": layer.featureCount(),
            "crs": layer.crs().authid() if layer.isSpatial() else None,
            "labels": layer.labelsEnabled(),
            "styles_in_database": layer.listStylesInDatabase()[0],
            **renderer_info(layer),
        }

    rasters = {}
    for tif in sorted((Path(run_dir) / "surface").glob("*.tif")):
        raster = QgsRasterLayer(str(tif), tif.stem)
        provider = raster.dataProvider()
        rasters[tif.name] = {
            "valid": raster.isValid(),
            "crs": raster.crs().authid(),
            "bands": raster.bandCount(),
            "band_names": [raster.bandName(i) for i in range(1, raster.bandCount() + 1)],
            "nodata": provider.sourceNoDataValue(1) if provider.sourceHasNoDataValue(1) else None,
        }
        del raster
    report["rasters"] = rasters

    project = QgsProject.instance()
    report["project_read"] = project.read(str(Path(run_dir) / "clustergeo.qgs"))
    report["project_title"] = project.title()
    report["project_crs"] = project.crs().authid()
    report["project_absolute_paths"] = project.readBoolEntry("Paths", "/Absolute", True)[0]
    root = project.layerTreeRoot()
    report["groups"] = [group.name() for group in root.children()]
    report["project_layers"] = {
        node.layer().name(): {
            "valid": node.layer().isValid(),
            "visible": node.isVisible(),
            "source": node.layer().source(),
            **renderer_info(node.layer()),
        }
        for node in root.findLayers()
    }
    extent = project.viewSettings().defaultViewExtent()
    report["default_extent"] = [
        extent.xMinimum(),
        extent.yMinimum(),
        extent.xMaximum(),
        extent.yMaximum(),
    ]

    settings = QgsMapSettings()
    settings.setLayers(
        [n.layer() for n in root.findLayers() if n.isVisible() and n.layer().isSpatial()]
    )
    settings.setDestinationCrs(project.crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(1200, 900))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png)
    placed = [
        (label.labelText, label.labelRect)
        for label in job.takeLabelingResults().allLabels()
        if not label.isUnplaced
    ]
    report["labels_drawn"] = [text for text, _rect in placed]
    report["label_overlaps"] = [
        [placed[i][0], placed[j][0]]
        for i in range(len(placed))
        for j in range(i + 1, len(placed))
        if _overlap(placed[i][1], placed[j][1])
    ]
    painted = sum(
        image.pixel(x, y) != QColor("white").rgb()
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
    )
    report["painted_share"] = painted / ((image.width() // 4) * (image.height() // 4))
    project.clear()
    return report


def main(run_dir: str, png: str) -> None:
    # Every QGIS object must be gone before exitQgis(), or the interpreter crashes on exit.
    app = QgsApplication([], False)
    app.initQgis()
    print(json.dumps(inspect(run_dir, png)), flush=True)
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
