"""Speed of the head-to-head's entries on this machine, with no training: seconds per training step (data
generation included) and inference ms per megapixel, so a full `rasterlog compare` can be planned.

    python bench/compare_speed.py            # the full run's settings (512x256 logs, crop 256x256, batch 8)
    python bench/compare_speed.py --quick    # the --quick settings (128x96, batch 4)
"""
import argparse, time
import numpy as np
import torch
from rasterlog_nb.compare import ARCH_NAMES, full_config, quick_config, train_dataset, model_kwargs, test_logs, score_model
from rasterlog_nb.measure import seconds_per_step
from rasterlog_nb.registry import arch_of
from rasterlog_nb.models import count_params
from rasterlog_nb.registry import build_model

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--quick", action="store_true")
p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
p.add_argument("--n", type=int, default=4, help="test logs timed per entry")
a = p.parse_args()
if a.threads: torch.set_num_threads(a.threads)
cfg = (quick_config if a.quick else full_config)(n_test=a.n)
size = tuple(cfg.crop) if cfg.crop else (cfg.height, cfg.width)
logs = test_logs(cfg)
print(f"{cfg.label} settings: train {size[0]}x{size[1]} batch {cfg.batch_size}, test {cfg.height}x{cfg.width}, "
      f"{torch.get_num_threads()} torch threads, budget {cfg.minutes:g} min per entry")
for name in ARCH_NAMES:
    kw = model_kwargs(cfg, name, size)
    sps = seconds_per_step(arch_of(name), kw, train_dataset(cfg, 3 * cfg.batch_size), cfg.batch_size, cfg.lr)
    m = build_model({"arch": arch_of(name), **kw})
    r = score_model(m, logs, tracer=None, timing=True)
    print(f"{name:18s} {count_params(m) / 1e6:6.2f} M params  {sps:6.2f} s/step -> {cfg.minutes * 60 / sps:7.0f} steps in budget  "
          f"inference {r['inference_ms_per_mpx']:8.0f} ms/MPx  peak +{r['peak_memory_mb']:.0f} MB (untrained)")
