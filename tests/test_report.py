"The papermill report: tiny parameters, run headlessly, parameters recorded, no errors, artefacts written."
import json, re
from pathlib import Path
import nbformat, pytest
from conftest import rasterlog
from rasterlog_nb.report import run_report, report_parameters, load_sweep
from rasterlog_nb.core import BadInputError

TINY = dict(seed=3, n_test=2, n_train=8, epochs=1, train_minutes=0.3, height=128, width=96, separations="1.0,0.0")

def test_report_runs_with_tiny_parameters(tmp_path):
    w = run_report(tmp_path / "r", TINY, progress=False)
    d = tmp_path / "r"
    nb = nbformat.read(d / "report.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters == TINY
    errs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errs
    m = json.loads((d / "metrics.json").read_text())
    assert len(m["iou"]) == 3 and m["parameters"]["seed"] == 3 and len(m["separation_sweep"]) == 2
    html = (d / "report.html").read_text()
    assert "IoU" in html
    assert not re.findall(r'<script[^>]+src=["\']https?://', html), "report loads scripts from the network"
    assert not list(d.glob(".report-*")), "temporary folder left behind"

def test_unknown_or_badly_typed_parameter_refused_before_running(tmp_path):
    r = rasterlog("report", "--out", tmp_path / "o", "-p", "epoch", "1")
    assert r.returncode == 2 and "unknown report parameter" in r.stderr and "Traceback" not in r.stderr
    r = rasterlog("report", "--out", tmp_path / "o", "-p", "epochs", "one")
    assert r.returncode == 2 and "is not an int" in r.stderr
    assert not (tmp_path / "o").exists()

def test_parameters_cell_is_typed():
    spec = report_parameters()
    assert {"seed", "n_train", "n_test", "height", "width", "epochs", "archs", "separations", "model"} <= set(spec)
    assert spec["epochs"][0] is int and spec["train_minutes"][0] is float

def test_sweep_file_checked(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("- name: a\n  params: {epochs: 2}\n- name: a\n  params: {}\n")
    with pytest.raises(BadInputError, match="unique"): load_sweep(f)
    f.write_text("- name: a\n  params: {epoch: 2}\n")
    with pytest.raises(BadInputError, match="unknown report parameter"): load_sweep(f)
    f.write_text("- name: a\n  params: {epochs: 2}\n- name: b\n  params: {seed: 4}\n")
    assert [r["name"] for r in load_sweep(f)] == ["a", "b"]
