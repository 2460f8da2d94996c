"""CPU time of the tracer alone: a 512x256 benchmark-sized log, and taller scans (is it linear in rows?).

    .venv/bin/python bench/trace_speed.py [--repeat 5]

CPU seconds (time.process_time) of the best of `--repeat` traces of stand-in probabilities (the exact mask, blurred and
noised); a figure for this machine, never a test.
"""
import argparse, os, platform, time
import numpy as np
from rasterlog_nb.synth import SynthConfig, make_log
from rasterlog_nb.tracing import stand_in_proba, trace

ap = argparse.ArgumentParser()
ap.add_argument("--repeat", type=int, default=5)
a = ap.parse_args()
print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")

def best(P):
    trace(P); ts = []
    for _ in range(a.repeat):
        t0 = time.process_time(); trace(P); ts.append(time.process_time() - t0)
    return min(ts)

for h, w in ((512, 256), (2048, 256), (8192, 256)):
    P = stand_in_proba(make_log(3, 0, SynthConfig(height=h, width=w)).mask, 3)
    s = best(P)
    print(f"{h}x{w}: {s * 1000:7.1f} ms CPU per trace, {s * 1000 / (h / 512):6.1f} ms per 512 rows")
