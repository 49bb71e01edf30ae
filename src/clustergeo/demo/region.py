"""A deterministic, offline synthetic "demo region": the pipeline's embedded default input.

The demo region lets every stage run, and every test and tutorial work, without downloading
anything. It imitates an English region at MSOA resolution and has *known* industrial
clusters planted in it, so that the hot-spot, cluster and governance stages can be checked
against ground truth.

Design
------
Everything is derived from one :func:`numpy.random.default_rng` seed, split (``spawn``) into
independent streams for the geometry, the names and the employment, each drawn in a fixed
order, so the same seed always gives the same region (the CSV outputs are byte-identical).

1. **Outline.** A jittered ellipse of roughly 120 km x 90 km centred on (440000, 300000) in
   British National Grid (EPSG:27700), replaced by its convex hull. Convexity matters: a
   Voronoi cell is convex, and the intersection of two convex shapes is one polygon, so no
   area can come out as a multipolygon.
2. **Areas.** Seed points drawn from a mixture of a uniform density and Gaussian bumps around
   a dozen made-up towns, so urban areas are small and rural ones large (as real MSOAs, which
   have roughly equal populations). Their Voronoi cells
   (:func:`shapely.voronoi_polygons`) clipped to the outline tile it exactly: neighbours
   share identical vertices, so plain queen contiguity works on this file.
3. **Districts and counties.** Multi-source region growing on the rook (shared-edge)
   adjacency graph of the areas, seeded by weighted k-means, so every district is contiguous
   by construction. Counties are grown the same way on the district adjacency graph, so they
   are contiguous and nest districts exactly.
4. **Combined authorities.** The county holding the largest town becomes a metropolitan-style
   combined authority; a second one covers a few contiguous districts elsewhere (not touching
   the first). The remaining districts are in no combined authority.
5. **Employment.** Area totals are lognormal with a boost near town centres (a few large
   employment centres, many small residential areas). The industry mix of each area is drawn
   from a Dirichlet distribution centred on the Census 2011 England & Wales workplace shares
   (:data:`_CENSUS_2011_WORKPLACE_TOTALS`), then counts are multinomial.
6. **Planted clusters.** Three contiguous sets of areas whose share of one industry section is
   raised to at least the national share and then multiplied by 6 at the centre, falling to
   3 at the edge, so every planted area has a location quotient well above 1. They are
   placed deterministically from the geometry (no random draws), at the point of a suitable
   boundary that is farthest, in local area diameters, from any boundary the cluster must not
   cross; planted clusters are kept at least 12 km apart:

   - ``mira_like`` (section C): straddles two districts in different counties, both outside
     any combined authority, like MIRA Technology Park on the Leicestershire/Warwickshire line;
   - ``crosses_ca_edge`` (section H): straddles a combined-authority district and a district
     outside any, like the Coventry & Warwickshire Gigapark;
   - ``inside_one_district`` (section J): well inside one district, away from its boundary.

   The multiplier re-weights the area's industry mix without changing its total employment,
   so planting does not distort the total-employment map.
7. **A planted concentration.** One area, placed like ``inside_one_district`` (well inside a
   district, 12 km from the planted clusters), holds a large plant of section C
   (``single_plant``): at least 6,000 jobs, its manufacturing share multiplied by 10, while
   the areas around it employ a fifth of their drawn share in manufacturing, residential
   areas as around Jaguar Land Rover at Solihull. Its neighbourhood is then average, so Gi*
   cannot see it: the pipeline must report it as a concentration, not a cluster
   (``truth_concentrations.csv``).
8. **A planted circular economy.** Placed last, so the clusters and the plant stay where
   they were: a construction (F) cluster (``waste_producers``) and a waste-management (E)
   cluster (``waste_users``) side by side across a county line, preferably where one side is
   in a combined authority and the other not; and a construction cluster
   (``producers_without_users``) at least 26 km from every other planted cluster, whose
   areas within 14 km keep a fifth of their drawn share of E, so it has no users near it
   (``truth_circular.csv``). The circular stage must find the first as a symbiosis zone
   whose sides sit in different authorities and the second as a gap.

All codes start with ``X`` (``X02`` areas, ``X07`` districts, ``X10`` counties, ``X47``
combined authorities, ``X12`` region) so they can never be mistaken for real ONS ``E`` codes,
and all names are invented.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
import yaml
from scipy.spatial import cKDTree
from shapely.geometry import Point, Polygon

from clustergeo._errors import ConfigError
from clustergeo.io import atomic_path, write_csv, write_geopackage_layers, write_text
from clustergeo.vocab import WORKING_CRS

__all__ = [
    "INDUSTRY_CODES",
    "INDUSTRY_NAMES",
    "DemoRegion",
    "build_demo_region",
    "write_demo_inputs",
]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GeometryArray = npt.NDArray[np.object_]

# --------------------------------------------------------------------------------------------
# Industry sections of the Census 2011 table WP605EW "Industry (workplace population)".
# --------------------------------------------------------------------------------------------

INDUSTRY_CODES: Final[tuple[str, ...]] = (
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R,S",
    "T",
    "U",
)
"""The 20 SIC 2007 section codes of WP605EW, in table order (R and S are combined)."""

INDUSTRY_NAMES: Final[tuple[str, ...]] = (
    "Agriculture, forestry and fishing",
    "Mining and quarrying",
    "Manufacturing",
    "Electricity, gas, steam and air conditioning supply",
    "Water supply, sewerage, waste management and remediation activities",
    "Construction",
    "Wholesale and retail trade; repair of motor vehicles and motor cycles",
    "Transport and storage",
    "Accommodation and food service activities",
    "Information and communication",
    "Financial and insurance activities",
    "Real estate activities",
    "Professional, scientific and technical activities",
    "Administrative and support service activities",
    "Public administration and defence; compulsory social security",
    "Education",
    "Human health and social work activities",
    "Arts, entertainment and recreation; other service activities",
    "Activities of households as employers; undifferentiated goods - and services - "
    "producing activities of households for own use",
    "Activities of extraterritorial organisations and bodies",
)
"""Section names as they appear in the WP605EW column headers, aligned with INDUSTRY_CODES.

Each column header of the Nomis table is ``f"{code} {name}"``.
"""

_CENSUS_2011_WORKPLACE_TOTALS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "A": 226_366,
        "B": 38_415,
        "C": 2_358_805,
        "D": 149_145,
        "E": 187_101,
        "F": 2_033_940,
        "G": 4_210_165,
        "H": 1_304_367,
        "I": 1_478_847,
        "J": 1_050_877,
        "K": 1_141_273,
        "L": 383_866,
        "M": 1_736_087,
        "N": 1_287_600,
        "O": 1_582_065,
        "P": 2_619_788,
        "Q": 3_312_567,
        "R,S": 1_263_288,
        "T": 30_868,
        "U": 18_777,
    }
)
"""Workplace population by industry section, England & Wales, Census 2011 (sum 26,414,207).

Column totals over all 7,201 MSOAs of ONS/Nomis table WP605EW, computed once from
``workplace_popCensus2011_MSOA_bySICcode_20sections.csv`` (GitHub ``DanOlner/ukcompare``,
see ``shared/data/census2011_wp_msoa_industry/PROVENANCE.md``). Source: Office for National
Statistics, 2011 Census, Open Government Licence v3.0. Hard-coded so that building the demo
region never reads a file.
"""

_WP605EW_AREA_COLUMN: Final = "2011 super output area - middle layer"
_WP605EW_TOTAL_COLUMN: Final = "All categories: Industry"

# --------------------------------------------------------------------------------------------
# Shape of the synthetic region.
# --------------------------------------------------------------------------------------------

_CENTRE: Final = (440_000.0, 300_000.0)
_SEMI_AXES: Final = (60_000.0, 45_000.0)
_N_TOWNS: Final = 12
_N_DISTRICTS: Final = 30
_N_COUNTIES: Final = 6
_MIN_AREAS: Final = 600
_MAX_AREAS: Final = 20_000
# One millimetre: coordinates are snapped to it so that files hold tidy numbers and cells
# that share an edge share bit-identical vertices.
_GRID_SIZE: Final = 0.001
# Concentration of the Dirichlet around the national mix: larger is closer to the national
# mix. 150 gives location quotients of a 10 % section a spread of about 0.25 between areas.
_DIRICHLET_CONCENTRATION: Final = 150.0
# Planted clusters must be at least this far apart, so hot-spot statistics cannot merge them.
_MIN_CLUSTER_SEPARATION_M: Final = 12_000.0

_REGION_CODE: Final = "X12000001"
_REGION_NAME: Final = "Synthetic Midlands"

# Invented names, checked against the ONS and mySociety registers of real authorities.
_DISTRICT_NAMES: Final[tuple[str, ...]] = (
    "Alderbury Cross",
    "Ashby Vale",
    "Brackenford",
    "Brindle Hill",
    "Calderwick",
    "Coldbrook",
    "Darnford",
    "Dunmere",
    "Edgecote Vale",
    "Elmsworth",
    "Fernhollow",
    "Foxhall Heath",
    "Garnley",
    "Greywell",
    "Hallowby",
    "Harrowden Fields",
    "Ivesdale",
    "Kettlemoor",
    "Kingsmere",
    "Langtree Marsh",
    "Lyndon Forest",
    "Marlcliff",
    "Millbrook Chase",
    "Netherwick",
    "Northmoor",
    "Oakhurst Fold",
    "Orchard Vale",
    "Pellbury",
    "Penhallow",
    "Quenby Vale",
    "Ravensford",
    "Redgrave Heath",
    "Sowe Valley",
    "Stanbrook",
    "Tamewood",
    "Thornwick",
    "Upton Fields",
    "Wolverdale",
    "Wrekin Heath",
    "Yarnfield Moor",
)
_COUNTY_NAMES: Final[tuple[str, ...]] = (
    "Ardenshire",
    "Feldonshire",
    "Lyndshire",
    "Northwold",
    "Soarshire",
    "Trentshire",
    "Wealdmoor",
    "Wrekinshire",
)
_COMBINED_AUTHORITY_NAMES: Final[tuple[str, ...]] = (
    "Central Mercia Combined Authority",
    "Trent Vale Combined Authority",
)


@dataclass(frozen=True)
class _ClusterSpec:
    """What to plant: the cluster's name, industry section, size and strength."""

    name: str
    industry_code: str
    n_areas: int
    peak_multiplier: float = 6.0
    edge_multiplier: float = 3.0


# Listed in placement order: the most constrained site is chosen first.
_CLUSTER_SPECS: Final[tuple[_ClusterSpec, ...]] = (
    _ClusterSpec("mira_like", "C", 14),
    _ClusterSpec("crosses_ca_edge", "H", 12),
    _ClusterSpec("inside_one_district", "J", 10),
)
#: The planted circular-economy pair: construction (F, producers of construction and
#: demolition waste) on one side of a county line, waste management (E, its users) on the
#: other, side by side.
_PAIR_SPECS: Final = (
    _ClusterSpec("waste_producers", "F", 8, peak_multiplier=4.0, edge_multiplier=2.5),
    _ClusterSpec("waste_users", "E", 6, peak_multiplier=10.0, edge_multiplier=6.0),
)
#: A planted construction cluster with no waste-management industry near it.
_GAP_SPEC: Final = _ClusterSpec(
    "producers_without_users", "F", 8, peak_multiplier=4.0, edge_multiplier=2.5
)
#: Around the gap, areas keep this fraction of their drawn share of its users' section ...
_GAP_USERS_MULTIPLIER: Final = 0.2
#: ... within this distance of its centre, beyond the circular stage's default 10 km.
_GAP_CLEAR_M: Final = 14_000.0
_GAP_USERS_SECTION: Final = "E"

#: The planted concentration: one area, its share of the section multiplied by 10.
_PLANT_SPEC: Final = _ClusterSpec("single_plant", "C", 1, peak_multiplier=10.0)
#: The plant's area employs at least this many people in all.
_PLANT_MIN_TOTAL: Final = 6_000
#: The plant's neighbours keep this fraction of their drawn share of its section.
_PLANT_RING_MULTIPLIER: Final = 0.2


@dataclass(frozen=True, eq=False)
class DemoRegion:
    """A synthetic region with boundaries, lookups, employment and planted clusters.

    Attributes
    ----------
    seed
        The seed it was built from.
    areas
        One polygon per small area (EPSG:27700): ``area_code``, ``area_name``, ``geometry``.
    lookup
        One row per area: ``area_code, district_code, district_name, county_code,
        county_name, combined_authority_code, combined_authority_name, region_code,
        region_name``. The combined-authority columns are missing (NA) for areas outside any.
    authorities
        Dissolved boundaries per tier (``"district"``, ``"county"``,
        ``"combined_authority"``, ``"region"``), each with ``code, name, geometry``.
    employment
        Tidy workplace employment: ``area_code, industry_code, employment`` (int), one row per
        area and each of :data:`INDUSTRY_CODES`.
    truth
        Every planted area: ``cluster_name, industry_code, area_code``.
    truth_summary
        One row per planted cluster: ``cluster_name, industry_code, n_areas, districts,
        counties, combined_authorities, expected_flags`` (codes and flags ``;``-joined).
    concentrations
        The planted concentration: ``name, industry_code, area_code, district_code,
        county_code, combined_authority_code`` (one row).
    circular
        The planted circular-economy truth, one row per area: ``name`` (``waste_producers``,
        ``waste_users``, ``producers_without_users``), ``stream``
        (``construction_demolition``), ``side``, ``industry_code``, ``area_code`` and the
        area's ``district_code``, ``county_code`` and ``combined_authority_code``.
    sites
        An anchor-site registry (``{"sites": {...}}``, the YAML layout of
        :func:`clustergeo.governance.read_sites`) with one site at the centre of each planted
        cluster, 2 km footprints, so the demo exercises the site overlay without real places.
    """

    seed: int
    areas: gpd.GeoDataFrame
    lookup: pd.DataFrame
    authorities: dict[str, gpd.GeoDataFrame]
    employment: pd.DataFrame
    truth: pd.DataFrame
    truth_summary: pd.DataFrame
    sites: dict[str, Any]
    concentrations: pd.DataFrame
    circular: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class _Towns:
    """Made-up towns: centres, radii (m) and relative sizes, largest first."""

    xy: FloatArray
    radius: FloatArray
    weight: FloatArray


@dataclass(frozen=True)
class _Geography:
    """The cells and their hierarchy, before codes and names are attached."""

    outline: Polygon
    towns: _Towns
    cells: GeometryArray
    xy: FloatArray
    rook: list[list[int]]
    queen: list[list[int]]
    district_of_cell: IntArray
    county_of_district: IntArray
    ca_of_district: IntArray


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def build_demo_region(seed: int = 2011, n_areas: int = 1500) -> DemoRegion:
    """Build the synthetic demo region in memory (no file is read or written).

    Parameters
    ----------
    seed
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same region.
    n_areas
        Number of small areas (Voronoi cells), between 600 and 20,000.

    Returns
    -------
    DemoRegion
        Areas, lookup, authority boundaries, employment by industry and the planted
        clusters' ground truth.

    Raises
    ------
    ConfigError
        If ``seed`` or ``n_areas`` is not an acceptable integer.

    Notes
    -----
    The industry mix is centred on the England & Wales Census 2011 workplace shares; each
    area's shares are drawn from a Dirichlet distribution with concentration 150 times the
    national shares, and its counts from a multinomial with the area's total employment.
    """
    _validate_arguments(seed, n_areas)
    # Independent streams for geometry, names and employment: tuning how employment is drawn
    # then never moves a boundary or renames a district.
    geometry_rng, names_rng, employment_rng = np.random.default_rng(seed).spawn(3)
    geography = _build_geography(geometry_rng, n_areas)
    planted, plant, circular = _plant_sites(geography)
    totals = _area_totals(employment_rng, geography)
    # A plant brings its jobs: its area employs at least _PLANT_MIN_TOTAL.
    totals[plant.cells[0]] = max(int(totals[plant.cells[0]]), _PLANT_MIN_TOTAL)
    gap = circular[-1]
    cleared = _within(geography.xy, gap.centre, _GAP_CLEAR_M)
    counts = _industry_counts(
        employment_rng,
        totals,
        [*planted, plant],
        len(geography.cells),
        geography.queen,
        later=circular,
        reduced=[(cleared, _GAP_USERS_SECTION, _GAP_USERS_MULTIPLIER)],
    )

    frames = _Frames.from_geography(geography, names_rng)
    areas = frames.areas()
    lookup = frames.lookup()
    employment = frames.employment(counts)
    truth, truth_summary = frames.truth(planted, lookup)
    return DemoRegion(
        seed=seed,
        areas=areas,
        lookup=lookup,
        authorities=frames.authorities(),
        employment=employment,
        truth=truth,
        truth_summary=truth_summary,
        sites=_demo_sites(planted),
        concentrations=frames.concentration_truth(plant, lookup),
        circular=frames.circular_truth(circular, lookup),
    )


def _within(xy: FloatArray, centre: tuple[float, float], distance: float) -> list[int]:
    """Areas whose centroid lies within ``distance`` (m) of ``centre``."""
    near = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1]) <= distance
    return [int(i) for i in np.flatnonzero(near)]


def _demo_sites(planted: Sequence[_PlantedCluster]) -> dict[str, Any]:
    """One anchor site at the centre of each planted cluster, in the registry's layout."""
    sites = {}
    for cluster in planted:
        name = cluster.spec.name
        sites[f"{name}_park"] = {
            "name": f"Demo park ({name.replace('_', ' ')})",
            "sector": f"Section {cluster.spec.industry_code} (synthetic)",
            "easting": cluster.centre[0],
            "northing": cluster.centre[1],
            "buffer_km": 2.0,
            "sic": [cluster.spec.industry_code],
            "location_note": f"Centre of the planted cluster {name}.",
            "source": "clustergeo synthetic demo region (not a real place)",
        }
    return {"sites": sites}


def write_demo_inputs(out_dir: Path, seed: int = 2011, n_areas: int = 1500) -> dict[str, Path]:
    """Build the demo region and write it as the pipeline's raw input files.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing). Existing files are replaced atomically.
    seed
        Seed passed to :func:`build_demo_region`.
    n_areas
        Number of small areas passed to :func:`build_demo_region`.

    Returns
    -------
    dict of str to Path
        Paths by logical name: ``"areas"`` (``areas.gpkg``), ``"authorities"``
        (``authorities.gpkg``), ``"lookup"``, ``"employment"`` (``employment_wp605ew.csv``,
        laid out exactly as the Nomis WP605EW download), ``"truth"``, ``"truth_summary"``,
        ``"truth_concentrations"``, ``"truth_circular"`` and ``"readme"``.
    """
    region = build_demo_region(seed=seed, n_areas=n_areas)
    out_dir = Path(out_dir)
    paths = {
        "areas": out_dir / "areas.gpkg",
        "authorities": out_dir / "authorities.gpkg",
        "lookup": out_dir / "lookup.csv",
        "employment": out_dir / "employment_wp605ew.csv",
        "truth": out_dir / "truth.csv",
        "truth_summary": out_dir / "truth_summary.csv",
        "truth_concentrations": out_dir / "truth_concentrations.csv",
        "truth_circular": out_dir / "truth_circular.csv",
        "sites": out_dir / "sites.yaml",
        "readme": out_dir / "README.txt",
    }
    # The io writers log one line per file; only the README is written here directly.
    write_geopackage_layers({"areas": region.areas}, paths["areas"])
    write_geopackage_layers(region.authorities, paths["authorities"])
    write_csv(region.lookup, paths["lookup"])
    write_csv(_wp605ew_table(region), paths["employment"], quote_text=False)
    write_csv(region.truth, paths["truth"])
    write_csv(region.truth_summary, paths["truth_summary"])
    write_csv(region.concentrations, paths["truth_concentrations"])
    write_csv(region.circular, paths["truth_circular"])
    write_text(yaml.safe_dump(region.sites, sort_keys=False, allow_unicode=True), paths["sites"])
    with atomic_path(paths["readme"]) as tmp:
        tmp.write_text(_readme_text(region, n_areas), encoding="utf-8")
    log.info("Wrote %s", paths["readme"])
    return paths


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _validate_arguments(seed: object, n_areas: object) -> None:
    """Raise one ConfigError listing every unacceptable argument."""
    problems = []
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        problems.append(f"seed must be a non-negative integer, got {seed!r}")
    if (
        isinstance(n_areas, bool)
        or not isinstance(n_areas, int | np.integer)
        or not _MIN_AREAS <= int(n_areas) <= _MAX_AREAS
    ):
        problems.append(
            f"n_areas must be an integer from {_MIN_AREAS} to {_MAX_AREAS} "
            f"(enough areas for {_N_DISTRICTS} districts and the planted clusters), "
            f"got {n_areas!r}"
        )
    if problems:
        raise ConfigError("Cannot build the synthetic demo region: " + "; ".join(problems))


# --------------------------------------------------------------------------------------------
# Geometry: outline, towns, cells, adjacency
# --------------------------------------------------------------------------------------------


def _build_geography(rng: np.random.Generator, n_areas: int) -> _Geography:
    """Draw the outline, towns and cells, and group cells into districts, counties and CAs."""
    outline = _make_outline(rng)
    towns = _make_towns(rng, outline)
    points = _sample_points(rng, outline, towns, n_areas)
    cells = _voronoi_cells(points, outline)
    xy = shapely.get_coordinates(shapely.centroid(cells))
    rook, queen = _adjacency(cells)

    district_seeds = _kmeans_seed_nodes(rng, xy, np.ones(len(xy)), _N_DISTRICTS)
    district_of_cell = _grow_regions(
        rng, rook, xy, np.ones(len(xy)), district_seeds, noise_sigma=0.35
    )

    district_sizes = np.bincount(district_of_cell, minlength=_N_DISTRICTS).astype(np.float64)
    district_xy = np.vstack([xy[district_of_cell == d].mean(axis=0) for d in range(_N_DISTRICTS)])
    district_graph = _contract_graph(rook, district_of_cell, _N_DISTRICTS)
    county_seeds = _kmeans_seed_nodes(rng, district_xy, district_sizes, _N_COUNTIES)
    county_of_district = _grow_regions(
        rng, district_graph, district_xy, district_sizes, county_seeds, noise_sigma=0.2
    )

    city_cell = int(np.argmin(((xy - towns.xy[0]) ** 2).sum(axis=1)))
    ca_of_district = _choose_combined_authorities(
        district_graph, county_of_district, district_xy, int(district_of_cell[city_cell])
    )
    return _Geography(
        outline=outline,
        towns=towns,
        cells=cells,
        xy=xy,
        rook=rook,
        queen=queen,
        district_of_cell=district_of_cell,
        county_of_district=county_of_district,
        ca_of_district=ca_of_district,
    )


def _make_outline(rng: np.random.Generator) -> Polygon:
    """Return a convex, irregular outline of about 120 km x 90 km, in metres (BNG)."""
    angles = np.linspace(0.0, 2.0 * math.pi, 90, endpoint=False)
    angles = angles + rng.uniform(-0.02, 0.02, angles.size)
    # A few low harmonics of random phase make the ellipse lopsided, as a region is.
    radius = np.ones_like(angles)
    for harmonic in range(2, 6):
        amplitude = rng.uniform(0.02, 0.10) / harmonic * 2.0
        radius += amplitude * np.cos(harmonic * angles + rng.uniform(0.0, 2.0 * math.pi))
    radius *= rng.uniform(0.97, 1.03, angles.size)
    rotation = rng.uniform(-0.35, 0.35)
    x = _SEMI_AXES[0] * radius * np.cos(angles)
    y = _SEMI_AXES[1] * radius * np.sin(angles)
    xr = _CENTRE[0] + x * math.cos(rotation) - y * math.sin(rotation)
    yr = _CENTRE[1] + x * math.sin(rotation) + y * math.cos(rotation)
    hull = shapely.convex_hull(shapely.multipoints(np.round(np.column_stack([xr, yr]))))
    return Polygon(hull)


def _make_towns(rng: np.random.Generator, outline: Polygon) -> _Towns:
    """Place towns well inside the outline and apart from each other; the first is the city."""
    inner = outline.buffer(-8_000.0)
    min_x, min_y, max_x, max_y = inner.bounds
    centres: list[tuple[float, float]] = []
    while len(centres) < _N_TOWNS:
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if not shapely.contains_xy(inner, x, y):
            continue
        if any(math.hypot(x - cx, y - cy) < 14_000.0 for cx, cy in centres):
            continue
        centres.append((float(x), float(y)))
    weight = np.concatenate([[1.0], np.sort(rng.uniform(0.12, 0.45, _N_TOWNS - 1))[::-1]])
    radius = np.concatenate([[5_500.0], 2_000.0 + 3_000.0 * weight[1:]])
    return _Towns(xy=np.asarray(centres, dtype=np.float64), radius=radius, weight=weight)


def _sample_points(
    rng: np.random.Generator, outline: Polygon, towns: _Towns, n_points: int
) -> FloatArray:
    """Draw cell seed points: uniform background plus Gaussian bumps around towns.

    Urban bumps make small cells where people (and so MSOAs) are dense. Points falling outside
    the outline are rejected, which keeps every cell's generator inside the region.
    """
    # The uniform share sets how much of the region is "rural"; each town's share grows
    # with its size and area so that the city has the densest cells.
    town_mass = towns.weight * towns.radius**2
    probabilities = np.concatenate([[0.45], 0.55 * town_mass / town_mass.sum()])
    min_x, min_y, max_x, max_y = outline.bounds
    accepted: list[FloatArray] = []
    n_accepted = 0
    while n_accepted < n_points:
        batch = 4 * n_points
        component = rng.choice(probabilities.size, size=batch, p=probabilities)
        uniform = np.column_stack(
            [rng.uniform(min_x, max_x, batch), rng.uniform(min_y, max_y, batch)]
        )
        town = np.clip(component - 1, 0, None)
        gaussian = towns.xy[town] + rng.normal(size=(batch, 2)) * towns.radius[town, None]
        candidate = np.where((component == 0)[:, None], uniform, gaussian)
        inside = shapely.contains_xy(outline, candidate[:, 0], candidate[:, 1])
        accepted.append(candidate[inside])
        n_accepted += int(inside.sum())
    points: FloatArray = np.concatenate(accepted)[:n_points]
    return points


def _voronoi_cells(points: FloatArray, outline: Polygon) -> GeometryArray:
    """Return the Voronoi cells of ``points`` clipped to ``outline``, in point order."""
    envelope = outline.buffer(50_000.0)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope, ordered=True)
    )
    clipped = shapely.intersection(cells, outline)
    snapped: GeometryArray = shapely.set_precision(clipped, _GRID_SIZE)
    if not bool(shapely.coverage_is_valid(snapped)):  # pragma: no cover - defensive
        msg = "synthetic Voronoi cells do not tile the outline; report this seed as a bug"
        raise RuntimeError(msg)
    return snapped


def _adjacency(cells: GeometryArray) -> tuple[list[list[int]], list[list[int]]]:
    """Return rook (shared edge) and queen (shared edge or corner) neighbour lists."""
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # Cells of an exact coverage meet in lines (rook) or single points (queen only).
    shared_length = shapely.length(shapely.intersection(cells[left], cells[right]))
    rook: list[list[int]] = [[] for _ in range(cells.size)]
    queen: list[list[int]] = [[] for _ in range(cells.size)]
    for a, b, length in zip(left.tolist(), right.tolist(), shared_length.tolist(), strict=True):
        queen[a].append(b)
        queen[b].append(a)
        if length > 0.0:
            rook[a].append(b)
            rook[b].append(a)
    return [sorted(n) for n in rook], [sorted(n) for n in queen]


def _contract_graph(
    neighbours: Sequence[Sequence[int]], label: IntArray, n_labels: int
) -> list[list[int]]:
    """Return the adjacency of groups: two labels touch if any of their members do."""
    edges: list[set[int]] = [set() for _ in range(n_labels)]
    for node, node_neighbours in enumerate(neighbours):
        for other in node_neighbours:
            a, b = int(label[node]), int(label[other])
            if a != b:
                edges[a].add(b)
    return [sorted(e) for e in edges]


# --------------------------------------------------------------------------------------------
# Region growing: districts from cells, counties from districts
# --------------------------------------------------------------------------------------------


def _kmeans_seed_nodes(
    rng: np.random.Generator, xy: FloatArray, weights: FloatArray, k: int
) -> list[int]:
    """Return ``k`` distinct nodes near weighted k-means centres (k-means++ start, Lloyd steps).

    Seeding at k-means centres, not at random nodes, gives regions of similar weight (similar
    numbers of areas, so similar populations) that are small where areas are dense.
    """
    n = len(xy)
    chosen = [int(rng.choice(n, p=weights / weights.sum()))]
    nearest_sq = ((xy - xy[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        score = weights * nearest_sq
        chosen.append(int(rng.choice(n, p=score / score.sum())))
        nearest_sq = np.minimum(nearest_sq, ((xy - xy[chosen[-1]]) ** 2).sum(axis=1))
    centres = xy[chosen].copy()
    for _ in range(25):
        label = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        for j in range(k):
            member = label == j
            if member.any():
                centres[j] = np.average(xy[member], axis=0, weights=weights[member])
    seeds: list[int] = []
    for centre in centres:
        order = np.argsort(((xy - centre) ** 2).sum(axis=1), kind="stable")
        seeds.append(next(int(i) for i in order if int(i) not in seeds))
    return seeds


def _grow_regions(
    rng: np.random.Generator,
    neighbours: Sequence[Sequence[int]],
    xy: FloatArray,
    weights: FloatArray,
    seeds: Sequence[int],
    *,
    noise_sigma: float,
) -> IntArray:
    """Label every node by multi-source region growing from ``seeds`` over a graph.

    Each step, the region furthest below its (randomly varied) target weight claims its
    nearest unclaimed frontier node, so regions are contiguous by construction and of
    comparable weight. Distances are multiplied by lognormal noise per node so boundaries
    are irregular, like real ones.

    Raises
    ------
    RuntimeError
        If the graph is disconnected, so some node cannot be reached.
    """
    n_regions = len(seeds)
    label = np.full(len(xy), -1, dtype=np.int64)
    target = rng.lognormal(0.0, 0.25, n_regions)
    target *= weights.sum() / target.sum()
    noise = rng.lognormal(0.0, noise_sigma, len(xy))
    size = np.zeros(n_regions)
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(n_regions)]

    def claim(region: int, node: int) -> None:
        label[node] = region
        size[region] += weights[node]
        seed_xy = xy[seeds[region]]
        for other in neighbours[node]:
            if label[other] < 0:
                distance = float(np.hypot(*(xy[other] - seed_xy))) * float(noise[other])
                heapq.heappush(frontier[region], (distance, other))

    for region, seed in enumerate(seeds):
        claim(region, seed)
    active = set(range(n_regions))
    n_unclaimed = int((label < 0).sum())
    while n_unclaimed and active:
        region = min(sorted(active), key=lambda r: size[r] / target[r])
        heap = frontier[region]
        while heap and label[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            # The region is enclosed by others: it stops growing, the others carry on.
            active.discard(region)
            continue
        claim(region, heapq.heappop(heap)[1])
        n_unclaimed -= 1
    if n_unclaimed:  # pragma: no cover - Voronoi cells of a convex outline are connected
        msg = f"{n_unclaimed} synthetic areas could not be reached from any district seed"
        raise RuntimeError(msg)
    return label


def _choose_combined_authorities(
    district_graph: Sequence[Sequence[int]],
    county_of_district: IntArray,
    district_xy: FloatArray,
    city_district: int,
) -> IntArray:
    """Return the combined authority (0, 1, or -1 for none) of each district.

    The first is the whole county around the city, like a metropolitan county's combined
    authority. The second is three or four contiguous districts as far from the first as
    possible and not touching it, so that the region also has a boundary between two
    districts that are both outside any combined authority.
    """
    n_districts = len(district_graph)
    ca = np.full(n_districts, -1, dtype=np.int64)
    ca[county_of_district == county_of_district[city_district]] = 0
    first = np.flatnonzero(ca == 0).tolist()
    near_first = set(first) | {n for d in first for n in district_graph[d]}
    candidates = [d for d in range(n_districts) if d not in near_first]
    if not candidates:
        return ca
    first_xy = district_xy[first].mean(axis=0)
    start = max(candidates, key=lambda d: (float(np.hypot(*(district_xy[d] - first_xy))), -d))
    members = [start]
    while len(members) < 4:
        frontier = sorted(
            {n for d in members for n in district_graph[d] if n in candidates} - set(members)
        )
        if not frontier:
            break
        start_xy = district_xy[start]
        members.append(min(frontier, key=lambda d: float(np.hypot(*(district_xy[d] - start_xy)))))
    if len(members) >= 2:
        ca[members] = 1
    return ca


# --------------------------------------------------------------------------------------------
# Planted clusters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlantedCluster:
    """A planted cluster: its spec, its cells and each cell's share multiplier."""

    spec: _ClusterSpec
    cells: tuple[int, ...]
    multipliers: tuple[float, ...]
    centre: tuple[float, float]


def _plant_sites(
    geography: _Geography,
) -> tuple[list[_PlantedCluster], _PlantedCluster, list[_PlantedCluster]]:
    """Choose, without random draws, the cells of every planted cluster and the plant.

    Returns the clusters, the plant and the circular-economy plants (the producer and user
    clusters of the pair, then the producer cluster without users), placed last so that the
    clusters and the plant sit where they always did.
    """
    site = _SiteFinder.from_geography(geography)
    county = geography.county_of_district
    ca = geography.ca_of_district
    graph = site.district_graph
    planted: list[_PlantedCluster] = []
    for spec in _CLUSTER_SPECS:
        if spec.name == "mira_like":
            pairs = [
                (a, b)
                for a in range(_N_DISTRICTS)
                for b in graph[a]
                if a < b and county[a] != county[b] and ca[a] < 0 and ca[b] < 0
            ]
            candidates = [pairs]
        elif spec.name == "crosses_ca_edge":
            pairs = [(a, b) for a in range(_N_DISTRICTS) for b in graph[a] if ca[a] >= 0 > ca[b]]
            # A pair within one county, where there is a site on one, keeps this cluster's
            # only governance problem the combined-authority edge (mira_like has counties).
            candidates = [[(a, b) for a, b in pairs if county[a] == county[b]], pairs]
        else:
            candidates = []
        cells, centre = site.straddling(candidates, spec) if candidates else site.interior(spec)
        planted.append(_with_multipliers(spec, cells, centre, geography.xy))
        site.block_around(cells)
    cells, centre = site.interior(_PLANT_SPEC)
    plant = _with_multipliers(_PLANT_SPEC, cells, centre, geography.xy)
    site.block_around(cells)
    # The pair across a county line, preferably where one side is in a combined authority
    # and the other in none, so that every co-operation flag has something to say.
    county_line = [
        (a, b) for a in range(_N_DISTRICTS) for b in graph[a] if a < b and county[a] != county[b]
    ]
    ca_edge = [(a, b) for a, b in county_line if (ca[a] >= 0) != (ca[b] >= 0)]
    producers, users = _PAIR_SPECS
    cells_p, cells_u, point = site.across([ca_edge, county_line], producers, users)
    circular = [
        _with_multipliers(producers, cells_p, point, geography.xy),
        _with_multipliers(users, cells_u, point, geography.xy),
    ]
    site.block_around(cells_p + cells_u)
    cells, centre = site.interior(_GAP_SPEC, separation=_MIN_CLUSTER_SEPARATION_M + _GAP_CLEAR_M)
    circular.append(_with_multipliers(_GAP_SPEC, cells, centre, geography.xy))
    return planted, plant, circular


@dataclass
class _SiteFinder:
    """Finds planting sites and keeps track of where earlier clusters were put.

    Sites are scored by their *clearance*: the distance from the site to the nearest boundary
    the cluster must not cross (a third district, the region's edge), measured in local area
    diameters. A cluster of a dozen areas then fits between the site and that boundary, and
    sites fall where areas are small (towns), which keeps clusters compact.
    """

    geography: _Geography
    districts: GeometryArray
    district_graph: list[list[int]]
    local_scale: cKDTree
    cell_diameter: FloatArray
    on_region_edge: BoolArray
    blocked: BoolArray
    planted_cells: list[int]

    @classmethod
    def from_geography(cls, geography: _Geography) -> _SiteFinder:
        """Precompute district polygons, the district graph and each area's size."""
        n_cells = len(geography.cells)
        return cls(
            geography=geography,
            districts=_dissolve(geography.cells, geography.district_of_cell, _N_DISTRICTS),
            district_graph=_contract_graph(
                geography.rook, geography.district_of_cell, _N_DISTRICTS
            ),
            local_scale=cKDTree(geography.xy),
            cell_diameter=np.sqrt(shapely.area(geography.cells)),
            # Snapped cut points lie within a millimetre of the outline, not exactly on it.
            on_region_edge=shapely.dwithin(geography.cells, geography.outline.exterior, 0.01),
            blocked=np.zeros(n_cells, dtype=bool),
            planted_cells=[],
        )

    def block_around(self, cells: Sequence[int]) -> None:
        """Keep later clusters two rings of areas away from ``cells``."""
        ring = set(cells)
        for _ in range(2):
            ring |= {n for c in ring for n in self.geography.queen[c]}
        self.blocked[sorted(ring)] = True
        self.planted_cells.extend(cells)

    def _scale_at(self, x: float, y: float) -> float:
        """Return the median diameter of the ten areas nearest a point."""
        _, nearest = self.local_scale.query([x, y], k=10)
        return float(np.median(self.cell_diameter[nearest]))

    def _too_close(self, points: GeometryArray, separation: float) -> BoolArray:
        """Flag points nearer than ``separation`` (m) to an earlier cluster."""
        if not self.planted_cells:
            return np.zeros(len(points), dtype=bool)
        earlier = shapely.union_all(self.geography.cells[self.planted_cells])
        near: BoolArray = shapely.distance(points, earlier) < separation
        return near

    def _pair_site(
        self, candidates: Sequence[Sequence[tuple[int, int]]], name: str
    ) -> tuple[int, int, Point]:
        """The district pair and boundary point to plant across, from the first list with one.

        Only if no list has a site far enough from earlier clusters is the required
        separation dropped (the two rings of areas blocked around earlier clusters remain).
        """
        for separation in (_MIN_CLUSTER_SEPARATION_M, 0.0):
            for pairs in candidates:
                best = self._best_boundary_point(pairs, separation)
                if best is not None:
                    return best
        msg = f"no site found for the planted cluster {name!r}; try another seed"
        raise RuntimeError(msg)

    def straddling(
        self, candidates: Sequence[Sequence[tuple[int, int]]], spec: _ClusterSpec
    ) -> tuple[list[int], Point]:
        """Plant half the cluster on each side of the best point of a shared boundary.

        ``candidates`` lists district pairs in order of preference (see :meth:`_pair_site`).
        """
        a, b, point = self._pair_site(candidates, spec.name)
        cell_a, cell_b = self._seed_pair(a, b, point)
        side_a = self._grow(cell_a, a, {a, b}, point, spec.n_areas // 2)
        side_b = self._grow(cell_b, b, {a, b}, point, spec.n_areas - len(side_a))
        # If district b had too little room, district a makes up the numbers.
        side_a = self._grow(cell_a, a, {a, b}, point, spec.n_areas - len(side_b))
        return side_a + side_b, point

    def across(
        self,
        candidates: Sequence[Sequence[tuple[int, int]]],
        first: _ClusterSpec,
        second: _ClusterSpec,
    ) -> tuple[list[int], list[int], Point]:
        """Plant ``first`` on one side of a shared boundary and ``second`` on the other."""
        a, b, point = self._pair_site(candidates, f"{first.name} / {second.name}")
        cell_a, cell_b = self._seed_pair(a, b, point)
        side_a = self._grow(cell_a, a, {a, b}, point, first.n_areas)
        side_b = self._grow(cell_b, b, {a, b}, point, second.n_areas)
        return side_a, side_b, point

    def _best_boundary_point(
        self, pairs: Sequence[tuple[int, int]], separation: float
    ) -> tuple[int, int, Point] | None:
        """Return the district pair and boundary point with the greatest scaled clearance."""
        best: tuple[float, int, int, Point] | None = None
        for a, b in pairs:
            shared = shapely.line_merge(shapely.intersection(self.districts[a], self.districts[b]))
            pair_boundary = shapely.union(self.districts[a], self.districts[b]).boundary
            lines = [g for g in shapely.get_parts(shared) if isinstance(g, shapely.LineString)]
            fractions = np.linspace(0.05, 0.95, 19)
            points = np.array(
                [line.interpolate(float(f), normalized=True) for line in lines for f in fractions],
                dtype=object,
            )
            if points.size == 0:
                continue
            clearance = shapely.distance(points, pair_boundary)
            clearance[self._too_close(points, separation)] = -1.0
            for point, distance in zip(points, clearance.tolist(), strict=True):
                if distance < 0.0 or self.blocked[self._nearest_cell(point)]:
                    continue
                score = distance / self._scale_at(point.x, point.y)
                if best is None or score > best[0]:
                    best = (score, a, b, point)
        return None if best is None else best[1:]

    def _nearest_cell(self, point: Point) -> int:
        """Return the area whose centroid is nearest ``point``."""
        _, nearest = self.local_scale.query([point.x, point.y], k=1)
        return int(nearest)

    def interior(
        self, spec: _ClusterSpec, *, separation: float = _MIN_CLUSTER_SEPARATION_M
    ) -> tuple[list[int], Point]:
        """Plant the cluster around the area farthest inside its district.

        Its site lies at least ``separation`` (m) from every earlier cluster.
        """
        geography = self.geography
        label = geography.district_of_cell
        centroids = shapely.points(geography.xy)
        clearance = shapely.distance(centroids, shapely.boundary(self.districts)[label])
        scale = np.array([self._scale_at(x, y) for x, y in geography.xy])
        score = clearance / scale
        score[self._too_close(centroids, separation) | self.blocked] = -1.0
        start = int(np.argmax(score))
        if score[start] < 0.0:
            msg = f"no site found for the planted cluster {spec.name!r}; try another seed"
            raise RuntimeError(msg)
        district = int(label[start])
        point = Point(geography.xy[start])
        return self._grow(start, district, {district}, point, spec.n_areas), point

    def _seed_pair(self, a: int, b: int, point: Point) -> tuple[int, int]:
        """Return the adjacent areas of districts ``a`` and ``b`` whose edge is nearest."""
        geography = self.geography
        district = geography.district_of_cell
        pairs = [
            (i, j)
            for i in np.flatnonzero(district == a).tolist()
            for j in geography.rook[i]
            if district[j] == b
        ]
        edges = shapely.intersection(
            geography.cells[[i for i, _ in pairs]], geography.cells[[j for _, j in pairs]]
        )
        return pairs[int(np.argmin(shapely.distance(edges, point)))]

    def _grow(
        self, start: int, district: int, inside: set[int], centre: Point, n_cells: int
    ) -> list[int]:
        """Grow a contiguous set of areas of one district, nearest ``centre`` first.

        Areas touching a district outside ``inside`` or the region's edge are taken only
        once no other frontier area is left, so a cluster stays off boundaries it should not
        cross whenever there is room.
        """
        geography = self.geography
        label = geography.district_of_cell
        centre_xy = np.array([centre.x, centre.y])

        def key(cell: int) -> tuple[bool, float]:
            outside = self.on_region_edge[cell] or any(
                int(label[n]) not in inside for n in geography.queen[cell]
            )
            return bool(outside), float(np.hypot(*(geography.xy[cell] - centre_xy)))

        chosen: list[int] = []
        seen = {start}
        heap = [(key(start), start)]
        while heap and len(chosen) < n_cells:
            _, cell = heapq.heappop(heap)
            chosen.append(cell)
            for other in geography.rook[cell]:
                if other not in seen and label[other] == district and not self.blocked[other]:
                    seen.add(other)
                    heapq.heappush(heap, (key(other), other))
        return chosen


def _with_multipliers(
    spec: _ClusterSpec, cells: Sequence[int], centre: Point, xy: FloatArray
) -> _PlantedCluster:
    """Attach multipliers falling linearly from the peak (centre) to the edge value."""
    distance = np.hypot(xy[list(cells), 0] - centre.x, xy[list(cells), 1] - centre.y)
    rank = np.argsort(np.argsort(distance, kind="stable"), kind="stable")
    step = (spec.peak_multiplier - spec.edge_multiplier) / max(len(cells) - 1, 1)
    multipliers = spec.peak_multiplier - step * rank
    return _PlantedCluster(
        spec,
        tuple(int(c) for c in cells),
        tuple(multipliers.tolist()),
        (round(centre.x, 1), round(centre.y, 1)),
    )


# --------------------------------------------------------------------------------------------
# Employment
# --------------------------------------------------------------------------------------------


def _area_totals(rng: np.random.Generator, geography: _Geography) -> IntArray:
    """Draw each area's total workplace employment.

    A lognormal base times a boost near town centres: a few areas in the city centre hold
    tens of thousands of jobs, most residential areas a thousand or two (for the default
    region the median is about 1,800 and the mean about 2,500; Census 2011 MSOAs of England
    and Wales have a median of 2,557 and a mean of 3,668).
    """
    xy = geography.xy
    base = rng.lognormal(mean=7.35, sigma=0.55, size=len(xy))
    boost = np.ones(len(xy))
    towns = geography.towns
    for (x, y), radius, weight in zip(towns.xy, towns.radius, towns.weight, strict=True):
        # Jobs concentrate in the core of a town, a fraction of its residential radius.
        core = 0.3 * float(radius)
        distance_sq = (xy[:, 0] - x) ** 2 + (xy[:, 1] - y) ** 2
        boost += 12.0 * float(weight) * np.exp(-distance_sq / (2.0 * core**2))
    totals: IntArray = np.maximum(np.rint(base * boost), 200).astype(np.int64)
    return totals


def _industry_counts(
    rng: np.random.Generator,
    totals: IntArray,
    planted: Sequence[_PlantedCluster],
    n_areas: int,
    queen: Sequence[Sequence[int]],
    *,
    later: Sequence[_PlantedCluster] = (),
    reduced: Sequence[tuple[Sequence[int], str, float]] = (),
) -> IntArray:
    """Split area totals into the 20 sections: Dirichlet shares, planted boosts, multinomial.

    A single-area plant's neighbours keep only :data:`_PLANT_RING_MULTIPLIER` of their share
    of its section: residential areas around a plant, whose neighbourhood is then average.

    ``later`` plants (the circular economy's) and ``reduced`` areas come after: each
    ``(areas, section, multiplier)`` of ``reduced`` scales those areas' share of the section
    (the users kept away from the planted gap), planted areas excepted. Only the areas they
    change are drawn again, after every other draw, so every other area keeps exactly the
    counts it had before they were added: the earlier clusters and their tests stay as they
    were.
    """
    national = np.array([_CENSUS_2011_WORKPLACE_TOTALS[c] for c in INDUSTRY_CODES], float)
    national /= national.sum()
    shares = rng.dirichlet(_DIRICHLET_CONCENTRATION * national, size=n_areas)
    for cluster in planted:
        if len(cluster.cells) == 1:
            column = INDUSTRY_CODES.index(cluster.spec.industry_code)
            ring = sorted(set(queen[cluster.cells[0]]) - set(cluster.cells))
            shares[ring, column] *= _PLANT_RING_MULTIPLIER
    _boost(shares, planted, national)
    # Re-normalising keeps each planted area's total employment as drawn: the cluster shifts
    # the area's mix towards its industry instead of adding jobs.
    counts: IntArray = rng.multinomial(totals, shares / shares.sum(axis=1, keepdims=True)).astype(
        np.int64
    )
    if not later and not reduced:
        return counts
    planted_cells = {cell for cluster in [*planted, *later] for cell in cluster.cells}
    changed = {cell for cluster in later for cell in cluster.cells}
    for cells, section, multiplier in reduced:
        kept = sorted(set(cells) - planted_cells)
        shares[kept, INDUSTRY_CODES.index(section)] *= multiplier
        changed |= set(kept)
    _boost(shares, later, national)
    rows = np.array(sorted(changed), dtype=np.int64)
    adjusted = shares[rows] / shares[rows].sum(axis=1, keepdims=True)
    counts[rows] = rng.multinomial(totals[rows], adjusted)
    return counts


def _boost(shares: FloatArray, planted: Sequence[_PlantedCluster], national: FloatArray) -> None:
    """Multiply each planted area's share of its cluster's section by its multiplier."""
    for cluster in planted:
        column = INDUSTRY_CODES.index(cluster.spec.industry_code)
        for cell, multiplier in zip(cluster.cells, cluster.multipliers, strict=True):
            # Starting from at least the national share means no planted area can end up
            # unspecialised because its random draw happened to be low: the ground truth is
            # true in every planted area, not only on average.
            shares[cell, column] = max(shares[cell, column], national[column]) * multiplier


# --------------------------------------------------------------------------------------------
# Codes, names and output tables
# --------------------------------------------------------------------------------------------


def _dissolve(cells: GeometryArray, label: IntArray, n_labels: int) -> GeometryArray:
    """Union the cells of each label; exact shared edges make a coverage union valid."""
    return np.array(
        [shapely.coverage_union_all(cells[label == i]) for i in range(n_labels)], dtype=object
    )


@dataclass(frozen=True)
class _Frames:
    """Codes and names for every unit, and builders for the output tables."""

    geography: _Geography
    area_order: IntArray
    area_codes: tuple[str, ...]
    area_names: tuple[str, ...]
    district_codes: tuple[str, ...]
    district_names: tuple[str, ...]
    county_codes: tuple[str, ...]
    county_names: tuple[str, ...]

    @classmethod
    def from_geography(cls, geography: _Geography, rng: np.random.Generator) -> _Frames:
        """Name and code units the way ONS does: counties north to south, then by name."""
        district_name_pool = rng.permutation(np.array(_DISTRICT_NAMES))[:_N_DISTRICTS]
        county_name_pool = rng.permutation(np.array(_COUNTY_NAMES))[:_N_COUNTIES]
        xy = geography.xy
        label = geography.district_of_cell
        county_of_cell = geography.county_of_district[label]
        county_rank = _rank(
            [(-float(xy[county_of_cell == c, 1].mean()), c) for c in range(_N_COUNTIES)]
        )
        district_rank = _rank(
            [
                (int(county_rank[geography.county_of_district[d]]), str(district_name_pool[d]))
                for d in range(_N_DISTRICTS)
            ]
        )
        district_codes = tuple(f"X07{district_rank[d] + 1:06d}" for d in range(_N_DISTRICTS))
        county_codes = tuple(f"X10{county_rank[c] + 1:06d}" for c in range(_N_COUNTIES))

        # Areas are numbered within their district from north to south, as ONS numbers
        # MSOAs, and coded in district-code order.
        order = np.array(
            sorted(
                range(len(label)),
                key=lambda i: (district_rank[label[i]], -float(xy[i, 1]), float(xy[i, 0])),
            ),
            dtype=np.int64,
        )
        codes = [""] * len(label)
        names = [""] * len(label)
        within = [0] * _N_DISTRICTS
        for position, cell in enumerate(order.tolist()):
            district = int(label[cell])
            within[district] += 1
            codes[cell] = f"X02{position + 1:06d}"
            names[cell] = f"{district_name_pool[district]} {within[district]:03d}"
        return cls(
            geography=geography,
            area_order=order,
            area_codes=tuple(codes),
            area_names=tuple(names),
            district_codes=district_codes,
            district_names=tuple(str(n) for n in district_name_pool),
            county_codes=county_codes,
            county_names=tuple(str(n) for n in county_name_pool),
        )

    def areas(self) -> gpd.GeoDataFrame:
        """Return the area polygons sorted by code."""
        order = self.area_order
        return gpd.GeoDataFrame(
            {
                "area_code": [self.area_codes[i] for i in order],
                "area_name": [self.area_names[i] for i in order],
            },
            geometry=self.geography.cells[order],
            crs=WORKING_CRS,
        )

    def lookup(self) -> pd.DataFrame:
        """Return one row per area with its district, county, combined authority and region."""
        rows = []
        geography = self.geography
        for cell in self.area_order.tolist():
            district = int(geography.district_of_cell[cell])
            county = int(geography.county_of_district[district])
            ca = int(geography.ca_of_district[district])
            rows.append(
                {
                    "area_code": self.area_codes[cell],
                    "district_code": self.district_codes[district],
                    "district_name": self.district_names[district],
                    "county_code": self.county_codes[county],
                    "county_name": self.county_names[county],
                    "combined_authority_code": _ca_code(ca),
                    "combined_authority_name": _ca_name(ca),
                    "region_code": _REGION_CODE,
                    "region_name": _REGION_NAME,
                }
            )
        return pd.DataFrame(rows)

    def authorities(self) -> dict[str, gpd.GeoDataFrame]:
        """Return dissolved boundaries for each tier, sorted by code."""
        geography = self.geography
        district_of_cell = geography.district_of_cell
        county_of_cell = geography.county_of_district[district_of_cell]
        ca_of_cell = geography.ca_of_district[district_of_cell]
        n_ca = int(geography.ca_of_district.max()) + 1
        tiers = {
            "district": (
                list(self.district_codes),
                list(self.district_names),
                _dissolve(geography.cells, district_of_cell, _N_DISTRICTS),
            ),
            "county": (
                list(self.county_codes),
                list(self.county_names),
                _dissolve(geography.cells, county_of_cell, _N_COUNTIES),
            ),
            "combined_authority": (
                [_ca_code(i) for i in range(n_ca)],
                [_ca_name(i) for i in range(n_ca)],
                _dissolve(geography.cells, ca_of_cell, n_ca),
            ),
            "region": (
                [_REGION_CODE],
                [_REGION_NAME],
                np.array([shapely.coverage_union_all(geography.cells)], dtype=object),
            ),
        }
        result = {}
        for tier, (codes, names, geometry) in tiers.items():
            frame = gpd.GeoDataFrame(
                {"code": codes, "name": names}, geometry=geometry, crs=WORKING_CRS
            )
            result[tier] = frame.sort_values("code", ignore_index=True)
        return result

    def employment(self, counts: IntArray) -> pd.DataFrame:
        """Return tidy employment, sorted by area code and table order of sections."""
        ordered = counts[self.area_order]
        n_sections = len(INDUSTRY_CODES)
        return pd.DataFrame(
            {
                "area_code": np.repeat([self.area_codes[i] for i in self.area_order], n_sections),
                "industry_code": np.tile(np.array(INDUSTRY_CODES), len(ordered)),
                "employment": ordered.reshape(-1).astype(np.int64),
            }
        )

    def concentration_truth(self, plant: _PlantedCluster, lookup: pd.DataFrame) -> pd.DataFrame:
        """The planted concentration's area and its authorities."""
        code = self.area_codes[plant.cells[0]]
        row = lookup.set_index("area_code").loc[code]
        return pd.DataFrame(
            [
                {
                    "name": plant.spec.name,
                    "industry_code": plant.spec.industry_code,
                    "area_code": code,
                    "district_code": row["district_code"],
                    "county_code": row["county_code"],
                    "combined_authority_code": row["combined_authority_code"],
                }
            ]
        )

    def circular_truth(
        self, circular: Sequence[_PlantedCluster], lookup: pd.DataFrame
    ) -> pd.DataFrame:
        """The planted producers and users of construction waste, area by area."""
        indexed = lookup.set_index("area_code")
        rows = []
        for cluster in circular:
            side = "users" if cluster.spec.industry_code == _GAP_USERS_SECTION else "producers"
            for code in sorted(self.area_codes[c] for c in cluster.cells):
                row = indexed.loc[code]
                rows.append(
                    {
                        "name": cluster.spec.name,
                        "stream": "construction_demolition",
                        "side": side,
                        "industry_code": cluster.spec.industry_code,
                        "area_code": code,
                        "district_code": row["district_code"],
                        "county_code": row["county_code"],
                        "combined_authority_code": row["combined_authority_code"],
                    }
                )
        return pd.DataFrame(rows)

    def truth(
        self, planted: Sequence[_PlantedCluster], lookup: pd.DataFrame
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return the planted areas and one summary row per cluster with expected flags."""
        rows = [
            {
                "cluster_name": cluster.spec.name,
                "industry_code": cluster.spec.industry_code,
                "area_code": code,
            }
            for cluster in planted
            for code in sorted(self.area_codes[c] for c in cluster.cells)
        ]
        truth = pd.DataFrame(rows, columns=["cluster_name", "industry_code", "area_code"])
        indexed = lookup.set_index("area_code")
        summaries = []
        for cluster in planted:
            codes = sorted(self.area_codes[c] for c in cluster.cells)
            members = indexed.loc[codes]
            ca_codes = members["combined_authority_code"].dropna().astype(str)
            summaries.append(
                {
                    "cluster_name": cluster.spec.name,
                    "industry_code": cluster.spec.industry_code,
                    "n_areas": len(codes),
                    "districts": ";".join(sorted(set(members["district_code"].astype(str)))),
                    "counties": ";".join(sorted(set(members["county_code"].astype(str)))),
                    "combined_authorities": ";".join(sorted(set(ca_codes))),
                    "expected_flags": ";".join(
                        _expected_flags(
                            n_districts=members["district_code"].nunique(),
                            n_counties=members["county_code"].nunique(),
                            n_in_ca=len(ca_codes),
                            n_cas=ca_codes.nunique(),
                            n_areas=len(codes),
                        )
                    ),
                }
            )
        return truth, pd.DataFrame(summaries)


def _rank(keys: Sequence[tuple[object, ...]]) -> list[int]:
    """Return the rank (0-based) of each key when sorted."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    rank = [0] * len(keys)
    for position, index in enumerate(order):
        rank[index] = position
    return rank


def _ca_code(ca: int) -> str | None:
    return f"X47{ca + 1:06d}" if ca >= 0 else None


def _ca_name(ca: int) -> str | None:
    return _COMBINED_AUTHORITY_NAMES[ca] if ca >= 0 else None


def _expected_flags(
    *, n_districts: int, n_counties: int, n_in_ca: int, n_cas: int, n_areas: int
) -> list[str]:
    """Return the governance flags a correct governance stage should raise for a cluster.

    The vocabulary follows the product brief's plain flags, in snake case: ``single_authority``
    or ``straddles_districts``; ``straddles_counties``; ``outside_any_ca``,
    ``partly_outside_ca`` or ``straddles_cas``.
    """
    flags = ["single_authority" if n_districts == 1 else "straddles_districts"]
    if n_counties > 1:
        flags.append("straddles_counties")
    if n_in_ca == 0:
        flags.append("outside_any_ca")
    elif n_in_ca < n_areas:
        flags.append("partly_outside_ca")
    if n_cas > 1:
        flags.append("straddles_cas")
    return flags


def _wp605ew_table(region: DemoRegion) -> pd.DataFrame:
    """Lay out employment exactly like the Nomis WP605EW wide download."""
    wide = region.employment.pivot_table(
        index="area_code", columns="industry_code", values="employment", aggfunc="sum"
    )
    area_codes = region.areas["area_code"].astype(str).tolist()
    wide = wide.loc[area_codes, list(INDUSTRY_CODES)]
    labels = [
        f"{code} : {name}"
        for code, name in zip(area_codes, region.areas["area_name"].astype(str), strict=True)
    ]
    table = pd.DataFrame({_WP605EW_AREA_COLUMN: labels})
    table[_WP605EW_TOTAL_COLUMN] = wide.sum(axis=1).to_numpy()
    for code, name in zip(INDUSTRY_CODES, INDUSTRY_NAMES, strict=True):
        table[f"{code} {name}"] = wide[code].to_numpy()
    return table


def _readme_text(region: DemoRegion, n_areas: int) -> str:
    """Describe the synthetic files, their generation and the planted ground truth."""
    cluster_lines = [
        f"  - {row['cluster_name']}: section {row['industry_code']}, {row['n_areas']} areas; "
        f"districts {row['districts']}; counties {row['counties']}; "
        f"combined authorities {str(row['combined_authorities']) or 'none'}; "
        f"expected flags {row['expected_flags']}"
        for row in region.truth_summary.to_dict("records")
    ]
    return "\n".join(
        [
            "clustergeo demo region: SYNTHETIC DATA, NOT REAL PLACES OR REAL EMPLOYMENT",
            "",
            f"Generated by clustergeo.demo.region.write_demo_inputs(seed={region.seed}, "
            f"n_areas={n_areas}). The same seed always gives the same data.",
            "",
            "All codes start with X (areas X02, districts X07, counties X10, combined",
            "authorities X47, region X12) and all names are invented, so nothing here can be",
            f"mistaken for ONS geography. Region: {_REGION_NAME} ({_REGION_CODE}), EPSG:27700.",
            "",
            "How it was made:",
            "  - areas: Voronoi cells of random points (denser around made-up towns) clipped to",
            "    a convex outline of about 120 km x 90 km; neighbours share exact edges;",
            "  - districts: region growing on the area adjacency graph (each is contiguous);",
            "    counties: region growing on the district adjacency graph (they nest districts);",
            "  - combined authorities: the county around the largest town, and a few",
            "    contiguous districts elsewhere; other districts are in none;",
            "  - employment: lognormal area totals boosted near town centres; industry mix",
            "    drawn from a Dirichlet distribution centred on the England & Wales Census 2011",
            "    workplace population by industry section (ONS table WP605EW, Open Government",
            "    Licence v3.0), then multinomial counts;",
            "  - planted clusters: in a contiguous set of areas the share of one section is",
            "    multiplied by 6 (centre) to 3 (edge), keeping each area's total employment.",
            "",
            "Planted clusters (ground truth in truth.csv and truth_summary.csv):",
            *cluster_lines,
            "",
            "Planted concentration (truth_concentrations.csv): one area with a plant of",
            "section C (at least 6,000 jobs, share x 10) among neighbours that keep a fifth of",
            "their share of C, so Gi* cannot see it and it must be found as a concentration:",
            *[
                f"  - {row['name']}: area {row['area_code']}, district {row['district_code']}"
                for row in region.concentrations.to_dict("records")
            ],
            "",
            "Planted circular economy (truth_circular.csv): a construction (F) cluster and a",
            "waste-management (E) cluster side by side across a county line (the producers",
            "and users of construction and demolition waste), and a construction cluster with",
            f"no waste management within {_GAP_CLEAR_M / 1000:g} km (its areas keep a fifth of",
            "their share of E): the circular stage must find a zone and a gap.",
            *[
                f"  - {name}: {len(group)} areas, districts "
                f"{';'.join(sorted(set(group['district_code'])))}, counties "
                f"{';'.join(sorted(set(group['county_code'])))}"
                for name, group in region.circular.groupby("name", sort=False)
            ],
            "",
            "Files:",
            "  areas.gpkg                layer areas: area_code, area_name, geometry",
            "  authorities.gpkg          layers district, county, combined_authority, region",
            "  lookup.csv                area, district, county, combined authority, region",
            "  employment_wp605ew.csv    workplace employment by section, Nomis WP605EW layout",
            "  truth.csv                 every planted area",
            "  truth_summary.csv         one row per planted cluster",
            "  truth_concentrations.csv  the planted single-area concentration",
            "  truth_circular.csv        the planted producers and users of construction waste",
            "  sites.yaml                anchor sites at the planted clusters' centres",
            "",
        ]
    )
