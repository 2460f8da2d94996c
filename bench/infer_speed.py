"""Inference speed of a model (default: the shipped one) on this machine: ms per megapixel for each variant of the
network (plain, batch-norm folded, + channels-last, + bfloat16, with --tta), for band sizes, on a 4-megapixel scan
(8192x512, the size of check 16's) and on benchmark-size logs (512x256); then the tracer's share of `digitize`.

    .venv/bin/python bench/infer_speed.py [--model CKPT] [--n 8] [--threads T] [--repeat 2]
"""
import argparse, os, platform, time
import numpy as np
import torch
from rasterlog_nb.data import benchmark_logs
from rasterlog_nb.infer import BF16, fold_batchnorm, inference_copy, native_bf16, predict_bands
from rasterlog_nb.models import FlipTTA, predict_proba
from rasterlog_nb.registry import load_model
from rasterlog_nb.synth import SynthConfig, make_log
from rasterlog_nb.tracing import trace

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--model", default="default", help="checkpoint (default: the shipped model)")
ap.add_argument("--n", type=int, default=8, help="benchmark logs timed")
ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
ap.add_argument("--repeat", type=int, default=2, help="timed passes per figure (the best is printed: the CPU may be shared)")
a = ap.parse_args()
if a.threads: torch.set_num_threads(a.threads)
images = [lg.image for lg in benchmark_logs("test", a.n)]
big = make_log(0, 0, SynthConfig(height=8192, width=512)).image
plain = load_model(a.model)
print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, native bfloat16 {native_bf16()}; "
      f"model {a.model}")

def best(fn):
    fn()  # warm-up (oneDNN builds its kernels on first use)
    ts = []
    for _ in range(a.repeat):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return min(ts)

def line(label, seconds, mpx):
    print(f"{label:58s} {1000 * seconds / mpx:7.0f} ms/MPx")

fused = fold_batchnorm(plain)
variants = {
    "plain (models.predict_proba)": lambda im, **k: predict_proba(plain, im, **k),
    "batch-norm folded": lambda im, **k: predict_proba(fused, im, **k),
    "folded + channels-last, bands on threads": (lambda m: lambda im, **k: predict_bands(m, im, **k))(inference_copy(plain, bf16=False)),
}
if native_bf16():
    variants["folded + channels-last + bfloat16 (the default here)"] = (lambda m: lambda im, **k: predict_bands(m, im, **k))(inference_copy(plain, bf16=True))
variants["the default, with --tta (four flips)"] = (lambda m: lambda im, **k: predict_bands(m, im, **k))(inference_copy(FlipTTA(plain)))
mpx_big, mpx_small = big.size / 1e6, sum(im.size for im in images) / 1e6
for label, f in variants.items():
    line(f"{label}: 8192x512", best(lambda: f(big)), mpx_big)
    line(f"{label}: {a.n} logs 512x256", best(lambda: [f(im) for im in images]), mpx_small)
fast = inference_copy(plain)
for rows, ov in ((512, 64), (1024, 64), (2048, 64), (8192, 0)):
    line(f"default, bands of {rows} rows with {ov} rows of context: 8192x512", best(lambda: predict_bands(fast, big, tile_rows=rows, overlap=ov)), mpx_big)
P = predict_bands(fast, big)
t_net, t_trace = best(lambda: predict_bands(fast, big)), best(lambda: trace(P))
print(f"digitize of the 8192x512 scan: network {t_net:.2f} s, tracer {t_trace:.2f} s: the tracer's share {t_trace / (t_net + t_trace):.0%}")
