"""Detect the boundary vintage of area codes and convert counts between vintages.

ONS redraws small areas and merges districts: 2021 MSOAs split 76 of the 2011 MSOAs and merged
38 others; North Northamptonshire replaced four districts in 2021. A table on one vintage and
boundaries on another do not join. With a lookup of old and new codes (ONS "MSOA (2011) to
MSOA (2021)", or the LAD changes list in ``boundaries_ons_uk_topojson/changes.csv``), counts are
moved to the boundaries' vintage by this rule:

* an area whose code maps to exactly one code (unchanged, renamed or merged) moves whole:
  merged areas are summed, which is exact;
* an area split between several areas of the other vintage is shared between them in
  proportion to their areas in the boundary file (``split: area``). When the pieces nest inside
  the old area (an ONS split, or an ONS merger read backwards) their areas are the shares of
  its land, so the rule is area-weighted interpolation; it assumes the jobs are spread evenly
  over the old area's land, and the report says how many jobs were shared this way. Irregular
  changes (ONS change indicator ``X``) are shared the same way, an approximation the report
  names. ``split: refuse`` stops instead;
* codes that are not in the lookup stay as they are;
* a suppressed cell (missing) makes every cell it moves into missing: a sum that includes an
  unknown count is unknown.

Chains of changes (Taunton Deane → Somerset West and Taunton in 2019 → Somerset in 2023) are
followed to their end. Which way to convert is read from the codes: the side of the lookup
whose retired codes the table uses is its vintage; the boundaries say the other.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples
from clustergeo.config import VintageConfig
from clustergeo.ingest.employment import EmploymentTable
from clustergeo.ingest.joins import DISTRICT_LEVEL, gss_level
from clustergeo.io import read_text

__all__ = [
    "VintageLookup",
    "VintageWeights",
    "convert_to_boundary_vintage",
    "read_vintage_lookup",
    "vintage_of",
    "vintage_weights",
]

log = logging.getLogger(__name__)

Side = Literal["older", "newer", "unchanged", "mixed"]


@dataclass(frozen=True)
class VintageLookup:
    """Pairs of older and newer codes, with where they came from."""

    pairs: pd.DataFrame
    """``older``, ``newer``: one row per pair (many-to-many allowed)."""
    source: Path
    rows: pd.DataFrame | None = None
    """The lookup's rows as read (after ``where``), every column as text."""

    @property
    def retired(self) -> set[str]:
        """Codes of the older vintage that the newer one no longer has."""
        return set(self.pairs["older"]) - set(self.pairs["newer"])

    @property
    def created(self) -> set[str]:
        """Codes of the newer vintage that the older one did not have."""
        return set(self.pairs["newer"]) - set(self.pairs["older"])


def read_vintage_lookup(path: Path, spec: VintageConfig) -> VintageLookup:
    """Read a lookup CSV of older and newer codes.

    Raises
    ------
    InputDataError
        For an empty or unreadable file, missing columns, or ``where`` keeping no rows.
    """
    notes: list[str] = []
    text = read_text(path, notes)
    if not text.strip():
        raise InputDataError(f"Vintage lookup {path} is empty: download it again.")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, on_bad_lines="skip")
    frame.columns = [c.strip() for c in frame.columns]
    wanted = [spec.from_column, spec.to_column, *spec.where]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"Vintage lookup {path} has no column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; its columns are {format_examples(frame.columns, 12)}. Fix "
            "employment.vintage in the config."
        )
    for column, values in spec.where.items():
        frame = frame.loc[frame[column].str.strip().isin(values)]
    pairs = pd.DataFrame(
        {"older": frame[spec.from_column].str.strip(), "newer": frame[spec.to_column].str.strip()}
    )
    pairs = pairs.loc[(pairs["older"] != "") & (pairs["newer"] != "")].drop_duplicates()
    if pairs.empty:
        raise InputDataError(
            f"Vintage lookup {path} has no pairs of codes"
            + (f" with {spec.where}" if spec.where else "")
            + "; check employment.vintage."
        )
    return VintageLookup(pairs=_follow_chains(pairs), source=Path(path), rows=frame)


# When a change took effect, as a lookup's column may give it: a year (2023), an ISO date
# (2023-04-01) or a UK one (01/04/2023, as the ONS code history writes it), with or without a
# time; four digits outside 1950-2099 (an identifier such as 5000) are not a year.
_YEAR = r"(19[5-9]\d|20\d\d)"
_ISO_DATE = re.compile(rf"^{_YEAR}(-\d{{2}}-\d{{2}})?([ T][\d:.]+)?$")
_UK_DATE = re.compile(rf"^(\d{{2}})/(\d{{2}})/{_YEAR}([ T][\d:.]+)?$")


def _as_iso_date(value: str) -> str | None:
    """``value`` as an ISO year or date, which order as text; None if it is not one."""
    value = value.strip()
    if match := _ISO_DATE.match(value):
        return value[: len(match.group(1)) + len(match.group(2) or "")]
    if match := _UK_DATE.match(value):
        return f"{match.group(3)}-{match.group(2)}-{match.group(1)}"
    return None


def _why_mixed(codes: set[str], lookup: VintageLookup, spec: VintageConfig) -> str | None:
    """Why a table seems to mix a lookup's vintages, when the lookup's rows say more.

    A table holding both codes of one row (an area and the one that replaced it) says that
    row is not a change of the table's vintage. Rows mapping a code to another geography (a
    district to its combined authority) are memberships, not new codes. And when the changes
    that create the table's codes are all dated before those that retire them, the table is of
    one vintage between them. Each way, ``where`` keeps the changes that matter.
    """
    rows = lookup.rows
    if rows is None:
        return None
    older = rows[spec.from_column].str.strip()
    newer = rows[spec.to_column].str.strip()
    older_level, newer_level = older.map(gss_level), newer.map(gss_level)
    across = older_level.notna() & newer_level.notna() & (older_level != newer_level)
    advice = []
    both = older.isin(codes) & newer.isin(codes) & (older != newer) & ~across
    if both.any():
        pairs = (older[both] + " → " + newer[both]).drop_duplicates().tolist()
        advice.append(
            f"the table has both codes of {format_examples(pairs, 3)}: if the old area still "
            f"exists in the table's vintage, that row of {lookup.source.name} does not apply "
            "to it"
        )
    if across.any():
        examples = (older[across] + " → " + newer[across]).tolist()
        advice.append(
            f"{int(across.sum())} rows map a code to another geography "
            f"({format_examples(examples, 2)}): memberships, not new codes"
        )
    retiring = rows.loc[~across & older.isin(codes)]
    creating = rows.loc[~across & newer.isin(codes)]
    for column in rows.columns.drop([spec.from_column, spec.to_column]):
        later, earlier = set(retiring[column]), set(creating[column])
        read = {value: _as_iso_date(value) for value in later | earlier}
        dates = {value: date for value, date in read.items() if date is not None}
        if not later or not earlier or len(dates) < len(read):
            continue
        if max(map(dates.__getitem__, earlier)) >= min(map(dates.__getitem__, later)):
            continue
        advice.append(
            f"the changes that retire the table's codes date from {column} "
            f"{format_examples(sorted(later, key=dates.__getitem__), 4)} and those that create "
            f"its codes from {format_examples(sorted(earlier, key=dates.__getitem__), 4)}, so "
            "the table is of one vintage between them"
        )
        break
    if not advice:
        return None
    return (
        f"In {lookup.source.name}, " + "; ".join(advice) + ". Keep only the changes between the "
        "table's vintage and the boundaries' with employment.vintage.where (rows by the values "
        "of a column)."
    )


def _follow_chains(pairs: pd.DataFrame) -> pd.DataFrame:
    """Replace a newer code that later changed again by its own successor, to the end."""
    for _ in range(20):
        onward = pairs.merge(
            pairs.rename(columns={"older": "newer", "newer": "next"}), on="newer", how="left"
        )
        changed = onward["next"].notna() & (onward["next"] != onward["newer"])
        if not changed.any():
            break
        onward["newer"] = onward["next"].where(changed, onward["newer"])
        pairs = onward[["older", "newer"]].drop_duplicates().reset_index(drop=True)
    return pairs


def vintage_of(codes: set[str], lookup: VintageLookup) -> tuple[Side, int]:
    """Which side of the lookup a set of codes is on, and how many codes say so.

    ``older`` when it uses codes the newer vintage retired, ``newer`` when it uses codes
    created since, ``unchanged`` when it uses neither, ``mixed`` when it uses both.
    """
    older = len(codes & lookup.retired)
    newer = len(codes & lookup.created)
    if older and newer:
        return "mixed", older + newer
    if older:
        return "older", older
    if newer:
        return "newer", newer
    return "unchanged", 0


@dataclass(frozen=True)
class VintageWeights:
    """How each source code's counts are shared between target codes."""

    weights: pd.DataFrame
    """``source``, ``target``, ``weight``; the weights of one source add up to 1."""
    split_sources: list[str]
    """Sources shared between several targets by area."""
    kept_sources: list[str]
    """Split sources none of whose pieces are in the boundary file: kept under their own code
    (they lie outside the boundaries, and count only towards reference totals)."""

    def sources_by_kind(self) -> dict[str, set[str]]:
        """Sources that are unchanged, renamed, merged (with others) or split."""
        single = self.weights.loc[
            ~self.weights["source"].isin(self.split_sources)
            & ~self.weights["source"].isin(self.kept_sources)
        ]
        per_target = single.groupby("target")["source"].transform("nunique")
        same = single["source"] == single["target"]
        return {
            "unchanged": set(single.loc[same, "source"]),
            "renamed": set(single.loc[~same & (per_target == 1), "source"]),
            "merged": set(single.loc[per_target > 1, "source"]),
            "split": set(self.split_sources),
        }


def vintage_weights(
    pairs: pd.DataFrame,
    *,
    target_areas: gpd.GeoSeries | None,
    split: Literal["area", "refuse"],
    what: str,
) -> VintageWeights:
    r"""Weights moving counts from source codes to target codes.

    Parameters
    ----------
    pairs
        ``source``, ``target`` pairs from the lookup, in the direction of the conversion.
    target_areas
        Target polygons indexed by code (the boundary file), for sharing split areas.
    split
        ``"area"`` or ``"refuse"`` for sources with several targets.
    what
        A phrase naming the conversion, for messages.

    Returns
    -------
    VintageWeights

    Raises
    ------
    InputDataError
        When a split area cannot be shared: ``split: refuse``, no boundary file, or a boundary
        file holding some of its pieces but not all.

    Notes
    -----
    For a source ``s`` with targets :math:`T(s)`, :math:`w_{st} = 1` when :math:`|T(s)| = 1`,
    else :math:`w_{st} = A_t / \sum_{u \in T(s)} A_u` with :math:`A_t` the area of target
    ``t``: areal weighting (Goodchild & Lam 1980), exact in land shares when the targets nest
    in the source.
    """
    counts = pairs.groupby("source")["target"].transform("nunique")
    single = pairs.loc[counts == 1].assign(weight=1.0)
    several = pairs.loc[counts > 1]
    split_sources = sorted(several["source"].unique())
    if split_sources and split == "refuse":
        raise InputDataError(
            f"{len(split_sources)} areas are split between several areas in {what} "
            f"({format_examples(split_sources)}) and employment.vintage.split is 'refuse'. "
            "Use boundaries of the table's own vintage, or set split: area."
        )
    kept: list[str] = []
    shared = several.assign(weight=pd.Series(dtype="float64"))
    if split_sources:
        if target_areas is None:
            raise InputDataError(
                f"{len(split_sources)} areas are split between several areas in {what} "
                f"({format_examples(split_sources)}); sharing their counts by area needs the "
                "boundaries of the new areas. Give the areas file, or use a table of the "
                "boundaries' vintage."
            )
        areas = target_areas.area
        present = several["target"].isin(areas.index)
        pieces_in = present.groupby(several["source"]).agg(["any", "all"])
        partly = sorted(pieces_in.index[pieces_in["any"] & ~pieces_in["all"]])
        if partly:
            raise InputDataError(
                f"Areas split in {what} have pieces both inside and outside the boundary file "
                f"({format_examples(partly)}): the boundary file must hold every piece of a "
                "split area it holds any piece of."
            )
        kept = sorted(pieces_in.index[~pieces_in["any"]])
        inside = several.loc[~several["source"].isin(kept)]
        inside = inside.assign(area=inside["target"].map(areas).to_numpy())
        total = inside.groupby("source")["area"].transform("sum")
        shared = inside.assign(weight=(inside["area"] / total).to_numpy()).drop(columns="area")
        shared = pd.concat(
            [shared, pd.DataFrame({"source": kept, "target": kept, "weight": 1.0})],
            ignore_index=True,
        )
        split_sources = sorted(set(split_sources) - set(kept))
    weights = pd.concat([single, shared], ignore_index=True)
    return VintageWeights(weights=weights, split_sources=split_sources, kept_sources=kept)


def _move(frame: pd.DataFrame, value: str, keys: list[str], weights: pd.DataFrame) -> pd.DataFrame:
    """Move ``value`` of each row from its area code to the targets, summing what lands together.

    A missing value stays missing wherever it lands: the sum of an unknown count is unknown.
    """
    moved = frame.merge(weights, left_on="area_code", right_on="source", how="left")
    mapped = moved["target"].notna()
    moved["area_code"] = moved["target"].where(mapped, moved["area_code"])
    moved[value] = moved[value] * moved["weight"].where(mapped, 1.0)
    moved["_missing"] = moved[value].isna()
    grouped = moved.groupby(keys, sort=False, dropna=False)
    summed = grouped[value].sum(min_count=1)
    has_missing = grouped["_missing"].any()
    return summed.where(~has_missing, np.nan).reset_index()


def convert_to_boundary_vintage(
    table: EmploymentTable,
    spec: VintageConfig,
    lookup_path: Path,
    areas: gpd.GeoDataFrame | None,
) -> tuple[EmploymentTable, list[str]]:
    """Move a table's counts to the vintage of the boundaries (see the module docstring).

    Parameters
    ----------
    table
        The employment table.
    spec
        ``employment.vintage``.
    lookup_path
        The lookup CSV, resolved.
    areas
        The boundary file's areas (``area_code``, geometry in a projected CRS), or None for a
        run without polygons (the table then goes to the lookup's newer vintage, and split
        areas cannot be shared).

    Returns
    -------
    table, notes
        The converted table and what moved, for the report.

    Raises
    ------
    InputDataError
        When the table mixes vintages, or split areas cannot be shared.
    """
    lookup = read_vintage_lookup(lookup_path, spec)
    table_codes = set(table.data["area_code"])
    table_side, table_count = vintage_of(table_codes, lookup)
    if table_side == "mixed":
        raise InputDataError(
            f"Employment file {table.source} mixes codes of both vintages of {lookup.source.name}: "
            f"{format_examples(sorted(table_codes & lookup.retired), 3)} were retired and "
            f"{format_examples(sorted(table_codes & lookup.created), 3)} created. "
            + (_why_mixed(table_codes, lookup, spec) or "Download the table for one vintage.")
        )
    boundary_side: Side = "newer"
    if areas is not None:
        boundary_side, _ = vintage_of(set(areas["area_code"]), lookup)
    if boundary_side == "mixed":
        raise InputDataError(
            f"The boundary file mixes codes of both vintages of {lookup.source.name}: use "
            "boundaries of one vintage."
        )
    skip_reason = None
    if table_side == "unchanged":
        skip_reason = "the table uses no code that changed between its vintages"
    elif table_side == boundary_side:
        skip_reason = f"the table and the boundaries are on the same ({table_side}) vintage"
    elif boundary_side == "unchanged":
        skip_reason = (
            "the boundaries use no code that changed, so the table's changed codes lie outside them"
        )
    if skip_reason:
        return table, [
            f"area codes checked against {lookup.source.name}: {skip_reason}; nothing converted"
        ]
    forward = table_side == "older"
    pairs = lookup.pairs.rename(
        columns={"older": "source", "newer": "target"}
        if forward
        else {"newer": "source", "older": "target"}
    )
    what = f"{lookup.source.name} ({'older → newer' if forward else 'newer → older'} codes)"
    target_areas = None
    if areas is not None:
        target_areas = gpd.GeoSeries(
            areas.geometry.to_numpy(), index=areas["area_code"], crs=areas.crs
        )
    weights = vintage_weights(pairs, target_areas=target_areas, split=spec.split, what=what)
    used = weights.weights.loc[weights.weights["source"].isin(table_codes)]
    data = _move(table.data, "employment", ["area_code", "industry_code", "year"], used)
    data = data[["area_code", "industry_code", "year", "employment"]]
    year_totals = table.year_totals
    if year_totals is not None:
        year_totals = _move(year_totals, "total", ["area_code", "year"], used)[
            ["area_code", "year", "total"]
        ]
    split_rows = table.data["area_code"].isin(weights.split_sources)
    shared = float(table.data.loc[split_rows, "employment"].sum())
    total = float(table.data["employment"].sum())
    kinds = {
        kind: len(sources & table_codes) for kind, sources in weights.sources_by_kind().items()
    }
    outside = len(set(weights.kept_sources) & table_codes)
    note = (
        f"converted area codes from the {'older' if forward else 'newer'} to the "
        f"{'newer' if forward else 'older'} vintage of {lookup.source.name} "
        f"({table_count} codes of the table are {'retired' if forward else 'new'} codes): "
        f"{kinds['unchanged']} areas unchanged, {kinds['renamed']} renamed, "
        f"{kinds['merged']} merged (summed), {kinds['split']} split between several areas "
        f"with their counts shared by area ({shared:,.0f} of {total:,.0f}, "
        f"{shared / total if total else 0:.2%}, estimated); "
        f"{int(table.data['area_code'].nunique())} areas became "
        f"{int(data['area_code'].nunique())}"
        + (
            f"; {outside} split areas wholly outside the boundary file kept their codes"
            if outside
            else ""
        )
    )
    _warn_districts_split(weights, table_codes, lookup.source.name)
    converted = replace(
        table,
        data=data,
        year_totals=year_totals,
        notes=[*table.notes, note],
        area_names=_renamed_names(table.area_names, weights),
    )
    return converted, [note]


def _renamed_names(names: dict[str, str], weights: VintageWeights) -> dict[str, str]:
    """The table's area names under the codes its areas now have.

    A renamed code keeps its area's name. A merged or split area is a different area from
    any the table named, so it takes the boundary file's name: none is given for it here.
    """
    if not names:
        return names
    kinds = weights.sources_by_kind()
    renamed = weights.weights.loc[weights.weights["source"].isin(kinds["renamed"])]
    moved = {
        str(target): names[str(source)]
        for source, target in zip(renamed["source"], renamed["target"], strict=True)
        if str(source) in names
    }
    gone = (kinds["renamed"] | kinds["merged"] | kinds["split"]) - set(weights.kept_sources)
    return {code: name for code, name in names.items() if code not in gone} | moved


def _warn_districts_split(weights: VintageWeights, table_codes: set[str], lookup: str) -> None:
    """Warn where the lookup splits a district: its counts are shared out by land area.

    ONS merges districts (and the areas made of them) but never splits one.
    """
    split = [
        c
        for c in weights.split_sources
        if c in table_codes and (gss_level(c) or 0) >= DISTRICT_LEVEL
    ]
    if not split:
        return
    pieces = weights.weights.loc[weights.weights["source"].isin(split)]
    mapped = [
        f"{source} to {', '.join(sorted(group['target']))}"
        for source, group in pieces.groupby("source")
    ]
    log.warning(
        "%s maps %s: districts are merged, never split, so a row of the lookup is probably "
        "wrong; their values are shared out by land area meanwhile",
        lookup,
        format_examples(mapped, 4),
    )
