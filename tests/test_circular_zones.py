"""Symbiosis zones, gaps and scattered users on a small grid, against hand-computed values."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from clustergeo.circular.matrix import Stream, side_key
from clustergeo.circular.zones import Reference, find_zones
from clustergeo.hotspots.weights import build_weights
from conftest import square_grid

# A 12 x 4 grid of 100 m squares. Every stream has one producer finding on the 2 x 2 block at
# the left end. Stream "z" has a user finding one column away (100 m): a zone. Stream "s" has
# one at the right end (800 m away) and a single user job in each area near the producers:
# users scarce within reach, a gap. Stream "t" has no user finding at all and 15 user jobs in
# each area near the producers: users there in ordinary numbers, scattered.
_PRODUCERS = ["A0000", "A0001", "A0100", "A0101"]
_USERS = {"z": ["A0003", "A0004", "A0103", "A0104"], "s": ["A0010", "A0011", "A0110", "A0111"]}
_DISTANCE_KM = 0.32  # reaches area centroids up to 250 m from the block: columns 0-4
_USERS_SHARE = 0.01
_REFERENCE_TOTAL = 1_000_000.0


def _stream(key: str) -> Stream:
    return Stream(key, key.upper(), "", "producers", ("F",), "users", ("E",), ("a source",))


@pytest.fixture(scope="module")
def zones() -> pd.DataFrame:
    grid = square_grid(12, 4, digits=2)
    shape = grid.set_index("area_code").geometry
    rows, members = [], []
    for stream in ("z", "s", "t"):
        for side, codes in (("producers", _PRODUCERS), ("users", _USERS.get(stream, []))):
            if not codes:
                continue
            cluster_id = f"{side_key(stream, side)}-{codes[0]}"
            rows.append(
                {
                    "cluster_id": cluster_id,
                    "industry_code": side_key(stream, side),
                    "employment": 400.0,
                    "anchor_area_code": codes[0],
                    "geometry": shape.loc[codes].union_all(),
                }
            )
            members += [(cluster_id, code, "core") for code in codes]
    findings = gpd.GeoDataFrame(rows, geometry="geometry", crs=grid.crs)
    member_frame = pd.DataFrame(members, columns=["cluster_id", "area_code", "part"])
    colocation = pd.DataFrame(
        {"area_code": pd.Series(dtype=str), "stream": pd.Series(dtype=str), "colocated": False}
    )
    columns = grid.geometry.centroid.x.sub(grid.geometry.centroid.x.min()) // 100
    near = pd.Series((columns <= 4).to_numpy(), index=grid["area_code"])
    employment = {
        side_key(stream, side): pd.Series(0.0, index=grid["area_code"])
        for stream in ("z", "s", "t")
        for side in ("producers", "users")
    }
    employment["s_users"] = near.astype(float)  # 1 job in each area within reach
    employment["t_users"] = near.astype(float) * 15.0
    found = find_zones(
        findings,
        member_frame,
        colocation,
        streams=[_stream(k) for k in ("z", "s", "t")],
        weights=build_weights(grid),
        areas=grid,
        side_employment=employment,
        reference=Reference(
            area_totals=pd.Series(1000.0, index=grid["area_code"]),
            shares={side_key(k, "users"): _USERS_SHARE for k in ("z", "s", "t")},
            total=_REFERENCE_TOTAL,
            confidence_level=0.95,
        ),
        distance_km=_DISTANCE_KM,
    )
    return found.zones.set_index("stream")


def test_a_user_finding_within_the_distance_makes_a_zone(zones: pd.DataFrame) -> None:
    zone = zones.loc["z"]
    assert zone["kind"] == "zone"
    assert zone["zone_id"] == "z-A0000"
    assert zone["linked_by"] == "distance"
    assert zone["distance_km"] == pytest.approx(0.1)
    assert zone["member_codes"].split(";") == sorted(_PRODUCERS + _USERS["z"])
    assert zone["producer_employment"] == 400.0
    assert zone["user_employment"] == 400.0


def test_users_scarce_within_reach_make_a_gap(zones: pd.DataFrame) -> None:
    gap = zones.loc["s"]
    assert gap["kind"] == "gap"
    assert gap["nearest_user_id"] == "s_users-A0010"
    assert gap["nearest_user_km"] == pytest.approx(0.8)
    # 20 areas within reach (columns 0-4), 1 user job and 1,000 jobs each:
    # LQ = (20 / 20,000) / 0.01 = 0.1; Var(ln LQ) = 1/20 - 1/20,000 + 1/10,000 - 1/1,000,000.
    assert gap["users_nearby_employment"] == 20.0
    assert gap["users_nearby_lq"] == pytest.approx(0.1)
    variance = 1 / 20 - 1 / 20_000 + 1 / (_USERS_SHARE * _REFERENCE_TOTAL) - 1 / _REFERENCE_TOTAL
    upper = 0.1 * math.exp(1.959963984540054 * math.sqrt(variance))
    assert gap["users_nearby_lq_upper"] == pytest.approx(upper, rel=1e-9)


def test_users_in_ordinary_numbers_within_reach_are_scattered_not_a_gap(
    zones: pd.DataFrame,
) -> None:
    scattered = zones.loc["t"]
    assert scattered["kind"] == "scattered"
    assert scattered["users_nearby_employment"] == 300.0
    assert scattered["users_nearby_lq"] == pytest.approx(1.5)
    assert scattered["nearest_user_id"] == ""
    assert np.isnan(scattered["nearest_user_km"])
