"""Emerging hot spots in the outputs: a map per industry, QGIS layers and styles, a report section.

The seventeen categories (and "not tested") have fixed colours in
:data:`clustergeo.vocab.EMERGING_CATEGORY_COLOURS`, warm for the hot trends and cool for the
cold ones (told apart by readers with colour-vision deficiency too), the same on every map
and in every QGIS style.
Nothing here reads the config: the publish stage passes the growth stage's tables.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping

import geopandas as gpd
import pandas as pd

from clustergeo.governance.summaries import plural
from clustergeo.publish.figures import FigureJob
from clustergeo.publish.framing import Framing
from clustergeo.publish.growth import change_map_jobs, default_column, mapped_columns, stub
from clustergeo.publish.map_geometry import MapGeometry
from clustergeo.publish.qgis_styles import LayerStyle, category_style
from clustergeo.publish.report import Block
from clustergeo.vocab import (
    EMERGING_CATEGORY_COLOURS,
    EMERGING_CATEGORY_LABELS,
    EMERGING_CLASSES,
    EMERGING_HOT_CATEGORIES,
)

__all__ = ["emerging_blocks", "emerging_layers", "emerging_map_jobs", "emerging_styles"]

_LAYER = "emerging_areas"
_RISING = EMERGING_HOT_CATEGORIES[:3]


def _categories() -> dict[str, tuple[str, str]]:
    """Category → (legend label, colour), in the vocabulary's order."""
    return {
        c: (EMERGING_CATEGORY_LABELS[c], EMERGING_CATEGORY_COLOURS[c]) for c in EMERGING_CLASSES
    }


def emerging_layers(
    areas: gpd.GeoDataFrame, emerging: pd.DataFrame, clusters: pd.DataFrame
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """GeoPackage layers: the areas with each mapped column's category, and the tables.

    ``emerging_areas`` has ``<key>_emerging`` per mapped definition (or industry).
    """
    frames = [
        emerging.loc[emerging["industry_code"] == code]
        .set_index("area_code")["category"]
        .astype(str)
        .rename(f"{stub(code)}_emerging")
        for code, _label in mapped_columns(emerging)
    ]
    keep = [c for c in ("area_code", "area_name", "district_name", "geometry") if c in areas]
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {
        "emerging": emerging.astype({"category": str, "final_class": str}),
        "emerging_clusters": clusters,
    }
    if frames:
        layers[_LAYER] = areas[keep].merge(
            pd.concat(frames, axis=1), left_on="area_code", right_index=True, how="left"
        )
    return layers


def emerging_styles(emerging: pd.DataFrame, *, first: str | None = None) -> list[LayerStyle]:
    """One QGIS style per mapped column on ``emerging_areas``, in the maps' colours.

    The layer opens on ``first`` where it is one of them, as :func:`growth_styles`.
    """
    categories = [(value, label, colour) for value, (label, colour) in _categories().items()]
    columns = mapped_columns(emerging)
    default = default_column(columns, first)
    return [
        category_style(
            _LAYER,
            f"{stub(code)}_emerging",
            categories,
            name=f"Emerging hot spots: {label}",
            description=f"Emerging hot-spot category of {label} (17 categories, fixed colours)",
            default=code == default,
        )
        for code, label in columns
    ]


def emerging_map_jobs(
    layer: gpd.GeoDataFrame,
    emerging: pd.DataFrame,
    *,
    period: str,
    framing: Framing,
    boundaries: Mapping[str, gpd.GeoDataFrame],
    geometry: MapGeometry | None = None,
    places: pd.DataFrame | None = None,
) -> list[FigureJob]:
    """One map per mapped column (``figures/emerging_<key>``), as jobs to draw.

    ``places`` are named on each, as for :func:`~clustergeo.publish.growth.change_map_jobs`.
    """
    return change_map_jobs(
        layer,
        emerging,
        kind="emerging",
        categories=_categories(),
        legend_title=f"Trend in hot spots {period}",
        heading=f"emerging hot spots {period}",
        subtitle=(
            "Gi* of every year, a Mann-Kendall trend in each area's z-scores and the "
            "17 categories of Emerging Hot Spot Analysis (ArcGIS Pro)."
        ),
        framing=framing,
        boundaries=boundaries,
        geometry=geometry,
        places=places,
    )


def emerging_blocks(
    emerging: pd.DataFrame,
    clusters: pd.DataFrame,
    *,
    period: str,
    names: Mapping[str, str],
    members: pd.DataFrame | None = None,
    area_names: Mapping[str, str] | None = None,
    local_serving: Collection[str] = (),
    alpha: float = 0.05,
    lq_changes: pd.DataFrame | None = None,
) -> list[Block]:
    """The report's section: rising hot spots per industry, and the emerging clusters.

    ``members`` (``emerging_id``, ``area_code``) and ``area_names`` name the places of each
    emerging cluster that crosses a boundary; with ``lq_changes`` (the growth table:
    ``area_code``, ``industry_code``, ``lq_change``), those whose own LQ fell over the period
    are named too. Gi* measures a neighbourhood, so an area can be an intensifying hot spot
    while its own specialisation falls and its neighbours' rises. Emerging clusters of
    ``local_serving`` industries are counted in the table but not listed or counted as crossing
    boundaries, as their findings are left out of the report.

    Sporadic hot spots (hot in the final year and on and off before it, never cold) whose Gi*
    rises over the period (a Mann-Kendall trend significant at ``alpha``) are counted and named
    apart:
    ArcGIS's categories do not call them emerging, yet a place whose clustering grows year
    on year, on and off, is what a reader asking what is emerging wants to see.
    """
    mapped = {code for code, _label in mapped_columns(emerging)}
    shown = mapped - set(local_serving)
    # Named only where there was an emerging cluster to leave out.
    with_clusters = set(clusters["industry_code"].astype(str))
    left_out = sorted(names.get(code, code) for code in mapped & set(local_serving) & with_clusters)
    rows = []
    rising_sporadic = _rising_sporadic(emerging, alpha)
    for code, label in mapped_columns(emerging):
        of = emerging.loc[emerging["industry_code"] == code, "category"].astype(str)
        mine = clusters.loc[clusters["industry_code"] == code]
        crossing = [c for c in mine.columns if c.startswith("crosses_")]
        rows.append(
            {
                # Counted, but its emerging clusters are not listed (see the paragraph above).
                "Industry": label + (" (local-serving)" if code in set(local_serving) else ""),
                **{EMERGING_CATEGORY_LABELS[c]: int((of == c).sum()) for c in _RISING},
                "Sporadic, rising": int((rising_sporadic["industry_code"] == code).sum()),
                "Emerging clusters": len(mine),
                # A local-serving industry's are not listed, so none is counted as crossing.
                "Across a boundary": int(mine[crossing].any(axis=1).sum())
                if crossing and code in shown
                else 0,
            }
        )
    straddling = clusters.loc[clusters["industry_code"].isin(shown)]
    crossing = [c for c in straddling.columns if c.startswith("crosses_")]
    if crossing:
        straddling = straddling.loc[straddling[crossing].any(axis=1)]
    blocks = [
        Block("h2", f"Emerging hot spots, {period}"),
        Block(
            "p",
            "Gi* of every year, on the hot-spot stage's weights and variable; a Mann-Kendall "
            "trend test on each area's series of z-scores; and the seventeen categories of "
            "ArcGIS Pro's Emerging Hot Spot Analysis (new, consecutive, intensifying, "
            "persistent, diminishing, sporadic, oscillating and historical hot and cold "
            "spots, and no pattern). New, consecutive and intensifying hot spots that touch "
            "form an emerging cluster; "
            f"{plural(len(straddling), 'emerging cluster')} of the mapped industries "
            f"{'crosses' if len(straddling) == 1 else 'cross'} an authority boundary"
            + (
                f" (local-serving industries, which follow where people live, left out: "
                f"{', '.join(left_out)})."
                if left_out
                else "."
            )
            + (
                " Gi* measures an area with its neighbours: an area can be an intensifying hot "
                "spot while its own LQ falls, its neighbours gaining; the list below says where."
                if lq_changes is not None and not straddling.empty
                else ""
            ),
        ),
        Block("table", table=pd.DataFrame(rows)),
    ]
    if not straddling.empty:
        items = []
        for row in straddling.head(10).to_dict("records"):
            tiers = [c.removeprefix("crosses_") for c in crossing if row[c]]
            spans = ", ".join(plural(int(row[f"n_{tier}"]), *_TIER_WORDS[tier]) for tier in tiers)
            industry = names.get(str(row["industry_code"]), str(row["industry_code"]))
            places = _places(str(row["emerging_id"]), members, area_names or {})
            fell = _own_lq_fell(row, members, lq_changes)
            items.append(
                f"{industry}: {plural(int(row['n_areas']), 'area')} in {spans}"
                + (f": {places}" if places else "")
                + (
                    f"; own LQ fell in {len(fell)} of them ({_named(fell, area_names or {})})"
                    if fell
                    else ""
                )
            )
        blocks.append(Block("list", items=tuple(items)))
    rising = rising_sporadic.loc[rising_sporadic["industry_code"].isin(shown)]
    if not rising.empty:
        blocks += [
            Block(
                "p",
                "Sporadic hot spots, hot in the final year and on and off before it, are "
                "not emerging by ArcGIS's rules; those whose Gi* nonetheless rises over the "
                f"period (a Mann-Kendall trend significant at {alpha:g}) may be clustering "
                "that is on its way:",
            ),
            Block(
                "list",
                # In the table's order of industries.
                items=tuple(
                    f"{label}: {plural(len(group), 'area')}: "
                    + _named(group["area_code"], area_names or {})
                    for code, label in mapped_columns(emerging)
                    if not (group := rising.loc[rising["industry_code"] == code]).empty
                ),
            ),
        ]
    return blocks


def _rising_sporadic(emerging: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The sporadic hot spots whose Gi* trend is upward and significant at ``alpha``."""
    if "trend_p" not in emerging or "trend_z" not in emerging:
        return emerging.iloc[0:0]
    sporadic = emerging["category"].astype(str) == "sporadic_hot_spot"
    upward = (emerging["trend_p"] <= alpha) & (emerging["trend_z"] > 0)
    return emerging.loc[sporadic & upward]


#: Each tier's noun, singular and plural.
_TIER_WORDS: dict[str, tuple[str, str]] = {
    "district": ("district", "districts"),
    "upper_tier": ("county or unitary authority", "counties or unitary authorities"),
    "county": ("county", "counties"),
    "combined_authority": ("combined authority", "combined authorities"),
    "region": ("region", "regions"),
}


def _places(emerging_id: str, members: pd.DataFrame | None, area_names: Mapping[str, str]) -> str:
    """The names of an emerging cluster's areas (the first six, then how many more)."""
    if members is None or members.empty:
        return ""
    return _named(
        members.loc[members["emerging_id"].astype(str) == emerging_id, "area_code"], area_names
    )


def _own_lq_fell(
    cluster: Mapping[Hashable, object],
    members: pd.DataFrame | None,
    lq_changes: pd.DataFrame | None,
) -> list[str]:
    """The areas of an emerging cluster whose own LQ in its industry fell over the period."""
    if members is None or lq_changes is None or members.empty:
        return []
    codes = members.loc[
        members["emerging_id"].astype(str) == str(cluster["emerging_id"]), "area_code"
    ].astype(str)
    of_industry = lq_changes.loc[
        lq_changes["industry_code"].astype(str) == str(cluster["industry_code"])
    ]
    changes = pd.Series(
        of_industry["lq_change"].to_numpy(), index=of_industry["area_code"].astype(str)
    ).reindex(codes)
    return changes.index[changes.to_numpy() < 0].tolist()


def _named(codes: Iterable[object], area_names: Mapping[str, str]) -> str:
    """The areas' names in order (the first six, then how many more)."""
    named = sorted(area_names.get(str(code), str(code)) for code in codes)
    shown = ", ".join(named[:6])
    return shown + (f" and {len(named) - 6} more" if len(named) > 6 else "")
