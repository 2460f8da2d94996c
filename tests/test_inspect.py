"The mask inspector and the live trainer with no browser: state, widgets round trip, hover, threads (MPLBACKEND=Agg)."
import os
os.environ.setdefault("MPLBACKEND", "Agg")
import subprocess, sys, time
from types import SimpleNamespace
import numpy as np
import pytest
import torch
from rasterlog_nb.core import CLASSES, BadInputError, CheckpointError
from rasterlog_nb.inspect_masks import MaskInspector, error_map, image_metrics, SCORE_KEYS
from rasterlog_nb.live import LiveTrainer
from rasterlog_nb.models import UNet
from rasterlog_nb.registry import save_checkpoint, default_model_path
from rasterlog_nb.synth import make_log, SynthConfig, synth_set
from rasterlog_nb.train import TrainConfig

torch.set_num_threads(1)


def tiny_cfg(**kw):
    return TrainConfig(**{**dict(model=dict(base=4, depth=2), epochs=2, n_per_epoch=4, batch_size=2, crop=(32, 32), val_n=1), **kw})


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return UNet(base=4, depth=2).eval()


def wait_for(cond, timeout=60):
    t0 = time.time()
    while not cond():
        if time.time() - t0 > timeout: raise AssertionError("timed out")
        time.sleep(0.02)


def test_import_is_light():
    code = ("import sys, rasterlog_nb.inspect_masks, rasterlog_nb.live; "
            "bad = [m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules]; assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_error_map_and_metrics():
    t = np.array([[0, 1, 1, 2, 0, 2]]); p = np.array([[0, 1, 0, 1, 2, 2]])
    np.testing.assert_array_equal(error_map(p, t), [[0, 1, 3, 4, 2, 1]])
    m = image_metrics(p, t)
    assert (m["false_positive"], m["false_negative"], m["wrong_curve"]) == (1, 1, 1)
    assert m["truth_pixels"] == [2, 2, 2] and m["pred_pixels"] == [2, 2, 2]
    assert image_metrics(t, t)["iou"] == [1.0, 1.0, 1.0]
    assert all(image_metrics(None, t)[k] is None for k in SCORE_KEYS)
    with pytest.raises(BadInputError, match="differ in shape"): error_map(p, t[:, :2])


def test_truth_only_browsing():
    ins = MaskInspector(n=3)
    assert len(ins) == 3 and ins.index == 0 and ins.prediction is None and ins.errors is None and ins.traced is None
    assert ins.metrics["iou"] is None and ins.metrics["truth_pixels"][1] > 0
    names = [ins.log.name]
    for _ in range(3): names.append(ins.next().log.name)
    assert names[0] == names[3] and len(set(names[:3])) == 3      # three distinct samples, then wraps
    assert ins.prev().index == 2 and ins.metrics["index"] == 2
    for bad, msg in ((3, "0..2"), (-1, "0..2"), (1.5, "whole number"), (True, "whole number")):
        with pytest.raises(BadInputError, match=msg): ins.index = bad
    assert ins.index == 2
    assert "truth only" in repr(ins)


def test_show_classes():
    ins = MaskInspector(n=1)
    assert ins.show_classes == (1, 2)
    ins.show_classes = ["curve2"]; assert ins.show_classes == (2,)
    ins.show_classes = 1; assert ins.show_classes == (1,)
    ins.show_classes = []; assert ins.show_classes == ()
    assert set(np.unique(ins.visible(ins.log.mask))) == {0}
    for bad in ([0], ["background"], [3], [True]):
        with pytest.raises(BadInputError, match="curve classes"): ins.show_classes = bad


def test_with_model_metrics_hover_and_cache(tiny):
    ins = MaskInspector(n=2, model=tiny)
    lg = ins.log
    assert ins.prediction.shape == lg.image.shape and ins.proba.shape == (3, *lg.image.shape)
    assert ins.traced.shape == (lg.height, 2)                      # the digitiser ran
    m = ins.metrics
    assert set(m) >= {*SCORE_KEYS, "truth_pixels", "pred_pixels", "false_positive", "false_negative", "wrong_curve", "name"}
    assert all(0 <= v <= 1 for v in m["iou"]) and m["mae_px"] is not None
    assert m["false_positive"] == int((ins.errors == 2).sum()) and m["pred_pixels"] == np.bincount(ins.prediction.ravel(), minlength=3).tolist()
    h = ins.hover_at(12.4, 30.6)
    assert (h["row"], h["col"], h["grey"]) == (12, 31, int(lg.image[12, 31]))
    assert h["truth"] == CLASSES[lg.mask[12, 31]] and h["prediction"] == CLASSES[ins.prediction[12, 31]] and 0 <= h["p"] <= 1
    assert h["depth"] == pytest.approx(lg.depths()[12])
    assert ins.hover_at(lg.height, 0) is None and ins.hover_at(0, -1) is None
    assert ins.on_move(SimpleNamespace(inaxes=object(), xdata=3.0, ydata=4.0))["row"] == 4 and ins.hover["col"] == 3
    assert ins.on_move(SimpleNamespace(inaxes=None, xdata=None, ydata=None)) is None and ins.hover is None
    pred0 = ins.prediction
    ins.next(); ins.prev()
    assert ins.prediction is pred0                                 # kept, not recomputed


def test_model_from_checkpoint_custom_tracer_and_default(tmp_path, tiny):
    save_checkpoint(tmp_path / "m.pt", tiny)
    calls = []
    def tracer(p):
        calls.append(p.shape); return np.full((p.shape[1], 2), 5.0)
    ins = MaskInspector(n=1, model=tmp_path / "m.pt", tracer=tracer)
    assert calls == [(3, *ins.log.image.shape)] and (ins.traced == 5.0).all()
    np.testing.assert_array_equal(ins.prediction, MaskInspector(n=1, model=tiny).prediction)
    assert MaskInspector(n=1, model=tiny, tracer=None).traced is None
    with pytest.raises(BadInputError, match="checkpoint path"): MaskInspector(n=1, model=42)
    with pytest.raises(CheckpointError): MaskInspector(n=1, model=tmp_path / "missing.pt")
    if not default_model_path().exists():
        with pytest.raises(CheckpointError, match="not shipped"): MaskInspector(n=1, model="default")


def test_sources(tmp_path, tiny):
    logs = [make_log(0, 0, SynthConfig(height=64, width=48)), make_log(0, 1, SynthConfig(height=80, width=64))]
    ins = MaskInspector(logs, model=tiny)
    ins.index = 1
    assert ins.prediction.shape == (80, 64)
    assert len(MaskInspector(logs[0])) == 1
    synth_set(tmp_path, 3, seed=2, cfg=SynthConfig(height=64, width=48), progress=False)
    f = MaskInspector(tmp_path, n=None)
    assert len(f) == 3 and f.log.image.shape == (64, 48) and f.log.curves is not None
    assert len(MaskInspector(tmp_path, n=2)) == 2
    with pytest.raises(BadInputError, match="unknown split"): MaskInspector(split="dev")
    with pytest.raises(BadInputError, match="no samples"): MaskInspector([])
    with pytest.raises(BadInputError, match="source must be"): MaskInspector(42)


def test_inspector_widget_round_trip(tiny):
    ins = MaskInspector(n=3, model=tiny)
    assert not ins.has_view
    w = ins.widget; v = ins.view
    assert ins.widget is w and v.names == ["image", "truth", "prediction", "overlay", "errors"]
    png0 = v.png.value
    ins.index = 2                                                  # state -> widgets and artists
    assert v.slider.value == 3 and v.png.value != png0             # the slider counts from 1, as the header's "3/3" does
    assert "(3/3," in v.metrics_html.value
    np.testing.assert_array_equal(v.im["image"].get_array(), ins.log.image)
    np.testing.assert_array_equal(v.im["prediction"].get_array(), ins.prediction)
    np.testing.assert_array_equal(v.im["errors"].get_array(), ins.errors)
    np.testing.assert_allclose(v.trace_lines[0].get_xdata(), ins.traced[:, 0])
    assert ins.log.name in v.metrics_html.value
    v.slider.value = 1; assert ins.index == 0                      # widgets -> state
    v.next_b.click(); assert ins.index == 1
    v.prev_b.click(); assert ins.index == 0
    v.toggles[2].value = False
    assert ins.show_classes == (1,)
    assert not (np.asarray(v.im["truth"].get_array()) == 2).any() and len(v.truth_lines[1].get_xdata()) == 0
    ins.show_classes = (1, 2); assert v.toggles[2].value
    v.curves_cb.value = False; assert not ins.show_curves and len(v.trace_lines[0].get_xdata()) == 0
    ins.show_curves = True; assert v.curves_cb.value and len(v.trace_lines[0].get_xdata()) == ins.log.height
    np.testing.assert_array_equal(v.path_lines[0].get_xdata(), ins.traced[:, 0])   # traced paths over the overlay panel
    v.paths_cb.value = False; assert not ins.show_paths and len(v.path_lines[0].get_xdata()) == 0
    ins.show_paths = True; assert v.paths_cb.value and len(v.path_lines[0].get_xdata()) == ins.log.height
    assert ins.confidence.shape == ins.traced.shape                               # the default tracer's confidence
    marked = np.isfinite(np.asarray(v.low_marks[0].get_xdata(), float))
    np.testing.assert_array_equal(marked, (np.nan_to_num(ins.confidence[:, 0], nan=1.0) < 0.5) & np.isfinite(ins.traced[:, 0]))
    ins.on_move(SimpleNamespace(inaxes=v.axs[0], xdata=9.0, ydata=11.0))
    assert "row <b>11</b>" in v.hover_html.value and "grey" in v.hover_html.value
    v.on_move(SimpleNamespace(inaxes=object(), xdata=9.0, ydata=11.0))     # another figure's axes: ignored
    assert ins.hover is None
    assert len(v.out.outputs) == 0                                 # no callback raised


def test_inspector_view_truth_only_sizes_change():
    logs = [make_log(0, 0, SynthConfig(height=64, width=48)), make_log(0, 1, SynthConfig(height=80, width=64))]
    ins = MaskInspector(logs)
    v = ins.view
    assert v.names == ["image", "truth", "overlay"]
    ins.index = 1
    assert list(v.im["image"].get_extent()) == [-0.5, 63.5, 79.5, -0.5]
    assert v.axs[0].get_ylim() == (79.5, -0.5)


def test_live_trainer_runs_to_done(tmp_path):
    lt = LiveTrainer(tiny_cfg(), out=tmp_path / "best.pt")
    assert lt.state == "idle" and lt.wait(0.1)
    lt.start()
    assert lt.state in ("running", "done")                         # start() returns; the run goes on in its thread
    assert lt.wait(120)
    assert lt.state == "done", lt.error
    kinds = [e["kind"] for e in lt.history]
    assert "step" in kinds and kinds.count("epoch") == 2 and kinds[-1] == "done"
    assert lt.checkpoint == tmp_path / "best.pt" and lt.checkpoint.exists()
    assert lt.progress == 1.0 and lt.epoch_ious()[1].shape == (2, 3)
    assert "done" in lt.status() and "best mean curve IoU" in lt.status()
    lt.start(); assert lt.wait(120) and lt.state == "done"         # a second run starts afresh
    assert [e["kind"] for e in lt.history].count("epoch") == 2


def test_live_trainer_pause_resume_stop(tmp_path):
    lt = LiveTrainer(tiny_cfg(epochs=200, n_per_epoch=8), out=tmp_path / "best.pt")
    lt.start()
    assert lt.state == "running"                                   # 200 epochs: start() came back long before their end
    with pytest.raises(BadInputError, match="already running"): lt.start()
    with pytest.raises(BadInputError, match="stop the run"): lt.lr = 0.1
    wait_for(lambda: any(e["kind"] == "step" for e in lt.history))
    lt.pause(); assert lt.state == "paused"
    time.sleep(0.4); n = len(lt.history); time.sleep(0.6)
    assert len(lt.history) == n                                    # paused: nothing happens
    with pytest.raises(BadInputError, match="cannot pause"): lt.pause()
    lt.resume(); assert lt.state == "running"
    wait_for(lambda: len(lt.history) > n)
    lt.stop()
    assert lt.wait(60) and lt.state == "stopped"
    assert lt.history[-1]["kind"] == "done" and lt.history[-1]["stopped"]
    with pytest.raises(BadInputError, match="cannot resume"): lt.resume()


def test_stop_while_paused_and_before_trainer_exists(tmp_path):
    lt = LiveTrainer(tiny_cfg(epochs=200, n_per_epoch=8), out=tmp_path / "a.pt")
    lt.start(); lt.pause(); lt.stop()                              # requested before the Trainer is even built
    assert lt.wait(60) and lt.state == "stopped"
    assert not any(e["kind"] == "epoch" for e in lt.history)


def test_controls_change_the_config_used(tmp_path):
    lt = LiveTrainer(tiny_cfg(), out=tmp_path / "best.pt")
    v = lt.view
    v.controls["lr"].value = 0.02
    v.controls["loss"].value = "focal"
    v.controls["w2"].value = 4.0
    v.controls["base"].value = 6
    v.controls["epochs"].value = 1
    assert (lt.config.lr, lt.config.loss, lt.config.class_weights, lt.config.model["base"], lt.config.epochs) == \
        (pytest.approx(0.02), "focal", (0.6, 1.2, 4.0), 6, 1)
    lt.class_weights = (0.5, 2, 2); assert v.controls["w0"].value == 0.5   # state -> controls
    for name, bad, msg in (("loss", "l2", "unknown loss"), ("lr", -1, "positive"), ("class_weights", (1, 1), "3 numbers"),
                           ("base", 1, "2..128"), ("epochs", 0, ">= 1")):
        with pytest.raises(BadInputError, match=msg): setattr(lt, name, bad)
    v.buttons["start"].click()
    assert v.controls["lr"].disabled and v.buttons["start"].disabled
    assert lt.wait(120) and lt.state == "done", lt.error
    tr = lt.trainer
    assert tr.cfg.lr == pytest.approx(0.02) and tr.cfg.loss == "focal" and tr.cfg.class_weights == (0.5, 2.0, 2.0)
    assert tr.model.config["base"] == 6 and tr.epoch == 1
    from rasterlog_nb.registry import load_checkpoint
    assert load_checkpoint(tmp_path / "best.pt")["train_config"]["model"]["base"] == 6
    assert not v.controls["lr"].disabled and v.bar.value == v.bar.max and v.bar.bar_style == "success"
    assert len(v.loss_line.get_xdata()) == len(lt.steps()[0]) > 0
    assert len(v.out.outputs) == 0


def test_error_state(tmp_path):
    lt = LiveTrainer(tiny_cfg(loss="no-such-loss"), out=tmp_path / "x.pt")
    lt.start(); assert lt.wait(60)
    assert lt.state == "error" and "no-such-loss" in lt.error and "Traceback" in lt.traceback
    assert "error" in lt.status()


def test_plot_updates_are_throttled(tmp_path, monkeypatch):
    import rasterlog_nb.live as live
    # an interval no run reaches: only the forced redraws remain, however fast or slow the machine
    lt = LiveTrainer(tiny_cfg(epochs=3, n_per_epoch=16, crop=(16, 16)), out=tmp_path / "t.pt", min_interval=1e9)
    v = lt.view
    draws = []
    monkeypatch.setattr(live, "refresh", lambda fig, png: draws.append(time.monotonic()))
    lt.start(); assert lt.wait(120)
    forced = sum(e["kind"] != "step" for e in lt.history) + 2      # epoch/done events and the end of the run
    steps = sum(e["kind"] == "step" for e in lt.history)
    assert len(draws) <= forced < steps, (len(draws), forced, steps)  # step events coalesced into the forced redraws
