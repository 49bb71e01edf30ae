"""The run configuration: one YAML file per run in ``pipelines/``, validated before anything runs.

Pipelines (:class:`RunConfig`, ``clustergeo run``) live in ``pipelines/``; national panels
(:class:`PanelConfig`, ``clustergeo panel``) in ``pipelines/panels/``.

Relative paths are resolved in one place, the ``_Located`` mixin of both kinds of config:

* input data paths (``areas.path``, ``employment.path``, ``authorities.path``, lookup and
  national-totals paths, ``governance.sites``, ``surface.osm``, and a panel's
  ``employment``) are relative to the **data
  directory**: the ``CLUSTERGEO_DATA_DIR`` environment variable if set, else ``data_dir`` from
  the config, else the config file's folder.
  So the same pipeline runs on a user's own downloads and on the shared public datasets;
* every other relative path (``output_dir``, ``industries.cluster_definitions``) is relative to
  the config file's folder.

Unknown keys are rejected with their name, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clustergeo._errors import ConfigError

__all__ = [
    "DATA_DIR_ENV",
    "SYNTHETIC_LABEL",
    "TIERS",
    "AreasConfig",
    "AuthoritiesConfig",
    "AuthorityLayer",
    "ClustersConfig",
    "ComputeConfig",
    "ConcentrationConfig",
    "EmploymentConfig",
    "GovernanceConfig",
    "HotspotsConfig",
    "IndustriesConfig",
    "PanelConfig",
    "RunConfig",
    "StudyAreaConfig",
    "SurfaceConfig",
    "Tier",
    "TierSource",
    "WeightsConfig",
    "load_config",
    "load_panel_config",
]

DATA_DIR_ENV = "CLUSTERGEO_DATA_DIR"

#: What every output of a synthetic run says it is (titles, maps, metadata, reports).
SYNTHETIC_LABEL = "synthetic demo data"

Tier = Literal["district", "county", "combined_authority", "region"]

#: Authority tiers above the small areas, from lowest to highest.
TIERS: tuple[Tier, ...] = ("district", "county", "combined_authority", "region")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AreasConfig(_Strict):
    """The small areas (MSOAs, LSOAs, output areas...) that employment is counted in."""

    path: Path = Field(description="Boundary file: GeoJSON, GeoPackage, Shapefile or TopoJSON.")
    layer: str | None = Field(
        default=None, description="Layer name, for GeoPackage or TopoJSON files with several."
    )
    code_column: str = Field(description="Column holding the area code, e.g. MSOA11CD.")
    name_column: str | None = Field(default=None, description="Column holding the area name.")
    crs: str | None = Field(
        default=None,
        description=(
            "CRS to assume when the file declares none (e.g. 'EPSG:4326' for ONS TopoJSON). "
            "A file that declares a different CRS is an error."
        ),
    )


class EmploymentConfig(_Strict):
    """Employment counts by area and industry, in one of the layouts Nomis and users produce."""

    path: Path = Field(description="The employment CSV (may be gzip-compressed).")
    format: Literal["auto", "nomis_bres", "nomis_census_wide", "tidy"] = Field(
        default="auto",
        description=(
            "'nomis_bres': Nomis long CSV (DATE, GEOGRAPHY_CODE, INDUSTRY_CODE, OBS_VALUE, "
            "OBS_STATUS...); 'nomis_census_wide': Nomis census table, one row per area and one "
            "column per industry, area as 'CODE : NAME'; 'tidy': area_code, industry_code, "
            "employment; 'auto' detects the layout from the header."
        ),
    )
    basis: Literal["workplace", "residence"] = Field(
        default="workplace",
        description=(
            "Where people are counted: at their workplace (right for clusters: BRES, Census "
            "WP605EW) or at home (Census 2021 TS060). Reported in every output."
        ),
    )
    date: str | None = Field(
        default=None,
        description="For Nomis BRES files with several years: the DATE to use (e.g. '2021').",
    )
    employment_status: str | None = Field(
        default=None,
        description=(
            "For Nomis BRES files with several employment statuses: the EMPLOYMENT_STATUS_NAME "
            "to use (e.g. 'Employment' or 'Employees')."
        ),
    )
    description: str | None = Field(
        default=None, description="What the table is, for reports (e.g. 'Census 2011 WP605EW')."
    )


class TierSource(_Strict):
    """Where an authority tier's code for each small area comes from.

    ``attribute``: a column of the areas file. ``lookup``: a CSV joined on the area code or on
    an already-known tier. ``overlay``: the authority polygon covering most of the area.
    """

    source: Literal["attribute", "lookup", "overlay"]
    column: str | None = Field(
        default=None, description="attribute: the areas-file column; lookup: the code column."
    )
    name_column: str | None = Field(default=None, description="lookup: the name column.")
    path: Path | None = Field(default=None, description="lookup: the CSV (in the data dir).")
    key: Literal["area", "district", "county", "combined_authority", "region"] = Field(
        default="area", description="lookup: what the CSV's key column identifies."
    )
    key_column: str | None = Field(default=None, description="lookup: the CSV's key column.")

    @model_validator(mode="after")
    def _check_fields(self) -> TierSource:
        if self.source == "attribute" and not self.column:
            raise ValueError("source 'attribute' needs 'column' (the areas-file column)")
        if self.source == "lookup":
            missing = [
                k for k in ("path", "column", "key_column") if getattr(self, k) in (None, "")
            ]
            if missing:
                raise ValueError(f"source 'lookup' needs {', '.join(missing)}")
        return self


class AuthorityLayer(_Strict):
    """One authority tier's polygons inside the authorities file."""

    layer: str = Field(description="Layer name in the authorities file (e.g. 'ltla', 'cauth').")
    code_prefix: str | None = Field(
        default=None,
        description="Keep only codes starting with this (e.g. 'E47' for combined authorities).",
    )


class AuthoritiesConfig(_Strict):
    """Authority boundaries by tier (district, county, combined authority, region)."""

    path: Path = Field(description="A multi-layer file (TopoJSON or GeoPackage).")
    crs: str | None = Field(default=None, description="CRS to assume when the file has none.")
    code_column: str = Field(default="areacd", description="Authority code column.")
    name_column: str = Field(default="areanm", description="Authority name column.")
    year: int | None = Field(
        default=None,
        description=(
            "Keep authorities valid in this year, using the 'start'/'end' attributes of ONS "
            "multi-year files (e.g. 2025 includes the East Midlands CCA)."
        ),
    )
    layers: dict[Tier, AuthorityLayer] = Field(description="Layer per tier.")


class IndustriesConfig(_Strict):
    """Industry classification and cluster definitions."""

    cluster_definitions: str = Field(
        default="default",
        description=(
            "YAML of cluster definitions (name -> SIC codes at any level): 'default' for the "
            "shipped set, or a path relative to the config file."
        ),
    )


class ConcentrationConfig(_Strict):
    """Location quotient settings."""

    reference: Literal["study_area", "employment_file", "national_totals"] = Field(
        default="study_area",
        description=(
            "Denominator of the LQ. 'study_area': all areas in the boundary file; "
            "'employment_file': every area in the employment table, also those outside the "
            "boundaries (a national table gives national LQs); 'national_totals': a CSV of "
            "industry_code, employment."
        ),
    )
    national_totals_path: Path | None = Field(
        default=None, description="For reference 'national_totals': the CSV (in the data dir)."
    )
    min_area_employment: Annotated[float, Field(ge=0)] = Field(
        default=100,
        description="Areas employing fewer people in total get LQs flagged unreliable.",
    )
    min_cell_employment: Annotated[float, Field(ge=0)] = Field(
        default=5,
        description="Area x industry counts below this get LQs flagged unreliable.",
    )
    confidence_level: Annotated[float, Field(gt=0, lt=1)] = Field(
        default=0.95, description="Level of the LQ confidence intervals."
    )

    @model_validator(mode="after")
    def _check_totals(self) -> ConcentrationConfig:
        if self.reference == "national_totals" and self.national_totals_path is None:
            raise ValueError("reference 'national_totals' needs 'national_totals_path'")
        return self


class WeightsConfig(_Strict):
    """How neighbours are defined for the hot-spot statistics."""

    method: Literal["contiguity", "queen", "rook", "knn", "distance_band", "kernel"] = Field(
        default="contiguity",
        description=(
            "'contiguity': queen contiguity tolerant to boundary files whose shared edges do "
            "not coincide exactly (the default); 'queen'/'rook': strict; 'knn'; "
            "'distance_band'; 'kernel' (general weights)."
        ),
    )
    tolerance_m: Annotated[float, Field(ge=0)] = Field(
        default=1.0, description="Snapping tolerance of 'contiguity', in metres."
    )
    k: Annotated[int, Field(ge=1)] = Field(
        default=6,
        description=(
            "Neighbours for 'knn' and 'kernel'; a kernel without 'bandwidth_m' is adaptive: "
            "each area's bandwidth is the distance to its k-th nearest area."
        ),
    )
    threshold_m: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="Distance of 'distance_band', in metres."
    )
    bandwidth_m: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description="Fixed bandwidth of 'kernel' in metres for every area (else adaptive).",
    )
    kernel: Literal["gaussian", "triangular", "bisquare", "tricube", "exponential"] = Field(
        default="gaussian", description="Kernel function of 'kernel'."
    )
    transform: Literal["binary", "row"] = Field(
        default="binary",
        description="'binary' weights or 'row'-standardised (each area's lag is a mean).",
    )
    islands: Literal["nearest", "exclude"] = Field(
        default="nearest",
        description=(
            "Areas with no neighbour: 'nearest' attaches each to its nearest areas; 'exclude' "
            "leaves them out (results missing). Both are reported in the weights audit."
        ),
    )
    island_neighbours: Annotated[int, Field(ge=1)] = Field(
        default=1, description="How many nearest areas an island is attached to."
    )

    @model_validator(mode="after")
    def _check_method(self) -> WeightsConfig:
        if self.method == "distance_band" and self.threshold_m is None:
            raise ValueError("method 'distance_band' needs 'threshold_m'")
        return self


class HotspotsConfig(_Strict):
    """Getis-Ord Gi* and Local Moran's I for every industry and cluster definition."""

    variable: Literal["lq", "employment", "density"] = Field(
        default="lq",
        description=(
            "What is analysed: the location quotient (default), the employment count, or "
            "employment density (workers per km2)."
        ),
    )
    weights: WeightsConfig = Field(default_factory=WeightsConfig)
    alternative: Literal["two-sided", "greater", "less", "folded"] = Field(
        default="two-sided",
        description=(
            "'two-sided': hot or cold (Gi*), positive or negative association (Moran), "
            "p = 2 x the smaller one-sided p; 'greater': hot spots / positive association "
            "only; 'less': the opposite; 'folded': the smaller one-sided p, as esda's p_sim."
        ),
    )
    gi_star_inference: Literal["analytic", "permutation"] = Field(
        default="analytic",
        description=(
            "Which Gi* p-value classifies hot spots. Analytic (normal) p-values have no "
            "resolution floor, so false-discovery control over thousands of areas works."
        ),
    )
    moran_inference: Literal["analytic", "permutation"] = Field(
        default="permutation",
        description="Which Local Moran p-value classifies clusters (permutation by default).",
    )
    permutations: Annotated[int, Field(ge=0)] = Field(
        default=9999,
        description=(
            "Conditional permutations per area (0 = none). The smallest pseudo p-value is "
            "1/(permutations + 1)."
        ),
    )
    seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(
        default=20111, description="Seed of the permutation draws (a non-negative integer)."
    )
    correction: Literal["fdr_bh", "bonferroni", "none"] = Field(
        default="fdr_bh", description="Multiple-testing correction of the classifying p-values."
    )
    correction_scope: Literal["industry", "all"] = Field(
        default="industry",
        description="Correct across areas within each industry, or across all areas x industries.",
    )

    @model_validator(mode="after")
    def _check_permutations(self) -> HotspotsConfig:
        uses = [
            name
            for name, value in (
                ("gi_star_inference", self.gi_star_inference),
                ("moran_inference", self.moran_inference),
            )
            if value == "permutation"
        ]
        if uses and self.permutations == 0:
            raise ValueError(f"{', '.join(uses)} is 'permutation' but permutations is 0")
        return self


class ClustersConfig(_Strict):
    """How significant areas are joined into clusters (stage ``clusters``)."""

    of: Literal["auto", "cluster_definitions", "industries", "all"] = Field(
        default="auto",
        description=(
            "Which columns get clusters: 'cluster_definitions', 'industries', 'all', or "
            "'auto' (the cluster definitions when there are any, else the industries)."
        ),
    )
    membership: Literal["gi_star", "moran_hh", "lq"] = Field(
        default="gi_star",
        description=(
            "Which areas can belong to a cluster: 'gi_star' (a Gi* hot spot after the "
            "multiple-testing correction), 'moran_hh' (a significant Local Moran high-high "
            "area), or 'lq' (an LQ of at least min_lq whose confidence interval lies above 1)."
        ),
    )
    significance: Annotated[float, Field(gt=0, lt=1)] = Field(
        default=0.05,
        description="Largest corrected p-value of a member (gi_star and moran_hh membership).",
    )
    min_lq: Annotated[float, Field(ge=0)] = Field(
        default=1.25,
        description=(
            "Smallest LQ of a member area itself. Gi* is a neighbourhood statistic: an "
            "unspecialised area next to a strong cluster is often a significant hot spot too; "
            "requiring the area's own LQ keeps that halo out of the cluster."
        ),
    )
    min_units: Annotated[int, Field(ge=1)] = Field(
        default=1, description="Smallest number of areas in a cluster."
    )
    min_employment: Annotated[float, Field(ge=0)] = Field(
        default=100,
        description="Smallest employment of a cluster in its industry; smaller ones are dropped.",
    )


class GovernanceConfig(_Strict):
    """Who governs each cluster and anchor site (stage ``governance``)."""

    sites: str = Field(
        default="default",
        description=(
            "Anchor-site registry (YAML): 'default' for the shipped Midlands sites, 'none', "
            "or a path in the data directory (like the other inputs)."
        ),
    )
    edge_distance_km: Annotated[float, Field(ge=0)] = Field(
        default=1.0,
        description=(
            "A cluster within this distance of an authority it does not reach is marked "
            "'edge' and the authority is named."
        ),
    )
    site_near_km: Annotated[float, Field(ge=0)] = Field(
        default=5.0,
        description="Clusters within this distance of a site's footprint are listed as near it.",
    )
    min_area_share: Annotated[float, Field(ge=0, lt=0.5)] = Field(
        default=0.005,
        description=(
            "Pieces of a site's footprint smaller than this share of it are not counted as "
            "touching an authority: generalised boundaries leave slivers."
        ),
    )


class SurfaceConfig(_Strict):
    """A boundary-agnostic employment grid: dasymetric allocation, grid hot spots, MAUP check."""

    osm: Path | None = Field(
        default=None,
        description=(
            "OpenStreetMap extract (.osm.pbf or .osm, in the data directory) whose industrial, "
            "commercial, retail and works land receives each area's employment. Without it, "
            "employment is spread over each whole area."
        ),
    )
    osm_online: bool = Field(
        default=False,
        description=(
            "Without a local extract, fetch the land from the Overpass API through osmnx "
            "(needs the internet once) and cache it in the data directory as "
            "osm_employment_land_<run name>.parquet; later runs read the cache."
        ),
    )
    cell_m: Annotated[float, Field(gt=0)] = Field(
        default=1000.0, description="Grid cell size in metres (British National Grid)."
    )
    kind_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {
            "industrial": 1.0,
            "works": 1.0,
            "commercial": 1.0,
            "retail": 0.5,
        },
        description="Relative employment density of each kind of land (per square metre).",
    )
    kernel_bandwidth_m: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description="If set, also write a Gaussian kernel-density surface with this bandwidth.",
    )
    min_employment: Annotated[float, Field(ge=0)] = Field(
        default=500.0,
        description=(
            "Grid clusters employing fewer than this are dropped. Without OSM land, each area's "
            "LQ repeats over its cells, so small grid clusters often echo one noisy area."
        ),
    )

    stable_iou: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.5,
        description=(
            "An area cluster and a grid cluster overlapping with at least this intersection "
            "over union are 'stable'; less overlap is 'shifted'."
        ),
    )

    @model_validator(mode="after")
    def _one_land_source(self) -> SurfaceConfig:
        if self.osm is not None and self.osm_online:
            raise ValueError("give 'osm' (a local extract) or 'osm_online: true', not both")
        return self


#: Address schemes of a running Dask scheduler (``compute.backend``).
SCHEDULER_SCHEMES = ("tcp://", "tls://", "ucx://", "ws://", "wss://", "inproc://")


class ComputeConfig(_Strict):
    """Where the expensive work runs: in this process, on a local Dask cluster or a remote one."""

    backend: str = Field(
        default="local",
        description=(
            "'local': in this process (the default; no Dask). 'dask-local': a Dask LocalCluster "
            "of worker processes on this machine. A scheduler address (e.g. "
            "'tcp://10.0.0.5:8786'): an existing Dask cluster."
        ),
    )
    workers: Annotated[int, Field(ge=1)] | None = Field(
        default=None,
        description="dask-local: worker processes (default: one per core).",
    )
    memory_limit: str = Field(
        default="auto",
        description=(
            "dask-local: memory per worker, e.g. '8GiB' ('auto' shares the machine's memory "
            "between the workers). Workers over the limit are restarted by Dask."
        ),
    )
    industries_per_task: Annotated[int, Field(ge=1)] = Field(
        default=64,
        description=(
            "Hot spots: industries (columns) per Dask task, and per Parquet part of a panel "
            "(in process too). Smaller tasks spread better over many workers and hold less "
            "memory; each costs a little scheduling and transfer."
        ),
    )

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value in ("local", "dask-local") or value.startswith(SCHEDULER_SCHEMES):
            return value
        raise ValueError(
            "must be 'local', 'dask-local' or a Dask scheduler address such as "
            f"'tcp://host:8786' (got {value!r})"
        )

    @property
    def distributed(self) -> bool:
        """True when the work goes to Dask workers."""
        return self.backend != "local"


class StudyAreaConfig(_Strict):
    """The part of the areas file results are reported for, and its edge buffer."""

    tier: Tier = Field(description="Tier whose codes define the study area, e.g. 'county'.")
    codes: list[str] = Field(min_length=1, description="Authority codes making up the study area.")
    buffer_km: Annotated[float, Field(ge=0)] = Field(
        default=10.0,
        description=(
            "Areas of the input within this distance of the study area are kept as an edge "
            "buffer: they are neighbours in the hot-spot statistics, so areas on the study "
            "area's edge are not judged on half a neighbourhood, but get no results themselves."
        ),
    )


class _Located:
    """Path resolution for configs with a file, a data directory and an output folder.

    The one place relative paths are interpreted (see the module docstring).
    """

    if TYPE_CHECKING:  # fields and methods of the models using it (declared there)
        config_path: Path | None
        data_dir: Path | None
        output_dir: Path

        def input_paths(self) -> dict[str, Path]: ...

    @property
    def base_dir(self) -> Path:
        """Folder of the config file (the current folder for configs built in code)."""
        return self.config_path.parent if self.config_path else Path.cwd()

    @property
    def resolved_data_dir(self) -> Path:
        """The folder relative input paths start from."""
        env = os.environ.get(DATA_DIR_ENV)
        if env:
            return Path(env).expanduser().resolve()
        if self.data_dir is not None:
            return (self.base_dir / self.data_dir).resolve()
        return self.base_dir.resolve()

    def data_path(self, path: Path) -> Path:
        """Resolve an input data path against the data directory."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.resolved_data_dir / path

    def local_path(self, path: Path | str) -> Path:
        """Resolve a project path (outputs, cluster definitions) against the config folder."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    @property
    def resolved_output_dir(self) -> Path:
        """Folder of this run's outputs."""
        return self.local_path(self.output_dir)

    def check_inputs_exist(self) -> None:
        """Raise one :class:`ConfigError` naming every input file that is missing."""
        missing = {role: p for role, p in self.input_paths().items() if not p.exists()}
        if not missing:
            return
        where = self.resolved_data_dir
        lines = "\n".join(f"  - {role}: {path}" for role, path in missing.items())
        raise ConfigError(
            f"{len(missing)} input file{'s' if len(missing) > 1 else ''} named in "
            f"{self.config_path or 'the config'} do not exist:\n{lines}\n"
            f"Relative input paths start from the data directory {where} (set by "
            f"{DATA_DIR_ENV}, else 'data_dir' in the config). Fix the paths or download the files."
        )


class RunConfig(_Located, _Strict):
    """Everything one run needs, validated before any stage starts."""

    name: str = Field(description="Run name; used in output file names and titles.")
    description: str = Field(default="", description="One line on what the run is for.")
    synthetic: bool = Field(
        default=False,
        description="True for the synthetic demo: every output then says 'synthetic demo data'.",
    )
    data_dir: Path | None = Field(
        default=None,
        description=(
            "Folder that relative input paths start from (relative to this file). The "
            f"{DATA_DIR_ENV} environment variable overrides it."
        ),
    )
    output_dir: Path = Field(description="Folder for intermediates and outputs of this run.")
    areas: AreasConfig
    employment: EmploymentConfig
    study_area: StudyAreaConfig | None = Field(
        default=None,
        description="Report for part of the areas only, with an edge buffer (default: all).",
    )
    hierarchy: dict[Tier, TierSource] = Field(
        default_factory=dict, description="How each small area gets its authority codes."
    )
    authorities: AuthoritiesConfig | None = None
    industries: IndustriesConfig = Field(default_factory=IndustriesConfig)
    concentration: ConcentrationConfig = Field(default_factory=ConcentrationConfig)
    hotspots: HotspotsConfig = Field(default_factory=HotspotsConfig)
    clusters: ClustersConfig = Field(default_factory=ClustersConfig)
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)
    surface: SurfaceConfig | None = Field(
        default=None, description="The employment grid stage (off unless this section is given)."
    )
    compute: ComputeConfig = Field(
        default_factory=ComputeConfig,
        description="Where hot spots and the employment grid run (in process or on Dask).",
    )
    config_path: Path | None = Field(default=None, exclude=True)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not value or any(ch in value for ch in "/\\:"):
            raise ValueError("must be a non-empty name without path separators")
        return value

    @model_validator(mode="after")
    def _check_study_area(self) -> RunConfig:
        if self.study_area is not None and self.study_area.tier not in self.hierarchy:
            raise ValueError(
                f"study_area.tier is '{self.study_area.tier}' but 'hierarchy' does not say "
                "where that tier comes from"
            )
        return self

    @model_validator(mode="after")
    def _check_overlay(self) -> RunConfig:
        overlay = [t for t, s in self.hierarchy.items() if s.source == "overlay"]
        if overlay:
            if self.authorities is None:
                raise ValueError(
                    f"hierarchy tiers {', '.join(overlay)} use source 'overlay' but no "
                    "'authorities' section gives their polygons"
                )
            missing = [t for t in overlay if t not in self.authorities.layers]
            if missing:
                raise ValueError(
                    f"hierarchy tiers {', '.join(missing)} use 'overlay' but "
                    "authorities.layers has no layer for them"
                )
        return self

    def input_paths(self) -> dict[str, Path]:
        """Every input file the run reads, by role, resolved."""
        paths = {
            "areas": self.data_path(self.areas.path),
            "employment": self.data_path(self.employment.path),
        }
        if self.authorities is not None:
            paths["authorities"] = self.data_path(self.authorities.path)
        for tier, source in self.hierarchy.items():
            if source.source == "lookup" and source.path is not None:
                paths[f"lookup_{tier}"] = self.data_path(source.path)
        if self.concentration.national_totals_path is not None:
            paths["national_totals"] = self.data_path(self.concentration.national_totals_path)
        if self.industries.cluster_definitions != "default":
            paths["cluster_definitions"] = self.local_path(self.industries.cluster_definitions)
        if self.governance.sites not in ("default", "none"):
            paths["sites"] = self.data_path(Path(self.governance.sites))
        if self.surface is not None and self.surface.osm is not None:
            paths["osm"] = self.data_path(self.surface.osm)
        return paths


class PanelConfig(_Located, _Strict):
    """A national panel: hot spots for every area x industry x year of a long Parquet table."""

    name: str = Field(description="Panel name; used in titles and logs.")
    description: str = Field(default="", description="One line on what the panel is for.")
    synthetic: bool = Field(default=False, description="True when the employment is synthetic.")
    data_dir: Path | None = Field(
        default=None,
        description=(
            "Folder that relative input paths start from (relative to this file). The "
            f"{DATA_DIR_ENV} environment variable overrides it."
        ),
    )
    output_dir: Path = Field(description="Folder for the panel's outputs.")
    areas: AreasConfig
    employment: Path = Field(
        description=(
            "Parquet file, or folder of Parquet files (a dataset, e.g. employment/year=2021/"
            "*.parquet), with columns area_code, industry_code, year and employment (counts; "
            "null where suppressed). Read a year at a time, only these columns."
        )
    )
    years: list[int] | None = Field(
        default=None, description="Years to analyse (default: every year in the table)."
    )
    hotspots: HotspotsConfig = Field(default_factory=HotspotsConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    config_path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _per_industry_correction(self) -> PanelConfig:
        if self.hotspots.correction_scope != "industry":
            raise ValueError(
                "hotspots.correction_scope must be 'industry' in a panel: each year x industry "
                "is corrected as its own family, so tasks never wait for each other"
            )
        return self

    def input_paths(self) -> dict[str, Path]:
        """Every input the panel reads, by role, resolved."""
        return {
            "areas": self.data_path(self.areas.path),
            "employment": self.data_path(self.employment),
        }


def _format_validation_error(error: ValidationError, source: Path) -> str:
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"  - unknown key '{location}': remove it or check its spelling")
        elif item["type"] == "missing":
            lines.append(f"  - missing required key '{location}'")
        else:
            given = item.get("input")
            shown = f" (got {given!r})" if not isinstance(given, dict | list) else ""
            lines.append(f"  - '{location}': {item['msg']}{shown}")
    count = len(lines)
    return f"Config {source} has {count} problem{'s' if count > 1 else ''}:\n" + "\n".join(lines)


def load_config(path: Path | str) -> RunConfig:
    """Read and validate a run configuration (``pipelines/<name>.yaml``); see :func:`_load`."""
    return _load(path, RunConfig)


def load_panel_config(path: Path | str) -> PanelConfig:
    """Read and validate a panel configuration; see :func:`_load`."""
    return _load(path, PanelConfig)


_Model = TypeVar("_Model", RunConfig, PanelConfig)


def _load(path: Path | str, model: type[_Model]) -> _Model:
    """Read and validate a configuration file as ``model``.

    Parameters
    ----------
    path
        A YAML file, usually ``pipelines/<name>.yaml``.

    Returns
    -------
    RunConfig or PanelConfig
        The validated configuration, remembering its own path for resolving relative paths.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or fails validation; the message names every
        offending key.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"Config file {path} does not exist.")
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"Config {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"Config {path} must be a mapping of keys to values at the top level.")
    panel_shaped = isinstance(raw.get("employment"), str)
    if model is RunConfig and panel_shaped:
        raise ConfigError(
            f"Config {path} is a panel config (its 'employment' is a Parquet table): run it "
            "with `clustergeo panel`."
        )
    if model is PanelConfig and isinstance(raw.get("employment"), dict):
        raise ConfigError(
            f"Config {path} is a pipeline config (its 'employment' is a section): run it with "
            "`clustergeo run`."
        )
    if "config_path" in raw:
        raise ConfigError(
            f"Config {path} has 1 problem:\n  - unknown key 'config_path': remove it (the "
            "config's own location is known)"
        )
    try:
        config = model.model_validate({**raw, "config_path": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, path)) from None
    return config
