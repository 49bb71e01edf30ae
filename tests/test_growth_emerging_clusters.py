"""Emerging clusters: rising hot spots grouped by contiguity, and the boundaries they cross."""

from __future__ import annotations

import pandas as pd
import pytest

from clustergeo.growth.emerging_clusters import emerging_clusters
from clustergeo.hotspots.weights import build_weights
from conftest import square_grid


@pytest.fixture
def strip() -> pd.DataFrame:
    """Four squares in a row, A000 to A003: each touches the next one only."""
    grid = square_grid(4, 1)
    grid["area_code"] = ["A000", "A001", "A002", "A003"]
    return grid


def _emerging(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_code", "industry_code", "category"])


def test_neighbouring_rising_hot_spots_are_one_cluster_that_crosses_a_district(
    strip: pd.DataFrame,
) -> None:
    weights = build_weights(strip)
    table = _emerging(
        [
            ("A000", "x", "new_hot_spot"),
            ("A001", "x", "intensifying_hot_spot"),
            ("A002", "x", "no_pattern"),
            ("A003", "x", "consecutive_hot_spot"),
            # Persistent and diminishing hot spots are today's or yesterday's clusters.
            ("A000", "y", "persistent_hot_spot"),
            ("A001", "y", "diminishing_hot_spot"),
        ]
    )
    districts = pd.DataFrame(
        {
            "area_code": ["A000", "A001", "A002", "A003"],
            "district_code": ["D1", "D2", "D2", "D2"],
            "county_code": ["C1", "C1", "C1", None],
        }
    )
    clusters, members = emerging_clusters(table, weights, districts)
    assert list(clusters["emerging_id"]) == ["x-1", "x-2"]
    first = clusters.set_index("emerging_id").loc["x-1"]
    assert first["n_areas"] == 2
    assert (first["n_new_hot_spot"], first["n_intensifying_hot_spot"]) == (1, 1)
    assert (first["n_district"], first["crosses_district"]) == (2, True)
    assert (first["n_upper_tier"], first["crosses_upper_tier"]) == (1, False)
    second = clusters.set_index("emerging_id").loc["x-2"]
    assert (second["n_areas"], second["n_consecutive_hot_spot"]) == (1, 1)
    assert not second["crosses_district"]
    # A district in no county is a unitary authority: its own upper tier.
    assert (second["n_upper_tier"], second["crosses_upper_tier"]) == (1, False)
    assert sorted(members.loc[members["emerging_id"] == "x-1", "area_code"]) == ["A000", "A001"]
    assert "combined_authority" not in " ".join(clusters.columns)


def test_a_cluster_from_a_county_into_a_unitary_authority_crosses_the_upper_tier(
    strip: pd.DataFrame,
) -> None:
    # Bracknell Forest (unitary) beside Hart (a district of Hampshire): two upper-tier
    # authorities, though only one county.
    table = _emerging([("A000", "x", "new_hot_spot"), ("A001", "x", "intensifying_hot_spot")])
    areas = pd.DataFrame(
        {
            "area_code": ["A000", "A001", "A002", "A003"],
            "district_code": ["E06000036", "E07000089", "E07000089", "E07000089"],
            "county_code": [None, "E10000014", "E10000014", "E10000014"],
            "region_code": ["E12000008"] * 4,
        }
    )
    clusters, _members = emerging_clusters(table, build_weights(strip), areas)
    (row,) = clusters.to_dict("records")
    assert (row["n_upper_tier"], row["crosses_upper_tier"]) == (2, True)
    assert (row["n_region"], row["crosses_region"]) == (1, False)


def test_no_rising_hot_spots_no_clusters(strip: pd.DataFrame) -> None:
    clusters, members = emerging_clusters(
        _emerging([("A000", "x", "sporadic_hot_spot")]), build_weights(strip), None
    )
    assert clusters.empty
    assert members.empty
    assert list(members.columns) == ["emerging_id", "area_code"]


def test_an_area_outside_the_weights_is_an_error(strip: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not in the weights"):
        emerging_clusters(_emerging([("Z999", "x", "new_hot_spot")]), build_weights(strip), None)
