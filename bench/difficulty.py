"""Where the benchmark is hard: a model's curve IoU and tolerance F1 at 2 px, pooled over the benchmark test logs that
share a drawn line width and a blur, per curve class. Thin, blurred curves are where the figures fall; the table says by
how much, and what share of the benchmark's curve pixels sit in each cell.

    .venv/bin/python bench/difficulty.py [--n 200] [--model CKPT] [--tta]
"""
import argparse, os, platform, time
import numpy as np
from tqdm.auto import tqdm
from rasterlog_nb.core import add_model_args
from rasterlog_nb.data import benchmark_logs
from rasterlog_nb.metrics import Scorer
from rasterlog_nb.models import predict
from rasterlog_nb.registry import load_model

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=200, help="benchmark test logs")
add_model_args(ap)
a = ap.parse_args()
m = load_model(a.model, tta=a.tta)
WIDTH = (("w<1.2", 0, 1.2), ("1.2<=w<2", 1.2, 2.0), ("w>=2", 2.0, 99))
BLUR = (("blur<0.5", -1, 0.5), ("0.5<=blur<0.8", 0.5, 0.8), ("blur>=0.8", 0.8, 99))
cells = {(k, w, b): Scorer(taus=(2,)) for k in (1, 2) for w, *_ in WIDTH for b, *_ in BLUR}
t0 = time.time()
for lg in tqdm(benchmark_logs("test", a.n), total=a.n, desc="score"):
    pred, p = predict(m, lg.image), lg.meta["params"]
    blur = p["blur"] or 0.0
    b = next(n for n, lo, hi in BLUR if lo <= blur < hi)
    for k in (1, 2):
        lw = p["line_width"][k - 1]
        w = next(n for n, lo, hi in WIDTH if lo <= lw < hi)
        # score class k alone: the other curve's pixels count as background in both masks
        cells[(k, w, b)].update(np.where(pred == k, k, 0).astype(np.uint8), np.where(lg.mask == k, k, 0).astype(np.uint8))
print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model {a.model or 'shipped default'}{' + FlipTTA' if a.tta else ''}; "
      f"{a.n} benchmark test logs; {time.time() - t0:.0f} s")
for k in (1, 2):
    total = sum(int(c.cm[k].sum()) for (kk, *_), c in cells.items() if kk == k)
    print(f"\ncurve{k}: IoU / tolerance F1 at 2 px (share of curve{k}'s truth pixels)")
    print(f"{'':<12}" + "".join(f"{b:>24}" for b, *_ in BLUR))
    for w, *_ in WIDTH:
        row = []
        for b, *_ in BLUR:
            r = cells[(k, w, b)].result(); n = int(cells[(k, w, b)].cm[k].sum())
            iou, tol = r["iou"][k], r["tolerance_f1"]["2"][k - 1]
            row.append("–" if not n else f"{iou:.3f} / {tol:.3f} ({n / total:.0%})")
        print(f"{w:<12}" + "".join(f"{s:>24}" for s in row))
