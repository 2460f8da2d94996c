"""Peak memory (RSS) and time of `rasterlog sheet` on a 30-megapixel generated sheet (a 1-bit CCITT G4 TIFF).

    python bench/sheet_memory.py                  # the shipped model, a sheet of about 1,700 x 17,500 px
    python bench/sheet_memory.py --rows 8000      # a shorter one

The sheet is drawn in this process (not measured); `rasterlog sheet` runs as one fresh process whose peak RSS comes
from `os.wait4`, so it covers that process alone: start-up, torch, decoding the TIFF, the layout, the depth OCR, the
tracks segmented band by band and traced, the LAS written. Prints one line per measurement; no assertion.
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path
import yaml
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import RL, measure  # one way to measure a process: peak RSS, seconds, exit code, last stderr line

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=17000, help="rows of the log body")
    ap.add_argument("--track-width", type=int, default=510, help="px per curve track (three tracks)")
    ap.add_argument("--model", default="default")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    from rasterlog_nb.sheetsynth import SheetConfig, make_sheet
    cfg = SheetConfig(body_rows=(a.rows, a.rows), n_tracks=(3, 3), track_width=(a.track_width, a.track_width), one_bit_p=1.0)
    with tempfile.TemporaryDirectory() as d:
        sh = make_sheet(a.seed, 0, cfg)
        Image.fromarray(sh.image).convert("1").save(f"{d}/sheet.tif", compression="group4")
        Path(f"{d}/layout.yaml").write_text(yaml.safe_dump(sh.layout, sort_keys=False))
        H, W = sh.image.shape; del sh
        mb, s, rc, last = measure([RL, "sheet", f"{d}/sheet.tif", "--layout", f"{d}/layout.yaml", "--out", f"{d}/out.las", "--model", a.model])
        print(f"rasterlog sheet on {W}x{H} ({W * H / 1e6:.1f} MP, 1-bit G4 TIFF, {os.path.getsize(f'{d}/sheet.tif') / 1e6:.1f} MB): "
              f"peak RSS {mb:.0f} MB, {s:.1f} s, exit {rc}" + (f" ({last})" if rc else ""))

if __name__ == "__main__": main()
