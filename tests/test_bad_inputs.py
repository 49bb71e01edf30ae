"""A catalogue of bad inputs, run end to end as a user meets them.

Each case builds a tiny run in ``tmp_path`` (a 4 x 3 grid of 100 m "MSOAs" near Derby, three
SIC sections and one cluster definition) and runs it through the command line, then checks one
of two outcomes, named in the test's docstring:

(a) **stop**: exit status 2 and one message that names the file, the offending rows or codes,
    and the fix, with no traceback;
(b) **policy**: the run goes on by a documented rule, says so in a log line, and counts what it
    did in the stage's report (``<stage>/report.json``).

Cases that show a bug are marked ``xfail(strict=True)`` and assert the behaviour the user should
get. The policies themselves are listed in ``docs/validation.md``.
"""

from __future__ import annotations

import copy
import errno
import gzip
import json
import os
import re
import resource
import signal
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box

from clustergeo.cli import main
from clustergeo.config import DATA_DIR_ENV, load_config
from clustergeo.stages import publish
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths
from conftest import GRID_SIDE, GRID_X0, GRID_Y0, square_grid

FIXTURES = Path(__file__).parent / "fixtures"

#: Twelve 2011 MSOA codes (Hinckley and Bosworth); ONS numbered new 2021 MSOAs from E02006935.
MSOA_2011 = [f"E0200{n}" for n in range(5377, 5389)]
MSOA_2021_NEW = [f"E0200{n}" for n in range(6935, 6947)]
HINCKLEY, NW_LEICS = "E07000132", "E07000134"
EAST_MIDLANDS = "E12000004"
INDUSTRIES = ("C", "F", "J")
TIDY_HEADER = ["area_code", "industry_code", "employment"]
BRES_HEADER = [
    "DATE",
    "GEOGRAPHY_NAME",
    "GEOGRAPHY_CODE",
    "INDUSTRY_NAME",
    "INDUSTRY_CODE",
    "MEASURE_NAME",
    "OBS_VALUE",
    "OBS_STATUS",
]
SECTION_NAMES = {"B": "Mining and quarrying", "C": "Manufacturing", "F": "Construction"}
SECTION_NAMES |= {"J": "Information and communication"}


class _Delete:
    """Marks a config key to remove (survives ``copy.deepcopy``)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Delete:
        return self


DELETE = _Delete()


# -- building a tiny run ---------------------------------------------------------------------


def grid_areas(
    nx: int = 4, ny: int = 3, *, codes: list[str] | None = None, x0: float = GRID_X0
) -> gpd.GeoDataFrame:
    """``nx`` x ``ny`` 100 m squares, rows first; columns 0-1 in Hinckley, the others in NW Leics.

    Four columns, so that no area's neighbourhood is the whole grid (its Gi* would be undefined).
    """
    grid = square_grid(nx, ny, x0=x0)
    grid["area_code"] = codes if codes is not None else MSOA_2011[: nx * ny]
    column = np.arange(len(grid)) % nx
    grid["district"] = np.where(column <= 1, HINCKLEY, NW_LEICS)
    grid["region"] = EAST_MIDLANDS
    return grid


def counts(index: int) -> dict[str, int]:
    """Employment of the ``index``-th area by section: varied, positive, well above the floors."""
    return {"C": 100 + 40 * index, "F": 150 + 10 * (index % 3), "J": 60 + 20 * (5 * index % 9)}


def tidy_rows(codes: list[str] = MSOA_2011) -> list[list[str]]:
    """Rows of a tidy employment table; line ``n`` of the file is ``rows[n - 2]``."""
    return [
        [code, industry, str(value)]
        for index, code in enumerate(codes)
        for industry, value in counts(index).items()
    ]


def bres_rows(codes: list[str] = MSOA_2011, name: str = "Hinckley and Bosworth") -> list[list[str]]:
    """Rows of a Nomis BRES long CSV with the tidy rows' counts, every status 'A' (normal).

    Columns as in ``BRES_HEADER``; the value is field 6 and the status field 7.
    """
    area_number = {code: index + 1 for index, code in enumerate(codes)}
    return [
        [
            *("2022", f"{name} {area_number[area]:03d}", area),
            *(f"{code} : {SECTION_NAMES[code]}", code, "Count", value, "A"),
        ]
        for area, code, value in tidy_rows(codes)
    ]


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    """A CSV as Nomis writes it: every field quoted when it holds the delimiter."""

    def field(value: str) -> str:
        return f'"{value}"' if delimiter in value or '"' in value else value

    lines = [delimiter.join(field(v) for v in row) for row in [header, *rows]]
    return "\n".join(lines) + "\n"


def deep_update(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Merge ``changes`` into ``target``; a value of ``DELETE`` removes the key."""
    for key, value in changes.items():
        if value is DELETE:
            target.pop(key, None)
        elif isinstance(value, dict):
            if not isinstance(target.get(key), dict):
                target[key] = {}
            deep_update(target[key], value)
        else:
            target[key] = value


class TinyRun:
    """A run folder: ``raw/`` inputs, ``run.yaml``, ``out/`` outputs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw = root / "raw"
        self.raw.mkdir(parents=True, exist_ok=True)
        self.config_path = root / "run.yaml"
        (root / "clusters.yaml").write_text(
            "clusters:\n  manufacturing:\n    label: Manufacturing\n    sic: [C]\n",
            encoding="utf-8",
        )
        self.settings: dict[str, Any] = {
            "name": "bad-inputs",
            "data_dir": "raw",
            "output_dir": "out",
            "areas": {"path": "areas.gpkg", "layer": "areas", "code_column": "area_code"},
            "employment": {"path": "employment.csv"},
            "hierarchy": {
                "district": {"source": "attribute", "column": "district"},
                "region": {"source": "attribute", "column": "region"},
            },
            "industries": {"cluster_definitions": "clusters.yaml"},
            "hotspots": {"permutations": 99, "max_permutations": 0},
            "governance": {"sites": "none"},
        }
        self.configure()

    def configure(self, **changes: Any) -> Path:
        """Change sections of the config (nested dicts are merged) and write it."""
        deep_update(self.settings, copy.deepcopy(changes))
        self.config_path.write_text(yaml.safe_dump(self.settings), encoding="utf-8")
        return self.config_path

    def write_areas(
        self, frame: gpd.GeoDataFrame, name: str = "areas.gpkg", layer: str | None = "areas"
    ) -> Path:
        path = self.raw / name
        path.unlink(missing_ok=True)
        frame.to_file(path, layer=layer, engine="pyogrio")
        return path

    def write_employment(
        self, text: str, name: str = "employment.csv", encoding: str = "utf-8"
    ) -> Path:
        path = self.raw / name
        path.write_bytes(text.encode(encoding))
        self.configure(employment={"path": name})
        return path

    def cli(self, *args: str, quiet: bool = True) -> Result:
        """Run ``clustergeo [-q] <args> run.yaml``."""
        options = ["-q"] if quiet else []
        return CliRunner().invoke(main, [*options, *args, str(self.config_path)])

    @property
    def paths(self) -> RunPaths:
        return RunPaths.for_config(load_config(self.config_path))

    def report(self, stage: str) -> dict[str, Any]:
        path = (
            self.paths[r.AREAS_REPORT]
            if stage == "areas"
            else self.paths.root / stage / "report.json"
        )
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return report


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TinyRun:
    """A valid tiny run: the grid, a tidy employment table and a config reading them."""
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    run = TinyRun(tmp_path)
    run.write_areas(grid_areas())
    run.write_employment(csv_text(TIDY_HEADER, tidy_rows()))
    return run


def _reraise(result: Result) -> None:
    """Let an unexpected exception out, so a bug shows as the library error it is."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception


def assert_stops(result: Result, *fragments: str) -> str:
    """(a): exit status 2 and one error message holding every fragment, no traceback."""
    _reraise(result)
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert output.count("error:") == 1, output
    message = output[output.index("error:") :]
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


def assert_runs(result: Result) -> str:
    """The command succeeded; return what it printed (log lines included)."""
    _reraise(result)
    assert result.exit_code == 0, result.output
    return result.output


def hotspot_rows(run: TinyRun, industry: str) -> pd.DataFrame:
    table = pd.read_parquet(run.paths[r.HOTSPOTS]).astype({"area_code": str, "industry_code": str})
    return table.loc[table["industry_code"] == industry].set_index("area_code")


def lq_rows(run: TinyRun, industry: str) -> pd.DataFrame:
    table = pd.read_parquet(run.paths[r.LQ])
    return table.loc[table["industry_code"] == industry].set_index("area_code")


def run_through(run: TinyRun, last: str, *, quiet: bool = True) -> str:
    """Run the stages up to and including ``last``; return their log output."""
    stages = ["ingest", "areas", "concentration", "hotspots", "clusters", "governance", "publish"]
    output = ""
    for stage in stages[: stages.index(last) + 1]:
        output += assert_runs(run.cli(stage, quiet=quiet))
    return output


# -- employment tables -----------------------------------------------------------------------


def test_empty_employment_file(tiny: TinyRun) -> None:
    """(a) An empty download stops the run naming the file and saying to download it again."""
    path = tiny.write_employment("")
    assert_stops(tiny.cli("ingest"), f"Employment file {path} is empty", "download the table")


def test_employment_file_with_an_unknown_delimiter(tiny: TinyRun) -> None:
    """(a) A table separated by spaces stops: its first line is shown, then the delimiter named.

    Commas, semicolons (Excel in European locales), tabs and pipes are detected. With
    ``format: auto`` the layout cannot be recognised and the message shows the first line; with
    the layout set, the message says the file is not a delimited table.
    """
    path = tiny.write_employment(csv_text(TIDY_HEADER, tidy_rows()).replace(",", " "))
    assert_stops(
        tiny.cli("ingest"),
        f"Cannot recognise the layout of employment file {path}",
        "  area_code industry_code employment\n",
        "set employment.format in the config",
    )
    tiny.configure(employment={"format": "tidy"})
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path} has a single column on its first line",
        "'area_code industry_code employment'",
        "it is not a comma-separated table. Export it from Nomis as CSV.",
    )


def test_semicolon_delimited_employment_is_read(tiny: TinyRun) -> None:
    """(b) Policy: the delimiter is detected; a semicolon table gives the same LQs, unremarked."""
    run_through(tiny, "concentration")
    expected = pd.read_parquet(tiny.paths[r.LQ])
    tiny.write_employment(csv_text(TIDY_HEADER, tidy_rows(), delimiter=";"), name="semi.csv")
    run_through(tiny, "concentration")
    assert tiny.report("ingest")["employment_format"] == "tidy"
    pd.testing.assert_frame_equal(pd.read_parquet(tiny.paths[r.LQ]), expected)


def test_utf8_byte_order_mark_is_not_part_of_the_header(tiny: TinyRun) -> None:
    """(b) Policy: a UTF-8 BOM (Excel's "CSV UTF-8") is dropped, in the table and the lookups.

    The BOM would otherwise glue itself to the first column name (``\\ufeffDATE``) and hide
    the layout. Nothing is noted: the file is read exactly as written.
    """
    text = csv_text(BRES_HEADER, bres_rows()).replace("\n", "\r\n")
    tiny.write_employment("\ufeff" + text, name="bres.csv")
    lookup = csv_text(
        ["area_code", "rgn_code", "rgn_name"],
        [[code, EAST_MIDLANDS, "East Midlands"] for code in MSOA_2011],
    )
    (tiny.raw / "regions.csv").write_text("\ufeff" + lookup, encoding="utf-8")
    tiny.configure(
        hierarchy={
            "region": {
                "source": "lookup",
                "path": "regions.csv",
                "key_column": "area_code",
                "column": "rgn_code",
                "name_column": "rgn_name",
            }
        }
    )
    run_through(tiny, "areas")
    report = tiny.report("ingest")
    assert report["employment_format"] == "nomis_bres"
    assert report["counts"]["employment_rows"] == 36
    assert not any("UTF-8" in note for note in report["notes"])
    assert not any("UTF-8" in note for note in tiny.report("areas")["notes"])
    areas = gpd.read_parquet(tiny.paths[r.AREAS])
    assert set(areas["region_name"]) == {"East Midlands"}


def test_latin1_area_names_are_read_and_noted(tiny: TinyRun) -> None:
    """(b) Policy: a Windows-1252 (Latin-1) table is read as such and the fallback is noted.

    "Ynys Môn" arrives as the byte 0xF4; the ingest report's notes say the file was not UTF-8.
    """
    path = tiny.write_employment(
        csv_text(BRES_HEADER, bres_rows(name="Ynys Môn")), name="bres_wales.csv", encoding="cp1252"
    )
    output = run_through(tiny, "ingest", quiet=False)
    note = f"{path.name} is not UTF-8; read it as Windows-1252 (Latin-1) text"
    assert note in tiny.report("ingest")["notes"]
    assert note in output
    assert not pd.read_parquet(tiny.paths[r.EMPLOYMENT])["employment"].isna().any()


def test_latin1_lookup_fallback_is_noted(tiny: TinyRun) -> None:
    """(b) Policy: a Latin-1 lookup CSV is read as Windows-1252, and that is noted as for tables."""
    lookup = csv_text(
        ["area_code", "lad_code", "lad_name"],
        [[code, "W06000001", "Ynys Môn"] for code in MSOA_2011],
    )
    (tiny.raw / "districts.csv").write_bytes(lookup.encode("cp1252"))
    tiny.configure(
        hierarchy={
            "district": {
                "source": "lookup",
                "path": "districts.csv",
                "key_column": "area_code",
                "column": "lad_code",
                "name_column": "lad_name",
                "key": "area",
            }
        }
    )
    run_through(tiny, "areas")
    assert set(gpd.read_parquet(tiny.paths[r.AREAS])["district_name"]) == {"Ynys Môn"}
    notes = tiny.report("areas")["notes"]
    assert any("districts.csv is not UTF-8" in note for note in notes), notes


def test_header_from_another_nomis_table(tiny: TinyRun) -> None:
    """(a) A Nomis export of another dataset (population by age) stops: no INDUSTRY_CODE."""
    header = ["DATE", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "C_AGE_NAME", "MEASURES_NAME"]
    rows = [
        ["2021", f"Hinckley {i}", code, "All Ages", "Value"] for i, code in enumerate(MSOA_2011)
    ]
    path = tiny.write_employment(
        csv_text([*header, "OBS_VALUE"], [[*row, "7800"] for row in rows]), name="pop.csv"
    )
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path} is not a Nomis long CSV: it lacks INDUSTRY_CODE",
        "C_AGE_NAME",
        "Download the table from Nomis as CSV with the geography, industry and value columns",
    )


def test_duplicate_area_industry_rows(tiny: TinyRun) -> None:
    """(a) The same area x industry twice (two downloads pasted together) stops, with lines."""
    rows = tidy_rows()
    path = tiny.write_employment(csv_text(TIDY_HEADER, [*rows, rows[0]]))
    assert_stops(
        tiny.cli("ingest"),
        str(path),
        "1 area x industry pairs appear more than once (E02005377/C) on lines 2, 38",
        "keep one row for each area, industry and year: remove a repeated row",
    )


def test_area_codes_of_another_boundary_vintage(tiny: TinyRun) -> None:
    """(a) 2011 MSOA boundaries with a table on 2021 MSOA codes: stop, name the vintages."""
    path = tiny.write_employment(csv_text(TIDY_HEADER, tidy_rows(MSOA_2021_NEW)))
    message = assert_stops(
        tiny.cli("areas"),
        f"12 of the 12 areas in boundary file {tiny.raw / 'areas.gpkg'}",
        f"employment file {path}",
        "E02005377, E02005378",
        "12 of them created in 2021 (2021 codes)",
        "boundary-vintage mismatch (2011 vs 2021 areas)",
        "ONS 2011 → 2021 lookup",
    )
    assert "… and 4 more" in message


def test_industry_codes_not_in_sic_2007(tiny: TinyRun) -> None:
    """(a) Codes that are not UK SIC 2007 (an old SIC 2003 letter, a typo) stop, listed."""
    rows = [*tidy_rows(), ["E02005377", "AB", "5"], ["E02005378", "00", "5"]]
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows))
    assert_stops(
        tiny.cli("ingest"),
        str(path),
        "industry codes that are not UK SIC 2007: 00, AB",
        "use section letters or 2- to 5-digit SIC 2007 codes",
    )


def test_negative_counts(tiny: TinyRun) -> None:
    """(a) A negative count (a change, not a level) stops, naming the line."""
    rows = tidy_rows()
    rows[3][2] = "-40"
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows))
    assert_stops(
        tiny.cli("ingest"),
        str(path),
        "negative employment on line 5",
        "check the column is a count, not a change",
    )


def test_non_numeric_counts(tiny: TinyRun) -> None:
    """(a) A count that is not a number (and no suppression marker) stops, with its value."""
    rows = tidy_rows()
    rows[1][2] = "twelve"
    rows[4][2] = "1O0"
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows))
    assert_stops(
        tiny.cli("ingest"),
        str(path),
        "non-numeric employment on lines 3, 6 (values twelve, 1O0)",
        "values must be numbers, or empty or one of '*', 'x', 'X', '..', ':', '-', '!', '[c]', "
        "'[u]', '[x]' for suppressed cells",
    )


def test_nan_written_as_a_count(tiny: TinyRun) -> None:
    """(a) "NaN" written by a script is not a suppression marker: stop, name the line."""
    rows = tidy_rows()
    rows[0][2] = "NaN"
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows))
    assert_stops(
        tiny.cli("ingest"),
        str(path),
        "non-numeric employment on line 2 (values NaN)",
        "values must be numbers, or empty or one of '*', 'x', 'X', '..', ':', '-', '!', '[c]', "
        "'[u]', '[x]' for suppressed cells",
    )


def test_infinite_count(tiny: TinyRun) -> None:
    """(a) "inf" is not a count: stop and name the line, as for any non-numeric value."""
    rows = tidy_rows()
    rows[0][2] = "inf"
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows))
    assert_stops(tiny.cli("ingest"), str(path), "line 2", "inf")


def test_suppressed_cells_stay_missing_and_are_counted(tiny: TinyRun) -> None:
    """(b) Policy: Nomis-suppressed cells stay missing, never zero, and are counted.

    OBS_STATUS ``Q`` (empty value) and ``X`` (value given): both cells are kept as NaN; the LQ is
    missing with note 'suppressed'; the hot-spot stage gives those cells no result (mean value
    as a neighbour). Counted in the ingest, concentration and hot-spot reports.
    """
    rows = bres_rows()
    rows[0][6:8] = ["", "Q"]  # E02005377 / C
    rows[5][6:8] = ["87", "X"]  # E02005378 / J
    tiny.write_employment(csv_text(BRES_HEADER, rows), name="bres.csv")
    output = run_through(tiny, "hotspots", quiet=False)

    ingest = tiny.report("ingest")
    assert ingest["counts"]["suppressed_cells"] == 2
    (note,) = [n for n in ingest["notes"] if "suppressed cells" in n]
    assert note.startswith(
        "2 suppressed cells kept as missing (not zero), e.g. E02005377/C, E02005378/J: their "
        "LQs are reported as missing"
    )
    # The file gives no area totals: each area's total leaves the two cells out, and says so.
    assert "those areas' other LQs of those years lean high" in note
    assert tiny.report("concentration")["counts"]["suppressed"] == 2
    assert lq_rows(tiny, "C").loc["E02005377", "lq_note"] == "suppressed"
    assert np.isnan(lq_rows(tiny, "J").loc["E02005378", "lq"])
    # The cluster definition built on C is missing there too, not understated.
    assert np.isnan(lq_rows(tiny, "manufacturing").loc["E02005377", "employment"])
    assert tiny.report("hotspots")["statistics"]["missing_values"] == 3
    assert hotspot_rows(tiny, "C").loc["E02005377", "gi_star_class"] == "not_tested"
    assert hotspot_rows(tiny, "J").loc["E02005378", "moran_class"] == "not_tested"
    assert "3 area x industry values are missing" in output


def test_truncated_gzip_download(tiny: TinyRun) -> None:
    """(a) A gzip download cut short stops, naming the file and saying to download it again."""
    whole = gzip.compress(csv_text(TIDY_HEADER, tidy_rows()).encode())
    path = tiny.raw / "employment.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    tiny.configure(employment={"path": path.name})
    assert_stops(tiny.cli("ingest"), str(path), "download")


def test_damaged_gzip_file(tiny: TinyRun) -> None:
    """(a) A file with a gzip signature but damaged contents stops, naming the file."""
    path = tiny.raw / "employment.csv.gz"
    path.write_bytes(b"\x1f\x8b" + b"not really gzip" * 4)
    tiny.configure(employment={"path": path.name})
    assert_stops(tiny.cli("ingest"), str(path), "download")


def test_absent_area_industry_rows_are_counted(tiny: TinyRun) -> None:
    """(b) Policy: pairs absent from a table count as zero employment; say how many, and where.

    The last area lacks its construction and ICT rows (a download cut short): its LQs are 0.
    """
    tiny.write_employment(csv_text(TIDY_HEADER, tidy_rows()[:-2]))
    run_through(tiny, "concentration")
    assert lq_rows(tiny, "J").loc["E02005388", "lq"] == 0
    notes = tiny.report("ingest")["notes"] + [str(tiny.report("concentration"))]
    assert any("2" in note and "E02005388" in note for note in notes), notes
    assert any("(e.g. E02005388 x F, E02005388 x J)" in note for note in notes), notes


# -- concentration ---------------------------------------------------------------------------


def test_area_with_zero_total_employment(tiny: TinyRun) -> None:
    """(b) Policy: an area employing nobody has no LQ (0/0), flagged 'small area'; no hot spot.

    Its LQs are missing and unreliable (counted in the concentration report); the hot-spot
    stage gives it no result and uses the industry mean for it as a neighbour (counted as
    missing values).
    """
    rows = tidy_rows()
    for row in rows[12:15]:  # E02005381, row 1, column 0
        row[2] = "0"
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    output = run_through(tiny, "hotspots", quiet=False)
    for industry in (*INDUSTRIES, "manufacturing"):
        cell = lq_rows(tiny, industry).loc["E02005381"]
        assert np.isnan(cell["lq"])
        assert cell["lq_unreliable"]
        assert cell["lq_note"] == "small area"
        assert hotspot_rows(tiny, industry).loc["E02005381", "gi_star_class"] == "not_tested"
    assert tiny.report("concentration")["counts"]["unreliable"] == 3
    assert tiny.report("hotspots")["statistics"]["missing_values"] == 4
    assert "4 area x industry values are missing" in output
    # The neighbours are still tested.
    assert (hotspot_rows(tiny, "C").drop(index="E02005381")["gi_star_class"] != "not_tested").all()


def test_industry_with_no_employment_anywhere(tiny: TinyRun) -> None:
    """(b) Policy: an industry employing nobody has no LQ anywhere (0/0) and is 'not_tested'.

    Its LQs are missing and flagged 'small count' (counted as unreliable); the hot-spot stage
    lists it in ``zero_variance_columns`` and in a warning.
    """
    rows = [*tidy_rows(), *[[code, "B", "0"] for code in MSOA_2011]]
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    output = run_through(tiny, "hotspots")
    assert lq_rows(tiny, "B")["lq"].isna().all()
    assert (lq_rows(tiny, "B")["lq_note"] == "small count").all()
    assert tiny.report("concentration")["counts"]["unreliable"] == 12
    assert (hotspot_rows(tiny, "B")["gi_star_class"] == "not_tested").all()
    assert tiny.report("hotspots")["statistics"]["zero_variance_columns"] == ["B"]
    assert "WARNING Not tested (same value in every area): B" in output
    assert (hotspot_rows(tiny, "C")["gi_star_class"] != "not_tested").all()


def test_small_areas_get_unreliable_lqs(tiny: TinyRun) -> None:
    """(b) Policy: an LQ resting on fewer than 100 workers (or a cell under 5) is flagged.

    The LQ is kept but ``lq_unreliable`` is set with its reason, and counted in the report.
    """
    rows = tidy_rows()
    rows[0][2], rows[1][2], rows[2][2] = "30", "3", "20"  # E02005377: 53 workers
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    run_through(tiny, "concentration")
    cell = lq_rows(tiny, "F").loc["E02005377"]
    assert cell["lq"] > 0
    assert cell["lq_unreliable"]
    assert cell["lq_note"] == "small area"
    report = tiny.report("concentration")
    assert report["counts"]["unreliable"] == 3
    assert report["settings"]["min_area_employment"] == 100


def _national_totals(tiny: TinyRun, text: str, encoding: str = "utf-8") -> Path:
    path = tiny.raw / "national.csv"
    path.write_bytes(text.encode(encoding))
    tiny.configure(
        concentration={"reference": "national_totals", "national_totals_path": "national.csv"}
    )
    run_through(tiny, "ingest")
    return path


def test_national_totals_missing_an_industry(tiny: TinyRun) -> None:
    """(a) National totals lacking an industry of the table stop, naming it and the columns."""
    path = _national_totals(tiny, "industry_code,employment\nC,2358805\nF,1991000\n")
    assert_stops(
        tiny.cli("concentration"),
        str(path),
        "no row for industries J",
        "add them (columns industry_code, employment)",
    )


def test_national_totals_without_an_industry_code_column(tiny: TinyRun) -> None:
    """(a) A national-totals CSV with other column names stops, naming its columns."""
    path = _national_totals(tiny, "SIC,jobs\nC,2358805\nF,1991000\nJ,1100000\n")
    assert_stops(tiny.cli("concentration"), str(path), "industry_code", "SIC, jobs")


def test_national_totals_with_a_non_numeric_count(tiny: TinyRun) -> None:
    """(a) A national total that is not a number stops, naming the file and the value."""
    path = _national_totals(tiny, "industry_code,employment\nC,2358805\nF,twelve\nJ,1100000\n")
    assert_stops(tiny.cli("concentration"), str(path), "twelve")


def test_national_totals_with_a_missing_count(tiny: TinyRun) -> None:
    """(a) A national total left as 'n/a' stops, naming the file and the industry."""
    path = _national_totals(tiny, "industry_code,employment\nC,2358805\nF,n/a\nJ,1100000\n")
    assert_stops(tiny.cli("concentration"), str(path), "F")


def test_national_totals_in_latin1(tiny: TinyRun) -> None:
    """(b) Policy: a Windows-1252 national-totals file is read, as employment tables are."""
    _national_totals(
        tiny,
        "industry_code,employment,area\nC,2358805,Cymru a Lloegr (Môn)\nF,1991000,x\nJ,1100000,x\n",
        encoding="cp1252",
    )
    assert_runs(tiny.cli("concentration"))


def test_national_totals_with_a_negative_count(tiny: TinyRun) -> None:
    """(a) A negative national total stops, as a negative count in the employment table does."""
    path = _national_totals(tiny, "industry_code,employment\nC,2358805\nF,-1991000\nJ,1100000\n")
    assert_stops(tiny.cli("concentration"), str(path), "negative", "F")


# -- hot spots -------------------------------------------------------------------------------


def test_constant_variable_is_not_tested(tiny: TinyRun) -> None:
    """(b) Policy: an industry whose LQ is the same everywhere (zero variance) is 'not_tested'.

    Each area's construction share is exactly a quarter, so every construction LQ is 1: nothing
    can be tested. Listed in ``zero_variance_columns`` and in a warning; others are tested.
    """
    rows = []
    for index, code in enumerate(MSOA_2011):
        manufacturing, ict = 100 + 30 * index, 200 - 15 * index
        construction = (manufacturing + ict) // 3
        for industry, value in zip(INDUSTRIES, (manufacturing, construction, ict), strict=True):
            rows.append([code, industry, str(value)])
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    output = run_through(tiny, "hotspots")
    assert (lq_rows(tiny, "F")["lq"] == 1.0).all()
    rows_f = hotspot_rows(tiny, "F")
    assert (rows_f["gi_star_class"] == "not_tested").all()
    assert (rows_f["moran_class"] == "not_tested").all()
    assert rows_f["gi_star_z"].isna().all()
    assert tiny.report("hotspots")["statistics"]["zero_variance_columns"] == ["F"]
    assert "WARNING Not tested (same value in every area): F" in output
    assert (hotspot_rows(tiny, "C")["gi_star_class"] != "not_tested").all()


def test_distance_band_wider_than_the_study_area(tiny: TinyRun) -> None:
    """(b) Policy: areas whose neighbourhood is the whole study area have no Gi* z; say so.

    A 5 km distance band over a 400 m grid makes every area a neighbour of every other, so Gi*
    is the same sum everywhere and cannot be tested. The run should warn and count it, as it
    does for zero-variance industries.
    """
    tiny.configure(hotspots={"weights": {"method": "distance_band", "threshold_m": 5000}})
    output = run_through(tiny, "hotspots")
    assert (hotspot_rows(tiny, "C")["gi_star_class"] == "not_tested").all()
    assert "WARNING" in output
    statistics = tiny.report("hotspots")["statistics"]
    assert any("neighbourhood" in key and value for key, value in statistics.items()), statistics


def _islands(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each area shrunk to 80 m: 20 m gaps everywhere, so no area has a contiguous neighbour."""
    return frame.set_geometry(frame.geometry.scale(0.8, 0.8))


def test_all_islands_are_attached_to_their_nearest_area(tiny: TinyRun) -> None:
    """(b) Policy ``islands: nearest`` (default): every island is linked to its nearest area.

    The weights report counts the attached islands and names them; every area is tested.
    """
    tiny.write_areas(_islands(grid_areas()))
    run_through(tiny, "hotspots")
    weights = tiny.report("hotspots")["weights"]
    assert weights["islands_attached"] == 12
    assert weights["islands"] == 0
    assert weights["min_neighbours"] >= 1
    assert weights["notes"][0].startswith("12 islands attached to their 1 nearest area(s):")
    audit = pd.read_parquet(tiny.paths[r.WEIGHTS_AUDIT])
    assert audit["attached_to_nearest"].all()
    assert (hotspot_rows(tiny, "C")["gi_star_class"] != "not_tested").all()


def test_all_islands_excluded(tiny: TinyRun) -> None:
    """(b) Policy ``islands: exclude``: areas without neighbours get no result, and are counted."""
    tiny.write_areas(_islands(grid_areas()))
    tiny.configure(hotspots={"weights": {"islands": "exclude"}})
    output = run_through(tiny, "clusters", quiet=False)
    report = tiny.report("hotspots")
    assert report["weights"]["islands"] == 12
    assert report["weights"]["notes"] == [
        "12 areas have no neighbours and are left out of the hot-spot statistics (results missing)"
    ]
    assert report["statistics"]["areas_without_neighbours"] == 12
    assert "12 areas, mean 0.0 neighbours, 12 islands, 12 components" in output
    table = pd.read_parquet(tiny.paths[r.HOTSPOTS])
    assert (table["gi_star_class"].astype(str) == "not_tested").all()
    assert tiny.report("clusters")["clusters"] == 0


def test_study_area_in_two_disconnected_parts(tiny: TinyRun) -> None:
    """(b) Policy: components are analysed as they are (not joined) and reported.

    A 4 x 3 block and a 2 x 2 block 5 km apart: two components in the weights report, the
    audit gives each area its component and size, and the log line says so.
    """
    codes = [f"E0200{n}" for n in range(5377, 5393)]
    areas = pd.concat(
        [grid_areas(), grid_areas(2, 2, codes=codes[12:], x0=GRID_X0 + 5_000)], ignore_index=True
    )
    tiny.write_areas(gpd.GeoDataFrame(areas, geometry="geometry", crs="EPSG:27700"))
    tiny.write_employment(csv_text(TIDY_HEADER, tidy_rows(codes)))
    output = run_through(tiny, "hotspots", quiet=False)
    assert tiny.report("hotspots")["weights"]["components"] == 2
    assert "16 areas, mean " in output
    assert "0 islands, 2 components" in output
    audit = pd.read_parquet(tiny.paths[r.WEIGHTS_AUDIT]).set_index("area_code")
    assert audit.loc[codes[:12], "component_size"].eq(12).all()
    assert audit.loc[codes[12:], "component_size"].eq(4).all()
    assert (hotspot_rows(tiny, "C")["gi_star_class"] != "not_tested").all()


# -- boundaries ------------------------------------------------------------------------------


def test_empty_boundary_file(tiny: TinyRun) -> None:
    """(a) A boundary file with no features stops at ingest, naming the file."""
    path = tiny.write_areas(grid_areas().iloc[:0])
    assert_stops(tiny.cli("run"), f"Areas file {path}", "no features")


def test_duplicate_area_codes_in_boundaries(tiny: TinyRun) -> None:
    """(a) One code on two features (an undissolved multi-part area) stops, naming the code."""
    areas = grid_areas()
    areas.loc[1, "area_code"] = "E02005377"
    path = tiny.write_areas(areas)
    assert_stops(
        tiny.cli("areas"),
        f"Areas file {path} (layer areas) has 1 problem",
        "1 codes appear on more than one feature: E02005377",
        "dissolve multi-part areas into one (multi)polygon per code",
    )


def test_boundary_feature_without_a_code(tiny: TinyRun) -> None:
    """(a) A feature with no code (NULL in the attribute table) stops, saying which and what to do.

    The fifth feature (FID 5 in the GeoPackage) has no code.
    """
    areas = grid_areas()
    areas["area_code"] = areas["area_code"].astype(object)
    areas.loc[4, "area_code"] = None
    path = tiny.write_areas(areas)
    message = assert_stops(tiny.cli("areas"), str(path), "1 features have an empty area_code")
    assert re.search(r"\b(feature|FID|row|line)s? 5\b", message), message
    assert re.search(r"\b(fill|give|add|remove|drop|delete)\b", message), message


def test_boundary_file_without_crs(tiny: TinyRun) -> None:
    """(a) A Shapefile without its .prj stops and says how to state the CRS in the config."""
    path = tiny.write_areas(grid_areas(), name="areas.shp", layer=None)
    path.with_suffix(".prj").unlink()
    tiny.configure(areas={"path": "areas.shp", "layer": DELETE})
    assert_stops(
        tiny.cli("areas"),
        f"Areas file {path} has 1 problem",
        "no coordinate reference system (CRS) is declared",
        "set 'crs' for this file in the config",
        "British National Grid is 'EPSG:27700'",
    )
    tiny.configure(areas={"crs": "EPSG:27700"})
    run_through(tiny, "areas")
    assert gpd.read_parquet(tiny.paths[r.AREAS]).area.round(6).eq(10_000).all()


def test_shapefile_without_its_dbf(tiny: TinyRun) -> None:
    """(a) A Shapefile copied without its .dbf stops, naming the missing file, not a column.

    GDAL reads the shapes without their attributes, so the message used to be "no column
    area_code; the file has ." (b) Parts whose extension is in upper case (``.DBF``) are found.
    """
    path = tiny.write_areas(grid_areas(), name="areas.shp", layer=None)
    tiny.configure(areas={"path": "areas.shp", "layer": DELETE})
    dbf = path.with_suffix(".dbf")
    dbf.rename(path.with_suffix(".kept"))
    assert_stops(
        tiny.cli("areas"),
        f"Areas file {path} is a Shapefile without areas.dbf (the attribute table",
        "Copy all of them into",
        "or use a GeoPackage or GeoJSON version",
    )
    path.with_suffix(".kept").rename(path.with_suffix(".DBF"))
    run_through(tiny, "areas")
    assert tiny.report("areas")["counts"]["areas"] == 12


def _geojson_without_crs_member(frame: gpd.GeoDataFrame, path: Path) -> Path:
    collection = json.loads(frame.to_json())
    collection.pop("crs", None)
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


# As outside the tests: shapely's warning on the infinite coordinates is printed, not raised.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_geojson_in_british_national_grid_without_crs_member(tiny: TinyRun) -> None:
    """(a) A GeoJSON in BNG metres with no ``crs`` member stops; ``crs: EPSG:27700`` reads it.

    Older exports and hand-made files write BNG coordinates without a ``crs`` member.
    """
    path = _geojson_without_crs_member(grid_areas(), tiny.raw / "areas.geojson")
    tiny.configure(areas={"path": path.name, "layer": DELETE})
    assert_stops(tiny.cli("areas"), str(path), "'crs'", "EPSG:27700")
    tiny.configure(areas={"crs": "EPSG:27700"})
    run_through(tiny, "areas")
    assert gpd.read_parquet(tiny.paths[r.AREAS]).area.round(6).eq(10_000).all()


def _authorities(tiny: TinyRun, layers: dict[str, gpd.GeoDataFrame], **config: Any) -> Path:
    """Authority polygons in a GeoPackage, one layer per tier, and the config reading them."""
    path = tiny.raw / "authorities.gpkg"
    path.unlink(missing_ok=True)
    for tier, frame in layers.items():
        frame.to_file(path, layer=tier, engine="pyogrio")
    tiny.configure(
        authorities={
            "path": path.name,
            "code_column": "code",
            "name_column": "name",
            "layers": {tier: {"layer": tier} for tier in layers},
            **config,
        },
        hierarchy={tier: {"source": "overlay", "column": DELETE} for tier in layers},
    )
    return path


def _polygons(rows: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    """Authorities spanning the grid's full height from x0 + left to x0 + right (metres)."""
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[
            box(GRID_X0 + left, GRID_Y0, GRID_X0 + right, GRID_Y0 + 3 * GRID_SIDE)
            for _code, _name, left, right in rows
        ],
        crs="EPSG:27700",
    )


DISTRICTS = [(HINCKLEY, "Hinckley and Bosworth", 0, 200), (NW_LEICS, "NW Leicestershire", 200, 400)]


def test_authorities_in_another_crs_are_reprojected(tiny: TinyRun) -> None:
    """(b) Policy: every layer is reprojected to EPSG:27700 before any overlay.

    Areas in British National Grid, district polygons in longitude/latitude: each area still
    gets the district covering most of it. Nothing is noted: reprojecting loses nothing.
    """
    _authorities(tiny, {"district": _polygons(DISTRICTS).to_crs("EPSG:4326")})
    run_through(tiny, "areas")
    areas = gpd.read_parquet(tiny.paths[r.AREAS]).set_index("area_code")
    expected = grid_areas().set_index("area_code")["district"]
    pd.testing.assert_series_equal(areas["district_code"].astype(str), expected, check_names=False)
    assert tiny.report("areas")["counts"]["areas"] == 12


def test_authorities_without_crs(tiny: TinyRun) -> None:
    """(a) An ONS TopoJSON of authorities (never a CRS) without ``authorities.crs`` stops."""
    path = tiny.raw / "authorities.topojson"
    path.write_bytes((FIXTURES / "authorities.topojson").read_bytes())
    tiny.configure(
        authorities={
            "path": path.name,
            "layers": {"district": {"layer": "ltla"}},
        },
        hierarchy={"district": {"source": "overlay", "column": DELETE}},
    )
    assert_stops(
        tiny.cli("areas"),
        f"Authorities file (district layer) {path} (layer ltla) has 1 problem",
        "no coordinate reference system (CRS) is declared",
        "ONS TopoJSON and GeoJSON are 'EPSG:4326'",
    )


def test_invalid_geometry_is_repaired_and_counted(tiny: TinyRun) -> None:
    """(b) Policy: an invalid polygon (a bow tie) is repaired with make_valid and counted."""
    areas = grid_areas()
    left, bottom, right, top = areas.geometry[4].bounds
    areas.loc[4, "geometry"] = Polygon([(left, bottom), (right, top), (right, bottom), (left, top)])
    path = tiny.write_areas(areas)
    output = run_through(tiny, "hotspots", quiet=False)
    report = tiny.report("areas")
    assert report["counts"]["geometries_repaired"] == 1
    assert f"1 invalid geometries repaired in {path} (layer areas)" in report["notes"]
    assert "Note: 1 invalid geometries repaired" in output
    repaired = gpd.read_parquet(tiny.paths[r.AREAS]).set_index("area_code").loc["E02005381"]
    assert repaired.geometry.is_valid
    assert repaired.geometry.area == pytest.approx(5_000)


def test_empty_geometry_is_dropped_and_counted(tiny: TinyRun) -> None:
    """(b) Policy: a feature with an empty geometry is dropped, named and counted.

    Its employment rows stay in the table, outside the boundaries (reported too).
    """
    areas = grid_areas()
    areas.loc[8, "geometry"] = None
    path = tiny.write_areas(areas)
    output = run_through(tiny, "hotspots", quiet=False)
    report = tiny.report("areas")
    assert report["counts"]["empty_geometries_dropped"] == 1
    assert report["counts"]["areas"] == 11
    assert (
        f"1 features with empty geometry dropped from {path} (layer areas): E02005385"
        in report["notes"]
    )
    assert any(note.startswith("1 areas in employment.csv are not in") for note in report["notes"])
    assert "Note: 1 features with empty geometry dropped" in output
    assert "E02005385" not in set(pd.read_parquet(tiny.paths[r.HOTSPOTS])["area_code"].astype(str))


def test_multipolygon_area_is_one_area(tiny: TinyRun) -> None:
    """(b) Policy: a multi-part area is one area, with the neighbours of all its parts.

    A corner area split in two by a 10 m channel stays one feature and one row of results, and
    keeps its three neighbours. (Several features sharing one code are an error instead.)
    """
    areas = grid_areas()
    left, bottom, right, top = areas.geometry[8].bounds
    areas.loc[8, "geometry"] = MultiPolygon(
        [box(left, bottom, right, bottom + 45), box(left, bottom + 55, right, top)]
    )
    tiny.write_areas(areas)
    run_through(tiny, "hotspots")
    assert tiny.report("areas")["counts"]["areas"] == 12
    stored = gpd.read_parquet(tiny.paths[r.AREAS]).set_index("area_code")
    assert stored.loc["E02005385"].geometry.geom_type == "MultiPolygon"
    assert stored.loc["E02005385", "area_km2"] == pytest.approx(0.009)
    audit = pd.read_parquet(tiny.paths[r.WEIGHTS_AUDIT]).set_index("area_code")
    assert audit.loc["E02005385", "n_neighbours"] == 3
    assert len(hotspot_rows(tiny, "C")) == 12


def test_points_instead_of_polygons(tiny: TinyRun) -> None:
    """(a) Population-weighted centroids downloaded instead of boundaries stop the run."""
    areas = grid_areas()
    centroids = areas.set_geometry([Point(g.centroid.x, g.centroid.y) for g in areas.geometry])
    path = tiny.write_areas(centroids)
    assert_stops(
        tiny.cli("areas"),
        str(path),
        "12 features are Point rather than polygons (E02005377, E02005378",
        "use the boundary polygons",
    )


# -- places: coordinates misread, areas drawn twice, tiers that disagree -----------------------


def _swap_axes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_geometry(shapely.transform(frame.geometry.to_numpy(), lambda xy: xy[:, ::-1]))


def test_longitude_and_latitude_swapped(tiny: TinyRun) -> None:
    """(a) Areas in degrees with x and y swapped stop, saying so (not as areas at sea)."""
    path = tiny.write_areas(_swap_axes(grid_areas().to_crs("EPSG:4326")))
    assert_stops(
        tiny.cli("areas"),
        f"Areas file {path} (layer areas) has 1 problem",
        "longitude and latitude are swapped: x runs over British latitudes",
        "Export the file with x as longitude and y as latitude",
    )


def test_degrees_declared_as_british_national_grid(tiny: TinyRun) -> None:
    """(a) Degrees in a file that declares EPSG:27700 stop; ``crs: EPSG:4326`` reads them.

    Read as metres, the grid would be a few metres across, every area a neighbour of every
    other, and the hot-spot stage would suggest shorter distances: the wrong cure.
    """
    degrees = grid_areas().to_crs("EPSG:4326").set_crs("EPSG:27700", allow_override=True)
    path = tiny.write_areas(degrees)
    assert_stops(
        tiny.cli("areas"),
        str(path),
        "look like longitude and latitude in degrees, but the file declares EPSG:27700",
        "Set 'crs' to 'EPSG:4326' for this file in the config",
    )
    tiny.configure(areas={"crs": "EPSG:4326"})
    run_through(tiny, "areas")
    areas = gpd.read_parquet(tiny.paths[r.AREAS])
    assert areas.area.to_numpy() == pytest.approx(10_000, rel=1e-6)


def test_areas_outside_great_britain(tiny: TinyRun) -> None:
    """(a) Areas outside British National Grid's area stop: all of them (a wrong CRS) or some.

    A layer 2,000 km east of Derby is read in a CRS it is not in; two areas in France among
    British ones are areas of another country.
    """
    areas = grid_areas()
    path = tiny.write_areas(areas.set_geometry(areas.geometry.translate(2_000_000, 0)))
    assert_stops(
        tiny.cli("areas"),
        str(path),
        "every feature lies outside British National Grid's area",
        "The file's CRS is probably not the one it is read in (EPSG:27700)",
    )
    french = gpd.GeoDataFrame(
        {"area_code": ["FR0001", "FR0002"], "district": HINCKLEY, "region": EAST_MIDLANDS},
        geometry=[box(650_000 + 100 * i, 30_000, 650_100 + 100 * i, 30_100) for i in range(2)],
        crs="EPSG:27700",
    ).to_crs("EPSG:4326")
    french = french.set_geometry(french.geometry.translate(2.5, -0.5)).to_crs("EPSG:27700")
    tiny.write_areas(pd.concat([areas, french], ignore_index=True))
    assert_stops(
        tiny.cli("areas"),
        "2 features lie outside British National Grid's area (longitude -9.0 to 2.0",
        "FR0001, FR0002",
        "remove features of other places from the file",
    )


def test_degenerate_polygon_is_dropped_not_analysed(tiny: TinyRun) -> None:
    """(b) Policy: a polygon whose corners lie on one line has no area once repaired.

    It is dropped and named like an empty geometry, never analysed as an area of no size: its
    employment rows fall outside the boundaries.
    """
    areas = grid_areas()
    left, bottom, right, _top = areas.geometry[4].bounds
    areas.loc[4, "geometry"] = Polygon([(left, bottom), (right, bottom), (left + 50, bottom)])
    path = tiny.write_areas(areas)
    output = run_through(tiny, "hotspots", quiet=False)
    report = tiny.report("areas")
    assert report["counts"]["degenerate_geometries_dropped"] == 1
    assert report["counts"]["geometries_repaired"] == 0
    assert report["counts"]["areas"] == 11
    note = (
        "1 features have no area (degenerate polygons: every corner on one line, or a ring "
        f"folded onto itself) and were dropped from {path} (layer areas): E02005381"
    )
    assert note in report["notes"]
    assert f"Note: {note}" in output
    assert "E02005381" not in set(pd.read_parquet(tiny.paths[r.HOTSPOTS])["area_code"].astype(str))


def test_identical_polygons_under_two_codes(tiny: TinyRun) -> None:
    """(a) One outline under two codes (2011 and 2021 in one file) stops, naming both codes."""
    areas = grid_areas()
    twin = areas.iloc[[3]].assign(area_code=MSOA_2021_NEW[0])
    # The copy's ring starts at another corner: still the same outline.
    twin = twin.set_geometry(
        twin.geometry.map(lambda g: shapely.Polygon(g.exterior.coords[2:] + g.exterior.coords[1:3]))
    )
    path = tiny.write_areas(pd.concat([areas, twin], ignore_index=True))
    tiny.write_employment(csv_text(TIDY_HEADER, tidy_rows([*MSOA_2011, MSOA_2021_NEW[0]])))
    assert_stops(
        tiny.cli("areas"),
        f"Areas file {path} has 1 problem",
        "1 outlines are drawn more than once under different codes (E02005380 = E02006935)",
        "two vintages (2011 and 2021 codes)",
    )


def test_tiers_that_do_not_nest(tiny: TinyRun) -> None:
    """(a) A district whose areas fall in two counties stops, naming it and the counties.

    The districts and counties come from sources that disagree (here two attribute columns,
    as when a lookup of one year meets polygons of another): governance flags would
    contradict each other.
    """
    areas = grid_areas()
    areas["county"] = ["E10000018" if i < 8 else "E10000031" for i in range(12)]
    tiny.write_areas(areas)
    tiny.configure(hierarchy={"county": {"source": "attribute", "column": "county"}})
    assert_stops(
        tiny.cli("areas"),
        "the tiers do not nest: 2 districts lie in more than one county",
        "E07000132 (E10000018: 4 areas, E10000031: 2 areas)",
        "Take the tiers from one source of one vintage",
    )


def test_authority_polygons_that_miss_the_areas(tiny: TinyRun) -> None:
    """(a) District polygons 50 km away stop, saying they reach none of the areas and where
    each lies; polygons that stop short are told apart from areas outside every polygon.
    (b) Combined-authority polygons that reach no area are normal (outside all) but warned.
    """
    far = _polygons(DISTRICTS)
    _authorities(tiny, {"district": far.set_geometry(far.geometry.translate(50_000, 0))})
    assert_stops(
        tiny.cli("areas"),
        "12 areas belong to no district",
        "The district polygons reach none of the areas: they span easting 490,000 to 490,400",
        "the areas easting 440,000 to 440,400",
    )
    short = [(HINCKLEY, "Hinckley", 0, 200), (NW_LEICS, "NW Leics", 200, 340)]
    _authorities(tiny, {"district": _polygons(short)})
    assert_stops(
        tiny.cli("areas"),
        "3 areas belong to no district: E02005380, E02005384, E02005388",
        "3 are covered only in part",
        "E02005380 40%",
        "authority polygons that stop short of the coast",
    )
    tiny.configure(
        authorities=DELETE, hierarchy={"district": {"source": "attribute", "column": "district"}}
    )
    far_ca = _polygons([("E47000099", "A Combined Authority", 0, 400)])
    _authorities(
        tiny, {"combined_authority": far_ca.set_geometry(far_ca.geometry.translate(0, 80_000))}
    )
    output = run_through(tiny, "areas", quiet=False)
    warning = "no combined authority polygon reaches any of the 12 areas"
    assert f"WARNING {warning}" in output
    assert any(note.startswith(warning) for note in tiny.report("areas")["notes"])


# -- configuration ---------------------------------------------------------------------------


def line_of(path: Path, text: str) -> int:
    """The line (from 1) of ``path`` holding ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_config_with_an_unknown_key(tiny: TinyRun) -> None:
    """(a) A misspelt key is named with its line, never silently ignored."""
    config = tiny.configure(hotspots={"permutation": 999})
    line = line_of(config, "permutation: 999")
    assert_stops(
        tiny.cli("ingest"),
        f"Config {config} has 1 problem",
        f"unknown key 'hotspots.permutation' (line {line}): remove it or check its spelling "
        "(did you mean 'permutations'?)",
    )


def test_config_with_a_wrong_type(tiny: TinyRun) -> None:
    """(a) A value of the wrong type is named with its line and what was given."""
    config = tiny.configure(hotspots={"permutations": "many"})
    assert_stops(
        tiny.cli("ingest"),
        f"Config {config} has 1 problem",
        f"'hotspots.permutations' (line {line_of(config, 'permutations: many')}): Input should "
        "be a valid integer",
        "(got 'many')",
    )


def test_config_giving_a_key_twice(tiny: TinyRun) -> None:
    """(a) A section written twice stops, naming both lines: YAML would keep only the last.

    A second ``hotspots:`` pasted at the end of the file would silently replace the first
    (its permutations and weights); the message names both lines.
    """
    config = tiny.configure()
    first = line_of(config, "hotspots:")
    text = config.read_text(encoding="utf-8") + "hotspots:\n  seed: 7\n"
    config.write_text(text, encoding="utf-8")
    last = len(text.splitlines()) - 1
    assert_stops(
        tiny.cli("ingest"),
        f"Config {config} gives the key 'hotspots' twice (lines {first} and {last})",
        "give each key once",
    )


@pytest.mark.parametrize(
    ("section", "key", "written", "expected"),
    [
        ("hotspots", "permutations", "yes", "a valid integer"),
        ("clusters", "min_lq", "true", "a valid number"),
        ("concentration", "min_area_employment", "on", "a valid number"),
        ("clusters", "include_non_traded", "1", "a valid boolean"),
    ],
)
def test_config_values_are_never_coerced(
    tiny: TinyRun, section: str, key: str, written: str, expected: str
) -> None:
    """(a) ``permutations: yes`` is not 1, ``min_lq: true`` is not 1.0, ``1`` is not true.

    YAML reads ``yes``, ``on`` and ``true`` as true; a lax reading would make that 1 (one
    permutation: p-values of 0.5 at best) or an LQ threshold of 1.0, and hide the mistake.
    Each stops, naming the key and its line.
    """
    config = tiny.configure(**{section: {key: 12345}})
    config.write_text(
        config.read_text(encoding="utf-8").replace(f"{key}: 12345", f"{key}: {written}"),
        encoding="utf-8",
    )
    line = line_of(config, f"{key}: {written}")
    message = assert_stops(
        tiny.cli("ingest"), f"'{section}.{key}' (line {line}): Input should be {expected}"
    )
    if written != "1":
        assert "YAML reads yes, no, on, off, true and false as true or false" in message


def test_cluster_definition_given_twice(tiny: TinyRun) -> None:
    """(a) Two definitions under one key stop, naming both lines: the last would win silently."""
    definitions = tiny.root / "clusters.yaml"
    definitions.write_text(
        "clusters:\n"
        "  manufacturing:\n    label: Manufacturing\n    sic: [C]\n"
        "  manufacturing:\n    label: Digital\n    sic: [J]\n",
        encoding="utf-8",
    )
    assert_stops(
        tiny.cli("ingest"),
        f"Cluster definitions file {definitions} gives the key 'clusters.manufacturing' twice "
        "(lines 2 and 5)",
    )


def test_anchor_site_given_twice(tiny: TinyRun) -> None:
    """(a) Two sites under one key stop at governance, naming both lines."""
    sites = tiny.raw / "sites.yaml"
    site = f"    name: Works\n    easting: {GRID_X0 + 150}\n    northing: {GRID_Y0 + 150}\n"
    sites.write_text(
        f"sites:\n  works:\n{site}    sic: [C]\n  works:\n{site}    sic: [J]\n",
        encoding="utf-8",
    )
    tiny.configure(governance={"sites": "sites.yaml"})
    run_through(tiny, "clusters")
    assert_stops(
        tiny.cli("governance"),
        f"Anchor-site registry {sites} gives the key 'sites.works' twice (lines 2 and 7)",
    )


# -- confinement: names that become file names -------------------------------------------------


def test_run_name_that_is_a_path(tiny: TinyRun) -> None:
    """(a) A run name holding a path separator stops at the config: it names files."""
    config = tiny.configure(name="../../elsewhere")
    assert_stops(
        tiny.cli("ingest"),
        f"Config {config} has 1 problem",
        f"'name' (line {line_of(config, 'name: ../../elsewhere')}): holds '/': it becomes part "
        "of file names",
    )


def test_site_and_definition_keys_cannot_leave_the_output_folder(tiny: TinyRun) -> None:
    """(a) A site key or definition key with ``../`` stops before any figure is written.

    Site keys name ``figures/site_<key>.png`` and definition keys ``figures/lq_<key>.png``;
    ``../`` in one would write outside the output folder.
    """
    (tiny.raw / "sites.yaml").write_text(
        "sites:\n"
        "  ../../../escaped:\n    name: Grid Works\n"
        f"    easting: {GRID_X0 + 150}\n    northing: {GRID_Y0 + 150}\n"
        "    buffer_km: 0.05\n    sic: ['C']\n",
        encoding="utf-8",
    )
    tiny.configure(governance={"sites": "sites.yaml"})
    run_through(tiny, "clusters")
    assert_stops(
        tiny.cli("governance"),
        "site key '../../../escaped' holds '/': it becomes part of file names",
    )
    (tiny.root / "clusters.yaml").write_text(
        "clusters:\n  ../escaped:\n    label: Manufacturing\n    sic: [C]\n", encoding="utf-8"
    )
    assert_stops(tiny.cli("ingest", "--force"), "key '../escaped' must be lower case letters")
    assert not list(tiny.root.parent.glob("**/*escaped*"))


def test_config_naming_a_missing_input(tiny: TinyRun) -> None:
    """(a) An input path that does not exist is listed with where relative paths start."""
    config = tiny.configure(employment={"path": "bres_2022.csv"})
    assert_stops(
        tiny.cli("ingest"),
        f"1 input file named in {config}",
        f"  - employment: {tiny.raw / 'bres_2022.csv'}",
        f"the data directory {tiny.raw}",
        "Fix the paths or download the files",
    )


# -- authorities and governance --------------------------------------------------------------


def test_overlapping_authority_polygons(tiny: TinyRun) -> None:
    """(a) Districts overlapping by more than a sliver (two vintages in one layer) stop."""
    path = _authorities(
        tiny,
        {
            "district": _polygons(
                [(HINCKLEY, "Hinckley and Bosworth", 0, 200), (NW_LEICS, "NW Leics", 100, 400)]
            )
        },
    )
    assert_stops(
        tiny.cli("areas"),
        f"Authorities file {path} (layer district) has district polygons that overlap",
        "E07000132 and E07000134 (50% of the smaller)",
        "set authorities.year to the vintage you want",
    )


def test_sliver_overlaps_between_authorities_are_noted(tiny: TinyRun) -> None:
    """(b) Policy: slivers between generalised authorities are noted; areas go by majority."""
    slivers = [(HINCKLEY, "Hinckley", 0, 200.5), (NW_LEICS, "NW Leics", 199.5, 400)]
    _authorities(tiny, {"district": _polygons(slivers)})
    output = run_through(tiny, "areas", quiet=False)
    note = (
        "1 pairs of district polygons in layer district overlap by slivers (generalised "
        "boundaries); areas are assigned by majority"
    )
    assert note in tiny.report("areas")["notes"]
    assert f"Note: {note}" in output
    areas = gpd.read_parquet(tiny.paths[r.AREAS]).set_index("area_code")
    assert (areas["district_code"] == grid_areas().set_index("area_code")["district"]).all()


def test_areas_in_no_combined_authority_are_kept_and_noted(tiny: TinyRun) -> None:
    """(b) Policy: areas outside every combined authority are normal; counted in a note."""
    _authorities(
        tiny, {"combined_authority": _polygons([("E47000099", "A Combined Authority", 0, 200)])}
    )
    tiny.configure(
        hierarchy={
            "district": {"source": "attribute", "column": "district"},
            "region": {"source": "attribute", "column": "region"},
        }
    )
    output = run_through(tiny, "areas", quiet=False)
    note = "6 areas are in no combined authority (outside all)"
    assert note in tiny.report("areas")["notes"]
    assert f"Note: {note}" in output
    areas = gpd.read_parquet(tiny.paths[r.AREAS]).set_index("area_code")
    assert areas["combined_authority_code"].isna().sum() == 6


def test_areas_in_no_district_stop_the_run(tiny: TinyRun) -> None:
    """(a) Every area needs a district (and a region): areas in none are listed."""
    _authorities(tiny, {"district": _polygons([(HINCKLEY, "Hinckley and Bosworth", 0, 200)])})
    assert_stops(
        tiny.cli("areas"),
        f"Areas {tiny.raw / 'areas.gpkg'} has 1 problem",
        "6 areas belong to no district: E02005379, E02005380, E02005383, E02005384, E02005387, "
        "E02005388",
        "Check that the overlay source for 'district' covers every area",
    )


def test_lookup_giving_an_area_two_districts(tiny: TinyRun) -> None:
    """(a) A lookup listing an area under two districts (a non-nesting lookup) stops, naming it."""
    rows = [[code, HINCKLEY, "Hinckley and Bosworth"] for code in MSOA_2011]
    rows.append(["E02005377", NW_LEICS, "North West Leicestershire"])
    (tiny.raw / "districts.csv").write_text(
        csv_text(["area_code", "lad_code", "lad_name"], rows), encoding="utf-8"
    )
    tiny.configure(
        hierarchy={
            "district": {
                "source": "lookup",
                "path": "districts.csv",
                "key_column": "area_code",
                "column": "lad_code",
                "name_column": "lad_name",
            }
        }
    )
    assert_stops(
        tiny.cli("areas"), str(tiny.raw / "districts.csv"), "E02005377", "E07000132", "E07000134"
    )


def test_anchor_site_outside_the_study_area(tiny: TinyRun) -> None:
    """(b) Policy: a registered site beyond the run's areas is listed, not assessed, not an error.

    Its status is ``outside_study_area``; the log names it and the governance report counts
    the sites assessed.
    """
    (tiny.raw / "sites.yaml").write_text(
        "sites:\n"
        "  works:\n    name: Grid Works\n"
        f"    easting: {GRID_X0 + 150}\n    northing: {GRID_Y0 + 150}\n"
        "    buffer_km: 0.05\n    sic: ['C']\n"
        "  far_park:\n    name: Far Park\n    easting: 300000\n    northing: 500000\n"
        "    buffer_km: 1\n    sic: ['29']\n",
        encoding="utf-8",
    )
    tiny.configure(governance={"sites": "sites.yaml"})
    output = run_through(tiny, "governance", quiet=False)
    report = tiny.report("governance")
    assert report["sites_assessed"] == 1
    assert report["sites"]["far_park"]["status"] == "outside_study_area"
    assert report["sites"]["works"]["status"] == "inside_study_area"
    assert "1 anchor sites lie outside the study area and are not assessed: Far Park" in output
    authorities = pd.read_parquet(tiny.paths[r.SITE_AUTHORITIES])
    assert "far_park" not in set(authorities["site_key"])


_ALL_TIERS = {
    "district": {"source": "attribute", "column": "district"},
    "county": {"source": "attribute", "column": "county"},
    "combined_authority": {"source": "attribute", "column": "combined_authority"},
    "region": {"source": "attribute", "column": "region"},
}
#: Each tier's flags on a finding or site, and what they are for the run below.
_TIER_FLAGS: dict[str, dict[str, object]] = {
    "district": {"straddles_districts": True, "lead_share": pytest.approx(0.5, abs=0.01)},
    "county": {"straddles_counties": True},
    "combined_authority": {"ca_status": "partly_outside_ca"},
    "region": {"straddles_regions": False},
}


@pytest.mark.parametrize("removed", ["district", "county", "combined_authority", "region", "all"])
def test_every_tier_is_optional(tiny: TinyRun, removed: str) -> None:
    """(b) A run without any one tier (Wales, Scotland, district + region set-ups), or without
    any, goes through publish with an anchor site, and each finding and site has the flags of
    the tiers it has, no others.

    One concentration and one site straddle the line between the grid's two districts, which
    here are in two counties, the western one in a combined authority. Without districts the
    upper tier is the county where an area has one (a run with counties but no districts), so
    the finding still straddles counties.
    """
    areas = grid_areas()
    west = np.arange(len(areas)) % 4 <= 1
    areas["county"] = np.where(west, "E10000018", "E10000099")
    areas["combined_authority"] = np.where(west, "E47000001", "")
    tiny.write_areas(areas)
    # Areas 5 and 6, either side of the district line, hold nearly all of the manufacturing.
    hot = {5, 6}
    rows = [
        [code, industry, str(value)]
        for index, code in enumerate(MSOA_2011)
        for industry, value in {
            "C": 5_000 + index if index in hot else 10 + index,
            "F": 1_000 if index in hot else 3_000 + 11 * index,
            "J": 1_000 if index in hot else 3_000 - 7 * index,
        }.items()
    ]
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    (tiny.raw / "sites.yaml").write_text(
        "sites:\n  works:\n    name: Grid Works\n"
        f"    easting: {GRID_X0 + 2 * GRID_SIDE}\n    northing: {GRID_Y0 + 1.5 * GRID_SIDE}\n"
        "    buffer_km: 0.08\n    sic: ['C']\n",
        encoding="utf-8",
    )
    tiny.settings["hierarchy"] = {
        tier: source for tier, source in _ALL_TIERS.items() if removed not in (tier, "all")
    }
    tiny.configure(governance={"sites": "sites.yaml"})

    run_through(tiny, "publish")

    expected = {
        flag: value
        for tier, flags in _TIER_FLAGS.items()
        if removed not in (tier, "all")
        for flag, value in flags.items()
    }
    absent = {flag for flags in _TIER_FLAGS.values() for flag in flags} - set(expected)
    findings = pd.read_parquet(tiny.paths[r.GOVERNED_CLUSTERS])
    sites = pd.read_parquet(tiny.paths[r.SITES])
    assert len(findings) == 1
    for table in (findings, sites):
        assert table.iloc[0][list(expected)].to_dict() == expected
        assert not absent & set(table.columns)
    assert tiny.report("governance")["sites_assessed"] == 1
    assert pyogrio.read_info(tiny.paths[r.GEOPACKAGE], layer="clusters")["features"] == 1
    assert "Grid Works" in tiny.paths[r.REPORT_MD].read_text(encoding="utf-8")


# -- outputs ---------------------------------------------------------------------------------


def _assert_whole_geopackage(path: Path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    layers = {str(name) for name in pyogrio.list_layers(path)[:, 0]}
    assert {"areas_lq", "hotspots", "clusters", "layer_styles"} <= layers
    assert pyogrio.read_info(path, layer="areas_lq")["features"] == 12


def test_truncated_geopackage_from_an_earlier_run_is_replaced(tiny: TinyRun) -> None:
    """(b) Policy: outputs are written whole under a temporary name and renamed into place.

    A clustergeo.gpkg cut short by an earlier crash is replaced cleanly by ``publish``, and
    ``run`` sees that it changed since its record and publishes again.
    """
    run_through(tiny, "publish")
    gpkg = tiny.paths[r.GEOPACKAGE]
    _assert_whole_geopackage(gpkg)
    gpkg.write_bytes(gpkg.read_bytes()[:4096])
    assert_runs(tiny.cli("publish"))
    _assert_whole_geopackage(gpkg)

    gpkg.write_bytes(gpkg.read_bytes()[:4096])
    output = assert_runs(tiny.cli("run", quiet=False))
    assert "Stage publish: runs because" in output
    _assert_whole_geopackage(gpkg)
    assert not [p.name for p in gpkg.parent.iterdir() if ".partial" in p.name]


@pytest.fixture
def unwritable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Make a folder unwritable: by its mode, or (as root, who ignores modes) by refusing it."""
    import clustergeo.io

    chmodded: list[Path] = []
    real_mkstemp = clustergeo.io.tempfile.mkstemp
    refused: list[Path] = []

    def refusing_mkstemp(*args: Any, **kwargs: Any) -> Any:
        folder = Path(kwargs.get("dir") or ".").resolve()
        if any(folder == f or f in folder.parents for f in refused):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real_mkstemp(*args, **kwargs)

    def make_unwritable(folder: Path) -> None:
        if os.geteuid() == 0:
            refused.append(folder.resolve())
            monkeypatch.setattr(clustergeo.io.tempfile, "mkstemp", refusing_mkstemp)
        else:
            folder.chmod(0o555)
            chmodded.append(folder)

    yield make_unwritable
    for folder in chmodded:
        folder.chmod(0o755)


def test_read_only_output_folder(tiny: TinyRun, unwritable: Any) -> None:
    """(a) An output folder that cannot be written stops, naming the file; old outputs stay."""
    run_through(tiny, "areas")
    target = tiny.paths[r.AREAS]
    before = target.read_bytes()
    unwritable(target.parent)
    assert_stops(
        tiny.cli("areas", "--force"),
        f"Cannot write {target}: the folder is not writable (Permission denied)",
        "Choose another output folder in the config or fix its permissions",
    )
    assert target.read_bytes() == before


def test_full_disk_while_writing_the_geopackage(
    tiny: TinyRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(a) A full disk stops the publish naming the GeoPackage; the previous one stays whole."""
    run_through(tiny, "publish")
    gpkg = tiny.paths[r.GEOPACKAGE]
    before = gpkg.read_bytes()
    real_write = pyogrio.write_dataframe
    calls = {"n": 0}

    def filling_write(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(*args, **kwargs)

    monkeypatch.setattr(publish.pyogrio, "write_dataframe", filling_write)
    assert_stops(
        tiny.cli("publish", "--force"),
        f"No space left on the device while writing {gpkg}: free some space and re-run.",
    )
    assert gpkg.read_bytes() == before
    assert not [p.name for p in gpkg.parent.iterdir() if ".partial" in p.name]


@pytest.fixture
def file_size_limit() -> Iterator[Any]:
    """Let the test cap the size of files this process writes (a disk filling up)."""
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)

    def limit(size: int | None) -> None:
        """Cap files at ``size`` bytes; ``None`` lifts the cap again."""
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (old_limit[0] if size is None else size, old_limit[1])
        )

    try:
        yield limit
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)


def test_disk_filling_up_inside_gdal(tiny: TinyRun, file_size_limit: Any) -> None:
    """(a) When GDAL itself cannot write the GeoPackage, the run stops with an OutputError.

    Not simulated in Python: the process may write only 64 KiB per file, so SQLite fails as on
    a full disk. The previous GeoPackage must stay whole.
    """
    run_through(tiny, "publish")
    gpkg = tiny.paths[r.GEOPACKAGE]
    before = gpkg.read_bytes()
    file_size_limit(64 * 1024)
    result = tiny.cli("publish", "--force")
    file_size_limit(None)
    assert gpkg.read_bytes() == before
    assert_stops(result, f"Cannot write {gpkg}")


# -- real-world downloads: cut, mixed, European, implausible, odd encodings ---------------------


def test_download_cut_mid_row_is_not_read_as_suppressed_cells(tiny: TinyRun) -> None:
    """(a) A table cut mid-row (an interrupted download) stops; its missing cells are not
    read as suppressed ones."""
    text = csv_text(TIDY_HEADER, tidy_rows())
    cut = text[: text.index("E02005386")] + "E02005386,C"
    path = tiny.write_employment(cut)
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path} has 1 problem",
        "the file ends in the middle of a row (its last line, 29, has 2 of 3 fields)",
        "the download was interrupted",
    )


def test_census_download_cut_mid_row(tiny: TinyRun) -> None:
    """(a) A WP605EW web download cut inside its fourth area row stops instead of moving LQs."""
    text = (FIXTURES / "wp605ew_web.csv").read_text(encoding="utf-8")
    path = tiny.write_employment(text[: text.index("E02005380") + 60], name="wp605ew.csv")
    tiny.configure(employment={"format": "nomis_census_wide"})
    assert_stops(tiny.cli("ingest"), f"Employment file {path}", "download was interrupted")


def test_row_short_of_fields_in_the_middle_is_damage(tiny: TinyRun) -> None:
    """(a) A row with fewer fields than the header, not at the end, is a damaged file."""
    lines = csv_text(TIDY_HEADER, tidy_rows()).splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0]
    path = tiny.write_employment("\n".join(lines) + "\n")
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path}",
        "line 6 has fewer fields than the header's 3",
        "an empty field must still be written, as ',,'",
    )


def test_notes_below_the_table_after_an_empty_line_are_named_by_their_lines(
    tiny: TinyRun,
) -> None:
    """(a) Empty lines hold no row, yet lines after them are named as an editor numbers them:
    a bad value after an empty line, and notes below the table after another."""
    lines = csv_text(TIDY_HEADER, tidy_rows()).splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",lots"
    text = "\n".join([*lines[:2], "", *lines[2:], "", "Source: ONS", "[c] confidential"])
    path = tiny.write_employment(text + "\n")
    n = len(lines) + 1
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path}",
        f"lines {n + 2}, {n + 3} below the table have fewer fields than the header's 3: notes "
        "below the table (remove them)",
    )
    path.write_text("\n".join([*lines[:2], "", *lines[2:]]) + "\n", encoding="utf-8")
    assert_stops(tiny.cli("ingest"), "non-numeric employment on line 4 (values lots)")
    # A last data row whose empty last cell lost its separator (as Excel writes it) is no note.
    lines[-1] = lines[-1].rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_stops(
        tiny.cli("ingest"),
        f"line {len(lines)} has fewer fields than the header's 3",
        "an empty field must still be written, as ',,'",
    )


def mixed_level_rows() -> list[list[str]]:
    """Tidy rows with section C and its divisions 10-33 (the section's count split across them)."""
    rows = []
    for area, industry, value in tidy_rows():
        rows.append([area, industry, value])
        if industry == "C":
            divisions = [f"{d}" for d in range(10, 34)]
            share, rest = divmod(int(value), len(divisions))
            rows += [
                [area, division, str(share + (rest if i == 0 else 0))]
                for i, division in enumerate(divisions)
            ]
    return rows


def test_sections_with_their_divisions_are_refused(tiny: TinyRun) -> None:
    """(a) A Nomis selection of sections and their divisions is not summed twice: it stops."""
    path = tiny.write_employment(csv_text(TIDY_HEADER, mixed_level_rows()))
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path} mixes industry levels: C contains 10, 11, 12",
        "count the same jobs twice",
        "employment.mixed_levels",
    )


def test_mixed_levels_keep_the_sections_when_asked(tiny: TinyRun) -> None:
    """(b) Policy: with ``mixed_levels: sections`` manufacturing is counted once (100, not 200)."""
    run_through(tiny, "concentration")
    expected = pd.read_parquet(tiny.paths[r.LQ])
    tiny.write_employment(csv_text(TIDY_HEADER, mixed_level_rows()), name="mixed.csv")
    tiny.configure(employment={"mixed_levels": "sections"})
    run_through(tiny, "concentration")
    notes = tiny.report("ingest")["notes"]
    assert any("dropped 24 that contain or lie inside them" in note for note in notes), notes
    pd.testing.assert_frame_equal(pd.read_parquet(tiny.paths[r.LQ]), expected)


def test_ambiguous_european_numbers_are_refused(tiny: TinyRun) -> None:
    """(a) ``5.400`` in a ``;`` file could be 5.4 or 5,400: the run stops and asks which."""
    rows = [
        [a, i, f"{int(v) // 1000}.{int(v) % 1000:03d}" if int(v) >= 1000 else v]
        for a, i, v in tidy_rows()
    ]
    rows[0][2] = "5.400"
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows, delimiter=";"))
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path}",
        "read differently in UK notation (5.400 = 5.4) and European notation (5.400 = 5400)",
        "employment.number_format",
    )


def test_thousands_point_in_a_comma_file_is_refused(tiny: TinyRun) -> None:
    """(a) ``1.487`` among whole numbers in a comma-separated file could be 1.487 or 1,487 typed
    with a European thousands point: the run stops and asks which, rather than read 1.487."""
    rows = [[a, i, v] for a, i, v in tidy_rows()]
    rows[0][2] = "1.487"
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows))
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path}",
        "numbers such as 1.487 among whole numbers such as ",
        "could be decimals (1.487) or thousands written with a point (1487)",
        "employment.number_format",
    )


def test_decimal_points_in_a_comma_file_are_decimals(tiny: TinyRun) -> None:
    """(b) Policy: a point only a decimal point explains (``12.25``) says the column uses
    decimals, so ``1.487`` beside it is 1.487; ``number_format: european`` reads it as 1,487."""
    rows = [[a, i, v] for a, i, v in tidy_rows()]
    rows[0][2] = "1.487"
    rows[1][2] = "12.25"
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    run_through(tiny, "ingest")
    employment = pd.read_parquet(tiny.paths[r.EMPLOYMENT]).set_index(["area_code", "industry_code"])
    assert employment.loc[(MSOA_2011[0], "C"), "employment"] == 1.487
    # A thousands comma also says UK notation.
    rows[1][2] = "1,234"
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    run_through(tiny, "ingest")
    rows[1][2] = "12"
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    tiny.configure(employment={"number_format": "european"})
    run_through(tiny, "ingest")
    employment = pd.read_parquet(tiny.paths[r.EMPLOYMENT]).set_index(["area_code", "industry_code"])
    assert employment.loc[(MSOA_2011[0], "C"), "employment"] == 1487


def test_european_numbers_are_read_right(tiny: TinyRun) -> None:
    """(b) Policy: a ``;`` file with decimal commas (``100,5``) is read in European notation,
    so ``5.400`` is 5,400; that is noted."""
    rows = [[a, i, v] for a, i, v in tidy_rows()]
    rows[0][2] = "5.400"
    rows[1][2] = "100,5"
    tiny.write_employment(csv_text(TIDY_HEADER, rows, delimiter=";"))
    run_through(tiny, "ingest")
    employment = pd.read_parquet(tiny.paths[r.EMPLOYMENT]).set_index(["area_code", "industry_code"])
    assert employment.loc[(MSOA_2011[0], "C"), "employment"] == 5400
    assert employment.loc[(MSOA_2011[0], "F"), "employment"] == 100.5
    notes = tiny.report("ingest")["notes"]
    assert any("European notation" in note for note in notes)
    assert any("1 counts are not whole numbers (e.g. 100.5)" in note for note in notes), notes


def test_implausible_count_is_refused(tiny: TinyRun) -> None:
    """(a) A count of 1e300 (more than any area employs) stops, naming the line."""
    rows = tidy_rows()
    rows[3][2] = "1e300"
    path = tiny.write_employment(csv_text(TIDY_HEADER, rows))
    assert_stops(
        tiny.cli("ingest"),
        f"Employment file {path}",
        "implausible values on line 5 (1e+300): above 40,000,000",
    )


def test_fractional_counts_are_kept_and_noted(tiny: TinyRun) -> None:
    """(b) Policy: fractional counts are kept as given and noted (they may be FTEs or a rate)."""
    rows = tidy_rows()
    rows[0][2] = "100.5"
    rows[4][2] = "12.25"
    tiny.write_employment(csv_text(TIDY_HEADER, rows))
    run_through(tiny, "ingest")
    notes = tiny.report("ingest")["notes"]
    assert any(note.startswith("2 counts are not whole numbers") for note in notes), notes
    assert pd.read_parquet(tiny.paths[r.EMPLOYMENT])["employment"].iloc[0] == 100.5


def test_utf16_export_is_read_and_noted(tiny: TinyRun) -> None:
    """(b) Policy: Excel's "Unicode text" export (UTF-16, tab-separated) is read and noted."""
    run_through(tiny, "concentration")
    expected = pd.read_parquet(tiny.paths[r.LQ])
    text = csv_text(TIDY_HEADER, tidy_rows(), delimiter="\t").replace("\n", "\r\n")
    tiny.write_employment(text, name="unicode.txt", encoding="utf-16")
    run_through(tiny, "concentration")
    assert any("UTF-16" in note for note in tiny.report("ingest")["notes"])
    pd.testing.assert_frame_equal(pd.read_parquet(tiny.paths[r.LQ]), expected)


def test_huge_file_of_nul_bytes_stops_without_reading_it(tiny: TinyRun) -> None:
    """(a) A 2 GB file of NUL bytes stops after its first 64 KiB, without reading it whole.

    The file is sparse, so it takes no disk space; the peak memory of the test process stays
    far below the file's size.
    """
    path = tiny.raw / "employment.csv"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert_stops(tiny.cli("ingest"), f"{path} is not a text table: it holds binary data")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 512 * 1024


def test_employment_path_that_is_a_folder(tiny: TinyRun) -> None:
    """(a) An input path naming a folder stops before anything is read, naming the role."""
    (tiny.raw / "downloads").mkdir()
    tiny.configure(employment={"path": "downloads"})
    assert_stops(
        tiny.cli("ingest"), "is a folder, not files", "employment:", "Name the file itself"
    )


def test_employment_pattern_matching_several_files(tiny: TinyRun) -> None:
    """(b) Policy: a pattern reads every file it matches; a table split by industry joins up."""
    run_through(tiny, "concentration")
    expected = pd.read_parquet(tiny.paths[r.LQ])
    rows = tidy_rows()
    tiny.write_employment(csv_text(TIDY_HEADER, rows[::2]), name="part_1.csv")
    tiny.write_employment(csv_text(TIDY_HEADER, rows[1::2]), name="part_2.csv")
    tiny.configure(employment={"path": "part_*.csv"})
    run_through(tiny, "concentration")
    assert "employment_2" in tiny.report("ingest")["inputs"]
    pd.testing.assert_frame_equal(pd.read_parquet(tiny.paths[r.LQ]), expected)


def configure_district_lookup(tiny: TinyRun, name: str) -> None:
    tiny.configure(
        hierarchy={
            "district": {
                "source": "lookup",
                "path": name,
                "key_column": "area_code",
                "column": "lad_code",
                "key": "area",
            }
        }
    )


def test_empty_lookup_csv(tiny: TinyRun) -> None:
    """(a) An empty lookup CSV stops, naming it."""
    (tiny.raw / "districts.csv").write_text("")
    configure_district_lookup(tiny, "districts.csv")
    assert_stops(tiny.cli("areas"), "Lookup file", "districts.csv is empty")


def test_ragged_lookup_csv(tiny: TinyRun) -> None:
    """(a) A lookup CSV whose rows have more fields than its header stops, naming the lines."""
    rows = [[code, HINCKLEY] for code in MSOA_2011]
    rows[2].append("extra")
    (tiny.raw / "districts.csv").write_text(csv_text(["area_code", "lad_code"], rows))
    configure_district_lookup(tiny, "districts.csv")
    assert_stops(tiny.cli("areas"), "districts.csv", "line 4 has more fields than the header's 2")


def test_lookup_path_that_is_a_folder(tiny: TinyRun) -> None:
    """(a) A lookup path naming a folder stops before anything is read."""
    (tiny.raw / "lookups").mkdir()
    configure_district_lookup(tiny, "lookups")
    assert_stops(tiny.cli("ingest"), "is a folder, not files", "lookup_district:")


def test_damaged_parquet_employment(tiny: TinyRun) -> None:
    """(a) A Parquet table cut short stops: damaged or incomplete."""
    frame = pd.DataFrame(tidy_rows(), columns=TIDY_HEADER)
    path = tiny.raw / "employment.parquet"
    frame.to_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    tiny.configure(
        employment={
            "path": "employment.parquet",
            "format": "long",
            "columns": {"area": "area_code", "industry": "industry_code", "value": "employment"},
        }
    )
    assert_stops(tiny.cli("ingest"), f"Employment file {path} is a damaged or incomplete Parquet")


def test_cluster_definition_missing_codes_are_listed(tiny: TinyRun) -> None:
    """(b) Policy: codes of a definition missing from the data are listed; past a share, warned."""
    (tiny.root / "clusters.yaml").write_text(
        "clusters:\n  manufacturing:\n    label: Manufacturing and mining\n    sic: [C, B]\n",
        encoding="utf-8",
    )
    output = run_through(tiny, "ingest", quiet=False)
    assert "Cluster definition 'manufacturing' loses 50% of its codes: B" in output
    coverage = tiny.report("ingest")["cluster_definition_coverage"]
    assert coverage == {
        "manufacturing": {"missing_codes": ["B"], "missing_share": 0.5, "warn": True}
    }
    industries = json.loads(tiny.paths[r.INDUSTRIES].read_text(encoding="utf-8"))
    assert industries["cluster_definition_coverage"] == coverage


def test_measure_and_years_are_reported(tiny: TinyRun) -> None:
    """(b) The measure stated in the config and the table's year are in the ingest report."""
    tiny.configure(employment={"measure": "employees", "year": 2022})
    run_through(tiny, "ingest")
    report = tiny.report("ingest")
    assert report["measure"] == "employees"
    assert report["years"] == [2022]


def test_config_in_windows_1252(tiny: TinyRun) -> None:
    """(a) A config saved as Windows-1252 ("Ynys Môn") stops, naming the line, with no traceback."""
    text = tiny.config_path.read_text(encoding="utf-8")
    tiny.config_path.write_bytes(("description: Ynys Môn\n" + text).encode("cp1252"))
    assert_stops(tiny.cli("ingest"), "is not UTF-8 text (byte 0xf4 on line 1", "Save it as UTF-8")


# -- odd but valid inputs: a property ---------------------------------------------------------

_SECTIONS = ("C", "F", "J")


@st.composite
def odd_tables(draw: st.DrawFn) -> dict[str, Any]:
    """A valid run written in one of the many ways real downloads come.

    Row order, the spelling of codes (case, spaces around them), the delimiter, line endings
    and a byte-order mark vary; an industry may employ nobody anywhere, a pair may be left out
    (a zero), and any tiers may be configured.
    """
    counts = {
        (code, section): draw(st.integers(0, 4_000)) for code in MSOA_2011 for section in _SECTIONS
    }
    idle = draw(st.sampled_from([None, *_SECTIONS]))
    if idle is not None:
        counts = {key: 0 if key[1] == idle else value for key, value in counts.items()}
    left_out = draw(st.sets(st.sampled_from(sorted(counts)), max_size=6))
    spellings = st.sampled_from(["{}", " {} ", "{} "])
    rows = [
        [
            draw(spellings).format(code),
            draw(st.sampled_from(["{}", "{} ", " {}"])).format(
                draw(st.sampled_from([section, section.lower()]))
            ),
            str(value),
        ]
        for (code, section), value in counts.items()
        if (code, section) not in left_out
    ]
    return {
        "rows": draw(st.permutations(rows)),
        "expected": {key: value for key, value in counts.items() if key not in left_out},
        "delimiter": draw(st.sampled_from([",", ";", "\t"])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "bom": draw(st.booleans()),
        "tiers": draw(st.sets(st.sampled_from(sorted(_ALL_TIERS)))),
    }


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=odd_tables())
def test_odd_valid_tables_run_with_conserved_totals_or_stop_clearly(case: dict[str, Any]) -> None:
    """A run on any odd-but-valid table either succeeds with every job kept or stops clearly.

    Never a traceback. On success: each area x industry count is the one written (absent
    pairs are zero), each area's total and each industry's total are the table's, and against
    its own study area every industry's employment-weighted mean LQ is 1 (the definition of
    the reference share, Sum_i e_ij / Sum_i e_i). Through to governance, so the tiers drawn
    are used.
    """
    with tempfile.TemporaryDirectory() as folder:
        run = TinyRun(Path(folder))
        areas = grid_areas()
        areas["county"] = "E10000018"
        areas["combined_authority"] = np.where(np.arange(len(areas)) % 4 <= 1, "E47000001", "")
        run.write_areas(areas)
        text = csv_text(TIDY_HEADER, case["rows"], delimiter=case["delimiter"])
        text = text.replace("\n", case["newline"])
        run.write_employment(("\ufeff" if case["bom"] else "") + text)
        run.settings["hierarchy"] = {tier: _ALL_TIERS[tier] for tier in case["tiers"]}
        run.configure()
        for stage in ("ingest", "concentration", "hotspots", "clusters", "governance"):
            result = run.cli(stage)
            if result.exit_code != 0:
                assert_stops(result)
                return

        employment = pd.read_parquet(run.paths[r.EMPLOYMENT]).astype(
            {"area_code": str, "industry_code": str}
        )
        found = employment.set_index(["area_code", "industry_code"])["employment"]
        expected = pd.Series(case["expected"], dtype="float64")
        expected.index.names = found.index.names
        pd.testing.assert_series_equal(
            found.reindex(expected.index), expected, check_names=False, check_index=False
        )
        assert found.drop(expected.index).eq(0).all()

        lq = pd.read_parquet(run.paths[r.LQ]).astype({"area_code": str, "industry_code": str})
        lq = lq.loc[lq["kind"] == "industry"]
        by_industry = expected.groupby(level=1).sum()
        got = lq.groupby("industry_code")["employment"].sum().reindex(by_industry.index)
        np.testing.assert_allclose(got.to_numpy(), by_industry.to_numpy())
        by_area = expected.groupby(level=0).sum()
        area_totals = lq.drop_duplicates("area_code").set_index("area_code")["area_total"]
        np.testing.assert_allclose(
            area_totals.reindex(by_area.index).to_numpy(), by_area.to_numpy()
        )
        known = lq.dropna(subset=["lq"])
        weighted = (known["lq"] * known["area_total"]).groupby(known["industry_code"]).sum()
        employed = by_area[by_area > 0].sum()
        for industry, total in by_industry.items():
            if total > 0 and industry in weighted:
                assert weighted[industry] / employed == pytest.approx(1.0, rel=1e-9)
