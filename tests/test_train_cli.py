"`rasterlog train`: a run stopped by `--max-minutes` continues with `--resume`, under any budget or none."
import torch
from conftest import rasterlog

TINY = ["train", "--synthetic", "200", "--epochs", "3", "--arch", "unet", "--base", "4", "--depth", "2", "--crop", "32",
        "--batch-size", "2", "--val-n", "1", "--seed", "3", "--quiet"]

def _epoch(ckpt): return torch.load(str(ckpt) + ".state.pt", weights_only=True)["epoch"]

def test_budget_limits_one_invocation_and_resume_continues(tmp_path):
    out = tmp_path / "x.pt"
    # 0.005 CPU-minutes (0.3 s) hold a few steps but not an epoch of 100 steps that each draw two 512x256 logs
    r = rasterlog(*TINY, "--max-minutes", "0.005", "--out", out)
    assert r.returncode == 0, r.stderr
    assert _epoch(out) == 1 and "stopped by --max-minutes after epoch 1 of 3" in r.stdout, r.stdout
    r = rasterlog(*TINY, "--max-minutes", "0.006", "--out", out, "--resume")   # another budget: not "other settings"
    assert r.returncode == 0, r.stderr
    assert _epoch(out) == 2 and "after epoch 2 of 3" in r.stdout, r.stdout
    r = rasterlog(*TINY, "--out", out, "--resume")                             # no budget: to the end
    assert r.returncode == 0, r.stderr
    assert _epoch(out) == 3 and "stopped by" not in r.stdout and "trained 3 epochs" in r.stdout, r.stdout
    r = rasterlog(*TINY, "--epochs", "4", "--out", out, "--resume")            # a real change of settings still refuses
    assert r.returncode != 0 and "other settings" in r.stderr
