"""Per-authority summaries: counts, partners and the plain-language paragraphs."""

from __future__ import annotations

import pandas as pd
import pytest

from clustergeo.governance.summaries import (
    authority_summaries,
    ca_status_with_shares,
    ca_status_words,
    lead_combined_authorities,
    percent,
    summaries_markdown,
)

NUNEATON = ("E07000219", "Nuneaton and Bedworth")
HINCKLEY = ("E07000132", "Hinckley and Bosworth")
RUGBY = ("E07000220", "Rugby")
COVENTRY = ("E08000026", "Coventry")
WARKS = ("E10000031", "Warwickshire")
LEICS = ("E10000018", "Leicestershire")
WMCA = ("E47000007", "West Midlands")

PARENTS = pd.DataFrame(
    {
        # One row per area: a district appears as often as it has areas.
        "district_code": [NUNEATON[0], HINCKLEY[0], RUGBY[0], COVENTRY[0], NUNEATON[0]],
        "upper_tier_name": [
            "Warwickshire",
            "Leicestershire",
            "Warwickshire",
            "Coventry",
            "Warwickshire",
        ],
    }
)


def _links(rows: list[tuple[str, str, tuple[str, str], float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "cluster_id": cluster,
                "tier": tier,
                "authority_code": authority[0],
                "authority_name": authority[1],
                "employment": employment,
                "employment_share": share,
            }
            for cluster, tier, authority, employment, share in rows
        ]
    )


CLUSTERS = pd.DataFrame(
    {
        "cluster_id": ["C-A", "C-B", "K-C"],
        "label": ["Manufacturing", "Manufacturing", "Finance"],
        "name": [
            "Manufacturing: Hinckley and Bosworth / Nuneaton and Bedworth",
            "Manufacturing: Coventry",
            "Finance: Coventry",
        ],
    }
)


@pytest.fixture(scope="module")
def summaries() -> pd.DataFrame:
    links = _links(
        [
            # C-A: 590 workers in Nuneaton and Bedworth, 410 in Hinckley and Bosworth; the
            # Nuneaton part lies in the West Midlands CA, the Hinckley part in no CA.
            ("C-A", "district", NUNEATON, 590.0, 0.59),
            ("C-A", "district", HINCKLEY, 410.0, 0.41),
            ("C-A", "upper_tier", WARKS, 590.0, 0.59),
            ("C-A", "upper_tier", LEICS, 410.0, 0.41),
            ("C-A", "combined_authority", WMCA, 590.0, 0.59),
            # C-B and K-C lie within Coventry.
            ("C-B", "district", COVENTRY, 300.0, 1.0),
            ("C-B", "upper_tier", COVENTRY, 300.0, 1.0),
            ("C-B", "combined_authority", WMCA, 300.0, 1.0),
            ("K-C", "district", COVENTRY, 200.0, 1.0),
            ("K-C", "upper_tier", COVENTRY, 200.0, 1.0),
            ("K-C", "combined_authority", WMCA, 200.0, 1.0),
        ]
    )
    return authority_summaries(links, CLUSTERS, PARENTS).set_index(["tier", "authority_code"])


def test_summary_columns_and_rows(summaries: pd.DataFrame) -> None:
    assert list(summaries.reset_index().columns) == [
        "tier",
        "authority_code",
        "authority_name",
        "n_clusters",
        "n_touched",
        "n_shared",
        "cluster_ids",
        "partners",
        "employment_in_clusters",
        "summary",
    ]
    # Tiers lowest first, authorities by code within a tier.
    assert list(summaries.index) == [
        ("district", HINCKLEY[0]),
        ("district", NUNEATON[0]),
        ("district", COVENTRY[0]),
        ("upper_tier", COVENTRY[0]),
        ("upper_tier", LEICS[0]),
        ("upper_tier", WARKS[0]),
        ("combined_authority", WMCA[0]),
    ]


def test_district_sharing_a_cluster_with_a_district_of_another_county(
    summaries: pd.DataFrame,
) -> None:
    row = summaries.loc[("district", NUNEATON[0])]
    assert row["authority_name"] == "Nuneaton and Bedworth"
    assert row["n_clusters"] == 1
    assert row["n_shared"] == 1
    assert row["cluster_ids"] == "C-A"
    assert row["partners"] == "Hinckley and Bosworth (Leicestershire) (1)"
    assert row["employment_in_clusters"] == 590.0
    assert row["summary"] == (
        "Nuneaton and Bedworth (district, Warwickshire) is part of 1 cluster: Manufacturing. "
        "It shares 1 with Hinckley and Bosworth (Leicestershire). "
        "41% of the employment of the Manufacturing cluster "
        "(Hinckley and Bosworth / Nuneaton and Bedworth) lies outside Nuneaton and Bedworth."
    )
    other = summaries.loc[("district", HINCKLEY[0])]
    assert other["partners"] == "Nuneaton and Bedworth (Warwickshire) (1)"
    assert other["summary"].startswith(
        "Hinckley and Bosworth (district, Leicestershire) is part of 1 cluster: Manufacturing."
    )
    assert "59% of the employment of the Manufacturing cluster" in other["summary"]


def test_district_whose_clusters_all_lie_within_it(summaries: pd.DataFrame) -> None:
    row = summaries.loc[("district", COVENTRY[0])]
    assert row["n_clusters"] == 2
    assert row["n_shared"] == 0
    assert row["cluster_ids"] == "C-B;K-C"
    assert row["partners"] == ""
    assert row["employment_in_clusters"] == 500.0
    # Coventry is its own upper tier.
    assert row["summary"] == (
        "Coventry (metropolitan district) is part of 2 clusters: "
        "Finance; Manufacturing. All of them lie within Coventry."
    )


def test_one_cluster_within_the_district_lies_within_it() -> None:
    links = _links([("C-B", "district", COVENTRY, 300.0, 1.0)])
    summaries = authority_summaries(links, CLUSTERS, PARENTS)
    assert summaries["summary"].tolist() == [
        "Coventry (metropolitan district) is part of 1 cluster: Manufacturing. "
        "It lies within Coventry."
    ]


def test_an_authority_with_an_inverted_ons_name_is_named_as_a_place() -> None:
    hereford = ("E06000019", "Herefordshire, County of")
    bristol = ("E06000023", "Bristol, City of")
    clusters = pd.DataFrame(
        {
            "cluster_id": ["C-H"],
            "label": ["Manufacturing"],
            "name": ["Manufacturing: Herefordshire / Bristol"],
        }
    )
    parents = pd.DataFrame(
        {
            "district_code": [hereford[0], bristol[0]],
            "upper_tier_name": ["Herefordshire, County of", "Bristol, City of"],
        }
    )
    links = _links(
        [
            ("C-H", "district", hereford, 800.0, 0.8),
            ("C-H", "district", bristol, 200.0, 0.2),
        ]
    )
    summaries = authority_summaries(links, clusters, parents).set_index("authority_code")
    assert summaries.loc[hereford[0], "summary"] == (
        "Herefordshire (unitary authority) is part of 1 cluster: Manufacturing. It shares 1 "
        "with Bristol. 20% of the employment of the Manufacturing cluster "
        "(Herefordshire / Bristol) lies outside Herefordshire."
    )


def test_counties_share_clusters_without_a_county_suffix(summaries: pd.DataFrame) -> None:
    row = summaries.loc[("upper_tier", WARKS[0])]
    assert row["partners"] == "Leicestershire (1)"
    assert row["summary"] == (
        "Warwickshire (county) is part of 1 cluster: Manufacturing. "
        "It shares 1 with Leicestershire. 41% of the employment of the Manufacturing cluster "
        "(Hinckley and Bosworth / Nuneaton and Bedworth) lies outside Warwickshire."
    )


def test_combined_authority_with_part_of_a_cluster_in_no_ca(summaries: pd.DataFrame) -> None:
    row = summaries.loc[("combined_authority", WMCA[0])]
    assert row["n_clusters"] == 3
    assert row["n_shared"] == 1
    assert row["partners"] == ""
    assert row["employment_in_clusters"] == 1090.0
    assert row["summary"] == (
        "West Midlands (combined authority) is part of 3 clusters: Finance; "
        "Manufacturing (2). 41% of the employment of the Manufacturing cluster "
        "(Hinckley and Bosworth / Nuneaton and Bedworth) lies outside West Midlands, "
        "in no combined authority."
    )


def test_partner_district_of_the_same_county_has_no_county_suffix() -> None:
    links = _links(
        [
            ("C-A", "district", NUNEATON, 700.0, 0.7),
            ("C-A", "district", RUGBY, 300.0, 0.3),
            ("C-B", "district", NUNEATON, 100.0, 0.5),
            ("C-B", "district", HINCKLEY, 60.0, 0.3),
            ("C-B", "district", RUGBY, 40.0, 0.2),
        ]
    )
    clusters = pd.DataFrame(
        {
            "cluster_id": ["C-A", "C-B"],
            "label": ["Manufacturing", "Manufacturing"],
            "name": [
                "Manufacturing: Nuneaton and Bedworth / Rugby",
                "Manufacturing: Nuneaton and Bedworth / Hinckley and Bosworth and others",
            ],
        }
    )
    summaries = authority_summaries(links, clusters, PARENTS).set_index("authority_code")
    row = summaries.loc[NUNEATON[0]]
    assert row["n_shared"] == 2
    # Rugby shares two clusters, Hinckley and Bosworth one.
    assert row["partners"] == "Rugby (2); Hinckley and Bosworth (Leicestershire) (1)"
    assert row["summary"] == (
        "Nuneaton and Bedworth (district, Warwickshire) is part of 2 clusters: "
        "Manufacturing (2). It shares 2 with Rugby and 1 with Hinckley and Bosworth "
        "(Leicestershire). 50% of the employment of the Manufacturing cluster "
        "(Nuneaton and Bedworth / Hinckley and Bosworth and others) lies outside Nuneaton and "
        "Bedworth. 30% of the employment of the Manufacturing cluster "
        "(Nuneaton and Bedworth / Rugby) lies outside Nuneaton and Bedworth."
    )


def test_no_links_give_an_empty_table() -> None:
    links = pd.DataFrame(
        columns=[
            "cluster_id",
            "tier",
            "authority_code",
            "authority_name",
            "employment",
            "employment_share",
        ]
    )
    summaries = authority_summaries(links, CLUSTERS.iloc[:0], PARENTS.iloc[:0])
    assert summaries.empty
    assert "summary" in summaries


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_has_a_section_per_tier_and_bold_names(summaries: pd.DataFrame) -> None:
    text = summaries_markdown(summaries.reset_index(), "Clusters by authority: test")
    lines = text.splitlines()
    assert lines[0] == "# Clusters by authority: test"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## Districts",
        "## Counties and unitary authorities",
        "## Combined authorities",
    ]
    assert (
        "- **Nuneaton and Bedworth** (district, Warwickshire) is part of 1 cluster: "
        "Manufacturing." in text
    )
    assert text.count("**Coventry**") == 2  # once as a district, once as its own upper tier
    assert "lies outside Nuneaton and Bedworth. [E07000219]" in text
    # Within a section, authorities sharing more clusters come first, then by name.
    districts = [line for line in lines if line.startswith("- ")][:3]
    assert [line.split("**")[1] for line in districts] == [
        "Hinckley and Bosworth",
        "Nuneaton and Bedworth",
        "Coventry",
    ]


def test_markdown_leaves_out_tiers_without_authorities(summaries: pd.DataFrame) -> None:
    districts = summaries.reset_index()
    districts = districts.loc[districts["tier"] == "district"]
    text = summaries_markdown(districts, "Title")
    assert "## Districts" in text
    assert "## Counties" not in text
    assert "## Combined" not in text


def test_markdown_of_no_clusters_says_so() -> None:
    empty = pd.DataFrame(columns=["tier", "authority_code", "authority_name", "summary"])
    assert summaries_markdown(empty, "Clusters by authority: run") == (
        "# Clusters by authority: run\n\nNo clusters were found, so no authority has any.\n"
    )


def test_district_of_a_run_without_counties_is_just_a_district() -> None:
    links = _links(
        [("C-A", "district", NUNEATON, 590.0, 0.59), ("C-A", "district", HINCKLEY, 410.0, 0.41)]
    )
    no_counties = pd.DataFrame({"district_code": [], "upper_tier_name": []})
    table = authority_summaries(links, CLUSTERS, no_counties).set_index("authority_code")
    assert table.loc[NUNEATON[0], "summary"].startswith(
        "Nuneaton and Bedworth (district) is part of 1 cluster: Manufacturing."
    )


def test_combined_authority_sharing_a_cluster_and_leaving_part_in_no_ca() -> None:
    # 50% in the West Midlands CA, 30% in another CA, 20% in none.
    other_ca = ("E47000099", "Another Combined Authority")
    links = _links(
        [
            ("C-A", "combined_authority", WMCA, 500.0, 0.5),
            ("C-A", "combined_authority", other_ca, 300.0, 0.3),
        ]
    )
    table = authority_summaries(links, CLUSTERS, PARENTS).set_index("authority_code")
    assert table.loc[WMCA[0], "summary"].endswith(
        "It shares 1 with Another Combined Authority. 50% of the employment of the "
        "Manufacturing cluster (Hinckley and Bosworth / Nuneaton and Bedworth) lies outside "
        "West Midlands (20% in no combined authority)."
    )


def test_a_sliver_of_a_cluster_is_not_called_all_or_none_of_it() -> None:
    # Coventry touches C-A with 4 of its 1,000 workers, which would round to "0%".
    links = _links(
        [
            ("C-A", "district", NUNEATON, 996.0, 0.996),
            ("C-A", "district", COVENTRY, 4.0, 0.004),
        ]
    )
    summaries = authority_summaries(links, CLUSTERS, PARENTS).set_index("authority_code")
    assert (
        "under 1% of the finding's employment lies in Coventry"
        in summaries.loc[COVENTRY[0], "summary"]
    )
    assert "0%" not in summaries.loc[COVENTRY[0], "summary"]


def test_an_authority_holding_a_spill_only_touches_the_finding_and_shares_nothing() -> None:
    # C-A: 97% in Nuneaton and Bedworth, a spill of 3% (under the 5% straddle share) into
    # Hinckley and Bosworth; C-B lies in Coventry, bar 40% in Nuneaton and Bedworth.
    links = _links(
        [
            ("C-A", "district", NUNEATON, 970.0, 0.97),
            ("C-A", "district", HINCKLEY, 30.0, 0.03),
            ("C-B", "district", COVENTRY, 180.0, 0.6),
            ("C-B", "district", NUNEATON, 120.0, 0.4),
        ]
    )
    table = authority_summaries(links, CLUSTERS, PARENTS).set_index("authority_code")
    assert table.loc[HINCKLEY[0], "summary"] == (
        "Hinckley and Bosworth (district, Leicestershire) only touches 1 cluster (3% of the "
        "finding's employment lies in Hinckley and Bosworth): Manufacturing."
    )
    assert (table.loc[HINCKLEY[0], "n_clusters"], table.loc[HINCKLEY[0], "n_touched"]) == (0, 1)
    nuneaton = table.loc[NUNEATON[0]]
    assert (nuneaton["n_clusters"], nuneaton["n_touched"], nuneaton["n_shared"]) == (2, 0, 2)
    # It shares C-B with Coventry, but not C-A with Hinckley and Bosworth, which only touches
    # it; that spill still counts as lying outside Nuneaton and Bedworth.
    assert "It shares 1 with Coventry." in nuneaton["summary"]
    assert "Hinckley" not in nuneaton["partners"]
    assert "3% of the employment of the Manufacturing cluster (Hinckley" in nuneaton["summary"]
    # A larger share makes it a partner: 6% is over the straddle share.
    wider = links.assign(
        employment_share=[0.94, 0.06, 0.6, 0.4], employment=[940.0, 60.0, 180.0, 120.0]
    )
    table = authority_summaries(wider, CLUSTERS, PARENTS).set_index("authority_code")
    assert "Hinckley and Bosworth" in table.loc[NUNEATON[0], "partners"]
    assert table.loc[HINCKLEY[0], "summary"].startswith(
        "Hinckley and Bosworth (district, Leicestershire) is part of 1 cluster"
    )


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (1.0, "100%"),
        (1.0 - 1e-12, "100%"),
        (0.9951, "over 99%"),
        (0.994, "99%"),
        (0.5, "50%"),
        (0.0051, "1%"),
        (0.0049, "under 1%"),
        (1e-12, "0%"),
        (0.0, "0%"),
    ],
)
def test_percent_keeps_a_part_from_rounding_to_all_or_none(share: float, text: str) -> None:
    assert percent(share) == text


def test_concentrations_are_counted_and_named_as_concentrations_not_clusters() -> None:
    # Coventry holds a manufacturing cluster (C-B) and a finance concentration (K-C); C-A, a
    # concentration, lies 59% in Nuneaton and Bedworth and 41% in Hinckley and Bosworth.
    kinds = CLUSTERS.assign(kind=["concentration", "cluster", "concentration"])
    links = _links(
        [
            ("C-A", "district", NUNEATON, 590.0, 0.59),
            ("C-A", "district", HINCKLEY, 410.0, 0.41),
            ("C-B", "district", COVENTRY, 300.0, 1.0),
            ("K-C", "district", COVENTRY, 200.0, 1.0),
        ]
    )
    summaries = authority_summaries(links, kinds, PARENTS).set_index("authority_code")
    assert summaries.loc[COVENTRY[0], "summary"].startswith(
        "Coventry (metropolitan district) is part of 2 findings (1 cluster and "
        "1 concentration): Finance; Manufacturing."
    )
    hinckley = summaries.loc[HINCKLEY[0], "summary"]
    assert "is part of 1 concentration: Manufacturing." in hinckley
    assert "59% of the employment of the Manufacturing concentration (Hinckley" in hinckley


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("S12000036", "City of Edinburgh", "Scottish council area"),
        ("W06000015", "Cardiff", "Welsh unitary authority"),
        ("E06000015", "Derby", "unitary authority"),
        ("E09000001", "City of London", "London borough"),
        ("N09000003", "Belfast", "Northern Ireland district"),
    ],
)
def test_a_district_without_a_county_is_called_what_it_is(code: str, name: str, kind: str) -> None:
    links = _links([("C-B", "district", (code, name), 300.0, 1.0)])
    parents = pd.DataFrame({"district_code": [code], "upper_tier_name": [name]})
    (summary,) = authority_summaries(links, CLUSTERS, parents)["summary"]
    assert summary.startswith(f"{name} ({kind}) is part of 1 cluster")


def test_the_greater_london_authority_is_called_a_strategic_authority() -> None:
    """It sits on the combined authorities' tier, but is not a combined authority in law."""
    gla = ("E61000001", "Greater London Authority")
    links = _links([("C-B", "combined_authority", gla, 300.0, 1.0)])
    parents = pd.DataFrame({"district_code": ["E09000001"], "upper_tier_name": ["City of London"]})
    (summary,) = authority_summaries(links, CLUSTERS, parents)["summary"]
    assert summary.startswith("Greater London Authority (strategic authority) is part of 1")
    assert summary.endswith("It lies within the Greater London Authority.")
    # Within a sentence it takes its article.
    partly = _links([("C-B", "combined_authority", gla, 200.0, 0.6)])
    (summary,) = authority_summaries(partly, CLUSTERS, parents)["summary"]
    assert "lies outside the Greater London Authority, in no combined authority." in summary


def test_what_lies_within_an_authority_that_also_touches_a_finding_is_said_of_its_own() -> None:
    links = _links(
        [
            ("C-B", "district", COVENTRY, 300.0, 1.0),
            ("C-A", "district", NUNEATON, 980.0, 0.98),
            ("C-A", "district", COVENTRY, 20.0, 0.02),
        ]
    )
    table = authority_summaries(links, CLUSTERS, PARENTS).set_index("authority_code")
    assert table.loc[COVENTRY[0], "summary"] == (
        "Coventry (metropolitan district) is part of 1 cluster: Manufacturing. It also only "
        "touches 1 cluster (2% of the finding's employment lies in Coventry): Manufacturing. "
        "The one it is part of lies within Coventry."
    )


@pytest.mark.parametrize(
    ("districts", "lead", "expected"),
    [
        ("Alpha; Beta; Gamma", "Gamma", ["Gamma", "Alpha", "Beta"]),
        ("Alpha; Beta", None, ["Alpha", "Beta"]),
        (None, "Gamma", ["Gamma"]),
        (float("nan"), float("nan"), []),
    ],
)
def test_lead_first_puts_the_lead_district_first(
    districts: object, lead: object, expected: list[str]
) -> None:
    from clustergeo.governance.summaries import lead_first

    assert lead_first(districts, lead) == expected


def test_a_large_piece_shares_the_finding_as_its_links_judge_it() -> None:
    # 3% of C-A in Hinckley and Bosworth, but judged to share it (a piece as large as a
    # concentration, in a very large finding): the summary follows the link, not the share.
    links = _links(
        [
            ("C-A", "district", NUNEATON, 97_000.0, 0.97),
            ("C-A", "district", HINCKLEY, 3_000.0, 0.03),
        ]
    ).assign(relation=["lead", "shares"])
    table = authority_summaries(links, CLUSTERS, PARENTS).set_index("authority_code")
    hinckley = table.loc[HINCKLEY[0]]
    assert (hinckley["n_clusters"], hinckley["n_touched"], hinckley["n_shared"]) == (1, 0, 1)
    assert "only touches" not in hinckley["summary"]
    assert hinckley["summary"].startswith(
        "Hinckley and Bosworth (district, Leicestershire) is part of 1 cluster"
    )


def _ca_links(rows: list[tuple[str, str, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["cluster_id", "authority_name", "relation", "employment_share", "part"]
    ).assign(tier="combined_authority")


def test_the_lead_combined_authority_is_the_lead_with_the_largest_share_of_the_part() -> None:
    links = _ca_links(
        [
            ("a", "West Midlands", "lead", 0.3, "core"),
            ("a", "Greater Manchester", "lead", 0.6, "core"),
            ("a", "West Yorkshire", "touches", 0.9, "core"),
            ("a", "South Yorkshire", "lead", 0.9, "extent"),
            ("b", "Greater London Authority", "lead", 1.0, "core"),
        ]
    )
    assert lead_combined_authorities(links).to_dict() == {
        "a": "Greater Manchester",
        "b": "Greater London Authority",
    }
    assert lead_combined_authorities(links, part="extent").to_dict() == {"a": "South Yorkshire"}
    sites = links.drop(columns="part").rename(columns={"cluster_id": "site_key"})
    assert lead_combined_authorities(sites, key="site_key")["b"] == "Greater London Authority"
    assert lead_combined_authorities(pd.DataFrame()).empty


@pytest.mark.parametrize(
    ("status", "lead", "short", "words"),
    [
        ("within_one_ca", "West Midlands", False, "within one combined authority: West Midlands"),
        ("within_one_ca", "West Midlands", True, "within West Midlands"),
        ("within_one_ca", None, False, "within one combined authority"),
        ("within_one_ca", None, True, "within one"),
        ("within_one_ca", "Greater London Authority", False, "within the Greater London Authority"),
        ("within_one_ca", "Greater London Authority", True, "within the Greater London Authority"),
        (
            "partly_outside_ca",
            "Greater London Authority",
            False,
            "partly outside the Greater London Authority, in no combined authority",
        ),
        (
            "partly_outside_ca",
            "Greater London Authority",
            True,
            "partly outside the Greater London Authority",
        ),
        ("partly_outside_ca", "Tees Valley", True, "partly outside any"),
        ("outside_any_ca", None, False, "outside any combined authority"),
        ("split_across_cas", "North East", True, "split across"),
        ("no_such_status", None, False, ""),
    ],
)
def test_a_place_among_combined_authorities_names_its_lead_and_london_for_what_it_is(
    status: str, lead: str | None, short: bool, words: str
) -> None:
    assert ca_status_words(status, lead, short=short) == words


def test_a_divided_place_among_combined_authorities_gives_each_share() -> None:
    links = pd.DataFrame(
        {"authority_name": ["South Yorkshire", "West Yorkshire"], "employment_share": [0.46, 0.54]}
    )
    assert ca_status_with_shares("split_across_cas", links, "West Yorkshire", short=True) == (
        "split across: West Yorkshire 54%, South Yorkshire 46%"
    )
    # What lies in none is said where it is any, and always for a finding partly outside.
    assert ca_status_with_shares("split_across_cas", links.assign(employment_share=[0.4, 0.5])) == (
        "split across combined authorities: West Yorkshire 50%, South Yorkshire 40%, none 10%"
    )
    one = links.iloc[[1]].assign(employment_share=0.17)
    assert ca_status_with_shares("partly_outside_ca", one, "West Yorkshire") == (
        "partly outside any combined authority: West Yorkshire 17%, none 83%"
    )
    # Whole, or with no links to divide it by: the words alone.
    assert ca_status_with_shares("within_one_ca", one, "West Yorkshire", short=True) == (
        "within West Yorkshire"
    )
    assert ca_status_with_shares("partly_outside_ca", one.iloc[0:0]) == (
        "partly outside any combined authority"
    )


def test_the_gla_is_known_by_its_code_whatever_it_is_called() -> None:
    links = _ca_links([("a", "Greater London", "lead", 1.0, "core")]).assign(
        authority_code="E61000001"
    )
    (lead,) = lead_combined_authorities(links)
    assert lead == "Greater London Authority"
    assert ca_status_words("within_one_ca", lead) == "within the Greater London Authority"
