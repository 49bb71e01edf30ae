"""The stage registry: the one description of the pipeline.

Each :class:`Stage` declares, as a pypsa-eur rule declares ``input``, ``output`` and ``params``:

* ``inputs`` — the roles of the raw input files it reads (``areas``, ``employment``...);
* ``reads`` — the artefacts of earlier stages it reads;
* ``writes`` — the artefacts it writes (files, or folders of files such as the figures);
* ``settings`` — the config fields it reads, as dotted paths (a section stands for all of it);
* ``runs_on`` — config fields that choose *where* it runs but never change what it writes
  (the Dask backend): read, but not part of its fingerprint;
* ``code`` — the parts of the package it runs, besides its own module and :data:`CORE_CODE`;
* ``settings_when`` — settings read only when another is set: the ingest stage reads the
  ``areas`` section only when ``employment.vintage`` puts the table on the boundaries' vintage;
* ``needs_section`` and ``needs_polygons`` — when the stage applies. A stage whose section is
  missing, or that needs polygons in a run whose areas have none, is "not applicable": it
  writes nothing, removes what an earlier config made it write, and says why in one line.

**Runs without polygons.** ``areas`` (the boundary file) is optional. A national table of
districts or ITL regions has no polygons to hand, and needs none for location quotients, growth
or shift-share. Reading the table and reading the boundaries are therefore two stages:
``ingest`` reads the employment, the industries and the cluster definitions (all years), and
``areas`` reads the boundaries, the authority tiers and the study area, and checks that the
boundaries and the table join. The spatial stages (``areas``, ``hotspots``, ``clusters``,
``governance``, ``surface``, ``emerging``) declare ``needs_polygons`` and say "not applicable:
the run's areas have no boundaries". The concentration stage uses the areas when they exist
(the study area, districts) and every area of the table when they do not. Adding ``areas:`` to
the config later re-runs the ``areas`` stage and the stages that read its outputs, never the
reading of the employment. ``publish`` writes the report, the provenance and (with polygons)
the GeoPackage, QGIS project and maps; without polygons there is no GeoPackage or QGIS project
(a GeoPackage of attribute tables alone would open in QGIS as nothing to look at): the tables
are the stages' CSV and Parquet files, which the report lists.

Everything else is derived from these declarations: the order stages run in, what
``clustergeo run`` skips or repeats (:mod:`~clustergeo.stages.manifest`), which files are a stage's
own and are removed when a config no longer produces them, where every file lives
(:class:`~clustergeo.stages.paths.RunPaths`), ``clustergeo paths`` and the Makefile rules
(:func:`~clustergeo.stages.make_rules.make_rules`). The tests check the declarations against the
code: every config field a stage reads, and every module it imports, is declared.

This module imports only the standard library, so the command line can list stages instantly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CORE_CODE",
    "STAGES",
    "Artefact",
    "Stage",
    "consumers_of",
    "producer_of",
    "stage",
    "stage_names",
]


@dataclass(frozen=True)
class Artefact:
    """A file (or a folder of files) of a run, at ``path`` under the run's output folder.

    ``optional`` artefacts are written only under some configs (the employment grid's kernel
    density surface, say); a stage that declares one and does not write it removes any copy an
    earlier config left behind.
    """

    path: str
    description: str
    optional: bool = False

    @property
    def is_folder(self) -> bool:
        """True for a folder whose every file belongs to the artefact (e.g. ``figures/``)."""
        return self.path.endswith("/")


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, declared (see the module docstring)."""

    name: str
    summary: str
    inputs: tuple[str, ...]
    reads: tuple[Artefact, ...]
    writes: tuple[Artefact, ...]
    settings: tuple[str, ...]
    code: tuple[str, ...]
    runs_on: tuple[str, ...] = ()
    settings_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    needs_section: str | None = None
    needs_polygons: bool = False

    @property
    def module(self) -> str:
        """The module whose ``run(config)`` carries the stage out."""
        return f"clustergeo.stages.{self.name}"

    @property
    def manifest(self) -> Artefact:
        """The record the stage writes last, when it has succeeded (the Makefile's target)."""
        return Artefact(
            f"manifests/{self.name}.json", f"What the {self.name} stage made, from what"
        )


#: Code every stage depends on: the config, file handling, vocabulary and orchestration.
CORE_CODE: tuple[str, ...] = (
    "__init__.py",
    "_errors.py",
    "_validate.py",
    "_yaml.py",
    "_console.py",
    "config.py",
    "io.py",
    "vocab.py",
    "stages/__init__.py",
    "stages/registry.py",
    "stages/paths.py",
    "stages/intermediates.py",
    "stages/manifest.py",
)

# --- Artefacts, by the stage that writes them ------------------------------------------------

# ingest (the table)
EMPLOYMENT = Artefact(
    "ingest/employment.parquet", "Tidy employment (or GVA) by area, industry and year (Parquet)."
)
AREA_TOTALS = Artefact(
    "ingest/area_totals.parquet",
    "Published all-industry totals per area and year, when the source has them (Parquet).",
    optional=True,
)
AREA_NAMES = Artefact(
    "ingest/area_names.parquet", "Area names, when the table gives them.", optional=True
)
INDUSTRIES = Artefact("ingest/industries.json", "Industries and resolved cluster definitions.")
INGEST_REPORT = Artefact(
    "ingest/report.json", "What ingest read, repaired and noticed, with input checksums."
)

# areas (the boundaries)
AREAS = Artefact("ingest/areas.parquet", "Small areas with their authority codes (GeoParquet).")
AUTHORITY_POLYGONS = {
    tier: Artefact(
        f"ingest/authorities_{tier}.parquet",
        f"Polygons of the {tier.replace('_', ' ')} tier in the run's year (GeoParquet).",
        optional=True,
    )
    for tier in ("district", "county", "combined_authority", "region")
}
AREAS_REPORT = Artefact(
    "ingest/areas_report.json",
    "What the areas stage read, joined and noticed, with input checksums.",
)

# concentration
LQ = Artefact("concentration/lq.parquet", "LQs per area x industry and cluster definition.")
LQ_CSV = Artefact("concentration/lq.csv", "The LQ table as CSV, for spreadsheets.")
DISTRICT_LQ = Artefact(
    "concentration/district_lq.parquet", "LQs of districts (Parquet).", optional=True
)
LQ_BY_YEAR = Artefact(
    "concentration/lq_by_year.parquet",
    "LQs per area x industry and cluster definition x year, for tables of several years.",
    optional=True,
)
LQ_BY_YEAR_CSV = Artefact(
    "concentration/lq_by_year.csv", "The LQs of every year as CSV.", optional=True
)
SPECIALISATION = Artefact(
    "concentration/specialisation.parquet", "Krugman and Herfindahl indices per area."
)
CONCENTRATION_REPORT = Artefact(
    "concentration/report.json",
    "The LQ reference, its total, the floors applied and the year analysed.",
)

# hotspots
HOTSPOTS = Artefact("hotspots/hotspots.parquet", "Gi*, Gi and Local Moran per area x industry.")
HOTSPOTS_CSV = Artefact("hotspots/hotspots.csv", "The hot-spot table as CSV.")
GLOBAL_STATISTICS = Artefact(
    "hotspots/global.parquet", "Global Moran's I and General G per industry, with inference."
)
GLOBAL_STATISTICS_CSV = Artefact("hotspots/global.csv", "The same as CSV.")
WEIGHTS_AUDIT = Artefact(
    "hotspots/weights_audit.parquet", "Neighbours, islands and components of every area."
)
WEIGHTS = Artefact(
    "hotspots/weights.parquet",
    "The run's spatial weights as an adjacency table (libpysal.graph.read_parquet reads it).",
)
HOTSPOTS_REPORT = Artefact(
    "hotspots/report.json", "Weights summary, inference settings, policies applied and counts."
)

# clusters
CLUSTERS = Artefact(
    "clusters/clusters.parquet",
    "Findings (clusters and concentrations): core polygons with their attributes.",
)
CLUSTERS_CSV = Artefact("clusters/clusters.csv", "Cluster attributes as CSV (no polygons).")
CLUSTER_MEMBERS = Artefact(
    "clusters/members.parquet", "Which areas make up each finding, in its core or its extent."
)
CLUSTER_EXTENTS = Artefact(
    "clusters/extents.parquet", "Each finding's extent: its core and the hot areas around it."
)
CLUSTERS_REPORT = Artefact(
    "clusters/report.json", "Membership rules applied and the counts per industry."
)

# governance
GOVERNED_CLUSTERS = Artefact(
    "governance/clusters.parquet", "Clusters with their governance flags (GeoParquet)."
)
GOVERNED_CLUSTERS_CSV = Artefact("governance/clusters.csv", "The same as CSV, without polygons.")
CLUSTER_AUTHORITIES = Artefact(
    "governance/cluster_authorities.parquet",
    "Every authority each cluster touches, with employment and area shares.",
)
CLUSTER_AUTHORITIES_CSV = Artefact("governance/cluster_authorities.csv", "The same as CSV.")
SITES = Artefact(
    "governance/sites.parquet", "Anchor-site footprints with their flags.", optional=True
)
SITES_CSV = Artefact("governance/sites.csv", "The same as CSV.", optional=True)
SITE_AUTHORITIES = Artefact(
    "governance/site_authorities.parquet",
    "Every authority each footprint touches, with area shares.",
    optional=True,
)
SITE_AUTHORITIES_CSV = Artefact(
    "governance/site_authorities.csv", "The same as CSV.", optional=True
)
SITE_CLUSTERS = Artefact(
    "governance/site_clusters.parquet", "Clusters each site lies in or near.", optional=True
)
SITE_CLUSTERS_CSV = Artefact("governance/site_clusters.csv", "The same as CSV.", optional=True)
AUTHORITY_SUMMARIES = Artefact(
    "governance/authority_summaries.parquet", "One row per authority touched by a cluster."
)
AUTHORITY_SUMMARIES_CSV = Artefact("governance/authority_summaries.csv", "The same as CSV.")
AUTHORITY_SUMMARIES_MD = Artefact(
    "governance/authority_summaries.md", "A plain-language paragraph per authority."
)
GOVERNANCE_REPORT = Artefact(
    "governance/report.json", "Counts of straddling clusters, gaps and sites."
)

# surface
SURFACE_TIF = Artefact(
    "surface/employment.tif", "Employment per grid cell, one band per column (GeoTIFF)."
)
SURFACE_DENSITY_TIF = Artefact(
    "surface/employment_density.tif",
    "Kernel-density employment surface, when configured (GeoTIFF).",
    optional=True,
)
GRID_HOTSPOTS = Artefact("surface/grid_hotspots.parquet", "Gi* per grid cell x column.")
GRID_CLUSTERS = Artefact(
    "surface/grid_clusters.parquet", "Clusters found on the grid, with their flags."
)
GRID_CLUSTERS_CSV = Artefact("surface/grid_clusters.csv", "The same as CSV.")
MAUP = Artefact("surface/maup.parquet", "Area clusters against grid clusters: overlap.")
MAUP_CSV = Artefact("surface/maup.csv", "The same as CSV.")
SURFACE_REPORT = Artefact("surface/report.json", "Allocation, grid and comparison counts.")

# growth
GROWTH = Artefact(
    "growth/growth.parquet",
    "Start and end values, change, CAGR and change in LQ per area x industry and definition.",
)
GROWTH_CSV = Artefact("growth/growth.csv", "The growth table as CSV.")
GROWTH_INDEX = Artefact(
    "growth/index.parquet", "Index series (base year = 100) per area x industry x year."
)
GROWTH_INDEX_CSV = Artefact("growth/index.csv", "The index series as CSV.")
SHIFT_SHARE = Artefact(
    "growth/shift_share.parquet", "Shift-share components per area x industry and definition."
)
SHIFT_SHARE_CSV = Artefact("growth/shift_share.csv", "The shift-share table as CSV.")
FINDING_GROWTH = Artefact(
    "growth/findings.parquet",
    "Each finding's combined series: start and end values, CAGR, index by year.",
    optional=True,
)
FINDING_GROWTH_CSV = Artefact("growth/findings.csv", "The findings' growth as CSV.", optional=True)
EMERGING = Artefact(
    "growth/emerging.parquet",
    "Emerging hot-spot category, Mann-Kendall trend and years hot or cold per area x industry.",
    optional=True,
)
EMERGING_CSV = Artefact("growth/emerging.csv", "The emerging hot spots as CSV.", optional=True)
EMERGING_CLUSTERS = Artefact(
    "growth/emerging_clusters.csv",
    "Neighbouring new, consecutive or intensifying hot spots, and the authorities they span.",
    optional=True,
)
EMERGING_MEMBERS = Artefact(
    "growth/emerging_members.csv", "The areas of each emerging cluster.", optional=True
)
GROWTH_REPORT = Artefact(
    "growth/report.json", "Years compared, reference, shift-share variant and what was left out."
)

# circular
CIRCULAR_STREAMS = Artefact(
    "circular/streams.parquet",
    "Each material stream: its industries, sources, co-location statistics, zones and gaps.",
)
CIRCULAR_STREAMS_CSV = Artefact("circular/streams.csv", "The same as CSV.")
CIRCULAR_FINDINGS = Artefact(
    "circular/findings.parquet",
    "Producer and user findings of every stream (clusters and concentrations), core polygons.",
)
CIRCULAR_COLOCATION = Artefact(
    "circular/colocation.parquet",
    "Bivariate Local Moran per area x stream, both ways, with permutation p-values and FDR.",
)
CIRCULAR_COLOCATION_CSV = Artefact("circular/colocation.csv", "The same as CSV.")
CIRCULAR_ZONES = Artefact(
    "circular/zones.parquet",
    "Symbiosis zones and gaps with their governance and co-operation flags (GeoParquet).",
)
CIRCULAR_ZONES_CSV = Artefact("circular/zones.csv", "The same as CSV, without polygons.")
CIRCULAR_ZONE_EXTENTS = Artefact(
    "circular/zone_extents.parquet", "Each zone's extent: its findings' extents and links."
)
CIRCULAR_ZONE_MEMBERS = Artefact(
    "circular/zone_members.parquet", "The areas of each zone and gap, by part and side."
)
CIRCULAR_ZONE_AUTHORITIES = Artefact(
    "circular/zone_authorities.parquet",
    "Every authority each zone touches, for the zone and for each side, with shares.",
)
CIRCULAR_ZONE_AUTHORITIES_CSV = Artefact("circular/zone_authorities.csv", "The same as CSV.")
CIRCULAR_REPORT = Artefact(
    "circular/report.json", "Streams run and left out, the rules applied, and the counts."
)

# publish
GEOPACKAGE = Artefact(
    "clustergeo.gpkg", "The GeoPackage users open in QGIS, styles embedded.", optional=True
)
QGIS_PROJECT = Artefact(
    "clustergeo.qgs", "The QGIS project, referring to the GeoPackage.", optional=True
)
FIGURES = Artefact("figures/", "The static map figures (PNG and SVG).")
REPORT_MD = Artefact("report.md", "The run report in Markdown.")
REPORT_HTML = Artefact("report.html", "The same report as a standalone HTML page.")
REPORT_PDF = Artefact("report.pdf", "The same report as an A4 PDF, printed from report.html.")
MAP_PAGE = Artefact("map.html", "An interactive map of the findings that works offline.")
PROVENANCE = Artefact("provenance.json", "Inputs with checksums, config, versions, seed.")

# --- Stages, in the order they run --------------------------------------------------------------

INGEST = Stage(
    name="ingest",
    summary="Read and validate the employment table (every year) and the cluster definitions.",
    inputs=("employment*", "vintage_lookup", "vintage_areas", "cluster_definitions"),
    reads=(),
    writes=(EMPLOYMENT, AREA_TOTALS, AREA_NAMES, INDUSTRIES, INGEST_REPORT),
    settings=("data_dir", "employment", "industries"),
    # Areas split between boundary vintages are shared by the areas of their pieces.
    settings_when=(("employment.vintage", ("areas",)),),
    code=("ingest/", "industries.py", "data/sic2007.yaml", "data/definitions/"),
)

AREAS_STAGE = Stage(
    name="areas",
    summary="Read the boundaries, authority tiers and study area; check they join the table.",
    inputs=("areas", "authorities", "lookup_*"),
    reads=(EMPLOYMENT, INGEST_REPORT, AREA_NAMES),
    writes=(AREAS, *AUTHORITY_POLYGONS.values(), AREAS_REPORT),
    # The vintage lookup is named in a message about areas the table's codes miss.
    settings=("data_dir", "areas", "study_area", "hierarchy", "authorities", "employment.vintage"),
    code=(
        "ingest/boundaries.py",
        "ingest/places.py",
        "ingest/authorities.py",
        "ingest/joins.py",
        "ingest/tables.py",
        "london.py",
    ),
    needs_polygons=True,
)

CONCENTRATION = Stage(
    name="concentration",
    summary="Compute location quotients for every area, industry and year.",
    inputs=("national_totals",),
    reads=(EMPLOYMENT, AREA_TOTALS, INDUSTRIES, INGEST_REPORT, AREAS),
    writes=(
        LQ,
        LQ_CSV,
        LQ_BY_YEAR,
        LQ_BY_YEAR_CSV,
        DISTRICT_LQ,
        SPECIALISATION,
        CONCENTRATION_REPORT,
    ),
    # employment.date: the year the single-year stages analyse (default: the last).
    settings=("data_dir", "concentration", "employment.date"),
    code=("concentration.py", "ingest/national_totals.py", "ingest/years.py"),
)

HOTSPOTS_STAGE = Stage(
    name="hotspots",
    summary="Find hot spots: Getis-Ord Gi* and Local Moran's I for every industry.",
    inputs=(),
    reads=(AREAS, LQ),
    writes=(
        HOTSPOTS,
        HOTSPOTS_CSV,
        GLOBAL_STATISTICS,
        GLOBAL_STATISTICS_CSV,
        WEIGHTS_AUDIT,
        WEIGHTS,
        HOTSPOTS_REPORT,
    ),
    settings=("hotspots",),
    runs_on=("compute",),
    code=("hotspots/", "compute.py"),
    needs_polygons=True,
)

CLUSTERS_STAGE = Stage(
    name="clusters",
    summary="Join neighbouring hot spots of each industry into clusters.",
    inputs=(),
    reads=(AREAS, LQ, INDUSTRIES, CONCENTRATION_REPORT, HOTSPOTS, WEIGHTS, INGEST_REPORT),
    writes=(CLUSTERS, CLUSTERS_CSV, CLUSTER_EXTENTS, CLUSTER_MEMBERS, CLUSTERS_REPORT),
    # Concentrations' LQ intervals are at the concentration stage's confidence level.
    settings=("clusters", "concentration.confidence_level"),
    code=(
        "clusters/",
        "concentration.py",
        "coverage.py",
        "hotspots/weights.py",
        "hotspots/weights_formats.py",
        "hotspots/multiple_testing.py",
        "hotspots/ordering.py",
        # Checks the kernels' cache on import (the BH kernel's).
        "hotspots/warmup.py",
        "industries.py",
        "data/sic2007.yaml",
    ),
    needs_polygons=True,
)

GOVERNANCE = Stage(
    name="governance",
    summary="Flag the authorities each cluster and anchor site straddles; summarise them.",
    inputs=("sites",),
    # The hot spots give an anchor site's sector its strongest sign in the site's footprint.
    reads=(
        AREAS,
        LQ,
        HOTSPOTS,
        INDUSTRIES,
        CLUSTERS,
        CLUSTER_MEMBERS,
        CLUSTERS_REPORT,
        INGEST_REPORT,
    ),
    writes=(
        GOVERNED_CLUSTERS,
        GOVERNED_CLUSTERS_CSV,
        CLUSTER_AUTHORITIES,
        CLUSTER_AUTHORITIES_CSV,
        SITES,
        SITES_CSV,
        SITE_AUTHORITIES,
        SITE_AUTHORITIES_CSV,
        SITE_CLUSTERS,
        SITE_CLUSTERS_CSV,
        AUTHORITY_SUMMARIES,
        AUTHORITY_SUMMARIES_CSV,
        AUTHORITY_SUMMARIES_MD,
        GOVERNANCE_REPORT,
    ),
    # The run's name and whether it is synthetic title the authority summaries.
    settings=("name", "synthetic", "data_dir", "governance"),
    code=(
        "governance/",
        "industries.py",
        "london.py",
        "data/sic2007.yaml",
        "data/anchor_sites.yaml",
    ),
    needs_polygons=True,
)

SURFACE = Stage(
    name="surface",
    summary="Spread employment over a grid (OSM land use), find grid clusters, compare them.",
    inputs=("osm",),
    reads=(AREAS, LQ, CONCENTRATION_REPORT, GOVERNED_CLUSTERS),
    writes=(
        SURFACE_TIF,
        SURFACE_DENSITY_TIF,
        GRID_HOTSPOTS,
        GRID_CLUSTERS,
        GRID_CLUSTERS_CSV,
        MAUP,
        MAUP_CSV,
        SURFACE_REPORT,
    ),
    # The run's name names the cache of OSM land fetched online; the grid uses the LQ floors,
    # the hot-spot settings and the cluster rules of the areas, so that the two compare.
    settings=(
        "name",
        "data_dir",
        "surface",
        "concentration.min_area_employment",
        "concentration.min_cell_employment",
        "concentration.confidence_level",
        "hotspots",
        "clusters.of",
        "clusters.significance",
        "clusters.min_lq",
        "clusters.min_employment",
    ),
    runs_on=("compute",),
    needs_section="surface",
    needs_polygons=True,
    code=(
        "surface/",
        "hotspots/",
        "compute.py",
        "concentration.py",
        "clusters/delineate.py",
        "governance/overlay.py",
        "governance/sites.py",
        "industries.py",
        "data/sic2007.yaml",
    ),
)

GROWTH_STAGE = Stage(
    name="growth",
    summary="Growth, change in LQ and shift-share between two years; each finding's series.",
    inputs=("growth_totals",),
    reads=(
        EMPLOYMENT,
        INDUSTRIES,
        INGEST_REPORT,
        AREAS,
        LQ_BY_YEAR,
        WEIGHTS,
        CLUSTERS,
        CLUSTER_MEMBERS,
    ),
    writes=(
        GROWTH,
        GROWTH_CSV,
        GROWTH_INDEX,
        GROWTH_INDEX_CSV,
        SHIFT_SHARE,
        SHIFT_SHARE_CSV,
        FINDING_GROWTH,
        FINDING_GROWTH_CSV,
        EMERGING,
        EMERGING_CSV,
        EMERGING_CLUSTERS,
        EMERGING_MEMBERS,
        GROWTH_REPORT,
    ),
    settings=("data_dir", "growth"),
    # Emerging hot spots are the run's Gi*, year by year: its hot-spot settings.
    settings_when=(("growth.emerging", ("hotspots",)),),
    needs_section="growth",
    code=(
        "growth/",
        "governance/overlay.py",
        "hotspots/",
        "stages/hotspots.py",
        "compute.py",
        "concentration.py",
        "ingest/national_totals.py",
        "ingest/tables.py",
        "ingest/years.py",
    ),
)

CIRCULAR = Stage(
    name="circular",
    summary=(
        "Match waste producers with the industries that could use it: co-location, "
        "symbiosis zones, gaps and who must co-operate."
    ),
    inputs=("circular_matrix",),
    reads=(AREAS, LQ, CONCENTRATION_REPORT, WEIGHTS),
    writes=(
        CIRCULAR_STREAMS,
        CIRCULAR_STREAMS_CSV,
        CIRCULAR_FINDINGS,
        CIRCULAR_COLOCATION,
        CIRCULAR_COLOCATION_CSV,
        CIRCULAR_ZONES,
        CIRCULAR_ZONES_CSV,
        CIRCULAR_ZONE_EXTENTS,
        CIRCULAR_ZONE_MEMBERS,
        CIRCULAR_ZONE_AUTHORITIES,
        CIRCULAR_ZONE_AUTHORITIES_CSV,
        CIRCULAR_REPORT,
    ),
    # Each stream side is analysed as the run analyses an industry: its LQ with the run's
    # floors, hot spots with the run's inference, findings by the run's cluster rules, and
    # the governance overlay with the run's straddle share.
    settings=(
        "circular",
        "hotspots",
        "clusters",
        "concentration.min_area_employment",
        "concentration.min_cell_employment",
        "concentration.confidence_level",
        "governance.straddle_share",
    ),
    needs_section="circular",
    needs_polygons=True,
    code=(
        "circular/",
        "hotspots/",
        "clusters/",
        "concentration.py",
        "coverage.py",
        "governance/findings.py",
        "governance/overlay.py",
        "governance/summaries.py",
        "industries.py",
        "london.py",
        "data/sic2007.yaml",
        "data/circular/",
    ),
)

PUBLISH = Stage(
    name="publish",
    summary="Write the GeoPackage, the QGIS project, the maps, the report and the provenance.",
    # The provenance names every input file of the run with its checksum.
    inputs=("*",),
    reads=(
        AREAS,
        INDUSTRIES,
        *AUTHORITY_POLYGONS.values(),
        INGEST_REPORT,
        AREAS_REPORT,
        LQ,
        LQ_BY_YEAR,
        DISTRICT_LQ,
        CONCENTRATION_REPORT,
        HOTSPOTS,
        HOTSPOTS_REPORT,
        GLOBAL_STATISTICS,
        CLUSTERS_REPORT,
        CLUSTER_EXTENTS,
        GOVERNED_CLUSTERS,
        CLUSTER_AUTHORITIES,
        SITES,
        SITE_AUTHORITIES,
        SITE_CLUSTERS,
        AUTHORITY_SUMMARIES,
        GOVERNANCE_REPORT,
        GRID_CLUSTERS,
        MAUP,
        SURFACE_TIF,
        SURFACE_REPORT,
        GROWTH,
        SHIFT_SHARE,
        FINDING_GROWTH,
        EMERGING,
        EMERGING_CLUSTERS,
        EMERGING_MEMBERS,
        GROWTH_REPORT,
        CIRCULAR_STREAMS,
        CIRCULAR_FINDINGS,
        CIRCULAR_COLOCATION,
        CIRCULAR_ZONES,
        CIRCULAR_ZONE_AUTHORITIES,
        CIRCULAR_REPORT,
    ),
    writes=(
        GEOPACKAGE,
        QGIS_PROJECT,
        FIGURES,
        PROVENANCE,
        REPORT_MD,
        REPORT_HTML,
        REPORT_PDF,
        MAP_PAGE,
    ),
    # The provenance carries the whole config, so every setting is publish's, but the output
    # folder: the record names its files relative to it.
    settings=("*",),
    code=(
        "publish/",
        "clusters/strength.py",
        "coverage.py",
        "industries.py",
        "data/sic2007.yaml",
        "governance/findings.py",
        "governance/overlay.py",
        "governance/summaries.py",
        "london.py",
    ),
    # Without polygons it writes the report and provenance, and no GeoPackage or maps.
)

#: Every stage, in the order they run: each reads only what an earlier one wrote.
STAGES: tuple[Stage, ...] = (
    INGEST,
    AREAS_STAGE,
    CONCENTRATION,
    HOTSPOTS_STAGE,
    CLUSTERS_STAGE,
    GOVERNANCE,
    SURFACE,
    GROWTH_STAGE,
    CIRCULAR,
    PUBLISH,
)


def stage_names() -> list[str]:
    """The stages' names, in the order they run."""
    return [s.name for s in STAGES]


def stage(name: str) -> Stage:
    """The declaration of the stage called ``name``."""
    for candidate in STAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no stage called {name!r}; the stages are {', '.join(stage_names())}")


def producer_of(artefact: Artefact) -> Stage:
    """The stage that writes ``artefact``."""
    for candidate in STAGES:
        if artefact in candidate.writes:
            return candidate
    raise KeyError(f"no stage writes {artefact.path}")


def consumers_of(artefacts: Iterable[Artefact]) -> list[Stage]:
    """The stages that read any of ``artefacts``, in run order."""
    wanted = set(artefacts)
    return [s for s in STAGES if wanted & set(s.reads)]
