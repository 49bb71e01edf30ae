"""The interactive map page: one self-contained HTML file that works offline.

``map.html`` shows the findings (cluster cores, their extents and concentrations) in their
fixed industry colours over the authority outlines, with the anchor sites; a list of industries
switches each on or off, the map pans (drag) and zooms (wheel, buttons), and clicking a finding
opens a panel with its employment, LQ, share of the industry, stars and the share of its jobs
in each authority. Everything is inline: the data as JSON, the drawing as SVG made by a few
lines of plain JavaScript, so the page opens from an e-mail or a USB stick with no network and
no library.

Coordinates stay in British National Grid metres (the page draws a plane, not a web map):
simplified to about a thousandth of the study area's extent and rounded to whole metres,
which keeps a region's page to a few megabytes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from clustergeo.governance.summaries import ca_status_words, lead_combined_authorities
from clustergeo.london import GREATER_LONDON_AUTHORITY
from clustergeo.publish.palette import industry_colours, industry_labels
from clustergeo.publish.plotting import BOUNDARY_STYLES

__all__ = ["map_page", "map_page_for_layers", "page_data", "svg_path"]

#: Simplification of the page's geometry, as a share of the study area's extent.
_DETAIL = 1 / 1000
#: Authority tiers drawn, broadest last so its outline is on top.
_TIERS = ("district", "county", "combined_authority")


def svg_path(geometry: Any, x_left: float, y_top: float) -> str:
    """An SVG path ``d`` for a (multi)polygon, in metres from the top-left ``(x_left, y_top)``.

    SVG's y runs down, so y is measured down from ``y_top``.

    Coordinates are rounded to whole metres; every ring is a closed ``M … Z`` subpath, so
    holes are drawn by the even-odd rule the page sets.
    """
    parts = []
    for polygon in shapely.get_parts(np.asarray([geometry], dtype=object)):
        for ring in shapely.get_rings(polygon):
            coords = shapely.get_coordinates(ring)
            if len(coords) < 3:
                continue
            xs = np.rint(coords[:, 0] - x_left).astype(np.int64)
            ys = np.rint(y_top - coords[:, 1]).astype(np.int64)
            points = " ".join(f"{x} {y}" for x, y in zip(xs[:-1], ys[:-1], strict=True))
            parts.append(f"M{points}Z")
    return "".join(parts)


def _simplified(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        shapely.simplify(frame.geometry.to_numpy(), tolerance, preserve_topology=True),
        index=frame.index,
        crs=frame.crs,
    )


def _shares(links: pd.DataFrame) -> dict[str, list[list[Any]]]:
    """Per finding, its core's authorities as ``[tier, name, share]``.

    Districts, then counties or unitaries, then combined authorities; each tier largest share
    first.
    """
    if links.empty:
        return {}
    core = links.loc[links.get("part", pd.Series("core", index=links.index)) == "core"]
    order = {"district": 0, "upper_tier": 1, "combined_authority": 2}
    core = core.loc[core["tier"].isin(order.keys())]
    core = core.assign(tier_order=core["tier"].map(order)).sort_values(
        ["cluster_id", "tier_order", "employment_share"], ascending=[True, True, False]
    )
    return {
        str(cluster_id): [
            [_tier_of(row), str(row.authority_name), _number(row.employment_share, 3)]
            for row in rows.itertuples()
        ]
        for cluster_id, rows in core.groupby("cluster_id", sort=False)
    }


def _tier_of(link: Any) -> str:
    """A link's tier as the page names it: the GLA's is its own (:mod:`clustergeo.london`)."""
    if getattr(link, "authority_code", None) == GREATER_LONDON_AUTHORITY[0]:
        return "strategic_authority"
    return str(link.tier)


def _number(value: object, digits: int) -> float | None:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return None if pd.isna(number) else round(float(number), digits)


def page_data(
    *,
    findings: gpd.GeoDataFrame,
    extents: gpd.GeoDataFrame | None,
    links: pd.DataFrame,
    authorities: Mapping[str, gpd.GeoDataFrame],
    sites: gpd.GeoDataFrame | None,
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    bounds: Sequence[float],
) -> dict[str, Any]:
    """Everything the page draws, as plain JSON-ready values (SVG paths, numbers, names)."""
    x_min, y_min, x_max, y_max = (float(v) for v in bounds)
    tolerance = max(x_max - x_min, y_max - y_min) * _DETAIL
    shares = _shares(links)
    leads = lead_combined_authorities(links)
    extent_paths: dict[str, str] = {}
    if extents is not None and not extents.empty:
        for cluster_id, geometry in zip(
            extents["cluster_id"], _simplified(extents, tolerance), strict=True
        ):
            extent_paths[str(cluster_id)] = svg_path(geometry, x_min, y_max)
    records = []
    for (_, row), geometry in zip(
        findings.iterrows(), _simplified(findings, tolerance), strict=True
    ):
        cluster_id = str(row["cluster_id"])
        # Where the maps number it (the GeoPackage layer's label point), else inside its shape.
        x, y = row.get("label_x"), row.get("label_y")
        if x is None or y is None or pd.isna(x) or pd.isna(y):
            point = shapely.point_on_surface(row.geometry)
            x, y = point.x, point.y
        records.append(
            {
                "id": cluster_id,
                "rank": int(row.get("rank", 0) or 0),
                "name": str(row["name"]),
                "kind": str(row.get("kind", "cluster")),
                "industry": str(row["industry_code"]),
                "stars": int(row.get("stars", 0) or 0),
                "employment": _number(row.get("employment"), 0),
                "share": _number(row.get("employment_share"), 4),
                "lq": _number(row.get("lq"), 2),
                "areas": int(row.get("n_units", 0) or 0),
                "authorities": shares.get(cluster_id, []),
                "ca_status": ca_status_words(row.get("ca_status"), leads.get(cluster_id)),
                # Where its yearly series looks broken: what to check before reading it.
                "series": series if isinstance(series := row.get("series_break"), str) else "",
                "d": svg_path(geometry, x_min, y_max),
                "extent": extent_paths.get(cluster_id, ""),
                "x": round(float(x) - x_min),
                "y": round(y_max - float(y)),
            }
        )
    outlines = []
    for tier in _TIERS:
        frame = authorities.get(tier)
        if frame is None or frame.empty:
            continue
        style = BOUNDARY_STYLES[tier]
        outlines.append(
            {
                "tier": tier,
                "label": str(style["label"]),
                "colour": str(style["color"]),
                "width": float(style["linewidth"]),
                "dashed": style["linestyle"] != "-",
                "shapes": [
                    {"name": str(name), "d": svg_path(geometry, x_min, y_max)}
                    for name, geometry in zip(
                        frame["name"], _simplified(frame, tolerance), strict=True
                    )
                ],
            }
        )
    site_records = []
    if sites is not None and not sites.empty:
        site_records = [
            {
                "name": str(row["name"]),
                "x": round(float(row["x"]) - x_min),
                "y": round(y_max - float(row["y"])),
                "districts": str(row.get("districts") or "").replace("; ", ", "),
            }
            for _, row in sites.iterrows()
        ]
    present = [code for code in colours if code in set(findings["industry_code"].astype(str))]
    return {
        "viewBox": [0, 0, round(x_max - x_min), round(y_max - y_min)],
        "industries": [
            {"code": code, "label": labels.get(code, code), "colour": colours[code]}
            for code in present
        ],
        "findings": records,
        "outlines": outlines,
        "sites": site_records,
    }


_STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 "DejaVu Sans", Arial, sans-serif; color: #222;
       display: grid; grid-template-columns: 17rem 1fr; height: 100vh; }
aside { padding: 0.8rem; overflow-y: auto; border-right: 1px solid #ddd; background: #faf9f6; }
h1 { font-size: 1.05rem; margin: 0 0 0.4rem; } h2 { font-size: 0.9rem; margin: 1rem 0 0.3rem; }
label.industry { display: flex; align-items: center; gap: 0.4rem; margin: 0.2rem 0; }
.swatch { width: 1rem; height: 1rem; border-radius: 2px; flex: none; }
main { position: relative; overflow: hidden; }
svg { width: 100%; height: 100%; background: #fff; cursor: grab; }
svg path.finding { fill-opacity: 0.55; stroke-width: 1.5; vector-effect: non-scaling-stroke;
                   cursor: pointer; fill-rule: evenodd; }
svg path.finding.concentration { fill-opacity: 0.85; }
svg path.finding.selected { stroke: #000; stroke-width: 3; }
svg path.extent { fill: none; stroke-dasharray: 4 3; stroke-width: 1;
                  vector-effect: non-scaling-stroke; }
svg path.outline { fill: none; vector-effect: non-scaling-stroke; }
svg path.base { fill: #f1efe9; stroke: none; fill-rule: evenodd; }
svg text { font-weight: bold; paint-order: stroke; stroke: #fff; stroke-width: 3px;
           pointer-events: none; }
#zoom { position: absolute; top: 0.6rem; right: 0.6rem; display: flex; flex-direction: column; }
#zoom button { width: 2rem; height: 2rem; font-size: 1.1rem; margin-bottom: 2px; }
#panel { position: absolute; left: 0.6rem; bottom: 0.6rem; max-width: 24rem; background: #fff;
         border: 1px solid #bbb; padding: 0.6rem 0.8rem; box-shadow: 0 1px 4px #0003;
         display: none; }
#panel table { border-collapse: collapse; font-size: 0.85rem; }
#panel td { padding: 0.1rem 0.4rem 0.1rem 0; }
#panel button { float: right; }
.source { font-size: 0.75rem; color: #555; margin-top: 1rem; }
"""

_SCRIPT = """
const data = JSON.parse(document.getElementById("map-data").textContent);
const NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("map");
const layers = {};
for (const name of ["base", "outlines", "extents", "findings", "sites", "labels"]) {
  layers[name] = svg.appendChild(document.createElementNS(NS, "g"));
}
function make(tag, attrs, parent) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return parent.appendChild(node);
}
let view = data.viewBox.slice();
function setView() { svg.setAttribute("viewBox", view.join(" ")); }
setView();
const colours = Object.fromEntries(data.industries.map(i => [i.code, i.colour]));
const names = Object.fromEntries(data.industries.map(i => [i.code, i.label]));
for (const tier of data.outlines) {
  for (const shape of tier.shapes) {
    if (tier.tier === "district") make("path", {d: shape.d, class: "base"}, layers.base);
    const line = make("path", {d: shape.d, class: "outline", stroke: tier.colour,
      "stroke-width": tier.width * 1.3}, layers.outlines);
    if (tier.dashed) line.setAttribute("stroke-dasharray", "6 3");
    make("title", {}, line).textContent = shape.name;
  }
}
const byIndustry = {};
for (const f of data.findings) {
  const colour = colours[f.industry] || "#555";
  const parts = [];
  if (f.extent) {
    parts.push(make("path", {d: f.extent, class: "extent", stroke: colour}, layers.extents));
  }
  const shape = make("path", {d: f.d, class: "finding " + f.kind, fill: colour,
    stroke: colour, "data-id": f.id}, layers.findings);
  shape.addEventListener("click", event => { event.stopPropagation(); show(f, shape); });
  parts.push(shape);
  if (f.rank) {
    const label = make("text", {x: f.x, y: f.y, class: "rank"}, layers.labels);
    label.textContent = f.rank;
    parts.push(label);
  }
  (byIndustry[f.industry] = byIndustry[f.industry] || []).push(...parts);
}
for (const s of data.sites) {
  const mark = make("text", {x: s.x, y: s.y, "text-anchor": "middle", class: "site"}, layers.sites);
  mark.textContent = "◆";
  make("title", {}, mark).textContent = s.name + (s.districts ? " (" + s.districts + ")" : "");
}
function fontSize() {
  const size = view[2] / svg.clientWidth * 13;
  for (const t of svg.querySelectorAll("text")) t.setAttribute("font-size", size);
}
const list = document.getElementById("industries");
for (const industry of data.industries) {
  const row = document.createElement("label");
  row.className = "industry";
  row.innerHTML = `<input type="checkbox" checked value="${industry.code}">` +
    `<span class="swatch" style="background:${industry.colour}"></span>`;
  row.append(industry.label);
  row.querySelector("input").addEventListener("change", event => {
    for (const node of byIndustry[industry.code] || []) {
      node.style.display = event.target.checked ? "" : "none";
    }
    if (!event.target.checked) hide();
  });
  list.appendChild(row);
}
const panel = document.getElementById("panel");
const tiers = {district: "District", upper_tier: "County or unitary",
  combined_authority: "Combined authority", strategic_authority: "Strategic authority"};
function percent(v) {
  if (v === null) return "–";
  // A part is never shown as the whole (as in the report): 99.7% is "over 99%".
  if (v >= 0.995 && v < 1 - 1e-9) return "over 99%";
  if (v > 1e-9 && v < 0.0005) return "under 0.1%";
  return (v < 0.1 ? (v * 100).toFixed(1) : Math.round(v * 100)) + "%";
}
let selected = null;
function show(f, shape) {
  if (selected) selected.classList.remove("selected");
  selected = shape; shape.classList.add("selected");
  const rows = [
    ["Industry", names[f.industry] || f.industry],
    ["Kind", f.kind + (f.stars ? " " + "★".repeat(f.stars) : "")],
    [data.quantity === "GVA" ? "GVA (£m)" : "Employment",
     f.employment === null ? "–" : f.employment.toLocaleString("en-GB")],
    ["Share of the industry's " + (data.quantity || "jobs"), percent(f.share)],
    ["Location quotient", f.lq === null ? "–" : f.lq.toFixed(2)],
    ["Areas", f.areas],
  ];
  for (const [tier, name, share] of f.authorities) {
    rows.push([tiers[tier] || tier, name + " " + percent(share)]);
  }
  // Whether the finding lies in a combined authority at all: the question it is mapped for.
  if (f.ca_status) rows.push(["Combined authorities", f.ca_status]);
  if (f.series) rows.push(["Yearly series", f.series]);
  panel.innerHTML = '<button type="button" aria-label="Close">×</button><strong></strong>';
  panel.querySelector("strong").append((f.rank ? f.rank + ". " : "") + f.name);
  const table = document.createElement("table");
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  panel.appendChild(table);
  panel.querySelector("button").addEventListener("click", hide);
  panel.style.display = "block";
}
function hide() {
  panel.style.display = "none";
  if (selected) selected.classList.remove("selected");
  selected = null;
}
svg.addEventListener("click", hide);
function zoom(factor, cx, cy) {
  const [x, y, w, h] = view;
  cx = cx === undefined ? x + w / 2 : cx; cy = cy === undefined ? y + h / 2 : cy;
  view = [cx - (cx - x) * factor, cy - (cy - y) * factor, w * factor, h * factor];
  setView(); fontSize();
}
function toMap(event) {
  const point = svg.createSVGPoint(); point.x = event.clientX; point.y = event.clientY;
  return point.matrixTransform(svg.getScreenCTM().inverse());
}
svg.addEventListener("wheel", event => {
  event.preventDefault();
  const p = toMap(event);
  zoom(event.deltaY > 0 ? 1.25 : 0.8, p.x, p.y);
}, {passive: false});
let drag = null;
svg.addEventListener("pointerdown", event => { drag = toMap(event); });
svg.addEventListener("pointermove", event => {
  if (!drag) return;
  const p = toMap(event);
  view[0] -= p.x - drag.x; view[1] -= p.y - drag.y; setView();
});
svg.addEventListener("pointerup", () => { drag = null; });
document.getElementById("zoom-in").addEventListener("click", () => zoom(0.7));
document.getElementById("zoom-out").addEventListener("click", () => zoom(1 / 0.7));
document.getElementById("zoom-reset").addEventListener("click", () => {
  view = data.viewBox.slice(); setView(); fontSize();
});
window.addEventListener("resize", fontSize);
fontSize();
document.body.dataset.ready = "1";
"""


def map_page_for_layers(
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    definitions: Sequence[tuple[str, str]],
    *,
    title: str,
    source: str,
    attribution: str,
    quantity: str = "jobs",
) -> str:
    """The page for a run's layers (:func:`~clustergeo.publish.layers.build_layers`).

    ``quantity`` is what the values count ("jobs", or "GVA" in £m), for the pop-ups.
    """
    findings = layers["clusters"]
    assert isinstance(findings, gpd.GeoDataFrame)
    labels = industry_labels(
        definitions, zip(findings["industry_code"], findings["label"], strict=True)
    )
    extents = layers.get("cluster_extents")
    sites = layers.get("site_footprints")
    if isinstance(sites, gpd.GeoDataFrame):
        sites = sites.loc[sites["status"] != "outside_study_area"]
    areas = layers["areas_lq"]
    assert isinstance(areas, gpd.GeoDataFrame)
    data = page_data(
        findings=findings,
        extents=extents if isinstance(extents, gpd.GeoDataFrame) else None,
        links=layers["cluster_authorities"],
        authorities={
            tier: frame
            for tier in _TIERS
            if isinstance(frame := layers.get(tier), gpd.GeoDataFrame)
        },
        sites=sites if isinstance(sites, gpd.GeoDataFrame) else None,
        colours=industry_colours(labels),
        labels=labels,
        bounds=areas.total_bounds,
    )
    data = {**data, "quantity": quantity}
    return map_page(data, title=title, source=source, attribution=attribution)


def map_page(data: Mapping[str, Any], *, title: str, source: str, attribution: str) -> str:
    """The page: the data as inline JSON, the drawing and interaction as inline script."""
    # "</" inside the JSON would end the script element early.
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    credits = "<br>".join(html.escape(line) for line in (source, *attribution.split("\n")))
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<aside><h1>{html.escape(title)}</h1>"
        "<p>Findings are numbered by strength, as on the maps and in the report. Click one "
        "for its jobs, specialisation and authorities; drag to pan, scroll to zoom.</p>"
        '<h2>Industries</h2><div id="industries"></div>'
        f'<p class="source">{credits}</p></aside>'
        '<main><svg id="map" role="img" aria-label="Map of the findings" '
        'preserveAspectRatio="xMidYMid meet"></svg>'
        '<div id="zoom"><button id="zoom-in" type="button" aria-label="Zoom in">+</button>'
        '<button id="zoom-out" type="button" aria-label="Zoom out">−</button>'
        '<button id="zoom-reset" type="button" aria-label="Whole area">⟲</button></div>'
        '<div id="panel" role="dialog"></div></main>'
        f'<script type="application/json" id="map-data">{payload}</script>'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
