"""`rasterlog synth --sheets` and `rasterlog sheet`: the files, the layout rules and bad input (CONTRACT.md, 'Sheets')."""
import io, json, shutil
import numpy as np
import pytest
import yaml, lasio
from PIL import Image

from rasterlog_nb.core import BadInputError, read_image
from rasterlog_nb.sheetsynth import SheetConfig, make_sheet, synth_sheets, save_sheet_image
from rasterlog_nb.sheet import sheet_one, run_sheet, describe

needs_tess = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed (apt-get install tesseract-ocr)")
SMALL = SheetConfig(body_rows=(700, 700), n_tracks=(2, 2), track_width=(260, 280))


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    d = tmp_path_factory.mktemp("sheets")
    synth_sheets(d, 2, seed=4, cfg=SMALL, progress=False)
    return d


def files(d):
    return sorted(p.name for p in d.rglob("*") if p.is_file()) if d.exists() else []


def test_synth_sheets_files_reproduce(tmp_path, cli):
    for k in ("a", "b"):
        r = cli("synth", "--sheets", "--out", tmp_path / k, "--n", "1", "--seed", "9")
        assert r.returncode == 0, r.stderr
    a, b = tmp_path / "a", tmp_path / "b"
    assert files(a) == ["manifest.json", "sheet_000.json", "sheet_000.las", "sheet_000.png", "sheet_000.yaml"]
    for sub in ("images/sheet_000.png", "las/sheet_000.las", "layouts/sheet_000.yaml", "tracks/sheet_000.json"):
        assert (a / sub).read_bytes() == (b / sub).read_bytes(), sub
    lay = yaml.safe_load(open(a / "layouts/sheet_000.yaml"))
    assert "at" not in lay["depth"]
    T = lasio.read(str(a / "las/sheet_000.las"))
    assert [c.mnemonic for c in T.curves][1:] == [c["name"] for t in lay["tracks"] for c in t["curves"]]


def test_synth_sheets_from_las(tmp_path, cli):
    las = tmp_path.parent / "w.las"
    L = lasio.LASFile(); d = np.arange(1000, 1300, 0.1524)
    L.append_curve("DEPT", d, unit="M"); L.append_curve("GR", 60 + 40 * np.sin(d / 3), unit="GAPI")
    L.append_curve("RHOB", 2.4 + 0.2 * np.cos(d / 5), unit="G/C3")
    with open(las, "w") as f: L.write(f)
    r = cli("synth", "--sheets", "--out", tmp_path / "s", "--n", "2", "--seed", "1", "--from-las", las)
    assert r.returncode == 0, r.stderr
    for n in ("sheet_000", "sheet_001"):
        T = lasio.read(str(tmp_path / "s/las" / f"{n}.las"))
        if "GR" in [c.mnemonic for c in T.curves]:
            dep = T.index; gr = T["GR"]
            ok = np.isfinite(gr) & (gr > 0.5) & (gr < 149.5)
            assert np.allclose(gr[ok], 60 + 40 * np.sin(dep[ok] / 3), atol=0.05)   # the well's values, at the body's depths
    bad = cli("synth", "--sheets", "--out", tmp_path / "t", "--n", "1", "--from-las", tmp_path / "nope.las")
    assert bad.returncode == 2 and "no such LAS file" in bad.stderr and not (tmp_path / "t").exists()


@needs_tess
def test_sheet_cli_las_csv_qc(sheets, tmp_path, cli):
    img = sheets / "images/sheet_000.png"; lay = sheets / "layouts/sheet_000.yaml"
    r = cli("sheet", img, "--layout", lay, "--out", tmp_path / "o.csv", "--qc", tmp_path / "qc")
    assert r.returncode == 0, r.stderr
    T = lasio.read(str(sheets / "las/sheet_000.las"))
    head = (tmp_path / "o.csv").read_text().splitlines()
    names = [c["name"] for t in yaml.safe_load(open(lay))["tracks"] for c in t["curves"]]
    assert head[0] == ",".join(["row", "depth", *names]) and len(head) - 1 == len(T.index)
    assert files(tmp_path / "qc") == ["sheet_000.qc.json", "sheet_000.qc.png"]
    fit = json.load(open(tmp_path / "qc/sheet_000.qc.json"))["fit"]
    assert fit["readings"] >= 3
    r = cli("sheet", sheets / "images", "--layout", sheets / "layouts", "--out", f"{tmp_path / 'd'}/")
    assert r.returncode == 0, r.stderr
    assert files(tmp_path / "d") == ["sheet_000.las", "sheet_001.las"]
    P = lasio.read(str(tmp_path / "d/sheet_000.las"))
    assert "DFRES" in P.params and abs(P.index - T.index).max() <= 0.3
    step = cli("sheet", img, "--layout", lay, "--out", tmp_path / "s.las", "--step", "0.5")
    assert step.returncode == 0, step.stderr
    S = lasio.read(str(tmp_path / "s.las"))
    assert np.allclose(np.diff(S.index), 0.5)


@needs_tess
def test_describe_template_is_a_layout(sheets, tmp_path, cli):
    img = sheets / "images/sheet_001.png"
    r = cli("sheet", "--describe", img, "--out", tmp_path / "t.yaml")
    assert r.returncode == 0, r.stderr
    t = yaml.safe_load(open(tmp_path / "t.yaml"))
    assert [x["box"] for x in t["tracks"]] == json.load(open(sheets / "tracks/sheet_001.json"))["tracks"]
    assert t["depth"]["fit"]["readings"] >= 3 and "track 1: box" in r.stdout
    res = sheet_one(img, tmp_path / "t.yaml")   # the template, untouched, is a valid layout (placeholder scales)
    assert len(res.values) == 2 * len(t["tracks"])


def test_bad_layouts_one_line_no_file(sheets, tmp_path, cli):
    img = sheets / "images/sheet_000.png"
    lay = yaml.safe_load(open(sheets / "layouts/sheet_000.yaml"))
    cases = {
        "track count": (dict(lay, tracks=lay["tracks"] + [dict(curves=[dict(name="X", left=0, right=1)])]), "the layout lists 3 track(s), the sheet has 2"),
        "no span": (dict(lay, tracks=[dict(curves=[dict(lay["tracks"][0]["curves"][0], left=5, right=5)])] + lay["tracks"][1:]), "no span"),
        "two solid": (dict(lay, tracks=[dict(curves=[dict(name="A", left=0, right=1), dict(name="B", left=0, right=1)])] + lay["tracks"][1:]), "more than one solid"),
    }
    for what, (content, msg) in cases.items():
        p = tmp_path / f"{what.replace(' ', '_')}.yaml"; p.write_text(yaml.safe_dump(content))
        r = cli("sheet", img, "--layout", p, "--out", tmp_path / "out" / "x.las")
        assert r.returncode != 0, what
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and msg in lines[0], (what, r.stderr)
        assert not (tmp_path / "out").exists(), what


@needs_tess
def test_unreadable_depth_track_refuses(tmp_path, cli):
    sh = make_sheet(4, 0, SMALL)
    img = sh.image.copy(); x0, x1, y0, y1 = sh.boxes["depth_track"]
    img[y0 + 3:y1 - 3, x0 + 3:x1 - 2] = 255        # the printed depths wiped out
    Image.fromarray(img).save(tmp_path / "s.png")
    (tmp_path / "l.yaml").write_text(yaml.safe_dump(sh.layout))
    r = cli("sheet", tmp_path / "s.png", "--layout", tmp_path / "l.yaml", "--out", tmp_path / "o.las")
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1 and "depth.at" in r.stderr
    assert not (tmp_path / "o.las").exists()
    # depth.at rescues it: two [row, depth] pairs from the truth
    at = [[float(sh.rows[0]), float(sh.depth[0])], [float(sh.rows[-1]), float(sh.depth[-1])]]
    (tmp_path / "l.yaml").write_text(yaml.safe_dump(dict(sh.layout, depth=dict(unit="ft", at=at))))
    r = cli("sheet", tmp_path / "s.png", "--layout", tmp_path / "l.yaml", "--out", tmp_path / "o.las")
    assert r.returncode == 0, r.stderr
    assert np.allclose(lasio.read(str(tmp_path / "o.las")).index, sh.depth, atol=1e-4)


@needs_tess
def test_tiff_g4_and_multistrip(tmp_path):
    sh = make_sheet(4, 1, SheetConfig(body_rows=(1100, 1100), n_tracks=(2, 2), one_bit_p=1.0))
    im = Image.fromarray(sh.image).convert("1")
    im.save(tmp_path / "g4.tif", compression="group4")
    im.convert("L").save(tmp_path / "strips.tif", compression="tiff_lzw", tiffinfo={278: 64})   # 64 rows per strip
    for f in ("g4.tif", "strips.tif"):
        a = read_image(tmp_path / f)
        assert a.shape == sh.image.shape and np.array_equal(a > 127, sh.image > 127), f
    res = sheet_one(tmp_path / "g4.tif", sh.layout)
    assert len(res.depth) == len(sh.rows)


@needs_tess
def test_sheets_on_a_local_dask_cluster_agree(sheets, tmp_path, cli):
    "`rasterlog sheet DIR --workers 2` runs each sheet as a Dask task: the same LAS files as one process; --resume fills gaps."
    base = ("sheet", sheets / "images", "--layout", sheets / "layouts")
    r = cli(*base, "--out", f"{tmp_path / 'serial'}/")
    assert r.returncode == 0, r.stderr
    r = cli(*base, "--out", f"{tmp_path / 'local'}/", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert files(tmp_path / "local") == files(tmp_path / "serial") == ["sheet_000.las", "sheet_001.las"]
    for n in ("sheet_000.las", "sheet_001.las"):
        A, B = lasio.read(str(tmp_path / "serial" / n)), lasio.read(str(tmp_path / "local" / n))
        assert [c.mnemonic for c in A.curves] == [c.mnemonic for c in B.curves]
        for c in A.curves:
            a, b = A[c.mnemonic], B[c.mnemonic]
            assert np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a, b, equal_nan=True, atol=1e-6), c.mnemonic
    (tmp_path / "local/sheet_001.las").unlink()
    kept = (tmp_path / "local/sheet_000.las").stat().st_mtime_ns
    r = cli(*base, "--out", f"{tmp_path / 'local'}/", "--workers", "2", "--resume")
    assert r.returncode == 0, r.stderr
    assert "skipped 1 existing" in r.stdout and (tmp_path / "local/sheet_001.las").exists()
    assert (tmp_path / "local/sheet_000.las").stat().st_mtime_ns == kept
