"""Bad input across every command: non-zero exit, one clear line on stderr, no traceback (unless --debug), no partial output.

Each case runs the real `rasterlog` entry point in its own process. Starting a fresh interpreter costs ~3 s
(torch import), so most cases go through a fork server: one process imports the CLI once, then forks a
child per case with its own cwd, stdout and stderr (so exit codes, fd-level output and warnings are as
in a fresh process). A few cases also run the installed console script itself, end to end.
"""
import io, json, os, pickle, struct, subprocess, sys, zipfile, zlib
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import RL, rasterlog

def _has_command(name):
    return subprocess.run([RL, name, "--help"], capture_output=True, timeout=120).returncode == 0

HAS_DIGITIZE, HAS_COMPARE = _has_command("digitize"), _has_command("compare")
needs_digitize = pytest.mark.skipif(not HAS_DIGITIZE, reason="`rasterlog digitize` is not wired into the CLI yet")
needs_compare = pytest.mark.skipif(not HAS_COMPARE, reason="`rasterlog compare` is not wired into the CLI yet")

# --- the fork server -----------------------------------------------------------------------------------
_WORKER = r'''
import json, os, sys, traceback, warnings
from rasterlog_nb.cli import main
import rasterlog_nb.models, rasterlog_nb.train, rasterlog_nb.synth, rasterlog_nb.report  # heavy imports, once
for m in ("rasterlog_nb.pipeline", "rasterlog_nb.archs", "rasterlog_nb.compare", "nbformat", "papermill"):
    try: __import__(m)
    except ImportError: pass
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        rc = 1
        try:
            os.chdir(req["cwd"])
            for fd, name in ((1, req["stdout"]), (2, req["stderr"])):
                f = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); os.dup2(f, fd); os.close(f)
            sys.argv = ["rasterlog", *req["argv"]]
            rc = main(req["argv"])
        except SystemExit as e: rc = e.code if isinstance(e.code, int) else 1
        except BaseException: traceback.print_exc(); rc = 1
        finally:
            sys.stdout.flush(); sys.stderr.flush(); os._exit(rc or 0)
    _, st = os.waitpid(pid, 0)
    print(json.dumps(os.waitstatus_to_exitcode(st)), flush=True)
'''

class ForkCLI:
    "Run `rasterlog ARGS` in a forked child of one pre-imported interpreter."
    def __init__(self, logdir:Path):
        self.logdir = logdir
        self.p = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "MPLBACKEND": "Agg"})
        self.n = 0

    def __call__(self, *argv, cwd):
        self.n += 1
        out, err = self.logdir / f"{self.n}.out", self.logdir / f"{self.n}.err"
        self.p.stdin.write(json.dumps(dict(argv=[str(a) for a in argv], cwd=str(cwd), stdout=str(out), stderr=str(err))) + "\n")
        self.p.stdin.flush()
        rc = json.loads(self.p.stdout.readline())
        return subprocess.CompletedProcess(argv, rc, out.read_text(), err.read_text())

    def close(self):
        self.p.stdin.close(); self.p.wait(timeout=30)

@pytest.fixture(scope="module")
def fork_cli(tmp_path_factory):
    c = ForkCLI(tmp_path_factory.mktemp("forklogs"))
    yield c
    c.close()

# --- the bad inputs --------------------------------------------------------------------------------------
class _RunsCode:
    "Pickles as a call to os.system: what a hostile checkpoint carries."
    def __reduce__(self): return (os.system, ("echo this must never run",))

def png_claiming(w:int, h:int)->bytes:
    "A PNG whose header claims w x h grey pixels, followed by a few bytes of cut data (nothing big is ever written)."
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(64))[:8]) + chunk(b"IEND", b""))

@pytest.fixture(scope="module")
def F(tmp_path_factory):
    "A folder of bad (and a few good) inputs; nothing may ever be written into it."
    import torch
    from torch import nn
    from rasterlog_nb.models import UNet
    from rasterlog_nb.registry import save_checkpoint
    d = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    noise = (rng.random((128, 64)) * 255).astype(np.uint8)
    Image.fromarray(noise).save(d / "ok.png")
    Image.new("L", (1, 1)).save(d / "tiny.png")
    Image.new("L", (15, 300), 255).save(d / "thin.png")
    (d / "empty.png").write_bytes(b"")
    (d / "text.png").write_text("not an image\n")
    full = (d / "ok.png").read_bytes(); (d / "trunc.png").write_bytes(full[: len(full) // 2])
    (d / "huge.png").write_bytes(png_claiming(20000, 20000))   # 4e8 px > 2^28: refused from the header
    (d / "bomb.png").write_bytes(png_claiming(12000, 12000))   # 1.4e8 px: an allowed size PIL warns about; data cut
    (d / "limit.png").write_bytes(png_claiming(16384, 16000))  # 2.6e8 px < 2^28 but > PIL's own limit; data cut
    (d / "blocker").write_text("a regular file; paths under it cannot be created\n")
    (d / "nodata").mkdir()
    # checkpoints
    good = UNet(base=4, depth=2)
    save_checkpoint(d / "tiny.pt", good)
    (d / "corrupt.pt").write_bytes(rng.bytes(5000))
    (d / "empty.pt").write_bytes(b"")
    b = (d / "tiny.pt").read_bytes(); (d / "trunc.pt").write_bytes(b[: len(b) // 2])
    torch.save({"weights": torch.zeros(3)}, d / "plain_dict.pt")
    torch.save(nn.Linear(2, 2), d / "module.pt")                       # pickled code: weights_only must refuse it
    torch.save({"format": "x", "payload": _RunsCode()}, d / "evil.pt")  # a pickle that would run a command when loaded
    save_checkpoint(d / "classes4.pt", UNet(n_classes=4, base=4, depth=2))
    ck = torch.load(d / "classes4.pt", weights_only=True); ck["classes"] = ["background", "curve1", "curve2", "curve3"]
    torch.save(ck, d / "classes4.pt")
    ck = torch.load(d / "tiny.pt", weights_only=True); ck["config"]["arch"] = "resnet"; torch.save(ck, d / "arch.pt")
    from rasterlog_nb.registry import build_model
    save_checkpoint(d / "binary.pt", build_model({"arch": "binary", "base": 4}))  # a sound checkpoint of another architecture
    ck = torch.load(d / "tiny.pt", weights_only=True); ck["config"]["base"] = 8; torch.save(ck, d / "misfit.pt")
    ck["config"]["base"] = 10**6; torch.save(ck, d / "absurd.pt")    # 10^13 weights if ever built for real
    with zipfile.ZipFile(d / "zip.pt", "w") as z: z.writestr("archive/data.pkl", b"junk"); z.writestr("x", rng.bytes(100))
    # a small annotated folder (for evaluate / train with a bad --json / --out)
    for sub in ("images", "masks"): (d / "data" / sub).mkdir(parents=True)
    for i in range(2):
        Image.fromarray(noise).save(d / "data" / "images" / f"a{i}.png")
        m = np.zeros_like(noise); m[:, 10 + i] = 1; m[:, 40] = 2
        Image.fromarray(m).save(d / "data" / "masks" / f"a{i}.png")
    (d / "sweep.yaml").write_text("- name: a\n  params: {no_such_parameter: 1}\n")
    return d

def _tree(d:Path): return sorted(str(p.relative_to(d)) for p in d.rglob("*"))

def _one_line(r, debug=False):
    "Non-zero exit and exactly one line on stderr (or, with --debug, a traceback ending in that line)."
    assert r.returncode != 0, f"accepted: {r.args}\n{r.stdout}\n{r.stderr}"
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    if debug:
        assert "Traceback" in r.stderr, r.stderr
        assert lines[-1].startswith("rasterlog: error:"), r.stderr
        return lines[-1]
    assert "Traceback" not in r.stderr, r.stderr
    assert len(lines) == 1, f"expected one line on stderr, got:\n{r.stderr}"
    assert lines[0].startswith("rasterlog: error:"), lines[0]
    return lines[0]

# (id, argv with {F} for the inputs folder, regex the line must match); outputs always go to the case's empty cwd
M = ["--model", "{F}/tiny.pt"]
SEGMENT = [
    ("missing", ["segment", "nope.png", "--out", "m", *M], "no such file"),
    ("empty", ["segment", "{F}/empty.png", "--out", "m", *M], "empty"),
    ("text", ["segment", "{F}/text.png", "--out", "m", *M], "not a readable image"),
    ("1x1", ["segment", "{F}/tiny.png", "--out", "m", *M], "1x1.*smaller"),
    ("15px", ["segment", "{F}/thin.png", "--out", "m", *M], "smaller"),
    ("truncated", ["segment", "{F}/trunc.png", "--out", "m", *M], "not a readable image|truncated"),
    ("enormous", ["segment", "{F}/huge.png", "--out", "m", *M], "2\\^28|too large"),
    ("bomb-sized-truncated", ["segment", "{F}/bomb.png", "--out", "m", *M], "not a readable image"),
    ("limit-sized-truncated", ["segment", "{F}/limit.png", "--out", "m", *M], "not a readable image"),
    ("folder-no-images", ["segment", "{F}/nodata", "--out", "m", *M], "no images|folder"),
    ("model-missing", ["segment", "{F}/ok.png", "--out", "m", "--model", "nope.pt"], "no such checkpoint"),
    ("model-folder", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/nodata"], "folder"),
    ("model-corrupt", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/corrupt.pt"], "not a torch checkpoint|corrupt"),
    ("model-empty", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/empty.pt"], "not a torch checkpoint|corrupt"),
    ("model-truncated", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/trunc.pt"], "not a torch checkpoint|corrupt"),
    ("model-random-zip", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/zip.pt"], "corrupt|unreadable|not a"),
    ("model-plain-dict", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/plain_dict.pt"], "not a rasterlog_nb checkpoint"),
    ("model-pickled-module", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/module.pt"], "pickled"),
    ("model-runs-code", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/evil.pt"],
     "refused unread, it holds pickled Python objects \\(posix.system\\).*save_checkpoint$"),
    ("model-4-classes", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/classes4.pt"], "4 classes"),
    ("model-unknown-arch", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/arch.pt"], "unknown architecture"),
    ("model-weights-misfit", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/misfit.pt"], "do not fit"),
    ("model-absurd-config", ["segment", "{F}/ok.png", "--out", "m", "--model", "{F}/absurd.pt"], "do not fit|cannot build"),
    ("out-under-file", ["segment", "{F}/ok.png", "--out", "{F}/blocker/m", *M], "blocker"),
    ("out-is-file", ["segment", "{F}/ok.png", "--out", "{F}/blocker", *M], "not a folder"),
]
OTHERS = [
    ("synth-n-negative", ["synth", "--out", "s", "--n", "-3"], "--n"),
    ("synth-n-zero", ["synth", "--out", "s", "--n", "0"], "--n"),
    ("synth-n-text", ["synth", "--out", "s", "--n", "many"], "invalid int"),
    ("synth-1px", ["synth", "--out", "s", "--n", "1", "--height", "1"], "height"),
    ("synth-out-under-file", ["synth", "--out", "{F}/blocker/s", "--n", "1", "--height", "64", "--width", "32", "--quiet"], "blocker"),
    ("synth-unknown-defect", ["synth", "--out", "s", "--n", "1", "--without", "gremlins"], "gremlins"),
    ("train-data-nowhere", ["train", "--data", "nowhere", "--out", "c.pt", "--epochs", "1"], "nowhere"),
    ("train-epochs-zero", ["train", "--synthetic", "8", "--out", "c.pt", "--epochs", "0"], "epochs"),
    ("train-class-weights", ["train", "--synthetic", "8", "--out", "c.pt", "--epochs", "1", "--class-weights", "1,2"], "--class-weights"),
    ("train-init-corrupt", ["train", "--synthetic", "8", "--out", "c.pt", "--epochs", "1", "--base", "4", "--depth", "2",
                            "--init", "{F}/corrupt.pt"], "not a torch checkpoint|corrupt"),
    ("train-init-pickled", ["train", "--synthetic", "8", "--out", "c.pt", "--epochs", "1", "--init", "{F}/module.pt"], "pickled"),
    ("train-init-other-arch", ["train", "--synthetic", "8", "--out", "c.pt", "--epochs", "1", "--base", "4", "--depth", "2",
                               "--init", "{F}/binary.pt"], "do not fit"),
    ("train-ddp-without-launcher", ["train", "--ddp", "--synthetic", "8", "--out", "c.pt", "--epochs", "1", "--base", "4", "--depth", "2"],
     "torchrun"),
    ("train-out-under-file", ["train", "--synthetic", "8", "--out", "{F}/blocker/c.pt", "--epochs", "1"], "blocker"),
    ("train-resume-nothing", ["train", "--synthetic", "8", "--out", "c.pt", "--epochs", "1", "--base", "4", "--depth", "2",
                              "--resume"], "nothing to resume"),
    ("evaluate-data-nowhere", ["evaluate", "--data", "nowhere", "--json", "e.json", *M], "nowhere"),
    ("evaluate-data-not-annotated", ["evaluate", "--data", "{F}/nodata", "--json", "e.json", *M], "images"),
    ("evaluate-model-corrupt", ["evaluate", "--data", "{F}/data", "--json", "e.json", "--model", "{F}/corrupt.pt"], "corrupt|not a torch"),
    pytest.param("evaluate-json-under-file", ["evaluate", "--data", "{F}/data", "--json", "{F}/blocker/e.json", *M], "blocker"),
    ("report-unknown-parameter", ["report", "-p", "no_such_parameter", "1", "--out", "r"], "unknown report parameter"),
    ("report-sweep-unknown-parameter", ["report", "--sweep", "{F}/sweep.yaml", "--out", "r"], "unknown report parameter"),
    ("report-sweep-missing", ["report", "--sweep", "nope.yaml", "--out", "r"], "no such sweep file"),
    ("report-out-under-file", ["report", "--out", "{F}/blocker/r"], "blocker|not a folder|cannot write"),
    pytest.param("compare-data-nowhere", ["compare", "--data", "nowhere", "--out", "c"], "nowhere", marks=needs_compare),
    pytest.param("compare-unknown-arch", ["compare", "--archs", "foo", "--out", "c"], "foo", marks=needs_compare),
    pytest.param("compare-out-under-file", ["compare", "--quick", "--out", "{F}/blocker/c"], "blocker", marks=needs_compare),
    pytest.param("compare-out-is-file", ["compare", "--quick", "--out", "{F}/blocker"], "not a folder", marks=needs_compare),
    ("unknown-command", ["fly"], "invalid choice"),
    ("unknown-flag", ["segment", "{F}/ok.png", "--out", "m", "--colour", "red"], "unrecognized"),
]
D = ["digitize", "{F}/ok.png", *M]
DIGITIZE = [
    ("missing", ["digitize", "nope.png", "--out", "d.csv", *M], "no such file"),
    ("empty", ["digitize", "{F}/empty.png", "--out", "d.csv", *M], "empty"),
    ("text", ["digitize", "{F}/text.png", "--out", "d.csv", *M], "not a readable image"),
    ("1x1", ["digitize", "{F}/tiny.png", "--out", "d.csv", *M], "smaller"),
    ("truncated", ["digitize", "{F}/trunc.png", "--out", "d.csv", *M], "not a readable image|truncated"),
    ("enormous", ["digitize", "{F}/huge.png", "--out", "d.csv", *M], "2\\^28|too large"),
    ("model-corrupt", ["digitize", "{F}/ok.png", "--out", "d.csv", "--model", "{F}/corrupt.pt"], "not a torch checkpoint|corrupt"),
    ("model-pickled-module", ["digitize", "{F}/ok.png", "--out", "d.csv", "--model", "{F}/module.pt"], "pickled"),
    ("model-plain-dict", ["digitize", "{F}/ok.png", "--out", "d.csv", "--model", "{F}/plain_dict.pt"], "not a rasterlog_nb checkpoint"),
    ("model-4-classes", ["digitize", "{F}/ok.png", "--out", "d.csv", "--model", "{F}/classes4.pt"], "4 classes"),
    ("unknown-output-type", [*D, "--out", "d.xyz"], "csv or .las"),
    ("format-mismatch", [*D, "--out", "d.csv", "--format", "las"], "format"),
    ("left-equals-right", [*D, "--out", "d.las", "--left", "5", "--right", "5", "--top", "0", "--bottom", "10"], "equal"),
    ("bottom-equals-top", [*D, "--out", "d.las", "--left", "0", "--right", "150", "--top", "10", "--bottom", "10"], "bottom"),
    ("bottom-above-top", [*D, "--out", "d.las", "--top", "100", "--bottom", "10"], "bottom"),
    ("left-nan", [*D, "--out", "d.csv", "--left", "nan", "--right", "150"], "finite"),
    ("right-inf", [*D, "--out", "d.csv", "--left", "0", "--right", "inf"], "finite"),
    ("top-nan", [*D, "--out", "d.csv", "--top", "nan", "--bottom", "10"], "finite"),
    ("left-without-right", [*D, "--out", "d.csv", "--left", "0"], "together"),
    ("log-zero", [*D, "--out", "d.csv", "--left", "0", "--right", "100", "--log"], "> 0"),
    ("log-negative", [*D, "--out", "d.csv", "--left", "-1", "--right", "100", "--log"], "> 0"),
    ("log-without-scale", [*D, "--out", "d.csv", "--log"], "--log"),
    ("left-text", [*D, "--out", "d.csv", "--left", "abc", "--right", "1"], "invalid float"),
    ("one-file-many-images", ["digitize", "{F}/ok.png", "{F}/ok.png", "--out", "d.csv", *M], "exactly one"),
    ("out-under-file", [*D, "--out", "{F}/blocker/d.csv"], "blocker"),
    ("out-dir-under-file", [*D, "--out", "{F}/blocker/d/"], "blocker"),
]

def _run(fork_cli, F, tmp_path, argv, debug=False):
    argv = [a.replace("{F}", str(F)) for a in argv] + (["--debug"] if debug else [])
    before = _tree(F)
    r = fork_cli(*argv, cwd=tmp_path)
    assert _tree(F) == before, f"wrote into the inputs folder: {set(_tree(F)) ^ set(before)}"
    assert _tree(tmp_path) == [], f"left output behind: {_tree(tmp_path)}"
    return r

def _check(fork_cli, F, tmp_path, argv, pattern):
    import re
    line = _one_line(_run(fork_cli, F, tmp_path, argv))
    assert re.search(pattern, line), f"{line!r} does not say {pattern!r}"

def _params(cases):
    return [pytest.param(*c.values[1:], id=c.values[0], marks=c.marks) if hasattr(c, "marks") else pytest.param(*c[1:], id=c[0])
            for c in cases]

@pytest.mark.parametrize("argv,pattern", _params(SEGMENT))
def test_segment_refuses(fork_cli, F, tmp_path, argv, pattern): _check(fork_cli, F, tmp_path, argv, pattern)

@pytest.mark.parametrize("argv,pattern", _params(OTHERS))
def test_command_refuses(fork_cli, F, tmp_path, argv, pattern): _check(fork_cli, F, tmp_path, argv, pattern)

@needs_digitize
@pytest.mark.parametrize("argv,pattern", _params(DIGITIZE))
def test_digitize_refuses(fork_cli, F, tmp_path, argv, pattern): _check(fork_cli, F, tmp_path, argv, pattern)

ARGV = {f"{cmd}:{c[0]}": c[1] for cmd, cases in (("segment", SEGMENT), ("other", OTHERS), ("digitize", DIGITIZE))
        for c in (x.values if hasattr(x, "marks") else x for x in cases)}

@pytest.mark.parametrize("case", ["segment:missing", "segment:model-corrupt", "other:synth-n-negative", "other:train-epochs-zero",
                                  "other:unknown-command"])
def test_debug_shows_traceback(fork_cli, F, tmp_path, case):
    _one_line(_run(fork_cli, F, tmp_path, ARGV[case], debug=True), debug=True)

def test_console_script_end_to_end(F, tmp_path):
    "The installed script itself (a fresh interpreter, torch imported), not the fork server: quiet, then --debug."
    _one_line(rasterlog(*[a.replace("{F}", str(F)) for a in ARGV["segment:missing"]], cwd=tmp_path))
    _one_line(rasterlog(*[a.replace("{F}", str(F)) for a in ARGV["segment:model-pickled-module"]], "--debug", cwd=tmp_path), debug=True)
    assert _tree(tmp_path) == []

def test_good_input_still_works(fork_cli, F, tmp_path):
    "The fixtures are bad only where meant: the good image and checkpoint go through."
    r = fork_cli("segment", F / "ok.png", "--out", "m", "--model", F / "tiny.pt", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = np.asarray(Image.open(tmp_path / "m" / "ok.png"))
    assert m.shape == (128, 64) and set(np.unique(m)) <= {0, 1, 2}

