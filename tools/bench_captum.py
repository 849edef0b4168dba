"""Times Captum's attribution methods on the same models, input sizes and batch sizes as `npm run bench`.

Usage: python tools/bench_captum.py MODEL[,MODEL] BATCH[,BATCH] REPEATS THREADS > captum.json
Prints JSON rows {model, batch, method, ms} (median of REPEATS after one warm-up), PyTorch CPU.
"""
import json
import statistics
import sys
import time

import torch
from captum.attr import Deconvolution, GuidedBackprop, InputXGradient, Saliency

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_models import build  # noqa: E402


def timed(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    models = sys.argv[1].split(",")
    batches = [int(b) for b in sys.argv[2].split(",")]
    repeats = int(sys.argv[3])
    torch.set_num_threads(int(sys.argv[4]))
    rows = []
    for name in models:
        model = build(name)
        for m in model.modules():
            if isinstance(m, torch.nn.ReLU):
                m.inplace = False  # Captum's ReLU hooks need out-of-place ReLUs
        for batch in batches:
            x = torch.randn(batch, 3, 224, 224)
            with torch.no_grad():
                target = model(x).argmax(1)
            rows.append({"model": name, "batch": batch, "method": "forward",
                         "ms": timed(lambda: model(x), repeats)})
            for method, cls in [("gradient", Saliency), ("input-x-gradient", InputXGradient),
                                ("guided-backprop", GuidedBackprop), ("deconvnet", Deconvolution)]:
                algo = cls(model)
                kwargs = {"abs": False} if cls is Saliency else {}
                ms = timed(lambda: algo.attribute(x, target=target, **kwargs), repeats)
                rows.append({"model": name, "batch": batch, "method": method, "ms": ms})
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
