"""Times torch-lucent's feature visualisation (Lucid's defaults) for `npm run bench`: 256 steps at 128² on
torchvision ResNet-50 (the bench's seeded random weights), class-logit objective, Fourier parameterisation with
decorrelated colour, standard transforms, Adam lr 0.05. Prints JSON {ms, steps, size}.

Usage: python tools/bench_lucent.py STEPS SIZE THREADS
"""
import json
import sys
import time

import torch
from lucent.optvis import objectives, param, render

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_models import build  # noqa: E402


def main():
    steps, size, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build("resnet50").eval()
    objective = objectives.channel("fc", 281)  # the class-281 logit (x[:, 281].mean() over the batch)
    t0 = time.perf_counter()
    render.render_vis(model, objective, param_f=lambda: param.image(size, fft=True, decorrelate=True),
                      thresholds=(steps,), show_image=False, progress=False, preprocess=True, fixed_image_size=size)
    print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "steps": steps, "size": size}))


if __name__ == "__main__":
    main()
