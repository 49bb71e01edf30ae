"""What every map, layer and report of a run says about itself: the framing of its outputs.

Presentation code takes a :class:`Framing` and the data, never the run config: the publish stage
builds the framing once from the config and the stages' records, so every output names the same
data source, the same method and the same attribution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from clustergeo.governance.summaries import and_list
from clustergeo.vocab import (
    MORAN_LEVEL,
    OPENSTREETMAP_ATTRIBUTION,
    ORDNANCE_SURVEY_ATTRIBUTION,
    SYNTHETIC_LABEL,
    synthetic_suffix,
)

__all__ = ["HOT_SPOT_READING", "ClusterRule", "Framing", "HotspotMethod"]

#: How to read a hot spot, for its maps: Gi* sums an area with its neighbours.
HOT_SPOT_READING: Final = (
    " An area is hot when it and its neighbours together stand out: it need not be "
    "specialised itself (the cluster map's cores are)."
)
_VARIABLE_NAMES = {
    "lq": "the location quotient",
    "employment": "employment",
    "density": "employment density",
}
_CORRECTION_WORDS = {
    "fdr_bh": "false discovery rate controlled (Benjamini-Hochberg)",
    "bonferroni": "Bonferroni-corrected",
    "none": "uncorrected",
}


@dataclass(frozen=True)
class HotspotMethod:
    """How hot spots were found, as the hot-spot stage recorded it.

    ``floor_limits`` are the run's records of statistics whose permutations were too few for
    the correction (:meth:`clustergeo.hotspots.permutation_floor.FloorLimit.to_record`), the
    hot-spot stage's first, then the surface stage's grid cells and the circular stage's
    co-location: each names the statistic (``statistic`` and ``statistic_words``), the
    ``industries`` (``code``, ``label`` and ``kind``, ``stream`` for a material stream), how
    many ``areas`` (``unit``: ``area`` or ``grid cell``) sat at the ``smallest_p`` (in words,
    ``smallest_p_text``) and were not significant at ``level`` after a correction over
    ``tests`` tests (``correction_words``), and the ``permutations_needed``.
    """

    variable: str
    weights: str
    gi_star_inference: str
    permutations: int
    correction: str
    seed: int
    floor_limits: tuple[Mapping[str, Any], ...] = ()
    #: Permutations of the global Moran's I and General G (0: not recorded).
    global_permutations: int = 0
    #: How Local Moran's I is classified: ``permutation`` or ``analytic``.
    moran_inference: str = "permutation"

    @property
    def variable_words(self) -> str:
        """What the statistics are of, in words: 'the location quotient'."""
        return _VARIABLE_NAMES[self.variable]

    @property
    def inference_words(self) -> str:
        """``analytic p-values`` or ``9,999 permutations``."""
        if self.gi_star_inference == "analytic":
            return "analytic p-values"
        return f"{self.permutations:,} permutations"

    @property
    def correction_words(self) -> str:
        """The multiple-testing correction in words."""
        return _CORRECTION_WORDS[self.correction]

    @property
    def subtitle(self) -> str:
        """The hot-spot maps' subtitle: statistic, variable, weights, inference, correction."""
        return (
            f"Getis-Ord Gi* of {_VARIABLE_NAMES[self.variable]}; {self.weights}; "
            f"{self.inference_words}, {self.correction_words}."
        )

    def floor_note(self, statistic: str, industries: Mapping[str, str]) -> str:
        """A sentence for the maps of ``industries`` whose ``statistic`` had too few permutations.

        ``industries`` maps each industry the map shows to its label; the sentence names the
        limited ones when the map shows several. Empty unless the hot-spot stage found areas
        of one of them at the permutation floor left not significant (``floor_limits``);
        ``statistic`` is ``gi_star`` or ``moran``.
        """
        codes = {
            str(industry["code"])
            for limit in self.floor_limits
            if limit["statistic"] == statistic and limit.get("unit", "area") == "area"
            for industry in limit["industries"]
            # Material streams and their sides have no hot-spot maps of their own.
            if industry.get("kind") not in {"stream", "stream side"}
        }
        limited = [label for key, label in industries.items() if key in codes]
        if not limited:
            return ""
        which = "" if len(industries) == 1 else " of " + and_list(limited)
        return (
            f" Even the most extreme areas{which} could not be significant with this many "
            "permutations: an empty map may mean too few permutations, not no cluster (see the "
            "report's limitations)."
        )

    @property
    def lisa_subtitle(self) -> str:
        """The Local Moran maps' subtitle: the statistic, its weights and significance."""
        return (
            f"Local Moran's I of {_VARIABLE_NAMES[self.variable]}; {self.weights}; "
            f"{self.permutations:,} permutations, {self.correction_words}, "
            f"significant at p ≤ {MORAN_LEVEL:g}."
        )


@dataclass(frozen=True)
class ClusterRule:
    """Which areas make a finding, as the cluster and governance stages applied it.

    Attributes
    ----------
    significance, hot_spot_classes
        The corrected p-value of a hot spot and the Gi* classes it stands for.
    min_lq, min_employment
        The LQ of a core area and the employment of a cluster.
    concentrations
        The concentration rule's settings as the cluster stage recorded them (``enabled``,
        ``min_lq``, ``significance``, ``min_employment``, ``min_employment_share``).
    straddle_share, star_share
        The share outside the lead authority above which a finding straddles a tier, and the
        top share of findings that earns a star.
    non_traded_left_out
        Local-serving industries whose findings were left out, with how many.
    analysed
        The industry columns findings were sought in (``clusters.of``); empty when unknown.
    """

    significance: float
    min_lq: float
    min_employment: float
    hot_spot_classes: tuple[str, ...] = ()
    concentrations: Mapping[str, Any] = field(default_factory=dict)
    straddle_share: float = 0.05
    star_share: float = 0.1
    non_traded_left_out: Mapping[str, int] = field(default_factory=dict)
    analysed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framing:
    """The run's name and data, in the words every output uses.

    Attributes
    ----------
    run_name, description
        The run, as its config names and describes it.
    synthetic
        True for the synthetic demo: every title then says "synthetic demo data".
    employment_basis
        ``workplace`` or ``residence``.
    employment_source
        What the employment table is, e.g. "Census 2011 WP605EW, workplace population".
    lq_reference
        What the LQs compare with, in words.
    uses_openstreetmap
        Whether OpenStreetMap land placed employment (maps then credit its contributors).
    measure
        What the values are, in words ("GVA at current prices"), when the run states it.
    year
        The year the maps and single-year results describe, for a table with years.
    employment_year, boundaries_year
        The year of the employment data and of the authority boundaries, when known.
    values_are_gva
        True when the values are GVA in £ million (ONS's unit) rather than counts of people:
        the outputs then speak of £m of GVA, not of jobs and people.
    """

    run_name: str
    description: str
    synthetic: bool
    employment_basis: str
    employment_source: str
    lq_reference: str
    uses_openstreetmap: bool = False
    measure: str | None = None
    year: int | None = None
    employment_year: str | None = None
    boundaries_year: str | None = None
    values_are_gva: bool = False

    def amount(self, value: float) -> str:
        """A finding's size in the run's unit: "2,213 jobs" or "£2,213m of GVA"."""
        return f"£{value:,.0f}m of GVA" if self.values_are_gva else f"{value:,.0f} jobs"

    @property
    def size_heading(self) -> str:
        """A table column of findings' sizes: "Employment" or "GVA (£m)"."""
        return "GVA (£m)" if self.values_are_gva else "Employment"

    @property
    def quantity(self) -> str:
        """What the values count, as a noun: "jobs" or "GVA"."""
        return "GVA" if self.values_are_gva else "jobs"

    @property
    def source_line(self) -> str:
        """What every map's data is and when: "Source: <employment>, <year>; boundaries ..."."""
        if self.synthetic:
            return f"Source: {SYNTHETIC_LABEL}, generated from a seed ({self.employment_source})."
        employment = self.employment_source
        if self.employment_year and self.employment_year not in employment:
            employment += f", {self.employment_year}"
        boundaries = (
            f"authority boundaries of {self.boundaries_year}"
            if self.boundaries_year
            else "authority boundaries as supplied"
        )
        return f"Source: {employment} ({self.employment_basis}-based); {boundaries}."

    @property
    def title(self) -> str:
        """``clustergeo: <run>``, saying "synthetic demo data" for the demo."""
        return self.heading(f"clustergeo: {self.run_name}")

    def heading(self, text: str) -> str:
        """A map or section title, saying "synthetic demo data" for the demo."""
        return f"{text}{synthetic_suffix(self.synthetic)}"

    @property
    def attribution(self) -> str:
        """The credit line of every map: Ordnance Survey, OpenStreetMap, or "synthetic"."""
        credit = SYNTHETIC_LABEL.capitalize() if self.synthetic else ORDNANCE_SURVEY_ATTRIBUTION
        if self.uses_openstreetmap:
            credit += f"\n{OPENSTREETMAP_ATTRIBUTION}"
        return credit

    @property
    def data_note(self) -> str:
        """The measure and year as a sentence, or nothing.

        "GVA at current prices, 2023."; a year alone is "Data of 2011.", not a bare "2011."
        after the sentence before it.
        """
        if not self.measure:
            return "" if self.year is None else f" Data of {self.year}."
        parts = [self.measure, *([] if self.year is None else [str(self.year)])]
        text = ", ".join(parts)
        return f" {text[:1].upper()}{text[1:]}."

    @property
    def data_year(self) -> str | None:
        """The year the analysed data are of: the run's year, else the config's date."""
        return str(self.year) if self.year is not None else self.employment_year

    @property
    def data_when(self) -> str:
        """When the findings hold, for a summary: " (2011 data, authorities of 2025)".

        A reader of a summary takes a finding for today's unless told; nothing is said when
        the years are not known, or for the synthetic demo.
        """
        if self.synthetic:
            return ""
        data = self.data_year
        parts = [f"{data} data"] if data else []
        if self.boundaries_year and self.boundaries_year != data:
            parts.append(f"authorities of {self.boundaries_year}")
        return f" ({', '.join(parts)})" if parts else ""

    @property
    def lq_subtitle(self) -> str:
        """The LQ maps' subtitle: the reference, the data's basis, its measure and year.

        The data's name is left to the :attr:`source_line` under every map, which the small
        multiples set right below this line.
        """
        parts = [f"{self.employment_basis}-based", self.measure, self.year]
        return f"LQ against {self.lq_reference}; " + ", ".join(str(p) for p in parts if p) + "."
