"The `rasterlog synth` contract: layout, determinism, labels, bad input."
import csv, json
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import rasterlog

def _one_line_error(r):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]

def test_layout_and_contract(tmp_path):
    r = rasterlog("synth", "--out", tmp_path / "s", "--n", 4, "--seed", 7, "--height", 200, "--width", 120, "--quiet")
    assert r.returncode == 0, r.stderr
    d = tmp_path / "s"
    names = sorted(p.stem for p in (d / "images").glob("*.png"))
    assert names == [f"log_{i:05d}" for i in range(4)]
    man = json.loads((d / "manifest.json").read_text())
    assert man["seed"] == 7 and man["n"] == 4 and len(man["images"]) == 4
    assert {"curve1", "curve2", "top", "bottom"} <= set(man["images"][0]["calibration"])
    for n in names:
        im, m = np.asarray(Image.open(d / "images" / f"{n}.png")), np.asarray(Image.open(d / "masks" / f"{n}.png"))
        assert im.shape == m.shape == (200, 120) and im.dtype == np.uint8
        assert set(np.unique(m)) <= {0, 1, 2}
        rows = list(csv.DictReader(open(d / "curves" / f"{n}.csv")))
        assert list(rows[0]) == ["row", "depth", "curve1_col", "curve2_col", "curve1", "curve2"]
        assert len(rows) == 200 and [int(r["row"]) for r in rows] == list(range(200))
        c = np.array([float(r["curve1_col"]) for r in rows if r["curve1_col"]])
        assert ((c >= 0) & (c <= 119)).all()

def test_same_seed_same_bytes(tmp_path):
    for k in ("a", "b"):
        assert rasterlog("synth", "--out", tmp_path / k, "--n", 3, "--seed", 5, "--height", 96, "--width", 64, "--quiet").returncode == 0
    for sub in ("images", "masks", "curves"):
        for p in (tmp_path / "a" / sub).iterdir():
            assert p.read_bytes() == (tmp_path / "b" / sub / p.name).read_bytes(), p
    r = rasterlog("synth", "--out", tmp_path / "c", "--n", 1, "--seed", 6, "--height", 96, "--width", 64, "--quiet")
    assert (tmp_path / "c/images/log_00000.png").read_bytes() != (tmp_path / "a/images/log_00000.png").read_bytes()

def test_truth_inside_mask_and_class_balance(tmp_path):
    assert rasterlog("synth", "--out", tmp_path, "--n", 12, "--seed", 1, "--quiet").returncode == 0
    inside = total = 0; fg = []
    for p in sorted((tmp_path / "masks").glob("*.png")):
        m = np.asarray(Image.open(p))
        fg.append([(m == k).mean() for k in (1, 2)])
        rows = list(csv.DictReader(open(tmp_path / "curves" / f"{p.stem}.csv")))
        for r in rows:
            if not r["curve1_col"]: continue
            c = float(r["curve1_col"]); k = int(r["row"]); total += 1
            inside += (m[k, max(0, int(np.floor(c - 1.5))):int(np.ceil(c + 1.5)) + 1] == 1).any()
    assert inside / total >= 0.95
    fg = np.array(fg)
    # thin curves: each class a few percent of the pixels, never absent in a default set
    assert (fg > 0).all() and 0.003 < fg.mean() < 0.1, fg.mean(0)

def test_separation_option(tmp_path):
    assert rasterlog("synth", "--out", tmp_path, "--n", 2, "--separation", 0, "--clean", "--quiet").returncode == 0
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["images"][0]["params"]["separation_px"] == 0

@pytest.mark.parametrize("args, needle", [
    (["--n", "-3"], "positive"), (["--n", "0"], "positive"), (["--n", "2", "--height", "5"], "out of range"),
    (["--n", "2", "--width", "1000000"], "out of range"), (["--n", "two"], "invalid int"),
    (["--n", "2", "--without", "rain"], "unknown defect"),
])
def test_bad_input(tmp_path, args, needle):
    out = tmp_path / "o"
    r = rasterlog("synth", "--out", out, *args)
    assert needle in _one_line_error(r)
    assert not out.exists()

def test_unwritable_out(tmp_path):
    f = tmp_path / "file"; f.write_text("x")
    r = rasterlog("synth", "--out", f / "sub", "--n", 1)
    _one_line_error(r)
    assert f.read_text() == "x"

def test_help_lists_commands():
    r = rasterlog("--help")
    assert r.returncode == 0 and "synth" in r.stdout
