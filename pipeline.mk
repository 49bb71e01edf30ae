# The stages of one run as file targets, for `make all CONFIG=...` (see Makefile).
# Output and input paths come from the config itself, so they are defined in one place.
CONFIG ?= pipelines/demo.yaml
CG ?= .venv/bin/clustergeo
OUT := $(shell $(CG) -q paths $(CONFIG) output_dir)
INPUTS := $(shell $(CG) -q paths $(CONFIG) inputs)
ifeq ($(OUT),)
$(error cannot read $(CONFIG): run `$(CG) check $(CONFIG)` to see why)
endif
COMMON := $(CONFIG) src/clustergeo/config.py src/clustergeo/io.py src/clustergeo/stages/paths.py

INGEST := $(OUT)/ingest/report.json
CONCENTRATION := $(OUT)/concentration/report.json
HOTSPOTS := $(OUT)/hotspots/report.json
CLUSTERS := $(OUT)/clusters/report.json
GOVERNANCE := $(OUT)/governance/report.json
SURFACE := $(OUT)/surface/report.json
PUBLISH := $(OUT)/provenance.json

.PHONY: all
all: $(PUBLISH)

$(INGEST): $(COMMON) $(INPUTS) $(wildcard src/clustergeo/ingest/*.py) src/clustergeo/stages/ingest.py \
		src/clustergeo/industries.py $(wildcard src/clustergeo/data/*.yaml)
	$(CG) ingest $(CONFIG)

$(CONCENTRATION): $(INGEST) $(COMMON) src/clustergeo/concentration.py
	$(CG) concentration $(CONFIG)

$(HOTSPOTS): $(CONCENTRATION) $(COMMON) $(wildcard src/clustergeo/hotspots/*.py) src/clustergeo/stages/hotspots.py
	$(CG) hotspots $(CONFIG)

$(CLUSTERS): $(HOTSPOTS) $(COMMON) $(wildcard src/clustergeo/clusters/*.py) src/clustergeo/stages/clusters.py
	$(CG) clusters $(CONFIG)

$(GOVERNANCE): $(CLUSTERS) $(COMMON) $(wildcard src/clustergeo/governance/*.py) src/clustergeo/stages/governance.py \
		src/clustergeo/data/anchor_sites.yaml
	$(CG) governance $(CONFIG)

$(SURFACE): $(GOVERNANCE) $(COMMON) $(wildcard src/clustergeo/surface/*.py) src/clustergeo/stages/surface.py
	$(CG) surface $(CONFIG)

$(PUBLISH): $(SURFACE) $(COMMON) src/clustergeo/stages/publish.py $(wildcard src/clustergeo/publish/*.py)
	$(CG) publish $(CONFIG)
