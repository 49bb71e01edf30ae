"""Report sections: anchor sites, the area-versus-grid comparison, the global and local tests."""

from __future__ import annotations

import pandas as pd

from clustergeo.publish.report import _global_blocks, _site_blocks, local_finding_counts
from conftest import plain_method


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


def _links(sites: pd.DataFrame) -> pd.DataFrame:
    """Each site: 30% of its jobs but 70% of its land in North, the rest in South, and a touch."""
    rows = []
    for key in sites["site_key"]:
        rows += [
            (key, "district", "North", 0.30, 0.70, "shares"),
            (key, "district", "South", 0.68, 0.28, "lead"),
            (key, "district", "West", 0.02, 0.02, "touches"),
            (key, "district", "East", 0.001, 0.004, "touches"),
            (key, "upper_tier", "Shire", 1.0, 1.0, "lead"),
        ]
    return pd.DataFrame(
        rows,
        columns=[
            "site_key",
            "tier",
            "authority_name",
            "employment_share",
            "area_km2_share",
            "relation",
        ],
    )


def _blocks(sites: pd.DataFrame, links: pd.DataFrame | None = None) -> tuple[list[str], list]:
    blocks = _site_blocks(sites, pd.Series(dtype=object), links)
    tables = [b.table for b in blocks if b.kind == "table"]
    return [b.text for b in blocks if b.kind == "p"], tables


def test_one_basis_is_said_once() -> None:
    (sentence, matching), _ = _blocks(_sites(["employment", "employment"]))
    assert sentence == (
        "A site's districts, county line and combined authority are judged on the employment "
        "in its footprint (each area's spread evenly over the area)."
    )
    # How sites meet findings, and that the data's year bounds what they can show.
    assert matching.startswith("A site is matched with findings of its sector")
    assert matching.endswith("a site built or grown since cannot show its own activity in them.")
    (land, _matching), _ = _blocks(_sites(["area"]))
    assert "judged on its footprint's land" in land
    assert "whole districts" in land


def test_mixed_bases_name_their_sites() -> None:
    (sentence, _matching), _ = _blocks(_sites(["employment", "area", "employment"]))
    assert "the employment in its footprint" in sentence
    assert "for Park 0; Park 2, and on its footprint's land" in sentence
    assert sentence.endswith("for Park 1.")


def test_districts_show_their_shares_on_the_sites_basis_largest_first() -> None:
    sites = _sites(["employment", "area"])
    _, (table,) = _blocks(sites, _links(sites))
    # By jobs South leads, its land share beside; by land North does. A district only
    # touched follows, named where it holds 1% of the jobs or the land; a sliver is not.
    assert table["Districts"].tolist() == [
        "South 68% (land 28%), North 30% (land 70%); touches West 2% (land 2%)",
        "North 70%, South 28%; touches West 2%",
    ]
    assert table["Straddles"].tolist() == ["upper-tier authorities"] * 2
    # Without the links, the districts by name.
    _, (plain,) = _blocks(sites)
    assert plain["Districts"].tolist() == ["North, South", "North, South"]


def test_sites_outside_the_study_area_do_not_count() -> None:
    sites = _sites(["employment", "area"])
    sites.loc[1, "status"] = "outside_study_area"
    paragraphs, _ = _blocks(sites)
    assert paragraphs[0].endswith("spread evenly over the area).")
    assert paragraphs[-1] == "Outside the study area, not assessed: Park 1."


def test_the_grid_comparison_is_counted_for_traded_industries() -> None:
    from clustergeo.publish.report import maup_blocks

    maup = pd.DataFrame(
        {
            "industry_code": ["m", "m", "m", "m", "m", "c", "c"],
            "stability": [
                "stable",
                "shifted",
                "area-only",
                "grid-only",
                "grid-only",
                "grid-only",
                "stable",
            ],
            "grid_km2": [10.0, 8.0, None, 4.0, 6.0, 50.0, 20.0],
        }
    )
    heading, paragraph = maup_blocks(maup, cell_m=1000, local_serving={"c": "Construction"})
    assert heading.text == "Areas or a grid: how much the findings depend on the areas"
    text = paragraph.text
    assert "onto a grid of 1,000 m cells" in text
    assert "Of the 3 clusters on the areas, 1 reappears" in text
    assert "1 in another shape (shifted) and 1 not at all (area-only)." in text
    # The local-serving industry's grid clusters are not counted: its area findings are not.
    assert "The grid finds 2 clusters the areas do not (grid-only; half of them 5 km²" in text
    assert "a few cells of jobs inside a larger area" in text
    # Without land-use data the grid has no detail within an area, and the text says so.
    (_heading, even) = maup_blocks(
        maup, cell_m=1000, local_serving={"c": "Construction"}, evenly_spread=1.0
    )
    assert "each area's jobs are spread evenly over its cells" in even.text
    assert "a few cells of jobs inside a larger area" not in even.text
    assert text.endswith("Local-serving industries are left out here too: Construction.")
    assert maup_blocks(maup.iloc[5:], cell_m=1000, local_serving={"c": "Construction"}) == []


def test_the_grid_comparison_names_the_largest_clusters_only_the_grid_finds() -> None:
    from clustergeo.publish.report import maup_blocks

    maup = pd.DataFrame(
        {
            "industry_code": ["m", "m", "m", "c"],
            "grid_cluster_id": ["g1", "g2", "g3", "g4"],
            "stability": ["grid-only", "grid-only", "stable", "grid-only"],
            "grid_km2": [228.0, 8.0, 40.0, 90.0],
        }
    )
    belt = "; ".join(
        ["Amber Valley", "Ashfield", "Bolsover", "Broxtowe", "Derby", "Erewash", "Gedling"]
    )
    grid_clusters = pd.DataFrame(
        {
            "cluster_id": ["g1", "g2", "g3", "g4"],
            "label": ["Manufacturing", "Manufacturing", "Manufacturing", "Construction"],
            "employment": [36356.9, 6212.5, 90000.0, 14779.2],
            "districts": [belt, "Solihull", "Coventry; Warwick", "Birmingham; Walsall"],
        }
    )
    (_heading, paragraph) = maup_blocks(
        maup,
        cell_m=1000,
        local_serving={"c": "Construction"},
        evenly_spread=1.0,
        grid_clusters=grid_clusters,
    )
    text = paragraph.text
    # Largest first; a stable cluster and a local-serving industry's are not grid-only ones.
    assert (
        "The largest: Manufacturing across Amber Valley, Ashfield, Bolsover, Broxtowe, Derby "
        "and 2 other districts (36,357 jobs); Manufacturing in Solihull (6,212 jobs)."
    ) in text
    assert "Coventry" not in text
    assert "Birmingham" not in text
    # No area had land-use data, and the text says so.
    assert "Without land-use data for any area" in text
    # Grid clusters on concentrations are neither counted as the areas' clusters nor as
    # grid-only: they are said to lie on places the areas find.
    on_places = pd.concat(
        [maup, maup.iloc[:1].assign(grid_cluster_id="g5", stability="concentration")]
    )
    (_heading, with_places) = maup_blocks(on_places, cell_m=1000, grid_clusters=grid_clusters)
    assert "Of the 1 cluster on the areas" in with_places.text
    assert "The grid finds 3 clusters the areas do not" in with_places.text
    assert "1 more grid cluster lies on places the areas find as concentrations" in (
        with_places.text
    )
    (_heading, some) = maup_blocks(maup, cell_m=1000, evenly_spread=0.6)
    assert "Without land-use data for most areas" in some.text
    assert "The largest" not in some.text
    # A list cut short keeps the lead district; a cluster without districts is named alone;
    # a single grid-only cluster is "it".
    led = grid_clusters.assign(lead_district=["Gedling", None, None, None])
    (_heading, cut) = maup_blocks(maup, cell_m=1000, local_serving={"c": "C"}, grid_clusters=led)
    assert "Manufacturing across Gedling, Amber Valley, Ashfield, Bolsover, Broxtowe and " in (
        cut.text
    )
    one = maup.loc[maup["grid_cluster_id"] != "g1"]
    nowhere = grid_clusters.assign(districts=[belt, None, None, None])
    (_heading, alone) = maup_blocks(
        one, cell_m=1000, local_serving={"c": "C"}, grid_clusters=nowhere
    )
    assert "It is: Manufacturing (6,212 jobs)." in alone.text


def test_a_grid_only_belt_says_how_much_of_it_the_areas_concentrations_hold() -> None:
    from clustergeo.publish.report import maup_blocks

    maup = pd.DataFrame(
        {
            "industry_code": ["m", "m", "m"],
            "grid_cluster_id": ["g1", "g2", "g3"],
            "stability": ["grid-only"] * 3,
            "grid_km2": [228.0, 8.0, 6.0],
            "concentration_ids": ["m-derby;m-amber", "m-tiny", ""],
            "concentration_share": [0.55, 0.01, 0.0],
        }
    )
    grid_clusters = pd.DataFrame(
        {
            "cluster_id": ["g1", "g2", "g3"],
            "label": ["Manufacturing"] * 3,
            "employment": [36356.9, 6212.5, 5000.0],
            "districts": ["Amber Valley; Derby", "Solihull", "Walsall"],
        }
    )
    names = {
        "m-derby": "Manufacturing: Derby",
        "m-amber": "Manufacturing: Amber Valley / Bolsover and others",
    }
    (_heading, paragraph) = maup_blocks(
        maup, cell_m=1000, grid_clusters=grid_clusters, finding_names=names
    )
    # The belt holds two places the areas find; a sliver of one (1%) is not worth saying.
    assert (
        "The largest: Manufacturing across Amber Valley and Derby (36,357 jobs, 55% of them "
        "in the areas' concentrations at Derby and at Amber Valley / Bolsover and others); "
        "Manufacturing in Solihull (6,212 jobs); Manufacturing in Walsall (5,000 jobs)."
    ) in paragraph.text


def test_sites_of_a_run_without_district_links_keep_their_names() -> None:
    sites = _sites(["employment"])
    links = _links(sites).query("tier != 'district'")
    _, (table,) = _blocks(sites, links)
    assert table["Districts"].tolist() == ["North, South"]


def test_the_grid_comparison_makes_a_key_finding() -> None:
    from clustergeo.publish.report import maup_key_finding

    maup = pd.DataFrame(
        {
            "industry_code": ["m", "m", "m", "m", "c"],
            "stability": ["stable", "shifted", "area-only", "grid-only", "stable"],
        }
    )
    assert maup_key_finding(maup, cell_m=1000, local_serving={"c": "Construction"}) == (
        "On a 1 km grid, 1 of the 3 clusters on the areas reappears in much the same place, 1 "
        "in another shape and 1 not at all: how much each depends on the areas is in the "
        "section on areas or a grid."
    )
    # No cluster on the areas of a traded industry: nothing to say.
    assert maup_key_finding(maup.iloc[3:], cell_m=1000, local_serving={"c": "Construction"}) is None
    # A shifted cluster barely overlapping its grid cluster is said to be hardly found again.
    barely = maup.assign(iou=[0.9, 0.05, None, None, 0.8])
    found = str(maup_key_finding(barely, cell_m=1000, local_serving={"c": "Construction"}))
    assert (
        "1 in another shape (1 of them overlapping their grid cluster by less than a tenth, "
        "hardly found again) and 1 not at all" in found
    )


def test_provenance_gives_the_global_tests_permutations_apart_from_the_local() -> None:
    from dataclasses import replace

    from clustergeo.publish.report import _permutations_line

    method = plain_method(permutations=99_999)
    assert _permutations_line(method) == "Permutation seed 1, 99,999 permutations"
    both = replace(method, global_permutations=999)
    assert _permutations_line(both) == (
        "Permutation seed 1, 99,999 permutations for the local statistics, 999 for global "
        "Moran's I and General G"
    )
    assert _permutations_line(replace(method, global_permutations=99_999)) == (
        "Permutation seed 1, 99,999 permutations"
    )


def test_report_html_shows_code_and_bold_and_escapes_the_rest() -> None:
    from clustergeo.publish.report import _inline

    assert _inline("Set `clusters.include_non_traded: true` **now** <b>") == (
        "Set <code>clusters.include_non_traded: true</code> <strong>now</strong> &lt;b&gt;"
    )
    # A lone backtick is a character.
    assert _inline("it`s **so**") == "it`s <strong>so</strong>"


def test_a_district_touched_for_its_land_is_named_and_the_lines_crossed_are_said() -> None:
    sites = _sites(["employment"] * 3)
    sites["straddles_counties"] = [True, False, False]
    sites["straddles_regions"] = [True, True, False]
    links = _links(sites)
    # An airport on a city's edge: few of its jobs, but a quarter of its land, in West.
    links.loc[links["authority_name"] == "West", "area_km2_share"] = 0.25
    _, (table,) = _blocks(sites, links)
    assert table["Districts"].iloc[0].endswith("; touches West 2% (land 25%)")
    assert table["Straddles"].tolist() == ["upper-tier authorities and regions", "regions", "no"]


def test_a_site_maps_subtitle_says_the_lines_its_footprint_crosses() -> None:
    from clustergeo.publish.figures import site_flags_text

    site = pd.Series(
        {
            "districts": "Hinckley and Bosworth; Nuneaton and Bedworth",
            "lead_district": "Hinckley and Bosworth",
            "straddles_counties": True,
            "straddles_regions": True,
            "ca_status": "outside_any_ca",
        }
    )
    assert site_flags_text(site) == (
        "Districts: Hinckley and Bosworth, Nuneaton and Bedworth. Straddles upper-tier "
        "authorities and regions. Outside any combined authority."
    )
    within = site.copy()
    within["straddles_counties"] = within["straddles_regions"] = False
    assert "Straddles" not in site_flags_text(within)
    # The districts come as the flags list them, alphabetically: the lead goes first.
    i54 = site.copy()
    i54["districts"], i54["lead_district"] = "South Staffordshire; Wolverhampton", "Wolverhampton"
    assert site_flags_text(i54).startswith("Districts: Wolverhampton, South Staffordshire.")
    # Its lead combined authority is named, and London's for what it is.
    within["ca_status"], within["ca_lead"] = "within_one_ca", "West Midlands"
    assert site_flags_text(within).endswith("Within one combined authority: West Midlands.")
    within["ca_lead"] = "Greater London Authority"
    assert site_flags_text(within).endswith("Within the Greater London Authority.")


def test_the_site_table_says_what_a_site_without_a_finding_has_instead() -> None:
    sites = _sites(["employment", "employment"])
    sites["sector_clusters_in"] = ["", "c-1"]
    sites["sector_peak_lq"] = [2.5, 4.0]
    sites["sector_peak_label"] = ["Making"] * 2
    sites["sector_peak_employment"] = [600.0] * 2
    sites["sector_peak_area_name"] = ["North 001"] * 2
    sites["sector_peak_gi_star_z"] = [0.3] * 2
    sites["sector_peak_gi_star_p_fdr"] = [0.9] * 2
    blocks = _site_blocks(sites, pd.Series({"c-1": "Making: North"}), _links(sites))
    (table,) = [b.table for b in blocks if b.kind == "table"]
    assert table["Clusters of its sector in or near"].tolist() == [
        "none; its sector's highest LQ there is 2.50 (Making, 600 jobs in North 001), not a "
        "hot spot (Gi* z 0.30, p 0.9 after the false discovery rate correction)",
        "Making: North",
    ]


def _global_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "industry_code": ["making", "moving", "minding"],
            "label": ["Making", "Moving", "Minding"],
            "kind": ["cluster"] * 3,
            "n_areas": [40] * 3,
            "moran_i": [0.2, 0.1, 0.05],
            "moran_p_sim": [0.001, 0.002, 0.3],
            "general_g_z": [4.0, 3.0, 0.5],
            "pattern": ["clustered", "clustered", "random"],
        }
    )


def _hotspots() -> pd.DataFrame:
    """Making: 3 hot spots, 1 high-high; Moving: 2 hot spots, none high-high; Minding: none."""
    rows = [
        ("making", "hot_99", "HH"),
        ("making", "hot_95", "not_significant"),
        ("making", "hot_95", "HL"),
        ("making", "cold_95", "LL"),
        ("moving", "hot_99", "not_significant"),
        ("moving", "hot_95", "LH"),
        ("moving", "not_significant", "LL"),
        ("minding", "not_tested", "not_tested"),
    ]
    return pd.DataFrame(rows, columns=["industry_code", "gi_star_class", "moran_class"]).astype(
        "category"
    )


def test_local_counts_are_hot_spot_and_high_high_areas_per_industry() -> None:
    counts = local_finding_counts(_hotspots())
    assert counts.loc["making"].tolist() == [3, 1]
    assert counts.loc["moving"].tolist() == [2, 0]
    assert counts.loc["minding"].tolist() == [0, 0]


def test_the_global_table_gives_each_industrys_local_findings_and_says_why_they_differ() -> None:
    blocks = _global_blocks(
        _global_table(), 999, local_counts=local_finding_counts(_hotspots()), method=plain_method()
    )
    table = next(b.table for b in blocks if b.kind == "table")
    assert table["Gi* hot-spot areas"].tolist() == ["3", "2", "0"]
    assert table["Local Moran high-high areas"].tolist() == ["1", "0", "0"]
    words = " ".join(b.text for b in blocks if b.kind == "p")
    assert "The last two columns count the areas each local statistic finds" in words
    # Only Moving has hot spots and no high-high area: it alone is named, with the reason.
    assert "In Moving, Gi* finds hot spots and Local Moran no high-high area" in words
    assert "Making," not in words
    assert "adds each area's own value to its neighbours'" in words
    assert "after the correction for testing many areas" in words


def test_gi_star_by_permutation_or_no_counts_leave_the_reason_out() -> None:
    from dataclasses import replace

    counts = local_finding_counts(_hotspots())
    for method in (
        replace(plain_method(), gi_star_inference="permutation"),
        replace(plain_method(), moran_inference="analytic"),
        None,
    ):
        blocks = _global_blocks(_global_table(), 999, local_counts=counts, method=method)
        assert not any("ask different questions" in b.text for b in blocks)
    # Without a correction, none is claimed.
    uncorrected = _global_blocks(
        _global_table(), 999, local_counts=counts, method=replace(plain_method(), correction="none")
    )
    assert not any("after the correction" in b.text for b in uncorrected)
    without = _global_blocks(_global_table(), 999)
    table = next(b.table for b in without if b.kind == "table")
    assert "Gi* hot-spot areas" not in table
    assert not any("last two columns" in b.text for b in without)


def test_hot_spot_areas_are_counted_in_the_classes_clusters_are_made_of() -> None:
    # At the 0.01 level, only hot_99 areas make clusters: Making's hot_95 areas are not counted.
    counts = local_finding_counts(_hotspots(), ("hot_99",))
    assert counts.loc["making", "gi_star_hot"] == 1


def test_the_hot_spot_classes_are_said_in_words_with_their_codes() -> None:
    from clustergeo.publish.report import _hot_classes_words

    assert _hot_classes_words(("hot_99", "hot_95")) == (
        ": hot spots at 95% or 99% confidence, `hot_95` and `hot_99` in the outputs"
    )
    assert (
        _hot_classes_words(("hot_99",)) == ": hot spots at 99% confidence, `hot_99` in the outputs"
    )
    assert _hot_classes_words(()) == ""


def test_the_grid_comparison_says_how_the_grid_changes_the_clusters_it_finds_again() -> None:
    from clustergeo.publish.report import maup_blocks

    maup = pd.DataFrame(
        {
            "industry_code": ["m"] * 5,
            "area_cluster_id": ["a1", "a2", "a3", "a4", None],
            "grid_cluster_id": ["g1", "g2", "g3", "g3", "g9"],
            "stability": ["stable", "shifted", "shifted", "shifted", "grid-only"],
            "grid_km2": [10.0, 8.0, 30.0, 30.0, 2.0],
            "iou": [0.8, 0.3, 0.05, 0.02, None],
            "area_straddles_counties": [False, True, False, False, None],
            "grid_straddles_counties": [False, False, True, True, False],
        }
    )
    grid = pd.DataFrame(
        {
            "cluster_id": ["g1", "g2", "g3", "g9"],
            "label": ["Making"] * 4,
            "employment": [1000.0, 300.0, 9000.0, 50.0],
            "districts": ["North"] * 4,
        }
    )
    names = {f"a{i}": f"Making: Town {i}" for i in range(1, 5)}
    sizes = {"a1": 1100.0, "a2": 2000.0, "a3": 1500.0, "a4": 4000.0}
    blocks = maup_blocks(
        maup, cell_m=1000, grid_clusters=grid, finding_names=names, finding_sizes=sizes
    )
    # Two of the three shifted barely overlap their grid cluster.
    assert (
        "3 in another shape (shifted; 2 of them overlapping their grid cluster by less than a "
        "tenth, hardly found again)" in blocks[1].text
    )
    changes = blocks[-1].text
    # Cores against the grid's clusters: a3 and a4 lie in one of 9,000 jobs (6 and 2.25 times
    # theirs); a2 in one of 300 (0.15 of its 2,000).
    assert changes.startswith(
        "Of the 4 clusters the grid finds again, 2 lie in a grid cluster more than twice the "
        "size of their core (the most: Making: Town 3, 1,500 jobs in its core on the areas and "
        "9,000 jobs on the grid) and 1 in one under half (the least: Making: Town 2, 2,000 jobs "
        "in its core on the areas and 300 jobs on the grid): the grid joins some to what lies "
        "around them and thins others that large areas spread over their cells."
    )
    assert changes.endswith(
        "differs on the grid for 3 of them: 2 cross one on the grid only (Making: Town 3; "
        "Making: Town 4), 1 on the areas only (Making: Town 2)."
    )
    # Without the clusters' sizes, only the county lines are said, of the clusters found again.
    (_heading, _first, lines_only) = maup_blocks(
        maup, cell_m=1000, grid_clusters=grid, finding_names=names
    )
    assert lines_only.text.startswith(
        "Whether a cluster crosses a county or unitary line, and so who would govern it, "
        "differs on the grid for 3 of the 4 clusters it finds again: 2 cross one"
    )
    # One of each: singular words, and only what happened.
    one = maup.iloc[[2]].assign(area_straddles_counties=False, grid_straddles_counties=True)
    (_heading, _first, single) = maup_blocks(
        one, cell_m=1000, grid_clusters=grid, finding_names=names, finding_sizes=sizes
    )
    assert single.text == (
        "Of the 1 cluster the grid finds again, 1 lies in a grid cluster more than twice the "
        "size of its core (the most: Making: Town 3, 1,500 jobs in its core on the areas and "
        "9,000 jobs on the grid): the grid joins some to what lies around them. Whether a "
        "cluster crosses a county or unitary line, and so who would govern it, differs on the "
        "grid for 1 of them: 1 crosses one on the grid only (Making: Town 3)."
    )
    # An unknown flag is not counted as a change.
    unknown = maup.assign(grid_straddles_counties=[False, None, None, None, None])
    assert (
        "differs on the grid"
        not in maup_blocks(
            unknown, cell_m=1000, grid_clusters=grid, finding_names=names, finding_sizes=sizes
        )[-1].text
    )


def test_the_grid_comparison_counts_the_clusters_whose_county_lines_differ_beyond_those_named() -> (
    None
):
    from clustergeo.publish.report import maup_blocks

    maup = pd.DataFrame(
        {
            "industry_code": ["m"] * 5,
            "area_cluster_id": [f"a{i}" for i in range(5)],
            "grid_cluster_id": [f"g{i}" for i in range(5)],
            "stability": ["shifted"] * 5,
            "grid_km2": [1.0] * 5,
            "area_straddles_counties": [False] * 5,
            "grid_straddles_counties": [True] * 5,
        }
    )
    names = {f"a{i}": f"Making: Town {i}" for i in range(5)}
    text = maup_blocks(maup, cell_m=1000, finding_names=names)[-1].text
    assert text.endswith(
        "5 cross one on the grid only (Making: Town 0; Making: Town 1; Making: Town 2; and 2 more)."
    )


def test_a_cluster_definition_is_said_with_what_makes_it_up() -> None:
    from clustergeo.publish.report import definition_words

    names = {"C": "C Manufacturing", "D": "D Electricity and gas", "E": "E Water and waste"}
    assert definition_words("Manufacturing", ("C",), names) == "Manufacturing (C)"
    assert definition_words("Energy and waste", ("D", "E"), names) == (
        "Energy and waste (D Electricity and gas and E Water and waste)"
    )
    # Codes finer than the data's industries are SIC codes, written with their dots.
    assert definition_words("Automotive", ("29", "2211", "2720"), names) == (
        "Automotive (SIC 29, 22.11, 27.20)"
    )
    many = tuple(f"{n}" for n in range(10, 23))
    assert definition_words("Many", many, names).endswith("19 and 3 more)")


def test_the_strongest_findings_say_what_earned_their_stars() -> None:
    from clustergeo.publish.report import _star_words

    findings = pd.DataFrame(
        {
            "stars": [2, 1, 0, 1],
            "star_size": [True, False, False, None],
            "star_specialisation": [False, False, False, None],
            "star_focus": [True, True, False, None],
        }
    )
    # A star without its measure recorded (an older table) is shown bare.
    assert _star_words(findings).tolist() == ["★★ size, focus", "★ focus", "–", "★"]


def test_authorities_are_listed_by_name_within_each_tier() -> None:
    from clustergeo.publish.report import _authority_blocks

    summaries = pd.DataFrame(
        {
            # In the order of their codes, as the summaries come: not that of their names.
            "tier": ["district", "district", "district", "upper_tier"],
            "authority_code": ["E06000036", "E07000089", "E07000240", "E10000014"],
            "authority_name": ["Bracknell Forest", "st albans", "Hart", "Hampshire"],
            "summary": ["Bracknell Forest is…", "st albans is…", "Hart is…", "Hampshire is…"],
        }
    )
    lists = [b.items for b in _authority_blocks(summaries, 0.05) if b.kind == "list"]
    # The rule for who is part of a finding is the governance stage's, size included.
    (intro,) = [b.text for b in _authority_blocks(summaries, 0.05, "£500m of GVA") if b.kind == "p"]
    assert (
        "(holding more than 5% of one, or £500m of GVA or more of it, the least a "
        "concentration may hold)" in intro
    )
    assert lists == [
        ("Bracknell Forest is…", "Hart is…", "st albans is…"),
        ("Hampshire is…",),
    ]


def test_the_combined_authorities_heading_names_the_gla_where_it_is_listed() -> None:
    from clustergeo.publish.report import _authority_blocks

    summaries = pd.DataFrame(
        {
            "tier": ["combined_authority", "combined_authority"],
            "authority_code": ["E47000007", "E61000001"],
            "authority_name": ["West Midlands", "Greater London Authority"],
            "summary": ["West Midlands is…", "Greater London Authority is…"],
        }
    )
    headings = [b.text for b in _authority_blocks(summaries, 0.05) if b.kind == "h3"]
    assert headings == ["Combined authorities and the Greater London Authority"]
    without = [b.text for b in _authority_blocks(summaries.iloc[:1], 0.05) if b.kind == "h3"]
    assert without == ["Combined authorities"]


def test_a_sites_combined_authority_gives_its_shares_on_the_sites_basis() -> None:
    sites = _sites(["employment", "area"]).assign(ca_status="partly_outside_ca")
    links = pd.concat(
        [
            _links(sites),
            pd.DataFrame(
                {
                    "site_key": ["s0", "s1"],
                    "tier": "combined_authority",
                    "authority_name": "West Midlands",
                    "employment_share": [0.87, 0.87],
                    "area_km2_share": [0.33, 0.33],
                    "relation": "lead",
                }
            ),
        ]
    )
    (table,) = _blocks(sites, links)[1]
    assert table["Combined authority"].tolist() == [
        "partly outside any combined authority: West Midlands 87%, none 13%",
        "partly outside any combined authority: West Midlands 33%, none 67%",
    ]
