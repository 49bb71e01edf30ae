"""The run config: validation messages and the one place paths are resolved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from clustergeo import ConfigError, load_config
from clustergeo.config import DATA_DIR_ENV, load_panel_config

REPO = Path(__file__).resolve().parents[1]

MINIMAL = {
    "name": "test-run",
    "output_dir": "out",
    "areas": {"path": "areas.geojson", "code_column": "code"},
    "employment": {"path": "employment.csv"},
}


def _write(tmp_path: Path, data: dict[str, object], name: str = "run.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_shipped_pipelines_are_valid() -> None:
    for path in sorted((REPO / "pipelines").glob("*.yaml")):
        config = load_config(path)
        assert config.name
    panels = sorted((REPO / "pipelines" / "panels").glob("*.yaml"))
    assert panels
    for path in panels:
        assert load_panel_config(path).name


def test_a_panel_config_run_as_a_pipeline_says_which_command(tmp_path: Path) -> None:
    panel = _write(tmp_path, {**MINIMAL, "employment": "employment"})
    with pytest.raises(ConfigError, match=r"panel config.*clustergeo panel"):
        load_config(panel)
    with pytest.raises(ConfigError, match=r"pipeline config.*clustergeo run"):
        load_panel_config(_write(tmp_path, MINIMAL, "pipeline.yaml"))


def test_unknown_key_is_named(tmp_path: Path) -> None:
    data = {**MINIMAL, "areas": {**MINIMAL["areas"], "code_colum": "x"}, "colour": "red"}
    with pytest.raises(ConfigError) as excinfo:
        load_config(_write(tmp_path, data))
    message = str(excinfo.value)
    assert "unknown key 'areas.code_colum'" in message
    assert "check its spelling (did you mean 'code_column'?)" in message
    # Nothing close to suggest: no guess.
    assert message.endswith("unknown key 'colour' (line 5): remove it or check its spelling")
    assert "2 problems" in message


def test_a_misspelt_extends_comes_first_with_its_spelling(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(_write(tmp_path, {"extend": "demo", "output_dir": "out"}))
    lines = str(excinfo.value).splitlines()
    # What the misspelling left missing follows it.
    assert lines[1] == (
        "  - unknown key 'extend' (line 1): remove it or check its spelling (did you mean "
        "'extends'?)"
    )
    assert "  - missing required key 'name'" in lines[2:]


def test_unknown_keys_in_nested_sections_get_the_nearest_key_of_their_own_section(
    tmp_path: Path,
) -> None:
    data = {
        **MINIMAL,
        "growth": {"start_year": 2015, "shift_share": {"methd": "classic"}},
        "hierarchy": {"district": {"sorce": "overlay"}},
    }
    with pytest.raises(ConfigError) as excinfo:
        load_config(_write(tmp_path, data))
    message = str(excinfo.value)
    for key, meant in (
        ("growth.start_year", "base_year"),
        ("growth.shift_share.methd", "method"),
        ("hierarchy.district.sorce", "source"),
    ):
        assert re.search(
            rf"'{re.escape(key)}' \(line \d+\): .* \(did you mean '{meant}'\?\)", message
        )


def test_wrong_type_and_missing_key_are_named(tmp_path: Path) -> None:
    data = {**MINIMAL, "concentration": {"confidence_level": "high"}}
    del data["employment"]
    with pytest.raises(ConfigError) as excinfo:
        load_config(_write(tmp_path, data))
    message = str(excinfo.value)
    assert "'concentration.confidence_level'" in message
    assert "'high'" in message
    assert "missing required key 'employment'" in message


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_overlay_tier_needs_authority_layer(tmp_path: Path) -> None:
    data = {**MINIMAL, "hierarchy": {"district": {"source": "overlay"}}}
    with pytest.raises(ConfigError, match="no 'authorities' section"):
        load_config(_write(tmp_path, data))


def test_lookup_tier_needs_its_columns(tmp_path: Path) -> None:
    data = {**MINIMAL, "hierarchy": {"district": {"source": "lookup", "path": "l.csv"}}}
    with pytest.raises(ConfigError, match="needs column, key_column"):
        load_config(_write(tmp_path, data))


def test_relative_paths_resolve_against_config_and_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    (tmp_path / "pipelines").mkdir()
    config = load_config(_write(tmp_path / "pipelines", {**MINIMAL, "data_dir": "../downloads"}))
    assert config.resolved_output_dir == (tmp_path / "pipelines" / "out").resolve()
    assert config.input_paths()["areas"] == (tmp_path / "downloads").resolve() / "areas.geojson"


def test_environment_variable_overrides_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "mine"))
    config = load_config(_write(tmp_path, {**MINIMAL, "data_dir": "elsewhere"}))
    assert config.input_paths()["employment"] == (tmp_path / "mine" / "employment.csv")


def test_missing_inputs_listed_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    config = load_config(_write(tmp_path, MINIMAL))
    with pytest.raises(ConfigError) as excinfo:
        config.check_inputs_exist()
    message = str(excinfo.value)
    assert "2 input files" in message
    assert "areas.geojson" in message
    assert "employment.csv" in message
    assert DATA_DIR_ENV in message


def test_a_data_dir_under_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load_config(_write(tmp_path, {**MINIMAL, "data_dir": "~/downloads"}))
    assert config.input_paths()["areas"] == (tmp_path / "home" / "downloads" / "areas.geojson")


def test_missing_inputs_say_where_they_were_looked_for_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A data directory from the environment that does not exist.
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "nowhere"))
    config = load_config(_write(tmp_path, MINIMAL))
    with pytest.raises(ConfigError) as excinfo:
        config.check_inputs_exist()
    assert (
        f"start from the data directory {tmp_path / 'nowhere'} (set by the {DATA_DIR_ENV} "
        "environment variable), which does not exist." in str(excinfo.value)
    )
    # One that is a file; and cluster definitions, which start from the config's folder.
    (tmp_path / "data.txt").write_text("not a folder", encoding="utf-8")
    monkeypatch.delenv(DATA_DIR_ENV)
    data = {**MINIMAL, "data_dir": "data.txt", "industries": {"cluster_definitions": "mine.yaml"}}
    config = load_config(_write(tmp_path / "", data))
    with pytest.raises(ConfigError) as excinfo:
        config.check_inputs_exist()
    message = str(excinfo.value)
    assert "(set by 'data_dir' in the config), which is a file, not a folder." in message
    assert f"Project files (cluster_definitions) start from the config's folder {tmp_path}." in (
        message
    )
    # Data named by an absolute path elsewhere is data, not a project file.
    data = {**MINIMAL, "employment": {"path": str(tmp_path / "elsewhere" / "bres.csv")}}
    config = load_config(_write(tmp_path, data))
    with pytest.raises(ConfigError) as excinfo:
        config.check_inputs_exist()
    assert "Project files" not in str(excinfo.value)


def test_config_path_and_negative_seed_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key 'config_path'"):
        load_config(_write(tmp_path, {**MINIMAL, "config_path": "elsewhere.yaml"}))
    with pytest.raises(ConfigError, match=r"'hotspots\.seed'"):
        load_config(_write(tmp_path, {**MINIMAL, "hotspots": {"seed": -1}}))


def test_distance_band_needs_a_threshold(tmp_path: Path) -> None:
    data = {**MINIMAL, "hotspots": {"weights": {"method": "distance_band"}}}
    with pytest.raises(ConfigError, match="threshold_m"):
        load_config(_write(tmp_path, data))


def test_surface_takes_one_source_of_land(tmp_path: Path) -> None:
    from clustergeo.config import SurfaceConfig

    with pytest.raises(ValueError, match="not both"):
        SurfaceConfig.model_validate({"osm": "extract.osm.pbf", "osm_online": True})
    assert SurfaceConfig.model_validate({"osm_online": True}).osm is None
