"""A real browser: JupyterLab on 127.0.0.1 with the separation exhibit, driven in Debian's chromium through playwright.

Runs cells of a small notebook that shows `SeparationExhibit().widget` under `%matplotlib widget`, moves the slider
with the keyboard, checks that the readout changed and that no widget failed to display, and saves a screenshot.
Never runs `playwright install`: it drives /usr/bin/chromium, which CI's .ci/run installs (apt-get install chromium).
"""
import json, os, secrets, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} is missing (CI's .ci/run installs it: apt-get install -y chromium)")

CELLS = [
    "%matplotlib widget",
    "from rasterlog_nb.exhibits import SeparationExhibit\nex = SeparationExhibit()\nex.widget",
]


def _notebook(cells)->dict:
    return dict(nbformat=4, nbformat_minor=5,
                metadata=dict(kernelspec=dict(name="python3", display_name="Python 3", language="python")),
                cells=[dict(cell_type="code", id=f"c{i}", metadata={}, source=s, outputs=[], execution_count=None)
                       for i, s in enumerate(cells)])


def _free_port()->int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "JupyterLab on 127.0.0.1 (free port, token) in a temp folder holding the exhibit notebook; killed at teardown."
    pytest.importorskip("playwright.sync_api")
    root = tmp_path_factory.mktemp("lab")
    work, cfg = root / "work", root / "config"
    (work).mkdir(); (cfg / "labconfig").mkdir(parents=True)
    (work / "exhibit.ipynb").write_text(json.dumps(_notebook(CELLS)))
    # no news/update pop-ups; everything the server writes stays in the temp folder
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    bindir = str(Path(sys.executable).parent)
    env.update(PATH=bindir + os.pathsep + env.get("PATH", ""), JUPYTER_CONFIG_DIR=str(cfg), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
               JUPYTER_PLATFORM_DIRS="1", IPYTHONDIR=str(root / "ipython"))
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", "--allow-root", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--ServerApp.terminals_enabled=False"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.time()
        while True:
            if proc.poll() is not None: pytest.fail(f"JupyterLab exited ({proc.returncode}):\n{(root / 'lab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200: break
            except OSError: pass
            if time.time() - t0 > 60: pytest.fail(f"JupyterLab did not start in 60 s:\n{(root / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield dict(url=url, token=token, root=root, proc=proc)
    finally:
        # SIGTERM lets the server shut its kernels down; then make sure nothing of its group is left
        try: os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: proc.wait(15)
        except subprocess.TimeoutExpired: pass
        try: os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError: pass
        proc.wait(10); log.close()


KERNEL_IDLE = """(path) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path) return false;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && w.content && w.content.widgets && w.content.widgets.length > 0);
}"""


def test_separation_slider_in_chromium(lab, tmp_path, record_property):
    from playwright.sync_api import sync_playwright, expect
    shot = tmp_path / "separation_exhibit.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            try:
                name = "exhibit.ipynb"
                page.goto(f"{lab['url']}/lab/workspaces/exhibit/tree/{name}?reset&token={lab['token']}", wait_until="domcontentloaded", timeout=60_000)
                page.wait_for_function(KERNEL_IDLE, arg=name, timeout=60_000, polling=200)
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                readout = page.locator(".jp-OutputArea-output .widget-html-content", has_text="box IoU").first
                expect(readout).to_be_visible(timeout=60_000)
                page.locator(".jupyter-matplotlib canvas").first.wait_for(state="visible", timeout=30_000)
                before = readout.inner_text()
                handle = page.locator(".jp-OutputArea-output .widget-slider .noUi-handle").first
                handle.focus()
                for _ in range(25): page.keyboard.press("ArrowLeft")
                expect(readout).not_to_have_text(before, timeout=30_000)
                after = readout.inner_text()
                page.wait_for_function(KERNEL_IDLE, arg=name, timeout=30_000, polling=200)
                page.wait_for_timeout(300)  # let the canvas repaint before the picture
                content = page.content()
            finally:
                page.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot: {shot}")
                record_property("screenshot", str(shot))
        finally:
            browser.close()
    sep = lambda t: float(t.split("separation")[1].split("px")[0])
    assert sep(after) < sep(before), (before, after)
    assert "Error displaying widget" not in content
    assert "box IoU" in after and shot.stat().st_size > 10_000
    assert not [e for e in errors if "widget" in e.lower()], errors


INSPECT_CELLS = [
    "%matplotlib widget",
    "from rasterlog_nb.inspect_masks import MaskInspector\nins = MaskInspector(n=3)\nins",
    "import torch; torch.set_num_threads(1)\nfrom rasterlog_nb.live import LiveTrainer\nfrom rasterlog_nb.train import TrainConfig\n"
    "lt = LiveTrainer(TrainConfig(model=dict(base=4, depth=2), epochs=2, n_per_epoch=8, batch_size=2, crop=(32, 32), val_n=1))\nlt",
]


def test_inspect_widgets_in_chromium(lab, tmp_path, record_property):
    "The inspector's canvas reports the pixel under a real mouse (ipympl events), Next moves it; the live trainer runs from its Start button."
    from playwright.sync_api import sync_playwright, expect
    (lab["root"] / "work" / "inspect.ipynb").write_text(json.dumps(_notebook(INSPECT_CELLS)))
    shot = tmp_path / "mask_inspector.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            try:
                name = "inspect.ipynb"
                page.goto(f"{lab['url']}/lab/workspaces/inspect/tree/{name}?reset&token={lab['token']}", wait_until="domcontentloaded", timeout=60_000)
                page.wait_for_function(KERNEL_IDLE, arg=name, timeout=60_000, polling=200)
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                metrics = page.locator(".jp-OutputArea-output .widget-html-content", has_text="benchmark test").first
                expect(metrics).to_contain_text("1/3", timeout=60_000)
                canvas = page.locator(".jp-OutputArea-output .jupyter-matplotlib canvas").first
                canvas.wait_for(state="visible", timeout=30_000)
                hover = page.locator(".jp-OutputArea-output .widget-html-content", has_text="hover over").first
                expect(hover).to_be_visible(timeout=30_000)
                box = canvas.bounding_box()
                for f in (0.3, 0.35, 0.4):  # a few moves over the first panel (the scan)
                    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * f)
                    page.wait_for_timeout(100)
                readout = page.locator(".jp-OutputArea-output .widget-html-content", has_text="grey").first
                expect(readout).to_contain_text("row", timeout=30_000)
                hover_text = readout.inner_text()
                page.locator(".jp-OutputArea-output button", has_text="next").first.click()
                expect(metrics).to_contain_text("2/3", timeout=30_000)
                page.locator(".jp-OutputArea-output button", has_text="start").first.click()
                status = page.locator(".jp-OutputArea-output .widget-html-content", has_text="epoch").first
                expect(status).to_contain_text("done", timeout=60_000)   # events from the training thread reach the page
                status_text = status.inner_text()
                bar = page.locator(".jp-OutputArea-output .progress .progress-bar").first
                bar_width, bar_class = bar.evaluate("e => e.style.width"), bar.get_attribute("class")
                content = page.content()
            finally:
                page.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot: {shot}")
                record_property("screenshot", str(shot))
        finally:
            browser.close()
    assert "Error displaying widget" not in content
    assert "truth" in hover_text and "col" in hover_text, hover_text
    assert "epoch 2/2" in status_text and "checkpoint" in status_text, status_text
    assert bar_width == "100%" and "progress-bar-success" in bar_class, (bar_width, bar_class)
