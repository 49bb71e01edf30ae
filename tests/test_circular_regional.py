"""The full default matrix at regional scale: BRES 2021 by 5-digit SIC for the 40 ITL2 regions.

ITL2 regions come without polygons here, so the statistic is the one that needs no map, the
Ellison-Glaeser-Kerr coagglomeration index (the README's regional table comes from this).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clustergeo.circular.colocation import coagglomeration
from clustergeo.circular.matrix import SIDES, read_streams, resolve_streams
from clustergeo.industries import normalise_sic_code

_BRES = "bres_itl2_sic_2015_2021/bres_employment_itl2_sic5digit_2015_2021.csv.gz"


def _regions_by_subclass(shared_data: Path, year: int) -> pd.DataFrame:
    table = pd.read_csv(shared_data / _BRES, dtype={"INDUSTRY_CODE": str})
    # 01000 is a Nomis pseudo-code (DEFRA agricultural data), not an SIC subclass.
    table = table.loc[(table["DATE"] == year) & (table["INDUSTRY_CODE"] != "01000")]
    table = table.assign(code=table["INDUSTRY_CODE"].map(normalise_sic_code))
    return table.pivot_table(
        index="GEOGRAPHY_CODE", columns="code", values="COUNT", aggfunc="sum"
    ).fillna(0.0)


def test_every_default_stream_runs_on_regional_subclasses_and_metals_coagglomerate(
    shared_data: Path,
) -> None:
    wide = _regions_by_subclass(shared_data, 2021)
    assert len(wide) == 40
    resolution = resolve_streams(read_streams("default"), wide.columns)
    assert resolution.unresolved == {}
    assert len(resolution.resolved) == 10
    sides = {
        side: pd.DataFrame(
            {s.key: wide[list(s.industries(side))].sum(axis=1) for s in resolution.resolved}
        )
        for side in SIDES
    }
    for side in SIDES:
        assert (sides[side].sum() > 1000).all(), side
    gamma = coagglomeration(sides["producers"], sides["users"], wide.sum(axis=1))
    assert np.isfinite(gamma).all()
    # Coagglomeration of industry pairs is small (Ellison, Glaeser & Kerr 2010 report most
    # pairs within +-0.05); metal working and the steel, foundry and scrap industries that
    # take its scrap share regions (the West Midlands, Yorkshire) more than all jobs do.
    assert gamma.abs().max() < 0.05
    assert gamma["metals"] > 0.005
    assert gamma.idxmax() == "metals"
