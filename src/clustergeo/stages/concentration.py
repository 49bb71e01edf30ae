"""Stage 3, concentration: location quotients for every area, industry, definition and year.

Reads the table and, when the run has boundaries, the areas; computes LQs with their intervals
against the configured reference (:mod:`clustergeo.concentration`) for every year of the table,
and district LQs and specialisation indices for the year the single-year stages analyse
(``employment.date``, default the last year). Writes that year's LQs (``lq.parquet``, which the
hot-spot, cluster, governance and grid stages read), every year's (``lq_by_year.parquet``, for a
table of several years), the district LQs, the specialisation indices and a report.

Without boundaries every area of the table is in the study area and there are no districts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo.concentration import (
    LqSettings,
    absent_pairs_notes,
    aggregate_cluster_definitions,
    district_location_quotients,
    employment_matrix,
    location_quotients,
    specialisation_indices,
)
from clustergeo.config import RunConfig
from clustergeo.ingest.national_totals import national_totals_years, read_national_totals
from clustergeo.ingest.years import analysis_year, year_ranges
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths

__all__ = ["run"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _YearLqs:
    """One year's LQs and what the analysed year also needs."""

    lq: pd.DataFrame
    matrix: pd.DataFrame
    clusters: pd.DataFrame
    totals: pd.Series
    reference_industry: pd.Series
    reference_clusters: pd.Series
    reference_total: float
    reference_label: str
    notes: list[str]


def _reference(
    config: RunConfig,
    matrix: pd.DataFrame,
    totals: pd.Series,
    study_codes: pd.Index,
    year: int | None,
    *,
    whole_table: bool,
) -> tuple[pd.Series, float, str]:
    reference = config.concentration.reference
    if reference == "national_totals":
        path = stage_inputs(config, r.CONCENTRATION)["national_totals"]
        series = read_national_totals(path, matrix.columns, year)
        return series, float(series.reindex(matrix.columns).sum()), f"national totals ({path.name})"
    rows = matrix.index if reference == "employment_file" or whole_table else study_codes
    label = (
        f"all {len(rows):,} areas in the data"
        if reference == "employment_file" or whole_table
        else f"the {len(rows):,} areas of the study area"
    )
    return matrix.loc[rows].sum(axis=0), float(totals.loc[rows].sum()), label


def _year_lqs(
    config: RunConfig,
    employment: pd.DataFrame,
    published: pd.DataFrame | None,
    *,
    codes: tuple[pd.Index, pd.Index],
    definitions: dict[str, tuple[str, ...]],
    settings: LqSettings,
    year: int | None,
    whole_table: bool,
    source: str,
) -> _YearLqs:
    """The LQs of one year of the table (``year`` None: a table without years).

    ``source`` names the employment table, for a message.
    """
    all_codes, study_codes = codes
    matrix = employment_matrix(employment)
    notes = absent_pairs_notes(employment, matrix)
    if published is not None:
        of_year = published if year is None else published.loc[published["year"] == year]
        totals = (
            of_year.set_index("area_code")["total"].reindex(matrix.index).fillna(matrix.sum(axis=1))
        )
    else:
        totals = matrix.sum(axis=1)
    # LQs are computed for the edge buffer too (the hot-spot statistics need its values), but
    # the study-area reference and the district figures use the study area alone.
    reference_industry, reference_total, reference_label = _reference(
        config, matrix, totals, study_codes, year, whole_table=whole_table
    )
    # A published total beside blank industries would pass the first test alone.
    if not (reference_total > 0 and reference_industry.sum() > 0):
        of = f"of {year} " if year is not None else ""
        raise InputDataError(
            f"The reference economy ({reference_label}) has no employment {of}in "
            f"{source}: every value {of}is missing or zero there, so no LQ can be computed. "
            + (
                f"Fill in the values of {year}, or leave that year out of the table."
                if year is not None
                else "Check that the table holds its values."
            )
        )
    clusters = aggregate_cluster_definitions(matrix, definitions)
    reference_clusters = pd.Series(
        {key: reference_industry.reindex(list(codes)).sum() for key, codes in definitions.items()},
        dtype="float64",
    )
    frames = [
        location_quotients(
            matrix.loc[all_codes], totals, reference_industry, reference_total, settings
        ).assign(kind="industry"),
    ]
    if definitions:
        frames.append(
            location_quotients(
                clusters.loc[all_codes], totals, reference_clusters, reference_total, settings
            ).assign(kind="cluster")
        )
    lq = pd.concat(frames, ignore_index=True)
    return _YearLqs(
        lq=lq,
        matrix=matrix,
        clusters=clusters,
        totals=totals,
        reference_industry=reference_industry,
        reference_clusters=reference_clusters,
        reference_total=reference_total,
        reference_label=reference_label,
        notes=notes,
    )


def _of_year(employment: pd.DataFrame, year: int | None) -> pd.DataFrame:
    if year is None:
        return employment.loc[employment["year"].isna()]
    return employment.loc[employment["year"] == year]


def run(config: RunConfig) -> None:  # noqa: PLR0915 (one stage, read top to bottom)
    """Compute LQs for every area x industry x year and cluster definition, and district LQs.

    Reads the ingest outputs (and the areas, when the run has boundaries) and writes the
    analysed year's LQ table (Parquet and CSV), every year's LQs, district LQs, specialisation
    indices and a report.
    """
    paths = RunPaths.for_config(config)
    record = intermediates.read_inputs_record(paths)
    settings = LqSettings.from_config(config.concentration)
    notes: list[str] = []
    if not record.counts_people:
        settings = replace(settings, intervals=False)
        notes.append(
            f"the values are {record.measure_label}, not counts of people: LQ intervals "
            "(which treat values as Poisson counts) are not computed, and the floors "
            "min_area_employment and min_cell_employment are in the table's unit"
        )
    areas = intermediates.read_areas_if_any(paths)
    employment = intermediates.read_employment(paths)
    industries = intermediates.read_industries(paths)
    definitions = industries.definition_codes
    labels = industries.labels
    published = intermediates.read_area_totals(paths)

    years = list(record.years)
    year = analysis_year(years, config.employment.date, source=record.employment_source)
    if areas is not None:
        all_codes = pd.Index(areas["area_code"])
        study_codes = pd.Index(areas.loc[areas["in_study_area"], "area_code"])
    else:
        all_codes = study_codes = pd.Index(sorted(employment["area_code"].unique()))
    whole_table = areas is None
    computed: list[int | None] = [*years] if years else [None]
    if len(years) > 1 and config.concentration.reference == "national_totals":
        totals_path = stage_inputs(config, r.CONCENTRATION)["national_totals"]
        if not national_totals_years(totals_path):
            computed = [year]
            notes.append(
                f"national totals {totals_path.name} have no year column: they are taken as "
                f"{year}'s, and LQs of the other years are not computed (add a year column to "
                "compare years)"
            )
    by_year: dict[int | None, _YearLqs] = {
        each: _year_lqs(
            config,
            _of_year(employment, each),
            published,
            codes=(all_codes, study_codes),
            definitions=definitions,
            settings=settings,
            year=each,
            whole_table=whole_table,
            source=record.employment_source,
        )
        for each in computed
    }
    analysed = by_year[year]
    notes.extend(analysed.notes)
    # Said once, for the analysed year: each year's matrix would repeat it.
    others = [
        each
        for each, result in by_year.items()
        if each is not None and each != year and result.notes
    ]
    for note in analysed.notes:
        also = f" The table leaves out pairs in {year_ranges(others)} too." if others else ""
        log.warning("%s%s", note, also)
    if others and not analysed.notes:
        log.warning("In %s: %s", year_ranges(others), by_year[others[0]].notes[0])
    measure = record.measure
    lq = analysed.lq
    lq.insert(2, "label", lq["industry_code"].map(labels))
    lq["in_study_area"] = lq["area_code"].isin(set(study_codes))
    if year is not None:
        lq.insert(3, "year", year)
    if measure is not None:
        lq.insert(4 if year is not None else 3, "measure", measure)

    district_lq = None
    study = analysed.matrix.loc[study_codes]
    if areas is not None and "district_code" in areas:
        district_of = areas.set_index("area_code")["district_code"].reindex(study_codes)
        district_lq = district_location_quotients(
            pd.concat([study, analysed.clusters.loc[study_codes]], axis=1),
            area_totals=analysed.totals.loc[study_codes],
            district_of=district_of,
            reference_industry=pd.concat(
                [analysed.reference_industry, analysed.reference_clusters]
            ),
            reference_total=analysed.reference_total,
            settings=settings,
        )
        district_lq["kind"] = np.where(
            district_lq["industry_code"].isin(set(study.columns)), "industry", "cluster"
        )

    specialisation = specialisation_indices(
        study, analysed.reference_industry / analysed.reference_total
    )
    reliable_high = (
        lq.loc[(lq["kind"] == "industry") & ~lq["lq_unreliable"] & (lq["lq"] >= 1.25)]
        .groupby("area_code")
        .size()
    )
    specialisation["n_specialised_industries"] = (
        reliable_high.reindex(specialisation.index).fillna(0).astype("int64")
    )
    specialisation = specialisation.reset_index()

    write_parquet(lq, paths[r.LQ])
    write_csv(lq, paths[r.LQ_CSV])
    if len(by_year) > 1:
        every = _every_year(by_year, labels, study_codes, measure)
        write_parquet(every, paths[r.LQ_BY_YEAR])
        write_csv(every, paths[r.LQ_BY_YEAR_CSV])
        notes.append(
            f"LQs of every year {year_ranges(years)} in lq_by_year; the single-year stages "
            f"analyse {year}"
            + (" (employment.date)" if config.employment.date else " (the last year)")
        )
    if district_lq is not None:
        assert areas is not None
        names = areas.drop_duplicates("district_code").set_index("district_code")["district_name"]
        district_lq.insert(1, "district_name", district_lq["district_code"].map(names))
        district_lq.insert(3, "label", district_lq["industry_code"].map(labels))
        write_parquet(district_lq, paths[r.DISTRICT_LQ])
    write_parquet(specialisation, paths[r.SPECIALISATION])
    check = lq.loc[lq["kind"] == "industry"]
    report = {
        "stage": "concentration",
        "reference": analysed.reference_label,
        "reference_total": analysed.reference_total,
        **({"year": year, "years": years} if year is not None else {}),
        **({"measure": measure} if measure is not None else {}),
        "settings": {
            "min_area_employment": settings.min_area_employment,
            "min_cell_employment": settings.min_cell_employment,
            "confidence_level": settings.confidence_level,
        },
        "counts": {
            "area_industry_rows": len(check),
            "unreliable": int(check["lq_unreliable"].sum()),
            "suppressed": int((check["lq_note"] == "suppressed").sum()),
            "negative": int((check["lq_note"] == "negative").sum()),
            "cluster_definitions": sorted(definitions),
        },
        "notes": notes,
    }
    write_json(report, paths[r.CONCENTRATION_REPORT])


def _every_year(
    by_year: dict[int | None, _YearLqs],
    labels: dict[str, str],
    study_codes: pd.Index,
    measure: str | None,
) -> pd.DataFrame:
    """Every year's LQs in one long table, with ``year``, ``measure`` and ``in_study_area``.

    The edge buffer is kept, as in the analysed year's table: emerging hot spots compute Gi*
    year by year on the same areas as the hot-spot stage.
    """
    frames = []
    study = set(study_codes)
    for year, result in by_year.items():
        frame = result.lq.drop(
            columns=[c for c in ("label", "year", "measure", "in_study_area") if c in result.lq]
        )
        frame.insert(2, "label", frame["industry_code"].map(labels))
        frame.insert(3, "year", year)
        frame.insert(4, "measure", measure or "not stated")
        frame["in_study_area"] = frame["area_code"].isin(study)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
