"What the exhibits' notebook (`08_exhibits`, run under ipympl) cannot test: fresh processes, and the headless PNG path of both views (MPLBACKEND=Agg)."
import os
os.environ.setdefault("MPLBACKEND", "Agg")
import subprocess, sys
import numpy as np
import pytest
from rasterlog_nb.exhibits import SeparationExhibit, ObjectCountLever
from rasterlog_nb.widgets import snapshot


def _run(code):
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_import_is_light():
    _run("import sys, rasterlog_nb.exhibits, rasterlog_nb.widgets; "
         "bad = [m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules]; assert not bad, bad")


def test_no_model_loads_nothing():
    "Both exhibits, with their default arguments, measure without torch (no model is loaded)."
    _run("import sys; from rasterlog_nb.exhibits import SeparationExhibit, ObjectCountLever; "
         "ex = SeparationExhibit(); ex.separation = 0; lev = ObjectCountLever(); lev.count = 50; "
         "assert ex.model is None and ex.box_iou > 0.9 and lev.verdict == 'instance'; assert 'torch' not in sys.modules")


def test_separation_widget_round_trip():
    ex = SeparationExhibit()
    assert not ex.has_view
    v = ex.view
    assert ex.widget is v.widget
    png0 = v.png.value                                             # headless: the figure is a PNG in an Image widget
    ex.separation = 0.0
    assert v.slider.value == 0.0 and v.png.value != png0           # redrawn before the setter returned
    assert f"{ex.box_iou:.2f}" in v.readout.value and f"{ex.box_iou:.2f}" in v.axs[0].get_title()
    np.testing.assert_array_equal(v.im.get_array(), ex.log.image)
    np.testing.assert_array_equal(v.lab.get_array(), ex.log.mask)
    assert v.rects[0].get_x() == pytest.approx(ex.boxes[0, 0]) and v.inter.get_visible()
    assert v.slider.step == 1.0                                    # one key press: one pixel
    v.slider.value = ex.max_separation * 0.4
    assert ex.separation == pytest.approx(ex.max_separation * 0.4)
    assert v.rects[1].get_x() == pytest.approx(ex.boxes[1, 0])
    assert len(snapshot(ex.figure).data) > 1000


def test_lever_widget_round_trip():
    lev = ObjectCountLever()
    v = lev.view
    png0 = v.png.value
    lev.count = 50
    assert v.slider.value == 50 and "Verdict: instance" in v.readout.value and v.png.value != png0
    np.testing.assert_array_equal(v.ins.get_array(), lev.instance)
    assert (v.slider.min, v.slider.max, v.slider.step) == (2, 500, 1)    # whole counts: one key press is one object
    v.slider.value = 3
    assert lev.count == 3 and "Verdict: instance" in v.readout.value
    v.slider.value = 2
    assert lev.count == 2 and v.slider.value == 2 and "Verdict: semantic" in v.readout.value
    assert "Why semantic beside" in v.details.value and " USD" in v.details.value
    v.kind.value = "grains"
    assert lev.kind == "grains" and v.curve.get_label() == "grains: measured"
    lev.kind = "curves"
    assert v.kind.value == "curves"
    assert len(v.out.outputs) == 0                                 # no callback raised
