"""A real browser: JupyterLab on 127.0.0.1 with the exhibits, the inspector, the checklist and the lesson, driven in
Debian's chromium through playwright, as a student or a teacher would: keys and drags on the sliders, the mouse
over the canvas, buttons; then the readouts are read back and a screenshot is saved.

Never runs `playwright install`: it drives /usr/bin/chromium, which CI's .ci/run installs (apt-get install chromium).
With RASTERLOG_SCREENSHOTS=DIR the screenshots are also copied there (`RASTERLOG_SCREENSHOTS=docs` refreshes the
README's pictures).
"""
import json, os, re, secrets, shutil, signal, socket, subprocess, sys, time, urllib.request
from contextlib import contextmanager
from pathlib import Path
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} is missing (CI's .ci/run installs it: apt-get install -y chromium)")

ROOT = Path(__file__).resolve().parents[1]
PROJECTOR = {"width": 1280, "height": 720}   # what a classroom projector shows
CELLS = [
    "%matplotlib widget",
    "from rasterlog_nb.exhibits import SeparationExhibit\nex = SeparationExhibit(model='default')\nex.widget",
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


CLOSE_SIDEBAR = """() => { const s = window.jupyterapp.shell;
  if (!s.leftCollapsed) return window.jupyterapp.commands.execute('application:toggle-left-area'); }"""


@contextmanager
def notebook_page(lab, name, shot, viewport=PROJECTOR, record=None):
    "A chromium page on notebook `name` of the lab's folder, every cell run; a screenshot of the viewport goes to `shot` at the end."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.errors = []
            page.on("pageerror", lambda e: page.errors.append(str(e)))
            try:
                page.goto(f"{lab['url']}/lab/workspaces/{Path(name).stem}/tree/{name}?reset&token={lab['token']}", wait_until="domcontentloaded", timeout=60_000)
                page.wait_for_function(KERNEL_IDLE, arg=name, timeout=60_000, polling=200)
                page.evaluate(CLOSE_SIDEBAR)  # as a teacher projects: the notebook has the whole width
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                yield page
            finally:
                page.screenshot(path=str(shot))
                print(f"\nscreenshot: {shot}")
                if record: record("screenshot", str(shot))
                if os.environ.get("RASTERLOG_SCREENSHOTS"): shutil.copy(shot, Path(os.environ["RASTERLOG_SCREENSHOTS"]) / shot.name)
        finally:
            browser.close()


def settle(page, name, ms=400):
    "Let the last key or drag reach the kernel and its answer reach the page."
    page.wait_for_timeout(ms)
    page.wait_for_function(KERNEL_IDLE, arg=name, timeout=60_000, polling=200)
    page.wait_for_timeout(ms)


def slider(page, description):
    "The ipywidgets slider whose description is `description`."
    return page.locator(".jp-OutputArea-output .widget-slider", has=page.locator("label", has_text=description)).first


def number(text, after):
    "The first number after the words `after` in `text`."
    return float(re.search(re.escape(after) + r"\D*?(-?\d+(?:\.\d+)?)", text).group(1))


def box_iou(text)->float:
    "The box IoU a separation readout shows."
    return float(re.search(r"(\d\.\d\d): (?:below|0\.5 or more)", text).group(1))


def test_separation_slider_in_chromium(lab, tmp_path, record_property):
    "Keys step the separation by one pixel (PageDown by five); the readout shows the box IoU against its 0.5 mark; no toolbar over the titles."
    from playwright.sync_api import expect
    (lab["root"] / "work" / "exhibit.ipynb").write_text(json.dumps(_notebook(CELLS)))
    name, shot = "exhibit.ipynb", tmp_path / "separation_exhibit.png"
    with notebook_page(lab, name, shot, record=record_property) as page:
        readout = page.locator(".jp-OutputArea-output .widget-html-content", has_text="box IoU").first
        expect(readout).to_contain_text("the shipped model", timeout=90_000)
        canvas = page.locator(".jupyter-matplotlib canvas").first
        canvas.wait_for(state="visible", timeout=30_000)
        settle(page, name)
        apart = readout.inner_text()
        seps = [number(apart, "separation")]
        handle = slider(page, "separation").locator(".noUi-handle").first
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowLeft"); settle(page, name, 200)
            seps.append(number(readout.inner_text(), "separation"))
        page.keyboard.press("PageDown"); settle(page, name)
        seps.append(number(readout.inner_text(), "separation"))
        page.keyboard.press("Home"); settle(page, name, 800)   # noUiSlider's Home: separation 0, the curves cross
        crossing = readout.inner_text()
        toolbars = page.locator(".jp-OutputArea-output .jupyter-matplotlib-toolbar:visible").count()
        box, mark = canvas.bounding_box(), readout.locator(".iou-mark").count()
        content = page.content()
    steps = [a - b for a, b in zip(seps, seps[1:])]
    assert all(0 < d <= 1.0 + 1e-6 for d in steps[:3]), seps          # one press, at most one pixel
    assert 4.0 <= steps[3] <= 5.0 + 1e-6, seps                        # PageDown: five
    assert number(crossing, "separation") == 0 and box_iou(crossing) > 0.9 > 0.1 > box_iou(apart), (apart, crossing)
    assert "a box matcher takes the two curves for one object" in crossing and mark == 1
    assert toolbars == 0 and box["x"] + box["width"] <= PROJECTOR["width"], (toolbars, box)
    assert "Error displaying widget" not in content
    assert not [e for e in page.errors if "widget" in e.lower()], page.errors


LEVER_CELLS = [
    "%matplotlib widget",
    "from rasterlog_nb.exhibits import ObjectCountLever\nlev = ObjectCountLever()\nlev",
    "from rasterlog_nb.decide import DecisionChecklist\nck = DecisionChecklist(preset='grains_vugs')\nck",
]


def test_lever_keys_drag_and_checklist_in_chromium(lab, tmp_path, record_property):
    "The lever steps one object per key and lands where a fast drag lets go; its readouts explain themselves; the checklist's boxes show their numbers."
    from playwright.sync_api import expect
    (lab["root"] / "work" / "lever.ipynb").write_text(json.dumps(_notebook(LEVER_CELLS)))
    name, shot = "lever.ipynb", tmp_path / "count_lever.png"
    with notebook_page(lab, name, shot, record=record_property) as page:
        verdict = page.locator(".jp-OutputArea-output .widget-html-content", has_text="Verdict").first
        details = page.locator(".jp-OutputArea-output .widget-html-content", has_text="Measured").first
        expect(details).to_contain_text("USD", timeout=90_000)
        lever = slider(page, "objects per image")
        value = lambda: int(lever.locator(".widget-readout").inner_text())
        settle(page, name)
        at_two = (verdict.inner_text(), details.inner_text())
        lever.locator(".noUi-handle").focus()
        for _ in range(6): page.keyboard.press("ArrowRight")
        settle(page, name)
        keyed, keyed_verdict = value(), verdict.inner_text()
        track = lever.locator(".noUi-base").bounding_box(); h = lever.locator(".noUi-handle").bounding_box()
        page.mouse.move(h["x"] + h["width"] / 2, h["y"] + h["height"] / 2); page.mouse.down()
        page.mouse.move(track["x"] + track["width"] / 2, h["y"] + h["height"] / 2, steps=3)   # fast: three moves
        page.mouse.up(); settle(page, name, 800)
        dragged, dragged_details = value(), details.inner_text()
        boxes = page.locator(".jp-OutputArea-output .widget-text input[type=number]")
        fits = boxes.evaluate_all("els => els.map(e => [e.value, e.clientWidth, e.scrollWidth])")
        content = page.content()
    assert "Verdict: semantic" in at_two[0] and "Why semantic beside a 37.5% counting error" in at_two[1], at_two
    assert "decide." not in at_two[1] and "_" not in at_two[0], at_two           # no code in a readout
    assert keyed == 8 and "Verdict: instance" in keyed_verdict, (keyed, keyed_verdict)   # six presses: six objects
    assert abs(dragged - 251) <= 12, dragged                                      # half the track: half of 2..500
    assert f"{dragged} curves in one class" in dragged_details, dragged_details
    shown = {v: (cw, sw) for v, cw, sw in fits}
    assert "300" in shown and "3" in shown, fits                                   # objects per image, classes
    assert all(cw >= 60 and sw <= cw for cw, sw in shown.values()), fits          # wide enough for the whole number
    assert "Error displaying widget" not in content


INSPECT_CELLS = [
    "%matplotlib widget",
    "from rasterlog_nb.inspect_masks import MaskInspector\nins = MaskInspector(n=3)\nins",
    "import torch; torch.set_num_threads(1)\nfrom rasterlog_nb.live import LiveTrainer\nfrom rasterlog_nb.train import TrainConfig\n"
    "lt = LiveTrainer(TrainConfig(model=dict(base=4, depth=2), epochs=2, n_per_epoch=8, batch_size=2, crop=(32, 32), val_n=1))\nlt",
]


def test_inspect_widgets_in_chromium(lab, tmp_path, record_property):
    "The inspector's canvas reports the pixel under a real mouse (ipympl events), Next moves it, its slider counts as its header; the live trainer runs from its Start button."
    from playwright.sync_api import expect
    (lab["root"] / "work" / "inspect.ipynb").write_text(json.dumps(_notebook(INSPECT_CELLS)))
    name, shot = "inspect.ipynb", tmp_path / "mask_inspector.png"
    with notebook_page(lab, name, shot, viewport={"width": 1280, "height": 1000}, record=record_property) as page:
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
        sample = slider(page, "sample").locator(".widget-readout")
        first = (sample.inner_text(), metrics.inner_text())
        page.locator(".jp-OutputArea-output button", has_text="next").first.click()
        expect(metrics).to_contain_text("2/3", timeout=30_000)
        expect(sample).to_have_text("2", timeout=30_000)
        toolbar = page.locator(".jp-OutputArea-output .jupyter-matplotlib-toolbar").first.bounding_box()
        page.locator(".jp-OutputArea-output button", has_text="start").first.click()
        status = page.locator(".jp-OutputArea-output .widget-html-content", has_text="epoch").first
        expect(status).to_contain_text("done", timeout=60_000)   # events from the training thread reach the page
        status_text = status.inner_text()
        bar = page.locator(".jp-OutputArea-output .progress .progress-bar").first
        bar_width, bar_class = bar.evaluate("e => e.style.width"), bar.get_attribute("class")
        content = page.content()
    assert "Error displaying widget" not in content
    assert "truth" in hover_text and "col" in hover_text, hover_text
    assert first[0] == "1" and "(1/3," in first[1], first                    # the slider and the header count alike
    assert toolbar["x"] + toolbar["width"] <= box["x"] + 44 + 2, (toolbar, box)   # the toolbar stays in the figure's gutter
    assert "epoch 2/2" in status_text and "checkpoint" in status_text, status_text
    assert bar_width == "100%" and "progress-bar-success" in bar_class, (bar_width, bar_class)


def test_lesson_in_chromium(lab, tmp_path, record_property):
    "The lesson runs from start to verdict in the browser at projector size, every widget shown (the README's screenshot)."
    from playwright.sync_api import expect
    shutil.copy(ROOT / "nbs" / "lesson.ipynb", lab["root"] / "work" / "lesson.ipynb")
    name, shot = "lesson.ipynb", tmp_path / "lesson.png"
    with notebook_page(lab, name, shot, record=record_property) as page:
        verdict = page.locator(".jp-OutputArea-output .widget-html-content", has_text="Verdict: semantic").last
        expect(verdict).to_be_visible(timeout=180_000)
        settle(page, name)
        widgets = page.locator(".jp-OutputArea-output .widget-vbox").count()
        questions = page.locator(".jp-RenderedMarkdown blockquote", has_text="Question for the class").count()
        content = page.content()
        sep = slider(page, "separation")
        sep.locator(".noUi-handle").focus()
        for _ in range(10): page.keyboard.press("PageDown")    # half-way in: the boxes overlap, the labels do not
        settle(page, name, 800)
        readout = page.locator(".jp-OutputArea-output .widget-html-content", has_text="box IoU").first.inner_text()
        sep.evaluate("e => e.scrollIntoView({block: 'start'})")   # the picture for the README: the exhibit at the top
        page.wait_for_timeout(800)
    assert "Error displaying widget" not in content and widgets >= 5, widgets
    assert "the shipped model" in readout and number(readout, "separation") < 45, readout
    assert questions >= 5, questions
