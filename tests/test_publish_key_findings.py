"""The key findings and limitations speak in the run's unit: jobs, or £m of GVA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from clustergeo.hotspots.permutation_floor import FloorLimit
from clustergeo.publish.framing import ClusterRule, Framing
from clustergeo.publish.key_findings import glossary_items, key_findings, limitations
from conftest import plain_framing, plain_method


def _framing(*, gva: bool) -> Framing:
    return plain_framing(measure="GVA at current prices" if gva else None, values_are_gva=gva)


def _findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cluster_id": ["C-1"],
            "kind": ["concentration"],
            "label": ["Manufacturing"],
            "name": ["Manufacturing: Stratford-on-Avon"],
            "employment": [2213.0],
            "employment_share": [0.01],
            "lq": [3.82],
            "strength": [73.0],
            "governance_gap": [True],
        }
    )


def _items(
    *,
    gva: bool = False,
    findings: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
) -> tuple[str, ...]:
    return key_findings(
        findings=_findings() if findings is None else findings,
        links=pd.DataFrame(columns=["tier", "authority_name", "cluster_id"])
        if links is None
        else links,
        sites=sites,
        global_statistics=None,
        n_industries=5,
        framing=_framing(gva=gva),
    )


def test_gva_findings_are_sized_in_pounds_not_jobs() -> None:
    text = " ".join(_items(gva=True))
    assert "£2,213m of GVA, 1.0% of the industry's GVA in the study area, LQ 3.82" in text
    assert "majority of its GVA (a governance gap)" in text
    assert "jobs" not in text


def test_employment_findings_are_sized_in_jobs() -> None:
    text = " ".join(_items(gva=False))
    assert "2,213 jobs, 1.0% of the industry's jobs in the study area" in text
    assert "majority of its jobs" in text


_RULE = ClusterRule(significance=0.05, min_lq=1.25, min_employment=100.0)


def test_gva_limitations_say_output_is_modelled_and_has_no_intervals() -> None:
    method = plain_method(permutations=0)
    gva = " ".join(limitations(_framing(gva=True), method, _RULE))
    assert "Where output is counted" in gva
    assert "no confidence interval" in gva
    assert "people are counted" not in gva
    jobs = " ".join(limitations(_framing(gva=False), method, _RULE))
    assert "people are counted where they work" in jobs


def test_the_vintage_limitation_gives_the_year_the_data_are_of() -> None:
    def vintage(**changes: Any) -> str:
        return " ".join(limitations(plain_framing(**changes), plain_method(), _RULE))

    # A table of years analysed in one of them: that year, not "not given".
    assert "The data are of 2023; authority boundaries are of 2023." in vintage(
        year=2023, boundaries_year="2023"
    )
    assert "The data are of 2011;" in vintage(employment_year="2011")
    assert "The data's year is not given in the run's config" in vintage()


def _floor_limit(industries: list[dict[str, str]], **changes: Any) -> dict[str, Any]:
    """The hot-spot stage's record of a floor limit (its words included)."""
    settings = {
        "statistic": "moran",
        "statistic_words": "Local Moran's I",
        "industries": tuple((i["code"], i["label"], i["kind"]) for i in industries),
        "areas": 37,
        "smallest_p": 0.0002,
        "level": 0.05,
        "tests": 1308,
        "permutations_needed": 99999,
    }
    return FloorLimit(**(settings | changes)).to_record()


def _limitations_with_floor(industries: list[dict[str, str]]) -> str:
    method = plain_method(_floor_limit(industries))
    return " ".join(limitations(_framing(gva=False), method, _RULE))


def test_too_few_permutations_name_the_mapped_industries_and_the_fix() -> None:
    text = _limitations_with_floor(
        [
            {"code": "H", "label": "H Transport and storage", "kind": "industry"},
            {"code": "logistics", "label": "Transport and storage", "kind": "cluster"},
            {"code": "C", "label": "C Manufacturing", "kind": "industry"},
            {"code": "manufacturing", "label": "Manufacturing", "kind": "cluster"},
        ]
    )
    assert "**Too few permutations for Local Moran's I.** With 9,999 permutations" in text
    assert "no p-value can be below 0.0002, and after the correction over 1,308 tests" in text
    # The cluster definitions (the maps) by name, the sections counted.
    assert "no area of Transport and storage and Manufacturing (or of 2 other industries)" in text
    assert "is significant at 0.05, not even the most extreme" in text
    assert "The maps of these industries may therefore show no cluster where there is" in text
    assert "H Transport" not in text
    assert "`hotspots.max_permutations: 99999` the run raises its permutations" in text


def test_too_few_permutations_without_cluster_definitions_name_the_industries() -> None:
    text = _limitations_with_floor(
        [
            {"code": "C", "label": "C Manufacturing", "kind": "industry"},
            {"code": "H", "label": "H Transport and storage", "kind": "industry"},
        ]
    )
    assert "no area of C Manufacturing and H Transport and storage is significant" in text
    assert "other industr" not in text
    # No map shows them: the tables do.
    assert "Their results (hotspots.csv) may therefore show no cluster" in text


def test_too_few_permutations_in_one_industry_without_a_correction_read_in_the_singular() -> None:
    limit = _floor_limit(
        [{"code": "auto", "label": "Automotive", "kind": "cluster"}],
        tests=1,
        areas=1,
        smallest_p=2 / 5001,
        permutations_needed=49,
    )
    method = plain_method(limit, permutations=5000)
    text = " ".join(limitations(_framing(gva=False), method, _RULE))
    assert "no p-value can be below 0.00039992, and even without a correction" in text
    assert "no area of Automotive is significant" in text
    assert "1 tests" not in text


def test_maps_of_limited_industries_say_so_and_name_them_among_several() -> None:
    method = plain_method(_floor_limit([{"code": "energy", "label": "Energy", "kind": "cluster"}]))
    alone = method.floor_note("moran", {"energy": "Energy"})
    assert alone.startswith(" Even the most extreme areas could not be significant with this")
    assert "an empty map may mean too few permutations, not no cluster" in alone
    assert method.floor_note("moran", {"digital": "Digital"}) == ""
    assert method.floor_note("gi_star", {"energy": "Energy"}) == ""
    several = method.floor_note("moran", {"digital": "Digital", "energy": "Energy"})
    assert several.startswith(" Even the most extreme areas of Energy could not be significant")


def test_no_floor_limit_no_bullet() -> None:
    text = " ".join(limitations(_framing(gva=False), plain_method(), _RULE))
    assert "Too few permutations" not in text


def test_emerging_clusters_across_boundaries_name_their_places() -> None:
    from clustergeo.publish.emerging import emerging_blocks

    emerging = pd.DataFrame(
        {
            "area_code": ["a", "b", "c"],
            "industry_code": ["J"] * 3,
            "kind": ["industry"] * 3,
            "label": ["Information and communication"] * 3,
            "category": ["intensifying_hot_spot", "new_hot_spot", "no_pattern"],
        }
    )
    clusters = pd.DataFrame(
        {
            "emerging_id": ["J-1"],
            "industry_code": ["J"],
            "n_areas": [2],
            "n_district": [2],
            "crosses_district": [True],
            "n_upper_tier": [2],
            "crosses_upper_tier": [True],
        }
    )
    members = pd.DataFrame({"emerging_id": ["J-1", "J-1"], "area_code": ["b", "a"]})

    def blocks_of(
        local_serving: tuple[str, ...] = (), lq_changes: pd.DataFrame | None = None
    ) -> list[Any]:
        return emerging_blocks(
            emerging,
            clusters,
            period="1998–2023",
            names={"J": "Information and communication"},
            members=members,
            area_names={"a": "Camden", "b": "Westminster"},
            local_serving=local_serving,
            lq_changes=lq_changes,
        )

    items = next(b for b in blocks_of() if b.kind == "list").items
    assert items == (
        "Information and communication: 2 areas in 2 districts, 2 counties or unitary "
        "authorities: Camden, Westminster",
    )
    # Were J local-serving, its emerging cluster would be counted in the table but neither
    # listed nor counted as crossing a boundary, as its findings are left out.
    local = blocks_of(local_serving=("J",))
    assert not [b for b in local if b.kind == "list"]
    text = " ".join(b.text for b in local if b.kind == "p")
    assert "0 emerging clusters of the mapped industries cross an authority boundary" in text
    assert "(local-serving industries, which follow where people live, left out: " in text
    table = next(b for b in local if b.kind == "table").table
    assert table["Emerging clusters"].tolist() == [1]
    # Not listed, so not counted as crossing either: the table agrees with the sentence.
    assert table["Across a boundary"].tolist() == [0]
    # With the areas' LQ changes, those whose own LQ fell are named: Gi* measures the
    # neighbourhood, so Camden can intensify as a hot spot while its own LQ falls.
    changes = pd.DataFrame(
        {
            "area_code": ["a", "b", "c", "a"],
            "industry_code": ["J", "J", "J", "K"],
            "lq_change": [-0.3, 0.4, -0.2, 0.5],
        }
    )
    with_changes = blocks_of(lq_changes=changes)
    (listed,) = [b for b in with_changes if b.kind == "list"]
    assert listed.items[0].endswith("Camden, Westminster; own LQ fell in 1 of them (Camden)")
    assert "its own LQ falls" in " ".join(b.text for b in with_changes if b.kind == "p")


def test_sporadic_hot_spots_rising_significantly_are_named_apart() -> None:
    from clustergeo.publish.emerging import emerging_blocks

    # The Golden Triangle's logistics: hot on and off, its Gi* rising; Dover's falling.
    emerging = pd.DataFrame(
        {
            "area_code": ["nwl", "hb", "dover", "quiet"],
            "industry_code": ["H"] * 4,
            "kind": ["industry"] * 4,
            "label": ["Transport and storage"] * 4,
            "category": ["sporadic_hot_spot"] * 3 + ["no_pattern"],
            "trend_z": [4.1, 2.5, -4.4, 3.0],
            "trend_p": [0.00004, 0.012, 0.00001, 0.003],
        }
    )
    blocks = emerging_blocks(
        emerging,
        pd.DataFrame(columns=["emerging_id", "industry_code", "n_areas"]),
        period="1998–2023",
        names={"H": "Transport and storage"},
        area_names={"nwl": "North West Leicestershire", "hb": "Hinckley and Bosworth"},
        alpha=0.01,
    )
    table = next(b for b in blocks if b.kind == "table").table
    # Hinckley's trend (p 0.012) is not significant at the run's 0.01.
    assert table["Sporadic, rising"].tolist() == [1]
    assert table["Industry"].tolist() == ["Transport and storage"]
    (listed,) = [b for b in blocks if b.kind == "list"]
    assert listed.items == ("Transport and storage: 1 area: North West Leicestershire",)
    assert "significant at 0.01" in " ".join(b.text for b in blocks if b.kind == "p")


def test_a_local_serving_industrys_row_says_why_its_clusters_are_not_listed() -> None:
    from clustergeo.publish.emerging import emerging_blocks

    emerging = pd.DataFrame(
        {
            "area_code": ["a", "b"],
            "industry_code": ["F", "H"],
            "kind": ["industry"] * 2,
            "label": ["Construction", "Transport and storage"],
            "category": ["new_hot_spot"] * 2,
            "trend_z": [3.0, 3.0],
            "trend_p": [0.001, 0.001],
        }
    )
    blocks = emerging_blocks(
        emerging,
        pd.DataFrame(columns=["emerging_id", "industry_code", "n_areas"]),
        period="1998–2023",
        names={"F": "Construction", "H": "Transport and storage"},
        local_serving=("F",),
    )
    table = next(b for b in blocks if b.kind == "table").table
    assert table["Industry"].tolist() == ["Construction (local-serving)", "Transport and storage"]


def test_a_sites_findings_are_set_apart_by_semicolons_since_their_names_hold_commas() -> None:
    findings = pd.DataFrame(
        {
            "cluster_id": ["E-1", "E-2"],
            "kind": ["concentration", "concentration"],
            "label": ["Energy, water and waste"] * 2,
            "name": [
                "Energy, water and waste: Coventry, south-east",
                "Energy, water and waste: Coventry, south-west",
            ],
            "employment": [1640.0, 1395.0],
            "employment_share": [0.02, 0.02],
            "lq": [4.6, 12.1],
            "strength": [44.0, 67.0],
        }
    )
    sites = pd.DataFrame(
        {
            "name": ["Airport park"],
            "status": ["assessed"],
            "sector_clusters_in": ["E-1;E-2"],
            "sector_clusters_near": [""],
            "districts": ["Coventry; Warwick"],
            "lead_district": ["Warwick"],
        }
    )
    items = _items(findings=findings, sites=sites)
    # The districts its footprint spans, the lead first.
    assert (
        "Anchor site **Airport park** sits in Energy, water and waste: Coventry, south-east; "
        "Energy, water and waste: Coventry, south-west. Its footprint spans 2 districts: Warwick, "
        "Coventry."
    ) in items
    one = sites.assign(districts="Warwick", sector_clusters_in="")
    assert any(item.endswith("Its footprint lies in Warwick.") for item in _items(sites=one))
    # The lines it crosses, beyond the districts' own.
    across = sites.assign(straddles_counties=[True], straddles_regions=[True])
    assert any(
        item.endswith("Warwick, Coventry. It straddles upper-tier authorities and regions.")
        for item in _items(findings=findings, sites=across)
    )


def test_the_glossary_of_a_gva_run_speaks_of_output_and_thresholds() -> None:
    jobs_items, gva_items = glossary_items(), glossary_items(values_are_gva=True)
    jobs, gva = " ".join(jobs_items), " ".join(gva_items)
    assert "share of jobs" in jobs
    assert "significantly specialised" in jobs
    assert "share of output (GVA)" in gva
    for word in ("jobs", "workers", "employment", "significantly"):
        assert word not in gva, word
    # The same terms, in the same order.
    assert [line.split("**")[1] for line in jobs_items] == [
        line.split("**")[1] for line in gva_items
    ]


def test_a_combined_authority_holding_a_quarter_of_a_finding_does_not_lead_it() -> None:
    # F-1 lies 74% outside any combined authority, 26% in C&P; F-2 wholly in C&P.
    findings = pd.DataFrame(
        {
            "cluster_id": ["F-1", "F-2"],
            "kind": ["cluster", "concentration"],
            "label": ["Making", "Making"],
            "name": ["Making: Here", "Making: There"],
            "employment": [100.0, 50.0],
            "employment_share": [0.2, 0.1],
            "lq": [2.0, 4.0],
            "strength": [60.0, 50.0],
            "ca_status": ["partly_outside_ca", "within_one_ca"],
        }
    )
    links = pd.DataFrame(
        {
            "cluster_id": ["F-1", "F-2"],
            "tier": ["combined_authority"] * 2,
            "authority_name": ["Cambridgeshire and Peterborough"] * 2,
            "employment_share": [0.26, 1.0],
            "relation": ["lead", "lead"],
            "part": ["core", "core"],
        }
    )
    items = _items(findings=findings, links=links)
    assert (
        "Combined authorities: 1 finding lies within one combined authority (Cambridgeshire "
        "and Peterborough); "
        "1 finding lies partly outside any combined authority."
    ) in items
    # A finding within one whose lead link is missing is still counted, without empty brackets.
    unlinked = _items(findings=findings, links=links.iloc[:1])
    assert (
        "Combined authorities: 1 finding lies within one combined authority; 1 finding lies "
        "partly outside any combined authority."
    ) in unlinked


def test_findings_within_several_combined_authorities_are_counted_in_each() -> None:
    findings = pd.DataFrame(
        {
            "cluster_id": ["F-1", "F-2", "F-3"],
            "kind": ["cluster"] * 3,
            "label": ["Manufacturing"] * 3,
            "name": ["Manufacturing: A", "Manufacturing: B", "Manufacturing: C"],
            "employment": [900.0, 600.0, 300.0],
            "employment_share": [0.1] * 3,
            "lq": [2.0] * 3,
            "strength": [90.0, 60.0, 30.0],
            "ca_status": ["within_one_ca"] * 3,
        }
    )
    links = pd.DataFrame(
        {
            "cluster_id": ["F-1", "F-2", "F-3"],
            "tier": ["combined_authority"] * 3,
            "authority_name": ["West Midlands", "East Midlands", "West Midlands"],
            "employment_share": [1.0] * 3,
            "relation": ["lead"] * 3,
            "part": ["core"] * 3,
        }
    )
    assert (
        "Combined authorities: 3 findings lie within one combined authority (West Midlands 2 "
        "and East Midlands 1)."
    ) in _items(findings=findings, links=links)


def test_the_first_finding_says_when_the_findings_hold() -> None:
    def first(**changes: Any) -> str:
        return key_findings(
            findings=_findings(),
            links=pd.DataFrame(columns=["tier", "authority_name", "cluster_id"]),
            sites=None,
            global_statistics=None,
            n_industries=5,
            framing=plain_framing(**changes),
        )[0]

    census = first(employment_year="2011", boundaries_year="2025")
    assert census.endswith(
        " of the 5 analysed (2011 data, authorities of 2025); the strongest three follow."
    )
    # A single year of a table with years is the year the findings describe.
    assert "(2023 data)" in first(year=2023, employment_year="1998-2023", boundaries_year="2023")
    assert first().endswith(" of the 5 analysed; the strongest three follow.")
    assert "data" not in first(synthetic=True, employment_year="2021", boundaries_year="2025")


def test_findings_across_a_regional_boundary_are_named() -> None:
    findings = pd.concat([_findings()] * 2, ignore_index=True)
    findings["cluster_id"] = ["C-1", "C-2"]
    findings["name"] = ["Transport and storage: West Northamptonshire / Rugby", "Other"]
    findings["straddles_regions"] = [True, None]
    text = "\n".join(_items(findings=findings))
    assert (
        "1 finding crosses a regional boundary: Transport and storage: West Northamptonshire / "
        "Rugby." in text
    )
    assert "regional boundary" not in "\n".join(_items())


def test_long_lists_of_findings_and_industries_say_how_many_more() -> None:
    findings = pd.concat([_findings()] * 5, ignore_index=True)
    findings["cluster_id"] = [f"C-{i}" for i in range(5)]
    findings["name"] = [f"Manufacturing: Place {i} / Other and others" for i in range(5)]
    findings["straddles_regions"] = True
    statistics = pd.DataFrame(
        {
            "industry_code": list("ABCDEFGH"),
            "label": [f"Section {c}, with a comma; and a semicolon" for c in "ABCDEFGH"],
            "pattern": "clustered",
        }
    )
    text = "\n".join(
        key_findings(
            findings=findings,
            links=pd.DataFrame(columns=["tier", "authority_name", "cluster_id"]),
            sites=None,
            global_statistics=statistics,
            n_industries=8,
            framing=_framing(gva=False),
        )
    )
    assert "Manufacturing: Place 2 / Other and others; and 2 more." in text
    assert "and others and others" not in text
    assert "majority of its jobs (a governance gap): Manufacturing: Place 0" in text
    assert "(global Moran's I): ‘Section A, with a comma; and a semicolon’; ‘Section B" in text
    assert "‘Section F, with a comma; and a semicolon’; and 2 more." in text
    # The report's HTML shows the quotes as they are (it reads no single-star italics).
    from clustergeo.publish.report import Block, to_html

    page = to_html([Block("h1", "R"), Block("list", items=(text,))], "R", Path())
    assert "‘Section A, with a comma; and a semicolon’" in page
    assert "*Section" not in page


def test_a_cluster_mostly_in_one_area_is_said_to_be() -> None:
    def sentence(**columns: Any) -> str:
        findings = _findings().assign(kind="cluster", **columns)
        return _items(findings=findings)[1]

    assert sentence(n_units=5, anchor_share=0.86).endswith("LQ 3.82; 86% of it in one area.")
    assert sentence(n_units=5, anchor_share=0.5).endswith("LQ 3.82.")
    # A one-area cluster is the extreme case, said so too; old runs have no share.
    assert sentence(n_units=1, anchor_share=1.0).endswith("LQ 3.82; all of it in one area.")
    assert sentence(n_units=5).endswith("LQ 3.82.")
    # A concentration is one place or a few by definition.
    assert _items(findings=_findings().assign(n_units=1))[1].endswith("LQ 3.82.")


def test_a_run_classing_gi_star_by_its_normal_approximation_says_what_it_cannot_tell() -> None:
    from dataclasses import replace

    analytic = " ".join(limitations(_framing(gva=False), plain_method(), _RULE))
    assert "**One extreme area.**" in analytic
    assert "`gi_star_p_sim`" in analytic
    permuted = replace(plain_method(), gi_star_inference="permutation")
    assert "One extreme area" not in " ".join(limitations(_framing(gva=False), permuted, _RULE))


def test_a_site_without_a_finding_says_what_its_sector_shows_there() -> None:
    from clustergeo.publish.key_findings import sector_peak_words

    site = pd.Series(
        {
            "name": "Proving ground",
            "status": "inside_study_area",
            "sector_clusters_in": "",
            "sector_clusters_near": "",
            "districts": "Hinckley and Bosworth",
            "lead_district": "Hinckley and Bosworth",
            "sector_peak_area_code": "E02005384",
            "sector_peak_area_name": "Hinckley and Bosworth 008",
            "sector_peak_industry_code": "professional_scientific",
            "sector_peak_label": "Professional, scientific and technical",
            "sector_peak_employment": 566.0,
            "sector_peak_lq": 2.957,
            "sector_peak_gi_star_z": 2.0378,
            "sector_peak_gi_star_p_fdr": 0.28503,
            "sector_peak_gi_star_class": "not_significant",
        }
    )
    (item,) = [i for i in _items(sites=site.to_frame().T) if "Proving ground" in i]
    assert item == (
        "Anchor site **Proving ground** has no finding of its sector in or near its footprint; "
        "its sector's highest LQ there is 2.96 (Professional, scientific and technical, 566 "
        "jobs in Hinckley and Bosworth 008), not a hot spot (Gi* z 2.04, p 0.285 after the "
        "false discovery rate correction). Its footprint lies in Hinckley and Bosworth."
    )
    jobs = "{:,.0f} jobs".format
    hot = site.copy()
    hot["sector_peak_gi_star_class"] = "hot_95"
    assert sector_peak_words(hot, jobs).endswith(
        ", a hot spot, but short of the rules for a finding"
    )
    cold = site.copy()
    cold["sector_peak_gi_star_z"] = -0.48
    assert sector_peak_words(cold, jobs).endswith(", not a hot spot (Gi* z -0.48)")
    # The run's correction is the one named.
    assert sector_peak_words(site, jobs, "bonferroni").endswith(
        "(Gi* z 2.04, p 0.285 after the Bonferroni correction)"
    )
    assert sector_peak_words(site, jobs, "none").endswith("(Gi* z 2.04, p 0.285)")
    unspecialised = site.copy()
    unspecialised["sector_peak_lq"] = 0.8
    assert sector_peak_words(unspecialised, jobs).endswith(": the sector is not specialised there")
    assert sector_peak_words(site.drop(labels=["sector_peak_lq"]), jobs) is None


def test_a_sites_sector_peak_says_which_concentration_threshold_it_falls_short_of() -> None:
    from clustergeo.publish.key_findings import sector_peak_words

    rule = {"enabled": True, "min_lq": 3.0, "min_employment": 1000, "min_employment_share": 0.004}
    site = pd.Series(
        {
            "name": "Engine plant",
            "status": "inside_study_area",
            "sector_clusters_in": "",
            "sector_clusters_near": "",
            "districts": "Wolverhampton",
            "lead_district": "Wolverhampton",
            "sector_peak_area_name": "Wolverhampton 002",
            "sector_peak_industry_code": "C",
            "sector_peak_label": "Manufacturing",
            "sector_peak_employment": 1808.0,
            "sector_peak_lq": 4.27,
            "sector_peak_gi_star_z": 2.37,
            "sector_peak_gi_star_p_fdr": 0.375,
            "sector_peak_gi_star_class": "not_significant",
        }
    )
    jobs = "{:,.0f} jobs".format

    def words(changes: dict[str, float], total: float | None = 577_770.0) -> str | None:
        changed = site.copy()
        for key, value in changes.items():
            changed[key] = value
        return sector_peak_words(changed, jobs, concentrations=rule, industry_total=total)

    # 1,808 of 577,770 is 0.31%, under the 0.4% (2,311 jobs) the rule asks for.
    assert str(words({})).endswith(
        "p 0.375 after the false discovery rate correction), nor a concentration (1,808 jobs "
        "is 0.3% of the industry's in the study area, under the 0.4% one needs)"
    )
    # The first threshold missed is the one said: the LQ, then the jobs.
    assert str(words({"sector_peak_lq": 2.96})).endswith(
        "nor a concentration (an LQ under the 3 one needs)"
    )
    assert str(words({"sector_peak_employment": 566.0})).endswith(
        "nor a concentration (566 jobs, under the 1,000 jobs one needs)"
    )
    # Every threshold met as far as the numbers tell: not said to fail one.
    assert str(words({}, total=100_000.0)).endswith("), nor part of a concentration")
    # An industry whose findings are not reported (local-serving, or not sought), or a place
    # without its jobs: nothing is claimed about concentrations.
    assert str(
        sector_peak_words(site, jobs, concentrations=rule, industry_total=577_770.0, sought={"M"})
    ).endswith("after the false discovery rate correction)")
    assert str(words({"sector_peak_employment": float("nan")})).endswith("correction)")
    # Without the share's total, or without the rule, nothing is claimed about it.
    assert str(words({}, total=None)).endswith("), nor part of a concentration")
    assert str(sector_peak_words(site, jobs)).endswith("after the false discovery rate correction)")
    # The key finding says the data's year, which a site opened since cannot show in.
    (item,) = key_findings(
        findings=_findings().iloc[0:0],
        links=pd.DataFrame(columns=["tier", "authority_name", "cluster_id"]),
        sites=site.to_frame().T,
        global_statistics=None,
        n_industries=5,
        framing=plain_framing(employment_year=2011),
        concentrations=rule,
        industry_totals={"C": 577_770.0},
    )[-1:]
    assert item.startswith(
        "Anchor site **Engine plant** has no finding of its sector in or near its footprint in "
        "the 2011 data; its sector's highest LQ there is 4.27"
    )
    assert "under the 0.4% one needs)." in item


@pytest.mark.parametrize(
    ("changes", "note"),
    [
        ({"year": 2011}, " Data of 2011."),
        ({"measure": "GVA at current prices", "year": 2023}, " GVA at current prices, 2023."),
        ({"measure": "jobs"}, " Jobs."),
        ({}, ""),
    ],
)
def test_the_data_note_is_a_sentence_of_its_own(changes: dict[str, object], note: str) -> None:
    assert plain_framing(**changes).data_note == note


def test_findings_partly_in_london_are_partly_outside_the_gla_not_a_combined_authority() -> None:
    from clustergeo.publish.key_findings import combined_authorities_sentence

    findings = pd.DataFrame(
        {
            "cluster_id": ["a", "b", "c", "d", "e"],
            "ca_status": [
                "within_one_ca",
                "within_one_ca",
                "partly_outside_ca",
                "partly_outside_ca",
                "outside_any_ca",
            ],
        }
    )
    links = pd.DataFrame(
        {
            "cluster_id": ["a", "b", "c", "d"],
            "tier": "combined_authority",
            "part": "core",
            "relation": "lead",
            "authority_name": [
                "Greater London Authority",
                "West Midlands",
                "Greater London Authority",
                "West Midlands",
            ],
            "employment_share": [1.0, 1.0, 0.7, 0.2],
        }
    )
    assert combined_authorities_sentence(findings, links) == (
        "Combined authorities: 2 findings lie within one combined authority or the Greater "
        "London Authority (Greater London Authority 1 and West Midlands 1); 1 finding lies "
        "partly outside any combined authority; 1 finding lies partly outside the Greater "
        "London Authority; 1 finding lies outside any combined authority."
    )
