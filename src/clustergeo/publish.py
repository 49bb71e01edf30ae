"""Stage 7, publish: the GeoPackage users open in QGIS, the LQ map figures and provenance.

Layers of ``clustergeo.gpkg`` (EPSG:27700, GeoPackage 1.2 so QGIS 3.22 opens it cleanly):

``areas_lq``
    Small areas with their authorities and, per cluster definition ``<key>``, the columns
    ``<key>_employment``, ``<key>_lq``, ``<key>_lq_lower``, ``<key>_lq_upper`` and
    ``<key>_unreliable``; with up to 30 industries, ``lq_<code>`` for each industry too.
``district_lq``
    Districts (dissolved from the small areas) with the same cluster-definition columns.
``lq``
    Attribute table (no geometry): every area x industry and cluster definition, long form.
``hotspots_areas``
    Small areas with, per cluster definition ``<key>``, ``<key>_gi_star_z``,
    ``<key>_gi_star_p_fdr``, ``<key>_hotspot`` (hot/cold class) and ``<key>_moran`` (Local
    Moran cluster class).
``hotspots``
    Attribute table: Gi*, Gi and Local Moran results for every area x industry.
``clusters``
    Findings, both kinds (``kind``: ``cluster`` or ``concentration``), as the polygons of
    their cores, with their attributes, stars and strength and their governance flags, core
    and extent (straddled districts, counties and regions, touches, combined-authority
    status, governance gap, nearby authorities).
``cluster_extents``
    The extent polygon of each finding (its core and the hot areas around it).
``cluster_authorities``
    Attribute table: every authority each finding's core and extent touch (``part``), with
    employment and area shares and the ``relation`` (lead, shares, touches).
``global_statistics``
    Attribute table: global Moran's I and General G of every industry, with p-values.
``anchor_sites``, ``site_footprints``
    Anchor sites as points and their footprints as polygons, with their flags.
``site_authorities``, ``site_clusters``
    Attribute tables: the authorities each footprint touches (area shares), and the clusters
    each site lies in or near.
``authority_summaries``
    Attribute table: per authority, its clusters, the partners it shares them with, and a
    plain-language summary.
``grid_clusters``, ``maup``
    With a ``surface`` section: clusters found on the employment grid, with their flags, and
    each area cluster's overlap with them (stable, shifted, area-only, grid-only).
``district``, ``county``, ``combined_authority``, ``region``
    Authority polygons of the run's year that touch the study area.

The run's title, data basis and "synthetic demo data" (for the demo) are written to the
GeoPackage metadata as well as to ``provenance.json``.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import platform
import re
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from clustergeo._progress import progress
from clustergeo.cluster_maps import (
    plot_cluster_map,
    plot_hotspot_small_multiples,
    plot_maup_comparison,
    plot_site_inset,
)
from clustergeo.config import SYNTHETIC_LABEL, TIERS, RunConfig
from clustergeo.governance.overlay import CA_STATUS_WORDS
from clustergeo.io import GEOPACKAGE_VERSION, atomic_path, file_sha256, write_json, write_text
from clustergeo.paths import RunPaths
from clustergeo.plotting import OS_ATTRIBUTION, plot_hotspot_map, plot_lq_choropleth, save_figure
from clustergeo.qgis_project import ProjectLayer, project_xml
from clustergeo.qgis_styles import (
    LayerStyle,
    boundary_style,
    cluster_style,
    footprint_style,
    hotspot_style,
    lq_style,
    site_style,
)
from clustergeo.report import report_blocks, to_html, to_markdown

__all__ = ["layer_styles", "run", "wide_hotspot_columns", "wide_lq_columns"]

log = logging.getLogger(__name__)

MAX_INDUSTRY_COLUMNS = 30
OS_ATTRIBUTIONM = "© OpenStreetMap contributors"
_VARIABLE_NAMES = {
    "lq": "the location quotient",
    "employment": "employment",
    "density": "employment density",
}


def _column_stub(code: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", code.lower()).strip("_")


def wide_lq_columns(lq: pd.DataFrame, key_column: str = "area_code") -> pd.DataFrame:
    """Reshape the long LQ table to one row per area (or district).

    Per cluster definition: employment, LQ, interval and flag columns; per industry, the LQ,
    when there are at most 30 industries (more would make the layer unwieldy in QGIS).
    """
    clusters = lq.loc[lq["kind"] == "cluster"]
    frames = []
    for key, group in clusters.groupby("industry_code", sort=False):
        part = group.set_index(key_column)[
            ["employment", "lq", "lq_lower", "lq_upper", "lq_unreliable"]
        ]
        part.columns = [
            f"{key}_employment",
            f"{key}_lq",
            f"{key}_lq_lower",
            f"{key}_lq_upper",
            f"{key}_unreliable",
        ]
        frames.append(part)
    industries = lq.loc[lq["kind"] == "industry"]
    if industries["industry_code"].nunique() <= MAX_INDUSTRY_COLUMNS:
        wide = industries.pivot(index=key_column, columns="industry_code", values="lq")
        wide.columns = [f"lq_{_column_stub(c)}" for c in wide.columns]
        frames.append(wide)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame()


def wide_hotspot_columns(hotspots: pd.DataFrame) -> pd.DataFrame:
    """Reshape hot-spot results to one row per area, four columns per cluster definition."""
    clusters = hotspots.loc[hotspots["kind"] == "cluster"]
    frames = []
    for key, group in clusters.groupby("industry_code", sort=False, observed=True):
        part = group.set_index(group["area_code"].astype(str))[
            ["gi_star_z", "gi_star_p_fdr", "gi_star_class", "moran_class"]
        ].astype({"gi_star_class": str, "moran_class": str})
        part.columns = [
            f"{key}_gi_star_z",
            f"{key}_gi_star_p_fdr",
            f"{key}_hotspot",
            f"{key}_moran",
        ]
        frames.append(part)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame()


def _versions() -> dict[str, str]:
    names = [
        "clustergeo",
        "geopandas",
        "shapely",
        "pyproj",
        "pyogrio",
        "pandas",
        "numpy",
        "scipy",
        "matplotlib",
    ]
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    found["gdal"] = pyogrio.__gdal_version_string__
    found["python"] = platform.python_version()
    return found


def run(config: RunConfig) -> RunPaths:
    """Write the GeoPackage, one LQ map per cluster definition, and the provenance record."""
    paths = RunPaths.for_config(config)
    # The edge buffer around a study area only informs the statistics: publish the study area.
    areas = gpd.read_parquet(paths.areas)
    areas = areas.loc[areas["in_study_area"]].reset_index(drop=True)
    lq = pd.read_parquet(paths.lq)
    lq = lq.loc[lq["in_study_area"]].drop(columns="in_study_area").reset_index(drop=True)
    ingest_report = json.loads(paths.ingest_report.read_text(encoding="utf-8"))
    industries = json.loads(paths.industries.read_text(encoding="utf-8"))
    definitions = industries["cluster_definitions"]

    areas_lq = areas.merge(wide_lq_columns(lq), left_on="area_code", right_index=True)
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {"areas_lq": areas_lq}
    if paths.district_lq.exists() and "district_code" in areas:
        district_lq = pd.read_parquet(paths.district_lq)
        dissolved = areas.dissolve(by="district_code", as_index=False)[
            ["district_code", "district_name", "geometry"]
        ]
        layers["district_lq"] = dissolved.merge(
            wide_lq_columns(district_lq, key_column="district_code"),
            left_on="district_code",
            right_index=True,
        )
    layers["lq"] = lq
    hotspots = pd.read_parquet(paths.hotspots)
    keep = [c for c in ("area_code", "area_name", "district_name", "geometry") if c in areas]
    hotspot_areas = areas[keep].merge(
        wide_hotspot_columns(hotspots), left_on="area_code", right_index=True
    )
    layers["hotspots_areas"] = hotspot_areas
    # GeoPackage has no categorical type: write the class columns as text.
    layers["hotspots"] = hotspots.astype(
        {c: str for c in hotspots.columns if isinstance(hotspots[c].dtype, pd.CategoricalDtype)}
    )
    layers.update(_governance_layers(paths))
    study_outline = gpd.GeoDataFrame(geometry=[areas.union_all()], crs=areas.crs)
    boundaries: dict[str, gpd.GeoDataFrame] = {}
    for tier in TIERS:
        path = paths.authorities(tier)
        if path.exists():
            frame = gpd.read_parquet(path)
            touching = gpd.sjoin(frame, study_outline, predicate="intersects", how="inner")
            boundaries[tier] = frame.loc[touching.index.unique()].reset_index(drop=True)
            layers[tier] = boundaries[tier]

    metadata = {
        "TITLE": f"clustergeo: {config.name}"
        + (f" ({SYNTHETIC_LABEL})" if config.synthetic else ""),
        "DESCRIPTION": " ".join(config.description.split()),
        "EMPLOYMENT_BASIS": config.employment.basis,
        "SYNTHETIC": SYNTHETIC_LABEL if config.synthetic else "no",
        "CREATED": datetime.now(UTC).isoformat(timespec="seconds"),
        # The run's provenance travels with the GeoPackage too (also in provenance.json).
        "CONFIG": json.dumps(config.model_dump(mode="json"), sort_keys=True),
        "INPUTS_SHA256": json.dumps(
            {role: v["sha256"] for role, v in ingest_report["inputs"].items()}, sort_keys=True
        ),
        "PACKAGE_VERSIONS": json.dumps(_versions(), sort_keys=True),
        "PERMUTATION_SEED": str(config.hotspots.seed),
        "AUTHORITIES_YEAR": str(config.authorities.year)
        if config.authorities is not None and config.authorities.year is not None
        else "as supplied",
        "EMPLOYMENT_DATE": config.employment.date or "as supplied",
    }
    styles = layer_styles(layers, definitions)
    _write_geopackage(layers, paths, metadata, styles)
    _write_project(config, layers, styles, paths, extent=areas.total_bounds)

    reference = json.loads(paths.concentration_report.read_text(encoding="utf-8"))["reference"]
    hotspot_report = json.loads(paths.hotspots_report.read_text(encoding="utf-8"))
    plotted = _hotspot_figures(
        config,
        hotspot_areas=hotspot_areas,
        definitions=definitions,
        boundaries=boundaries,
        paths=paths,
        report=hotspot_report,
    )
    plotted += _cluster_figures(
        config,
        areas=areas,
        layers=layers,
        hotspot_areas=hotspot_areas,
        definitions=definitions,
        boundaries=boundaries,
        paths=paths,
    )
    plotted += _lq_figures(
        config,
        areas_lq=areas_lq,
        definitions=definitions,
        boundaries=boundaries,
        paths=paths,
        reference=reference,
    )
    provenance: dict[str, Any] = {
        "run": config.name,
        "description": config.description,
        "synthetic": config.synthetic,
        "label": SYNTHETIC_LABEL if config.synthetic else None,
        "employment_basis": config.employment.basis,
        "config": config.model_dump(mode="json"),
        "config_file": str(config.config_path),
        "inputs": ingest_report["inputs"],
        "ingest_notes": ingest_report["notes"],
        "hotspots": hotspot_report,
        "clusters": json.loads(paths.clusters_report.read_text(encoding="utf-8")),
        "governance": json.loads(paths.governance_report.read_text(encoding="utf-8")),
        "versions": _versions(),
        "outputs": {
            "geopackage": {"path": str(paths.geopackage), "sha256": file_sha256(paths.geopackage)},
            "qgis_project": str(paths.qgis_project),
            "figures": [str(p) for p in plotted],
        },
    }
    write_json(provenance, paths.provenance)
    _write_report(
        provenance,
        layers=layers,
        paths=paths,
        n_industries=int(lq["industry_code"].nunique()),
        reference=reference,
        title=str(metadata["TITLE"]),
    )
    return paths


def _write_report(
    provenance: dict[str, Any],
    *,
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame],
    paths: RunPaths,
    n_industries: int,
    reference: str,
    title: str,
) -> None:
    """The Markdown and HTML report, with the overview figures linked by relative paths."""
    sites = layers.get("site_footprints")
    figures = [("figures/clusters.png", "Clusters, numbered by employment, and the authorities")]
    if isinstance(sites, pd.DataFrame):
        figures += [
            (f"figures/site_{row.site_key}.png", f"{row.name}: its footprint and surroundings")
            for row in sites.itertuples()
            if row.status != "outside_study_area"
        ]
    figures.append(("figures/hotspots_all.png", "Hot and cold spots, industry by industry"))
    figures.append(("figures/maup.png", "Clusters on the areas and on the employment grid"))
    figures = [(path, caption) for path, caption in figures if (paths.root / path).exists()]
    blocks = report_blocks(
        title=f"{title}: report",
        provenance=provenance,
        clusters=layers["clusters"],
        links=layers["cluster_authorities"],
        sites=sites if isinstance(sites, pd.DataFrame) else None,
        figures=figures,
        n_areas=len(layers["areas_lq"]),
        n_industries=n_industries,
        reference=reference,
        global_statistics=layers.get("global_statistics"),
    )
    write_text(to_markdown(blocks), paths.report_md)
    write_text(to_html(blocks, title), paths.report_html)


def _governance_layers(paths: RunPaths) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """Clusters, their authorities, anchor sites and authority summaries, as GeoPackage layers."""
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {
        "clusters": gpd.read_parquet(paths.governed_clusters),
        "cluster_extents": gpd.read_parquet(paths.cluster_extents),
        "cluster_authorities": pd.read_parquet(paths.cluster_authorities),
    }
    if paths.global_statistics.exists():
        layers["global_statistics"] = pd.read_parquet(paths.global_statistics)
    if paths.sites.exists():
        footprints = gpd.read_parquet(paths.sites)
        points = footprints.set_geometry(
            gpd.points_from_xy(footprints["x"], footprints["y"], crs=footprints.crs)
        )
        layers["anchor_sites"] = points
        layers["site_footprints"] = footprints
        layers["site_authorities"] = pd.read_parquet(paths.site_authorities)
        layers["site_clusters"] = pd.read_parquet(paths.site_clusters)
    layers["authority_summaries"] = pd.read_parquet(paths.authority_summaries)
    if paths.grid_clusters.exists():
        layers["grid_clusters"] = gpd.read_parquet(paths.grid_clusters)
        layers["maup"] = pd.read_parquet(paths.maup)
    return layers


def layer_styles(
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame], definitions: list[dict[str, Any]]
) -> list[LayerStyle]:
    """The QGIS styles of the run's layers: one default per layer, more in its Styles menu."""
    styles: list[LayerStyle] = []
    for layer in ("areas_lq", "district_lq"):
        if layer in layers:
            styles += [
                lq_style(layer, d["key"], d["label"], default=i == 0)
                for i, d in enumerate(definitions)
            ]
    if "hotspots_areas" in layers:
        styles += [
            hotspot_style("hotspots_areas", d["key"], d["label"], default=i == 0)
            for i, d in enumerate(definitions)
        ]
    if "clusters" in layers:
        labels = layers["clusters"]["label"].astype(str).unique().tolist()
        styles.append(cluster_style(labels))
        if "cluster_extents" in layers:
            styles.append(cluster_style(labels, layer="cluster_extents", name_field="cluster_id"))
    if "grid_clusters" in layers:
        labels = layers["grid_clusters"]["label"].astype(str).unique().tolist()
        styles.append(cluster_style(labels, layer="grid_clusters", name_field="cluster_id"))
    if "anchor_sites" in layers:
        styles += [site_style(), footprint_style()]
    styles += [boundary_style(tier) for tier in TIERS if tier in layers]
    return styles


def _styles_table(styles: list[LayerStyle]) -> pd.DataFrame:
    """Styles as rows of QGIS's ``layer_styles`` table (its own column names)."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return pd.DataFrame(
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": [s.layer for s in styles],
            "f_geometry_column": "geom",
            "styleName": [s.name for s in styles],
            "styleQML": [s.qml for s in styles],
            "styleSLD": "",
            "useAsDefault": [s.default for s in styles],
            "description": [s.description for s in styles],
            "owner": "",
            "ui": "",
            "update_time": now,
        }
    )


#: Project layer tree: (layer, title, group, visible on opening), drawing order, top first.
_PROJECT_LAYERS = (
    ("anchor_sites", "Anchor sites", "Anchor sites", True),
    ("site_footprints", "Site footprints", "Anchor sites", True),
    ("clusters", "Clusters and concentrations (cores)", "Clusters", True),
    ("cluster_extents", "Cluster extents", "Clusters", False),
    ("grid_clusters", "Grid clusters (employment surface)", "Clusters", False),
    ("combined_authority", "Combined authorities", "Authorities", True),
    ("county", "Counties", "Authorities", True),
    ("district", "Districts", "Authorities", True),
    ("region", "Regions", "Authorities", False),
    ("hotspots_areas", "Hot spots (Getis-Ord Gi*)", "Hot spots", False),
    ("areas_lq", "Location quotients, small areas", "Location quotients", True),
    ("district_lq", "Location quotients, districts", "Location quotients", False),
    ("authority_summaries", "Authority summaries", "Tables", False),
    ("cluster_authorities", "Cluster authorities", "Tables", False),
    ("site_authorities", "Site authorities", "Tables", False),
    ("site_clusters", "Site clusters", "Tables", False),
    ("maup", "Area and grid clusters compared", "Tables", False),
    ("hotspots", "Hot-spot statistics", "Tables", False),
    ("global_statistics", "Is each industry clustered? (global statistics)", "Tables", False),
    ("lq", "Location quotients, all industries", "Tables", False),
)
_MARGIN = 0.03


def _write_project(
    config: RunConfig,
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame],
    styles: list[LayerStyle],
    paths: RunPaths,
    *,
    extent: Any,
) -> None:
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    pad = _MARGIN * max(xmax - xmin, ymax - ymin)
    project_layers = []
    for name, title, group, visible in _PROJECT_LAYERS:
        frame = layers.get(name)
        if frame is None:
            continue
        geometry = None
        if isinstance(frame, gpd.GeoDataFrame):
            geometry = "Point" if name == "anchor_sites" else "Polygon"
        project_layers.append(ProjectLayer(name, title, group, geometry, visible))
    title = f"clustergeo: {config.name}" + (f" ({SYNTHETIC_LABEL})" if config.synthetic else "")
    xml = project_xml(
        title=title,
        geopackage_name=paths.geopackage.name,
        layers=project_layers,
        styles={s.layer: s for s in styles if s.default},
        extent=(xmin - pad, ymin - pad, xmax + pad, ymax + pad),
    )
    write_text(xml, paths.qgis_project)


def _write_geopackage(
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame],
    paths: RunPaths,
    metadata: dict[str, str],
    styles: list[LayerStyle],
) -> None:
    with atomic_path(paths.geopackage) as tmp:
        for index, (name, frame) in enumerate(layers.items()):
            options: dict[str, Any] = {"VERSION": GEOPACKAGE_VERSION} if index == 0 else {}
            kwargs: dict[str, Any] = {"dataset_metadata": metadata} if index == 0 else {}
            # Tables without geometry (the long LQ table) become GeoPackage attribute tables.
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=name,
                driver="GPKG",
                append=index > 0,
                dataset_options=options or None,
                **kwargs,
            )
        if styles:
            # QGIS looks its default styles up in this table, keyed on ``id``.
            pyogrio.write_dataframe(
                _styles_table(styles),
                tmp,
                layer="layer_styles",
                driver="GPKG",
                append=True,
                layer_options={"FID": "id"},
            )
    log.info(
        "Wrote %s (layers: %s; %d QGIS styles)", paths.geopackage, ", ".join(layers), len(styles)
    )


def _map_framing(
    config: RunConfig, heading: str, boundaries: dict[str, gpd.GeoDataFrame]
) -> dict[str, Any]:
    """Title, attribution and boundary overlays shared by every map of a run.

    Regions are left off the maps: at this scale their outline only repeats the study area's.
    Runs that place employment on OpenStreetMap land credit its contributors on every map.
    """
    synthetic = config.synthetic
    attribution = SYNTHETIC_LABEL.capitalize() if synthetic else OS_ATTRIBUTION
    if config.surface is not None and config.surface.osm is not None:
        # OSM land use placed the run's employment (ODbL attribution).
        attribution += f"\n{OS_ATTRIBUTIONM}"
    return {
        "title": heading + (f" ({SYNTHETIC_LABEL})" if synthetic else ""),
        "attribution": attribution,
        "boundaries": {tier: frame for tier, frame in boundaries.items() if tier != "region"},
    }


def _lq_figures(
    config: RunConfig,
    *,
    areas_lq: gpd.GeoDataFrame,
    definitions: list[dict[str, Any]],
    boundaries: dict[str, gpd.GeoDataFrame],
    paths: RunPaths,
    reference: str,
) -> list[Any]:
    written = []
    source = config.employment.description or config.employment.basis + " employment"
    for definition in progress(definitions, "LQ maps"):
        key = definition["key"]
        subtitle = f"{source} ({config.employment.basis}-based). LQ against {reference}."
        fig, _ax = plot_lq_choropleth(
            areas_lq,
            f"{key}_lq",
            subtitle=subtitle,
            unreliable_column=f"{key}_unreliable",
            **_map_framing(config, f"{definition['label']}: location quotient", boundaries),
        )
        written.extend(save_figure(fig, paths.figures_dir / f"lq_{key}"))
    return written


def _cluster_figures(
    config: RunConfig,
    *,
    areas: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame],
    hotspot_areas: gpd.GeoDataFrame,
    definitions: list[dict[str, Any]],
    boundaries: dict[str, gpd.GeoDataFrame],
    paths: RunPaths,
) -> list[Any]:
    """The cluster map, one close-up per anchor site in the study area, hot spots side by side."""
    clusters = layers["clusters"]
    assert isinstance(clusters, gpd.GeoDataFrame)
    sites = layers.get("site_footprints")
    inside = None
    if isinstance(sites, gpd.GeoDataFrame):
        inside = sites.loc[sites["status"] != "outside_study_area"]
    ranked = clusters.sort_values(["employment", "cluster_id"], ascending=[False, True])
    settings = config.clusters
    written = []
    fig, _ax = plot_cluster_map(
        areas,
        ranked,
        subtitle=(
            "Clusters: neighbouring Gi* hot spots (FDR-controlled, p ≤ "
            f"{settings.significance:g}), cores of own LQ at least {settings.min_lq:g}, "
            f"employing at least {settings.min_employment:,.0f}; and concentrations, single "
            "specialised places. "
            "Numbered by employment."
        ),
        sites=inside,
        **_map_framing(config, "Industrial clusters and the authorities they fall in", boundaries),
    )
    written.extend(save_figure(fig, paths.figures_dir / "clusters"))
    if inside is not None:
        for _index, site in progress(list(inside.iterrows()), "Site maps"):
            flags = _site_flags_text(site)
            fig, _ax = plot_site_inset(
                site,
                areas,
                clusters,
                subtitle=f"{site['buffer_km']:g} km footprint. {flags}",
                **_map_framing(config, str(site["name"]), boundaries),
            )
            written.extend(save_figure(fig, paths.figures_dir / f"site_{site['site_key']}"))
    if definitions:
        columns = {d["label"]: f"{d['key']}_hotspot" for d in definitions}
        framing = _map_framing(config, "Hot spots across industries", boundaries)
        fig, _axes = plot_hotspot_small_multiples(
            hotspot_areas,
            columns,
            title=framing["title"],
            subtitle="Getis-Ord Gi*, false discovery rate controlled (Benjamini-Hochberg).",
            boundaries=framing["boundaries"],
            attribution=framing["attribution"],
        )
        written.extend(save_figure(fig, paths.figures_dir / "hotspots_all"))
    grid = layers.get("grid_clusters")
    if isinstance(grid, gpd.GeoDataFrame) and definitions:
        framing = _map_framing(
            config, "Clusters on the areas and on the employment grid", boundaries
        )
        fig, _axes = plot_maup_comparison(
            areas,
            clusters,
            grid,
            {d["key"]: d["label"] for d in definitions},
            title=framing["title"],
            subtitle=f"Grid of {config.surface.cell_m:g} m cells." if config.surface else None,
            boundaries=framing["boundaries"],
            attribution=framing["attribution"],
        )
        written.extend(save_figure(fig, paths.figures_dir / "maup"))
    return written


def _site_flags_text(site: pd.Series) -> str:
    """The site's governance in a line: districts, counties, combined-authority status."""
    parts = []
    if isinstance(site.get("districts"), str) and site["districts"]:
        parts.append(f"Districts: {site['districts'].replace('; ', ', ')}.")
    if site.get("straddles_counties") is True or site.get("straddles_counties") == 1:
        parts.append("Straddles counties.")
    status = CA_STATUS_WORDS.get(str(site.get("ca_status")), "")
    if status:
        parts.append(f"{status.capitalize()}.")
    return " ".join(parts)


def _hotspot_figures(
    config: RunConfig,
    *,
    hotspot_areas: gpd.GeoDataFrame,
    definitions: list[dict[str, Any]],
    boundaries: dict[str, gpd.GeoDataFrame],
    paths: RunPaths,
    report: dict[str, Any],
) -> list[Any]:
    statistics = report["statistics"]
    correction = {
        "fdr_bh": "false discovery rate controlled (Benjamini-Hochberg)",
        "bonferroni": "Bonferroni-corrected",
        "none": "uncorrected",
    }[statistics["correction"]]
    inference = (
        "analytic p-values"
        if statistics["gi_star_inference"] == "analytic"
        else f"{statistics['permutations']:,} permutations"
    )
    written = []
    for definition in progress(definitions, "Hot-spot maps"):
        key = definition["key"]
        variable = _VARIABLE_NAMES[statistics["variable"]]
        subtitle = (
            f"Getis-Ord Gi* of {variable}; {report['weights']['method']}; {inference}, "
            f"{correction}."
        )
        fig, _ax = plot_hotspot_map(
            hotspot_areas,
            f"{key}_hotspot",
            subtitle=subtitle,
            **_map_framing(config, f"{definition['label']}: hot and cold spots", boundaries),
        )
        written.extend(save_figure(fig, paths.figures_dir / f"hotspots_{key}"))
    return written
