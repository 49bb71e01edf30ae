"""Field aliases: what QGIS's attribute table and Identify panel call each field.

The GeoPackage's field names are stable identifiers (``manufacturing_employment``), and in
a GVA run the field named ``employment`` holds £ million of GVA. The aliases say, in the
run's own unit, what each value is: "Manufacturing: GVA (£m)", "LQ: Manufacturing, lower
95% bound". Styles and expressions keep using the names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["field_aliases"]


def _units(gva: bool) -> dict[str, str]:
    """The words of a value, a share of it and a change in it, in the run's unit.

    ``Amount`` starts a name; ``amount`` follows a colon ("GVA" keeps its capitals).
    """
    if gva:
        return {
            "Amount": "GVA (£m)",
            "amount": "GVA (£m)",
            "of": "GVA",
            "change": "change in GVA (£m)",
        }
    return {"Amount": "Jobs", "amount": "jobs", "of": "jobs", "change": "change in jobs"}


def _series_fields(unit: Mapping[str, str]) -> dict[str, str]:
    """The growth tables' values at the start and end of the period, and their change."""
    return {
        "start_value": f"Start year: {unit['amount']}",
        "end_value": f"End year: {unit['amount']}",
        "change": unit["change"][:1].upper() + unit["change"][1:],
        "national_share": f"Shift-share, national share: {unit['amount']}",
        "industry_mix": f"Shift-share, industry mix: {unit['amount']}",
        "competitive_share": f"Shift-share, competitive share: {unit['amount']}",
        "competitive_effect": f"Shift-share, competitive effect: {unit['amount']}",
        "allocation_effect": f"Shift-share, allocation effect: {unit['amount']}",
        "homothetic_value": f"Homothetic start value: {unit['amount']}",
    }


def _definition_fields(label: str, gva: bool) -> dict[str, str]:
    """Per cluster definition ``<key>``: the suffix of each of its fields and its alias."""
    unit = _units(gva)
    return {
        # area LQ layers
        "_employment": f"{label}: {unit['amount']}",
        "_lq": f"LQ: {label}",
        "_lq_lower": f"LQ: {label}, lower 95% bound",
        "_lq_upper": f"LQ: {label}, upper 95% bound",
        "_unreliable": f"LQ: {label}, unreliable",
        "_lq_note": f"LQ: {label}, why flagged",
        # hot spots
        "_gi_star_z": f"Gi* z: {label}",
        "_gi_star_p_fdr": f"Gi* p, corrected: {label}",
        "_hotspot": f"Hot spot: {label}",
        "_moran": f"Local Moran: {label}",
        # growth
        "_cagr": f"{label}: growth a year (CAGR)",
        "_change": f"{label}: {unit['change']}",
        "_lq_change": f"LQ: {label}, change",
        "_cagr_against_industry": f"{label}: growth a year against the industry's",
        "_growth": f"{label}: growth class",
        "_emerging": f"Emerging hot spot: {label}",
    }


def _variable_words(variable: str, gva: bool) -> str:
    """The hot-spot variable (``hotspots.variable``) as its values are: "LQ", "jobs per km²"."""
    amount = _units(gva)["amount"]
    return {"lq": "LQ", "employment": amount, "density": f"{amount} per km²"}.get(
        variable, variable
    )


def _measured_fields(layer: str, gva: bool, variable: str) -> dict[str, str]:
    """Fields that hold the run's values, by layer: jobs or £m of GVA, whatever their name.

    ``variable`` is what the hot-spot statistics (and the co-location tests) analysed.
    """
    unit = _units(gva)
    tested = _variable_words(variable, gva)
    finding = {
        "employment": f"Core: {unit['amount']}",
        "employment_share": f"Core: share of the industry's {unit['of']} in the study area",
        "area_total": f"Core: {unit['amount']}, all industries",
        "extent_employment": f"Extent: {unit['amount']}",
        "series_break": "Yearly series looks broken",
    }
    by_layer: dict[str, dict[str, str]] = {
        "clusters": finding,
        "cluster_extents": finding,
        "circular_findings": finding,
        "hotspots": {"value": f"Value tested: {tested}"},
        "grid_clusters": {"employment": f"Grid cluster: {unit['amount']}"},
        "circular_zones": {
            "producer_employment": f"Producers: {unit['amount']}",
            "user_employment": f"Users: {unit['amount']}",
            "users_nearby_employment": f"Users within reach: {unit['amount']}",
        },
        # One row per side (the whole zone, its producers, its users): shares of that side's.
        "circular_zone_authorities": {
            "employment": f"{unit['Amount']} of the side",
            "employment_share": f"Share of the side's {unit['of']} in the zone",
        },
        "circular_colocation": {
            "producers_value": f"Producers: {tested}",
            "users_value": f"Users: {tested}",
        },
        "lq": {
            "employment": unit["Amount"],
            "area_total": f"Area: {unit['amount']}, all industries",
        },
        "cluster_authorities": {
            "employment": unit["Amount"],
            "employment_share": f"Share of the finding's {unit['of']}",
        },
        "site_authorities": {
            "employment": unit["Amount"],
            "employment_share": f"Share of the footprint's {unit['of']}",
        },
        "growth": _series_fields(unit),
        "shift_share": _series_fields(unit),
        "finding_growth": _series_fields(unit),
        "authority_summaries": {
            "employment_in_clusters": f"In findings: {unit['amount']}",
        },
        "anchor_sites": {"sector_peak_employment": f"Sector's peak area: {unit['amount']}"},
        "places": {
            "name": "Place",
            "total": f"{unit['Amount']}, all industries",
            "km2": "Land (km²)",
        },
        "site_footprints": {"sector_peak_employment": f"Sector's peak area: {unit['amount']}"},
    }
    return by_layer.get(layer, {})


def _year_value(field: str, gva: bool) -> str | None:
    """``value_2019`` (a finding's yearly series) as "2019: GVA (£m)"."""
    year = field.removeprefix("value_")
    if field.startswith("value_") and year.isdigit() and len(year) == 4:
        return f"{year}: {_units(gva)['amount']}"
    return None


def field_aliases(
    columns: Mapping[str, Iterable[str]],
    definitions: Sequence[tuple[str, str]],
    industry_fields: Mapping[str, str] | None = None,
    *,
    gva: bool,
    variable: str = "lq",
) -> dict[str, dict[str, str]]:
    """Each layer's field aliases, by layer and field name.

    Parameters
    ----------
    columns
        Each GeoPackage layer's field names.
    definitions
        The cluster definitions' ``(key, label)``: the fields named ``<key>_...``.
    industry_fields
        The areas' per-industry LQ fields (``lq_<code>``), each with its industry's name and
        code (a definition's LQ and its section's may be the same name).
    gva
        True when the values are GVA in £ million rather than jobs.
    variable
        What the hot-spot statistics analysed (``hotspots.variable``: ``lq``,
        ``employment`` or ``density``).
    """
    per_definition = {
        f"{key}{suffix}": alias
        for key, label in definitions
        for suffix, alias in _definition_fields(label, gva).items()
    }
    industries = {field: f"LQ: {name}" for field, name in (industry_fields or {}).items()}
    aliases = {}
    for layer, fields in columns.items():
        measured = _measured_fields(layer, gva, variable)
        own = {
            field: alias
            for field in fields
            if (
                alias := measured.get(field)
                or per_definition.get(field)
                or industries.get(field)
                or _year_value(field, gva)
            )
        }
        if own:
            aliases[layer] = own
    return aliases
