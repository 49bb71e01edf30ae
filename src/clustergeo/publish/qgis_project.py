"""A QGIS project (``.qgs``) that opens the run's GeoPackage, grouped, ordered and styled.

The project sits beside ``clustergeo.gpkg`` and names it (and the employment surface) by
relative paths, so the run's folder can be moved or shared as a whole. Double-clicking it
opens, in British National Grid and zoomed to the study area:

- every layer with its named styles (the GeoPackage's ``layer_styles``), on the overview;
- map themes: the overview, and per cluster definition its own theme (its LQs with its hot
  spots outlined over them, and its clusters and concentrations: one click switches them all
  to the industry), a hot-spot and a Local Moran view;
- the employment GeoTIFF as one pseudocolour layer per band, off;
- relations from findings, sites, zones and authorities to their rows in the tables;
- an abstract per layer (what it holds, measure and year, source);
- an A4 landscape print layout per theme (:mod:`clustergeo.publish.qgis_layouts`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from xml.sax.saxutils import escape, quoteattr

from pyproj import CRS

from clustergeo.publish.framing import Framing
from clustergeo.publish.qgis_layouts import (
    AUTHORITIES_GROUP,
    LAYOUT_MARGIN,
    PLACES_TITLE,
    LayoutCloseUp,
    PrintLayout,
    close_up_places,
    layouts_xml,
)
from clustergeo.publish.qgis_styles import (
    OUTLINED_FINDINGS,
    QGIS_VERSION,
    LayerStyle,
    surface_band_renderer,
)
from clustergeo.vocab import WORKING_CRS, WORKING_EPSG

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "OVERVIEW_THEME",
    "PROJECT_LAYERS",
    "RELATIONS",
    "MapTheme",
    "ProjectLayer",
    "Relation",
    "SurfaceBands",
    "geometry_types",
    "layout_close_up",
    "project_for_layers",
    "project_xml",
]

_WORKING = CRS.from_epsg(WORKING_EPSG)


@dataclass(frozen=True)
class ProjectLayer:
    """A layer as it appears in the project's layer tree.

    Attributes
    ----------
    key
        Unique within the project (two project layers may show one GeoPackage layer).
    title, group, visible
        Its name in the layer tree, its group, and whether it is on when the project opens.
    source
        Its data source, relative to the project (``./clustergeo.gpkg|layername=clusters``).
    geometry
        ``Point``, ``Polygon``, ``None`` for an attribute table; ignored for a raster band.
    abstract
        What it holds, the measure and year, and the source (QGIS's layer metadata).
    styles
        Its named styles, the current one (shown on opening) first.
    raster_band
        The band it shows, for one band of a GeoTIFF; None for a vector layer.
    aliases
        ``(field, alias)`` of the fields QGIS shows by another name (:mod:`.qgis_aliases`).
    """

    key: str
    title: str
    group: str
    source: str
    geometry: str | None = None
    visible: bool = True
    abstract: str = ""
    styles: tuple[LayerStyle, ...] = ()
    raster_band: int | None = None
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def layer_id(self) -> str:
        """A stable layer id (QGIS only needs it unique within the project)."""
        digest = hashlib.sha1(self.key.encode(), usedforsecurity=False).hexdigest()[:12]
        return f"{self.key}_{digest}"


@dataclass(frozen=True)
class MapTheme:
    """A QGIS map theme: which layers show, and in which of their named styles.

    ``layers`` maps the key of each layer the theme shows to ``(visible, style name)``.
    """

    name: str
    layers: Mapping[str, tuple[bool, str | None]]


@dataclass(frozen=True)
class Relation:
    """A QGIS relation: rows of ``referencing`` whose ``field`` matches the feature's."""

    name: str
    referenced: str
    referencing: str
    referenced_field: str
    referencing_field: str

    @property
    def relation_id(self) -> str:
        """A stable relation id, from the two layers it joins."""
        return f"{self.referenced}__{self.referencing}"


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


def _metadata(layer: ProjectLayer) -> str:
    """The layer's abstract, in both places QGIS shows it (properties and metadata)."""
    return (
        f"<abstract>{escape(layer.abstract)}</abstract>"
        "<resourceMetadata><identifier></identifier><parentidentifier></parentidentifier>"
        f"<language>ENG</language><type>dataset</type><title>{escape(layer.title)}</title>"
        f"<abstract>{escape(layer.abstract)}</abstract></resourceMetadata>"
    )


def _style_manager(layer: ProjectLayer) -> str:
    """Every named style of the layer; the current one's content is the layer's own."""
    if not layer.styles:
        return ""
    current = layer.styles[0].name
    entries = f"<map-layer-style name={quoteattr(current)}/>" + "".join(
        f"<map-layer-style name={quoteattr(style.name)}>"
        f"{style.qml[style.qml.index('<qgis ') :]}</map-layer-style>"
        for style in layer.styles[1:]
    )
    return (
        f"<map-layer-style-manager current={quoteattr(current)}>{entries}</map-layer-style-manager>"
    )


def _aliases(layer: ProjectLayer) -> str:
    """QGIS's ``<aliases>``: the name its attribute table and Identify give each field."""
    if not layer.aliases:
        return ""
    return (
        "<aliases>"
        + "".join(
            f"<alias field={quoteattr(field)} name={quoteattr(alias)}/>"
            for field, alias in layer.aliases
        )
        + "</aliases>"
    )


def _maplayer(layer: ProjectLayer) -> str:
    if layer.raster_band is not None:
        return (
            '<maplayer type="raster" styleCategories="AllStyleCategories" '
            'hasScaleBasedVisibilityFlag="0" minScale="1e+08" maxScale="0">'
            f"<id>{layer.layer_id}</id><datasource>{escape(layer.source)}</datasource>"
            f"<layername>{escape(layer.title)}</layername>{_metadata(layer)}"
            f"<srs>{_spatialrefsys()}</srs><provider>gdal</provider>"
            f'<noData><noDataList bandNo="{layer.raster_band}" useSrcNoData="1"/></noData>'
            f"<pipe>{surface_band_renderer(layer.raster_band)}"
            '<brightnesscontrast brightness="0" contrast="0" gamma="1"/>'
            '<huesaturation saturation="0" grayscaleMode="0" invertColors="0" colorizeOn="0"/>'
            '<rasterresampler maxOversampling="2"/></pipe><blendMode>0</blendMode></maplayer>'
        )
    style = layer.styles[0] if layer.styles else None
    geometry = (
        f" geometry={quoteattr(layer.geometry)}" if layer.geometry else ' geometry="No geometry"'
    )
    labels = "1" if style is not None and "<labeling" in style.qml else "0"
    body = _inner(style.qml) if style is not None else ""
    return (
        f'<maplayer type="vector"{geometry} labelsEnabled="{labels}" '
        'styleCategories="AllStyleCategories">'
        f"<id>{layer.layer_id}</id>"
        f"<datasource>{escape(layer.source)}</datasource>"
        f"<layername>{escape(layer.title)}</layername>{_metadata(layer)}"
        f"<srs>{_spatialrefsys()}</srs>"
        '<provider encoding="UTF-8">ogr</provider>'
        f"{_aliases(layer)}{_style_manager(layer)}{body}</maplayer>"
    )


def _themes_xml(themes: Sequence[MapTheme], ids: Mapping[str, str]) -> str:
    """QGIS's ``<visibility-presets>``: each theme's layers, visible or not, with a style."""

    def record(key: str, visible: bool, style: str | None) -> str:
        named = f" style={quoteattr(style)}" if style else ""
        return f'<layer id="{ids[key]}" visible="{int(visible)}"{named}/>'

    return (
        "<visibility-presets>"
        + "".join(
            f"<visibility-preset name={quoteattr(theme.name)}>"
            + "".join(record(key, *state) for key, state in theme.layers.items() if key in ids)
            + "</visibility-preset>"
            for theme in themes
        )
        + "</visibility-presets>"
    )


def _relations_xml(relations: Sequence[Relation], ids: Mapping[str, str]) -> str:
    return (
        "<relations>"
        + "".join(
            f'<relation id="{r.relation_id}" name={quoteattr(r.name)} '
            f'referencedLayer="{ids[r.referenced]}" referencingLayer="{ids[r.referencing]}" '
            'strength="Association">'
            f"<fieldRef referencedField={quoteattr(r.referenced_field)} "
            f"referencingField={quoteattr(r.referencing_field)}/></relation>"
            for r in relations
            if r.referenced in ids and r.referencing in ids
        )
        + "</relations>"
    )


def project_xml(
    *,
    title: str,
    layers: Sequence[ProjectLayer],
    extent: Sequence[float],
    themes: Sequence[MapTheme] = (),
    relations: Sequence[Relation] = (),
    layouts: str = "",
) -> str:
    """The ``.qgs`` document.

    Parameters
    ----------
    title
        Project title (shown in QGIS's title bar).
    layers
        Layers in drawing order, top first; their ``group`` orders the groups likewise.
    extent
        Initial view ``(xmin, ymin, xmax, ymax)`` in British National Grid metres.
    themes, relations
        Map themes and relations between layers (by layer key).
    layouts
        The ``<Layouts>`` element (:func:`clustergeo.publish.qgis_layouts.layouts_xml`).
    """
    groups: dict[str, list[ProjectLayer]] = {}
    for layer in layers:
        groups.setdefault(layer.group, []).append(layer)

    def checked(flag: bool) -> str:
        return "Qt::Checked" if flag else "Qt::Unchecked"

    def provider(layer: ProjectLayer) -> str:
        return "gdal" if layer.raster_band is not None else "ogr"

    tree = "".join(
        f'<layer-tree-group name={quoteattr(group)} expanded="{int(group != "Tables")}" '
        f'checked="{checked(any(m.visible for m in members))}">'
        + "".join(
            f'<layer-tree-layer id="{m.layer_id}" name={quoteattr(m.title)} '
            f'source={quoteattr(m.source)} providerKey="{provider(m)}" '
            f'checked="{checked(m.visible)}" expanded="0"/>'
            for m in members
        )
        + "</layer-tree-group>"
        for group, members in groups.items()
    )
    ids = {layer.key: layer.layer_id for layer in layers}
    maplayers = "".join(_maplayer(layer) for layer in layers)
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
        f"{_relations_xml(relations, ids)}"
        f"<projectlayers>{maplayers}</projectlayers>"
        f"<layerorder>{order}</layerorder>"
        f"{_themes_xml(themes, ids)}{layouts}"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys>'
        "</properties></qgis>\n"
    )


@dataclass(frozen=True)
class _Entry:
    """A project layer of the run's GeoPackage, and its part in the map themes."""

    layer: str
    title: str
    group: str
    overview: bool
    #: Shown in every view of an industry (sites, findings, authorities).
    industry: bool = False
    #: The prefix of its per-industry styles ("LQ: " + the industry's label), if any.
    family: str | None = None
    #: The styles it offers are those whose name starts with this (None: all of the layer's).
    offers: str | None = None
    #: The style the overview shows (None: the GeoPackage default).
    overview_style: str | None = None
    key: str = ""
    what: str = ""


#: Project layer tree, drawing order, top first: whether each layer is on in the overview (as
#: the project opens) and in an industry's theme, and what it holds.
PROJECT_LAYERS: tuple[_Entry, ...] = (
    _Entry("anchor_sites", "Anchor sites", "Anchor sites", True, True,
           what="Anchor sites (named employers or parks) with their governance flags."),
    _Entry("site_footprints", "Site footprints", "Anchor sites", True, True,
           what="The functional footprint (buffer) of each anchor site."),
    # Over the findings' translucent cores, or their fills would hide the hot spots the
    # findings are made of (every hot spot is a finding's area on a run of districts).
    _Entry("hotspots_areas", "Hot spots over the LQs (outlines)", "Clusters", False,
           family="Hot spot outlines: ", offers="Hot spot outlines: ", key="hotspot_outlines",
           what="Getis-Ord Gi* hot and cold spots of each cluster definition, outlined, for "
           "the industry's theme to show over its location quotients and findings."),
    _Entry("clusters", "Clusters and concentrations (cores)", "Clusters", True, True,
           family="Findings: ",
           what="The findings (clusters and concentrations) as the polygons of their cores, "
           "numbered by rank as on the maps and in the report, with their stars, strength and "
           "the authorities they straddle."),
    _Entry("cluster_extents", "Cluster extents", "Clusters", False, True, family="Findings: ",
           what="The extent of each finding: its core and the hot areas around it."),
    _Entry("grid_clusters", "Grid clusters (employment surface)", "Clusters", False,
           family="Findings: ",
           what="Clusters found on the employment grid, to compare with the area clusters."),
    _Entry("circular_zones", "Symbiosis zones and gaps", "Circular economy", False,
           what="Where producers and users of a material stream meet, and where they miss."),
    _Entry("circular_findings", "Producers and users of each material", "Circular economy",
           False, what="The findings of each material stream's producing and using industries."),
    _Entry("places", PLACES_TITLE, AUTHORITIES_GROUP, True, True,
           what="The study area's largest urban districts (London as one place), named as on "
           "the findings map, with the employment or output they hold."),
    _Entry("combined_authority", "Combined authorities", AUTHORITIES_GROUP, True, True,
           what="Combined authorities that touch the study area."),
    _Entry("county", "Counties", AUTHORITIES_GROUP, True, True,
           what="Counties and unitary authorities (upper tier) that touch the study area."),
    _Entry("district", "Districts", AUTHORITIES_GROUP, True, True,
           what="Districts (lower tier) that touch the study area."),
    _Entry("region", "Regions", AUTHORITIES_GROUP, False,
           what="Regions that touch the study area."),
    _Entry("growth_areas", "Growth", "Change over time", False, family="Growth: ",
           what="Growth of each cluster definition between the base and end years, per area "
                "(for GVA in current prices, classed against the industry's own growth: "
                "decline and growth then mean slower and faster than the industry)."),
    _Entry("emerging_areas", "Emerging hot spots", "Change over time", False,
           family="Emerging hot spots: ",
           what="Emerging hot-spot categories (new, intensifying, ...) per area."),
    _Entry("hotspots_areas", "Hot spots (Getis-Ord Gi*)", "Hot spots", False,
           family="Hot spots: ", offers="Hot spots: ",
           what="Getis-Ord Gi* hot and cold spots of each cluster definition, per small area, "
           "with z-scores and corrected p-values."),
    _Entry("hotspots_areas", "Local Moran clusters and outliers (LISA)", "Hot spots", False,
           family="Local Moran: ", offers="Local Moran: ", key="lisa_areas",
           what="Local Moran's I classes of each cluster definition per small area: high-high "
           "and low-low clusters, high-low and low-high outliers."),
    _Entry("areas_lq", "Location quotients, small areas", "Location quotients", True,
           family="LQ: ", overview_style="Study area",
           what="Location quotients of each cluster definition per small area, with their "
           "intervals and reliability flags; the overview shows the areas as a plain base."),
    _Entry("district_lq", "Location quotients, districts", "Location quotients", False,
           family="LQ: ", what="Location quotients of each cluster definition per district."),
    _Entry("authority_summaries", "Authority summaries", "Tables", False,
           what="Per authority: its clusters, its partners and a plain-language summary."),
    _Entry("cluster_authorities", "Cluster authorities", "Tables", False,
           what="Every authority each finding's core and extent touch, with shares."),
    _Entry("site_authorities", "Site authorities", "Tables", False,
           what="The authorities each site footprint touches, with shares."),
    _Entry("site_clusters", "Site clusters", "Tables", False,
           what="The findings each anchor site lies in or near."),
    _Entry("maup", "Area and grid clusters compared", "Tables", False,
           what="Each area cluster's overlap with the grid clusters."),
    _Entry("circular_streams", "Material streams: producers, users, sources", "Tables", False,
           what="Each material stream: its industries, sources and results."),
    _Entry("circular_zone_authorities", "Symbiosis zones' authorities", "Tables", False,
           what="The authorities each symbiosis zone touches."),
    _Entry("circular_colocation", "Co-location of producers and users", "Tables", False,
           what="Bivariate Local Moran of producers and users, per area and stream."),
    _Entry("hotspots", "Hot-spot statistics", "Tables", False,
           what="Gi*, Gi and Local Moran results for every area and industry."),
    _Entry("global_statistics", "Is each industry clustered? (global statistics)", "Tables",
           False, what="Global Moran's I and General G of every industry."),
    _Entry("lq", "Location quotients, all industries", "Tables", False,
           what="Location quotients of every area, industry and cluster definition."),
    _Entry("growth", "Growth, every area and industry", "Tables", False,
           what="Start and end values, change, CAGR and change in LQ."),
    _Entry("shift_share", "Shift-share, every area and industry", "Tables", False,
           what="Shift-share components of every change."),
    _Entry("finding_growth", "Growth of each finding", "Tables", False,
           what="Growth of each finding between the base and end years."),
    _Entry("emerging", "Emerging hot spots, every area and industry", "Tables", False,
           what="Emerging hot-spot categories of every area and industry."),
    _Entry("emerging_clusters", "Emerging clusters and the boundaries they cross", "Tables",
           False, what="Emerging clusters with the authorities they straddle."),
)  # fmt: skip

#: Relations QGIS lists in a feature's attribute form (and Identify): the authority rows of a
#: finding, a site or a zone, the findings of a site, and the summary of an authority.
RELATIONS: tuple[Relation, ...] = (
    Relation("Authorities of this finding", "clusters", "cluster_authorities",
             "cluster_id", "cluster_id"),
    Relation("Authorities of this finding", "cluster_extents", "cluster_authorities",
             "cluster_id", "cluster_id"),
    Relation("Anchor sites in or near this finding", "clusters", "site_clusters",
             "cluster_id", "cluster_id"),
    Relation("Authorities of this site", "anchor_sites", "site_authorities",
             "site_key", "site_key"),
    Relation("Authorities of this site", "site_footprints", "site_authorities",
             "site_key", "site_key"),
    Relation("Findings this site is in or near", "anchor_sites", "site_clusters",
             "site_key", "site_key"),
    Relation("Authorities of this zone", "circular_zones", "circular_zone_authorities",
             "zone_id", "zone_id"),
    *(
        Relation("Clusters of this authority", tier, "authority_summaries",
                 "code", "authority_code")
        for tier in ("district", "county", "combined_authority", "region")
    ),
)  # fmt: skip

_POINT_LAYERS = frozenset({"anchor_sites", "places"})
OVERVIEW_THEME: Final = "Overview: every industry"
SURFACE_GROUP: Final = "Employment surface"


@dataclass(frozen=True)
class SurfaceBands:
    """The employment GeoTIFF as the project shows it: one layer per band.

    Attributes
    ----------
    path
        The GeoTIFF relative to the project (``surface/employment.tif``).
    bands
        Each band's name (the cluster definition's key), in band order.
    cell_m
        The grid's cell size in metres.
    """

    path: str
    bands: tuple[str, ...]
    cell_m: float


def _data_line(framing: Framing) -> str:
    measure = framing.measure or f"{framing.employment_basis}-based employment"
    year = f", {framing.year}" if framing.year else ""
    return (
        f"Measure: {measure}{year}; LQs against {framing.lq_reference}.\n"
        f"{framing.source_line}\n{framing.attribution}"
    )


def _styles_of(entry: _Entry, styles: Sequence[LayerStyle]) -> tuple[LayerStyle, ...]:
    """The entry's styles, the one the project opens on (the overview's) first."""
    own = [
        s
        for s in styles
        if s.layer == entry.layer and (entry.offers is None or s.name.startswith(entry.offers))
    ]
    first = next(
        (s for s in own if s.name == entry.overview_style),
        next((s for s in own if s.default), own[0] if own else None),
    )
    return (first, *(s for s in own if s is not first)) if first is not None else ()


def _surface_layers(
    surface: SurfaceBands, labels: Mapping[str, str], data: str
) -> list[ProjectLayer]:
    """One layer per band of the employment GeoTIFF, all off (each is a full-grid render)."""
    return [
        ProjectLayer(
            key=f"surface_{band}",
            title=labels.get(name, name),
            group=SURFACE_GROUP,
            source=f"./{surface.path}",
            visible=False,
            raster_band=band,
            abstract=(
                f"Employment of {labels.get(name, name)} per {surface.cell_m:g} m grid cell "
                f"(band {band}, '{name}', of {surface.path}), allocated from the small areas; "
                f"cells with fewer than one job are transparent.\n{data}"
            ),
        )
        for band, name in enumerate(surface.bands, start=1)
    ]


#: The views of an industry: the theme name's suffix, the layers (keys) showing its statistics
#: (the first is the view's own), and the layout's heading after the industry's name. The
#: industry's own theme shows its LQs with its hot spots outlined over them and its findings:
#: one click switches all of them to the industry.
INDUSTRY_VIEWS: Final = (
    (
        "",
        ("areas_lq", "hotspot_outlines"),
        "location quotients, hot spots and findings",
    ),
    (": hot spots", ("hotspots_areas",), "Getis-Ord Gi* hot and cold spots, with the findings"),
    (": Local Moran", ("lisa_areas",), "Local Moran clusters and outliers, with the findings"),
)


def _themes(
    layers: Sequence[ProjectLayer], entries: Mapping[str, _Entry], labels: Mapping[str, str]
) -> list[MapTheme]:
    """The overview (the layers as the project opens) and each industry's views.

    Notes
    -----
    QGIS 3.22 applies a theme by switching on every layer the theme records, whatever its
    ``visible`` flag (checked in real QGIS: a hidden record came back visible), and a layout
    map following a theme draws every recorded layer. So a theme records only the layers it
    shows, and each industry has a theme per statistic (LQ, hot spots, Local Moran), each
    switching the findings, their extents and the statistic to that industry together.
    """
    themes = [
        MapTheme(
            OVERVIEW_THEME,
            {
                layer.key: (True, layer.styles[0].name if layer.styles else None)
                for layer in layers
                if layer.key in entries and layer.visible
            },
        )
    ]
    for label in labels.values():
        for suffix, statistics, _heading in INDUSTRY_VIEWS:
            state: dict[str, tuple[bool, str | None]] = {}
            for layer in layers:
                entry = entries.get(layer.key)
                if entry is None or not (entry.industry or layer.key in statistics):
                    continue
                names = [s.name for s in layer.styles]
                wanted: str | None = (
                    f"{entry.family}{label}" if entry.family else (names[0] if names else None)
                )
                # Over hot spots or Local Moran classes, filled cores would hide the areas
                # they are made of: the findings are outlined there.
                outlined = f"{OUTLINED_FINDINGS}{label}"
                if suffix != INDUSTRY_VIEWS[0][0] and outlined in names:
                    wanted = outlined
                if wanted in names or (not names and entry.family is None):
                    state[layer.key] = (True, wanted)
            if statistics[0] in state:
                themes.append(MapTheme(f"{label}{suffix}", state))
    return themes


def _pages(
    themes: Sequence[MapTheme],
    framing: Framing,
    labels: Mapping[str, str],
    layers: Sequence[ProjectLayer],
) -> list[PrintLayout]:
    ids = {layer.key: layer.layer_id for layer in layers}
    titles = {layer.key: layer.title for layer in layers}
    groups = {layer.key: layer.group for layer in layers}
    source = _data_line(framing)
    measure = framing.measure or f"{framing.employment_basis}-based employment"
    year = f", {framing.year}" if framing.year else ""
    headings = {
        f"{label}{suffix}": f"{label}: {heading}"
        for label in labels.values()
        for suffix, _statistics, heading in INDUSTRY_VIEWS
    }
    overview = "their cores filled in their industry's colour"
    industry = "cores filled, concentrations hatched, extents dotted"
    # Over a statistic's classes the cores are outlined (:data:`OUTLINED_FINDINGS`).
    outlined = "cores outlined, concentrations hatched, extents dotted"
    return [
        PrintLayout(
            theme=theme.name,
            title=framing.heading(
                "Clusters and concentrations of every industry"
                if theme.name == OVERVIEW_THEME
                else headings[theme.name]
            ),
            subtitle=(
                f"{framing.run_name}: {measure}{year}. Findings numbered by rank, as in the "
                "report: "
                + (
                    overview
                    if theme.name == OVERVIEW_THEME
                    else outlined
                    if str(theme.layers.get("clusters", (False, ""))[1] or "").startswith(
                        OUTLINED_FINDINGS
                    )
                    else industry
                )
                + "."
            ),
            source=source,
            legend=tuple(
                (ids[key], titles[key], groups[key]) for key in theme.layers if key in ids
            ),
        )
        for theme in themes
    ]


def project_for_layers(
    *,
    framing: Framing,
    geopackage_name: str,
    layers: Mapping[str, str | None],
    styles: Iterable[LayerStyle],
    extent: Sequence[float],
    definitions: Sequence[tuple[str, str]] = (),
    surface: SurfaceBands | None = None,
    aliases: Mapping[str, Mapping[str, str]] | None = None,
    close_up: LayoutCloseUp | None = None,
) -> str:
    """The project of a run's GeoPackage, opening on the overview theme.

    Parameters
    ----------
    framing
        The run's title, measure, year, source and attribution (titles, abstracts, layouts).
    layers
        The GeoPackage's layers and their geometry type (``None`` for attribute tables); only
        those in :data:`PROJECT_LAYERS` are put in the project, in its order.
    styles
        Every style of the GeoPackage: each layer offers its own as named styles.
    extent
        The study area's bounds in British National Grid metres (a margin is added).
    definitions
        The cluster definitions' ``(key, label)``: one map theme and layout for each.
    surface
        The employment GeoTIFF's bands, when the run built one.
    aliases
        By GeoPackage layer, its fields' aliases (:func:`.qgis_aliases.field_aliases`).
    close_up
        A part of the study area each layout also shows enlarged (:func:`layout_close_up`).
    """
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    aliases = aliases or {}
    pad = LAYOUT_MARGIN * max(xmax - xmin, ymax - ymin)
    all_styles = list(styles)
    data = _data_line(framing)
    entries = {(e.key or e.layer): e for e in PROJECT_LAYERS if e.layer in layers}
    project_layers = [
        ProjectLayer(
            key=key,
            title=entry.title,
            group=entry.group,
            source=f"./{geopackage_name}|layername={entry.layer}",
            geometry=layers[entry.layer],
            visible=entry.overview,
            abstract=f"{entry.what}\n{data}",
            styles=_styles_of(entry, all_styles),
            aliases=tuple(aliases.get(entry.layer, {}).items()),
        )
        for key, entry in entries.items()
    ]
    labels = dict(definitions)
    if surface is not None:
        tables = next(
            (i for i, layer in enumerate(project_layers) if layer.group == "Tables"),
            len(project_layers),
        )
        project_layers[tables:tables] = _surface_layers(surface, labels, data)
    themes = _themes(project_layers, entries, labels)
    return project_xml(
        title=framing.title,
        layers=project_layers,
        extent=(xmin - pad, ymin - pad, xmax + pad, ymax + pad),
        themes=themes,
        relations=RELATIONS,
        layouts=layouts_xml(
            _pages(themes, framing, labels, project_layers), (xmin, ymin, xmax, ymax), close_up
        ),
    )


def layout_close_up(areas: gpd.GeoDataFrame) -> LayoutCloseUp | None:
    """London enlarged in every layout of a national run, on a corner of its map over no area.

    None on a regional run (:func:`~clustergeo.publish.map_geometry.london_view`), or where
    neither corner the close-up may take (:func:`.qgis_layouts.close_up_places`) is clear of
    the study area.
    """
    import shapely

    from clustergeo.publish.map_geometry import london_view

    view = london_view(areas)
    if view is None:
        return None
    for box, covered in close_up_places(areas.total_bounds):
        if not len(areas.sindex.query(shapely.box(*covered), predicate="intersects")):
            return LayoutCloseUp("London", view, box)
    return None


def geometry_types(layers: Mapping[str, object]) -> dict[str, str | None]:
    """Each layer's geometry as the project names it: Point, Polygon, or None for tables."""
    import geopandas as gpd

    return {
        name: ("Point" if name in _POINT_LAYERS else "Polygon")
        if isinstance(frame, gpd.GeoDataFrame)
        else None
        for name, frame in layers.items()
    }
