"""Stars and strength of findings, against hand-computed ranks."""

from __future__ import annotations

import pandas as pd
import pytest

from clustergeo.clusters.strength import strength_scores

#: Four findings; N = 4, so a percentile rank is (rank - 1) / 3.
FINDINGS = pd.DataFrame(
    {
        "employment_share": [0.4, 0.3, 0.2, 0.1],
        "lq": [2.0, 5.0, 3.0, 1.5],
        "focus": [0.1, 0.5, 0.3, 0.3],
        "lq_z": [10.0, 30.0, 20.0, 5.0],
    },
    index=["a", "b", "c", "d"],
)


def test_stars_go_to_the_top_share_of_each_dimension() -> None:
    # A quarter of 4 findings: the single largest value of each dimension.
    scores = strength_scores(FINDINGS, star_share=0.25)
    assert scores["star_size"].tolist() == [True, False, False, False]
    assert scores["star_specialisation"].tolist() == [False, True, False, False]
    assert scores["star_focus"].tolist() == [False, True, False, False]
    assert scores["stars"].tolist() == [1, 2, 0, 0]


def test_findings_tied_at_the_cut_all_get_the_star() -> None:
    # The top half is 2 findings; c and d tie for second place on focus.
    scores = strength_scores(FINDINGS, star_share=0.5)
    assert scores["star_focus"].tolist() == [False, True, True, True]


def test_strength_is_the_mean_percentile_rank_of_the_four_dimensions() -> None:
    scores = strength_scores(FINDINGS)
    # a: size 1, specialisation 1/3, focus 0, significance 1/3 -> 41.67
    # b: 2/3, 1, 1, 1 -> 91.67; c: 1/3, 2/3, 0.5 (tied with d), 2/3 -> 54.17; d: 0, 0, 0.5, 0
    assert scores["strength"].tolist() == pytest.approx([41.7, 91.7, 54.2, 12.5])
    # With 4 findings the top decile is still one finding per dimension.
    assert scores["stars"].tolist() == [1, 2, 0, 0]


def test_a_lone_finding_ranks_top_and_missing_values_rank_lowest() -> None:
    lone = strength_scores(FINDINGS.iloc[:1])
    assert lone["strength"].item() == 100.0
    assert lone["stars"].item() == 3
    gappy = FINDINGS.assign(focus=[0.1, None, 0.3, 0.3])
    scores = strength_scores(gappy, star_share=0.25)
    assert not scores.loc["b", "star_focus"]
    assert scores.loc["c", "star_focus"]
    assert scores.loc["d", "star_focus"]


def test_no_findings_give_an_empty_table() -> None:
    scores = strength_scores(FINDINGS.iloc[:0])
    assert scores.empty
    assert list(scores.columns) == [
        "star_size",
        "star_specialisation",
        "star_focus",
        "stars",
        "strength",
    ]


def test_a_dimension_no_finding_has_is_left_out_of_the_strength() -> None:
    # GVA findings carry no lq_z: the strength is the mean of the other three ranks.
    scores = strength_scores(FINDINGS.assign(lq_z=float("nan")))
    # a: 1, 1/3, 0 -> 44.4; b: 2/3, 1, 1 -> 88.9; c: 1/3, 2/3, 0.5 -> 50.0; d: 0, 0, 0.5 -> 16.7
    assert scores["strength"].tolist() == pytest.approx([44.4, 88.9, 50.0, 16.7])
