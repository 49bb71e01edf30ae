"""The report says what a site's shares of its authorities are of."""

from __future__ import annotations

import pandas as pd

from clustergeo.publish.report import _site_blocks


def _sites(bases: list[str]) -> pd.DataFrame:
    n = len(bases)
    return pd.DataFrame(
        {
            "site_key": [f"s{i}" for i in range(n)],
            "name": [f"Park {i}" for i in range(n)],
            "status": ["inside_study_area"] * n,
            "buffer_km": [2.0] * n,
            "districts": ["North; South"] * n,
            "straddles_counties": [True] * n,
            "ca_status": ["outside_any_ca"] * n,
            "sector_clusters_in": [""] * n,
            "sector_clusters_near": [""] * n,
            "share_basis": bases,
        }
    )


def _paragraphs(sites: pd.DataFrame) -> list[str]:
    blocks = _site_blocks(sites, pd.Series(dtype=object))
    return [b.text for b in blocks if b.kind == "p"]


def test_one_basis_is_said_once() -> None:
    assert _paragraphs(_sites(["employment", "employment"])) == [
        "A site's share of each authority is of the jobs in its footprint (each area's "
        "workplace employment spread evenly over the area)."
    ]
    (land,) = _paragraphs(_sites(["area"]))
    assert land.startswith("A site's share of each authority is of its footprint's land")
    assert "whole districts" in land


def test_mixed_bases_name_their_sites() -> None:
    (sentence,) = _paragraphs(_sites(["employment", "area", "employment"]))
    assert "the jobs in its footprint" in sentence
    assert "for Park 0, Park 2;" in sentence
    assert sentence.endswith("for Park 1.")


def test_sites_outside_the_study_area_do_not_count() -> None:
    sites = _sites(["employment", "area"])
    sites.loc[1, "status"] = "outside_study_area"
    paragraphs = _paragraphs(sites)
    assert paragraphs[0].endswith("spread evenly over the area).")
    assert paragraphs[1] == "Outside the study area, not assessed: Park 1."
