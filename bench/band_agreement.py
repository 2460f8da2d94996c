"""Do digitised curves depend on how the work is cut? The shipped model on generated logs, traced (a) with 1 and with
2 torch threads, (b) in bands of a few rows with 32 or 64 rows of context, each against one whole pass: the share of
rows that agree within 0.01 px and within 0.5 px (both absent counts as agreeing), and the largest difference.

    .venv/bin/python bench/band_agreement.py [--n 6] [--height 300]
"""
import argparse
import numpy as np
import torch
from rasterlog_nb.pipeline import digitize_image
from rasterlog_nb.registry import load_model
from rasterlog_nb.synth import SynthConfig, make_log

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--n", type=int, default=6, help="generated logs (seed 5)")
ap.add_argument("--height", type=int, default=300, help="rows per log")
a = ap.parse_args()
net = load_model("default")
imgs = [make_log(5, i, SynthConfig(height=a.height, width=64)).image for i in range(a.n)]

def agreement(x, y):
    both = np.isnan(x) & np.isnan(y); d = np.abs(x - y)
    return [float(np.mean(both | (d <= t))) for t in (0.01, 0.5)] + [float(np.nanmax(d)) if np.isfinite(d).any() else 0.0]

def report(label, pairs):
    r = np.array([agreement(x, y) for x, y in pairs])
    print(f"{label:42s} rows within 0.01 px {r[:, 0].mean():.3f}, within 0.5 px {r[:, 1].mean():.3f}, largest {r[:, 2].max():.2f} px")

torch.set_num_threads(2); whole = [digitize_image(im, net, tile_rows=10**6).cols for im in imgs]
torch.set_num_threads(1); one = [digitize_image(im, net, tile_rows=10**6).cols for im in imgs]
torch.set_num_threads(2)
report("1 thread against 2 threads", zip(one, whole))
for rows in (64, 150):
    for ov in (32, 64):
        report(f"bands of {rows} rows, {ov} rows of context", ((digitize_image(im, net, tile_rows=rows, overlap=ov).cols, w) for im, w in zip(imgs, whole)))
