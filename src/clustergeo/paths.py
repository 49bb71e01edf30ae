"""Where each stage of a run reads and writes: the one place output paths are defined."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clustergeo.config import RunConfig

__all__ = ["RunPaths"]


@dataclass(frozen=True)
class RunPaths:
    """Output paths of one run, all under the run's ``output_dir``."""

    root: Path

    @classmethod
    def for_config(cls, config: RunConfig) -> RunPaths:
        """Paths for a validated config."""
        return cls(root=config.resolved_output_dir)

    # ingest
    @property
    def ingest_dir(self) -> Path:
        """Folder of the ingest stage's intermediates."""
        return self.root / "ingest"

    @property
    def areas(self) -> Path:
        """Small areas with their authority codes (GeoParquet, EPSG:27700)."""
        return self.ingest_dir / "areas.parquet"

    @property
    def employment(self) -> Path:
        """Tidy employment counts, canonical SIC codes (Parquet)."""
        return self.ingest_dir / "employment.parquet"

    @property
    def area_totals(self) -> Path:
        """Published all-industry totals per area, when the source had them (Parquet)."""
        return self.ingest_dir / "area_totals.parquet"

    @property
    def industries(self) -> Path:
        """Industries and resolved cluster definitions (JSON)."""
        return self.ingest_dir / "industries.json"

    def authorities(self, tier: str) -> Path:
        """Polygons of one authority tier valid in the run's year (GeoParquet)."""
        return self.ingest_dir / f"authorities_{tier}.parquet"

    @property
    def ingest_report(self) -> Path:
        """What ingest read, repaired and noticed, with input checksums (JSON)."""
        return self.ingest_dir / "report.json"

    # concentration
    @property
    def concentration_dir(self) -> Path:
        """Folder of the concentration stage's outputs."""
        return self.root / "concentration"

    @property
    def lq(self) -> Path:
        """Location quotients, area x industry and area x cluster definition (Parquet)."""
        return self.concentration_dir / "lq.parquet"

    @property
    def lq_csv(self) -> Path:
        """The same table as CSV, for spreadsheets."""
        return self.concentration_dir / "lq.csv"

    @property
    def district_lq(self) -> Path:
        """Location quotients of districts (Parquet)."""
        return self.concentration_dir / "district_lq.parquet"

    @property
    def specialisation(self) -> Path:
        """Specialisation indices per area (Parquet)."""
        return self.concentration_dir / "specialisation.parquet"

    @property
    def concentration_report(self) -> Path:
        """What the concentration stage did (JSON)."""
        return self.concentration_dir / "report.json"

    # hotspots
    @property
    def hotspots_dir(self) -> Path:
        """Folder of the hot-spot stage's outputs."""
        return self.root / "hotspots"

    @property
    def hotspots(self) -> Path:
        """Gi*, Gi and Local Moran results per area x industry (Parquet)."""
        return self.hotspots_dir / "hotspots.parquet"

    @property
    def hotspots_csv(self) -> Path:
        """The same table as CSV."""
        return self.hotspots_dir / "hotspots.csv"

    @property
    def global_statistics(self) -> Path:
        """Global Moran's I and General G per industry, with inference (Parquet)."""
        return self.hotspots_dir / "global.parquet"

    @property
    def weights_audit(self) -> Path:
        """Neighbours, islands and components of every area (Parquet)."""
        return self.hotspots_dir / "weights_audit.parquet"

    @property
    def weights(self) -> Path:
        """The run's spatial weights as links: focal, neighbour, weight (Parquet)."""
        return self.hotspots_dir / "weights.parquet"

    @property
    def hotspots_report(self) -> Path:
        """Weights summary, policies applied and counts (JSON)."""
        return self.hotspots_dir / "report.json"

    # clusters
    @property
    def clusters_dir(self) -> Path:
        """Folder of the cluster stage's outputs."""
        return self.root / "clusters"

    @property
    def clusters(self) -> Path:
        """Cluster polygons with their attributes (GeoParquet)."""
        return self.clusters_dir / "clusters.parquet"

    @property
    def clusters_csv(self) -> Path:
        """The cluster attributes as CSV (centroid coordinates, no polygons)."""
        return self.clusters_dir / "clusters.csv"

    @property
    def cluster_members(self) -> Path:
        """Which areas make up each finding, and whether in its core or extent (Parquet)."""
        return self.clusters_dir / "members.parquet"

    @property
    def cluster_extents(self) -> Path:
        """Each finding's extent polygon: its core and the hot areas around it (GeoParquet)."""
        return self.clusters_dir / "extents.parquet"

    @property
    def clusters_report(self) -> Path:
        """Rules applied and counts per industry (JSON)."""
        return self.clusters_dir / "report.json"

    # governance
    @property
    def governance_dir(self) -> Path:
        """Folder of the governance stage's outputs."""
        return self.root / "governance"

    @property
    def governed_clusters(self) -> Path:
        """Clusters with their governance flags (GeoParquet)."""
        return self.governance_dir / "clusters.parquet"

    @property
    def governed_clusters_csv(self) -> Path:
        """The same as CSV, without polygons."""
        return self.governance_dir / "clusters.csv"

    @property
    def cluster_authorities(self) -> Path:
        """Every authority each cluster touches, with employment and area shares (Parquet)."""
        return self.governance_dir / "cluster_authorities.parquet"

    @property
    def sites(self) -> Path:
        """Anchor sites: footprints with their flags (GeoParquet)."""
        return self.governance_dir / "sites.parquet"

    @property
    def site_authorities(self) -> Path:
        """Every authority each site's footprint touches, with area shares (Parquet)."""
        return self.governance_dir / "site_authorities.parquet"

    @property
    def site_clusters(self) -> Path:
        """Clusters each site lies in or near (Parquet)."""
        return self.governance_dir / "site_clusters.parquet"

    @property
    def authority_summaries(self) -> Path:
        """One row per authority touched by a cluster (Parquet)."""
        return self.governance_dir / "authority_summaries.parquet"

    @property
    def authority_summaries_md(self) -> Path:
        """A plain-language paragraph per authority (Markdown)."""
        return self.governance_dir / "authority_summaries.md"

    @property
    def governance_report(self) -> Path:
        """Counts of straddling clusters, gaps and sites (JSON)."""
        return self.governance_dir / "report.json"

    def csv_beside(self, path: Path) -> Path:
        """The CSV copy written next to a Parquet output."""
        return path.with_suffix(".csv")

    # surface
    @property
    def surface_dir(self) -> Path:
        """Folder of the employment-grid stage's outputs."""
        return self.root / "surface"

    @property
    def surface_tif(self) -> Path:
        """Employment per grid cell, one band per cluster definition (GeoTIFF)."""
        return self.surface_dir / "employment.tif"

    @property
    def surface_density_tif(self) -> Path:
        """Kernel-density employment surface, when configured (GeoTIFF)."""
        return self.surface_dir / "employment_density.tif"

    @property
    def grid_hotspots(self) -> Path:
        """Gi* per grid cell x cluster definition (Parquet)."""
        return self.surface_dir / "grid_hotspots.parquet"

    @property
    def grid_clusters(self) -> Path:
        """Clusters found on the grid, with their governance flags (GeoParquet)."""
        return self.surface_dir / "grid_clusters.parquet"

    @property
    def maup(self) -> Path:
        """Area clusters against grid clusters: overlap and stability (Parquet)."""
        return self.surface_dir / "maup.parquet"

    @property
    def surface_report(self) -> Path:
        """Allocation, grid and comparison counts (JSON)."""
        return self.surface_dir / "report.json"

    # publish
    @property
    def geopackage(self) -> Path:
        """The GeoPackage users open in QGIS."""
        return self.root / "clustergeo.gpkg"

    @property
    def qgis_project(self) -> Path:
        """The QGIS project beside the GeoPackage, referring to it by a relative path."""
        return self.root / "clustergeo.qgs"

    @property
    def report_md(self) -> Path:
        """The run report in Markdown."""
        return self.root / "report.md"

    @property
    def report_html(self) -> Path:
        """The same report as a standalone HTML page."""
        return self.root / "report.html"

    @property
    def figures_dir(self) -> Path:
        """Folder of the static map figures."""
        return self.root / "figures"

    @property
    def provenance(self) -> Path:
        """Inputs with checksums, config, versions (JSON beside the GeoPackage)."""
        return self.root / "provenance.json"
