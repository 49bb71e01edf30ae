# clustergeo — the Makefile is the pipeline's dependency graph.
# `make demo` sets everything up and runs the synthetic demo; `make test` runs the tests.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CG := $(BIN)/clustergeo
CONFIG ?= pipelines/demo.yaml
DEMO_DIR := data/raw/demo
DEMO_INPUTS := $(addprefix $(DEMO_DIR)/,areas.gpkg authorities.gpkg lookup.csv \
	employment_wp605ew.csv truth.csv truth_summary.csv truth_concentrations.csv truth_circular.csv README.txt)
export MPLBACKEND := Agg

.PHONY: help setup demo all midlands circular national national-emerging test test-fast lint format bench bench-scale clean distclean

help: ## List the targets
	@echo "clustergeo make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'
	@echo "Run a pipeline of your own with: make all CONFIG=pipelines/<name>.yaml"

setup: $(VENV)/.installed ## Create the virtual environment and install clustergeo into it

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	@# Compile the hot-spot kernels now, once, so the first run does not pause to do it.
	$(BIN)/python -m clustergeo.hotspots
	touch $@

# The demo's "download step": a synthetic region generated from a seed, with no network.
$(DEMO_INPUTS) &: src/clustergeo/demo/region.py | $(VENV)/.installed
	$(CG) demo-data $(DEMO_DIR)

demo: $(VENV)/.installed $(DEMO_INPUTS) ## Set up, generate the synthetic region and run every stage on it
	@$(MAKE) --no-print-directory -f pipeline.mk all CONFIG=pipelines/demo.yaml CG=$(CG)

all: $(VENV)/.installed ## Run every stage for CONFIG (default: the demo), rebuilding only what changed
	@$(MAKE) --no-print-directory -f pipeline.mk all CONFIG=$(CONFIG) CG=$(CG)

midlands: ## Run the real East + West Midlands Census 2011 pipeline (needs ../shared/data)
	@$(MAKE) --no-print-directory all CONFIG=pipelines/midlands-census2011.yaml

circular: $(VENV)/.installed ## Run the circular-economy stage for CONFIG (and the stages it needs)
	@$(MAKE) --no-print-directory -f pipeline.mk circular CONFIG=$(CONFIG) CG=$(CG)

NATIONAL_DIR := data/raw/national-synthetic
LSOA_BOUNDARIES := ../shared/data/boundaries_lsoa2011_bsc_strokemaps/LSOA_Dec2011_BSC_EW_V3.geojson.gz

$(NATIONAL_DIR)/README.txt: src/clustergeo/demo/national.py | $(VENV)/.installed
	$(CG) national-data $(NATIONAL_DIR) --boundaries $(LSOA_BOUNDARIES) --industries 730 --years 2021

national: $(VENV)/.installed $(NATIONAL_DIR)/README.txt ## Every LSOA x 730 synthetic industries on a local Dask cluster (needs ../shared/data)
	$(CG) panel pipelines/panels/national-synthetic.yaml

NATIONAL_YEARS_DIR := data/raw/national-synthetic-years

$(NATIONAL_YEARS_DIR)/README.txt: src/clustergeo/demo/national.py | $(VENV)/.installed
	$(CG) national-data $(NATIONAL_YEARS_DIR) --boundaries $(LSOA_BOUNDARIES) --industries 730 \
		--years 2015,2016,2017,2018,2019,2020,2021,2022,2023

national-emerging: $(VENV)/.installed $(NATIONAL_YEARS_DIR)/README.txt ## Emerging hot spots of every LSOA x 730 synthetic industries over 9 years, on Dask (needs ../shared/data)
	$(CG) panel pipelines/panels/national-synthetic-emerging.yaml

# matplotlib caches its font list per user and version, not per environment: a list another
# environment made (or one since removed) names fonts that are not this one's. The tests check
# this environment's fonts, so they keep a list of their own.
TEST_ENV := MPLCONFIGDIR=$(abspath $(VENV))/matplotlib

test: $(VENV)/.installed ## Run the whole test suite (unit and end-to-end)
	$(TEST_ENV) $(BIN)/python -m pytest

test-fast: $(VENV)/.installed ## Run the unit tests only (no end-to-end or slow tests), in about a minute
	$(TEST_ENV) HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest -m "not e2e and not slow"

bench: $(VENV)/.installed ## Benchmark hot spots and co-location against esda, the employment grid and every stage (needs ../shared/data, ~30 min)
	$(BIN)/python benchmarks/bench_hotspots.py --out data/processed/bench/hotspots.md
	$(BIN)/python benchmarks/bench_surface.py --out data/processed/bench/surface.md
	$(BIN)/python benchmarks/bench_circular.py --out data/processed/bench/circular.md
	$(BIN)/python benchmarks/bench_stages.py --out data/processed/bench/stages.md --readme README.md

bench-scale: $(VENV)/.installed ## National panels in process vs Dask: writes the README's scale table (needs ../shared/data, ~15 min)
	$(BIN)/python benchmarks/bench_scale.py --out data/processed/bench/scale.md --readme README.md

lint: $(VENV)/.installed ## Check style, formatting and types
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(VENV)/.installed ## Reformat the code
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean: ## Remove every run's outputs in data/processed
	find data/processed -mindepth 1 -not -name .gitkeep -delete

distclean: clean ## Also remove the generated demo inputs and the virtual environment
	rm -rf $(DEMO_DIR) $(NATIONAL_DIR) $(NATIONAL_YEARS_DIR) $(VENV)
