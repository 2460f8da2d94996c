"""Inference speed of a model (default: the shipped one) on this machine, with and without test-time flips:
ms per megapixel through `predict`, on benchmark-size logs (512x256) and on a tall scan read in bands.

    .venv/bin/python bench/infer_speed.py [--model CKPT] [--n 8] [--threads T]
"""
import argparse, os, platform, time
import numpy as np
import torch
from rasterlog_nb.data import benchmark_logs
from rasterlog_nb.models import predict
from rasterlog_nb.registry import load_model
from rasterlog_nb.synth import SynthConfig, make_log

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--model", default=None, help="checkpoint (default: the shipped model)")
ap.add_argument("--n", type=int, default=8, help="benchmark logs timed")
ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
a = ap.parse_args()
if a.threads: torch.set_num_threads(a.threads)
images = [lg.image for lg in benchmark_logs("test", a.n)]
tall = make_log(0, 0, SynthConfig(height=4096, width=256)).image
print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads; "
      f"model {a.model or 'shipped default'}")
for tta in (False, True):
    m = load_model(a.model, tta=tta)
    predict(m, images[0])  # warm-up
    for label, imgs in ((f"{a.n} logs 512x256", images), ("one scan 4096x256 (bands of 1024 rows)", [tall])):
        t0 = time.perf_counter()
        for im in imgs: predict(m, im)
        dt = time.perf_counter() - t0
        mpx = sum(im.size for im in imgs) / 1e6
        print(f"{'--tta' if tta else 'plain':6s} {label:40s} {1000 * dt / mpx:8.0f} ms/MPx")
