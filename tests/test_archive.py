"""Archives on Dask (CONTRACT.md): `rasterlog digitize DIR --out OUT/` serially, on a local cluster (`--workers 2`) and on
a running cluster (`--scheduler`, a real `dask scheduler` and `dask worker` started here, bound to 127.0.0.1) write
the same files with the same numbers; a bad input is listed and the rest go on; `--resume` rewrites only what is
missing; an address where no scheduler answers is refused in one line."""
import csv, os, socket, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from rasterlog_nb.core import save_png
from rasterlog_nb.synth import SynthConfig, make_log

BIN = Path(sys.executable).parent
RL, DASK = str(BIN / "rasterlog"), str(BIN / "dask")

def run(*args, timeout=300):
    return subprocess.run([RL, *map(str, args)], capture_output=True, text=True, timeout=timeout)

@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    "Five generated scans (one taller than a band, so bands run on threads) and one file that is not an image."
    d = tmp_path_factory.mktemp("scans")
    for i in range(4): save_png(make_log(3, i, SynthConfig(height=160, width=96)).image, d / f"log{i}.png")
    save_png(make_log(3, 9, SynthConfig(height=1200, width=64)).image, d / "tall.png")
    (d / "bad.png").write_text("not an image")
    return d

@pytest.fixture(scope="module")
def serial(scans, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    r = run("digitize", scans, "--out", f"{out}/")
    assert r.returncode == 1 and "bad.png" in r.stderr, r.stderr   # the bad one listed, the rest written
    return out

def table(p):
    rows = list(csv.reader(open(p)))
    return rows[0], np.array([[float(v) if v else np.nan for v in r] for r in rows[1:]])

def assert_same(a:Path, b:Path):
    "Same files, header, rows and NaN pattern; values within 0.01 (CONTRACT.md)."
    fa, fb = sorted(p.name for p in a.iterdir()), sorted(p.name for p in b.iterdir())
    assert fa == fb and len(fa) == 5, (fa, fb)
    for n in fa:
        (ha, x), (hb, y) = table(a / n), table(b / n)
        assert ha == hb and x.shape == y.shape, n
        assert (np.isnan(x) == np.isnan(y)).all(), n
        assert np.nanmax(np.abs(x - y), initial=0) <= 0.01, n

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def test_local_cluster_agrees_and_resumes(scans, serial, tmp_path):
    out = tmp_path / "out"
    r = run("digitize", scans, "--out", f"{out}/", "--workers", "2")
    assert r.returncode == 1 and "bad.png" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "digitised 5 of 6" in r.stdout, r.stdout
    assert_same(serial, out)
    (out / "log2.csv").unlink()
    old = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    r = run("digitize", scans, "--out", f"{out}/", "--workers", "2", "--resume")
    assert "skipped 4 existing" in r.stdout, r.stdout
    assert {p.name for p in out.iterdir() if p.stat().st_mtime_ns != old.get(p.name)} == {"log2.csv"}
    assert_same(serial, out)

def test_running_cluster_agrees(scans, serial, tmp_path):
    port = free_port(); addr = f"tcp://127.0.0.1:{port}"
    logs = open(tmp_path / "cluster.log", "w")
    sched = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], stdout=logs, stderr=logs)
    work = None
    try:
        give_up = time.monotonic() + 60  # a wait, not a measurement: the scheduler listens within a few seconds
        while True:
            try: socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
            except OSError:
                if sched.poll() is not None or time.monotonic() > give_up:
                    pytest.fail("the dask scheduler never listened: " + open(tmp_path / "cluster.log").read()[-2000:])
                time.sleep(0.3)
        work = subprocess.Popen([DASK, "worker", addr, "--host", "127.0.0.1", "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                stdout=logs, stderr=logs)
        out = tmp_path / "out"
        r = run("digitize", scans, "--out", f"{out}/", "--scheduler", addr)   # waits for a worker to join
        assert r.returncode == 1 and "bad.png" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert_same(serial, out)
    finally:
        for p in (work, sched):
            if p is not None:
                p.terminate()
                try: p.wait(timeout=30)
                except subprocess.TimeoutExpired: p.kill(); p.wait()
        logs.close()

def test_refusals(scans, tmp_path):
    out = tmp_path / "out"
    r = run("digitize", scans, "--out", f"{out}/", "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    assert r.returncode == 2 and "no Dask scheduler answers" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()
    r = run("digitize", scans, "--out", f"{out}/", "--workers", "0")
    assert r.returncode == 2 and "at least 1" in r.stderr, r.stderr
    r = run("digitize", scans, "--out", f"{out}/", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert r.returncode == 2 and "not allowed with" in r.stderr, r.stderr
    assert not out.exists()
