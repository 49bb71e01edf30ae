# The stages of one run as file targets, for `make all CONFIG=...` (see Makefile).
# The rules are generated from the stage registry (src/clustergeo/stages/registry.py) by
# `clustergeo paths CONFIG make-rules`: one target per stage, its manifest, depending on the
# config, the stage's input files, its code and the stages it reads. They are regenerated
# whenever the config, the registry or the code that writes them changes.
CONFIG ?= pipelines/demo.yaml
CG ?= .venv/bin/clustergeo
OUT := $(shell $(CG) -q paths $(CONFIG) output_dir)
ifeq ($(OUT),)
$(error cannot read $(CONFIG): run `$(CG) check $(CONFIG)` to see why)
endif
# The rules' file as make names it: with its spaces escaped (a checkout in "My Projects").
empty :=
space := $(empty) $(empty)
RULES := $(subst $(space),\$(space),$(OUT))/manifests/rules.mk

.PHONY: all
all:

$(RULES): $(CONFIG) $(addprefix src/clustergeo/stages/,registry.py make_rules.py manifest.py paths.py)
	@mkdir -p "$$(dirname "$@")"
	@$(CG) -q paths $(CONFIG) make-rules > "$@.tmp" && mv "$@.tmp" "$@"

include $(RULES)
