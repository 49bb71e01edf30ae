"""Finding where too few permutations, not the data, left areas not significant."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from clustergeo.circular.colocation import Inference, colocation_floor_limits
from clustergeo.config import HotspotsConfig, load_config
from clustergeo.hotspots.emerging import FloorCheck, emerging_analysis
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.permutation_floor import (
    RAISE_THE_CAP,
    correction_tests,
    enough_permutations,
    floor_limits,
    permutations_for,
    permutations_needed,
    smallest_pseudo_p,
)
from clustergeo.hotspots.statistics import permutation_levels
from clustergeo.hotspots.weights import build_weights
from clustergeo.publish.key_findings import _floor_limitation
from clustergeo.stages import registry as r
from clustergeo.stages.circular import _colocation_inference
from clustergeo.stages.intermediates import read_floor_limits
from clustergeo.stages.paths import RunPaths
from clustergeo.stages.runner import run_stages
from conftest import plain_method, square_grid


def test_smallest_pseudo_p_is_twice_as_large_two_sided() -> None:
    assert smallest_pseudo_p(9999, "two-sided") == pytest.approx(2e-4, rel=1e-15)
    assert smallest_pseudo_p(999, "greater") == pytest.approx(1e-3, rel=1e-15)
    assert smallest_pseudo_p(999, "folded") == pytest.approx(1e-3, rel=1e-15)
    assert smallest_pseudo_p(0, "two-sided") is None


@pytest.mark.parametrize("permutations", [19, 999, 1000, 12_345])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less", "folded"])
def test_smallest_pseudo_p_is_the_engines_smallest_level(
    permutations: int, alternative: str
) -> None:
    assert (
        smallest_pseudo_p(permutations, alternative)  # type: ignore[arg-type]
        == permutation_levels(permutations, alternative)[0]  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("tests", "alternative", "needed", "expected"),
    [
        # 2 x 1,308 / 0.05 = 52,320 draws: P = 52,319, rounded up to 99,999.
        (1308, "two-sided", 52_320, 99_999),
        # 1,308 / 0.05 = 26,160 draws: 49,999.
        (1308, "greater", 26_160, 49_999),
        # Without a correction (one test): 2 / 0.05 = 40 draws, 49 permutations.
        (1, "two-sided", 40, 49),
        # 144 areas: 5,760 draws, 9,999.
        (144, "two-sided", 5_760, 9_999),
        # Exactly a round count: 50 / 0.05 = 1,000 draws, P = 999.
        (50, "less", 1_000, 999),
    ],
)
def test_permutations_needed_by_hand(
    tests: int, alternative: str, needed: int, expected: int
) -> None:
    got = permutations_needed(tests, 0.05, alternative)  # type: ignore[arg-type]
    assert got == expected
    # An area at the floor passes on its own with that many, but not with P + 1 < needed.
    sides = 2 if alternative == "two-sided" else 1
    assert sides * tests / (got + 1) <= 0.05 + 1e-15
    assert sides * tests / (needed - 1) > 0.05


def test_permutations_needed_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one test"):
        permutations_needed(0, 0.05, "two-sided")
    with pytest.raises(ValueError, match="level"):
        permutations_needed(10, 0.0, "two-sided")


def test_permutations_are_raised_to_what_the_correction_needs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    default = HotspotsConfig()
    with caplog.at_level("INFO", logger="clustergeo.hotspots.permutation_floor"):
        # The Midlands' 1,308 MSOAs, two-sided: 2 x 1,308 / 0.05 = 52,320 draws.
        assert enough_permutations(default, 1308).permutations == 99_999
    [message] = [record.getMessage() for record in caplog.records]
    assert message.startswith("Permutations raised from 9,999 to 99,999, so that an area")
    # One-sided, a single area needs 1,308 / 0.05 = 26,160.
    assert enough_permutations(HotspotsConfig(alternative="greater"), 1308).permutations == 49_999
    # Enough already: 2 x 200 / 0.05 = 8,000.
    assert enough_permutations(default, 200) is default
    # More than the cap allows (England's LSOAs), no cap, nothing classified by permutations,
    # or no permutations at all: as configured.
    assert enough_permutations(default, 33_000) is default
    assert enough_permutations(HotspotsConfig(max_permutations=0), 1308).permutations == 9_999
    analytic = HotspotsConfig(moran_inference="analytic")
    assert enough_permutations(analytic, 1308) is analytic
    none = HotspotsConfig(permutations=0, moran_inference="analytic")
    assert enough_permutations(none, 1308) is none
    # Gi* by permutation is classified at 0.05 at the least strict.
    gi = HotspotsConfig(gi_star_inference="permutation", moran_inference="analytic")
    assert enough_permutations(gi, 1308).permutations == 99_999
    # More than asked for is never lowered.
    assert enough_permutations(HotspotsConfig(permutations=199_999), 1308).permutations == 199_999


def test_the_tests_counted_follow_the_correction() -> None:
    # Tested cells per column (missing values are not tested): 1,308 areas, one industry
    # with 8 missing.
    tested = np.array([1308] * 25 + [1300])
    assert correction_tests(HotspotsConfig(), tested) == 1308
    assert correction_tests(HotspotsConfig(correction_scope="all"), tested) == 1308 * 25 + 1300
    assert correction_tests(HotspotsConfig(correction="none"), tested) == 1
    assert correction_tests(HotspotsConfig(correction="bonferroni"), tested) == 1308
    assert correction_tests(HotspotsConfig(), np.array([], dtype=int)) == 0


def test_co_location_is_raised_even_where_the_hot_spots_are_analytic() -> None:
    codes = [f"A{i:04d}" for i in range(1400)]
    producers = pd.DataFrame({"s": np.arange(1400.0)}, index=codes)
    users = producers.copy()
    users.iloc[:50, 0] = np.nan  # not tested where a side is missing
    analytic = HotspotsConfig(moran_inference="analytic")
    study = set(codes[:1358])  # 1,308 tested: 1,358 in the study area less 50 missing
    inference, needed = _colocation_inference(analytic, producers, users, study)
    assert (inference.permutations, needed) == (99_999, 99_999)
    few, needed = _colocation_inference(analytic, producers, users, set(codes[:250]))
    assert (few.permutations, needed) == (9_999, 9_999)  # 8,000 draws: enough already


def test_the_advice_is_what_the_raise_needs_so_following_it_changes_the_run() -> None:
    # "small" is limited over 10 tests (499 would do for it alone), but the run's raise
    # counts its largest industry: a cap of 499 would change nothing. The advice says 9,999.
    ns = "not_significant"
    table = _table(classes={"small": [ns] * 10}, p={"small": [0.02] + [1.0] * 9})
    settings = HotspotsConfig(permutations=99, max_permutations=499)
    largest = permutations_for(settings, 144)
    assert largest == 9_999
    assert enough_permutations(settings, 144) is settings
    [limit] = floor_limits(table, settings, at_least=largest)
    assert (limit.tests, limit.permutations_needed) == (10, 9_999)
    raised = enough_permutations(
        settings.model_copy(update={"max_permutations": limit.permutations_needed}), 144
    )
    assert raised.permutations == 9_999


def test_emerging_hot_spots_are_raised_for_their_own_alpha() -> None:
    gi = HotspotsConfig(gi_star_inference="permutation", moran_inference="analytic")
    # 361 districts, two-sided: 2 x 361 / 0.05 = 14,440, but 2 x 361 / 0.01 = 72,200.
    assert permutations_for(gi, 361) == 19_999
    assert permutations_for(gi, 361, level=0.01) == 99_999
    assert enough_permutations(gi, 361, level=0.01).permutations == 99_999
    # A laxer alpha never lowers what the classes need.
    assert permutations_for(gi, 361, level=0.1) == 19_999
    assert permutations_for(HotspotsConfig(moran_inference="analytic"), 361, level=0.01) == 0


def test_a_cap_too_low_is_said_and_the_settings_kept(caplog: pytest.LogCaptureFixture) -> None:
    default = HotspotsConfig()
    with caplog.at_level("INFO", logger="clustergeo.hotspots.permutation_floor"):
        assert enough_permutations(default, 33_000, of="for co-location") is default
    [message] = [record.getMessage() for record in caplog.records]
    assert message == (
        "Permutations for co-location kept at 9,999: for an area beyond every permutation to "
        "pass the correction over 33,000 tests 1,999,999 are needed, more than "
        "hotspots.max_permutations (99,999)"
    )


def test_a_run_with_too_few_permutations_for_its_areas_raises_them_and_says_so(
    demo_run: RunPaths, tmp_path: Path
) -> None:
    data = {
        "extends": "demo",
        "data_dir": str(demo_run.root.parent / "raw"),
        "output_dir": str(tmp_path / "processed"),
        "hotspots": {"permutations": 999},
    }
    config_path = tmp_path / "demo.yaml"
    config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(config_path)
    run_stages(config, ["hotspots"])
    paths = RunPaths.for_config(config)
    record = json.loads(paths[r.HOTSPOTS_REPORT].read_text(encoding="utf-8"))
    # The demo's 1,500 areas need 2 x 1,500 / 0.05 = 60,000 draws for one area to pass.
    assert record["permutations_configured"] == 999
    assert record["statistics"]["permutations"] == 99_999
    assert record["statistics"]["smallest_pseudo_p"] == pytest.approx(2 / 100_000)
    assert record["permutation_floor"] == []
    table = pd.read_parquet(paths[r.HOTSPOTS])
    p = table["moran_p_sim"].dropna().to_numpy()
    assert p.min() == pytest.approx(2 / 100_000)


def _table(classes: dict[str, list[str]], p: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for industry, column in p.items():
        for i, (value, moran_class) in enumerate(zip(column, classes[industry], strict=True)):
            rows.append(
                {
                    "area_code": f"A{i}",
                    "industry_code": industry,
                    "kind": "cluster" if industry == "auto" else "industry",
                    "label": industry.upper(),
                    "moran_p_sim": value,
                    "moran_class": moran_class,
                    "gi_star_p_sim": value,
                    "gi_star_class": "not_significant",
                }
            )
    return pd.DataFrame(rows)


def test_only_the_statistics_asked_for_are_checked() -> None:
    # Both statistics by permutation, both at the floor and not significant for "auto".
    settings = HotspotsConfig(permutations=99, gi_star_inference="permutation")
    table = _table(classes={"auto": ["not_significant"] * 10}, p={"auto": [0.02] + [1.0] * 9})
    assert [limit.statistic for limit in floor_limits(table, settings)] == ["gi_star", "moran"]
    [gi_star] = floor_limits(table, settings, only=("gi_star",))
    assert gi_star.statistic == "gi_star"
    assert floor_limits(table, settings, only=()) == []


def test_floor_limits_by_hand() -> None:
    # 99 permutations, two-sided: floor 0.02. Ten areas per industry.
    settings = HotspotsConfig(permutations=99)
    ns = "not_significant"
    table = _table(
        classes={
            # At the floor and not significant (BH: 0.02 x 10 / 1 = 0.2): limited.
            "auto": [ns] * 10,
            # At the floor but significant: not limited.
            "c": ["HH"] + [ns] * 9,
            # Nothing at the floor: not limited.
            "j": [ns] * 10,
            # At the floor but not tested (NaN): not counted.
            "k": ["not_tested"] + [ns] * 9,
        },
        p={
            "auto": [0.02, 0.02, 0.5, 0.04] + [1.0] * 6,
            "c": [0.02] + [1.0] * 9,
            "j": [0.04] * 10,
            "k": [np.nan] + [1.0] * 9,
        },
    )
    [limit] = floor_limits(table, settings)
    assert limit.statistic == "moran"
    assert limit.industries == (("auto", "AUTO", "cluster"),)
    assert limit.areas == 2
    assert limit.smallest_p == pytest.approx(0.02)
    assert limit.tests == 10
    # 2 x 10 / 0.05 = 400 draws: 499.
    assert limit.permutations_needed == 499
    record = limit.to_record()
    assert record["industries"] == [{"code": "auto", "label": "AUTO", "kind": "cluster"}]
    # Gi* is classified by analytic p-values by default: its p_sim has no say.
    assert [limit.statistic for limit in floor_limits(table, settings)] == ["moran"]
    pooled = floor_limits(table, HotspotsConfig(permutations=99, correction_scope="all"))
    # One family of every tested cell: 39 tests.
    assert pooled[0].tests == 39
    uncorrected = floor_limits(table, HotspotsConfig(permutations=99, correction="none"))
    assert uncorrected[0].tests == 1
    assert floor_limits(table, HotspotsConfig(permutations=99, moran_inference="analytic")) == []
    # One permutation, two-sided: the floor is 1, every p-value; nothing lies beyond.
    assert floor_limits(table, HotspotsConfig(permutations=1)) == []


def test_the_largest_correction_of_the_flagged_industries_sets_the_advice() -> None:
    ns = "not_significant"
    # "big" has ten tests, "small" five (the rest of its areas untested): both flagged.
    table = _table(
        classes={"small": [ns] * 10, "big": [ns] * 10},
        p={"small": [0.02] + [1.0] * 4 + [np.nan] * 5, "big": [0.02] + [1.0] * 9},
    )
    [limit] = floor_limits(table, HotspotsConfig(permutations=99))
    assert [code for code, _label, _kind in limit.industries] == ["small", "big"]
    assert limit.tests == 10
    assert limit.areas == 2


def test_gi_star_by_permutation_is_checked_too() -> None:
    settings = HotspotsConfig(permutations=99, gi_star_inference="permutation")
    table = _table(classes={"c": ["HH"] * 10}, p={"c": [0.02] * 10})
    [limit] = floor_limits(table, settings)
    assert limit.statistic == "gi_star"
    assert limit.statistic_words == "Gi*"
    assert limit.areas == 10


def test_a_planted_cluster_hidden_by_too_few_permutations_is_found_with_the_advised_number() -> (
    None
):
    # A block of high values on a 12 x 12 grid: its interior is a Local Moran high-high
    # cluster, but with 199 permutations no two-sided p-value is below 0.01, and
    # Benjamini-Hochberg over 144 areas passes none unless 29 pass at once.
    weights = build_weights(square_grid(12, 12, digits=2))
    rng = np.random.default_rng(1)
    field = rng.normal(1.0, 0.1, size=(12, 12))
    field[4:8, 4:8] += 2.0
    values = pd.DataFrame({"C": field.ravel()}, index=weights.ids)
    interior = [f"A{r:02d}{c:02d}" for r in range(5, 7) for c in range(5, 7)]

    few = HotspotsConfig(permutations=199)
    table = local_hotspots(values, weights, few).table
    rows = table.set_index("area_code")
    assert (rows.loc[interior, "moran_class"] == "not_significant").all()
    [limit] = floor_limits(table, few)
    assert limit.statistic == "moran"
    assert limit.industries[0][0] == "C"
    assert limit.tests == 144
    assert limit.permutations_needed == 9_999

    enough = HotspotsConfig(permutations=limit.permutations_needed)
    rows = local_hotspots(values, weights, enough).table.set_index("area_code")
    assert (rows.loc[interior, "moran_class"] == "HH").all()


def test_a_run_with_too_few_permutations_says_so_in_its_record_report_and_maps(
    demo_run: RunPaths, tmp_path: Path
) -> None:
    raw = demo_run.root.parent / "raw"
    data = {
        "extends": "demo",
        "data_dir": str(raw),
        "output_dir": str(tmp_path / "processed"),
        "hotspots": {"permutations": 99, "max_permutations": 0},
        # Findings made of Local Moran high-high areas: the floor of the stream sides' Local
        # Moran then decides their findings, and is checked (with Gi* membership, the
        # default, only an analytic Gi* would decide them, which has no floor).
        "clusters": {"membership": "moran_hh"},
    }
    config_path = tmp_path / "demo.yaml"
    config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(config_path)
    run_stages(config)
    paths = RunPaths.for_config(config)

    record = json.loads(paths[r.HOTSPOTS_REPORT].read_text(encoding="utf-8"))
    [limit] = record["permutation_floor"]
    assert limit["statistic"] == "moran"
    assert limit["smallest_p"] == pytest.approx(0.02)
    assert limit["permutations_needed"] == 99_999
    report = (paths.root / "report.md").read_text(encoding="utf-8")
    assert "**Too few permutations for Local Moran's I.** With 99 permutations" in report
    mapped = [i["code"] for i in limit["industries"] if i["kind"] == "cluster"]
    assert mapped
    svg = (paths[r.FIGURES] / f"lisa_{mapped[0]}.svg").read_text(encoding="utf-8")
    words = " ".join(re.sub(r"<[^>]+>", " ", svg).split())
    assert "Even the most extreme areas could not be significant with this many" in words

    # The surface stage's grid and the circular stage's co-location share the setting, and
    # their floors are checked and reported as well.
    surface = json.loads(paths[r.SURFACE_REPORT].read_text(encoding="utf-8"))
    [grid] = surface["permutation_floor"]
    assert (grid["statistic"], grid["unit"]) == ("moran", "grid cell")
    assert grid["tests"] > 1_500  # the grid's cells, more than the run's areas
    circular = json.loads(paths[r.CIRCULAR_REPORT].read_text(encoding="utf-8"))
    assert (circular["side_permutations"], circular["colocation_permutations"]) == (99, 99)
    # The streams' producers' and users' own hot spots first, then their co-location.
    [sides, *streams] = circular["permutation_floor"]
    assert sides["statistic"] == "moran"
    assert {i["kind"] for i in sides["industries"]} == {"stream side"}
    assert sides["industries"][0]["label"].endswith(("(producers)", "(users)"))
    assert [limit["statistic"] for limit in streams] == ["pu", "up"]
    assert {i["kind"] for limit in streams for i in limit["industries"]} == {"stream"}
    assert (
        "**Too few permutations for Local Moran's I of the material streams' producers and "
        "users.**" in report
    )
    assert "of which the symbiosis zones (circular/zones.csv) are made" in report
    assert "**Too few permutations for Local Moran's I on the grid.**" in report
    assert "no grid cell of" in report
    assert "**Too few permutations for co-location (producers at the area, users around it).**" in (
        report
    )
    assert "The co-location classes of these streams (circular/colocation.csv)" in report
    # Neither puts a note on the areas' maps: only the hot-spot stage's limits concern them.
    assert (
        plain_method(grid, sides, *streams, permutations=99).floor_note(
            "moran", {c: c for c in mapped}
        )
        == ""
    )


def test_records_from_before_the_floor_check_still_publish(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path)
    for artefact in (r.HOTSPOTS_REPORT, r.CIRCULAR_REPORT):
        paths[artefact].parent.mkdir(parents=True, exist_ok=True)
        paths[artefact].write_text(json.dumps({"stage": artefact.path}), encoding="utf-8")
    # No permutation_floor in either report, and no surface or growth report at all.
    assert read_floor_limits(paths) == ()


def test_the_growth_stages_records_are_read_and_old_records_still_read_well(
    tmp_path: Path,
) -> None:
    paths = RunPaths(tmp_path)
    old = {  # as the hot-spot stage wrote it before units, counts run and years were kept
        "statistic": "moran",
        "statistic_words": "Local Moran's I",
        "correction_words": "after the correction over 1,308 tests",
        "smallest_p_text": "0.0002",
        "industries": [{"code": "C", "label": "Manufacturing", "kind": "cluster"}],
        "areas": 3,
        "smallest_p": 0.0002,
        "level": 0.05,
        "tests": 1308,
        "permutations_needed": 99_999,
    }
    emerging = dict(
        old,
        statistic="emerging",
        statistic_words="emerging hot spots' Gi*",
        industries=[{"code": "C", "label": "Manufacturing", "kind": "cluster"}],
        unit="area",
        permutations=9_999,
        over_years=True,
    )
    records = {r.HOTSPOTS_REPORT: [old], r.GROWTH_REPORT: [emerging]}
    for artefact, floor in records.items():
        paths[artefact].parent.mkdir(parents=True, exist_ok=True)
        paths[artefact].write_text(json.dumps({"permutation_floor": floor}), encoding="utf-8")
    assert read_floor_limits(paths) == (old, emerging)
    words = _floor_limitation(old, 9_999)
    assert words.startswith(
        "**Too few permutations for Local Moran's I.** With 9,999 permutations no p-value can "
        "be below 0.0002, and after the correction over 1,308 tests no area of Manufacturing "
        "is significant at 0.05"
    )
    assert "in at least one year, after the correction over 1,308 tests, no area of" in (
        _floor_limitation(emerging, 9_999)
    )
    # Only the hot-spot stage's own limit puts a note on the maps.
    method = plain_method(old, emerging, permutations=9_999)
    assert method.floor_note("moran", {"C": "Manufacturing"})
    assert method.floor_note("gi_star", {"C": "Manufacturing"}) == ""


def test_co_location_held_back_by_the_floor_is_named_by_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ns = "not_significant"
    local = pd.DataFrame(
        {
            "area_code": [f"A{i}" for i in range(10)] * 2,
            "stream": ["packaging"] * 10 + ["food"] * 10,
            # Producers at the area: packaging at the floor and not significant (limited).
            "pu_p_sim": [0.02, 0.02] + [1.0] * 8 + [0.04] * 10,
            "pu_class": [ns] * 20,
            # Users at the area: at the floor, but significant.
            "up_p_sim": [0.02] * 20,
            "up_class": ["HH"] * 20,
        }
    )
    inference = Inference(transform="binary", permutations=99, seed=1, alternative="two-sided")
    labels = {"packaging": "Commercial packaging", "food": "Food waste"}
    with caplog.at_level("WARNING", logger="clustergeo.hotspots.permutation_floor"):
        [limit] = colocation_floor_limits(local, inference, labels)
    assert limit.statistic == "pu"
    assert limit.statistic_words == "co-location (producers at the area, users around it)"
    assert limit.industries == (("packaging", "Commercial packaging", "stream"),)
    assert (limit.areas, limit.tests, limit.permutations_needed) == (2, 10, 499)
    [message] = [record.getMessage() for record in caplog.records]
    assert message.startswith(
        "Co-location (producers at the area, users around it): no area of 1 stream (packaging)"
    )
    assert "set hotspots.max_permutations to 499 or more" in message
    # The bullet gives the permutations the co-location ran, whatever the hot spots ran.
    text = _floor_limitation(limit.to_record(), 99_999)
    assert "With 99 permutations no p-value can be below 0.02" in text
    assert "no area is significant for Commercial packaging at 0.05" in text
    assert "The co-location classes of this stream (circular/colocation.csv)" in text


def test_grid_cells_are_named_as_such() -> None:
    table = _table(classes={"c": ["not_significant"] * 10}, p={"c": [0.02] * 10})
    [limit] = floor_limits(
        table, HotspotsConfig(permutations=99), unit="grid cell", labels={"C": "Manufacturing"}
    )
    record = limit.to_record()
    assert (record["unit"], record["permutations"]) == ("grid cell", 99)
    text = _floor_limitation(record, 99)
    assert "**Too few permutations for Local Moran's I on the grid.**" in text
    # The table's own label column comes first; labels name the codes where it has none.
    assert "no grid cell of C is significant" in text
    assert "Its grid classes (surface/grid_hotspots.parquet)" in text
    assert "one such grid cell can pass on its own" in text
    unlabelled = table.drop(columns=["label", "kind"])
    [named] = floor_limits(
        unlabelled, HotspotsConfig(permutations=99), labels={"c": "Manufacturing"}
    )
    assert named.industries == (("c", "Manufacturing", "industry"),)


def test_the_python_api_warns_too(caplog: pytest.LogCaptureFixture) -> None:
    import clustergeo as cg

    grid = square_grid(12, 12, digits=2).set_index("area_code")
    field = np.random.default_rng(1).normal(1.0, 0.1, size=(12, 12))
    field[4:8, 4:8] += 2.0
    grid["C"] = field.ravel()
    with caplog.at_level("WARNING", logger="clustergeo.hotspots.permutation_floor"):
        cg.find_hotspots(grid, ["C"], permutations=199)
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith("Local Moran's I: no area of 1 industry (C) is significant after")
    # The function runs exactly the permutations it is given: its own argument is the fix.
    assert "call with permutations=9999 or more so that such an area can pass" in message


def test_emerging_hot_spots_say_where_a_years_floor_withheld_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A block of rising values on a 12 x 12 grid: each year's Gi* is a hot spot there, but
    # with 99 permutations (two-sided floor 0.02) Benjamini-Hochberg over 144 areas at 0.05
    # passes none unless 58 pass at once.
    weights = build_weights(square_grid(12, 12, digits=2))
    rng = np.random.default_rng(2)
    years = {}
    for step, year in enumerate(range(2017, 2021)):
        field = rng.normal(1.0, 0.1, size=(12, 12))
        field[4:8, 4:8] += 1.0 + step
        years[year] = pd.DataFrame({"C": field.ravel()}, index=weights.ids)
    few = HotspotsConfig(permutations=99, gi_star_inference="permutation")
    with caplog.at_level("WARNING", logger="clustergeo.hotspots.permutation_floor"):
        analysis = emerging_analysis(years, weights, few)
    [limit] = analysis.floor
    assert (limit.statistic, limit.level, limit.tests) == ("emerging", 0.05, 144)
    assert limit.industries == (("C", "C", "industry"),)
    assert limit.permutations_needed == permutations_for(few, 144) == 9_999
    # The block's Gi* lay beyond all its permutations in several years: area-years add up,
    # and the limit says that it gathers years, each corrected on its own.
    assert limit.over_years
    assert limit.areas > 16
    assert (analysis.table["years_hot"] == 0).all()
    [message] = [
        record.getMessage()
        for record in caplog.records
        if record.name == "clustergeo.hotspots.permutation_floor"
    ]
    assert message.startswith(
        "Emerging hot spots' Gi*: in at least one year, no area of 1 industry (C) is significant "
        "after the correction over 144 tests"
    )
    assert f"though {limit.areas} area-years lie beyond all 99 permutations" in message
    # Called directly, nothing raises the permutations: the advice is the call's own.
    assert "call with permutations=9999 or more" in message

    # As the growth stage checks it: the industry named and of its kind, only the study
    # area's areas counted as withheld (the rest count in the correction only), and the
    # config's cap advised.
    west = [code for code in weights.ids if int(code[-2:]) < 6]
    staged = emerging_analysis(
        years,
        weights,
        few,
        check=FloorCheck(
            labels={"C": "Automotive"},
            kinds={"C": "cluster"},
            report_for=west,
            at_least=19_999,
            fix=RAISE_THE_CAP,
        ),
    )
    [mine] = staged.floor
    assert mine.industries == (("C", "Automotive", "cluster"),)
    assert (mine.tests, mine.permutations_needed) == (144, 19_999)
    assert 0 < mine.areas < limit.areas
    words = _floor_limitation(mine.to_record(), 99)
    assert words.startswith("**Too few permutations for emerging hot spots' Gi*.**")
    assert (
        "and in at least one year, after the correction over 144 tests, no area of Automotive "
        "is significant at 0.05, not even the most extreme" in words
    )
    assert "emerging hot-spot categories (growth/emerging.csv)" in words
    # Several industries, each limited in years of its own.
    two = dict(
        mine.to_record(),
        industries=[
            {"code": "C", "label": "Automotive", "kind": "cluster"},
            {"code": "H", "label": "Logistics", "kind": "cluster"},
        ],
    )
    assert (
        "and for each of Automotive and Logistics, in at least one year, after the correction "
        "over 144 tests, no area is significant at 0.05" in _floor_limitation(two, 99)
    )

    # With last year's neighbours too (a space-time Gi*), each year still corrects over its
    # own 144 tests.
    [lagged] = emerging_analysis(years, weights, few, time_lag=True).floor
    assert (lagged.tests, lagged.over_years, lagged.permutations_needed) == (144, True, 9_999)
    assert lagged.areas > 16

    # With the permutations advised the block's hot spots are found, and nothing is withheld.
    enough = few.model_copy(update={"permutations": limit.permutations_needed})
    found = emerging_analysis(years, weights, enough)
    assert found.floor == []
    interior = [f"A{r:02d}{c:02d}" for r in range(5, 7) for c in range(5, 7)]
    rows = found.table.astype({"area_code": str}).set_index("area_code")
    assert (rows.loc[interior, "years_hot"] == 4).all()
