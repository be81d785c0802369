#!/usr/bin/env python3
"""statsforecast side of the forecast benchmark (see README-forecast.md).

Runs the nine method configurations of tests/data/oracles/forecast-carparts-0-999.jsonl over
every carparts series with statsforecast 2.1.1, calling each model's
`forecast(y, h=1)` directly on float64 numpy arrays. The CSV is parsed and the arrays are
built before timing; one untimed warm-up pass triggers any JIT compilation and caching;
then `--reps` timed passes run and the best and median rates (wall clock) and the rate
by thread CPU time (mean over the passes) are printed as series x methods forecasts per
second.

    pip install statsforecast==2.1.1
    python3 benches/statsforecast_bench.py [--reps 5] [--json] [--dump FILE.jsonl]
"""

import argparse
import csv
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import statsforecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    CrostonClassic,
    CrostonOptimized,
    CrostonSBA,
    SimpleExponentialSmoothing,
    SimpleExponentialSmoothingOptimized,
)

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "carparts.csv"

# (name, params, model): the oracle file's nine configurations.
CONFIGURATIONS = [
    ("ses", {"alpha": 0.1}, SimpleExponentialSmoothing(alpha=0.1)),
    ("ses-opt", {}, SimpleExponentialSmoothingOptimized()),
    ("croston", {}, CrostonClassic()),
    ("sba", {}, CrostonSBA()),
    ("croston-opt", {}, CrostonOptimized()),
    ("tsb", {"alpha_d": 0.1, "alpha_p": 0.1}, TSB(alpha_d=0.1, alpha_p=0.1)),
    ("tsb", {"alpha_d": 0.3, "alpha_p": 0.05}, TSB(alpha_d=0.3, alpha_p=0.05)),
    ("adida", {}, ADIDA()),
    ("imapa", {}, IMAPA()),
]


def read_series(path):
    """Wide CSV -> [(part, float64 array)]; an empty cell ends a series."""
    with open(path, newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        series = []
        for row in rows:
            values = []
            for cell in row[1:]:
                if cell.strip() == "":
                    break
                values.append(float(cell))
            series.append((row[0], np.asarray(values, dtype=np.float64)))
    return series


def run_all(series):
    """One pass: every configuration on every series; returns the forecasts."""
    out = []
    for _, _, model in CONFIGURATIONS:
        for _, y in series:
            out.append(model.forecast(y, h=1)["mean"][0])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA), help="wide CSV (default: carparts.csv)")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--dump", help="write every forecast as JSON lines to this file")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    series = read_series(args.data)
    forecasts = run_all(series)  # warm-up, untimed
    if args.dump:
        with open(args.dump, "w") as handle:
            index = 0
            for name, params, _ in CONFIGURATIONS:
                for part, _ in series:
                    row = {"part": part, "method": name, "params": params,
                           "forecast": float(forecasts[index])}
                    handle.write(json.dumps(row) + "\n")
                    index += 1

    count = len(series) * len(CONFIGURATIONS)
    seconds = []
    cpu_start = time.thread_time()
    for _ in range(max(1, args.reps)):
        start = time.perf_counter()
        run_all(series)
        seconds.append(time.perf_counter() - start)
    cpu_per_pass = (time.thread_time() - cpu_start) / len(seconds)
    best, median = min(seconds), statistics.median(seconds)
    result = {
        "statsforecast": statsforecast.__version__,
        "series": len(series),
        "methods": len(CONFIGURATIONS),
        "forecasts": count,
        "reps": len(seconds),
        "best_seconds": best,
        "median_seconds": median,
        "best_forecasts_per_second": count / best,
        "median_forecasts_per_second": count / median,
        "cpu_seconds_per_pass": cpu_per_pass,
        "cpu_forecasts_per_second": count / cpu_per_pass,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"statsforecast {result['statsforecast']}: {len(series)} series x "
              f"{len(CONFIGURATIONS)} methods = {count} forecasts per pass, {len(seconds)} passes")
        print(f"best   {best:.4f} s/pass  {count / best:,.0f} forecasts/s")
        print(f"median {median:.4f} s/pass  {count / median:,.0f} forecasts/s")
        print(f"CPU    {cpu_per_pass:.4f} s/pass  {count / cpu_per_pass:,.0f} forecasts/s"
              " (thread CPU time, mean over passes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
