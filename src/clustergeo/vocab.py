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
    "GI_STAR_CLASSES",
    "GI_STAR_HOT_CLASSES",
    "MORAN_CLASSES",
    "MORAN_LEVEL",
    "MORAN_QUADRANTS",
    "OPENSTREETMAP_ATTRIBUTION",
    "ORDNANCE_SURVEY_ATTRIBUTION",
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
