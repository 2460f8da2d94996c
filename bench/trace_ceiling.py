"""How close to the truth can a digitiser get on the benchmark? Three figures per curve, rows within 2 px:

1. the oracle: the *truth* column kept on every row where the curve has labelled pixels, linear across the rest
   (dash gaps, rows under curve1): no tracer reading the image knows more than this;
2. the tracer on the exact masks (`digitize_scores(..., "truth")`): the tracer's own ceiling;
3. the shipped model (or `--model CKPT`), segmented then traced: what `rasterlog evaluate --benchmark` reports.

    .venv/bin/python bench/trace_ceiling.py [--n 200] [--model CKPT] [--no-model]
"""
import argparse, os, platform, time
import numpy as np
from tqdm.auto import tqdm
from rasterlog_nb.data import benchmark_logs
from rasterlog_nb.pipeline import digitize_scores
from rasterlog_nb.tracing import gap_oracle

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=200, help="benchmark test logs (default: all 200)")
ap.add_argument("--model", default=None, help="checkpoint (default: the shipped model)")
ap.add_argument("--no-model", action="store_true", help="skip the model (the oracle and the exact masks only)")
a = ap.parse_args()
logs = list(tqdm(benchmark_logs("test", a.n), total=a.n, desc="generate"))

o = gap_oracle(logs)
print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {a.n} benchmark test logs")
print(f"rows on the track without a labelled pixel (gaps, under the other curve): {o['gap_rows'][0]:.3f} / {o['gap_rows'][1]:.3f}")
print(f"oracle (truth on labelled rows, linear across the rest): rows within 2 px {o['rows_within_2px'][0]:.3f} / {o['rows_within_2px'][1]:.3f}")
t0 = time.perf_counter()
r = digitize_scores(logs, "truth", progress=True)
print(f"tracer on exact masks: rows within 2 px {r['rows_within_2px'][0]:.3f} / {r['rows_within_2px'][1]:.3f}, "
      f"MAE {r['mae_px'][0]:.2f} / {r['mae_px'][1]:.2f} px, swaps {r['swap_rate']:.4f} ({time.perf_counter() - t0:.0f} s)")
if not a.no_model:
    t0 = time.perf_counter()
    r = digitize_scores(logs, a.model, progress=True)
    print(f"model {a.model or 'shipped default'}: rows within 2 px {r['rows_within_2px'][0]:.3f} / {r['rows_within_2px'][1]:.3f}, "
          f"MAE {r['mae_px'][0]:.2f} / {r['mae_px'][1]:.2f} px, swaps {r['swap_rate']:.4f}, "
          f"IoU {r['iou'][1]:.3f} / {r['iou'][2]:.3f} ({time.perf_counter() - t0:.0f} s)")
