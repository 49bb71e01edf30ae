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
    def weights_audit(self) -> Path:
        """Neighbours, islands and components of every area (Parquet)."""
        return self.hotspots_dir / "weights_audit.parquet"

    @property
    def hotspots_report(self) -> Path:
        """Weights summary, policies applied and counts (JSON)."""
        return self.hotspots_dir / "report.json"

    # publish
    @property
    def geopackage(self) -> Path:
        """The GeoPackage users open in QGIS."""
        return self.root / "clustergeo.gpkg"

    @property
    def figures_dir(self) -> Path:
        """Folder of the static map figures."""
        return self.root / "figures"

    @property
    def provenance(self) -> Path:
        """Inputs with checksums, config, versions (JSON beside the GeoPackage)."""
        return self.root / "provenance.json"
