"""Field aliases: QGIS names each value in the run's own unit."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from clustergeo.publish.layers import industry_lq_fields
from clustergeo.publish.qgis_aliases import field_aliases
from conftest import plain_framing

_DEFINITIONS = [("manufacturing", "Manufacturing"), ("digital_ict", "Digital and ICT")]


def test_a_gva_runs_employment_fields_are_called_gva() -> None:
    aliases = field_aliases(
        {
            "areas_lq": ["area_code", "manufacturing_employment", "manufacturing_lq_lower"],
            "clusters": ["cluster_id", "employment", "employment_share", "extent_employment"],
            "cluster_authorities": ["employment", "employment_share"],
        },
        _DEFINITIONS,
        gva=True,
    )
    assert aliases["areas_lq"] == {
        "manufacturing_employment": "Manufacturing: GVA (£m)",
        "manufacturing_lq_lower": "LQ: Manufacturing, lower 95% bound",
    }
    assert aliases["clusters"] == {
        "employment": "Core: GVA (£m)",
        "employment_share": "Core: share of the industry's GVA in the study area",
        "extent_employment": "Extent: GVA (£m)",
    }
    # In the links table the share is of the finding, not of the industry.
    assert aliases["cluster_authorities"]["employment_share"] == "Share of the finding's GVA"
    assert aliases["cluster_authorities"]["employment"] == "GVA (£m)"


def test_the_growth_tables_values_are_named_in_the_runs_unit() -> None:
    fields = ["start_value", "change", "competitive_share", "value_1998", "value_note"]
    gva = field_aliases({"finding_growth": fields}, [], gva=True)["finding_growth"]
    assert gva == {
        "start_value": "Start year: GVA (£m)",
        "change": "Change in GVA (£m)",
        "competitive_share": "Shift-share, competitive share: GVA (£m)",
        "value_1998": "1998: GVA (£m)",
    }
    jobs = field_aliases({"shift_share": ["change", "end_value"]}, [], gva=False)["shift_share"]
    assert jobs == {"change": "Change in jobs", "end_value": "End year: jobs"}


def test_a_count_runs_fields_are_called_jobs_and_unknown_fields_keep_their_names() -> None:
    aliases = field_aliases(
        {
            "areas_lq": ["digital_ict_employment", "area_name", "lq_c"],
            "hotspots_areas": ["digital_ict_gi_star_p_fdr", "digital_ict_moran"],
            "growth_areas": ["manufacturing_change", "manufacturing_cagr"],
            "global_statistics": ["industry_code", "moran_i"],
        },
        _DEFINITIONS,
        {"lq_c": "Manufacturing (section C)"},
        gva=False,
    )
    assert aliases["areas_lq"] == {
        "digital_ict_employment": "Digital and ICT: jobs",
        "lq_c": "LQ: Manufacturing (section C)",
    }
    assert aliases["hotspots_areas"] == {
        "digital_ict_gi_star_p_fdr": "Gi* p, corrected: Digital and ICT",
        "digital_ict_moran": "Local Moran: Digital and ICT",
    }
    assert aliases["growth_areas"]["manufacturing_change"] == "Manufacturing: change in jobs"
    assert "global_statistics" not in aliases


def test_the_tested_values_are_named_by_the_hot_spot_variable() -> None:
    layers = {
        "hotspots": ["area_code", "value", "gi_star_z"],
        "circular_colocation": ["producers_value", "users_value", "pu_i"],
    }
    on_lq = field_aliases(layers, [], gva=False)
    assert on_lq["hotspots"] == {"value": "Value tested: LQ"}
    assert on_lq["circular_colocation"] == {
        "producers_value": "Producers: LQ",
        "users_value": "Users: LQ",
    }
    counts = field_aliases(layers, [], gva=False, variable="employment")
    assert counts["hotspots"]["value"] == "Value tested: jobs"
    density = field_aliases(layers, [], gva=True, variable="density")
    assert density["hotspots"]["value"] == "Value tested: GVA (£m) per km²"
    assert density["circular_colocation"]["users_value"] == "Users: GVA (£m) per km²"


def test_grid_and_circular_values_are_named_in_the_runs_unit() -> None:
    aliases = field_aliases(
        {
            "grid_clusters": ["cluster_id", "employment", "cells"],
            "circular_findings": ["employment", "employment_share", "stream"],
            "circular_zones": ["producer_employment", "user_employment", "users_nearby_lq"],
            "circular_zone_authorities": ["employment", "employment_share"],
        },
        [],
        gva=False,
    )
    assert aliases["grid_clusters"] == {"employment": "Grid cluster: jobs"}
    assert aliases["circular_findings"] == {
        "employment": "Core: jobs",
        "employment_share": "Core: share of the industry's jobs in the study area",
    }
    assert aliases["circular_zones"] == {
        "producer_employment": "Producers: jobs",
        "user_employment": "Users: jobs",
    }
    # Each row is one side of a zone (the whole zone, its producers or its users).
    assert aliases["circular_zone_authorities"] == {
        "employment": "Jobs of the side",
        "employment_share": "Share of the side's jobs in the zone",
    }


def test_industry_lq_fields_are_the_wide_layers_columns() -> None:
    from clustergeo.publish.layers import wide_lq_columns

    lq = pd.DataFrame(
        {
            "area_code": ["A", "A", "B", "B"],
            "industry_code": ["D-E", "C", "D-E", "C"],
            "label": ["Energy and water", "Manufacturing"] * 2,
            "kind": "industry",
            "lq": [1.0, 2.0, 0.5, 1.5],
        }
    )
    fields = industry_lq_fields(lq)
    # Named with their code: a definition's LQ ("LQ: Manufacturing") may be the section's.
    assert fields == {"lq_d_e": "Energy and water (D-E)", "lq_c": "Manufacturing (C)"}
    assert set(fields) == set(wide_lq_columns(lq).columns)


def test_the_project_carries_the_aliases_into_qgis() -> None:
    from clustergeo.publish.qgis_project import project_for_layers

    xml = project_for_layers(
        framing=plain_framing(),
        geopackage_name="clustergeo.gpkg",
        layers={"clusters": "Polygon", "lq": None},
        styles=[],
        extent=(0, 0, 1000, 1000),
        aliases={"clusters": {"employment": "Core: jobs"}, "lq": {"employment": "Jobs"}},
    )
    root = ET.fromstring(xml)
    found = {
        str(layer.findtext("layername")): {
            a.get("field"): a.get("name") for a in layer.iter("alias")
        }
        for layer in root.iter("maplayer")
    }
    assert found["Clusters and concentrations (cores)"] == {"employment": "Core: jobs"}
    assert found["Location quotients, all industries"] == {"employment": "Jobs"}
