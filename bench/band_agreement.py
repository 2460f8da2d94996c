"""Do digitised curves depend on how the work is cut? The shipped model on generated logs, traced (a) with bands computed
on 1, 2 or 3 threads (one thread per band, `infer.band_probas`: the same bits are expected) and, for comparison, with
torch's own 1 and 2 intra-op threads on whole images (the old way, whose last digits move), (b) in bfloat16 against
float32, (c) in bands of a few rows with 32 or 64 rows of context, each against one whole pass: the share of rows
that agree within 0.01 px and within 0.5 px (both absent counts as agreeing), and the largest difference.

    .venv/bin/python bench/band_agreement.py [--n 6] [--height 300]
"""
import argparse
import numpy as np
import torch
from rasterlog_nb.infer import inference_copy, native_bf16
from rasterlog_nb.models import predict_proba
from rasterlog_nb.pipeline import digitize_image
from rasterlog_nb.registry import load_model
from rasterlog_nb.synth import SynthConfig, make_log
from rasterlog_nb.tracing import trace

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--n", type=int, default=6, help="generated logs (seed 5)")
ap.add_argument("--height", type=int, default=300, help="rows per log")
a = ap.parse_args()
plain = load_model("default")
net = inference_copy(plain)  # as digitize runs it (bfloat16 where the CPU has it)
f32 = inference_copy(plain, bf16=False)
imgs = [make_log(5, i, SynthConfig(height=a.height, width=64)).image for i in range(a.n)]
print(f"inference: {'bfloat16' if net.bf16 else 'float32'} (native bfloat16: {native_bf16()}); {torch.get_num_threads()} torch threads")

def agreement(x, y):
    both = np.isnan(x) & np.isnan(y); d = np.abs(x - y)
    return [float(np.mean(both | (d <= t))) for t in (0.01, 0.5)] + [float(np.nanmax(d)) if np.isfinite(d).any() else 0.0]

def report(label, pairs):
    r = np.array([agreement(x, y) for x, y in pairs])
    print(f"{label:52s} rows within 0.01 px {r[:, 0].mean():.3f}, within 0.5 px {r[:, 1].mean():.3f}, largest {r[:, 2].max():.2f} px")

whole = [digitize_image(im, net, tile_rows=10**6, threads=1).cols for im in imgs]
banded = [digitize_image(im, net, tile_rows=100, threads=1).cols for im in imgs]
for t in (2, 3):
    report(f"bands of 100 rows on {t} threads against 1", ((digitize_image(im, net, tile_rows=100, threads=t).cols, w) for im, w in zip(imgs, banded)))
torch.set_num_threads(2); two = [trace(predict_proba(plain, im)) for im in imgs]
torch.set_num_threads(1); one = [trace(predict_proba(plain, im)) for im in imgs]
torch.set_num_threads(2)
report("old way: torch's 1 intra-op thread against 2", zip(one, two))
report("bfloat16 against float32", ((digitize_image(im, f32, tile_rows=10**6).cols, w) for im, w in zip(imgs, whole)))
for rows in (64, 150):
    for ov in (32, 64):
        report(f"bands of {rows} rows, {ov} rows of context", ((digitize_image(im, net, tile_rows=rows, overlap=ov).cols, w) for im, w in zip(imgs, whole)))
