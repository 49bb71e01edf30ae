"""A QGIS project (``.qgs``) that opens the run's GeoPackage, grouped, ordered and styled.

The project sits beside ``clustergeo.gpkg`` and names it by a relative path, so the run's
folder can be moved or shared as a whole; double-clicking the project opens every layer in
its default style (the same QML as the GeoPackage's ``layer_styles``), in British National
Grid, zoomed to the study area.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from pyproj import CRS

from clustergeo.publish.qgis_styles import QGIS_VERSION, LayerStyle
from clustergeo.vocab import WORKING_CRS, WORKING_EPSG

__all__ = ["PROJECT_LAYERS", "ProjectLayer", "geometry_types", "project_for_layers", "project_xml"]

_WORKING = CRS.from_epsg(WORKING_EPSG)


@dataclass(frozen=True)
class ProjectLayer:
    """A GeoPackage layer as it appears in the project's layer tree."""

    name: str
    title: str
    group: str
    geometry: str | None
    visible: bool = True

    @property
    def layer_id(self) -> str:
        """A stable layer id (QGIS only needs it unique within the project)."""
        digest = hashlib.sha1(self.name.encode(), usedforsecurity=False).hexdigest()[:12]
        return f"{self.name}_{digest}"


def _spatialrefsys() -> str:
    return (
        "<spatialrefsys>"
        f"<wkt>{escape(_WORKING.to_wkt())}</wkt>"
        f"<srid>{WORKING_EPSG}</srid><authid>{WORKING_CRS}</authid>"
        f"<description>{escape(_WORKING.name)}</description>"
        "<projectionacronym>tmerc</projectionacronym><ellipsoidacronym>EPSG:7001"
        "</ellipsoidacronym><geographicflag>false</geographicflag>"
        "</spatialrefsys>"
    )


def _extent(bounds: Sequence[float]) -> str:
    xmin, ymin, xmax, ymax = bounds
    return (
        f"<xmin>{xmin:.1f}</xmin><ymin>{ymin:.1f}</ymin>"
        f"<xmax>{xmax:.1f}</xmax><ymax>{ymax:.1f}</ymax>"
    )


def _inner(qml: str) -> str:
    """The renderer and labels of a QML document, to embed in a ``maplayer`` element."""
    start = qml.index(">", qml.index("<qgis ")) + 1
    return qml[start : qml.rindex("</qgis>")]


def _maplayer(layer: ProjectLayer, source: str, style: LayerStyle | None) -> str:
    geometry = (
        f" geometry={quoteattr(layer.geometry)}" if layer.geometry else ' geometry="No geometry"'
    )
    labels = "1" if style is not None and "<labeling" in style.qml else "0"
    body = _inner(style.qml) if style is not None else ""
    return (
        f'<maplayer type="vector"{geometry} labelsEnabled="{labels}" '
        'styleCategories="AllStyleCategories">'
        f"<id>{layer.layer_id}</id>"
        f"<datasource>{escape(source)}</datasource>"
        f"<layername>{escape(layer.title)}</layername>"
        f"<srs>{_spatialrefsys()}</srs>"
        '<provider encoding="UTF-8">ogr</provider>'
        f"{body}</maplayer>"
    )


def project_xml(
    *,
    title: str,
    geopackage_name: str,
    layers: Sequence[ProjectLayer],
    styles: Mapping[str, LayerStyle],
    extent: Sequence[float],
) -> str:
    """The ``.qgs`` document.

    Parameters
    ----------
    title
        Project title (shown in QGIS's title bar).
    geopackage_name
        File name of the GeoPackage, in the same folder as the project.
    layers
        Layers in drawing order, top first; their ``group`` orders the groups likewise.
    styles
        Default style of each layer, by layer name (attribute tables have none).
    extent
        Initial view ``(xmin, ymin, xmax, ymax)`` in British National Grid metres.
    """
    sources = {layer.name: f"./{geopackage_name}|layername={layer.name}" for layer in layers}
    groups: dict[str, list[ProjectLayer]] = {}
    for layer in layers:
        groups.setdefault(layer.group, []).append(layer)

    def checked(flag: bool) -> str:
        return "Qt::Checked" if flag else "Qt::Unchecked"

    tree = "".join(
        f'<layer-tree-group name={quoteattr(group)} expanded="1" '
        f'checked="{checked(any(m.visible for m in members))}">'
        + "".join(
            f'<layer-tree-layer id="{m.layer_id}" name={quoteattr(m.title)} '
            f'source={quoteattr(sources[m.name])} providerKey="ogr" '
            f'checked="{checked(m.visible)}" expanded="0"/>'
            for m in members
        )
        + "</layer-tree-group>"
        for group, members in groups.items()
    )
    maplayers = "".join(
        _maplayer(layer, sources[layer.name], styles.get(layer.name)) for layer in layers
    )
    order = "".join(f'<layer id="{layer.layer_id}"/>' for layer in layers)
    xmin, ymin, xmax, ymax = extent
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">'
        f'<homePath path=""/><title>{escape(title)}</title>'
        f"<projectCrs>{_spatialrefsys()}</projectCrs>"
        f"<layer-tree-group>{tree}</layer-tree-group>"
        '<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>meters</units>'
        f"<extent>{_extent(extent)}</extent><rotation>0</rotation>"
        f"<destinationsrs>{_spatialrefsys()}</destinationsrs></mapcanvas>"
        '<ProjectViewSettings UseProjectScales="0" rotation="0"><Scales/>'
        f'<DefaultViewExtent xmin="{xmin:.1f}" ymin="{ymin:.1f}" xmax="{xmax:.1f}" '
        f'ymax="{ymax:.1f}">{_spatialrefsys()}</DefaultViewExtent></ProjectViewSettings>'
        f"<projectlayers>{maplayers}</projectlayers>"
        f"<layerorder>{order}</layerorder>"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys>'
        "</properties></qgis>\n"
    )


#: Project layer tree: (layer, title, group, visible on opening), drawing order, top first.
PROJECT_LAYERS = (
    ("anchor_sites", "Anchor sites", "Anchor sites", True),
    ("site_footprints", "Site footprints", "Anchor sites", True),
    ("clusters", "Clusters and concentrations (cores)", "Clusters", True),
    ("cluster_extents", "Cluster extents", "Clusters", False),
    ("grid_clusters", "Grid clusters (employment surface)", "Clusters", False),
    ("circular_zones", "Symbiosis zones and gaps", "Circular economy", False),
    ("circular_findings", "Producers and users of each material", "Circular economy", False),
    ("combined_authority", "Combined authorities", "Authorities", True),
    ("county", "Counties", "Authorities", True),
    ("district", "Districts", "Authorities", True),
    ("region", "Regions", "Authorities", False),
    ("growth_areas", "Growth", "Change over time", False),
    ("emerging_areas", "Emerging hot spots", "Change over time", False),
    ("hotspots_areas", "Hot spots (Getis-Ord Gi*)", "Hot spots", False),
    ("areas_lq", "Location quotients, small areas", "Location quotients", True),
    ("district_lq", "Location quotients, districts", "Location quotients", False),
    ("authority_summaries", "Authority summaries", "Tables", False),
    ("cluster_authorities", "Cluster authorities", "Tables", False),
    ("site_authorities", "Site authorities", "Tables", False),
    ("site_clusters", "Site clusters", "Tables", False),
    ("maup", "Area and grid clusters compared", "Tables", False),
    ("circular_streams", "Material streams: producers, users, sources", "Tables", False),
    ("circular_zone_authorities", "Symbiosis zones' authorities", "Tables", False),
    ("circular_colocation", "Co-location of producers and users", "Tables", False),
    ("hotspots", "Hot-spot statistics", "Tables", False),
    ("global_statistics", "Is each industry clustered? (global statistics)", "Tables", False),
    ("lq", "Location quotients, all industries", "Tables", False),
    ("growth", "Growth, every area and industry", "Tables", False),
    ("shift_share", "Shift-share, every area and industry", "Tables", False),
    ("finding_growth", "Growth of each finding", "Tables", False),
    ("emerging", "Emerging hot spots, every area and industry", "Tables", False),
    ("emerging_clusters", "Emerging clusters and the boundaries they cross", "Tables", False),
)
_MARGIN = 0.03
_POINT_LAYERS = frozenset({"anchor_sites"})


def project_for_layers(
    *,
    title: str,
    geopackage_name: str,
    layers: Mapping[str, str | None],
    styles: Iterable[LayerStyle],
    extent: Sequence[float],
) -> str:
    """The project of a run's GeoPackage, opening on the study area with default styles.

    Parameters
    ----------
    layers
        The GeoPackage's layers and their geometry type (``None`` for attribute tables); only
        those in :data:`PROJECT_LAYERS` are put in the project, in its order.
    styles
        Every style of the GeoPackage; each layer's default one is embedded.
    extent
        The study area's bounds in British National Grid metres (a margin is added).
    """
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    pad = _MARGIN * max(xmax - xmin, ymax - ymin)
    project_layers = [
        ProjectLayer(name, layer_title, group, layers[name], visible)
        for name, layer_title, group, visible in PROJECT_LAYERS
        if name in layers
    ]
    return project_xml(
        title=title,
        geopackage_name=geopackage_name,
        layers=project_layers,
        styles={s.layer: s for s in styles if s.default},
        extent=(xmin - pad, ymin - pad, xmax + pad, ymax + pad),
    )


def geometry_types(layers: Mapping[str, object]) -> dict[str, str | None]:
    """Each layer's geometry as the project names it: Point, Polygon, or None for tables."""
    import geopandas as gpd

    return {
        name: ("Point" if name in _POINT_LAYERS else "Polygon")
        if isinstance(frame, gpd.GeoDataFrame)
        else None
        for name, frame in layers.items()
    }
