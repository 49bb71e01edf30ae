"""Co-location benchmark: every stream in one pass against esda's bivariate Local Moran per pair.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_circular.py [--quick] [--out data/processed/bench/circular.md]

Workload
    The real Midlands MSOA 2011 boundaries (N = 1,308, ``../shared/data``) with clustergeo's
    default weights (queen contiguity), row-standardised, and synthetic producer and user
    values for S = 4 (the section matrix), 10 (the default matrix) and 40 streams: gamma
    values, the users half following their producers. 999 permutations.

What is timed
    clustergeo's :func:`clustergeo.circular.colocation.local_colocation`: the bivariate Local
    Moran of every stream both ways (producers at the area with users around, and the
    reverse), permutation p-values, FDR and classes, for all S streams in one call. Against
    it, esda's ``Moran_Local_BV`` (a ``Graph``, ``keep_simulations=False``, a seed), which
    computes one direction of one stream per call: it is timed on ``--esda-calls`` pairs and
    projected to the 2 x S calls the same table needs (median per call x 2S). Runs alternate,
    ``--repeats`` times, so the machine's other load falls on both; the table gives the
    minimum and median wall time and the load average.

Before timing, clustergeo's statistic is checked against esda's on one stream (1e-12).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from clustergeo.circular.colocation import Inference, local_colocation
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from clustergeo.ingest.boundaries import read_boundaries

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = (
    REPO.parent
    / "shared"
    / "data"
    / "boundaries_msoa2011_lsoa2011_martinjc"
    / "msoa2011_midlands_martinjc.geojson"
)
PERMUTATIONS = 999


def _weights() -> SpatialWeights:
    areas = read_boundaries(BOUNDARIES, code_column="MSOA11CD").frame
    return build_weights(areas.rename(columns={"code": "area_code"}))


def _values(weights: SpatialWeights, streams: int, seed: int = 0) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(seed)
    shape = (weights.n, streams)
    producers = rng.gamma(2.0, size=shape)
    users = 0.5 * producers + rng.gamma(2.0, size=shape)
    columns = [f"s{i}" for i in range(streams)]
    return (
        pd.DataFrame(producers, index=weights.ids, columns=columns),
        pd.DataFrame(users, index=weights.ids, columns=columns),
    )


def _esda_call(graph: object, x: np.ndarray, y: np.ndarray, seed: int) -> float:
    import esda

    start = time.perf_counter()
    esda.Moran_Local_BV(
        x,
        y,
        graph,
        transformation="r",
        permutations=PERMUTATIONS,
        keep_simulations=False,
        seed=seed,
    )
    return time.perf_counter() - start


def _check(weights: SpatialWeights, graph: object) -> None:
    import esda

    producers, users = _values(weights, 1)
    ours = local_colocation(producers, users, weights, Inference("row", 0, 1, "folded"))
    theirs = esda.Moran_Local_BV(
        producers["s0"].to_numpy(), users["s0"].to_numpy(), graph, permutations=0
    )
    np.testing.assert_allclose(ours["pu_i"].to_numpy(), theirs.Is, atol=1e-12)


def main() -> None:
    """Time both on 4, 10 and 40 streams and print (and write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="S = 4 and 10 only, 2 repeats")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--esda-calls", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from libpysal.graph import Graph

    weights = _weights()
    graph = Graph.from_sparse(weights.matrix, ids=weights.ids)
    _check(weights, graph)
    sizes = (4, 10) if args.quick else (4, 10, 40)
    repeats = 2 if args.quick else args.repeats
    inference = Inference("row", PERMUTATIONS, 1, "folded")
    # Warm up both: numba kernels loaded, esda's imports done.
    warm_p, warm_u = _values(weights, 1)
    local_colocation(warm_p, warm_u, weights, inference)
    _esda_call(graph, warm_p["s0"].to_numpy(), warm_u["s0"].to_numpy(), 0)
    command = "benchmarks/bench_circular.py" + (" --quick" if args.quick else "")
    lines = [
        f"Midlands MSOAs (N = {weights.n:,}), queen contiguity row-standardised, "
        f"{PERMUTATIONS} permutations; `{command}`",
        "",
        "| streams | clustergeo, all streams both ways (min / median) | esda, 2 x S calls "
        "projected (min / median) | ratio of medians | load |",
        "|---|---|---|---|---|",
    ]
    for size in sizes:
        producers, users = _values(weights, size)
        ours, theirs, loads = [], [], []
        for repeat in range(repeats):
            start = time.perf_counter()
            local_colocation(producers, users, weights, inference)
            ours.append(time.perf_counter() - start)
            calls = [
                _esda_call(
                    graph,
                    producers[f"s{(repeat + k) % size}"].to_numpy(),
                    users[f"s{(repeat + k) % size}"].to_numpy(),
                    k,
                )
                for k in range(args.esda_calls)
            ]
            theirs.append(statistics.median(calls) * 2 * size)
            loads.append(os.getloadavg()[0])
        lines.append(
            f"| {size} | {min(ours):.2f} s / {statistics.median(ours):.2f} s "
            f"| {min(theirs):.2f} s / {statistics.median(theirs):.2f} s "
            f"| {statistics.median(theirs) / statistics.median(ours):.1f}x "
            f"| {statistics.mean(loads):.1f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
