"""Peak memory (RSS) and time of `rasterlog segment` / `digitize` against image height, for tall scans.

    python bench/memory.py                       # a tiny random U-Net made on the fly (measures the tool, not the net)
    python bench/memory.py --model CKPT          # a real checkpoint (e.g. the shipped one)
    python bench/memory.py --heights 2000,40000 --width 300 --commands segment

Each measurement is one fresh `rasterlog` process on a noise image; its peak RSS comes from `os.wait4`, so it covers
that process alone (start-up, torch, reading, tiled inference, writing). The target: a 40000x300 scan under 4 GB.
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image

RL = str(Path(sys.executable).parent / "rasterlog")

def has_command(name:str)->bool:
    return subprocess.run([RL, name, "--help"], capture_output=True).returncode == 0

def measure(cmd:list)->tuple:
    "(peak RSS in MB, wall seconds, return code, last stderr line) of one process."
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_maxrss / 1024, time.perf_counter() - t0, p.returncode, (err.strip().splitlines() or [""])[-1]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="checkpoint (default: a tiny random U-Net, base 4, depth 2)")
    ap.add_argument("--heights", default="2000,10000,40000", help="image heights, comma separated")
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("--commands", default="segment,digitize", help="which of segment, digitize to measure (digitize if wired)")
    ap.add_argument("--limit-mb", type=float, default=4000, help="flag peaks above this")
    a = ap.parse_args(argv)
    cmds = [c for c in a.commands.split(",") if c == "segment" or has_command(c)]
    skipped = sorted(set(a.commands.split(",")) - set(cmds))
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        model = a.model
        if model is None:
            from rasterlog_nb.models import UNet
            from rasterlog_nb.registry import save_checkpoint
            model = str(save_checkpoint(d / "tiny.pt", UNet(base=4, depth=2)))
        rng = np.random.default_rng(0)
        print(f"model: {a.model or 'tiny random UNet(base=4, depth=2)'}; images: uniform noise, width {a.width}; "
              f"peak RSS of the whole process (os.wait4)" + (f"; not measured: {', '.join(skipped)} (not in the CLI)" if skipped else ""))
        head = f"{'height':>8} {'Mpx':>6}" + "".join(f" {c + ' MB':>13} {c + ' s':>11}" for c in cmds)
        print(head); print("-" * len(head))
        worst = 0.0
        for h in [int(x) for x in a.heights.split(",")]:
            img = d / f"noise_{h}.png"
            Image.fromarray((rng.random((h, a.width)) * 255).astype(np.uint8)).save(img, compress_level=1)
            row = f"{h:>8} {h * a.width / 1e6:>6.1f}"
            for c in cmds:
                out = ["--out", str(d / f"masks_{h}")] if c == "segment" else ["--out", str(d / f"curves_{h}.csv")]
                mb, s, rc, last = measure([RL, c, str(img), "--model", model, *out, *(["--quiet"] if c == "segment" else [])])
                worst = max(worst, mb)
                row += f" {mb:>13.0f} {s:>11.1f}" + ("" if rc == 0 else f"  (exit {rc}: {last[:80]})")
            print(row, flush=True)
        print(f"worst peak {worst:.0f} MB: " + ("within" if worst <= a.limit_mb else "OVER") + f" the {a.limit_mb:.0f} MB target")
        return 0 if worst <= a.limit_mb else 1

if __name__ == "__main__":
    sys.exit(main())
