"The exhibits with no browser: state, validation, the widget round trip, model hooks (MPLBACKEND=Agg)."
import os
os.environ.setdefault("MPLBACKEND", "Agg")
import subprocess, sys
import numpy as np
import pytest
from rasterlog_nb.core import BadInputError
from rasterlog_nb.exhibits import (SeparationExhibit, ObjectCountLever, box_overlap, detections, detections_to_mask,
                                   count_scene, count_components, counting_error, count_verdict, separation_sweep,
                                   COUNT_ERROR_THRESHOLD, snapshot)
from rasterlog_nb.decide import annotation_hours
from rasterlog_nb.synth import curve_boxes


def test_import_is_light():
    code = ("import sys, rasterlog_nb.exhibits as e; "
            "assert 'torch' not in sys.modules and 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules, "
            "sorted(m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_separation_box_iou_rises_to_one():
    ex = SeparationExhibit()
    assert ex.separation == ex.max_separation == ex.band
    vals = []
    for f in (1.0, 0.75, 0.5, 0.25, 0.0):
        ex.separation = ex.max_separation * f
        vals.append(ex.box_iou)
        assert 0 <= ex.overlap <= 100
    assert all(b > a for a, b in zip(vals, vals[1:])), vals
    assert vals[0] < 0.05 and vals[-1] > 0.95
    assert ex.overlap > 99


@pytest.mark.parametrize("seed,h,w,band", [(1, 256, 192, None), (5, 160, 128, None), (2, 256, 192, 50.0)])
def test_separation_other_logs(seed, h, w, band):
    s = separation_sweep(6, seed=seed, height=h, width=w, band=band)
    assert all(b >= a - 1e-9 for a, b in zip(s["box_iou"], s["box_iou"][1:])) and s["box_iou"][-1] > 0.8
    np.testing.assert_allclose(s["box_iou"], s["formula"], atol=0.06)


def test_only_separation_changes():
    a, b = SeparationExhibit(separation=10.0), SeparationExhibit(separation=30.0)
    d = lambda e: e.log.curves[:, 0] - e.log.curves[:, 0].mean()
    np.testing.assert_allclose(d(a), d(b), atol=1e-6)
    a.separation = 30.0
    np.testing.assert_array_equal(a.log.image, b.log.image)


def test_separation_validation():
    ex = SeparationExhibit()
    for bad, msg in ((-1, "0.."), (ex.max_separation + 1, "max_separation"), (float("inf"), "number"), (None, "number"), (True, "number")):
        with pytest.raises(BadInputError, match=msg): ex.separation = bad
    assert ex.separation == ex.max_separation
    ex.separation = np.float32(5); assert ex.separation == 5.0


def test_separation_widget_round_trip():
    ex = SeparationExhibit()
    assert ex._view is None
    v = ex._ensure_view()
    assert ex.widget is v.widget
    png0 = v.png.value
    ex.separation = 0.0
    assert v.slider.value == 0.0 and v.png.value != png0
    assert f"{ex.box_iou:.2f}" in v.readout.value and f"{ex.box_iou:.2f}" in v.axs[0].get_title()
    np.testing.assert_array_equal(v.im.get_array(), ex.log.image)
    np.testing.assert_array_equal(v.lab.get_array(), ex.log.mask)
    assert v.rects[0].get_x() == pytest.approx(ex.boxes[0, 0]) and v.inter.get_visible()
    v.slider.value = ex.max_separation * 0.4
    assert ex.separation == pytest.approx(ex.max_separation * 0.4)
    assert v.rects[1].get_x() == pytest.approx(ex.boxes[1, 0])
    assert len(snapshot(ex.figure).data) > 1000


def test_box_overlap():
    assert box_overlap([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(0.5)
    assert box_overlap([0, 0, 10, 10], [2, 2, 4, 4]) == 1.0
    assert box_overlap([0, 0, 1, 1], [2, 2, 3, 3]) == 0.0


def test_semantic_model_and_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    from rasterlog_nb.models import UNet
    from rasterlog_nb.registry import save_checkpoint
    from rasterlog_nb.metrics import confusion_matrix, iou_f1
    torch.manual_seed(0)
    m = UNet(base=4, depth=2)
    ex = SeparationExhibit(model=m, separation=0)
    assert ex.prediction.shape == ex.log.image.shape and ex.prediction.dtype == np.uint8
    assert ex.class_iou == iou_f1(confusion_matrix(ex.prediction, ex.log.mask))[0]
    v = ex._ensure_view()
    assert len(v.axs) == 3 and "model: IoU" in v.axs[2].get_title() and "model per-class IoU" in v.readout.value
    ex.separation = 10
    np.testing.assert_array_equal(v.pred.get_array(), ex.prediction)
    p = save_checkpoint(tmp_path / "tiny.pt", m)
    e2 = SeparationExhibit(model=p, separation=10)
    np.testing.assert_array_equal(e2.prediction, ex.prediction)
    assert "class_iou" in e2.to_dict()
    with pytest.raises(Exception, match="no such checkpoint"): SeparationExhibit(model=tmp_path / "missing.pt")
    with pytest.raises(BadInputError, match="neither"): SeparationExhibit(model=object())


class _Detector:
    "A stand-in Mask R-CNN: torchvision-style output (a list of one dict of arrays), truth boxes and masks of a reference log."
    def __init__(self, ref): self.ref = ref
    def detect(self, image):
        lg = self.ref.log
        m = np.stack([lg.mask == 1, lg.mask == 2])[:, None].astype(np.float32)
        return [{"boxes": curve_boxes(lg), "labels": np.array([1, 2]), "scores": np.array([0.9, 0.8]), "masks": m}]


def test_detector_hook():
    ref = SeparationExhibit(separation=25)
    ex = SeparationExhibit(model=_Detector(ref), separation=25)
    np.testing.assert_allclose(ex.detections["boxes"], ex.boxes)
    assert ex.detections["masks"].dtype == bool
    assert ex.class_iou[1:] == [1.0, 1.0]
    v = ex._ensure_view()
    assert len(v.det_boxes) == 2 and v.det_tint is not None and "2 detected boxes" in v.readout.value
    lab = detections_to_mask(detections({"boxes": [[0, 0, 2, 2]], "labels": [2]}, (5, 5)), (5, 5))
    assert lab[:3, :3].tolist() == [[2] * 3] * 3 and lab.sum() == 18
    with pytest.raises(BadInputError, match="boxes"): detections({"masks": 1}, (5, 5))


def test_lever_verdicts_and_state():
    lev = ObjectCountLever()
    assert lev.count == 2 and lev.verdict == "semantic"
    seen = {}
    for n in (2, 3, 50, 500):
        lev.count = n
        seen[n] = lev.verdict
        assert lev.error == counting_error(n)["error"]
        assert lev.hours == annotation_hours(100, n, n_classes=n + 1 if n <= 2 else 2)
        assert lev.instance.shape == lev.semantic.shape
    assert seen == {2: "semantic", 3: "instance", 50: "instance", 500: "instance"}
    assert lev.hours["instance"]["hours"] > 10 * lev.hours["semantic"]["hours"]
    g = ObjectCountLever(kind="grains", count=3)
    assert g.verdict == "semantic" and g.error <= COUNT_ERROR_THRESHOLD
    g.count = 500
    assert g.verdict == "instance"
    for bad, msg in ((1, "2..500"), (501, "2..500"), (2.5, "whole number"), ("ten", "whole number"), (False, "whole number")):
        with pytest.raises(BadInputError, match=msg): lev.count = bad
    assert lev.count == 500
    with pytest.raises(BadInputError, match="kind"): lev.kind = "cells"
    d = lev.to_dict()
    assert d["verdict"] == "instance" and d["count"] == 500


def test_counting_pieces():
    m = count_scene(20, "grains")
    assert m.dtype == np.int16 and m.max() <= 20
    m[0, 0] = 99  # a copy: the cache is not touched
    assert count_scene(20, "grains")[0, 0] != 99
    assert count_components(np.array([[1, 1, 0, 1]])) == 2
    assert count_components(np.eye(4)) == 1  # 8-connected
    assert count_verdict(2, 0.9)[0] == "semantic"
    assert count_verdict(10, 0.01)[0] == "semantic" and count_verdict(10, 0.2)[0] == "instance"


def test_lever_widget_round_trip():
    lev = ObjectCountLever()
    v = lev._ensure_view()
    lev.count = 50
    assert v.slider.value == 50.0 and "Verdict: instance" in v.readout.value
    np.testing.assert_array_equal(v.ins.get_array(), lev.instance)
    v.slider.value = 2.3
    assert lev.count == 2 and v.slider.value == 2.0 and "Verdict: semantic" in v.readout.value
    v.kind.value = "grains"
    assert lev.kind == "grains" and v.curve.get_label() == "grains: measured"
    lev.kind = "curves"
    assert v.kind.value == "curves"
