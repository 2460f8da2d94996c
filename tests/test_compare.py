"The head-to-head: a micro compare writes the contract's keys; the pilot refuses unfit folders and writes nothing."
import json, shutil
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from rasterlog_nb.core import BadInputError
from rasterlog_nb.synth import SynthConfig, synth_set
from rasterlog_nb.compare import ARCH_NAMES, compare, quick_config, write_outputs, run_compare, pilot_logs, compare_markdown
from rasterlog_nb.cli import main

ARCH_KEYS = {"iou", "f1", "tolerance_f1", "rows_within_2px", "params", "train_seconds", "inference_ms_per_mpx", "peak_memory_mb"}
TINY_RCNN = dict(fpn_channels=32, box_repr=32, mask_channels=16)


@pytest.fixture(autouse=True)
def _one_thread():
    import torch
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def micro(**kw):
    return quick_config(height=48, width=32, n_test=2, minutes=0.01, batch_size=2, separations=5, sweep_n=1,
                        models=dict(unet=dict(base=4, depth=2), binary=dict(base=4, depth=2),
                                    maskrcnn=dict(instances="curve", **TINY_RCNN), maskrcnn_segments=dict(instances="segments", **TINY_RCNN)),
                        **kw)


def test_micro_compare_writes_contract_keys(tmp_path):
    res = compare(micro(), progress=False)
    out = tmp_path / "c"
    files = write_outputs(res, out)
    assert sorted(f.name for f in files) == ["compare.json", "compare.md", "separation_sweep.png"]
    r = json.loads((out / "compare.json").read_text())
    assert list(r["archs"]) == list(ARCH_NAMES)
    for name, a in r["archs"].items():
        assert ARCH_KEYS <= set(a), (name, ARCH_KEYS - set(a))
        assert len(a["iou"]) == 3 and all(v is None or 0 <= v <= 1 for v in a["iou"])
        assert a["stop_reason"] == "budget"  # the clock ended training, not the epochs
        assert a["train_steps"] >= 1 and a["inference_ms_per_mpx"] > 0
    assert isinstance(r["archs"]["binary"]["conflict_pixels"], int) and isinstance(r["archs"]["binary"]["silent_pixels"], int)
    sw = r["separation_sweep"]
    assert len(sw) >= 5 and all({"separation_px", "box_iou", *ARCH_NAMES} <= set(s) for s in sw)
    assert sw[0]["separation_px"] > sw[-1]["separation_px"] == 0 and sw[-1]["box_iou"] > sw[0]["box_iou"]
    assert r["budget"]["minutes_per_arch"] == 0.01 and "checklist" in r and "checklist" not in r["archs"]
    assert "0.37, 0.26, 0.55" in (out / "compare.md").read_text()


def _run(out, **kw):
    "`run_compare` as `rasterlog compare --quick --quiet` calls it."
    return run_compare(**{**dict(out=str(out), quick=True, data=None, minutes=None, seed=0, archs=ARCH_NAMES, progress=False), **kw})


@pytest.fixture(scope="module")
def pilot_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("pilot") / "p"
    synth_set(d, 8, seed=3, cfg=SynthConfig(height=48, width=32), progress=False)
    return d


def _copy(src, dst, curves=True):
    shutil.copytree(src, dst)
    if not curves: shutil.rmtree(dst / "curves")
    return dst


def _first_mask(d): return sorted((d / "masks").iterdir())[0]


@pytest.mark.parametrize("case, expect", [
    ("missing_mask", "mask missing"), ("wrong_size", "mask is"), ("bad_values", "values must be 0, 1 or 2"),
    ("few_images", "at least 8"), ("class_absent", "absent from every mask")])
def test_pilot_refusals(pilot_dir, tmp_path, case, expect):
    d = _copy(pilot_dir, tmp_path / "bad")
    named = _first_mask(d).name
    if case == "missing_mask": _first_mask(d).unlink()
    elif case == "wrong_size": Image.fromarray(np.zeros((50, 32), np.uint8)).save(_first_mask(d))
    elif case == "bad_values":
        m = np.asarray(Image.open(_first_mask(d))).copy(); m[0, 0] = 7; Image.fromarray(m).save(_first_mask(d))
    elif case == "few_images":
        named = d.name
        for p in sorted((d / "images").iterdir())[:2]: p.unlink()
    elif case == "class_absent":
        named = "curve2"
        for p in (d / "masks").iterdir():
            m = np.asarray(Image.open(p)).copy(); m[m == 2] = 0; Image.fromarray(m).save(p)
    out = tmp_path / "o"
    with pytest.raises(BadInputError) as e: _run(out, data=str(d))
    msg = str(e.value)
    assert expect in msg and named in msg and "\n" not in msg, msg
    assert not out.exists()


def test_pilot_main_one_line_and_nothing_written(pilot_dir, tmp_path, capsys):
    d = _copy(pilot_dir, tmp_path / "bad"); _first_mask(d).unlink()
    assert main(["compare", "--out", str(tmp_path / "o"), "--quick", "--data", str(d)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mask missing" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "o").exists()


def test_pilot_without_curves(pilot_dir, tmp_path):
    d = _copy(pilot_dir, tmp_path / "nocurves", curves=False)
    pl = pilot_logs(d, seed=0)
    assert (len(pl["train"]), len(pl["test"]), pl["curves"]) == (6, 2, False)
    out = tmp_path / "o"
    res = _run(out, data=str(d), minutes=0.01, archs=("unet", "binary"))
    r = json.loads((out / "compare.json").read_text())
    assert r == json.loads(json.dumps(res))
    assert r["separation_sweep"] == [] and not (out / "separation_sweep.png").exists()
    for a in r["archs"].values(): assert a["rows_within_2px"] is None and a["swap_rate"] is None and len(a["iou"]) == 3
    assert r["checklist"]["verdict"] in ("semantic", "instance", "panoptic", "pilot both")
    assert r["run"]["command"].startswith("rasterlog compare --out") and "--data" in r["run"]["command"]
    assert "No separation sweep" in (out / "compare.md").read_text()


def test_bad_flags_refused_before_work(tmp_path):
    (tmp_path / "file").write_text("x")
    for kw, msg in [(dict(out=tmp_path / "file"), "not a folder"), (dict(minutes=0.0), "--minutes"), (dict(archs=("unet", "detr")), "unknown entry")]:
        with pytest.raises(BadInputError, match=msg): _run(kw.pop("out", tmp_path / "o"), **kw)
    assert not (tmp_path / "o").exists()

