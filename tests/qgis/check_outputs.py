"""Open a run's QGIS project and GeoPackage in real QGIS and report what QGIS sees, as JSON.

Run with the system Python that has QGIS (Debian's python3-qgis), not the project's venv:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_outputs.py RUN_DIR OUT.png

Prints one JSON document: the project's title, CRS, groups and default view; for every layer
of the GeoPackage opened on its own, its validity, feature count, CRS, default renderer
(type, attribute, class count) and whether labels are on; for every GeoTIFF of the run's
employment surface, its validity, CRS, band count, band names and nodata; and the share of
non-white pixels of the project rendered to OUT.png, with the labels QGIS placed, any pair
of them that overlap, and how far each finding's number lies from its label point.

Of the project it also reports every layer's renderer (a raster band's too) and abstract; the
map themes, each with its layers' visibility and style, and what applying a theme to the
layer tree does; the relations and whether QGIS finds them valid; and the print layouts,
with the first industry's theme rendered to OUT_theme.png and its layout exported to
OUT_layout.png (each with its share of non-white pixels).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # QT_QPA_PLATFORM is set first
    QgsApplication,
    QgsLayerTreeModel,
    QgsLayoutExporter,
    QgsLayoutItemLegend,
    QgsMapLayer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage


def raster_renderer_info(layer: QgsRasterLayer) -> dict[str, object]:
    renderer = layer.renderer()
    shader = renderer.shader() if renderer.type() == "singlebandpseudocolor" else None
    ramp = shader.rasterShaderFunction() if shader is not None else None
    return {
        "renderer": renderer.type(),
        "attribute": None,
        "band": renderer.band() if hasattr(renderer, "band") else None,
        "classes": len(ramp.colorRampItemList()) if ramp is not None else None,
        "transparent_first_class": bool(ramp and ramp.colorRampItemList()[0].color.alpha() == 0),
        "uses_source_nodata": layer.dataProvider().useSourceNoDataValue(renderer.band())
        if hasattr(renderer, "band")
        else None,
    }


def renderer_info(layer: QgsMapLayer) -> dict[str, object]:
    if isinstance(layer, QgsRasterLayer):
        return raster_renderer_info(layer)
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


def painted_share(image: object) -> float:
    """The share of non-white pixels, sampled every fourth pixel each way."""
    white = QColor("white").rgb()
    width, height = image.width(), image.height()  # type: ignore[attr-defined]
    painted = sum(
        image.pixel(x, y) != white  # type: ignore[attr-defined]
        for x in range(0, width, 4)
        for y in range(0, height, 4)
    )
    return painted / ((width // 4) * (height // 4))


def render(settings: QgsMapSettings, png: str) -> tuple[object, list[tuple[str, object]]]:
    """Render ``settings`` to ``png``; the image and the labels QGIS placed."""
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
    return image, placed


def finding_label_reach(project: QgsProject, settings: QgsMapSettings) -> list[float]:
    """How far each finding's number QGIS placed lies from the point the maps number it at.

    In pixels of ``settings``, from the centre of the label to the layer's ``label_x``,
    ``label_y`` (the findings layer's label point).
    """
    found = [
        node.layer()
        for node in project.layerTreeRoot().findLayers()
        if node.layer().source().endswith("layername=clusters")
    ]
    if not found or found[0].fields().indexOf("label_x") < 0:
        return []
    layer = found[0]
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    per_pixel = settings.mapUnitsPerPixel()
    reach = []
    for label in job.takeLabelingResults().allLabels():
        if label.isUnplaced or label.layerID != layer.id():
            continue
        feature = layer.getFeature(label.featureId)
        centre = label.labelRect.center()
        offset = math.hypot(centre.x() - feature["label_x"], centre.y() - feature["label_y"])
        reach.append(offset / per_pixel)
    return reach


def overlaps(placed: list[tuple[str, object]]) -> list[list[str]]:
    return [
        [placed[i][0], placed[j][0]]
        for i in range(len(placed))
        for j in range(i + 1, len(placed))
        if _overlap(placed[i][1], placed[j][1])
    ]


def themes_info(project: QgsProject) -> dict[str, object]:
    """Each map theme's layers (visible or hidden) and styles, in the project's order."""
    collection = project.mapThemeCollection()
    themes = {}
    for name in collection.mapThemes():
        records = collection.mapThemeState(name).layerRecords()
        themes[name] = {
            "visible": [layer.name() for layer in collection.mapThemeVisibleLayers(name)],
            "layers": {
                record.layer().name(): {
                    "visible": record.isVisible,
                    "style": record.currentStyle if record.usingCurrentStyle else None,
                }
                for record in records
                if record.layer() is not None
            },
        }
    return themes


def applied_theme(project: QgsProject, name: str) -> dict[str, object]:
    """What choosing the theme in QGIS does to the layer tree: each layer's state and style."""
    root = project.layerTreeRoot()
    model = QgsLayerTreeModel(root)
    project.mapThemeCollection().applyTheme(name, root, model)
    state = {
        node.layer().name(): {
            "visible": node.isVisible(),
            "style": node.layer().styleManager().currentStyle(),
        }
        for node in root.findLayers()
    }
    del model
    return state


def relations_info(project: QgsProject) -> list[dict[str, object]]:
    return [
        {
            "name": relation.name(),
            "valid": relation.isValid(),
            "referenced": relation.referencedLayer().name() if relation.referencedLayer() else None,
            "referencing": relation.referencingLayer().name()
            if relation.referencingLayer()
            else None,
            "fields": [list(pair) for pair in relation.fieldPairs().items()],
        }
        for relation in project.relationManager().relations().values()
    ]


def legend_fit(layout: object, png: str) -> dict[str, float]:
    """The legend's box and the height its content needs (mm), as drawn for the page.

    QGIS measures a legend's content only once it has drawn it (it needs the page's DPI), so
    the page is drawn first, small; then the legend is sized to its content.
    """
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 20
    QgsLayoutExporter(layout).exportToImage(png, settings)
    legend = next(i for i in layout.items() if isinstance(i, QgsLayoutItemLegend))
    box = legend.sizeWithUnits()
    legend.setResizeToContents(True)
    legend.adjustBoxSize()
    content = legend.sizeWithUnits().height()
    legend.setResizeToContents(False)
    legend.attemptResize(box)
    return {"box_mm": box.height(), "content_mm": content}


def layouts_info(project: QgsProject, industry_theme: str | None, png: str) -> dict[str, object]:
    """Every layout's name and items; the industry theme's layout exported to ``png``."""
    manager = project.layoutManager()
    report: dict[str, object] = {
        "names": [layout.name() for layout in manager.printLayouts()],
        "items": {},
    }
    for layout in manager.printLayouts():
        page = layout.pageCollection().page(0)
        report["items"][layout.name()] = {  # type: ignore[index]
            "page_mm": [page.pageSize().width(), page.pageSize().height()],
            "types": sorted(
                {type(item).__name__ for item in layout.items() if hasattr(item, "uuid")}
            ),
            "map_theme": next(
                (
                    item.followVisibilityPresetName()
                    for item in layout.items()
                    if type(item).__name__ == "QgsLayoutItemMap" and item.followVisibilityPreset()
                ),
                None,
            ),
            "legend": legend_fit(layout, png),
        }
    layout = manager.layoutByName(industry_theme) if industry_theme else None
    if layout is not None:
        settings = QgsLayoutExporter.ImageExportSettings()
        settings.dpi = 100
        result = QgsLayoutExporter(layout).exportToImage(png, settings)
        report["exported"] = industry_theme
        report["export_ok"] = result == QgsLayoutExporter.Success
        if report["export_ok"]:
            image = QImage(png)
            report["export_size"] = [image.width(), image.height()]
            report["export_painted_share"] = painted_share(image)
    return report


def theme_and_layout(project: QgsProject, settings: QgsMapSettings, png: str) -> dict[str, object]:
    """The first industry's theme rendered, its layout exported, and the theme applied."""
    # The first industry's theme (the first layout after the overview's, in the project's
    # order), rendered as a layout's map renders it: its visible layers in its styles.
    report: dict[str, object] = {}
    collection = project.mapThemeCollection()
    order = [layout.name() for layout in project.layoutManager().printLayouts()]
    industries = [name for name in order if name in collection.mapThemes()][1:]
    theme = industries[0] if industries else None
    stem = str(Path(png).with_suffix(""))
    if theme is not None:
        settings.setLayers(collection.mapThemeVisibleLayers(theme))
        settings.setLayerStyleOverrides(collection.mapThemeStyleOverrides(theme))
        image, placed = render(settings, f"{stem}_theme.png")
        report["theme_render"] = {
            "theme": theme,
            "labels_drawn": [text for text, _rect in placed],
            "label_overlaps": overlaps(placed),
            "painted_share": painted_share(image),
        }
    report["layouts"] = layouts_info(project, theme, f"{stem}_layout.png")
    if theme is not None:
        report["applied_theme"] = {"theme": theme, "layers": applied_theme(project, theme)}
    return report


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
            "group": node.parent().name(),
            "kind": "raster" if isinstance(node.layer(), QgsRasterLayer) else "vector",
            "abstract": node.layer().abstract(),
            "metadata_abstract": node.layer().metadata().abstract(),
            "styles": node.layer().styleManager().styles(),
            "current_style": node.layer().styleManager().currentStyle(),
            **renderer_info(node.layer()),
        }
        for node in root.findLayers()
    }
    report["themes"] = themes_info(project)
    report["relations"] = relations_info(project)
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
    image, placed = render(settings, png)
    report["labels_drawn"] = [text for text, _rect in placed]
    report["label_overlaps"] = overlaps(placed)
    report["painted_share"] = painted_share(image)
    report["finding_label_reach"] = finding_label_reach(project, settings)

    report["zoomed_labels"] = zoomed_labels(project, settings, png)
    report |= theme_and_layout(project, settings, png)
    project.clear()
    return report


def zoomed_labels(project: QgsProject, settings: QgsMapSettings, png: str) -> dict[str, object]:
    """The overview zoomed in on the middle of the study area: the labels placed, by layer.

    A 30 km wide window, about 1:95,000 at QGIS's 96 dpi: the scale at which a reader looks
    for district names.
    """
    extent = project.viewSettings().defaultViewExtent()
    centre = extent.center()
    zoomed = QgsMapSettings(settings)
    zoomed.setExtent(
        QgsRectangle(
            centre.x() - 15_000, centre.y() - 11_250, centre.x() + 15_000, centre.y() + 11_250
        )
    )
    job = QgsMapRendererParallelJob(zoomed)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(Path(png).with_suffix("")) + "_zoomed.png")
    names = {layer.id(): layer.name() for layer in project.mapLayers().values()}
    by_layer: dict[str, list[str]] = {}
    for label in job.takeLabelingResults().allLabels():
        if not label.isUnplaced:
            by_layer.setdefault(names.get(label.layerID, label.layerID), []).append(label.labelText)
    return {"scale": zoomed.scale(), "by_layer": by_layer}


def main(run_dir: str, png: str) -> None:
    # Every QGIS object must be gone before exitQgis(), or the interpreter crashes on exit.
    app = QgsApplication([], False)
    app.initQgis()
    print(json.dumps(inspect(run_dir, png)), flush=True)
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
