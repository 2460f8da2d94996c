"""Where a model's curve errors are, per curve class, on benchmark test logs: missed and extra pixels split into
edge pixels (within 1.5 px of the line's band), dash-gap / far pixels, and pixels given the other curve's label.

    .venv/bin/python bench/error_breakdown.py [--n 40] [--model CKPT] [--tta]
"""
import argparse, os, platform
import numpy as np
from tqdm.auto import tqdm
from rasterlog_nb.core import add_model_args
from rasterlog_nb.data import benchmark_logs
from rasterlog_nb.models import predict
from rasterlog_nb.registry import load_model
from rasterlog_nb.synth import polyline_field

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=40, help="benchmark test logs")
add_model_args(ap)
a = ap.parse_args()
m = load_model(a.model, tta=a.tta)
keys = ("true", "hit", "missed_edge", "missed_inside", "missed_as_other", "extra_edge", "extra_in_gap", "extra_far", "extra_from_other")
tot = {k: np.zeros(2, np.int64) for k in keys}
for lg in tqdm(benchmark_logs("test", a.n), total=a.n, desc="score"):
    p, t = predict(m, lg.image).ravel(), lg.mask.ravel()
    for i, k in enumerate((1, 2)):
        r = max(lg.meta["params"]["line_width"][i], 1) / 2  # the mask rule's radius
        idx, d, _ = polyline_field(lg.curves[:, i], lg.width, r + 1.5)
        D = np.full(t.size, np.inf); np.minimum.at(D, idx, d)   # distance to the curve's centreline
        o = 3 - k
        tot["true"][i] += (t == k).sum(); tot["hit"][i] += ((t == k) & (p == k)).sum()
        miss = (t == k) & (p == 0)
        tot["missed_edge"][i] += (miss & (D > r - 1)).sum(); tot["missed_inside"][i] += (miss & (D <= r - 1)).sum()
        tot["missed_as_other"][i] += ((t == k) & (p == o)).sum()
        extra = (p == k) & (t == 0)
        tot["extra_in_gap"][i] += (extra & (D <= r)).sum(); tot["extra_edge"][i] += (extra & (D > r) & (D <= r + 1.5)).sum()
        tot["extra_far"][i] += (extra & (D > r + 1.5)).sum(); tot["extra_from_other"][i] += ((p == k) & (t == o)).sum()
print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model {a.model or 'shipped default'}{' + FlipTTA' if a.tta else ''}; {a.n} benchmark test logs")
print(f"{'pixels':<18} {'curve1':>9} {'curve2':>9}")
for k in keys: print(f"{k:<18} {tot[k][0]:>9} {tot[k][1]:>9}")
iou = tot["hit"] / (tot["true"] + sum(tot[k] for k in ("extra_edge", "extra_in_gap", "extra_far", "extra_from_other")))
print(f"curve IoU on these logs: {iou[0]:.3f} / {iou[1]:.3f}")
