"""What the report says first and last: its key findings, a glossary and the limitations.

The key findings are the run's results in plain sentences for a board paper: how many
clusters and concentrations, the strongest three with their jobs and specialisation, what
straddles which authorities, where no authority holds a majority, which combined authorities
hold the findings, and what surrounds each anchor site. Every number is read from the run's
tables; nothing is estimated here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import pandas as pd

from clustergeo.governance.summaries import (
    and_list,
    by_core_or_extent,
    ca_status_words,
    district_straddles,
    district_straddles_sentence,
    first_few,
    lead_combined_authorities,
    lead_first,
    plural,
    tier_straddles,
)
from clustergeo.london import GREATER_LONDON_AUTHORITY
from clustergeo.publish.framing import ClusterRule, Framing, HotspotMethod
from clustergeo.vocab import CA_STATUS_WORDS, GI_STAR_HOT_CLASSES

__all__ = [
    "GLOSSARY",
    "combined_authorities_sentence",
    "glossary_items",
    "key_findings",
    "limitations",
    "sector_peak_words",
    "sector_total",
    "straddled_tiers",
]

#: How many findings the summary names.
_NAMED = 3

#: Every statistic and term a report reader meets, in plain words.
GLOSSARY: dict[str, str] = {
    "Location quotient (LQ)": (
        "an area's share of jobs in an industry divided by that industry's share in the "
        "reference area; 1 is average, 2 is twice as specialised"
    ),
    "Unreliable LQ": (
        "an LQ resting on too few workers in the area to mean much, or a cell the source "
        "suppressed (it does so to small numbers); hatched grey on the maps"
    ),
    "Getis-Ord Gi*": (
        "a z-score of how much higher (hot spot) or lower (cold spot) the LQs of an area and "
        "its neighbours are than chance would give"
    ),
    "Local Moran's I (LISA)": (
        "compares each area's LQ with its neighbours': high-high and low-low are clusters "
        "of alike areas, high-low and low-high are outliers that differ from their "
        "surroundings"
    ),
    "Global Moran's I and General G": (
        "one number per industry for the whole study area: whether alike values sit side by "
        "side at all (Moran's I) and whether high values sit beside high ones (General G)"
    ),
    "p-value, FDR": (
        "the chance of a pattern this strong arising at random; with many areas "
        "tested, the false discovery rate (Benjamini-Hochberg) keeps the share of false "
        "alarms among the findings at the stated level"
    ),
    "Cluster (core and extent)": (
        "neighbouring significant hot spots; the core is the specialised, sizeable ones, "
        "the extent adds the hot spots around and between them"
    ),
    "Concentration": (
        "one or a few neighbouring places that are significantly specialised on their own "
        "without specialised neighbours, such as a single large plant"
    ),
    "Strength and stars": (
        "a score combining size, specialisation, focus and significance that ranks the "
        "findings; a star for each of size, specialisation and focus in the top share of "
        "the run's findings (the method section gives the share)"
    ),
    "Straddles": (
        "more than the stated share of a finding's employment lies outside its lead "
        "authority of that tier"
    ),
    "Governance gap": "no single authority holds a majority of the finding's employment",
}


#: The terms whose meaning differs when the values are GVA, not counts of people: output,
#: not jobs, and a concentration passes thresholds rather than a test.
_GVA_GLOSSARY: dict[str, str] = {
    "Location quotient (LQ)": (
        "an area's share of output (GVA) in an industry divided by that industry's share in "
        "the reference area; 1 is average, 2 is twice as specialised"
    ),
    "Unreliable LQ": (
        "an LQ of a value withheld or too small to mean much; hatched grey on the maps"
    ),
    "Concentration": (
        "one or a few neighbouring places specialised on their own beyond the run's "
        "thresholds (an LQ and an amount of GVA: GVA allows no test) without specialised "
        "neighbours, such as a single large plant"
    ),
    "Strength and stars": (
        "a score combining size, specialisation and focus that ranks the findings; a star "
        "for each of them in the top share of the run's findings"
    ),
    "Straddles": (
        "more than the stated share of a finding's GVA lies outside its lead authority of that tier"
    ),
    "Governance gap": "no single authority holds a majority of the finding's GVA",
}


def glossary_items(*, values_are_gva: bool = False) -> tuple[str, ...]:
    """The glossary as '**term**: meaning.' lines, in words for GVA when the values are GVA."""
    meanings = GLOSSARY | (_GVA_GLOSSARY if values_are_gva else {})
    return tuple(f"**{term}**: {meaning}." for term, meaning in meanings.items())


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return frame[column].fillna(False).astype(bool)


def _verb(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _definitions(global_statistics: pd.DataFrame) -> pd.DataFrame:
    """The rows of the run's cluster definitions (not the finer industries) when it has any.

    The report passes only the industries findings were sought in, so with ``clusters.of:
    industries`` there are no definitions' rows and every industry's is kept.
    """
    if "kind" in global_statistics and (global_statistics["kind"] == "cluster").any():
        return global_statistics.loc[global_statistics["kind"] == "cluster"]
    return global_statistics


def _ranked(findings: pd.DataFrame) -> pd.DataFrame:
    order = ["strength", "cluster_id"] if "strength" in findings else ["employment", "cluster_id"]
    return findings.sort_values(order, ascending=[False, True])


def _share(value: float) -> str:
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


#: A cluster holding at least this share of its core's employment in its anchor area is,
#: in its summary, said to be mostly one place.
ONE_PLACE_SHARE = 0.75


def _finding_sentence(rank: int, row: pd.Series, framing: Framing, warning: str = "") -> str:
    stars = int(row.get("stars", 0) or 0)
    kind = "concentration" if row.get("kind", "cluster") == "concentration" else "cluster"
    starred = f", {'★' * stars}" if stars else ""
    sentence = (
        f"**No. {rank} on the maps, {row['name']}** ({kind}{starred}): "
        f"{framing.amount(float(row['employment']))}, "
        f"{_share(float(row['employment_share']))} of the industry's {framing.quantity} in "
        f"the study area, LQ {row['lq']:.2f}"
    )
    # A cluster that is mostly one place is hot around that place's own figure (Gi* counts
    # the area in its neighbourhood): the reader should know before reading it as a district.
    # A one-area cluster is the extreme case, said in the same words.
    anchor_share = row.get("anchor_share")
    if kind == "cluster" and int(row.get("n_units", 0) or 0) == 1:
        sentence += "; all of it in one area"
    elif (
        kind == "cluster"
        and isinstance(anchor_share, float | int)
        and anchor_share >= ONE_PLACE_SHARE
    ):
        sentence += f"; {_share(float(anchor_share))} of it in one area"
    return sentence + (f"; {warning}" if warning else "") + "."


def combined_authorities_sentence(findings: pd.DataFrame, links: pd.DataFrame) -> str | None:
    """How the findings lie across combined authorities, each finding counted once.

    Those within one combined authority are counted by it; those split across several, partly
    outside any or outside any, as such. A combined authority holding a quarter of a finding
    that lies mostly outside any does not 'lead' it, so the counts add up to the findings.
    """
    if "tier" not in links or not (links["tier"] == "combined_authority").any():
        return None
    lead_of = lead_combined_authorities(links)
    status = findings.get("ca_status", pd.Series("", index=findings.index)).astype(str)
    within = (
        findings.loc[status == "within_one_ca", "cluster_id"]
        .map(lead_of)
        .value_counts()
        .sort_index()
        .sort_values(ascending=False, kind="stable")
    )
    parts = []
    if n := int((status == "within_one_ca").sum()):
        # ONS names a combined authority by its area ("West Midlands"), which in a report on
        # regions reads as the region of that name: the names follow the words.
        if len(within) == 1:
            by_authority = f"{'' if n == 1 else 'all in '}{within.index[0]}"
        else:
            by_authority = and_list([f"{name} {int(count)}" for name, count in within.items()])
        # The GLA sits on the tier without being a combined authority (clustergeo.london).
        tier_words = (
            "combined authority or the Greater London Authority"
            if GREATER_LONDON_AUTHORITY[1] in within.index
            else "combined authority"
        )
        parts.append(
            f"{plural(n, 'finding')} {_verb(n, 'lies', 'lie')} within one {tier_words}"
            + (f" ({by_authority})" if len(within) else "")
        )
    # Those partly in London are partly outside the GLA, not a combined authority.
    in_london = findings["cluster_id"].map(lead_of).eq(GREATER_LONDON_AUTHORITY[1]).to_numpy()
    partly = status == "partly_outside_ca"
    for mask, words, verb in (
        (
            status == "split_across_cas",
            CA_STATUS_WORDS["split_across_cas"].removeprefix("split "),
            ("is split", "are split"),
        ),
        (partly & ~in_london, CA_STATUS_WORDS["partly_outside_ca"], ("lies", "lie")),
        (
            partly & in_london,
            ca_status_words("partly_outside_ca", GREATER_LONDON_AUTHORITY[1], short=True),
            ("lies", "lie"),
        ),
        (status == "outside_any_ca", CA_STATUS_WORDS["outside_any_ca"], ("lies", "lie")),
    ):
        if n := int(mask.sum()):
            parts.append(f"{plural(n, 'finding')} {_verb(n, *verb)} {words}")
    return "Combined authorities: " + "; ".join(parts) + "." if parts else None


def key_findings(
    *,
    findings: pd.DataFrame,
    links: pd.DataFrame,
    sites: pd.DataFrame | None,
    global_statistics: pd.DataFrame | None,
    n_industries: int,
    framing: Framing,
    correction: str = "fdr_bh",
    concentrations: Mapping[str, Any] | None = None,
    industry_totals: Mapping[str, float] | None = None,
    sought: Collection[str] | None = None,
    series_warnings: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The run's findings in a handful of plain sentences, most important first.

    Parameters
    ----------
    findings
        Governed findings (clusters and concentrations) with their flags.
    links
        Finding-authority links (``tier``, ``authority_name``, ``part``, ``relation``).
    sites
        Anchor sites with their flags and the findings of their sector in or near them.
    global_statistics
        Global Moran's I per industry (``pattern``), or None.
    n_industries
        How many industries or cluster definitions findings were sought in.
    framing
        The run's data, for the unit findings are measured in (jobs or £m of GVA).
    correction
        The hot spots' multiple-testing correction (``hotspots.correction``), named where a
        corrected p-value is given.
    concentrations, industry_totals, sought
        The concentration rule's settings (:attr:`ClusterRule.concentrations`), each
        industry's total in the study area and the industries whose findings are reported:
        with them, a site without a finding of its sector is told which of the rule's
        thresholds its sector's strongest place falls short of.
    series_warnings
        By finding ID, a clause said after a named finding whose yearly series looks broken
        (:attr:`~clustergeo.publish.series_breaks.SeriesBreak.warning`).
    """
    items: list[str] = []
    warnings = series_warnings or {}
    if global_statistics is not None and not global_statistics.empty:
        global_statistics = _definitions(global_statistics)
    kinds = findings.get("kind", pd.Series("cluster", index=findings.index)).value_counts()
    n_clusters, n_concentrations = int(kinds.get("cluster", 0)), int(kinds.get("concentration", 0))
    industries = findings["label"].nunique() if "label" in findings else 0
    if findings.empty:
        analysed = plural(n_industries, "industry", "industries")
        items.append(f"No cluster or concentration met the rules among {analysed}.")
    else:
        items.append(
            f"{plural(n_clusters, 'cluster')} and {plural(n_concentrations, 'concentration')} "
            f"in {plural(industries, 'industry', 'industries')} of the "
            f"{n_industries:,} analysed{framing.data_when}; the strongest three follow."
        )
        for rank, (_, row) in enumerate(_ranked(findings).head(_NAMED).iterrows(), start=1):
            warning = warnings.get(str(row.get("cluster_id", "")), "")
            items.append(_finding_sentence(rank, row, framing, warning))
    if global_statistics is not None and "pattern" in global_statistics:
        clustered = global_statistics.loc[global_statistics["pattern"].astype(str) == "clustered"]
        if len(clustered):
            names = clustered["label"].fillna(clustered["industry_code"]).astype(str)
            items.append(
                f"{plural(len(clustered), 'industry', 'industries')} "
                f"{_verb(len(clustered), 'is', 'are')} clustered across the whole study "
                # Quoted: section names hold commas and semicolons of their own.
                f"area (global Moran's I): {first_few([f'‘{n}’' for n in names], 6)}."
            )
    if not findings.empty:
        items += _governance_sentences(findings, links, framing)
    if sites is not None and not sites.empty:
        items += _site_sentences(
            sites,
            findings,
            framing,
            correction,
            concentrations=concentrations,
            industry_totals=industry_totals,
            sought=sought,
        )
    return tuple(items)


def _governance_sentences(
    findings: pd.DataFrame, links: pd.DataFrame, framing: Framing
) -> list[str]:
    """What straddles which authorities, the governance gaps and the combined authorities."""
    items: list[str] = []
    flags = district_straddles(findings)
    straddling = _ranked(findings.loc[flags["core_or_extent"]])
    sentence = district_straddles_sentence(findings)
    if straddling.empty:
        items.append(f"{sentence}.")
    else:
        named = "; ".join(
            f"{row['name']} ({_straddled_districts(row, core=bool(core))})"
            for (_, row), core in zip(
                straddling.head(_NAMED).iterrows(),
                flags["core"].reindex(straddling.index).head(_NAMED),
                strict=True,
            )
        )
        # More than are named: say the names are the strongest, not the list.
        lead = ". The strongest three: " if len(straddling) > _NAMED else ": "
        items.append(f"{sentence}, so support needs authorities to work together{lead}{named}.")
    # Counted as the districts are: by core or extent, and of those by the core itself.
    upper_tier = tier_straddles(findings, "counties")
    counties = int(upper_tier["core_or_extent"].sum())
    if counties:
        items.append(
            f"{plural(counties, 'finding')} {_verb(counties, 'crosses', 'cross')} "
            "upper-tier lines as well (between counties, unitary authorities or metropolitan "
            f"boroughs){by_core_or_extent(upper_tier)}."
        )
    # A region's line is where two sets of regional bodies (and, in England, often two
    # combined authorities) meet: name the findings across one.
    region_flags = tier_straddles(findings, "regions")
    regions = _ranked(findings.loc[region_flags["core_or_extent"]])
    if len(regions):
        items.append(
            f"{plural(len(regions), 'finding')} {_verb(len(regions), 'crosses', 'cross')} a "
            f"regional boundary{by_core_or_extent(region_flags)}: "
            f"{first_few(regions['name'].astype(str).tolist(), _NAMED)}."
        )
    gaps = findings.loc[_flag(findings, "governance_gap")]
    if len(gaps):
        items.append(
            f"{plural(len(gaps), 'finding')} {_verb(len(gaps), 'has', 'have')} no "
            f"authority holding a majority of its {framing.quantity} (a governance gap): "
            f"{first_few(gaps['name'].astype(str).tolist(), _NAMED)}."
        )
    if (ca := combined_authorities_sentence(findings, links)) is not None:
        items.append(ca)
    return items


def _straddled_districts(finding: pd.Series, *, core: bool) -> str:
    """The districts a straddling finding spans: its core's, or its extent's if only that does.

    The lead district first (the finding's name leads with it), then the others.
    """
    column = "districts" if core else "extent_districts"
    lead = finding.get("lead_district" if core else "extent_lead_district")
    return ", ".join(lead_first(finding.get(column) or finding.get("districts"), lead))


def _site_sentences(
    sites: pd.DataFrame,
    findings: pd.DataFrame,
    framing: Framing,
    correction: str,
    *,
    concentrations: Mapping[str, Any] | None = None,
    industry_totals: Mapping[str, float] | None = None,
    sought: Collection[str] | None = None,
) -> list[str]:
    names = findings.set_index("cluster_id")["name"] if not findings.empty else pd.Series()

    def named(ids: object) -> list[str]:
        return [str(names.get(i, i)) for i in str(ids or "").split(";") if i]

    sentences = []
    for _, site in sites.loc[sites["status"] != "outside_study_area"].iterrows():
        inside = named(site.get("sector_clusters_in"))
        near = named(site.get("sector_clusters_near"))
        # Finding names hold commas ('Energy, water and waste: Coventry, south-east'), so
        # several are set apart by semicolons.
        if inside:
            where = f"sits in {'; '.join(inside)}"
        elif near:
            where = f"has {'; '.join(near)} nearby"
        else:
            # The data's year: a site opened since cannot show in it (i54's engine plant).
            when = f" in the {framing.employment_year} data" if framing.employment_year else ""
            where = f"has no finding of its sector in or near its footprint{when}"
            peak = sector_peak_words(
                site,
                framing.amount,
                correction,
                concentrations=concentrations,
                industry_total=sector_total(site, industry_totals),
                sought=sought,
            )
            if peak:
                where += f"; its sector's highest LQ there is {peak}"
        sentences.append(f"Anchor site **{site['name']}** {where}" + _footprint_districts(site))
    return sentences


#: How a hot spot's p-value was corrected, as words after it (the run's ``hotspots.correction``).
_AFTER_CORRECTION = {
    "fdr_bh": " after the false discovery rate correction",
    "bonferroni": " after the Bonferroni correction",
    "none": "",
}


def sector_total(site: pd.Series, industry_totals: Mapping[str, float] | None) -> float | None:
    """The study area's total of the industry of a site's sector peak, if known."""
    if not industry_totals:
        return None
    total = industry_totals.get(str(site.get("sector_peak_industry_code")))
    return None if total is None or pd.isna(total) else float(total)


def sector_peak_words(
    site: pd.Series,
    amount: Callable[[float], str],
    correction: str = "fdr_bh",
    *,
    concentrations: Mapping[str, Any] | None = None,
    industry_total: float | None = None,
    sought: Collection[str] | None = None,
) -> str | None:
    """The strongest sign of a site's sector in its footprint, in words; None without one.

    What the sector shows where no finding of it is in or near, from the governance stage's
    ``sector_peak_*`` columns: '2.96 (Professional, scientific and technical, 566 jobs in
    Hinckley and Bosworth 008), not a hot spot (Gi* z 2.04, p 0.285 after the false discovery
    rate correction)', naming the run's ``correction``. With the concentration rule's
    ``concentrations`` settings (and the ``industry_total`` in the study area, for its share
    threshold) it goes on with the first threshold the place falls short of: ', nor a
    concentration (566 jobs, under the 1,000 jobs one needs)'; only for an industry in
    ``sought`` (those whose concentrations the findings report), when given.
    """
    lq = site.get("sector_peak_lq")
    if lq is None or pd.isna(lq):
        return None
    label = str(site.get("sector_peak_label") or site.get("sector_peak_industry_code"))
    place = site.get("sector_peak_area_name")
    if not isinstance(place, str) or not place:
        place = str(site.get("sector_peak_area_code"))
    text = f"{lq:.2f} ({label}, {amount(float(site['sector_peak_employment']))} in {place})"
    if float(lq) <= 1:
        return text + ": the sector is not specialised there"
    z, p = site.get("sector_peak_gi_star_z"), site.get("sector_peak_gi_star_p_fdr")
    if str(site.get("sector_peak_gi_star_class")) in GI_STAR_HOT_CLASSES:
        return text + ", a hot spot, but short of the rules for a finding"
    if z is None or pd.isna(z):
        return text + ", not tested for hot spots"
    code = str(site.get("sector_peak_industry_code"))
    amount_there = site.get("sector_peak_employment")
    shortfall = (
        ""
        if (sought is not None and code not in sought)
        or amount_there is None
        or pd.isna(amount_there)
        else _concentration_shortfall(
            float(lq), float(amount_there), amount, concentrations, industry_total
        )
    )
    if float(z) <= 0 or p is None or pd.isna(p):
        return text + f", not a hot spot (Gi* z {float(z):.2f})" + shortfall
    after = _AFTER_CORRECTION.get(correction, " after correction")
    return text + f", not a hot spot (Gi* z {float(z):.2f}, p {float(p):.3g}{after})" + shortfall


def _concentration_shortfall(
    lq: float,
    amount_there: float,
    amount: Callable[[float], str],
    settings: Mapping[str, Any] | None,
    industry_total: float | None,
) -> str:
    """', nor a concentration (...)': the first of the rule's thresholds a place falls short of.

    The rule (:mod:`clustergeo.clusters.concentrations`) asks for an LQ (significantly) above
    ``min_lq``, at least ``min_employment`` and ``min_employment_share`` of the industry in
    the study area; a place that meets all three as far as these numbers tell is not said to
    fail any (its LQ may not be significantly above, or it may sit in a group of places).
    """
    if not settings or not settings.get("enabled", False):
        return ""
    min_lq, least = float(settings["min_lq"]), float(settings["min_employment"])
    if lq < min_lq:
        return f", nor a concentration (an LQ under the {min_lq:g} one needs)"
    if amount_there < least:
        return (
            f", nor a concentration ({amount(amount_there)}, under the {amount(least)} one needs)"
        )
    share = float(settings["min_employment_share"])
    if industry_total and amount_there / industry_total < share:
        return (
            f", nor a concentration ({amount(amount_there)} is "
            f"{amount_there / industry_total:.1%} of the industry's in the study area, under "
            f"the {share:.1%} one needs)"
        )
    return ", nor part of a concentration"


def limitations(framing: Framing, method: HotspotMethod, rule: ClusterRule) -> tuple[str, ...]:
    """What the reader must keep in mind, tied to this run's data and settings."""
    del rule  # The rules are stated in the method section; kept for a stable signature.
    employment = (
        f"The data are of {framing.data_year}"
        if framing.data_year
        else "The data's year is not given in the run's config"
    )
    boundaries = (
        f"authority boundaries are of {framing.boundaries_year}"
        if framing.boundaries_year
        else "authority boundaries are as supplied"
    )
    vintage = (
        "Nothing here describes a real place or year: the demo's data were generated."
        if framing.synthetic
        else "Industries and places have moved since: a cluster here is a pattern in the "
        "data's year, and boundaries of another year can place it in other authorities."
    )
    return (
        f"**Vintage.** {employment}; {boundaries}. {vintage}",
        "**Industry detail.** Industries are broad groups (sections or the run's cluster "
        "definitions): a cluster of 'manufacturing' may be several unrelated trades side by "
        "side, and a specialised niche inside a broad group can be invisible.",
        _counting_limitation(framing),
        _disclosure_limitation(framing),
        "**Areas shape results (MAUP).** Statistics depend on the areas used: different "
        "boundaries or a grid can move, merge or split clusters (compare the grid map where "
        "the run has one). Areas at the study area's edge have fewer neighbours inside it.",
        "**Significance.** p-values are corrected for testing many areas, and permutations "
        f"use a fixed seed ({method.seed}) so a rerun gives the same findings; but a finding "
        "just over a threshold is not different in kind from one just under it.",
        *([_NORMAL_APPROXIMATION] if method.gi_star_inference == "analytic" else []),
        *(_floor_limitation(limit, method.permutations) for limit in method.floor_limits),
    )


#: What the normal approximation of Gi* cannot tell, for a run that classes hot spots by it.
_NORMAL_APPROXIMATION = (
    "**One extreme area.** Gi* counts an area in its own neighbourhood, and its normal "
    "approximation takes one very high value for a hot neighbourhood: a cluster mostly in "
    "one area (the key findings say so of the strongest) may be that area and its "
    "unremarkable neighbours. The permutation p-value of each area (`gi_star_p_sim` in "
    "hotspots.csv), which holds the area's own value fixed, asks about the neighbours "
    "alone; `hotspots.gi_star_inference: permutation` classes hot spots by it."
)


def _footprint_districts(site: pd.Series) -> str:
    """'. Its footprint spans 2 districts: Wolverhampton, South Staffordshire.' (lead first).

    Counted, then listed by commas: names such as 'Hinckley and Bosworth' would make 'and'
    between them ambiguous. The upper tiers or regions it straddles are said after.
    """
    parts = lead_first(site.get("districts"), site.get("lead_district"))
    if not parts:
        return "."
    if len(parts) == 1:
        return f". Its footprint lies in {parts[0]}."
    straddled = straddled_tiers(site)
    crossing = f" It straddles {straddled}." if straddled else ""
    return f". Its footprint spans {len(parts)} districts: {', '.join(parts)}.{crossing}"


def straddled_tiers(site: pd.Series) -> str:
    """'upper-tier authorities and regions': the tiers above the districts a site straddles.

    The upper tier is a county, a unitary authority or a metropolitan borough (two boroughs
    of one metropolitan county straddle it too); empty where it straddles neither.
    """
    tiers = [
        words
        for column, words in (
            ("straddles_counties", "upper-tier authorities"),
            ("straddles_regions", "regions"),
        )
        if site.get(column) is True or site.get(column) == 1
    ]
    return " and ".join(tiers)


def _floor_limitation(limit: Mapping[str, Any], permutations: int) -> str:
    """Which industries (or streams) found nothing because a statistic had too few permutations.

    Names the cluster definitions (the maps show them) where any is concerned, and counts the
    other industries; else names the industries, whose results are in the tables only. A
    limit of the surface stage's grid (``unit`` ``grid cell``), of the circular stage's
    co-location (industries of kind ``stream``), of its producers' and users' hot spots
    (kind ``stream side``) or of the growth stage's emerging hot spots (statistic
    ``emerging``) says which of its tables it concerns. The
    permutations are the limit's own (``permutations``, as its stage ran them), else
    ``permutations``.
    """
    industries = list(limit["industries"])
    ran = int(limit.get("permutations") or permutations)
    unit = str(limit.get("unit", "area"))
    one = len(industries) == 1
    streams = all(i.get("kind") == "stream" for i in industries)
    sides = all(i.get("kind") == "stream side" for i in industries)
    mapped = [i for i in industries if i.get("kind") == "cluster"] if unit == "area" else []
    named = and_list([str(i["label"]) for i in mapped or industries])
    others = len(industries) - len(mapped) if mapped else 0
    besides = f" (or of {plural(others, 'other industry', 'other industries')})" if others else ""
    its = "Its" if one else "Their"
    if streams:
        what = str(limit["statistic_words"])
        whose = "this stream" if one else "these streams"
        consequence = (
            f"The co-location classes of {whose} (circular/colocation.csv) may therefore show "
            "no co-location where there is some"
        )
    elif sides:
        what = f"{limit['statistic_words']} of the material streams' producers and users"
        consequence = (
            f"{its} hot spots, of which the symbiosis zones (circular/zones.csv) are made, may "
            "therefore be missing where there are some"
        )
    elif limit["statistic"] == "emerging":
        what = str(limit["statistic_words"])
        consequence = (
            f"{its} emerging hot-spot categories (growth/emerging.csv) may therefore miss a new "
            "or intensifying hot spot where there is one"
        )
    elif unit != "area":
        what = f"{limit['statistic_words']} on the grid"
        consequence = (
            f"{its} grid classes (surface/grid_hotspots.parquet) may therefore show no "
            "cluster where there is one"
        )
    else:
        what = str(limit["statistic_words"])
        consequence = (
            f"The {'map of this industry' if len(mapped) == 1 else 'maps of these industries'}"
            " may therefore show no cluster where there is one"
            if mapped
            else f"{its} results (hotspots.csv) may therefore show no cluster where there is one"
        )
    correction = str(limit["correction_words"])
    if limit.get("over_years"):  # each year is corrected on its own, each industry limited
        # in years of its own
        clause = (
            f"in at least one year, {correction}, no {unit} of {named}{besides} is significant"
            if one
            else f"for each of {named}{besides}, in at least one year, {correction}, no "
            f"{unit} is significant"
        )
    elif streams:
        clause = f"{correction} no {unit} is significant for {named}"
    else:
        clause = f"{correction} no {unit} of {named}{besides} is significant"
    return (
        f"**Too few permutations for {what}.** With {ran:,} "
        f"permutations no p-value can be below {limit['smallest_p_text']}, and "
        f"{clause} at {float(limit['level']):g}, not even the "
        f"most extreme, which lie beyond every permutation. {consequence}. With "
        f"`hotspots.max_permutations: {int(limit['permutations_needed'])}` the run raises its "
        f"permutations so that one such {unit} can pass on its own."
    )


def _counting_limitation(framing: Framing) -> str:
    """Where the values are counted: people at work or at home, or output where produced."""
    if framing.values_are_gva:
        return (
            "**Where output is counted.** GVA is workplace-based: ONS counts output where it "
            "is produced, sharing a firm's output among its sites by their employment, so a "
            "district's GVA is modelled, not measured, and a head office's profits can sit "
            "where few of its people work."
        )
    basis = framing.employment_basis
    return f"**Where jobs are counted.** Employment is {basis}-based" + (
        ": people are counted where they work, so a cluster is where the jobs are, not "
        "where the workers live."
        if basis == "workplace"
        else ": people are counted where they live, which only approximates where industries are."
    )


def _disclosure_limitation(framing: Framing) -> str:
    """What the publisher did to small cells."""
    if framing.synthetic:
        return (
            "**Disclosure control.** The demo's counts were generated, not published, so "
            "nothing was rounded or withheld; small LQs still rest on few people and are "
            "flagged unreliable, as they would be in real data."
        )
    if framing.values_are_gva:
        return (
            "**Disclosure control.** ONS suppresses district GVA cells that would disclose a "
            "firm; those are missing here, and small industries' district figures are the "
            "least reliable. GVA is not a count of people, so LQs carry no confidence "
            "interval and a concentration is an LQ at or above its threshold, not a test."
        )
    return (
        "**Disclosure control.** Published small-area counts are rounded or perturbed to "
        "protect individuals; small LQs rest on few people and are flagged unreliable."
    )
