"""How well are a generated sheet's curves read, by scale kind, and where does it fail? Check 14's score (values within
1% of each curve's span; log scales in log10) on the rows of the log body, computed in process by `sheet.sheet_one`
given the truth's track boxes and depths, so the figure isolates segmentation + tracing + scales + unwrapping from
layout finding and OCR:

    .venv/bin/python bench/sheet_accuracy.py [--seed 21] [--n 8] [--model sheet|default|CKPT|truth] [--tta] [-v]
                                             [--from-las WELL.las [--las-start 0.02]]

`--model truth` traces the generator's exact masks (the ceiling of the tracer and the unwrapping); `-v` prints every
curve's score (and its backup rows), so a curve that fails as a whole stands out.
"""
import argparse, platform, time
import numpy as np
from tqdm.auto import tqdm
from rasterlog_nb.sheetsynth import make_sheet
from rasterlog_nb.sheet import _curve_values, sheet_one, track_trace
from rasterlog_nb.pipeline import _model_for
from rasterlog_nb.tracing import trace
from rasterlog_nb.layout import check_layout

ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, default=21); ap.add_argument("--n", type=int, default=8)
ap.add_argument("--model", default="sheet", help="a shipped model's name, a checkpoint, or 'truth' (the exact masks)")
ap.add_argument("-v", action="store_true", help="print every curve")
ap.add_argument("--tta", action="store_true", help="average the model over four flips")
ap.add_argument("--from-las", default=None, help="draw the curves from this LAS file (as `rasterlog synth --sheets --from-las`)")
ap.add_argument("--las-start", type=float, default=0.02, help="with --from-las: where the sheets begin, as a share of the LAS's depth range")
a = ap.parse_args()
las = None
if a.from_las:
    import lasio
    las = lasio.read(a.from_las)
net = None if a.model == "truth" else _model_for(a.model, tta=a.tta)
kinds = {k: [0, 0] for k in ("linear", "reversed", "log", "backup")}
t0 = time.process_time()
for i in tqdm(range(a.n), desc="sheets"):
    sh = make_sheet(a.seed, i, las=las, las_start=a.las_start); lay = check_layout(sh.layout)
    if net is not None:   # the sheet stage itself, told the boxes and the depths
        given = dict(depth=dict(unit=lay["depth"]["unit"], at=[[int(sh.rows[0]), float(sh.depth[0])], [int(sh.rows[-1]), float(sh.depth[-1])]]),
                     tracks=[dict(t, box=b) for t, b in zip(sh.layout["tracks"], sh.boxes["tracks"])])
        res = sheet_one(sh.image, given, model=net, name=sh.name)
    for ti, (t, (x0, x1, y0, y1)) in enumerate(zip(lay["tracks"], sh.boxes["tracks"])):
        if net is None:   # traced as the sheet stage traces: wraps allowed for curves with a backup scale
            vals, states = _curve_values(trace(sh.mask[y0:y1 + 1, x0:x1 + 1], track_trace(t["curves"])), x1 - x0 + 1, t["curves"], 200)
        else: vals, states = res.values, res.states
        for c in t["curves"]:
            tv, pv = sh.values[c["name"]].astype(float), vals[c["name"]]
            lo, hi = float(c["left"]), float(c["right"]); raw = tv.copy(); log = c["scale"] == "log"
            if log: tv, pv, lo, hi = np.log10(np.clip(tv, 1e-12, None)), np.log10(np.clip(pv, 1e-12, None)), np.log10(lo), np.log10(hi)
            has = np.isfinite(tv); ok = np.nan_to_num(np.abs(pv - tv), nan=np.inf) <= 0.01 * abs(hi - lo)
            lo_, hi_ = sorted((float(c["left"]), float(c["right"])))
            bk = has & ((raw > hi_) | (raw < lo_)) if c.get("backup") else np.zeros_like(has)
            k = "log" if log else ("reversed" if float(c["right"]) < float(c["left"]) else "linear")
            kinds[k][0] += int(ok[has & ~bk].sum()); kinds[k][1] += int((has & ~bk).sum())
            kinds["backup"][0] += int(ok[bk].sum()); kinds["backup"][1] += int(bk.sum())
            if a.v and (has & ~bk).any():
                b = f", backup {ok[bk].mean():.3f} of {bk.sum()} (state 1 on {int(states[c['name']][bk].sum())})" if bk.any() else ""
                print(f"{sh.name} t{ti} {c['name']:5s} {c['style']:6s} {k:8s} ok {ok[has & ~bk].mean():.3f}{b}")
cpu = time.process_time() - t0
print(f"{platform.processor() or platform.machine()}, model {a.model}{' (tta)' if a.tta else ''}, seed {a.seed}, {a.n} sheets{' from ' + a.from_las if a.from_las else ''}: values within 1% of span: "
      + ", ".join(f"{k} {g / n:.3f} ({n})" if n else f"{k} -" for k, (g, n) in kinds.items()) + f"; {cpu:.0f} s CPU")
