"""Change over time in the outputs: growth maps and layers, and the report's growth section.

Growth is mapped in fixed classes of the compound annual growth rate (CAGR), the same in every
map and in QGIS: a diverging ColorBrewer PuOr ramp (colour-blind safe, and monotone in
greyscale), orange for decline and purple for growth, with a neutral "stable" class and grey
where a series has no rate (it starts at zero, or a value is suppressed). Values in current
prices (GVA) are classed against the industry's own growth in the reference instead: prices
rose over any long period, so by its cash growth almost every area would be "growing". Nothing
here reads the config: the publish stage passes the tables and a :class:`GrowthSummary`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from clustergeo.governance.summaries import first_few, plural
from clustergeo.publish.figures import FigureJob, bind_named
from clustergeo.publish.framing import Framing
from clustergeo.publish.map_geometry import MapGeometry
from clustergeo.publish.plotting import geometry_for_map, plot_category_map
from clustergeo.publish.qgis_styles import LayerStyle, category_style
from clustergeo.publish.report import Block
from clustergeo.publish.series_breaks import CHECK, RULE_WORDS, series_break

__all__ = [
    "GROWTH_CLASSES",
    "GrowthSummary",
    "against_industry",
    "change_map_jobs",
    "classify_growth",
    "default_column",
    "growth_blocks",
    "growth_layers",
    "growth_map_jobs",
    "growth_styles",
    "industry_cagr",
    "mapped_columns",
    "stub",
]

#: CAGR classes: (value, legend label, colour, lower bound). Lower bounds are inclusive.
GROWTH_CLASSES: tuple[tuple[str, str, str, float], ...] = (
    ("decline_fast", "falling 3% a year or more", "#e66101", -np.inf),
    ("decline", "falling 1–3% a year", "#fdb863", -0.03),
    ("stable", "within ±1% a year", "#f7f7f7", -0.01),
    ("growth", "growing 1–3% a year", "#b2abd2", 0.01),
    ("growth_fast", "growing 3% a year or more", "#5e3c99", 0.03),
)
NO_RATE = ("no_rate", "no rate (starts at zero, or a value is missing)", "#bdbdbd")
#: The classes' legend labels when growth is classed against the industry's in the reference.
_AGAINST_INDUSTRY_LABELS = {
    "decline_fast": "3% a year or more slower",
    "decline": "1–3% a year slower",
    "stable": "within 1% a year",
    "growth": "1–3% a year faster",
    "growth_fast": "3% a year or more faster",
}
_LAYER = "growth_areas"


@dataclass(frozen=True)
class GrowthSummary:
    """What the growth stage compared, in the words of the report and the maps."""

    base_year: int
    end_year: int
    measure_label: str
    reference: str
    reference_growth: float
    method: str
    #: Class growth against the industry's own growth in the reference (values in current
    #: prices, whose cash growth is mostly inflation), rather than around zero.
    against_industry: bool = False

    @property
    def years(self) -> int:
        """Years between the base and end years."""
        return self.end_year - self.base_year

    @property
    def reference_cagr(self) -> float:
        """The reference economy's compound annual growth rate."""
        return float((1 + self.reference_growth) ** (1 / self.years) - 1)

    @property
    def period(self) -> str:
        """``2015–2021``."""
        return f"{self.base_year}–{self.end_year}"


def industry_cagr(shift_share: pd.DataFrame) -> pd.Series:
    """Each industry's compound annual growth in the reference, by industry code.

    From the shift-share table's ``industry_growth`` (the reference's growth of the industry
    over the period, the same on every area's row).
    """
    first = shift_share.drop_duplicates("industry_code").set_index("industry_code")
    years = (first["end_year"] - first["start_year"]).astype("float64")
    growth = first["industry_growth"].astype("float64")
    # An industry gone from the reference (growth -100%) has no rate to compare with.
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (1.0 + growth) ** (1.0 / years) - 1.0
    return rate.where((growth > -1.0) & (years > 0))


def against_industry(cagr: pd.Series, industry: float) -> pd.Series:
    """Growth relative to an industry growing at ``industry`` a year: ``(1 + g) / (1 + G) - 1``.

    Zero for an area that kept pace with the industry; missing where either rate is, or where
    the industry vanished (``G`` = -100%).
    """
    if not 1.0 + industry > 0.0:
        return pd.Series(np.nan, index=cagr.index)
    return (1.0 + cagr.astype("float64")) / (1.0 + industry) - 1.0


def classify_growth(cagr: pd.Series) -> pd.Series:
    """Each CAGR's class value (:data:`GROWTH_CLASSES`), ``no_rate`` where it is missing."""
    values = cagr.astype("float64").to_numpy()
    bounds = np.array([lower for *_rest, lower in GROWTH_CLASSES])
    names = np.array([value for value, *_rest in GROWTH_CLASSES])
    position = np.searchsorted(bounds, values, side="right") - 1
    classes = names[np.clip(position, 0, len(names) - 1)]
    return pd.Series(np.where(np.isnan(values), NO_RATE[0], classes), index=cagr.index)


def _categories(against_industry: bool = False) -> dict[str, tuple[str, str]]:
    items = {
        value: (_AGAINST_INDUSTRY_LABELS[value] if against_industry else label, colour)
        for value, label, colour, _lower in reversed(GROWTH_CLASSES)
    }
    return items | {NO_RATE[0]: (NO_RATE[1], NO_RATE[2])}


def stub(code: str) -> str:
    """An industry code safe in column and file names: ``CA-CB (10-15)`` → ``ca_cb_10_15``."""
    return re.sub(r"[^0-9a-z]+", "_", code.lower()).strip("_")


def mapped_columns(growth: pd.DataFrame, limit: int = 30) -> list[tuple[str, str]]:
    """The (code, label) mapped: the cluster definitions, else up to ``limit`` industries."""
    kinds = growth.drop_duplicates("industry_code")
    chosen = kinds.loc[kinds["kind"] == "cluster"]
    if chosen.empty:
        chosen = kinds.loc[kinds["kind"] == "industry"].head(limit)
    return [
        (str(c), str(label))
        for c, label in zip(chosen["industry_code"], chosen["label"], strict=True)
    ]


def growth_layers(
    areas: gpd.GeoDataFrame,
    growth: pd.DataFrame,
    shift_share: pd.DataFrame,
    findings: pd.DataFrame | None,
    *,
    against: bool = False,
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """GeoPackage layers: areas with each mapped column's growth, and the long tables.

    ``growth_areas`` has, per mapped definition (or industry) ``<key>``: ``<key>_cagr``,
    ``<key>_change``, ``<key>_lq_change`` and ``<key>_growth`` (the map class). With
    ``against`` (:attr:`GrowthSummary.against_industry`) it also has
    ``<key>_cagr_against_industry`` (:func:`against_industry`), which the class is of.
    """
    frames = []
    rates = industry_cagr(shift_share) if against else pd.Series(dtype="float64")
    for code, _label in mapped_columns(growth):
        rows = growth.loc[growth["industry_code"] == code].set_index("area_code")
        key = stub(code)
        columns = {
            f"{key}_cagr": rows["cagr"],
            f"{key}_change": rows["change"],
            f"{key}_lq_change": rows["lq_change"],
        }
        classed = rows["cagr"]
        if against:
            classed = against_industry(rows["cagr"], float(rates.get(code, np.nan)))
            columns[f"{key}_cagr_against_industry"] = classed
        columns[f"{key}_growth"] = classify_growth(classed)
        frames.append(pd.DataFrame(columns))
    keep = [c for c in ("area_code", "area_name", "district_name", "geometry") if c in areas]
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    if frames:
        layers[_LAYER] = areas[keep].merge(
            pd.concat(frames, axis=1), left_on="area_code", right_index=True, how="left"
        )
    layers["growth"] = growth
    layers["shift_share"] = shift_share
    if findings is not None:
        layers["finding_growth"] = findings
    return layers


def growth_styles(
    growth: pd.DataFrame, *, against: bool = False, first: str | None = None
) -> list[LayerStyle]:
    """One QGIS style per mapped column on ``growth_areas``, in the maps' classes and colours.

    The layer opens on ``first`` (the industry the project's other layers open on), else on
    the first column.
    """
    categories = [(value, label, colour) for value, (label, colour) in _categories(against).items()]
    relative = " against the industry's growth in the reference" if against else ""
    columns = mapped_columns(growth)
    default = default_column(columns, first)
    return [
        category_style(
            _LAYER,
            f"{stub(code)}_growth",
            categories,
            name=f"Growth: {label}",
            description=f"Compound annual growth of {label}{relative}, fixed classes",
            default=code == default,
        )
        for code, label in columns
    ]


def default_column(columns: Sequence[tuple[str, str]], first: str | None) -> str | None:
    """The code a layer of ``columns`` opens on: ``first`` if it is one of them, else the first."""
    codes = [code for code, _label in columns]
    return first if first in codes else next(iter(codes), None)


def change_map_jobs(
    layer: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    kind: str,
    categories: dict[str, tuple[str, str]],
    legend_title: str,
    heading: str,
    subtitle: str | Mapping[str, str],
    framing: Framing,
    boundaries: Mapping[str, gpd.GeoDataFrame],
    geometry: MapGeometry | None = None,
    places: pd.DataFrame | None = None,
) -> list[FigureJob]:
    """One category map of column ``<key>_<kind>`` per mapped column (``figures/<kind>_<key>``).

    Each is titled "<industry>: <heading>", as jobs to draw; ``subtitle`` is every map's, or
    each one's by its code. ``geometry`` is the areas' as the run's other maps draw them, where
    it is of the same areas; else it is prepared here, once for every map, rather than by each
    map. ``places`` (``name``, ``x``, ``y``, ``km2``) are named on each map, as on the findings
    map (:func:`~clustergeo.publish.cluster_maps.name_places`).
    """
    columns = mapped_columns(table)
    if not columns:
        return []
    if geometry is None:
        geometry = geometry_for_map(layer, boundaries)

    def job(code: str, label: str) -> FigureJob:
        draw = bind_named(
            plot_category_map,
            places,
            layer,
            f"{stub(code)}_{kind}",
            categories,
            legend_title=legend_title,
            title=framing.heading(f"{label}: {heading}"),
            subtitle=subtitle if isinstance(subtitle, str) else subtitle[code],
            boundaries=boundaries,
            attribution=framing.attribution,
            source=framing.source_line,
            geometry=geometry,
        )
        return FigureJob(f"{kind}_{stub(code)}", draw)

    return [job(code, label) for code, label in columns]


def growth_map_jobs(
    layer: gpd.GeoDataFrame,
    growth: pd.DataFrame,
    *,
    summary: GrowthSummary,
    framing: Framing,
    boundaries: Mapping[str, gpd.GeoDataFrame],
    shift_share: pd.DataFrame | None = None,
    geometry: MapGeometry | None = None,
    places: pd.DataFrame | None = None,
) -> list[FigureJob]:
    """One growth map per mapped column (``figures/growth_<key>``), as jobs to draw.

    Classed against the industry's growth in the reference (from ``shift_share``) where
    ``summary.against_industry``, else around zero; ``places`` as for
    :func:`change_map_jobs`.
    """
    subtitle: str | dict[str, str] = (
        f"Compound annual growth of {summary.measure_label}, {summary.period}. "
        f"{summary.reference.capitalize()}: {summary.reference_cagr:+.1%} a year."
    )
    legend_title = f"Growth {summary.period}"
    if summary.against_industry:
        if shift_share is None:
            raise ValueError("growth maps against the industry need the shift-share table")
        rates = industry_cagr(shift_share)
        subtitle = {
            code: (
                f"Compound annual growth of {summary.measure_label}, {summary.period}, against "
                f"{label} in {summary.reference}, which grew "
                f"{_pct(float(rates.get(code, np.nan)))} a year: cash growth alone would "
                "mostly show inflation."
            )
            for code, label in mapped_columns(growth)
        }
        legend_title = "Against the industry's growth"
    return change_map_jobs(
        layer,
        growth,
        kind="growth",
        categories=_categories(summary.against_industry),
        legend_title=legend_title,
        heading=f"growth {summary.period}",
        subtitle=subtitle,
        framing=framing,
        boundaries=boundaries,
        geometry=geometry,
        places=places,
    )


def _pct(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:+.1%}"


def _number(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:,.0f}"


def _lq(start: float, end: float) -> str:
    if pd.isna(start) or pd.isna(end):
        return "–"
    return f"{start:.2f} → {end:.2f}"


def _signed(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:+,.0f}"


def _changes_table(rows: pd.DataFrame, names: pd.Series, *, split: bool) -> pd.DataFrame:
    """The gains or losses with their shift-share parts, which add up to the change.

    ``split`` (the Esteban-Marquillas variant) gives the competitive share as its two
    effects, the reason to use the variant.
    """
    own = (
        {
            "Competitive effect": rows["competitive_effect"].map(_signed),
            "Allocation effect": rows["allocation_effect"].map(_signed),
        }
        if split
        else {"Competitive share": rows["competitive_share"].map(_signed)}
    )
    return pd.DataFrame(
        {
            # A table without area names shows the codes.
            "Area": [
                name if isinstance(name, str) and name else code
                for name, code in zip(names.reindex(rows.index), rows["area_code"], strict=True)
            ],
            "Industry": rows["label"].fillna(rows["industry_code"]),
            "Start": rows["start_value"].map(_number),
            "End": rows["end_value"].map(_number),
            "Change": rows["change"].map(_signed),
            "A year": rows["cagr"].map(_pct),
            "LQ": [_lq(a, b) for a, b in zip(rows["start_lq"], rows["end_lq"], strict=True)],
            "National share": rows["national_share"].map(_signed),
            "Industry mix": rows["industry_mix"].map(_signed),
            **own,
        }
    )


def growth_blocks(
    growth: pd.DataFrame,
    shift_share: pd.DataFrame,
    findings: pd.DataFrame | None,
    summary: GrowthSummary,
    *,
    finding_names: Mapping[str, str] | None = None,
    top: int = 10,
    local_serving: Collection[str] = (),
) -> list[Block]:
    """The report's section on change over time.

    How the reference grew, the largest gains and losses with their shift-share components
    (of traded industries: ``local_serving`` ones are left out, as their findings are), and
    each finding's growth.
    """
    merged = growth.merge(
        shift_share[
            [
                "area_code",
                "industry_code",
                "kind",
                "industry_growth",
                "national_share",
                "industry_mix",
                "competitive_share",
                *(c for c in ("competitive_effect", "allocation_effect") if c in shift_share),
            ]
        ],
        on=["area_code", "industry_code", "kind"],
        how="left",
    )
    traded = ~merged["industry_code"].astype(str).isin(set(local_serving))
    shown = merged.loc[merged["kind"] == "cluster"]
    what = "cluster definitions"
    if not (traded & (merged["kind"] == "cluster")).any():
        shown, what = merged.loc[merged["kind"] == "industry"], "industries"
    local = shown.loc[~traded.reindex(shown.index)]
    left_out = sorted(set(local["label"].fillna(local["industry_code"])))
    shown = shown.loc[traded.reindex(shown.index)]
    names = shown["area_name"] if "area_name" in shown else pd.Series(dtype=str)
    split = summary.method == "esteban_marquillas" and "allocation_effect" in merged
    method = (
        "the Esteban-Marquillas variant (Esteban-Marquillas 1972), which splits the "
        "competitive share into a competitive effect (the area's own growth in the industry, "
        "as if it had the reference's mix) and an allocation effect (what its specialisation "
        "adds: positive where it is specialised in an industry it grows faster in than the "
        "reference, or under-specialised in one it grows slower in)"
        if summary.method == "esteban_marquillas"
        else "the classic decomposition (Dunn 1960)"
    )
    parts = (
        "The national share, industry mix, competitive effect and allocation effect add up to "
        "the change."
        if split
        else "The three add up to the change."
    )
    blocks = [
        Block("h2", f"Change over time, {summary.period}"),
        Block(
            "p",
            f"Values are {summary.measure_label}. Each series is compared between "
            f"{summary.base_year} and {summary.end_year} ({plural(summary.years, 'year')}): its "
            "change, its compound annual growth rate (CAGR, the constant yearly rate that takes "
            "the start value to the end value) and the change in its LQ. "
            f"{summary.reference.capitalize()} grew {summary.reference_growth:+.1%} over the "
            f"period, {summary.reference_cagr:+.1%} a year. Shift-share splits each change into "
            "the growth the area would have had at the reference's rate (national share), the "
            "effect of its industry growing faster or slower than the economy (industry mix) "
            f"and what is the area's own (competitive share), by {method}. {parts}"
            + (
                " Values are in current prices, so the growth maps class each area against its "
                "industry's growth in the reference: by cash growth alone, inflation would show "
                "nearly every area growing."
                if summary.against_industry
                else ""
            ),
        ),
    ]
    if not shown.empty:
        ranked = shown.dropna(subset=["change"]).sort_values(
            ["change", "area_code"], ascending=[False, True]
        )
        leaving = (
            f" (local-serving industries, which follow where people live, left out: "
            f"{', '.join(left_out)})"
            if left_out
            else ""
        )
        blocks += [
            Block("p", f"The largest gains among the {what}{leaving}:"),
            Block("table", table=_changes_table(ranked.head(top), names, split=split)),
            Block("p", f"The largest losses among the {what}:"),
            Block(
                "table",
                table=_changes_table(
                    ranked.iloc[::-1].head(top).loc[lambda f: f["change"] < 0], names, split=split
                ),
            ),
        ]
    if findings is not None and not findings.empty:
        blocks += _finding_blocks(
            findings, summary, finding_names or {}, industry_cagr(shift_share)
        )
    return blocks


def _finding_sentence(
    name: str, row: pd.Series, period: str, industry: float = float("nan")
) -> str:
    """The sentence on one finding's growth: '<finding> grew 3.1% a year, 2015–2021 (…)'.

    ``industry`` is the yearly growth of the finding's industry in the reference, given
    beside the finding's own.
    """
    cagr = float(row["cagr"])
    if np.isnan(cagr):
        return (
            f"{name}: no growth rate for {period} (a value is missing or zero)"
            f"{_break_warning(row)}."
        )
    share = float(row["competitive_share"])
    return (
        f"{name} {'grew' if cagr >= 0 else 'shrank'} {abs(cagr):.1%} a year, {period}"
        + ("" if np.isnan(industry) else f", its industry {industry:+.1%} a year")
        + f" ({_number(float(row['start_value']))} → {_number(float(row['end_value']))}; LQ "
        f"{_lq(float(row['start_lq']), float(row['end_lq']))}); competitive share "
        f"{'–' if np.isnan(share) else f'{share:+,.0f}'}{_break_warning(row)}."
    )


def _break_warning(row: pd.Series) -> str:
    """'; it rose 24.6-fold: worth checking ...' where the series looks broken, else ''."""
    phrase = series_break(row)
    return f"; it {phrase}{CHECK}" if phrase else ""


def _finding_blocks(
    findings: pd.DataFrame,
    summary: GrowthSummary,
    names: Mapping[str, str],
    industry_rates: pd.Series,
    limit: int = 20,
) -> list[Block]:
    ranked = findings.sort_values(["end_value", "cluster_id"], ascending=[False, True])
    # The findings beyond those listed whose series look broken are named all the same: a
    # strong finding may be small in value (a district's utilities or finance).
    broken = [
        names.get(str(row["cluster_id"]), str(row["cluster_id"]))
        for _index, row in ranked.iloc[limit:].iterrows()
        if _break_warning(row)
    ]
    sentences = tuple(
        _finding_sentence(
            names.get(str(row["cluster_id"]), str(row["cluster_id"])),
            row,
            summary.period,
            float(industry_rates.get(row["industry_code"], np.nan)),
        )
        for _index, row in ranked.head(limit).iterrows()
    )
    return [
        Block("h2", "How the findings changed"),
        Block(
            "p",
            "Each finding's series is the sum of its core areas' values in every year: the "
            "growth of today's footprint. Places that were a cluster once and no longer are do "
            f"not appear. The reference economy grew {summary.reference_cagr:+.1%} a year; each "
            "finding is set beside its own industry's growth in the reference.",
        ),
        Block("list", items=sentences),
        *(
            [
                Block(
                    "p",
                    f"Of the other findings, {plural(len(broken), 'series looks', 'series look')} "
                    f"broken ({RULE_WORDS}), worth "
                    "checking for a reclassification or a head office moving first: "
                    f"{first_few(broken, 8)}.",
                )
            ]
            if broken
            else []
        ),
    ]
