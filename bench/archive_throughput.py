"""Throughput of `rasterlog digitize` over a folder, in megapixels per second, run serially (--workers 1, one
process, no cluster) and on a local Dask cluster of 2 processes (--workers 2), on the same generated scans; each
figure is a whole command (start-up, cluster start and model loading included), the best of --repeat runs.

    .venv/bin/python bench/archive_throughput.py [--n 12] [--height 2048] [--width 256] [--repeat 2]
"""
import argparse, subprocess, sys, tempfile, time
from pathlib import Path
from rasterlog_nb.core import save_png
from rasterlog_nb.synth import SynthConfig, make_log

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--n", type=int, default=12, help="scans")
ap.add_argument("--height", type=int, default=2048)
ap.add_argument("--width", type=int, default=256)
ap.add_argument("--repeat", type=int, default=2)
a = ap.parse_args()
rl = str(Path(sys.executable).parent / "rasterlog")
with tempfile.TemporaryDirectory() as d:
    d = Path(d); (d / "in").mkdir()
    for i in range(a.n): save_png(make_log(7, i, SynthConfig(height=a.height, width=a.width)).image, d / "in" / f"s{i}.png")
    mpx = a.n * a.height * a.width / 1e6
    print(f"{a.n} scans of {a.height}x{a.width} ({mpx:.1f} MPx)")
    for w in (1, 2):
        ts = []
        for r in range(a.repeat):
            t0 = time.perf_counter()
            p = subprocess.run([rl, "digitize", str(d / "in"), "--out", f"{d}/out{w}_{r}/", "--workers", str(w)], capture_output=True, text=True)
            ts.append(time.perf_counter() - t0)
            if p.returncode: sys.exit(f"--workers {w} failed: {p.stderr.strip().splitlines()[-1]}")
        print(f"--workers {w}: {min(ts):6.1f} s, {mpx / min(ts):5.2f} MPx/s")
