"""`rasterlog train --ddp` under torchrun with 2 CPU processes (gloo): rank 0 writes the checkpoint once, atomically."""
import os, signal, subprocess, sys
from pathlib import Path
import pytest
from conftest import RL

TORCHRUN = Path(sys.executable).parent / "torchrun"
pytestmark = pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun not installed beside the interpreter")
TINY = ["--base", "4", "--depth", "2", "--crop", "64", "--val-n", "2", "--quiet"]

def _torchrun(tmp_path, *args, script=None, timeout=120):
    "Launch `rasterlog train --ddp ARGS` (or `script ARGS`) on 2 local CPU processes; a hang fails the test, its processes killed."
    cmd = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", *([str(script)] if script else [RL, "train", "--ddp"]), *map(str, args)]
    p = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""})
    try: out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()  # torchrun passes SIGTERM on to the ranks (they run in sessions of their own, out of killpg's reach)
        try: p.communicate(timeout=30)
        except subprocess.TimeoutExpired: os.killpg(p.pid, signal.SIGKILL); p.communicate()
        pytest.fail(f"DDP run hung (> {timeout} s): {' '.join(cmd)}")
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)

def _check_outputs(tmp_path, r, ck_name="ck.pt"):
    import torch
    from rasterlog_nb.registry import load_checkpoint
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("trained ") == 1, r.stdout  # only rank 0 reports
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files == [ck_name, ck_name + ".state.pt"], files  # the checkpoint once, its resume state, no *.tmp leftovers
    ck = load_checkpoint(tmp_path / ck_name)
    assert ck["config"]["base"] == 4 and ck["metrics"].get("iou"), ck["metrics"]  # written by rank 0 (rank 1 has no metrics)
    st = torch.load(tmp_path / (ck_name + ".state.pt"), weights_only=True)
    return ck, st

def test_ddp_two_cpu_processes(tmp_path):
    r = _torchrun(tmp_path, "--synthetic", 8, "--epochs", 1, "--batch-size", 2, "--out", "ck.pt", *TINY)
    ck, st = _check_outputs(tmp_path, r)
    assert st["scheduler"]["last_epoch"] == 2  # 8 logs sharded over 2 ranks: 4 each, 2 steps of 2 (not 4 steps: no sharding)
    h = ck["history"][-1]
    assert h["train_loss"] == h["train_loss"] and h["train_loss"] > 0  # reduced across ranks, finite

def test_ddp_uneven_shards_and_budget_stop(tmp_path):
    "11 logs over 2 ranks with batches of 3, and a budget that runs out mid-run: every rank must stop at the same step."
    r = _torchrun(tmp_path, "--synthetic", 11, "--epochs", 4, "--batch-size", 3, "--max-minutes", 0.004, "--out", "ck.pt", *TINY)
    _, st = _check_outputs(tmp_path, r)
    assert st["epoch"] < 4  # the budget stopped it early

SYNC = """
import sys, torch, torch.distributed as dist
from rasterlog_nb.train import TrainConfig, Trainer
cfg = TrainConfig(arch=sys.argv[1], model=dict(base=4), epochs=1, n_per_epoch=8, batch_size=2, crop=(64, 64), val_n=1)
tr = Trainer(cfg, progress=False, ddp=True)
tr.fit()
s = torch.stack([p.detach().double().sum() for p in tr.model.parameters()]).sum().reshape(1)
got = [torch.zeros(1, dtype=torch.float64) for _ in range(2)]; dist.all_gather(got, s)
if tr.rank == 0: print("checksums", *[float(g) for g in got])
tr.close()
"""

def test_ddp_syncs_archs_with_their_own_loss(tmp_path):
    "binary (and Mask R-CNN) compute `model.loss`: it must run inside DDP's forward, or each rank trains its own weights."
    (tmp_path / "sync.py").write_text(SYNC)
    r = _torchrun(tmp_path, "binary", script=tmp_path / "sync.py")
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = map(float, r.stdout.split("checksums")[1].split())
    assert abs(a - b) < 1e-9 * max(1.0, abs(a)), (a, b)
