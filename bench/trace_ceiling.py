"""How close to the truth can a digitiser get on the benchmark? Per curve, rows within 2 px (and, as check 13 scores
them, the steep rows, where the truth moves more than 8 px to the row above or below, and the share of rows with a
value where the truth curve is absent):

1. the oracles: the *truth* column kept on every row where the curve has labelled pixels, linear across the rest
   (dash gaps, rows under curve1): no tracer reading the image knows more than this; and, tighter, the truth kept
   only on rows whose truth pixel (or a pixel beside it) is labelled: where a dash gap hides the curve's vertex a
   row's labelled pixels belong to the segments to the rows above and below, and the value must be inferred;
2. the tracer on the exact masks: the tracer's own ceiling;
3. the shipped model (or `--model CKPT`, `--tta`), segmented then traced: what `rasterlog evaluate --benchmark` reports.

    .venv/bin/python bench/trace_ceiling.py [--n 200] [--model CKPT] [--tta] [--no-model]

Times are CPU seconds (time.process_time) of the tracer alone, per log.
"""
import argparse, os, platform, time
import numpy as np
from tqdm.auto import tqdm
from rasterlog_nb.core import add_model_args
from rasterlog_nb.data import benchmark_logs
from rasterlog_nb.metrics import Scorer
from rasterlog_nb.tracing import gap_oracle, to_proba, trace

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=200, help="benchmark test logs (default: all 200)")
add_model_args(ap)
ap.add_argument("--no-model", action="store_true", help="skip the model (the oracle and the exact masks only)")
a = ap.parse_args()
logs = list(tqdm(benchmark_logs("test", a.n), total=a.n, desc="generate"))

def steep_and_absent(pc, truth):
    "Per curve: (steep rows within 2 px, steep rows), and over both curves (values where the truth is absent, such rows)."
    out = np.zeros((2, 2)); ghost = np.zeros(2)
    for k in range(2):
        t, p = truth[:, k], pc[:, k]; on = np.isfinite(t)
        d = np.abs(np.diff(t)); s = np.nan_to_num(np.fmax(np.r_[np.nan, d], np.r_[d, np.nan])) > 8
        ok = np.nan_to_num(np.abs(p - t), nan=np.inf) <= 2
        out[k] += [(ok & on & s).sum(), (on & s).sum()]; ghost += [np.isfinite(p[~on]).sum(), (~on).sum()]
    return out, ghost

def run(name, proba_of):
    sc, st, gh, cpu = Scorer(), np.zeros((2, 2)), np.zeros(2), 0.0
    for lg in tqdm(logs, desc=name):
        P = proba_of(lg)
        t0 = time.process_time(); pc = trace(P); cpu += time.process_time() - t0
        sc.update(P.argmax(0), lg.mask, lg.curves, pc)
        s, g = steep_and_absent(pc, lg.curves); st += s; gh += g
    r = sc.result(); steep = st[:, 0] / np.maximum(st[:, 1], 1)
    print(f"{name}: rows within 2 px {r['rows_within_2px'][0]:.3f} / {r['rows_within_2px'][1]:.3f}, steep rows "
          f"{steep[0]:.3f} / {steep[1]:.3f}, values where the truth is absent {gh[0] / max(gh[1], 1):.3f}, "
          f"MAE {r['mae_px'][0]:.2f} / {r['mae_px'][1]:.2f} px, swaps {r['swap_rate']:.4f}; "
          f"IoU {r['iou'][1]:.3f} / {r['iou'][2]:.3f}; tracer {cpu / len(logs) * 1000:.0f} ms CPU per log")

o = gap_oracle(logs)
print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {a.n} benchmark test logs")
print(f"rows on the track without a labelled pixel (gaps, under the other curve): {o['gap_rows'][0]:.3f} / {o['gap_rows'][1]:.3f}")
print(f"oracle (truth on labelled rows, linear across the rest): rows within 2 px {o['rows_within_2px'][0]:.3f} / {o['rows_within_2px'][1]:.3f}")
v1, v0 = (gap_oracle(logs, near=k)['rows_within_2px'] for k in (1, 0))
print(f"oracle (truth where a labelled pixel lies within 1 px of it, linear across the rest): {v1[0]:.3f} / {v1[1]:.3f}; "
      f"(where the truth pixel itself is labelled): {v0[0]:.3f} / {v0[1]:.3f}")
run("tracer on exact masks", lambda lg: to_proba(lg.mask))
if not a.no_model:
    from rasterlog_nb.models import predict_proba
    from rasterlog_nb.registry import load_model
    m = load_model(a.model, tta=a.tta)
    run(f"model {a.model}{' + FlipTTA' if a.tta else ''}", lambda lg: predict_proba(m, lg.image))
