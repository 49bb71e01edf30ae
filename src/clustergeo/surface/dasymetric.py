r"""Dasymetric allocation: spread each area's employment over the land where people work.

Census and BRES counts come by area (MSOA, LSOA...), but nobody works on most of an area's
land. Following the dasymetric method (Eicher & Brewer 2001, *Cartography and Geographic
Information Science* 28(2); Mennis 2003, *The Professional Geographer* 55(1)), each area's
count is split over the employment-bearing land inside it, in proportion to the land's area
times a relative density weight of its kind:

.. math::

    E_{pj} = E_{aj} \, \frac{w_{k(p)} \, |p|}{\sum_{q \subset a} w_{k(q)} \, |q|}

for piece :math:`p` of area :math:`a` (the land of kind :math:`k(p)` inside :math:`a`),
industry :math:`j` and kind weights :math:`w`. The shares of an area sum to one, so every
area's total, and hence every industry's total, is conserved. An area with no weighted land
keeps its employment spread over its whole polygon (kind ``"area"``, ``fallback`` True): no
worker is dropped because OpenStreetMap has not mapped their workplace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples
from clustergeo.surface.land import (
    DEFAULT_KIND_WEIGHTS,
    FALLBACK_KIND,
    exclusive_land,
    kind_rank,
    polygonal,
)

__all__ = ["PIECE_COLUMNS", "allocate"]

log = logging.getLogger(__name__)

#: Columns of the pieces before the industry columns (geometry comes last).
PIECE_COLUMNS = ("area_code", "kind", "fallback", "land_m2", "weight", "share")


def _check_areas(areas: gpd.GeoDataFrame, code_column: str, source: str) -> None:
    problems = Problems(source, "areas")
    if areas.crs is None or not areas.crs.is_projected:
        problems.add(
            f"the CRS is {areas.crs}; dasymetric allocation needs a projected CRS in metres "
            "(reproject the areas to EPSG:27700)"
        )
    if code_column not in areas.columns:
        problems.add(f"there is no '{code_column}' column; name the area code column")
        problems.raise_if_any()
    codes = areas[code_column]
    if codes.isna().any():
        rows = np.flatnonzero(codes.isna().to_numpy())
        problems.add(f"rows {format_examples(rows)} have no area code; fill or drop them")
    duplicated = codes[codes.duplicated()].astype(str).unique()
    if len(duplicated):
        problems.add(
            f"area codes {format_examples(duplicated)} appear more than once; dissolve "
            "multi-part areas into one row each"
        )
    geom_types = areas.geometry.geom_type
    bad = ~geom_types.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if bad.any():
        problems.add(
            f"areas {format_examples(codes[bad].astype(str))} have no polygon geometry; "
            "fix or drop them"
        )
    problems.raise_if_any()


def _check_employment(
    employment: pd.DataFrame, codes: pd.Index, source: str
) -> tuple[pd.DataFrame, list[str]]:
    """Float counts indexed by area code (string columns); codes of areas with no row."""
    problems = Problems(source, "employment table")
    index = employment.index.astype(str)
    duplicated = index[index.duplicated()].unique()
    if len(duplicated):
        problems.add(
            f"area codes {format_examples(duplicated)} have more than one row; sum them first"
        )
    unknown = index.difference(codes)
    if len(unknown):
        problems.add(
            f"area codes {format_examples(unknown)} are not among the areas, so their "
            "employment would be lost; add their boundaries or drop the rows"
        )
    columns = [str(column) for column in employment.columns]
    reserved = sorted(set(columns) & {*PIECE_COLUMNS, "geometry"})
    if reserved:
        problems.add(f"industry columns {format_examples(reserved)} clash with output columns")
    if len(set(columns)) != len(columns):
        problems.add("industry columns repeat once named as text; give each a distinct name")
    non_numeric = [
        str(column)
        for column in employment.columns
        if not pd.api.types.is_numeric_dtype(employment[column])
    ]
    if non_numeric:
        problems.add(
            f"columns {format_examples(non_numeric)} are not numbers; convert them (suppressed "
            "cells should be missing values, not text)"
        )
    problems.raise_if_any()
    counts = pd.DataFrame(
        employment.to_numpy(dtype="float64"), index=index, columns=pd.Index(columns)
    )
    values = counts.to_numpy()
    negative = np.argwhere(values < 0)
    infinite = np.argwhere(np.isinf(values))
    for cells, what in ((negative, "negative"), (infinite, "infinite")):
        if len(cells):
            labels = [f"{counts.index[r]}/{counts.columns[c]}" for r, c in cells]
            problems.add(
                f"{len(cells)} counts are {what} ({format_examples(labels)}); employment "
                "counts must be zero or more"
            )
    problems.raise_if_any()
    missing_rows = sorted(codes.difference(counts.index))
    return counts, missing_rows


def _check_weights(land: gpd.GeoDataFrame, weights: Mapping[str, float]) -> None:
    problems = Problems("the kind weights", "dasymetric allocation with")
    if "kind" not in land.columns:
        problems.add("the land has no 'kind' column; read it with read_employment_land")
        problems.raise_if_any()
    for kind, weight in weights.items():
        if not np.isfinite(weight) or weight < 0:
            problems.add(f"kind '{kind}' has weight {weight}; weights must be finite and ≥ 0")
    unknown = sorted(set(land["kind"].astype(str)) - set(weights))
    if unknown:
        problems.add(
            f"land kinds {format_examples(unknown)} have no weight; add them to the weights "
            "(0 to ignore that land)"
        )
    if FALLBACK_KIND in set(land["kind"].astype(str)):
        problems.add(f"'{FALLBACK_KIND}' is reserved for areas without land; rename that kind")
    problems.raise_if_any()


def _exclusive_parts(land: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The land dissolved by kind, made disjoint by precedence and split into single parts."""
    if land.empty:
        return land
    by_kind = land[["kind", "geometry"]].dissolve(by="kind", as_index=False)
    return exclusive_land(by_kind).explode(index_parts=False, ignore_index=True)


def _land_pieces(
    areas: gpd.GeoDataFrame, exclusive: gpd.GeoDataFrame, code_column: str
) -> gpd.GeoDataFrame:
    """Land of each kind inside each area: ``area_code``, ``kind``, ``land_m2``, geometry.

    ``exclusive`` is the whole land layer as :func:`_exclusive_parts` returns it. An area's
    pieces do not depend on the other areas, but they do on every part of the land: the
    STRtree lists an area's parts in an order set by all of them, and that order is the order
    the parts are dissolved and their areas summed in.
    """
    if exclusive.empty:
        return gpd.GeoDataFrame(
            {code_column: [], "kind": [], "land_m2": []}, geometry=[], crs=areas.crs
        )
    parts = np.asarray(exclusive.geometry.to_numpy())
    area_geoms = np.asarray(shapely.make_valid(areas.geometry.to_numpy()))
    tree = shapely.STRtree(parts)
    area_index, part_index = tree.query(area_geoms, predicate="intersects")
    overlap = shapely.intersection(area_geoms[area_index], parts[part_index])
    overlap = np.array([polygonal(geom) for geom in overlap], dtype=object)
    sizes = shapely.area(overlap)
    keep = sizes > 0
    raw = gpd.GeoDataFrame(
        {
            code_column: areas[code_column].to_numpy()[area_index[keep]],
            "kind": exclusive["kind"].to_numpy()[part_index[keep]],
            "land_m2": sizes[keep],
        },
        geometry=overlap[keep],
        crs=areas.crs,
    )
    if raw.empty:
        return raw
    return raw.dissolve(by=[code_column, "kind"], aggfunc={"land_m2": "sum"}, as_index=False)


def allocate(
    areas: gpd.GeoDataFrame,
    employment: pd.DataFrame,
    land: gpd.GeoDataFrame,
    weights: Mapping[str, float] = DEFAULT_KIND_WEIGHTS,
    *,
    code_column: str = "area_code",
    source: str = "the employment table",
) -> gpd.GeoDataFrame:
    r"""Split each area's employment over its employment-bearing land (dasymetric mapping).

    Parameters
    ----------
    areas
        Area polygons with a code column, in a projected CRS in metres (EPSG:27700).
    employment
        Areas x industries counts indexed by area code; NaN where a count is missing
        (suppressed). Areas absent from the table are allocated NaN.
    land
        Employment-bearing land with a ``kind`` column (as :func:`read_employment_land`
        returns); reprojected to the areas' CRS when needed. Overlaps are resolved by kind
        precedence (:func:`~clustergeo.surface.land.exclusive_land`), so no land counts twice.
    weights
        Relative employment density per m² of each land kind. A kind with weight 0 takes no
        employment. The default weights retail land at half the others.
    code_column
        Column of area codes in ``areas``; also the first column of the result.
    source
        How the employment table is named in error messages (e.g. its file).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area x land kind with a positive share, plus one ``"area"`` row (whole
        polygon, ``fallback`` True) per area without weighted land: ``area_code``, ``kind``,
        ``fallback``, ``land_m2`` (the piece's area), ``weight`` (its kind weight),
        ``share`` (:math:`w_k |p| / \sum_q w_{k(q)} |q|`, summing to 1 per area), one column per
        industry with the allocated employment (NaN where the area's count is NaN), and
        ``geometry``. ``attrs["report"]`` lists fallback areas and missing counts.

    Raises
    ------
    InputDataError
        On areas without a projected CRS, duplicate or unknown codes, negative or non-numeric
        counts, land kinds without a weight.
    """
    areas, counts, land, missing_rows = _checked_inputs(
        areas, employment, land, weights, code_column=code_column, source=source
    )
    pieces = _land_pieces(areas, _exclusive_parts(land), code_column)
    result = _allocated(areas, counts, pieces, weights, code_column)
    return _with_report(result, counts, missing_rows, pd.Index(areas[code_column]), code_column)


def _checked_inputs(
    areas: gpd.GeoDataFrame,
    employment: pd.DataFrame,
    land: gpd.GeoDataFrame,
    weights: Mapping[str, float],
    *,
    code_column: str,
    source: str,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame, list[str]]:
    """:func:`allocate`'s checks; the areas with text codes, counts, land in their CRS."""
    _check_areas(areas, code_column, source)
    areas = areas.reset_index(drop=True)
    codes = pd.Index(areas[code_column].astype(str))
    areas = areas.assign(**{code_column: codes.to_numpy()})
    counts, missing_rows = _check_employment(employment, codes, source)
    _check_weights(land, weights)
    if land.crs is None and not land.empty:
        raise InputDataError("The employment land has no CRS; set it (EPSG:27700) first.")
    if not land.empty and land.crs != areas.crs:
        land = land.to_crs(areas.crs)
    return areas, counts, land, missing_rows


def _allocated(
    areas: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    pieces: gpd.GeoDataFrame,
    weights: Mapping[str, float],
    code_column: str,
) -> gpd.GeoDataFrame:
    """:func:`allocate` on checked inputs and the areas' land pieces, without the report.

    An area's rows use only its own pieces and counts, so a subset of the areas (with their
    pieces) gives exactly those areas' rows, in the same order.
    """
    codes = pd.Index(areas[code_column])
    pieces["weight"] = pieces["kind"].map(dict(weights)).astype("float64")
    pieces["weighted"] = pieces["weight"] * pieces["land_m2"]
    pieces = pieces.loc[pieces["weighted"] > 0]
    totals = pieces.groupby(code_column)["weighted"].sum()
    # As float even when no piece is left (mapping an empty text column keeps its type).
    area_totals = pieces[code_column].map(totals).astype("float64")
    pieces = pieces.assign(share=pieces["weighted"] / area_totals, fallback=False)

    fallback_codes = codes.difference(totals.index, sort=False)
    whole = areas.loc[codes.isin(fallback_codes), [code_column, "geometry"]]
    fallback = gpd.GeoDataFrame(
        {
            code_column: whole[code_column].to_numpy(),
            "kind": FALLBACK_KIND,
            "fallback": True,
            "land_m2": whole.geometry.area.to_numpy(),
            "weight": np.nan,
            "share": 1.0,
        },
        geometry=whole.geometry.to_numpy(),
        crs=areas.crs,
    )
    columns = [code_column, *PIECE_COLUMNS[1:], "geometry"]
    joined = pd.concat(
        [frame[columns] for frame in (pieces, fallback) if not frame.empty], ignore_index=True
    )
    result = gpd.GeoDataFrame(joined, geometry="geometry", crs=areas.crs)
    # Area order, then kind precedence within an area, as a reader scans the table.
    positions = {code: position for position, code in enumerate(codes)}
    order = np.lexsort(
        (kind_rank(result["kind"].astype(str).tolist()), result[code_column].map(positions))
    )
    result = result.iloc[order].reset_index(drop=True)

    per_area = counts.reindex(result[code_column]).to_numpy()
    allocated = per_area * result["share"].to_numpy()[:, None]
    industry = pd.DataFrame(allocated, columns=counts.columns, index=result.index)
    return gpd.GeoDataFrame(
        pd.concat([result.drop(columns="geometry"), industry, result[["geometry"]]], axis=1),
        geometry="geometry",
        crs=areas.crs,
    )


def _with_report(
    result: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    missing_rows: list[str],
    codes: pd.Index,
    code_column: str,
) -> gpd.GeoDataFrame:
    """``result`` with ``attrs["report"]`` set (and its findings logged)."""
    fallback_codes = pd.Index(result.loc[result["fallback"].to_numpy(dtype=bool), code_column])
    result.attrs["report"] = _report(codes, counts, fallback_codes, missing_rows)
    return result


def _report(
    codes: pd.Index, counts: pd.DataFrame, fallback_codes: pd.Index, missing_rows: list[str]
) -> dict[str, object]:
    missing = {
        str(column): sorted(counts.index[counts[column].isna()].astype(str))
        for column in counts.columns
        if counts[column].isna().any()
    }
    report: dict[str, object] = {
        "areas": len(codes),
        "fallback_areas": sorted(fallback_codes.astype(str)),
        "areas_without_employment_rows": missing_rows,
        "missing_counts": missing,
    }
    if len(fallback_codes):
        log.info(
            "%d of %d areas have no employment land; their employment covers the whole area: %s",
            len(fallback_codes),
            len(codes),
            format_examples(sorted(fallback_codes)),
        )
    if missing_rows:
        log.warning(
            "%d areas have no employment row; their allocation is missing: %s",
            len(missing_rows),
            format_examples(missing_rows),
        )
    for column, missing_codes in missing.items():
        log.warning(
            "Industry %s has missing counts in %d areas; their pieces stay missing: %s",
            column,
            len(missing_codes),
            format_examples(missing_codes),
        )
    return report
