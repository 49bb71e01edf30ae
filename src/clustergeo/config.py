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
* every other relative path (``output_dir``, ``industries.cluster_definitions``,
  ``circular.matrix``) is relative to the config file's folder.

Unknown keys are rejected with their name, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import glob
import os
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from clustergeo._errors import ConfigError
from clustergeo._validate import file_name_problem
from clustergeo._yaml import KeyPath, YamlSyntaxError, read_yaml
from clustergeo.vocab import SIGNIFICANCE_LEVELS, Tier

#: Corrected p-values that bound the Gi* classes (``hot_99``, ``hot_95``): the levels a
#: cluster's membership may use.
_HOT_SPOT_LEVELS = tuple(threshold for threshold, _label in SIGNIFICANCE_LEVELS)

__all__ = [
    "DATA_DIR_ENV",
    "AreasConfig",
    "AuthoritiesConfig",
    "AuthorityLayer",
    "CircularConfig",
    "ClustersConfig",
    "ColumnsConfig",
    "ComputeConfig",
    "ConcentrationConfig",
    "ConcentrationsConfig",
    "EmergingConfig",
    "EmploymentConfig",
    "GovernanceConfig",
    "GrowthConfig",
    "HotspotsConfig",
    "IndustriesConfig",
    "PanelConfig",
    "RegionConfig",
    "RunConfig",
    "ShiftShareConfig",
    "StudyAreaConfig",
    "SurfaceConfig",
    "TierSource",
    "VintageConfig",
    "WeightsConfig",
    "load_config",
    "load_panel_config",
]

DATA_DIR_ENV = "CLUSTERGEO_DATA_DIR"


class _Strict(BaseModel):
    """Unknown keys are refused; numbers and yes/no values use pydantic's strict types.

    Pydantic's lax mode would read ``permutations: yes`` as 1 and ``min_lq: true`` as 1.0 (YAML
    reads ``yes`` as true), hiding the mistake; strict types refuse both. A whole number is
    still a valid real number (``min_lq: 2``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class AreasConfig(_Strict):
    """The small areas (MSOAs, LSOAs, output areas...) that employment is counted in."""

    path: Path = Field(description="Boundary file: GeoJSON, GeoPackage, Shapefile or TopoJSON.")
    layer: str | None = Field(
        default=None, description="Layer name, for GeoPackage or TopoJSON files with several."
    )
    code_column: str = Field(description="Column holding the area code, e.g. MSOA11CD.")
    name_column: str | None = Field(
        default=None,
        description=(
            "Column holding the area name. Without it, areas take the employment table's "
            "names (when it has them), else their codes."
        ),
    )
    crs: str | None = Field(
        default=None,
        description=(
            "CRS to assume when the file declares none (e.g. 'EPSG:4326' for ONS TopoJSON). "
            "A file that declares a different CRS is an error."
        ),
    )
    year: StrictInt | None = Field(
        default=None,
        description=(
            "Keep the areas valid in this year, using the 'start'/'end' attributes of ONS "
            "multi-year files (e.g. 2023 picks the 2023 districts from ONS's UK TopoJSON, to "
            "match a table published on 2023 boundaries). Default: every feature."
        ),
    )


class ColumnsConfig(_Strict):
    """Which columns of a ``long`` or ``wide_years`` table hold what."""

    area: str = Field(description="The area code column (e.g. 'geo_cd', 'LAD_code').")
    industry: str = Field(
        description=(
            "The industry column: SIC codes at any level, read as text so leading zeros stay "
            "('0161'), or ONS groupings ('CA-CB (10-15)', '49-51'). A 'Total' row is taken as "
            "the area's published total."
        )
    )
    value: str | None = Field(
        default=None, description="long: the value column (e.g. 'value', 'OBS_VALUE')."
    )
    year: str | None = Field(
        default=None,
        description="long: the year column ('2021', '2021-01-01'); none for a one-year table.",
    )
    area_name: str | None = Field(default=None, description="The area name column.")
    industry_name: str | None = Field(default=None, description="The industry name column.")


class VintageConfig(_Strict):
    """Convert the employment table's area codes to the boundaries' vintage with a lookup."""

    lookup: Path = Field(
        description=(
            "A CSV pairing old and new codes, e.g. ONS 'MSOA (2011) to MSOA (2021)' "
            "(MSOA11CD, MSOA21CD) or the LAD changes list (oldcd, newcd)."
        )
    )
    from_column: str = Field(description="The column of the older codes (e.g. MSOA11CD).")
    to_column: str = Field(description="The column of the newer codes (e.g. MSOA21CD).")
    where: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Keep only lookup rows with these values, e.g. {type: [merger, new_code]} for the "
            "ONS LAD changes list."
        ),
    )
    split: Literal["area", "refuse"] = Field(
        default="area",
        description=(
            "An area split between several areas of the other vintage: 'area' shares its "
            "counts in proportion to the areas of the pieces (from the boundary file); "
            "'refuse' stops the run."
        ),
    )


class EmploymentConfig(_Strict):
    """Employment counts (or GVA) by area and industry, in the layouts people download."""

    path: Path | list[Path] = Field(
        description=(
            "The employment table: CSV (may be gzip-compressed), Parquet or xlsx. Several files "
            "(one per year, say) as a list or a pattern such as 'nomis_BRES_*_TYPE450.csv.gz'."
        )
    )
    format: Literal["auto", "nomis_bres", "nomis_census_wide", "tidy", "long", "wide_years"] = (
        Field(
            default="auto",
            description=(
                "'nomis_bres': Nomis long CSV (DATE, GEOGRAPHY_CODE, INDUSTRY_CODE, OBS_VALUE, "
                "OBS_STATUS...); 'nomis_census_wide': Nomis census table, one row per area and "
                "one column per industry, area as 'CODE : NAME'; 'tidy': area_code, "
                "industry_code, employment (and year); 'long': any table with one row per "
                "area x industry (x year), described by 'columns'; 'wide_years': one column "
                "per year, described by 'columns'; 'auto' detects the first three."
            ),
        )
    )
    columns: ColumnsConfig | None = Field(
        default=None, description="For 'long' and 'wide_years': which column holds what."
    )
    filter: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description=(
            "For 'long' and 'wide_years': keep only rows with these values, e.g. "
            "{variable.name: 'GVA Current Prices £m'} for a table stacking several measures."
        ),
    )
    measure: (
        Literal[
            "employment",
            "employees",
            "full_time_employees",
            "part_time_employees",
            "gva_current_prices",
            "gva_chained_volume",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "What the values are: 'employment' (employees and working owners, BRES), "
            "'employees', 'full_time_employees', 'part_time_employees', 'gva_current_prices' "
            "or 'gva_chained_volume' (in £ million, ONS's unit for GVA). Counts must be whole "
            "and not negative; GVA may be "
            "fractional or negative. Stated in the ingest report; a Nomis file with one "
            "EMPLOYMENT_STATUS_NAME states it itself."
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
        description=(
            "The year the single-year stages (hot spots, clusters, governance, the grid and "
            "the maps) analyse, when the table holds several (e.g. '2021'): a Nomis DATE, a "
            "value of the year column, or a year column's header. Default: the last year. "
            "Location quotients are written for every year."
        ),
    )
    year: Annotated[StrictInt, Field(ge=1800, le=2200)] | None = Field(
        default=None,
        description=(
            "The year of a table that has no year column (e.g. 2011 for a Census 2011 table), "
            "so its rows carry one."
        ),
    )
    employment_status: str | None = Field(
        default=None,
        description=(
            "For Nomis BRES files with several employment statuses: the EMPLOYMENT_STATUS_NAME "
            "to use (e.g. 'Employment' or 'Employees')."
        ),
    )
    number_format: Literal["auto", "uk", "european"] = Field(
        default="auto",
        description=(
            "'uk' (1,250.5), 'european' (1.250,5) or 'auto': UK in comma-separated files; in "
            "';' or tab-separated files decided from the values, stopping when they are "
            "ambiguous (5.400)."
        ),
    )
    mixed_levels: Literal["refuse", "finest", "sections"] = Field(
        default="refuse",
        description=(
            "A table whose industry rows nest (sections and their divisions; ONS GVA tables): "
            "'refuse' stops; 'finest' keeps the most detailed rows; 'sections' keeps whole "
            "sections. Nothing is ever summed twice."
        ),
    )
    sic_digits: Annotated[StrictInt, Field(ge=2, le=5)] | None = Field(
        default=None,
        description=(
            "Pad numeric industry codes with leading zeros to this many digits, for files "
            "whose zeros a spreadsheet dropped ('161' for '0161')."
        ),
    )
    sheet: str | None = Field(default=None, description="xlsx: the sheet holding the table.")
    header_row: Annotated[StrictInt, Field(ge=1)] = Field(
        default=1, description="The line (row) of the header, below any title lines."
    )
    vintage: VintageConfig | None = Field(
        default=None,
        description=(
            "Convert the table's area codes (e.g. 2011 MSOAs) to the boundaries' vintage "
            "(2021) with an ONS lookup."
        ),
    )
    description: str | None = Field(
        default=None, description="What the table is, for reports (e.g. 'Census 2011 WP605EW')."
    )

    @model_validator(mode="after")
    def _check_layout(self) -> EmploymentConfig:
        mapped = self.format in ("long", "wide_years")
        if mapped and self.columns is None:
            raise ValueError(f"format '{self.format}' needs 'columns' (area, industry, ...)")
        if not mapped:
            given = [k for k in ("columns", "filter", "sheet") if getattr(self, k)]
            if given:
                raise ValueError(
                    f"{', '.join(given)} apply to formats 'long' and 'wide_years', not "
                    f"'{self.format}'"
                )
        if self.columns is not None:
            if self.format == "long" and not self.columns.value:
                raise ValueError("format 'long' needs columns.value")
            if self.format == "wide_years" and (self.columns.value or self.columns.year):
                raise ValueError(
                    "format 'wide_years' takes its years and values from the year columns: "
                    "remove columns.value and columns.year"
                )
            if self.year is not None and self.columns.year:
                raise ValueError(
                    "'year' labels a table without a year column, but columns.year names one: "
                    "choose the year to use with 'date'"
                )
        return self


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
    year: StrictInt | None = Field(
        default=None,
        description=(
            "Keep authorities valid in this year, using the 'start'/'end' attributes of ONS "
            "multi-year files (e.g. 2025 includes the East Midlands CCA)."
        ),
    )
    layers: dict[Tier, AuthorityLayer] = Field(description="Layer per tier.")
    names: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Names for authority codes, over the file's: for a file that keeps an authority's "
            "old name under its code (ONS's TopoJSON names E47000002 'Sheffield City Region', "
            "South Yorkshire's since 2021)."
        ),
    )


class IndustriesConfig(_Strict):
    """Industry classification and cluster definitions."""

    cluster_definitions: str = Field(
        default="default",
        description=(
            "Cluster definitions (name -> SIC codes at any level): the name of a shipped set "
            "('default': the Midlands report's sectors; 'sections': SIC sections, for data "
            "published by section only), or a YAML file relative to the config file."
        ),
    )
    warn_missing_share: Annotated[StrictFloat, Field(ge=0, le=1)] = Field(
        default=0.1,
        description=(
            "A cluster definition is computed from the codes the data has; when more than "
            "this share of its codes is missing from the data, the run warns (the missing "
            "codes are always listed in the ingest report)."
        ),
    )

    @field_validator("cluster_definitions")
    @classmethod
    def _known_set(cls, value: str) -> str:
        from clustergeo.industries import shipped_definition_sets

        looks_like_file = "/" in value or value.endswith((".yaml", ".yml"))
        if not looks_like_file and value not in shipped_definition_sets():
            raise ValueError(
                f"is neither a shipped set ({', '.join(shipped_definition_sets())}) nor a "
                "YAML file (a path ending in .yaml)"
            )
        return value

    @property
    def shipped(self) -> bool:
        """Whether the definitions are a set shipped with clustergeo rather than a file."""
        return "/" not in self.cluster_definitions and not self.cluster_definitions.endswith(
            (".yaml", ".yml")
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
    min_area_employment: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=100,
        description="Areas employing fewer people in total get LQs flagged unreliable.",
    )
    min_cell_employment: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=5,
        description="Area x industry counts below this get LQs flagged unreliable.",
    )
    confidence_level: Annotated[StrictFloat, Field(gt=0, lt=1)] = Field(
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
    tolerance_m: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=1.0, description="Snapping tolerance of 'contiguity', in metres."
    )
    k: Annotated[StrictInt, Field(ge=1)] = Field(
        default=6,
        description=(
            "Neighbours for 'knn' and 'kernel'; a kernel without 'bandwidth_m' is adaptive: "
            "each area's bandwidth is the distance to its k-th nearest area."
        ),
    )
    threshold_m: Annotated[StrictFloat, Field(gt=0)] | None = Field(
        default=None, description="Distance of 'distance_band', in metres."
    )
    bandwidth_m: Annotated[StrictFloat, Field(gt=0)] | None = Field(
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
    island_neighbours: Annotated[StrictInt, Field(ge=1)] = Field(
        default=1, description="How many nearest areas an island is attached to."
    )

    @model_validator(mode="after")
    def _check_method(self) -> WeightsConfig:
        if self.method == "distance_band" and self.threshold_m is None:
            raise ValueError("method 'distance_band' needs 'threshold_m'")
        return self


#: The most permutations a config may ask for: each is a draw of up to the largest
#: neighbourhood's areas, kept in memory (ten million draws of 20 areas take 1.6 GB).
MOST_PERMUTATIONS: Final = 9_999_999


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
    permutations: Annotated[StrictInt, Field(ge=0, le=MOST_PERMUTATIONS)] = Field(
        default=9999,
        description=(
            "Conditional permutations per area (0 = none), at least. The smallest pseudo "
            "p-value is 1/(permutations + 1), or 2/(permutations + 1) two-sided; where the "
            "correction over the run's areas needs more for one area beyond every permutation "
            "to pass it, the run raises them, up to max_permutations."
        ),
    )
    max_permutations: Annotated[StrictInt, Field(ge=0, le=MOST_PERMUTATIONS)] = Field(
        default=99_999,
        description=(
            "The most permutations a run raises 'permutations' to so that an area beyond "
            "every permutation can pass the correction: c x tests / 0.05 (c = 2 two-sided, "
            "else 1; tests = an industry's areas with a value, or every such area x industry "
            "with correction_scope 'all'), rounded up to 19,999, 49,999, 99,999, .... A run "
            "needing more keeps 'permutations' and logs it (and warns where an area is held "
            "back); 0 runs exactly 'permutations'."
        ),
    )
    seed: Annotated[StrictInt, Field(ge=0, lt=2**63)] = Field(
        default=20111, description="Seed of the permutation draws (a non-negative integer)."
    )
    correction: Literal["fdr_bh", "bonferroni", "none"] = Field(
        default="fdr_bh", description="Multiple-testing correction of the classifying p-values."
    )
    correction_scope: Literal["industry", "all"] = Field(
        default="industry",
        description="Correct across areas within each industry, or across all areas x industries.",
    )
    global_permutations: Annotated[StrictInt, Field(ge=0)] = Field(
        default=999,
        description=(
            "Random permutations for the global Moran's I and General G of each industry "
            "(0 = analytic p-values only). One test per industry needs no FDR-grade "
            "resolution: 999 gives p-values down to 0.001."
        ),
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


class EmergingConfig(_Strict):
    """Emerging hot spots: Gi* every year, a trend test on each area's z, 17 categories.

    See :mod:`clustergeo.hotspots.emerging` for the method and the rule of each category.
    """

    time_lag: StrictBool = Field(
        default=False,
        description=(
            "Count each area's neighbours (and the area itself) in the previous year as "
            "neighbours too: a space-time neighbourhood of one year, as ArcGIS's space-time "
            "cube with a neighbourhood time step of 1."
        ),
    )
    alpha: Annotated[StrictFloat, Field(gt=0, lt=1)] = Field(
        default=0.05,
        description=(
            "Significance of a year's hot or cold spot (on the corrected Gi* p-value) and of "
            "the Mann-Kendall trend."
        ),
    )


class ConcentrationsConfig(_Strict):
    """Single places specialised in an industry that Gi* cannot see.

    See :mod:`clustergeo.clusters.concentrations` for the rule and its statistics.
    """

    enabled: StrictBool = Field(
        default=True, description="Report concentrations beside clusters (both kinds of finding)."
    )
    min_lq: Annotated[StrictFloat, Field(gt=0)] = Field(
        default=3.0,
        description=(
            "An area's LQ must lie significantly above this (one-sided test on the log LQ, "
            "false-discovery controlled within each industry)."
        ),
    )
    significance: Annotated[StrictFloat, Field(gt=0, lt=1)] = Field(
        default=0.05, description="Largest corrected p-value of the LQ test."
    )
    min_employment: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=1000,
        description="A concentration employs at least this many people in its industry.",
    )
    min_employment_share: Annotated[StrictFloat, Field(ge=0, lt=1)] = Field(
        default=0.004,
        description=(
            "... and at least this share of the industry's employment in the study area "
            "(0.004: one job in 250), so small industries are held to a floor of their size."
        ),
    )


class ClustersConfig(_Strict):
    """How significant areas become findings: clusters and concentrations (stage ``clusters``)."""

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
            "Which areas are significant: 'gi_star' (a Gi* hot spot after the multiple-testing "
            "correction), 'moran_hh' (a significant Local Moran high-high area), or 'lq' (an "
            "LQ whose confidence interval lies above 1). Neighbouring significant areas form a "
            "cluster's extent; those whose own LQ is at least min_lq its core."
        ),
    )
    significance: StrictFloat = Field(
        default=0.05,
        description=(
            "Largest corrected p-value of a significant area: 0.05 takes the Gi* classes "
            "hot_95 and hot_99, 0.01 hot_99 only. Only class boundaries are allowed, so the "
            "areas a user counts as hot are the areas clusters are built from."
        ),
    )
    min_lq: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=1.25,
        description=(
            "Smallest LQ of a core area. Gi* is a neighbourhood statistic: an unspecialised "
            "area next to a strong cluster is often a significant hot spot too; it joins the "
            "cluster's extent, not its core."
        ),
    )
    min_units: Annotated[StrictInt, Field(ge=1)] = Field(
        default=1, description="Smallest number of areas in a cluster's core."
    )
    min_employment: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=100,
        description=(
            "Smallest employment of a cluster's core in its industry; smaller ones are dropped."
        ),
    )
    include_non_traded: StrictBool = Field(
        default=False,
        description=(
            "Report findings of local-serving (non-traded) industries such as construction "
            "and retail too. They are left out by default: a concentration of builders "
            "follows where people live, it is not an industrial cluster."
        ),
    )
    star_share: Annotated[StrictFloat, Field(gt=0, le=1)] = Field(
        default=0.1,
        description=(
            "A finding gets a star for size, specialisation or focus when it is in this top "
            "share of the run's findings on that dimension (0.1: the top decile, as the "
            "European Cluster Observatory)."
        ),
    )
    concentrations: ConcentrationsConfig = Field(default_factory=ConcentrationsConfig)

    @field_validator("significance")
    @classmethod
    def _class_boundary(cls, value: float) -> float:
        if value not in _HOT_SPOT_LEVELS:
            levels = " or ".join(f"{level:g}" for level in _HOT_SPOT_LEVELS)
            raise ValueError(
                f"must be {levels}, a boundary of the hot-spot classes, so that cluster "
                f"members and the areas classed hot are the same (got {value:g})"
            )
        return value


class GovernanceConfig(_Strict):
    """Who governs each cluster and anchor site (stage ``governance``)."""

    sites: str = Field(
        default="default",
        description=(
            "Anchor-site registry (YAML): 'default' for the shipped Midlands sites, 'none', "
            "or a path in the data directory (like the other inputs)."
        ),
    )
    edge_distance_km: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=1.0,
        description=(
            "A cluster within this distance of an authority it does not reach is marked "
            "'edge' and the authority is named."
        ),
    )
    site_near_km: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=5.0,
        description="Clusters within this distance of a site's footprint are listed as near it.",
    )
    min_area_share: Annotated[StrictFloat, Field(ge=0, lt=0.5)] = Field(
        default=0.005,
        description=(
            "Pieces of a site's footprint smaller than this share of it are not counted as "
            "touching an authority: generalised boundaries leave slivers."
        ),
    )
    straddle_share: Annotated[StrictFloat, Field(ge=0, lt=0.5)] = Field(
        default=0.05,
        description=(
            "A cluster or footprint straddles a tier only when more than this share of its "
            "employment (of its land, for a footprint over areas without employment or over "
            "whole districts) lies outside its lead authority of that tier; smaller spills are "
            "listed as touches, unless a finding's piece is as large as one place must hold to "
            "be a concentration (clusters.concentrations.min_employment)."
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
    osm_online: StrictBool = Field(
        default=False,
        description=(
            "Without a local extract, fetch the land from the Overpass API through osmnx "
            "(needs the internet once) and cache it in the data directory as "
            "osm_employment_land_<run name>.parquet; later runs read the cache."
        ),
    )
    cell_m: Annotated[StrictFloat, Field(gt=0)] = Field(
        default=1000.0, description="Grid cell size in metres (British National Grid)."
    )
    kind_weights: dict[str, Annotated[StrictFloat, Field(ge=0)]] = Field(
        default_factory=lambda: {
            "industrial": 1.0,
            "works": 1.0,
            "commercial": 1.0,
            "retail": 0.5,
        },
        description="Relative employment density of each kind of land (per square metre).",
    )
    kernel_bandwidth_m: Annotated[StrictFloat, Field(gt=0)] | None = Field(
        default=None,
        description="If set, also write a Gaussian kernel-density surface with this bandwidth.",
    )
    min_employment: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=500.0,
        description=(
            "Grid clusters employing fewer than this are dropped. Without OSM land, each area's "
            "LQ repeats over its cells, so small grid clusters often echo one noisy area."
        ),
    )

    stable_iou: Annotated[StrictFloat, Field(gt=0, le=1)] = Field(
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


class CircularConfig(_Strict):
    """Circular economy: producers and users of each material stream (stage ``circular``)."""

    matrix: str = Field(
        default="default",
        description=(
            "The producer -> user matrix of material streams: a shipped one ('default': ten "
            "streams at class level, for BRES-like data; 'sections': section-level streams, "
            "for Census workplace tables), or a YAML file relative to the config file."
        ),
    )
    streams: list[str] | None = Field(
        default=None,
        description="Run only these streams of the matrix (default: every stream the data allow).",
    )
    distance_km: Annotated[float, Field(ge=0)] = Field(
        default=10.0,
        description=(
            "A producer finding and a user finding whose cores lie within this distance are "
            "linked into a symbiosis zone; a producer finding with no user finding within it "
            "(and no co-located areas linking it to one) is a gap."
        ),
    )

    @field_validator("matrix")
    @classmethod
    def _known_matrix(cls, value: str) -> str:
        from clustergeo.circular.matrix import shipped_matrices

        looks_like_file = "/" in value or value.endswith((".yaml", ".yml"))
        if not looks_like_file and value not in shipped_matrices():
            raise ValueError(
                f"is neither a shipped matrix ({', '.join(shipped_matrices())}) nor a YAML "
                "file (a path ending in .yaml)"
            )
        return value

    @property
    def shipped(self) -> bool:
        """Whether the matrix is one shipped with clustergeo rather than a file."""
        return "/" not in self.matrix and not self.matrix.endswith((".yaml", ".yml"))


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
    workers: Annotated[StrictInt, Field(ge=1)] | None = Field(
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
    industries_per_task: Annotated[StrictInt, Field(ge=1)] = Field(
        default=64,
        description=(
            "Hot spots: industries (columns) per Dask task, and per Parquet part of a panel "
            "(in process too). Smaller tasks spread better over many workers and hold less "
            "memory; each costs a little scheduling and transfer."
        ),
    )

    @field_validator("memory_limit")
    @classmethod
    def _memory_in_bytes(cls, value: str) -> str:
        if value == "auto":
            return value
        from dask.utils import parse_bytes

        try:
            amount = parse_bytes(value) if value.strip() else 0
        except ValueError:
            amount = 0
        if amount <= 0:
            raise ValueError(
                f"memory_limit {value!r} is not an amount of memory: give one such as '8GiB' "
                "or '4 GB', or 'auto'"
            )
        return value

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value in ("local", "dask-local") or value.startswith(SCHEDULER_SCHEMES):
            return value
        raise ValueError(
            "must be 'local', 'dask-local' or a Dask scheduler address such as 'tcp://host:8786'"
        )

    @property
    def distributed(self) -> bool:
        """True when the work goes to Dask workers."""
        return self.backend != "local"


class RegionConfig(_Strict):
    """A region as the reference of a shift-share: some areas of the table, or authorities."""

    codes: list[str] = Field(
        min_length=1,
        description=(
            "Codes making up the region: area codes of the employment table (e.g. the six "
            "Midlands ITL2 areas), or authority codes of 'tier'."
        ),
    )
    tier: Tier | None = Field(
        default=None,
        description=(
            "The tier the codes belong to (e.g. 'region' with E12000005 for the West "
            "Midlands); needs boundaries with that tier. None: the codes are area codes."
        ),
    )


class ShiftShareConfig(_Strict):
    """The shift-share decomposition of each area's change (stage ``growth``)."""

    reference: Literal["table", "region", "national_totals"] = Field(
        default="table",
        description=(
            "The economy whose growth rates the change is measured against: 'table' (every "
            "area of the employment table; a national table is the nation), 'region' (the "
            "areas of 'region'), or 'national_totals' (a CSV of industry_code, year and "
            "value per industry and year)."
        ),
    )
    region: RegionConfig | None = Field(
        default=None, description="For reference 'region': which areas make up the region."
    )
    national_totals_path: Path | None = Field(
        default=None,
        description=(
            "For reference 'national_totals': a CSV (in the data dir) with columns "
            "industry_code, year and value (or employment), every industry of the table in the "
            "base and end years."
        ),
    )
    method: Literal["classic", "esteban_marquillas"] = Field(
        default="classic",
        description=(
            "'classic': national growth, industry mix and competitive share (Dunn 1960); "
            "'esteban_marquillas': the competitive share split further into a homothetic "
            "competitive effect and an allocation effect (Esteban-Marquillas 1972)."
        ),
    )

    @model_validator(mode="after")
    def _check_reference(self) -> ShiftShareConfig:
        if self.reference == "region" and self.region is None:
            raise ValueError("reference 'region' needs 'region' (codes, and their tier)")
        if self.reference == "national_totals" and self.national_totals_path is None:
            raise ValueError("reference 'national_totals' needs 'national_totals_path'")
        return self


class GrowthConfig(_Strict):
    """Change over time (stage ``growth``): growth, change in LQ and shift-share."""

    base_year: Annotated[int, Field(ge=1800, le=2200)] | None = Field(
        default=None, description="The first year compared (default: the table's first year)."
    )
    end_year: Annotated[int, Field(ge=1800, le=2200)] | None = Field(
        default=None, description="The last year compared (default: the table's last year)."
    )
    shift_share: ShiftShareConfig = Field(default_factory=ShiftShareConfig)
    emerging: EmergingConfig | None = Field(
        default=None,
        description=(
            "Emerging hot spots over every year of the table (at least three): Gi* of each "
            "year on the run's weights and variable, a Mann-Kendall trend and ArcGIS's 17 "
            "categories per area x industry, and the rising hot spots grouped into emerging "
            "clusters with the authorities they span. Needs boundaries; leave out to skip."
        ),
    )

    @model_validator(mode="after")
    def _check_years(self) -> GrowthConfig:
        if (
            self.base_year is not None
            and self.end_year is not None
            and self.base_year >= self.end_year
        ):
            raise ValueError(
                f"base_year {self.base_year} is not before end_year {self.end_year}: growth "
                "runs from an earlier year to a later one"
            )
        return self


class StudyAreaConfig(_Strict):
    """The part of the areas file results are reported for, and its edge buffer."""

    tier: Tier = Field(description="Tier whose codes define the study area, e.g. 'county'.")
    codes: list[str] = Field(min_length=1, description="Authority codes making up the study area.")
    buffer_km: Annotated[StrictFloat, Field(ge=0)] = Field(
        default=10.0,
        description=(
            "Areas of the input within this distance of the study area are kept as an edge "
            "buffer: they are neighbours in the hot-spot statistics, so areas on the study "
            "area's edge are not judged on half a neighbourhood, but get no results themselves."
        ),
    )


#: Inputs that are the project's own files (:meth:`_Located.local_path`), not downloaded
#: data: relative paths start from the config's folder.
_PROJECT_ROLES: Final = frozenset({"cluster_definitions", "circular_matrix"})


class _Located:
    """Path resolution for configs with a file, a data directory and an output folder.

    The one place relative paths are interpreted (see the module docstring).
    """

    if TYPE_CHECKING:  # fields and methods of the models using it (declared there)
        config_path: Path | None
        data_dir: Path | None
        output_dir: Path

        def input_paths(self, roles: Iterable[str] | None = None) -> dict[str, Path]: ...

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
            return (self.base_dir / self.data_dir.expanduser()).resolve()
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

    #: Inputs that may be a folder (a panel's Parquet dataset); every other input is a file.
    folder_roles: ClassVar[tuple[str, ...]] = ()

    def check_inputs_exist(self) -> None:
        """Raise one :class:`ConfigError` naming every missing input, or inputs that are folders.

        A folder where a file is expected would otherwise fail later with a system error.
        """
        missing = {role: p for role, p in self.input_paths().items() if not p.exists()}
        folders = {
            role: p
            for role, p in self.input_paths().items()
            if p.is_dir() and role not in self.folder_roles
        }
        if folders:
            lines = "\n".join(f"  - {role}: {path}" for role, path in folders.items())
            raise ConfigError(
                f"{len(folders)} input{'s' if len(folders) > 1 else ''} named in "
                f"{self.config_path or 'the config'} "
                f"{'are folders' if len(folders) > 1 else 'is a folder'}, not files:\n{lines}\n"
                "Name the file itself (for example the .csv inside the folder)."
            )
        if not missing:
            return
        lines = "\n".join(f"  - {role}: {path}" for role, path in missing.items())
        raise ConfigError(
            f"{len(missing)} input file{'s' if len(missing) > 1 else ''} named in "
            f"{self.config_path or 'the config'} do not exist:\n{lines}\n"
            + self._where_inputs_start(missing)
            + "Fix the paths or download the files."
        )

    def _where_inputs_start(self, missing: Mapping[str, Path]) -> str:
        """Where the missing inputs were looked for: the data directory or the config's folder."""
        where = self.resolved_data_dir
        origin = (
            f"set by the {DATA_DIR_ENV} environment variable"
            if os.environ.get(DATA_DIR_ENV)
            else "set by 'data_dir' in the config"
            if self.data_dir is not None
            else f"the config's folder, as no 'data_dir' or {DATA_DIR_ENV} is set"
        )
        state = (
            ""
            if where.is_dir()
            else ", which is a file, not a folder"
            if where.exists()
            else ", which does not exist"
        )
        hints = []
        if any(role not in _PROJECT_ROLES for role in missing):
            hints.append(
                f"Relative input paths start from the data directory {where} ({origin}){state}."
            )
        project = [role for role in missing if role in _PROJECT_ROLES]
        if project and self.config_path is not None:
            hints.append(
                f"Project files ({', '.join(project)}) start from the config's folder "
                f"{self.base_dir}."
            )
        return "".join(f"{hint}\n" for hint in hints)


class RunConfig(_Located, _Strict):
    """Everything one run needs, validated before any stage starts."""

    name: str = Field(description="Run name; used in output file names and titles.")
    description: str = Field(default="", description="One line on what the run is for.")
    synthetic: StrictBool = Field(
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
    areas: AreasConfig | None = Field(
        default=None,
        description=(
            "The boundaries of the areas. Without them (ITL regions, a national table of "
            "districts) the run computes LQs, growth and shift-share and writes its tables "
            "and report; the spatial stages say they do not apply. Added later, they re-run "
            "only the stages that use them."
        ),
    )
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
    growth: GrowthConfig | None = Field(
        default=None,
        description=(
            "Change over time between two years of the table (off unless this section is "
            "given): growth, CAGR, change in LQ, index series and shift-share."
        ),
    )
    compute: ComputeConfig = Field(
        default_factory=ComputeConfig,
        description="Where hot spots and the employment grid run (in process or on Dask).",
    )
    circular: CircularConfig | None = Field(
        default=None,
        description=(
            "Circular economy: material streams between industries, symbiosis zones, gaps "
            "and who must co-operate (off unless this section is given)."
        ),
    )
    config_path: Path | None = Field(default=None, exclude=True)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        problem = file_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _check_polygons(self) -> RunConfig:
        if self.areas is not None:
            return self
        spatial = [
            name
            for name, given in (
                ("hierarchy", bool(self.hierarchy)),
                ("authorities", self.authorities is not None),
                ("study_area", self.study_area is not None),
                ("surface", self.surface is not None),
            )
            if given
        ]
        if spatial:
            raise ValueError(
                f"{', '.join(spatial)} need{'s' if len(spatial) == 1 else ''} the areas' "
                "boundaries, but the config has no 'areas' section: add 'areas' (a boundary "
                f"file) or remove {', '.join(spatial)} (with 'null' in a config that extends "
                "another)"
            )
        return self

    @model_validator(mode="after")
    def _check_growth_region(self) -> RunConfig:
        region = None if self.growth is None else self.growth.shift_share.region
        if region is not None and region.tier is not None and region.tier not in self.hierarchy:
            raise ValueError(
                f"growth.shift_share.region.tier is '{region.tier}' but 'hierarchy' does not "
                "say where that tier comes from (a region of authorities needs boundaries and "
                "their tiers; give area codes without a tier instead)"
            )
        return self

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

    def employment_paths(self) -> list[Path]:
        """The employment files, resolved, with patterns such as ``*_2015.csv`` expanded.

        Matches are sorted; a pattern matching nothing is kept, so it is reported missing.
        """
        patterns = (
            self.employment.path
            if isinstance(self.employment.path, list)
            else [self.employment.path]
        )
        paths: list[Path] = []
        for pattern in patterns:
            full = self.data_path(pattern)
            if glob.has_magic(str(full)):
                # Path.glob cannot take a pattern in a folder name; glob.glob can.
                matches = sorted(glob.glob(str(full)))  # noqa: PTH207
                paths += [Path(match) for match in matches] or [full]
            else:
                paths.append(full)
        return paths

    def input_paths(self, roles: Iterable[str] | None = None) -> dict[str, Path]:
        """The input files the run reads, by role, resolved: all, or those of ``roles``.

        A role ending in ``*`` stands for every role it begins (``lookup_*``). Only the fields
        of the roles asked for are read, so a stage's reads of the config stay its own.
        Several employment files are ``employment``, ``employment_2``, ``employment_3``...
        """
        patterns = None if roles is None else tuple(roles)

        def wanted(role: str) -> bool:
            return patterns is None or any(
                role == p or (p.endswith("*") and role.startswith(p[:-1])) for p in patterns
            )

        # Each role's paths, computed only when the role is wanted.
        sources: list[tuple[str, Callable[[], dict[str, Path]]]] = [
            ("areas", lambda: self._one("areas", self.areas.path if self.areas else None)),
            ("employment", self._employment_roles),
            ("vintage_lookup", lambda: self._one("vintage_lookup", self._vintage_lookup())),
            (
                "authorities",
                lambda: self._one(
                    "authorities", self.authorities.path if self.authorities else None
                ),
            ),
            ("lookup_", self._lookup_roles),
            (
                "national_totals",
                lambda: self._one("national_totals", self.concentration.national_totals_path),
            ),
            ("growth_totals", lambda: self._one("growth_totals", self._growth_totals())),
            ("cluster_definitions", self._definitions_role),
            ("sites", self._sites_role),
            ("osm", lambda: self._one("osm", self.surface.osm if self.surface else None)),
            ("circular_matrix", self._circular_matrix_role),
        ]
        paths: dict[str, Path] = {}
        for role, found in sources:
            if wanted(role):
                paths |= found()
            if role == "vintage_lookup" and wanted("vintage_areas") and not wanted("areas"):
                # Split areas are shared by the areas of their pieces in the boundary file.
                areas = self.areas if self.employment.vintage is not None else None
                paths |= self._one("vintage_areas", areas.path if areas else None)
        return paths

    def _one(self, role: str, path: Path | None) -> dict[str, Path]:
        return {role: self.data_path(path)} if path else {}

    def _employment_roles(self) -> dict[str, Path]:
        return {
            "employment" if index == 1 else f"employment_{index}": path
            for index, path in enumerate(self.employment_paths(), start=1)
        }

    def _vintage_lookup(self) -> Path | None:
        return None if self.employment.vintage is None else self.employment.vintage.lookup

    def _lookup_roles(self) -> dict[str, Path]:
        return {
            f"lookup_{tier}": self.data_path(source.path)
            for tier, source in self.hierarchy.items()
            if source.source == "lookup" and source.path is not None
        }

    def _growth_totals(self) -> Path | None:
        return None if self.growth is None else self.growth.shift_share.national_totals_path

    def _definitions_role(self) -> dict[str, Path]:
        if self.industries.shipped:
            return {}
        return {"cluster_definitions": self.local_path(self.industries.cluster_definitions)}

    def _sites_role(self) -> dict[str, Path]:
        if self.governance.sites in ("default", "none"):
            return {}
        return {"sites": self.data_path(Path(self.governance.sites))}

    def _circular_matrix_role(self) -> dict[str, Path]:
        """The circular stage's matrix file of the user's own, if any (a shipped one is not)."""
        if self.circular is None or self.circular.shipped:
            return {}
        return {"circular_matrix": self.local_path(self.circular.matrix)}


class PanelConfig(_Located, _Strict):
    """A national panel: hot spots for every area x industry x year of a long Parquet table."""

    name: str = Field(description="Panel name; used in titles and logs.")
    description: str = Field(default="", description="One line on what the panel is for.")
    synthetic: StrictBool = Field(
        default=False, description="True when the employment is synthetic."
    )
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
    years: list[StrictInt] | None = Field(
        default=None, description="Years to analyse (default: every year in the table)."
    )
    hotspots: HotspotsConfig = Field(default_factory=HotspotsConfig)
    emerging: EmergingConfig | None = Field(
        default=None,
        description=(
            "Emerging hot spots over the panel's years (at least three): a category per area "
            "x industry, in emerging/part-*.parquet. Leave out to skip them."
        ),
    )
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    config_path: Path | None = Field(default=None, exclude=True)

    folder_roles: ClassVar[tuple[str, ...]] = ("employment",)

    @field_validator("years")
    @classmethod
    def _in_time_order(cls, years: list[int] | None) -> list[int] | None:
        # A trend runs forward in time whatever order the years are written in.
        return sorted(years) if years is not None else None

    @model_validator(mode="after")
    def _check_years(self) -> PanelConfig:
        if self.years is None:
            return self
        if not self.years:
            raise ValueError("'years' is empty; list the years to analyse, or leave it out")
        repeated = sorted({year for year in self.years if self.years.count(year) > 1})
        if repeated:
            raise ValueError(f"'years' repeats {', '.join(map(str, repeated))}; list each once")
        if self.emerging is not None and len(self.years) < 3:
            raise ValueError(
                f"emerging hot spots need at least 3 years for a trend; 'years' lists "
                f"{len(self.years)}"
            )
        return self

    @model_validator(mode="after")
    def _on_location_quotients(self) -> PanelConfig:
        if "variable" in self.hotspots.model_fields_set and self.hotspots.variable != "lq":
            raise ValueError(
                f"hotspots.variable {self.hotspots.variable!r} does not apply to a panel: its hot "
                "spots are always of the location quotients; leave the key out"
            )
        return self

    @model_validator(mode="after")
    def _per_industry_correction(self) -> PanelConfig:
        if self.hotspots.correction_scope != "industry":
            raise ValueError(
                "hotspots.correction_scope must be 'industry' in a panel: each year x industry "
                "is corrected as its own family, so tasks never wait for each other"
            )
        return self

    def input_paths(self, roles: Iterable[str] | None = None) -> dict[str, Path]:
        """Every input the panel reads, by role, resolved (``roles`` to choose some)."""
        paths = {
            "areas": self.data_path(self.areas.path),
            "employment": self.data_path(self.employment),
        }
        return {k: v for k, v in paths.items() if roles is None or k in set(roles)}


#: Where each key of a config was written: the file (a config may extend another) and line.
_KeyLines = dict[KeyPath, tuple[Path, int]]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The config model a field holds (itself, optional, or the values of a list or mapping)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _spelling_hint(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """``" (did you mean 'base_year'?)"`` for an unknown key close to a key of its section."""
    section: type[BaseModel] | None = model
    for part in loc[:-1]:
        if section is None:
            return ""
        # A list's index or a mapping's key stays in the model of its values.
        if isinstance(part, str) and part in section.model_fields:
            section = _model_in(section.model_fields[part].annotation)
    if section is None or not loc:
        return ""
    keys = [key for key in section.model_fields if key != "config_path"]
    if len(loc) == 1:
        # Read before validation, so not a field of the model.
        keys.append("extends")
    close = difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _format_validation_error(
    error: ValidationError, source: Path, where: _KeyLines, model: type[BaseModel]
) -> str:
    """One line per problem, each naming the key and the line it is written on.

    Unknown keys come first: a misspelt key ('extend') is often why others are missing.
    """
    lines = []
    errors = sorted(error.errors(), key=lambda item: item["type"] != "extra_forbidden")
    for item in errors:
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        at = _line_words(item["loc"], source, where)
        if item["type"] == "extra_forbidden":
            hint = _spelling_hint(model, tuple(item["loc"]))
            lines.append(f"  - unknown key '{location}'{at}: remove it or check its spelling{hint}")
        elif item["type"] == "missing":
            lines.append(f"  - missing required key '{location}'")
        else:
            given = item.get("input")
            shown = f" (got {given!r})" if not isinstance(given, dict | list) else ""
            if isinstance(given, bool) and item["type"] in _NUMBER_ERRORS:
                shown = (
                    f" (got {given}: YAML reads yes, no, on, off, true and false as true or "
                    "false, never as a number)"
                )
            message = item["msg"].removeprefix("Value error, ")
            lines.append(f"  - '{location}'{at}: {message}{shown}")
    count = len(lines)
    return f"Config {source} has {count} problem{'s' if count > 1 else ''}:\n" + "\n".join(lines)


#: Pydantic's error types for a value that is not a number of the kind asked for.
_NUMBER_ERRORS = frozenset({"int_type", "float_type", "int_from_float"})


def _line_words(loc: tuple[str | int, ...], source: Path, where: _KeyLines) -> str:
    """`` (line 12)``, or `` (line 12 of base.yaml)`` for a key an extended config gave."""
    for end in range(len(loc), 0, -1):
        found = where.get(loc[:end])
        if found is not None:
            path, line = found
            return f" (line {line})" if path == source else f" (line {line} of {path})"
    return ""


#: Configs shipped with clustergeo that a run config can name in ``extends``.
SHIPPED_CONFIGS = {"demo": "demo/demo.yaml"}


def _read_yaml_mapping(path: Path) -> tuple[dict[str, Any], _KeyLines]:
    """A config file's keys, and the line each is written on; a key given twice is refused."""
    if not path.exists():
        raise ConfigError(f"Config file {path} does not exist.")
    if path.is_dir():
        raise ConfigError(f"Config {path} is a folder: name the YAML file itself.")
    try:
        document = read_yaml(path.read_bytes())
    except YamlSyntaxError as exc:
        raise ConfigError(f"Config {path} {exc}") from None
    if not isinstance(document.data, dict):
        raise ConfigError(f"Config {path} must be a mapping of keys to values at the top level.")
    return document.data, {key: (path, line) for key, line in document.lines.items()}


def _read_extended(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], _KeyLines]:
    """A config's keys, on top of those of the config it ``extends`` (merged section by section).

    ``extends`` names a config shipped with clustergeo (:data:`SHIPPED_CONFIGS`) or a YAML file
    relative to the extending one. Keys of the extending config win; sections are merged key by
    key, so ``hotspots: {permutations: 999}`` changes one setting and keeps the others, and
    ``null`` removes a key (``surface: null`` turns the grid off, ``county: null`` drops a tier).
    Each key keeps the file and line it was written on.
    """
    raw, where = _read_yaml_mapping(path)
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw, where
    if not isinstance(base_name, str) or not base_name:
        raise ConfigError(f"Config {path}: 'extends' must name a config (got {base_name!r}).")
    if base_name in SHIPPED_CONFIGS:
        from importlib import resources

        base = Path(str(resources.files("clustergeo").joinpath(SHIPPED_CONFIGS[base_name])))
    else:
        base = (path.parent / base_name).resolve()
    if base in seen or base == path.resolve():
        raise ConfigError(f"Config {path} extends itself (through {base}).")
    if not base.exists():
        raise ConfigError(
            f"Config {path} extends {base_name!r}, which is neither a shipped config "
            f"({', '.join(SHIPPED_CONFIGS)}) nor a file ({base} does not exist)."
        )
    base_raw, base_where = _read_extended(base, (*seen, path.resolve()))
    return _merged(base_raw, raw), {**base_where, **where}


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``, section by section; ``null`` removes a key."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


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
    raw, where = _read_extended(path, seen=())
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
        raise ConfigError(_format_validation_error(exc, path, where, model)) from None
    return config
