import os, subprocess, sys
from pathlib import Path
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
RL = str(Path(sys.executable).parent / "rasterlog")

def rasterlog(*args, cwd=None, timeout=300):
    "Run the console script; returns CompletedProcess with text output."
    return subprocess.run([RL, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)

@pytest.fixture
def cli(): return rasterlog
