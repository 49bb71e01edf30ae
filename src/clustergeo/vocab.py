"""The shared vocabulary: words and constants that every layer must spell the same way.

Statistics, orchestration and presentation all name the working coordinate system, the authority
tiers, the hot-spot classes and the attributions a map must carry. Each is defined once, here, so
that a class counted by the cluster stage is the class coloured on the map and styled in QGIS.
This module imports nothing but the standard library, so any layer (the command line included)
can use it without cost.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "CA_STATUS_WORDS",
    "EMERGING_CATEGORIES",
    "EMERGING_CATEGORY_COLOURS",
    "EMERGING_CATEGORY_LABELS",
    "EMERGING_CLASSES",
    "EMERGING_COLD_CATEGORIES",
    "EMERGING_HOT_CATEGORIES",
    "EMERGING_NOT_TESTED",
    "EMERGING_NO_PATTERN",
    "GI_STAR_CLASSES",
    "GI_STAR_HOT_CLASSES",
    "MORAN_CLASSES",
    "MORAN_LEVEL",
    "MORAN_QUADRANTS",
    "OPENSTREETMAP_ATTRIBUTION",
    "ORDNANCE_SURVEY_ATTRIBUTION",
    "REPEATING_P_COLUMNS",
    "SIGNIFICANCE_LEVELS",
    "SYNTHETIC_LABEL",
    "TIERS",
    "WORKING_CRS",
    "WORKING_CRS_NAME",
    "WORKING_EPSG",
    "Tier",
    "synthetic_suffix",
]

# --- Where -----------------------------------------------------------------------------------

#: Every geometry is worked in British National Grid: metres, so distances, areas, buffers and
#: scale bars are right across Great Britain.
WORKING_EPSG: Final = 27700
WORKING_CRS: Final = f"EPSG:{WORKING_EPSG}"
WORKING_CRS_NAME: Final = "British National Grid"

# --- Who governs -----------------------------------------------------------------------------

Tier = Literal["district", "county", "combined_authority", "region"]

#: Authority tiers above the small areas, from lowest to highest.
TIERS: Final[tuple[Tier, ...]] = ("district", "county", "combined_authority", "region")

#: Each combined-authority status of a cluster or site, in words for reports and maps.
CA_STATUS_WORDS: Final = {
    "within_one_ca": "within one combined authority",
    "split_across_cas": "split across combined authorities",
    "partly_outside_ca": "partly outside any combined authority",
    "outside_any_ca": "outside any combined authority",
}

# --- Hot-spot classes ------------------------------------------------------------------------

#: Corrected p-value thresholds of the Gi* confidence classes, strictest first. There is no
#: 90% class: every area called a hot spot is one at the level clusters can be built from.
SIGNIFICANCE_LEVELS: Final = ((0.01, "99"), (0.05, "95"))

#: Gi* classes in a fixed order (compiled code indexes this tuple), hottest first.
GI_STAR_CLASSES: Final = (
    "hot_99",
    "hot_95",
    "not_significant",
    "cold_95",
    "cold_99",
    "not_tested",
)
#: The Gi* classes that are hot spots of any confidence.
GI_STAR_HOT_CLASSES: Final = ("hot_99", "hot_95")

#: Significance level of a Local Moran cluster or outlier.
MORAN_LEVEL: Final = 0.05
#: Local Moran quadrants ('' where not tested) and cluster classes, in fixed orders.
MORAN_QUADRANTS: Final = ("HH", "LH", "LL", "HL", "")
MORAN_CLASSES: Final = ("HH", "LH", "LL", "HL", "not_significant", "not_tested")
#: The hot-spot table's p-values whose values repeat, which a Parquet dictionary stores in a
#: fraction of their plain size: the pseudo p-values (at most P + 2 values each, for P
#: permutations) and the corrected p-values (tied p-values stay tied, and Benjamini-Hochberg's
#: step-up gives runs of equal values).
REPEATING_P_COLUMNS: Final = ("gi_star_p_sim", "gi_star_p_fdr", "moran_p_sim", "moran_p_fdr")

# --- Emerging hot-spot categories -----------------------------------------------------------

#: The eight hot-spot trends of ArcGIS Pro's Emerging Hot Spot Analysis, in its order (compiled
#: code indexes these tuples; :mod:`clustergeo.hotspots.emerging` states the rule of each).
EMERGING_HOT_CATEGORIES: Final = (
    "new_hot_spot",
    "consecutive_hot_spot",
    "intensifying_hot_spot",
    "persistent_hot_spot",
    "diminishing_hot_spot",
    "sporadic_hot_spot",
    "oscillating_hot_spot",
    "historical_hot_spot",
)
#: Their cold equivalents, in the same order.
EMERGING_COLD_CATEGORIES: Final = tuple(
    c.replace("_hot_", "_cold_") for c in EMERGING_HOT_CATEGORIES
)
#: A location that fits none of the sixteen trends.
EMERGING_NO_PATTERN: Final = "no_pattern"
#: The seventeen categories of an area x industry tested in every year.
EMERGING_CATEGORIES: Final = (
    *EMERGING_HOT_CATEGORIES,
    *EMERGING_COLD_CATEGORIES,
    EMERGING_NO_PATTERN,
)
#: An area x industry without a Gi* result in some year (a missing value, an island, an
#: industry with the same value everywhere): it gets no category.
EMERGING_NOT_TESTED: Final = "not_tested"
#: Every value of an emerging-hot-spot ``category`` column, in a fixed order.
EMERGING_CLASSES: Final = (*EMERGING_CATEGORIES, EMERGING_NOT_TESTED)

#: Fill colours of the categories, the same on every map and in every QGIS style. Hot trends
#: are warm and cold ones cool; within each, the current trends are the darkest (intensifying,
#: then new, then persistent, CIELAB lightness about 20, 30 and 45) and the fading or irregular
#: ones the lightest. Beside that the trends differ by hue, as neighbouring shades of one hue
#: (intensifying, persistent and diminishing side by side on one district map) did not: new and
#: consecutive in magenta and pink (hot) or purple (cold), diminishing orange or teal,
#: historical tan or grey, sporadic and oscillating in tints of the family's hue. Every pair
#: differs by a CIEDE2000 of at least 5 for readers with protanopia, deuteranopia or
#: tritanopia as well (tested). "No pattern" is the near-white of the Gi* maps' "not
#: significant"; "not tested" is white, drawn as no data (with a grey outline), as on the
#: other maps.
EMERGING_CATEGORY_COLOURS: Final = {
    "intensifying_hot_spot": "#67000d",
    "persistent_hot_spot": "#cb181d",
    "new_hot_spot": "#980043",
    "consecutive_hot_spot": "#dd3497",
    "diminishing_hot_spot": "#fe9929",
    "historical_hot_spot": "#dfc27d",
    "sporadic_hot_spot": "#fcbba1",
    "oscillating_hot_spot": "#fa9fb5",
    "intensifying_cold_spot": "#08306b",
    "persistent_cold_spot": "#2171b5",
    "new_cold_spot": "#54278f",
    "consecutive_cold_spot": "#807dba",
    "diminishing_cold_spot": "#7fcdbb",
    "historical_cold_spot": "#969696",
    "sporadic_cold_spot": "#6baed6",
    "oscillating_cold_spot": "#d0d1e6",
    EMERGING_NO_PATTERN: "#f7f7f2",
    EMERGING_NOT_TESTED: "#ffffff",
}
#: Legend labels of the categories ("New hot spot", "No pattern detected", ...).
EMERGING_CATEGORY_LABELS: Final = {
    **{name: name.replace("_", " ").capitalize() for name in EMERGING_CATEGORIES},
    EMERGING_NO_PATTERN: "No pattern detected",
    EMERGING_NOT_TESTED: "Not tested",
}

# --- What every output must say --------------------------------------------------------------

#: The attribution every map made from ONS (Ordnance Survey derived) boundaries must carry.
ORDNANCE_SURVEY_ATTRIBUTION: Final = "Contains OS data © Crown copyright and database right"
#: The attribution of maps whose employment was placed on OpenStreetMap land (ODbL).
OPENSTREETMAP_ATTRIBUTION: Final = "© OpenStreetMap contributors"

#: What every output of a synthetic run says it is (titles, maps, metadata, reports).
SYNTHETIC_LABEL: Final = "synthetic demo data"


def synthetic_suffix(synthetic: bool) -> str:
    """`` (synthetic demo data)`` for a synthetic run's titles, else nothing."""
    return f" ({SYNTHETIC_LABEL})" if synthetic else ""
