"""Property tests for the maths: invariants that must hold for any input, found by hypothesis.

The number of examples comes from the hypothesis profile: ``ci`` (the default, quick) or
``thorough`` (``HYPOTHESIS_PROFILE=thorough make test``, many more examples). Other property
tests live beside the code they test: LQ scaling and row order (test_concentration.py),
Gi* z under affine transforms and Benjamini-Hochberg (test_hotspots_engine.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clustergeo.clusters.findings import build_findings
from clustergeo.concentration import LqSettings, location_quotients
from clustergeo.config import ClustersConfig
from clustergeo.governance.overlay import STRADDLE_SHARE, authority_links, governance_flags
from clustergeo.hotspots.multiple_testing import adjust_p_values
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from conftest import square_grid

counts_strategy = st.integers(min_value=2, max_value=8).flatmap(
    lambda n: hnp.arrays(np.int64, (n, 4), elements=st.integers(0, 3000))
)


@given(counts=counts_strategy)
def test_reference_lq_is_one(counts: np.ndarray) -> None:
    """Against its own study area, every industry's employment-weighted mean LQ is exactly 1.

    Sum_i e_i LQ_ij / Sum_i e_i = (Sum_i e_ij / E_j) (E / Sum_i e_i) = 1.
    """
    frame = pd.DataFrame(counts, columns=list("CFJM"), dtype=float)
    frame.index = [f"a{i}" for i in range(len(frame))]
    totals = frame.sum(axis=1)
    if (totals == 0).any() or (frame.sum(axis=0) == 0).any():
        return  # an area or industry with no employment has no LQ to weigh
    lq = location_quotients(
        frame, totals, frame.sum(axis=0), float(totals.sum()), LqSettings(0, 0)
    ).pivot(index="area_code", columns="industry_code", values="lq")
    weighted = (lq.mul(totals, axis=0)).sum(axis=0) / totals.sum()
    np.testing.assert_allclose(weighted.to_numpy(), 1.0, rtol=1e-12)


@given(
    p=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.integers(1, 4)),
        elements=st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.01, 0.05, 1.0])),
    ),
    level=st.sampled_from([0.01, 0.05, 0.10]),
)
def test_corrections_are_never_more_permissive(p: np.ndarray, level: float) -> None:
    """No correction ever declares more areas significant than the raw p-values do."""
    raw = (p <= level).sum()
    for method in ("fdr_bh", "bonferroni"):
        for scope in ("industry", "all"):
            adjusted = adjust_p_values(p, method, scope)  # type: ignore[arg-type]
            assert (adjusted >= p - 1e-15).all()
            assert (adjusted <= level).sum() <= raw


GRID = square_grid(6, 4, digits=1)
WEIGHTS = build_weights(GRID)


def _results(hot: np.ndarray, z: np.ndarray, employment: np.ndarray) -> pd.DataFrame:
    codes = GRID["area_code"].to_numpy()
    return pd.DataFrame(
        {
            "area_code": codes,
            "industry_code": "C",
            "label": "Manufacturing",
            "kind": "industry",
            "employment": employment.astype(float),
            "area_total": 1000.0,
            "reference_share": 0.1,
            "lq": np.where(hot, 2.0, 0.5),
            "lq_lower": np.where(hot, 1.5, 0.3),
            "gi_star_z": z,
            "gi_star_p_fdr": np.where(hot, 0.001, 0.5),
            "gi_star_class": np.where(hot, "hot_99", "not_significant"),
            "moran_quadrant": np.where(hot, "HH", "LL"),
            "moran_p_fdr": np.where(hot, 0.001, 0.5),
        }
    )


@given(
    hot=hnp.arrays(np.bool_, 24),
    z=hnp.arrays(np.float64, 24, elements=st.floats(-5, 30)),
    employment=hnp.arrays(np.int64, 24, elements=st.integers(0, 500)),
    seed=st.integers(0, 2**32 - 1),
)
def test_clusters_do_not_depend_on_row_order(
    hot: np.ndarray, z: np.ndarray, employment: np.ndarray, seed: int
) -> None:
    """Same clusters, IDs, members and attributes, whatever order the rows come in."""
    settings = ClustersConfig(min_employment=0)
    results = _results(hot, z, employment)
    first = build_findings(results, GRID, WEIGHTS, settings, ["C"], traded={}, reference_total=1e6)
    shuffled = results.sample(frac=1, random_state=seed)
    areas = GRID.sample(frac=1, random_state=seed)
    permuted = SpatialWeights.from_links(WEIGHTS.links(), areas["area_code"].to_numpy(), "same")
    second = build_findings(
        shuffled, areas, permuted, settings, ["C"], traded={}, reference_total=1e6
    )
    columns = [c for c in first.findings.columns if c != "geometry"]
    pd.testing.assert_frame_equal(first.findings[columns], second.findings[columns])
    pd.testing.assert_frame_equal(first.members, second.members)
    # Every member was a candidate, each candidate is in at most one cluster, and the
    # clusters' employment adds up over their members.
    assert first.members["area_code"].is_unique
    assert set(first.members["area_code"]) <= set(results.loc[hot, "area_code"])
    by_member = results.set_index("area_code")["employment"]
    totals = (
        first.members.assign(e=first.members["area_code"].map(by_member))
        .groupby("cluster_id")["e"]
        .sum()
    )
    expected = first.findings.set_index("cluster_id")["employment"]
    assert totals.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["c1", "c2", "c3"]),
            st.sampled_from(["D1", "D2", "D3"]),
            st.sampled_from(["K1", "K2"]),
            st.sampled_from(["CA1", None]),
            st.floats(0, 1000),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_authority_shares_are_conserved(
    rows: list[tuple[str, str, str, str | None, float]],
) -> None:
    """Within a tier, authorities' shares of a cluster's employment add up to what is in any."""
    pieces = pd.DataFrame(
        rows,
        columns=[
            "cluster_id",
            "district_code",
            "upper_tier_code",
            "combined_authority_code",
            "employment",
        ],
    )
    for tier in ("district", "upper_tier", "combined_authority"):
        pieces[f"{tier}_name"] = pieces[f"{tier}_code"]
    links = authority_links(pieces, "cluster_id", ["employment"])
    totals = pieces.groupby("cluster_id")["employment"].sum()
    for (cluster, tier), group in links.groupby(["cluster_id", "tier"]):
        if totals[cluster] == 0:
            assert group["employment_share"].isna().all()
            continue
        inside = pieces.loc[
            (pieces["cluster_id"] == cluster) & pieces[f"{tier}_code"].notna(), "employment"
        ].sum()
        assert group["employment_share"].sum() == pytest.approx(inside / totals[cluster])
        assert group["employment"].sum() == pytest.approx(inside)
    flags = governance_flags(pieces, "cluster_id", "employment").set_index("cluster_id")
    # Straddling means more than 5% of the employment in districts other than the lead.
    by_district = pieces.groupby(["cluster_id", "district_code"])["employment"].sum()
    outside = by_district.groupby("cluster_id").sum() - by_district.groupby("cluster_id").max()
    share = (outside / totals.reindex(outside.index)).fillna(0.0).reindex(flags.index)
    assert (flags["straddles_districts"] == (share > STRADDLE_SHARE)).all()
    assert (flags["single_district"] == ~flags["straddles_districts"]).all()
    n_districts = pieces.groupby("cluster_id")["district_code"].nunique().reindex(flags.index)
    assert not (flags["straddles_districts"] & (n_districts == 1)).any()
