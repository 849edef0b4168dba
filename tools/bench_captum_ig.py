"""Times Captum's IntegratedGradients for `npm run bench` (bench/trust.ts): the same torchvision model (seeded
random weights, tools/bench_models.py), a 224² input, a zero baseline, Gauss–Legendre, n_steps and
internal_batch_size as given, PyTorch CPU.

Usage: python tools/bench_captum_ig.py MODEL STEPS INTERNAL_BATCH REPEATS THREADS   → JSON {ms, torch, captum}
(median of REPEATS after one warm-up).
"""
import json
import statistics
import sys
import time

import captum
import torch
from captum.attr import IntegratedGradients

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_models import build  # noqa: E402


def main():
    name, steps, internal, repeats, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    model = build(name)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        target = int(model(x).argmax(1))
    ig = IntegratedGradients(model)
    run = lambda: ig.attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=steps, method="gausslegendre", internal_batch_size=internal)
    run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms": statistics.median(times), "torch": torch.__version__, "captum": captum.__version__}))


if __name__ == "__main__":
    main()
