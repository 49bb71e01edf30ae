"""Growth maps: classes around zero, or against the industry's own growth for GVA."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from shapely.geometry import box

from clustergeo.publish.growth import (
    GrowthSummary,
    against_industry,
    classify_growth,
    growth_layers,
    growth_map_jobs,
    growth_styles,
    industry_cagr,
)
from conftest import plain_framing


def _growth() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Manufacturing in three areas over 25 years; the reference's manufacturing doubled."""
    start = np.array([100.0, 100.0, 100.0])
    end = np.array([100.0, 200.0, 800.0])
    cagr = (end / start) ** (1 / 25) - 1
    common = {
        "area_code": ["A", "B", "C"],
        "industry_code": ["manufacturing"] * 3,
        "label": ["Manufacturing"] * 3,
        "kind": ["cluster"] * 3,
        "start_year": [1998] * 3,
        "end_year": [2023] * 3,
        "start_value": start,
        "end_value": end,
        "change": end - start,
    }
    growth = pd.DataFrame(common | {"cagr": cagr, "lq_change": [0.0] * 3})
    shift_share = pd.DataFrame(common | {"industry_growth": [1.0] * 3})
    return growth, shift_share


def test_the_industrys_rate_comes_from_its_growth_over_the_period() -> None:
    _growth_table, shift_share = _growth()
    rate = industry_cagr(shift_share)["manufacturing"]
    assert (1 + rate) ** 25 == pytest.approx(2.0)


def test_growth_against_the_industry_is_the_ratio_of_the_rates() -> None:
    # By hand: 5% a year against an industry growing 2% a year is 1.05 / 1.02 - 1 = 2.94%.
    assert against_industry(pd.Series([0.05]), 0.02).iloc[0] == pytest.approx(1.05 / 1.02 - 1)
    assert against_industry(pd.Series([0.02]), 0.02).iloc[0] == 0.0
    assert np.isnan(against_industry(pd.Series([np.nan]), 0.02).iloc[0])
    assert np.isnan(against_industry(pd.Series([0.02]), np.nan).iloc[0])


def test_gva_is_classed_against_the_industry_and_employment_around_zero() -> None:
    growth, shift_share = _growth()
    areas = gpd.GeoDataFrame(
        {"area_code": ["A", "B", "C"]},
        geometry=[box(i, 0, i + 1, 1) for i in range(3)],
        crs="EPSG:27700",
    )
    # A kept its value while the industry doubled: slower; B kept pace; C grew faster.
    layer = growth_layers(areas, growth, shift_share, None, against=True)["growth_areas"]
    assert list(layer["manufacturing_growth"]) == ["decline", "stable", "growth_fast"]
    assert layer["manufacturing_cagr_against_industry"].iloc[1] == pytest.approx(0.0, abs=1e-12)
    plain = growth_layers(areas, growth, shift_share, None)["growth_areas"]
    assert list(plain["manufacturing_growth"]) == list(classify_growth(growth["cagr"]))
    assert list(plain["manufacturing_growth"]) == ["stable", "growth", "growth_fast"]
    assert "manufacturing_cagr_against_industry" not in plain


def test_the_qgis_style_labels_say_against_what() -> None:
    growth, _shift_share = _growth()
    (style,) = growth_styles(growth, against=True)
    assert "1–3% a year slower" in style.qml
    assert "against the industry's growth" in style.description
    (plain,) = growth_styles(growth)
    assert "falling 1–3% a year" in plain.qml


def test_an_industry_gone_from_the_reference_gives_no_rate_to_class_against() -> None:
    _growth_table, shift_share = _growth()
    gone = shift_share.assign(industry_growth=-1.0)
    assert np.isnan(industry_cagr(gone)["manufacturing"])
    assert against_industry(pd.Series([0.02, np.nan]), -1.0).isna().all()
    assert classify_growth(against_industry(pd.Series([0.02]), -1.0)).tolist() == ["no_rate"]


def _summary(*, against: bool) -> GrowthSummary:
    return GrowthSummary(
        base_year=1998,
        end_year=2023,
        measure_label="GVA at current prices (£ million)",
        reference="the UK",
        reference_growth=1.74,
        method="classic",
        against_industry=against,
    )


def test_growth_maps_against_the_industry_say_so_in_subtitle_and_key() -> None:
    growth, shift_share = _growth()
    areas = gpd.GeoDataFrame(
        {"area_code": ["A", "B", "C"]},
        geometry=[box(i * 1000, 0, i * 1000 + 1000, 1000) for i in range(3)],
        crs="EPSG:27700",
    )
    layer = growth_layers(areas, growth, shift_share, None, against=True)["growth_areas"]
    framing = plain_framing()
    (job,) = growth_map_jobs(
        layer,
        growth,
        summary=_summary(against=True),
        framing=framing,
        boundaries={},
        shift_share=shift_share,
    )
    figure = job.draw()
    texts = [t.get_text().replace("\n", " ") for t in figure.findobj(Text)]
    assert any("against Manufacturing in the UK, which grew +2.8% a year" in t for t in texts)
    assert "Against the industry's growth" in texts
    assert "3% a year or more faster" in texts
    with pytest.raises(ValueError, match="shift-share"):
        growth_map_jobs(
            layer, growth, summary=_summary(against=True), framing=framing, boundaries={}
        )
    # The study area's places are named on it, as on the findings map.
    places = pd.DataFrame({"name": ["Midtown"], "x": [1500.0], "y": [500.0], "km2": [0.5]})
    (named,) = growth_map_jobs(
        layer,
        growth,
        summary=_summary(against=True),
        framing=framing,
        boundaries={},
        shift_share=shift_share,
        places=places,
    )
    names = [t.get_text() for t in named.draw().findobj(Text) if t.get_gid() == "place-name"]
    assert names == ["Midtown"]
    assert not [t for t in figure.findobj(Text) if t.get_gid() == "place-name"]


@pytest.mark.parametrize(
    ("measure", "maps", "against"),
    [
        ("gva_current_prices", True, True),
        # Real terms: growth is not inflation, so classed around zero.
        ("gva_chained_volume", True, False),
        ("employees", True, False),
        # No maps (a run without boundaries): nothing to class, nor to say about it.
        ("gva_current_prices", False, False),
    ],
)
def test_only_maps_of_gva_in_current_prices_are_classed_against_the_industry(
    measure: str, maps: bool, against: bool
) -> None:
    from types import SimpleNamespace

    from clustergeo.stages.publish import _growth_summary

    record = {
        "base_year": 1998,
        "end_year": 2023,
        "measure": measure,
        "reference": "the UK",
        "reference_growth": 1.0,
        "method": "classic",
    }
    summary = _growth_summary(SimpleNamespace(record=record), maps=maps)  # type: ignore[arg-type]
    assert summary is not None
    assert summary.against_industry is against


def test_the_growth_layer_opens_on_the_industry_the_project_opens_on() -> None:
    growth, _shift_share = _growth()
    construction = growth.assign(industry_code="construction", label="Construction")
    both = pd.concat([construction, growth], ignore_index=True)
    defaults = {s.name: s.default for s in growth_styles(both, first="manufacturing")}
    assert defaults == {"Growth: Construction": False, "Growth: Manufacturing": True}
    # An industry the layer does not map leaves it on its first column.
    defaults = {s.name: s.default for s in growth_styles(both, first="logistics")}
    assert defaults == {"Growth: Construction": True, "Growth: Manufacturing": False}


def test_a_findings_growth_is_set_beside_its_industrys() -> None:
    from clustergeo.publish.growth import GrowthSummary, growth_blocks

    growth, shift_share = _growth()  # the reference's manufacturing doubled in 25 years
    growth = growth.assign(start_lq=1.0, end_lq=1.0, area_name=["A", "B", "C"])
    shift_share = shift_share.assign(national_share=0.0, industry_mix=0.0, competitive_share=0.0)
    finding = pd.DataFrame(
        {
            "cluster_id": ["C-1"],
            "industry_code": ["manufacturing"],
            "cagr": [2 ** (1 / 25) - 1],
            "start_value": [1000.0],
            "end_value": [2000.0],
            "start_year": [1998],
            "end_year": [2023],
            "start_lq": [2.0],
            "end_lq": [2.0],
            "competitive_share": [0.0],
        }
    )
    summary = GrowthSummary(1998, 2023, "jobs", "the reference", 1.0, "classic")
    blocks = growth_blocks(
        growth, shift_share, finding, summary, finding_names={"C-1": "Manufacturing: Derby"}
    )
    (sentence,) = blocks[-1].items
    assert sentence.startswith(
        "Manufacturing: Derby grew 2.8% a year, 1998–2023, its industry +2.8% a year (1,000 →"
    )


def _series_row(values: list[float], first_year: int = 2010) -> pd.Series:
    years = range(first_year, first_year + len(values))
    return pd.Series(
        {
            "cagr": (values[-1] / values[0]) ** (1 / (len(values) - 1)) - 1,
            "start_value": values[0],
            "end_value": values[-1],
            "start_year": first_year,
            "end_year": first_year + len(values) - 1,
            "start_lq": 1.5,
            "end_lq": 3.0,
            "competitive_share": 0.0,
            **{f"value_{year}": value for year, value in zip(years, values, strict=True)},
        }
    )


@pytest.mark.parametrize(
    ("values", "warning"),
    [
        # Rushmoor's administrative services, £41m to £1,681m.
        ([41.0, 60.0, 90.0, 412.0, 1681.0], "; it rose 41.0-fold: worth checking"),
        # South Gloucestershire's: more than doubling in 2012 alone, fourfold in all.
        ([100.0, 110.0, 240.0, 300.0, 400.0], "; it jumped ×2.2 in 2012 alone: worth checking"),
        # Transport through the pandemic: halved and back, no lasting change.
        ([1000.0, 1050.0, 480.0, 900.0, 1180.0], ""),
        # Steady growth, fourfold.
        ([100.0, 140.0, 200.0, 280.0, 400.0], ""),
        # Doubling every year: eightfold, yet no one year stands out.
        ([100.0, 200.0, 400.0, 800.0], ""),
    ],
)
def test_a_findings_broken_series_is_said_to_need_checking(
    values: list[float], warning: str
) -> None:
    from clustergeo.publish.growth import _finding_sentence

    sentence = _finding_sentence("Administrative: Rushmoor", _series_row(values), "2010–2014")
    if warning:
        assert warning in sentence
        assert sentence.endswith("or a head office moving first.")
    else:
        assert "worth checking" not in sentence


def test_a_jump_before_the_years_compared_is_not_blamed() -> None:
    from clustergeo.publish.growth import _finding_sentence

    # 2005 to 2009 lie before the period compared (2010-2014): their jump is not its.
    row = _series_row([100.0, 300.0, 300.0, 300.0, 300.0, 100.0, 140.0, 200.0, 250.0, 300.0], 2005)
    row["start_value"], row["start_year"] = 100.0, 2010
    assert "worth checking" not in _finding_sentence("X", row, "2010–2014")
    # Compared from 2005, the same jump is the period's break.
    row["start_year"] = 2005
    assert "jumped ×3.0 in 2006 alone" in _finding_sentence("X", row, "2005–2014")


def test_broken_series_beyond_the_listed_findings_are_named() -> None:
    from clustergeo.publish.growth import GrowthSummary, _finding_blocks

    def finding(cluster_id: str, values: list[float]) -> dict[str, object]:
        return {"cluster_id": cluster_id, "industry_code": "x", **_series_row(values).to_dict()}

    findings = pd.DataFrame(
        [
            finding("big", [9000.0, 9500.0, 10000.0, 10500.0, 11000.0]),
            # Small in value, so not among those listed, but its series rose 24-fold.
            finding("warwick", [88.0, 300.0, 900.0, 1500.0, 2165.0]),
            finding("steady", [100.0, 110.0, 120.0, 130.0, 140.0]),
        ]
    )
    summary = GrowthSummary(2010, 2014, "GVA", "the UK", 0.2, "classic")
    blocks = _finding_blocks(
        findings, summary, {"warwick": "Energy: Warwick"}, pd.Series(dtype=float), limit=1
    )
    last = blocks[-1].text
    assert last.startswith("Of the other findings, 1 series looks broken")
    assert last.endswith("head office moving first: Energy: Warwick.")


def test_a_broken_series_is_warned_of_among_the_key_findings() -> None:
    from clustergeo.publish.key_findings import key_findings
    from clustergeo.publish.series_breaks import SeriesBreak, series_breaks
    from conftest import plain_framing

    def finding(cluster_id: str, values: list[float]) -> dict[str, object]:
        return {"cluster_id": cluster_id, **_series_row(values).to_dict()}

    growth = pd.DataFrame(
        [
            finding("C-2", [88.0, 300.0, 900.0, 1500.0, 2165.0]),
            finding("C-1", [9000.0, 9500.0, 10000.0, 10500.0, 11000.0]),
        ]
    )
    breaks = series_breaks(growth)
    assert breaks == {"C-2": SeriesBreak(change="rose 24.6-fold", period="2010–2014")}
    warnings = {cluster_id: b.warning for cluster_id, b in breaks.items()}
    assert warnings == {
        "C-2": "its series over 2010–2014 rose 24.6-fold: worth checking for a "
        "reclassification or a head office moving first"
    }
    findings = pd.DataFrame(
        {
            "cluster_id": ["C-1", "C-2"],
            "kind": "concentration",
            "label": ["Finance", "Utilities"],
            "name": ["Finance: City of London", "Utilities: Warwick"],
            "employment": [11000.0, 2165.0],
            "employment_share": [0.45, 0.034],
            "lq": [3.99, 9.82],
            "strength": [90.0, 80.0],
        }
    )
    items = key_findings(
        findings=findings,
        links=pd.DataFrame(columns=["tier", "authority_name", "cluster_id"]),
        sites=None,
        global_statistics=None,
        n_industries=2,
        framing=plain_framing(measure="GVA at current prices", values_are_gva=True),
        series_warnings=warnings,
    )
    # The strongest are named in rank order; only Warwick's series looks broken.
    assert items[1].endswith("LQ 3.99.")
    assert items[2].startswith("**No. 2 on the maps, Utilities: Warwick**")
    assert items[2].endswith(
        "LQ 9.82; its series over 2010–2014 rose 24.6-fold: worth checking for a "
        "reclassification or a head office moving first."
    )


def test_a_break_across_a_missing_year_is_still_seen() -> None:
    from clustergeo.publish.series_breaks import series_break

    # 2012 is missing: the jump from 2011 to 2013 is the period's break all the same.
    assert series_break(_series_row([10.0, 10.0, np.nan, 40.0, 40.0])) == "jumped ×4.0 in 2011–2013"
    assert series_break(_series_row([10.0, 10.0, 10.0, 40.0, 40.0])) == "jumped ×4.0 in 2013 alone"
    # A missing first or last year: the first and last known values give the whole change.
    assert (
        series_break(_series_row([np.nan, 10.0, 60.0, 150.0, 250.0]))
        == "rose 25.0-fold from 2011 to 2014"
    )
    assert (
        series_break(_series_row([10.0, 60.0, 150.0, 250.0, np.nan]))
        == "rose 25.0-fold from 2010 to 2013"
    )
    # The growth section's sentence of a finding without a rate warns all the same.
    from clustergeo.publish.growth import _finding_sentence

    row = _series_row([np.nan, 10.0, 60.0, 150.0, 250.0])
    row["cagr"] = np.nan
    sentence = _finding_sentence("X", row, "2010–2014", np.nan)
    assert sentence.startswith("X: no growth rate for 2010–2014")
    assert "; it rose 25.0-fold from 2011 to 2014: worth checking" in sentence
    # Too little to judge, or no period: nothing said, nothing raised.
    assert series_break(_series_row([np.nan, np.nan, 5.0, np.nan, np.nan])) == ""
    assert series_break(_series_row([1.0, 2.0]).drop(["start_year"])) == ""
