"""Exhibit speed: median time of one change (setter to return), without and with a model, state only and with the view built.

    MPLBACKEND=Agg .venv/bin/python bench/exhibit_speed.py [--reps 3] [--model CKPT|default]

`--model default` benches the shipped model (what the lesson shows). Without --model, a tiny random `UNet(base=4, depth=2)` stands in (the figure then measures the plumbing, not
a trained network's cost). "with view" builds the widget first: headless, the figure is refreshed as a PNG
on every change (under ipympl it is one `draw_idle`, cheaper); the Agg redraw alone is printed too.
"""
import os
os.environ.setdefault("MPLBACKEND", "Agg")
import argparse, platform, statistics, time
import numpy as np
from rasterlog_nb.exhibits import SeparationExhibit, ObjectCountLever

ap = argparse.ArgumentParser()
ap.add_argument("--reps", type=int, default=3, help="passes over the positions")
ap.add_argument("--model", default=None, help="checkpoint to bench with, or 'default' for the shipped model (without it: a tiny random U-Net)")
a = ap.parse_args()

FRACS = (1.0, 0.75, 0.5, 0.25, 0.0, 0.1, 0.6, 0.9)
COUNTS = (2, 3, 50, 500, 7, 120, 20, 300)

def med_ms(obj, attr, values, reps):
    t = []
    for _ in range(reps):
        for v in values:
            t0 = time.perf_counter(); setattr(obj, attr, v); t.append(time.perf_counter() - t0)
    return statistics.median(t) * 1000, len(t)

def sep_row(label, model=None, view=False):
    ex = SeparationExhibit(model=model)
    if view: _ = ex.view  # build the view: every change then redraws it
    ms, n = med_ms(ex, "separation", [ex.max_separation * f for f in FRACS], a.reps)
    print(f"  separation {label:<34} {ms:7.1f} ms  ({n} changes)")
    return ex

def agg_draw_ms(fig, n=5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    c = FigureCanvasAgg(fig); c.draw(); t = []
    for _ in range(n):
        t0 = time.perf_counter(); c.draw(); t.append(time.perf_counter() - t0)
    return statistics.median(t) * 1000

print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
ex = SeparationExhibit()
print(f"SeparationExhibit: log {ex.log.image.shape[0]}x{ex.log.image.shape[1]}, B = {ex.max_separation:.1f} px; median per change:")
sep_row("no model, state only")
ex = sep_row("no model, with view (PNG refresh)", view=True)
print(f"  separation {'(of which an Agg redraw of the figure)':<34} {agg_draw_ms(ex.figure):7.1f} ms")

import torch
if a.model:
    model, name = a.model, os.path.basename(a.model)
else:
    from rasterlog_nb.models import UNet
    torch.manual_seed(0); model, name = UNet(base=4, depth=2), "tiny random UNet(base=4, depth=2)"
default_threads = torch.get_num_threads()
for nt in sorted({1, default_threads}):
    torch.set_num_threads(nt)
    sep_row(f"model, {nt} torch thread{'s' * (nt > 1)}, state only", model=model)
    sep_row(f"model, {nt} torch thread{'s' * (nt > 1)}, with view", model=model, view=True)
torch.set_num_threads(default_threads)
print(f"  (model: {name}; torch's default is {default_threads} threads: on a busy machine one thread is faster)")

lev = ObjectCountLever()
print("ObjectCountLever: median per change (first visits measure 4 scenes, later ones are cached):")
ms, n = med_ms(lev, "count", COUNTS, 1)
print(f"  count      {'first visit, state only':<34} {ms:7.1f} ms  ({n} changes)")
ms, n = med_ms(lev, "count", COUNTS, a.reps)
print(f"  count      {'cached, state only':<34} {ms:7.1f} ms  ({n} changes)")
_ = lev.view  # build the view
ms, n = med_ms(lev, "count", COUNTS, a.reps)
print(f"  count      {'cached, with view (PNG refresh)':<34} {ms:7.1f} ms  ({n} changes)")
print(f"  count      {'(of which an Agg redraw of the figure)':<34} {agg_draw_ms(lev.figure):7.1f} ms")
