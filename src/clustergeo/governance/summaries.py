"""Per-authority summaries: which clusters each authority is part of, and with whom it shares them.

One row per authority (district, county or unitary authority, combined authority) that at
least one cluster touches, and one plain-language paragraph, e.g. "Nuneaton and Bedworth
(district, Warwickshire) is part of 2 clusters. It shares 2 with Hinckley and Bosworth
(Leicestershire). 41% of the Manufacturing cluster's employment lies outside Nuneaton and
Bedworth." Shares are of the cluster's employment in its industry.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clustergeo.governance.findings import plain_name
from clustergeo.governance.overlay import GOVERNING_TIERS, STRADDLE_SHARE, TIER_LABELS
from clustergeo.london import GREATER_LONDON_AUTHORITY
from clustergeo.vocab import CA_STATUS_WORDS

__all__ = [
    "and_list",
    "authority_summaries",
    "by_core_or_extent",
    "ca_status_with_shares",
    "ca_status_words",
    "district_straddles",
    "district_straddles_sentence",
    "first_few",
    "lead_combined_authorities",
    "lead_first",
    "markdown_table",
    "percent",
    "plural",
    "straddling_clusters",
    "summaries_markdown",
    "tier_straddles",
]

_HEADINGS = {
    "district": "Districts",
    "upper_tier": "Counties and unitary authorities",
    "combined_authority": "Combined authorities",
}
_MAX_SENTENCES = 3
#: What a district without a county is, by its GSS code's prefix (ONS Register of Geographic
#: Codes): a Scottish council is no 'metropolitan or unitary district'.
_DISTRICT_KINDS = {
    "E06": "unitary authority",
    "E07": "district",
    "E08": "metropolitan district",
    "E09": "London borough",
    "W06": "Welsh unitary authority",
    "S12": "Scottish council area",
    "N09": "Northern Ireland district",
}


def authority_summaries(
    links: pd.DataFrame,
    clusters: pd.DataFrame,
    parents: pd.DataFrame,
    quantity: str = "employment",
    straddle_share: float = STRADDLE_SHARE,
) -> pd.DataFrame:
    """Summarise, for each authority, the clusters it is part of, and those it only touches.

    Parameters
    ----------
    links
        Cluster-authority links (``cluster_id``, ``tier``, ``authority_code``,
        ``authority_name``, ``employment``, ``employment_share``, and ``relation`` as
        :func:`~clustergeo.governance.overlay.authority_links` judges it).
    clusters
        ``cluster_id``, ``label`` and ``name`` of every finding, and its ``kind``
        (``cluster`` or ``concentration``) if known: the summaries count and name each kind
        as such (a cluster when not given).
    parents
        ``district_code`` → ``upper_tier_name`` (to name a partner district's county).
    quantity
        What the values are, in the summaries' words: "employment", or "GVA".
    straddle_share
        Where ``links`` have no ``relation``: the share of a finding an authority must hold
        to be part of it. An authority that only touches a finding is not counted as sharing
        it, and its paragraph says so.

    Returns
    -------
    pandas.DataFrame
        ``tier, authority_code, authority_name, n_clusters, n_touched, n_shared,
        cluster_ids, partners, employment_in_clusters, summary``: ``n_clusters`` and
        ``n_shared`` count the findings the authority is part of, ``n_touched`` those it only
        touches; ``cluster_ids`` and ``employment_in_clusters`` cover both.
    """
    county_of = parents.drop_duplicates("district_code").set_index("district_code")[
        "upper_tier_name"
    ]
    rows = []
    for tier in GOVERNING_TIERS:
        mine = links.loc[links["tier"] == tier]
        # Part of a finding as the links judge it (its lead, or sharing it: more than the
        # straddle share, or a piece as large as a concentration); else it only touches it.
        part_of = (
            mine["relation"] != "touches"
            if "relation" in mine
            else mine["employment_share"] > straddle_share
        )
        for (code, name), own in mine.groupby(["authority_code", "authority_name"], sort=True):
            own_part = own.loc[part_of.reindex(own.index)]
            # The other authorities of the findings this one is part of; its partners are
            # those that are part of them too.
            others = mine.loc[
                mine["cluster_id"].isin(own_part["cluster_id"]) & (mine["authority_code"] != code)
            ]
            shared = own_part.loc[own_part["employment_share"] < 1.0 - 1e-9]
            partners = (
                others.loc[part_of.reindex(others.index)]
                .groupby(["authority_code", "authority_name"])["cluster_id"]
                .nunique()
                .sort_values(ascending=False, kind="stable")
                .reset_index(name="shared")
            )
            partner_text = [
                _partner_label(p.authority_code, p.authority_name, tier, county_of, str(code))
                + f" ({p.shared})"
                for p in partners.itertuples()
            ]
            rows.append(
                {
                    "tier": tier,
                    "authority_code": code,
                    "authority_name": name,
                    "n_clusters": own_part["cluster_id"].nunique(),
                    "n_touched": own["cluster_id"].nunique() - own_part["cluster_id"].nunique(),
                    "n_shared": shared["cluster_id"].nunique(),
                    "cluster_ids": ";".join(sorted(own["cluster_id"])),
                    "partners": "; ".join(partner_text),
                    "employment_in_clusters": float(own["employment"].sum()),
                    "summary": _paragraph(
                        str(code),
                        str(name),
                        tier,
                        own_part,
                        own.loc[~part_of.reindex(own.index)],
                        others,
                        partners,
                        clusters,
                        county_of,
                        quantity=quantity,
                    ),
                }
            )
    columns = [
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
    return pd.DataFrame(rows, columns=columns)


def _partner_label(code: Any, name: Any, tier: str, county_of: pd.Series, own_code: str) -> str:
    """A partner district with its county when that differs from the authority's own."""
    label = str(name)
    if tier != "district":
        return plain_name(label)
    partner_county = county_of.get(str(code))
    own_county = county_of.get(own_code)
    if partner_county is None or pd.isna(partner_county) or partner_county in (own_county, label):
        return plain_name(label)
    return f"{plain_name(label)} ({plain_name(str(partner_county))})"


def percent(share: float) -> str:
    """A share as a whole percentage that never rounds a part to all or to none.

    '92%'; 'over 99%' for a share short of the whole that would round to 100%, 'under 1%'
    for one above nothing that would round to 0%: 'part of a cluster' beside '100% of it
    lies outside' reads as a contradiction.
    """
    # Shares summed from parts are whole to within rounding (as the summaries' 1e-9).
    if 0.995 <= share < 1.0 - 1e-9:
        return "over 99%"
    if 1e-9 < share < 0.005:
        return "under 1%"
    return f"{share:.0%}"


def _authority_kind(code: str, name: str, tier: str, county_of: pd.Series) -> str:
    """What the authority is: 'district, Warwickshire', 'metropolitan district', 'county...'."""
    if tier == "upper_tier" and code.startswith("E10"):
        return "county"
    if tier != "district":
        # The GLA is placed on the combined authorities' tier without being one.
        return "strategic authority" if code == GREATER_LONDON_AUTHORITY[0] else TIER_LABELS[tier]
    county = county_of.get(code)
    kind = _DISTRICT_KINDS.get(code[:3])
    if county is not None and not pd.isna(county) and county != name:
        return f"district, {county}"
    if kind is not None:
        return kind
    if county is None or pd.isna(county):
        # Without counties in the run, which districts are unitary is unknown.
        return "district"
    return "metropolitan or unitary district"


def _touches(
    name: str,
    touched: pd.DataFrame,
    described: pd.DataFrame,
    kinds: pd.Series,
    *,
    also: bool,
    quantity: str,
) -> str:
    """The findings an authority only touches: ' It also only touches 1 cluster (...): X'."""
    largest = percent(float(touched["employment_share"].max()))
    held = (
        f"{largest} of the finding's {quantity} lies in {name}"
        if len(set(touched["cluster_id"])) == 1
        else f"at most {largest} of each finding's {quantity} lies in {name}"
    )
    return (
        f"{' It also' if also else ''} only touches "
        f"{_counted(kinds.reindex(touched['cluster_id'].unique()))} ({held}): "
        f"{_labels(described, touched)}."
    )


def _labels(described: pd.DataFrame, links: pd.DataFrame) -> str:
    """The findings' labels, each once with its count: 'Finance; Manufacturing (2)'."""
    labels = described["label"].reindex(links["cluster_id"].unique()).value_counts()
    return "; ".join(
        f"{label}" + (f" ({count})" if count > 1 else "") for label, count in sorted(labels.items())
    )


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 cluster', '2 clusters', '3 industries' (with ``many``)."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def _paragraph(  # noqa: PLR0917 (one call site, every argument named by position)
    code: str,
    name: str,
    tier: str,
    own: pd.DataFrame,
    touched: pd.DataFrame,
    others: pd.DataFrame,
    partners: pd.DataFrame,
    clusters: pd.DataFrame,
    county_of: pd.Series,
    *,
    quantity: str,
) -> str:
    n = own["cluster_id"].nunique()
    described = clusters.set_index("cluster_id")
    kinds = _kinds(described)
    kind = _authority_kind(code, name, tier, county_of)
    # Named as a place in the prose ('Herefordshire', not ONS's 'Herefordshire, County of').
    name = plain_name(name)
    text = f"{name} ({kind})"
    # Within a sentence the GLA takes its article, as a combined authority's place name does not.
    name = f"the {name}" if code == GREATER_LONDON_AUTHORITY[0] else name
    if n:
        text += (
            f" is part of {_counted(kinds.reindex(own['cluster_id'].unique()))}: "
            f"{_labels(described, own)}."
        )
    if n and not partners.empty:
        shares = [
            f"{p.shared} with "
            + _partner_label(p.authority_code, p.authority_name, tier, county_of, code)
            for p in partners.itertuples()
        ]
        text += " It shares " + and_list(shares) + "."
    if not touched.empty:
        text += _touches(name, touched, described, kinds, also=bool(n), quantity=quantity)
    if not n:
        return text
    outside = own.assign(outside=1.0 - own["employment_share"]).sort_values(
        ["outside", "cluster_id"], ascending=[False, True]
    )
    outside = outside.loc[outside["outside"] >= 0.005]
    if outside.empty:
        if touched.empty:
            subject = "It lies" if n == 1 else "All of them lie"
        else:
            subject = "The one it is part of lies" if n == 1 else f"The {n} it is part of lie"
        return text + f" {subject} within {name}."
    top = outside.head(_MAX_SENTENCES)
    for cluster_id, share_outside in zip(
        top["cluster_id"].astype(str), top["outside"].to_numpy(dtype=float), strict=True
    ):
        cluster = described.loc[cluster_id]
        places = str(cluster["name"]).split(": ", 1)[-1]
        # What lies outside this authority but in no other of its tier (e.g. outside any CA).
        elsewhere = float(
            others.loc[others["cluster_id"] == cluster_id, "employment_share"].to_numpy().sum()
        )
        nowhere = share_outside - elsewhere
        beyond = ""
        if nowhere >= 0.005:
            none_of = f"no {TIER_LABELS[tier]}"
            beyond = (
                f", in {none_of}" if elsewhere < 0.005 else f" ({percent(nowhere)} in {none_of})"
            )
        text += (
            f" {percent(share_outside).capitalize()} of the {quantity} of the "
            f"{cluster['label']} {kinds[cluster_id]} ({places}) lies outside {name}{beyond}."
        )
    return text


def _kinds(described: pd.DataFrame) -> pd.Series:
    """Each finding's kind, 'cluster' or 'concentration' (a cluster when not given)."""
    if "kind" not in described:
        return pd.Series("cluster", index=described.index)
    return described["kind"].fillna("cluster").astype(str)


def _counted(kinds: pd.Series) -> str:
    """'2 clusters', '1 concentration', or '3 findings (1 cluster and 2 concentrations)'.

    The report defines a concentration as not a cluster, so a count of both says which.
    """
    counts = kinds.value_counts()
    if len(counts) == 1:
        return plural(int(counts.iloc[0]), str(counts.index[0]))
    parts = and_list([plural(int(counts[kind]), kind) for kind in sorted(counts.index)])
    return f"{plural(len(kinds), 'finding')} ({parts})"


def lead_first(districts: object, lead: object) -> list[str]:
    """The districts of a '; '-joined ``districts`` field, ``lead`` first.

    The flags list districts alphabetically; names and sentences lead with the lead district.
    A missing field gives the lead alone, a missing lead the districts as listed.
    """
    parts = [d for d in districts.split("; ") if d] if isinstance(districts, str) else []
    if not isinstance(lead, str) or not lead:
        return parts
    return [lead, *(d for d in parts if d != lead)]


def first_few(items: list[str], shown: int) -> str:
    """The first ``shown`` items and how many more, apart by semicolons: 'a; b; and 3 more'.

    Semicolons, since the items (findings' names, lists of places) hold commas of their own.
    """
    listed = "; ".join(items[:shown])
    rest = len(items) - shown
    return f"{listed}; and {rest:,} more" if rest > 0 else listed


def and_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def summaries_markdown(summaries: pd.DataFrame, title: str) -> str:
    """The summaries as a Markdown document, one section per tier."""
    lines = [f"# {title}", ""]
    if summaries.empty:
        return "\n".join([*lines, "No clusters were found, so no authority has any.", ""])
    for tier in GOVERNING_TIERS:
        part = summaries.loc[summaries["tier"] == tier]
        if part.empty:
            continue
        lines += [f"## {_HEADINGS[tier]}", ""]
        ordered = part.sort_values(["n_shared", "authority_name"], ascending=[False, True])
        for row in ordered.itertuples():
            summary = str(row.summary).replace(
                str(row.authority_name), f"**{row.authority_name}**", 1
            )
            lines += [f"- {summary} [{row.authority_code}]", ""]
    return "\n".join(lines)


def lead_combined_authorities(
    links: pd.DataFrame, key: str = "cluster_id", part: str = "core"
) -> pd.Series:
    """Each finding's (or site's) lead authority on the combined-authority tier: key -> name.

    ``links`` are the governance stage's authority links of findings (``key`` ``cluster_id``,
    read for their ``part``, core or extent) or of sites (``site_key``, which have no parts);
    the lead is the authority the links call ``lead``, the one holding the largest share where
    there are several. Findings with none are not in the result. The Greater London
    Authority is named as such wherever its code is.
    """
    if key not in links or "tier" not in links:
        return pd.Series(dtype=object)
    parts = links["part"] if "part" in links else pd.Series(part, index=links.index)
    relation = links["relation"] if "relation" in links else pd.Series("lead", index=links.index)
    led = links.loc[
        (links["tier"] == "combined_authority") & (parts == part) & (relation == "lead")
    ]
    if "employment_share" in led:
        led = led.sort_values("employment_share", ascending=False, kind="stable")
    names = led["authority_name"].astype(str)
    if "authority_code" in led:
        # Known by its code, whatever a source or authorities.names calls it.
        is_gla = led["authority_code"].astype(str) == GREATER_LONDON_AUTHORITY[0]
        names = names.where(~is_gla, GREATER_LONDON_AUTHORITY[1])
    return names.set_axis(led[key]).loc[~led[key].duplicated().to_numpy()]


def ca_status_words(status: object, lead: object = None, *, short: bool = False) -> str:
    """A finding's or site's place among combined authorities, in words, naming its lead.

    ``status`` is its ``ca_status`` code and ``lead`` its lead authority on the tier
    (:func:`lead_combined_authorities`). The Greater London Authority sits on that tier
    without being a combined authority (:mod:`clustergeo.london`), so what lies in London
    reads as within, or partly outside, the Greater London Authority, not a combined
    authority. ``short`` drops the words a table's "Combined authority" column already says:
    "within West Midlands", "outside any".
    """
    code = str(status)
    words = CA_STATUS_WORDS.get(code, "")
    lead_name = str(lead) if isinstance(lead, str) else ""
    if lead_name == GREATER_LONDON_AUTHORITY[1]:
        if code == "within_one_ca":
            return "within the Greater London Authority"
        if code == "partly_outside_ca":
            return "partly outside the Greater London Authority" + (
                "" if short else ", in no combined authority"
            )
    if code == "within_one_ca" and lead_name:
        return f"within {lead_name}" if short else f"{words}: {lead_name}"
    if short:
        return words.removesuffix(" combined authorities").removesuffix(" combined authority")
    return words


def ca_status_with_shares(
    status: object, links: pd.DataFrame, lead: object = None, *, short: bool = False
) -> str:
    """:func:`ca_status_words`, with each authority's share where a finding is divided.

    ``links`` are one finding's (or site's) links on the combined-authority tier, with
    ``authority_name`` and ``employment_share``. Partly outside any, or split across
    several: how much lies in which authority and how much in none ('partly outside any:
    West Midlands 17%, none 83%'), so a finding 92% outside any does not read like one 8%
    outside, and a split names its sides.
    """
    words = ca_status_words(status, lead, short=short)
    if str(status) not in {"partly_outside_ca", "split_across_cas"} or links.empty:
        return words
    links = links.sort_values("employment_share", ascending=False, kind="stable")
    shares = links["employment_share"].to_numpy(float)
    parts = [
        f"{name} {percent(share)}"
        for name, share in zip(links["authority_name"], shares, strict=True)
    ]
    outside = 1.0 - float(shares.sum())
    if str(status) == "partly_outside_ca" or outside >= 0.005:
        parts.append(f"none {percent(outside)}")
    return f"{words}: " + ", ".join(parts)


def district_straddles(governed: pd.DataFrame) -> pd.DataFrame:
    """Whether each finding straddles districts: by its ``core``, and by ``core_or_extent``.

    A finding straddles districts when more than the straddle share of its employment lies
    outside its lead district (the governance stage's ``straddles_districts`` flag for the
    core, ``extent_straddles_districts`` for the extent). The report, its key findings and
    ``clustergeo straddling`` all count straddling findings with this one rule: the core or
    the extent straddles, and of those, how many by the core itself. A run without a district
    tier has no such flags, and nothing straddles.
    """
    return tier_straddles(governed, "districts")


def tier_straddles(governed: pd.DataFrame, tier: str) -> pd.DataFrame:
    """:func:`district_straddles` for any tier: ``districts``, ``counties`` or ``regions``.

    The tier as the flags name it (``straddles_counties`` is the upper tier's).
    """

    def flag(column: str) -> pd.Series:
        if column not in governed:
            return pd.Series(False, index=governed.index)
        return governed[column].fillna(False).astype(bool)

    core = flag(f"straddles_{tier}")
    return pd.DataFrame(
        {"core": core, "core_or_extent": core | flag(f"extent_straddles_{tier}")},
        index=governed.index,
    )


def by_core_or_extent(flags: pd.DataFrame, *, always: bool = False) -> str:
    """' by core or extent (10 by the core itself)', of :func:`tier_straddles`' flags.

    Empty where the two counts agree, unless ``always``. Starts with a space.
    """
    either, core = int(flags["core_or_extent"].sum()), int(flags["core"].sum())
    if core == either and not always:
        return ""
    return f" by core or extent ({core or 'none'} by the core itself)"


def district_straddles_sentence(governed: pd.DataFrame) -> str:
    """'12 findings straddle district boundaries by core or extent (11 by the core itself)'.

    Counted by :func:`district_straddles`; no full stop, so callers can go on.
    """
    flags = district_straddles(governed)
    either = int(flags["core_or_extent"].sum())
    if either == 0:
        return "No finding straddles a district boundary by its core or its extent"
    verb = "straddles" if either == 1 else "straddle"
    return f"{plural(either, 'finding')} {verb} district boundaries" + by_core_or_extent(
        flags, always=True
    )


def straddling_clusters(governed: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Findings whose core or extent straddles districts, with each authority's share.

    One row per straddling finding, strongest first (largest employment when there is no
    strength score): ``Finding``, ``Kind``, ``Employment``, ``LQ``, ``Districts`` and
    ``Counties or unitaries`` (each ``Name 58%`` by share of the core's employment, in the
    industry), ``Extent districts`` (the same for the extent, when it reaches further than
    the core), ``Combined authority`` and ``Governance gap``. Where the extent's counties or
    combined-authority status differ from the core's, their cells add the extent's, so a row
    listed for its extent does not read as lying within one county or authority. Spills of
    at most the straddle share follow the shares as touches where they hold 1% or more
    ('Warwick 50%, Solihull 17%; touches West Northamptonshire 4%'). Without
    a district tier the findings have no district flags and the table is empty.
    """
    straddling = governed.loc[district_straddles(governed)["core_or_extent"]]
    order = ["strength", "cluster_id"] if "strength" in straddling else ["employment", "cluster_id"]
    straddling = straddling.sort_values(order, ascending=[False, True])
    if "part" not in links:
        links = links.assign(part="core")
    touching = links.get("relation", pd.Series("lead", index=links.index)) == "touches"
    listed, touches = links.loc[~touching], links.loc[touching]

    def listed_in(
        cluster_id: str, tier: str, part: str, rows: pd.DataFrame = listed
    ) -> pd.DataFrame:
        return rows.loc[
            (rows["cluster_id"] == cluster_id) & (rows["tier"] == tier) & (rows["part"] == part)
        ]

    def named(rows: pd.DataFrame) -> str:
        return ", ".join(
            f"{name} {percent(share)}"
            for name, share in zip(
                rows["authority_name"], rows["employment_share"].to_numpy(float), strict=True
            )
        )

    def shares(cluster_id: str, tier: str, part: str) -> str:
        # Touches of 1% or more are named after the shares, so the shares need not add up
        # to all of it unexplained.
        touched = listed_in(cluster_id, tier, part, touches)
        touched = touched.loc[touched["employment_share"] >= _TOUCH_NAMED]
        text = named(listed_in(cluster_id, tier, part))
        return text + (f"; touches {named(touched)}" if not touched.empty else "")

    def counties(cluster_id: str) -> str:
        # The extent's only where it reaches other counties, not where it shifts the shares
        # a little (the extent's districts have a column of their own).
        core, extent = (listed_in(cluster_id, "upper_tier", part) for part in ("core", "extent"))
        text = shares(cluster_id, "upper_tier", "core")
        if extent.empty or set(extent["authority_name"]) == set(core["authority_name"]):
            return text
        return f"{text} (extent: {shares(cluster_id, 'upper_tier', 'extent')})"

    leads = {part: lead_combined_authorities(links, part=part) for part in ("core", "extent")}

    def with_shares(status: str, cluster_id: str, part: str) -> str:
        mine = links.loc[
            (links["cluster_id"] == cluster_id)
            & (links["tier"] == "combined_authority")
            & (links["part"] == part)
        ]
        return ca_status_with_shares(status, mine, leads[part].get(cluster_id), short=True)

    def combined_authority(row: Any) -> str:
        cluster_id = str(row.cluster_id)
        core, extent = (
            str(getattr(row, column, "") or "") for column in ("ca_status", "extent_ca_status")
        )
        core_words = with_shares(core, cluster_id, "core")
        if extent not in CA_STATUS_WORDS or extent == core:
            return core_words
        return f"{core_words} (extent: {with_shares(extent, cluster_id, 'extent')})"

    rows = []
    for row in straddling.itertuples():
        cluster_id = str(row.cluster_id)
        core, extent = (shares(cluster_id, "district", part) for part in ("core", "extent"))
        rows.append(
            {
                "Finding": row.name,
                "Kind": getattr(row, "kind", "cluster"),
                "Employment": f"{row.employment:,.0f}",
                "LQ": f"{row.lq:.2f}",
                "Districts": core,
                "Counties or unitaries": counties(cluster_id),
                "Extent districts": extent if extent != core else "as the core",
                "Combined authority": combined_authority(row),
                "Governance gap": "yes" if getattr(row, "governance_gap", False) else "no",
            }
        )
    return pd.DataFrame(rows)


#: The least share of a finding a touched authority holds to be named in the straddle table.
_TOUCH_NAMED = 0.01


def markdown_table(frame: pd.DataFrame) -> str:
    """A plain Markdown table of a small frame (every cell as text, pipes escaped)."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(cell(c) for c in frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)
