"""Stage growth: change between two years of the table, for every area, industry and finding.

Reads every year of the employment (or GVA) table, the LQs of every year and, in a run with
boundaries, the findings and their member areas. Writes, for a base and an end year
(``growth.base_year`` and ``growth.end_year``, default the table's first and last):

* ``growth/growth.csv``: per area x industry and cluster definition, start and end values,
  change, CAGR and change in LQ (:mod:`clustergeo.growth.measures`);
* ``growth/index.csv``: every year as an index, base year = 100;
* ``growth/shift_share.csv``: national share, industry mix and competitive share against the
  configured reference, with the Esteban-Marquillas split as an option
  (:mod:`clustergeo.growth.shift_share`);
* ``growth/findings.csv``: the same for each finding, from its core areas' combined series;
* with ``growth.emerging``, in a run with boundaries: ``growth/emerging.csv``, the emerging
  hot-spot category of every area x industry (Gi* of every year on the run's weights and
  variable, :mod:`clustergeo.hotspots.emerging`), and ``growth/emerging_clusters.csv``, the
  new, consecutive and intensifying hot spots grouped by contiguity with the authorities they
  span (:mod:`clustergeo.growth.emerging_clusters`);
* a report of the years, the reference and what had no growth rate, and why.

The findings are those of the analysed year (``employment.date``, default the last): their
growth is that of today's footprint over the period, which is what a cluster's story is told
with, and says nothing of places that were a cluster once and no longer are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples
from clustergeo.config import GrowthConfig, RunConfig
from clustergeo.growth.emerging_clusters import emerging_clusters
from clustergeo.growth.measures import growth_table, index_series
from clustergeo.growth.series import KEYS, combined_series, values_by_year
from clustergeo.growth.shift_share import (
    ReferenceGrowth,
    reference_from_totals,
    reference_growth,
    shift_share,
)
from clustergeo.hotspots.emerging import (
    MIN_TREND_YEARS,
    FloorCheck,
    emerging_analysis,
    gi_star_settings,
)
from clustergeo.hotspots.permutation_floor import (
    RAISE_THE_CAP,
    FloorLimit,
    correction_tests,
    enough_permutations,
    permutations_for,
)
from clustergeo.hotspots.variables import analysed_values
from clustergeo.ingest.national_totals import read_national_totals_by_year
from clustergeo.ingest.years import year_ranges
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths

__all__ = ["run"]

log = logging.getLogger(__name__)


def _years(settings: GrowthConfig, years: list[int], source: str) -> tuple[int, int]:
    """The base and end years: configured, or the table's first and last."""
    if len(years) < 2:
        raise InputDataError(
            f"The growth stage compares years, but employment file {source} holds "
            f"{'only ' + str(years[0]) if years else 'no years'}. Give a table of several years "
            "(a year column, or one file per year), or remove the 'growth' section."
        )
    base = settings.base_year if settings.base_year is not None else years[0]
    end = settings.end_year if settings.end_year is not None else years[-1]
    missing = [
        f"{name} {year}"
        for name, year in (("base_year", base), ("end_year", end))
        if year not in years
    ]
    if missing:
        raise InputDataError(
            f"growth.{' and growth.'.join(missing)} not in employment file {source}, which "
            f"holds {year_ranges(years)}. Choose years of the table."
        )
    if base >= end:
        raise InputDataError(
            f"growth runs from base year {base} to end year {end}: the base year must come "
            f"first. Set growth.base_year and growth.end_year (the table holds "
            f"{year_ranges(years)})."
        )
    return base, end


def _reference(
    config: RunConfig,
    growth: pd.DataFrame,
    areas: pd.DataFrame | None,
    definitions: dict[str, tuple[str, ...]],
    years: tuple[int, int],
) -> ReferenceGrowth:
    """The economy the shift-share measures against, as the config says."""
    assert config.growth is not None
    spec = config.growth.shift_share
    start, end = growth["start_value"], growth["end_value"]
    if spec.reference == "table":
        n = growth.index.get_level_values("area_code").nunique()
        return reference_growth(start, end, label=f"all {n:,} areas of the run's data")
    if spec.reference == "national_totals":
        path = stage_inputs(config, r.GROWTH_STAGE)["growth_totals"]
        industries = pd.Index(
            sorted(
                growth.index.get_level_values("industry_code")[
                    growth.index.get_level_values("kind") == "industry"
                ].unique()
            )
        )
        totals = read_national_totals_by_year(path, industries, list(years))
        return reference_from_totals(
            totals, *years, definitions, label=f"national totals ({path.name})"
        )
    region = spec.region
    assert region is not None
    if region.tier is None:
        present = set(growth.index.get_level_values("area_code"))
        codes = pd.Index(region.codes)
        unknown = sorted(set(region.codes) - present)
        what = "areas of the employment table"
    else:
        if areas is None or f"{region.tier}_code" not in areas:
            raise InputDataError(
                f"growth.shift_share.region names {region.tier} codes, but the run's areas "
                f"have no {region.tier}: give the region as area codes (no tier)."
            )
        column = areas[f"{region.tier}_code"]
        codes = pd.Index(areas.loc[column.isin(region.codes), "area_code"])
        unknown = sorted(set(region.codes) - set(column.dropna()))
        what = f"{region.tier.replace('_', ' ')} codes of the run's areas"
    if unknown:
        raise InputDataError(
            f"growth.shift_share.region codes {format_examples(unknown)} are not {what}. Fix "
            "the codes in the config."
        )
    label = f"the region of {len(codes):,} areas ({format_examples(region.codes, 4)})"
    return reference_growth(start, end, label=label, areas=codes)


def run(config: RunConfig) -> None:
    """Compute growth, the index series and shift-share, and each finding's growth."""
    settings = config.growth
    assert settings is not None  # the runner runs the stage only with a growth section
    paths = RunPaths.for_config(config)
    record = intermediates.read_inputs_record(paths)
    years = list(record.years)
    base, end = _years(settings, years, record.employment_source)
    industries = intermediates.read_industries(paths)
    definitions = industries.definition_codes
    labels = industries.labels
    areas = intermediates.read_areas_if_any(paths, study_only=True)
    names = (
        intermediates.read_area_names(paths)
        if areas is None
        else dict(zip(areas["area_code"], areas["area_name"], strict=True))
    )
    measure = record.measure or "not stated"

    wide = values_by_year(intermediates.read_employment(paths), definitions)
    lq = _lq_by_year(paths)
    growth = growth_table(wide, base, end, None if lq is None else lq["lq"])
    reference = _reference(config, growth, areas, definitions, (base, end))
    components = shift_share(
        growth["start_value"], growth["end_value"], reference, settings.shift_share.method
    )
    index = index_series(wide, base)

    # Rows for the study area (all areas without boundaries); the reference used them all.
    keep = (
        slice(None)
        if areas is None
        else growth.index.get_level_values("area_code").isin(set(areas["area_code"]))
    )

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.loc[keep].reset_index()
        out.insert(1, "area_name", out["area_code"].map(names))
        out.insert(3, "label", out["industry_code"].map(labels))
        out.insert(5, "measure", measure)
        return out

    growth_out = tidy(growth)
    shares = tidy(
        pd.concat(
            [growth[["start_year", "end_year", "start_value", "end_value"]], components], axis=1
        )
    )
    shares.insert(6, "reference", reference.label)
    index_out = pd.DataFrame(
        {
            "value": wide.loc[keep].rename_axis(columns="year").stack(),
            "index": index.loc[keep].rename_axis(columns="year").stack(),
        }
    ).reset_index()
    index_out = index_out[[*KEYS, "year", "value", "index"]].assign(measure=measure)

    findings = _finding_growth(paths, wide, lq, components, labels=labels, years=(base, end))
    write_parquet(growth_out, paths[r.GROWTH])
    write_csv(growth_out, paths[r.GROWTH_CSV])
    write_parquet(index_out, paths[r.GROWTH_INDEX])
    write_csv(index_out, paths[r.GROWTH_INDEX_CSV])
    write_parquet(shares, paths[r.SHIFT_SHARE])
    write_csv(shares, paths[r.SHIFT_SHARE_CSV])
    if findings is not None:
        findings.insert(5, "measure", measure)
        write_parquet(findings, paths[r.FINDING_GROWTH])
        write_csv(findings, paths[r.FINDING_GROWTH_CSV])
    emerging, emerging_note = _emerging(config, paths, labels)
    if emerging is not None:
        emerging.write(paths)
    undefined = growth_out.loc[growth_out["growth_note"] != "", "growth_note"].value_counts()
    notes = [
        f"growth from {base} to {end} ({end - base} years); CAGR undefined for "
        f"{int(undefined.sum())} of {len(growth_out)} series "
        f"({'; '.join(f'{why}: {n}' for why, n in undefined.items()) or 'none'})",
        f"shift-share ({settings.shift_share.method.replace('_', '-')}) against "
        f"{reference.label}, which grew {reference.total_growth:+.1%}",
        *([emerging_note] if emerging_note else []),
    ]
    report = {
        "stage": "growth",
        "base_year": base,
        "end_year": end,
        "years": years,
        "measure": measure,
        "measure_label": record.measure_label,
        "reference": reference.label,
        "reference_growth": reference.total_growth,
        "method": settings.shift_share.method,
        "counts": {
            "series": len(growth_out),
            "areas": int(growth_out["area_code"].nunique()),
            "findings": 0 if findings is None else len(findings),
            "no_growth_rate": {str(k): int(v) for k, v in undefined.items()},
            **(
                {
                    "emerging": {
                        str(k): int(v)
                        for k, v in emerging.categories["category"].value_counts(sort=False).items()
                    },
                    "emerging_clusters": len(emerging.clusters),
                }
                if emerging is not None
                else {}
            ),
        },
        **(
            {
                "emerging_permutations": emerging.permutations,
                "permutation_floor": [limit.to_record() for limit in emerging.floor],
            }
            if emerging is not None
            else {}
        ),
        "notes": notes,
    }
    write_json(report, paths[r.GROWTH_REPORT])
    for note in notes:
        log.info("Growth: %s", note)


def _lq_by_year(paths: RunPaths) -> dict[str, pd.DataFrame] | None:
    """``lq``, ``area_total`` and ``reference_share``, each by series (:data:`KEYS`) x year."""
    columns = ("lq", "area_total", "reference_share")
    table = intermediates.read_lq_by_year(paths, [*KEYS, "year", *columns])
    if table is None:
        return None
    return {
        column: table.pivot_table(index=KEYS, columns="year", values=column, aggfunc="first")
        for column in columns
    }


def _finding_growth(
    paths: RunPaths,
    wide: pd.DataFrame,
    lq: dict[str, pd.DataFrame] | None,
    components: pd.DataFrame,
    *,
    labels: dict[str, str],
    years: tuple[int, int],
) -> pd.DataFrame | None:
    """Each finding's growth from its core areas' combined series (None without findings)."""
    if not paths[r.CLUSTERS].exists():
        return None
    clusters = pd.DataFrame(intermediates.read_clusters(paths).drop(columns="geometry"))
    members = intermediates.read_cluster_members(paths)
    base, end = years
    kinds = dict(
        zip(
            wide.index.get_level_values("industry_code"),
            wide.index.get_level_values("kind"),
            strict=True,
        )
    )
    core = members.loc[members["part"] == "core", ["cluster_id", "area_code"]].merge(
        clusters[["cluster_id", "industry_code"]], on="cluster_id"
    )
    core = core.rename(columns={"cluster_id": "group"})
    combined = combined_series(wide, core, kinds=kinds).rename_axis("cluster_id")
    combined_lq = None
    if lq is not None:
        # The core taken as one area: its employment over its total, over the reference share
        # (the same for every member, so one member's is the industry's).
        totals = combined_series(lq["area_total"], core, kinds=kinds)
        share = combined_series(lq["reference_share"], core.drop_duplicates("group"), kinds=kinds)
        combined_lq = combined / totals.rename_axis("cluster_id") / share.rename_axis("cluster_id")
    table = growth_table(combined, base, end, combined_lq)
    # Shift-share components add up over areas, so a finding's are its core areas' sums.
    parts = combined_series(
        components[["national_share", "industry_mix", "competitive_share"]], core, kinds=kinds
    )
    rows = clusters[["cluster_id", "kind", "industry_code", "n_units"]].set_index("cluster_id")
    out = rows.join(table).join(parts.rename_axis("cluster_id"))
    out.insert(2, "label", out["industry_code"].map(labels))
    by_year = combined.rename(columns=lambda year: f"value_{year}")
    return out.join(by_year).reset_index()


@dataclass(frozen=True)
class _Emerging:
    """The emerging hot spots of a run, their clusters, and how their Gi* was run."""

    categories: pd.DataFrame
    clusters: pd.DataFrame
    members: pd.DataFrame
    #: The permutations each year's Gi* ran (raised for the trend's alpha).
    permutations: int
    #: The industries whose hot or cold spots of some year the permutation floor withheld.
    floor: list[FloorLimit]

    def write(self, paths: RunPaths) -> None:
        write_parquet(self.categories, paths[r.EMERGING])
        write_csv(self.categories, paths[r.EMERGING_CSV])
        write_csv(self.clusters, paths[r.EMERGING_CLUSTERS])
        write_csv(self.members, paths[r.EMERGING_MEMBERS])


def _emerging(
    config: RunConfig, paths: RunPaths, labels: dict[str, str]
) -> tuple[_Emerging | None, str]:
    """Emerging hot spots and clusters when asked for and possible; else None and why not."""
    assert config.growth is not None
    spec = config.growth.emerging
    if spec is None:
        return None, ""
    areas = intermediates.read_areas_if_any(paths)
    if areas is None or not paths[r.WEIGHTS].exists():
        return None, (
            "emerging hot spots not computed: the run's areas have no boundaries, so there "
            "are no neighbours to compute Gi* with (add an 'areas' section)"
        )
    lq = intermediates.read_lq_by_year(paths)
    years = [] if lq is None else sorted(int(y) for y in lq["year"].unique())
    if lq is None or len(years) < MIN_TREND_YEARS:
        return None, (
            f"emerging hot spots not computed: a trend needs at least {MIN_TREND_YEARS} years "
            f"with LQs, and the run has {len(years) or 1}"
        )
    ids = areas["area_code"].astype(str).to_numpy()
    values = {
        year: analysed_values(lq.loc[lq["year"] == year], areas, config.hotspots.variable)
        .reindex(ids)
        .rename_axis(index="area_code")
        for year in years
    }
    weights = intermediates.read_weights(paths, ids)
    # Gi* of every year is corrected over every area given (the edge buffer too), the most
    # tested of any year counting, and classified at the trend's alpha; only a Gi*
    # classified by permutation p-values has permutations to raise.
    tested = np.max([values[year].notna().sum().to_numpy() for year in years], axis=0)
    tests = correction_tests(config.hotspots, tested)
    settings = enough_permutations(
        gi_star_settings(config.hotspots), tests, of="for emerging hot spots", level=spec.alpha
    )
    # Reported for the study area, like the hot spots; the edge buffer only lent neighbours.
    study = set(areas.loc[areas["in_study_area"], "area_code"].astype(str))
    kinds = lq.drop_duplicates("industry_code").set_index("industry_code")["kind"]
    analysis = emerging_analysis(
        values,
        weights,
        settings,
        time_lag=spec.time_lag,
        alpha=spec.alpha,
        check=FloorCheck(
            labels=labels,
            kinds={str(code): str(kind) for code, kind in kinds.items()},
            report_for=study,
            at_least=permutations_for(settings, tests, level=spec.alpha),
            fix=RAISE_THE_CAP,
        ),
    )
    table = analysis.table
    table = table.loc[table["area_code"].astype(str).isin(study)].reset_index(drop=True)
    table.insert(2, "kind", table["industry_code"].astype(str).map(kinds))
    table.insert(3, "label", table["industry_code"].astype(str).map(labels))
    tiers = areas[[c for c in areas.columns if c == "area_code" or c.endswith("_code")]]
    clusters, members = emerging_clusters(table, weights, pd.DataFrame(tiers))
    clusters.insert(2, "label", clusters["industry_code"].map(labels))
    crossing = [c for c in clusters.columns if c.startswith("crosses_")]
    straddling = int(clusters[crossing].any(axis=1).sum()) if crossing else 0
    note = (
        f"emerging hot spots over {year_ranges(years)} ({config.hotspots.variable}, "
        f"alpha {spec.alpha:g}{', time-lagged neighbours' if spec.time_lag else ''}): "
        f"{len(clusters)} emerging clusters of new, consecutive or intensifying hot spots, "
        f"{straddling} of them across an authority boundary"
    )
    emerging = _Emerging(table, clusters, members, settings.permutations, analysis.floor)
    return emerging, note
