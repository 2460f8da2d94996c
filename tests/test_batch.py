"""Batch inference (`segment` / `digitize` over a folder): one bad file does not stop the rest, a summary lists each
failure and its reason, the exit status is non-zero, `--resume` skips finished outputs, and a run where every input
fails leaves no output folder. Runs the CLI through the fork server of test_bad_input (one import of torch)."""
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from test_bad_input import ForkCLI, needs_digitize

@pytest.fixture(scope="module")
def fork_cli(tmp_path_factory):
    c = ForkCLI(tmp_path_factory.mktemp("forklogs"))
    yield c
    c.close()

@pytest.fixture(scope="module")
def F(tmp_path_factory):
    from rasterlog_nb.models import UNet
    from rasterlog_nb.registry import save_checkpoint
    d = tmp_path_factory.mktemp("inputs")
    Image.fromarray((np.random.default_rng(0).random((128, 64)) * 255).astype(np.uint8)).save(d / "ok.png")
    Image.new("L", (1, 1)).save(d / "tiny.png")
    save_checkpoint(d / "tiny.pt", UNet(base=4, depth=2))
    return d


@pytest.fixture
def batch(F, tmp_path):
    "A folder of two good scans and two bad files."
    d = tmp_path / "scans"; d.mkdir()
    for n in ("a", "b"): (d / f"{n}.png").write_bytes((F / "ok.png").read_bytes())
    (d / "c.png").write_text("not an image")
    (d / "d.png").write_bytes((F / "tiny.png").read_bytes())
    return d

def _batch_checks(r, out:Path, written:list, failed:list):
    assert r.returncode != 0, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    assert sorted(p.name for p in out.iterdir()) == written  # the good ones written, no temp files left
    for name in failed: assert any(name in l for l in r.stderr.splitlines()), f"{name} not in the summary:\n{r.stderr}"
    assert f"{len(failed)} of" in r.stderr, r.stderr

def test_segment_batch_one_bad_file(fork_cli, F, batch, tmp_path):
    r = fork_cli("segment", batch, "--out", "masks", "--model", F / "tiny.pt", "--quiet", cwd=tmp_path)
    _batch_checks(r, tmp_path / "masks", ["a.png", "b.png"], ["c.png", "d.png"])
    assert "not a readable image" in r.stderr and "smaller than" in r.stderr
    first = {p.name: p.stat().st_ino for p in (tmp_path / "masks").iterdir()}
    (tmp_path / "masks" / "b.png").unlink()
    r = fork_cli("segment", batch, "--out", "masks", "--model", F / "tiny.pt", "--quiet", "--resume", cwd=tmp_path)
    _batch_checks(r, tmp_path / "masks", ["a.png", "b.png"], ["c.png", "d.png"])  # failures are retried, and still fail
    assert (tmp_path / "masks" / "a.png").stat().st_ino == first["a.png"]  # finished: skipped, not rewritten
    r = fork_cli("segment", batch, "--out", "masks", "--model", F / "tiny.pt", "--quiet", cwd=tmp_path)
    assert (tmp_path / "masks" / "a.png").stat().st_ino != first["a.png"]  # without --resume: replaced (atomically)

def test_segment_batch_all_bad_makes_no_folder(fork_cli, F, batch, tmp_path):
    for n in ("a", "b"): (batch / f"{n}.png").unlink()
    r = fork_cli("segment", batch, "--out", "masks", "--model", F / "tiny.pt", "--quiet", cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert not (tmp_path / "masks").exists()

def test_segment_batch_name_clash(fork_cli, F, batch, tmp_path):
    "a.png and a.tif would both become masks/a.png: the second is a failure, not a silent overwrite."
    Image.open(F / "ok.png").save(batch / "a.tif")
    r = fork_cli("segment", batch, "--out", "masks", "--model", F / "tiny.pt", "--quiet", cwd=tmp_path)
    _batch_checks(r, tmp_path / "masks", ["a.png", "b.png"], ["a.tif", "c.png", "d.png"])
    assert "already written" in r.stderr

@needs_digitize
def test_digitize_batch_one_bad_file(fork_cli, F, batch, tmp_path):
    r = fork_cli("digitize", batch, "--out", "curves/", "--model", F / "tiny.pt", cwd=tmp_path)
    _batch_checks(r, tmp_path / "curves", ["a.csv", "b.csv"], ["c.png", "d.png"])
    ino = (tmp_path / "curves" / "a.csv").stat().st_ino
    (tmp_path / "curves" / "b.csv").unlink()
    r = fork_cli("digitize", batch, "--out", "curves/", "--model", F / "tiny.pt", "--resume", cwd=tmp_path)
    _batch_checks(r, tmp_path / "curves", ["a.csv", "b.csv"], ["c.png", "d.png"])
    assert (tmp_path / "curves" / "a.csv").stat().st_ino == ino

@needs_digitize
def test_digitize_batch_all_bad_makes_no_folder(fork_cli, F, batch, tmp_path):
    for n in ("a", "b"): (batch / f"{n}.png").unlink()
    r = fork_cli("digitize", batch, "--out", "curves/", "--model", F / "tiny.pt", cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert not (tmp_path / "curves").exists()

def test_tta_flag(fork_cli, F, tmp_path):
    "`--tta` on segment and evaluate: the masks are FlipTTA's, and the JSON says so."
    import json
    from rasterlog_nb.core import read_image
    from rasterlog_nb.models import predict
    from rasterlog_nb.registry import load_model
    r = fork_cli("segment", F / "ok.png", "--out", "m", "--model", F / "tiny.pt", "--tta", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    want = predict(load_model(F / "tiny.pt", tta=True), read_image(F / "ok.png"))
    assert np.array_equal(np.array(Image.open(tmp_path / "m" / "ok.png")), want)
    r = fork_cli("evaluate", "--benchmark", "--n", "1", "--tta", "--json", "e.json", "--model", F / "tiny.pt", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    e = json.loads((tmp_path / "e.json").read_text())
    assert e["tta"] is True and e["n_images"] == 1
