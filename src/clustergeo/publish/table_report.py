"""The report of a run without boundaries: data, LQs, growth, the tables written, provenance.

A national table of districts or ITL regions with no polygons gets location quotients, growth
and shift-share, but no hot spots, clusters, governance or maps. Its report says so in one line,
leads with where each cluster definition (or industry) is most concentrated, and lists the
tables a user opens next. It is made of the same blocks as the full report
(:mod:`clustergeo.publish.report`), so Markdown and HTML say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from clustergeo.publish.framing import Framing
from clustergeo.publish.report import Block, provenance_blocks, table_size

__all__ = ["table_report_blocks"]


def _top_lqs(lq: pd.DataFrame, names: dict[str, str], per_column: int) -> pd.DataFrame:
    """The areas with the highest reliable LQs of each cluster definition (else industry)."""
    shown = lq.loc[lq["kind"] == "cluster"]
    if shown.empty:
        shown = lq.loc[lq["kind"] == "industry"]
    reliable = shown.loc[~shown["lq_unreliable"].astype(bool) & shown["lq"].notna()]
    ranked = reliable.sort_values(
        ["industry_code", "lq", "area_code"], ascending=[True, False, True]
    )
    top = ranked.groupby("industry_code", sort=False).head(per_column)
    return pd.DataFrame(
        {
            "Industry": top["label"].fillna(top["industry_code"]),
            "Area": [f"{names.get(code, code)} ({code})" for code in top["area_code"]],
            "Value": top["employment"].map("{:,.0f}".format),
            "LQ": top["lq"].map("{:.2f}".format),
        }
    )


def _by_reason(stages: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Stages grouped by why they do not apply, in run order."""
    groups: dict[str, list[str]] = {}
    for name, reason in stages:
        groups.setdefault(reason, []).append(name)
    return list(groups.items())


def table_report_blocks(
    *,
    framing: Framing,
    provenance: dict[str, Any],
    lq: pd.DataFrame,
    area_names: dict[str, str],
    years: Sequence[int],
    not_applicable: Sequence[tuple[str, str]],
    outputs: Sequence[tuple[str, str]],
    change_over_time: Sequence[Block] = (),
    per_column: int = 3,
) -> list[Block]:
    """The report's blocks for a run without polygons.

    Parameters
    ----------
    framing
        The run's name, data, measure and year.
    provenance
        The run's provenance record.
    lq
        The analysed year's LQs (study area).
    area_names
        Area code → name, when the table gives names.
    years
        Every year of the table.
    not_applicable
        (stage, reason) of each stage that did not apply; an empty reason is the missing
        boundaries the paragraph already names.
    outputs
        (path relative to the run folder, what it holds) of each table to list.
    change_over_time
        The growth section.
    per_column
        Areas shown per cluster definition or industry.
    """
    n_areas = int(lq["area_code"].nunique())
    columns = lq.drop_duplicates("industry_code")
    kinds = (
        columns["kind"].astype(str)
        if "kind" in columns
        else pd.Series("industry", index=columns.index)
    )
    blocks = [Block("h1", f"{framing.title}: report")]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else ""
    blocks += [
        Block("h2", "Data and method"),
        Block(
            "p",
            f"Data: {framing.employment_source} ({framing.employment_basis}-based), for "
            + table_size(
                n_areas,
                int((kinds != "cluster").sum()),
                int((kinds == "cluster").sum()),
            )
            + (f", {span}" if span else "")
            + f".{framing.data_note}",
        ),
        Block(
            "p",
            "A location quotient (LQ) compares an industry's share of an area's total with its "
            f"share in {framing.lq_reference}: above 1, the area is more specialised than that "
            "reference. LQs resting on too little are flagged as unreliable and left out of "
            "the tables below."
            + (" LQs of every year are in concentration/lq_by_year.csv." if span else ""),
        ),
        Block(
            "p",
            "**This run has no boundaries** (no `areas` section in its config), so hot spots, "
            "clusters, governance and maps were not computed. Stages not applicable: "
            + "; ".join(
                ", ".join(names) + (f", because {reason}" if reason else "")
                for reason, names in _by_reason(not_applicable)
            )
            + ". Add the areas' boundaries to the config to run them: the employment is not "
            "read again.",
        ),
        Block(
            "h2",
            "Where each industry is most concentrated"
            + (f", {framing.year}" if framing.year is not None else ""),
        ),
        Block("table", table=_top_lqs(lq, area_names, per_column)),
    ]
    blocks += change_over_time
    blocks += [
        Block("h2", "Tables"),
        Block("list", items=tuple(f"`{path}`: {what}" for path, what in outputs)),
    ]
    blocks += provenance_blocks(provenance, None)
    return blocks
