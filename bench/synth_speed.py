"""Generator speed: images/s of 512x256 logs, in one process and as a whole `rasterlog synth` run.

    .venv/bin/python bench/synth_speed.py [--n 200]
"""
import argparse, platform, subprocess, sys, tempfile, time, os
from pathlib import Path
from rasterlog_nb.synth import make_log, SynthConfig

ap = argparse.ArgumentParser(); ap.add_argument("--n", type=int, default=200); a = ap.parse_args()
cfg = SynthConfig(height=512, width=256)
for i in range(3): make_log(0, i, cfg)  # warm-up
t = time.perf_counter()
for i in range(a.n): make_log(0, i, cfg)
one = a.n / (time.perf_counter() - t)
rl = Path(sys.executable).parent / "rasterlog"
with tempfile.TemporaryDirectory() as d:
    t = time.perf_counter()
    subprocess.run([str(rl), "synth", "--out", d, "--n", "64", "--seed", "3", "--quiet"], check=True)
    whole = 64 / (time.perf_counter() - t)
print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
print(f"make_log in one process: {one:.1f} images/s of 512x256 ({a.n} images)")
print(f"rasterlog synth --n 64 (start-up and PNG/CSV writing included): {whole:.1f} images/s")
