"""Stage 2, concentration: location quotients for every area, industry and cluster definition.

Reads the ingest outputs, computes LQs with their intervals against the configured reference
(:mod:`clustergeo.concentration`), district LQs and specialisation indices, and writes them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

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
from clustergeo.ingest.national_totals import read_national_totals
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths

__all__ = ["run"]

log = logging.getLogger(__name__)


def _reference(
    config: RunConfig,
    matrix: pd.DataFrame,
    totals: pd.Series,
    study_codes: pd.Index,
) -> tuple[pd.Series, float, str]:
    reference = config.concentration.reference
    if reference == "national_totals":
        path = stage_inputs(config, r.CONCENTRATION)["national_totals"]
        series = read_national_totals(path, matrix.columns)
        return series, float(series.reindex(matrix.columns).sum()), f"national totals ({path.name})"
    rows = matrix.index if reference == "employment_file" else study_codes
    label = (
        f"all {len(rows):,} areas of the employment table"
        if reference == "employment_file"
        else f"the {len(rows):,} areas of the study area"
    )
    return matrix.loc[rows].sum(axis=0), float(totals.loc[rows].sum()), label


def run(config: RunConfig) -> None:
    """Compute LQs for every area x industry and cluster definition, and district LQs.

    Reads the ingest outputs and writes the LQ table (Parquet and CSV), district LQs,
    specialisation indices and a report.
    """
    paths = RunPaths.for_config(config)
    settings = LqSettings.from_config(config.concentration)
    areas = intermediates.read_areas(paths)
    employment = intermediates.read_employment(paths)
    industries = intermediates.read_industries(paths)
    definitions = industries.definition_codes
    labels = industries.labels

    matrix = employment_matrix(employment)
    notes = absent_pairs_notes(employment, matrix)
    published = intermediates.read_area_totals(paths)
    if published is not None:
        totals = published.reindex(matrix.index).fillna(matrix.sum(axis=1))
    else:
        totals = matrix.sum(axis=1)
    # LQs are computed for the edge buffer too (the hot-spot statistics need its values), but
    # the study-area reference and the district figures use the study area alone.
    all_codes = pd.Index(areas["area_code"])
    study_codes = pd.Index(areas.loc[areas["in_study_area"], "area_code"])
    reference_industry, reference_total, reference_label = _reference(
        config, matrix, totals, study_codes
    )
    clusters = aggregate_cluster_definitions(matrix, definitions)
    reference_clusters = pd.Series(
        {key: reference_industry.reindex(list(codes)).sum() for key, codes in definitions.items()},
        dtype="float64",
    )

    study = matrix.loc[study_codes]
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
    lq.insert(2, "label", lq["industry_code"].map(labels))
    lq["in_study_area"] = lq["area_code"].isin(set(study_codes))

    district_lq = None
    if "district_code" in areas:
        district_of = areas.set_index("area_code")["district_code"].reindex(study_codes)
        district_lq = district_location_quotients(
            pd.concat([study, clusters.loc[study_codes]], axis=1),
            area_totals=totals.loc[study_codes],
            district_of=district_of,
            reference_industry=pd.concat([reference_industry, reference_clusters]),
            reference_total=reference_total,
            settings=settings,
        )
        district_lq["kind"] = np.where(
            district_lq["industry_code"].isin(set(study.columns)), "industry", "cluster"
        )

    specialisation = specialisation_indices(study, reference_industry / reference_total)
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
    if district_lq is not None:
        names = areas.drop_duplicates("district_code").set_index("district_code")["district_name"]
        district_lq.insert(1, "district_name", district_lq["district_code"].map(names))
        district_lq.insert(3, "label", district_lq["industry_code"].map(labels))
        write_parquet(district_lq, paths[r.DISTRICT_LQ])
    write_parquet(specialisation, paths[r.SPECIALISATION])
    check = lq.loc[lq["kind"] == "industry"]
    report = {
        "stage": "concentration",
        "reference": reference_label,
        "reference_total": reference_total,
        "settings": {
            "min_area_employment": settings.min_area_employment,
            "min_cell_employment": settings.min_cell_employment,
            "confidence_level": settings.confidence_level,
        },
        "counts": {
            "area_industry_rows": len(check),
            "unreliable": int(check["lq_unreliable"].sum()),
            "suppressed": int((check["lq_note"] == "suppressed").sum()),
            "cluster_definitions": sorted(definitions),
        },
        "notes": notes,
    }
    write_json(report, paths[r.CONCENTRATION_REPORT])
