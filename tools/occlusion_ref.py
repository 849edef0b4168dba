"""Independent numpy + onnxruntime reference for the occlusion method (src/engine/methods/occlusion.ts).

Writes test/fixtures/occlusion/: two synthetic models (exported from torch) whose logit 0 depends only on a known
region, their inputs, and for every case a per-position map (`<case>_map.npy`, (N,1,...spatial)) and per-window
map (`<case>_windows.npy`, (N,1,rows[,cols])), described by manifest.json (not cases.json: that name is reserved
for the rule fixtures loaded by test/unit/fixtures.test.ts).

Definitions followed (documented in src/engine/occlusion/*.ts):
- windows per axis start at 0, s, 2s, ... while start + box <= size, plus size - box when that leaves a remainder;
  2-D windows are row-major.
- fills: value (pixel units through (v - mean)/std, or tensor units), random (mulberry32 stream seeded with the
  seed, one stream for the whole run, drawn per item, window, channel, row, column; pixel units: u in [0,1)
  normalised; tensor units: min + u (max - min) of that channel of the item), mean (per-channel mean of the item),
  blur (separable Gaussian, radius ceil(3 sigma), normalised, edge replicate, last axis first, float64).
- score = target(clean) - target(occluded) (relative: divided by |target(clean)|); per-position map = mean score
  of the covering windows (0 where none).

Run with /opt/fv-py/bin/python tools/occlusion_ref.py from the repository root.
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "occlusion")
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# The region the synthetic models look at (logit 0).
REGION_2D = {"rows": [8, 12], "cols": [5, 10]}  # half-open
REGION_1D = {"channel": 0, "cols": [20, 30]}


def export_synthetic():
    import torch

    class Synth2D(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 1, 1)
            with torch.no_grad():
                self.conv.weight.fill_(2.0)
                self.conv.bias.fill_(0.1)
            mask = torch.zeros(1, 1, 20, 20)
            r, c = REGION_2D["rows"], REGION_2D["cols"]
            mask[:, :, r[0]:r[1], c[0]:c[1]] = 1
            self.register_buffer("mask", mask)

        def forward(self, x):
            y = self.conv(x)
            y = y * y
            local = (y * self.mask).sum(dim=(1, 2, 3))
            total = y.sum(dim=(1, 2, 3))
            return torch.stack([local, total], dim=1)

    class Synth1D(torch.nn.Module):
        def __init__(self):
            super().__init__()
            mask = torch.zeros(1, 2, 50)
            mask[:, REGION_1D["channel"], REGION_1D["cols"][0]:REGION_1D["cols"][1]] = 1
            self.register_buffer("mask", mask)

        def forward(self, x):
            y = torch.tanh(x) + x * x
            local = (y * self.mask).sum(dim=(1, 2))
            total = y.sum(dim=(1, 2))
            return torch.stack([local, total], dim=1)

    for name, mod, shape in [("synth2d", Synth2D(), (1, 1, 20, 20)), ("synth1d", Synth1D(), (1, 2, 50))]:
        path = os.path.join(OUT, f"{name}.onnx")
        torch.onnx.export(mod.eval(), torch.zeros(shape), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13, dynamo=False)
        rng = np.random.RandomState(11 if name == "synth2d" else 12)
        np.save(os.path.join(OUT, f"{name}_input.npy"), rng.randn(*shape).astype(np.float32))


# ---- the definitions --------------------------------------------------------------------------------------------

def starts(size, box, stride):
    s = list(range(0, size - box + 1, stride))
    if s[-1] + box < size:
        s.append(size - box)
    return s


class Mulberry32:
    def __init__(self, seed):
        self.a = seed & 0xFFFFFFFF

    def next(self):
        M = 0xFFFFFFFF
        self.a = (self.a + 0x6D2B79F5) & M
        a = self.a
        t = ((a ^ (a >> 15)) * (a | 1)) & M
        t = (t ^ ((t + ((t ^ (t >> 7)) * (t | 61))) & M)) & M
        return ((t ^ (t >> 14)) & M) / 4294967296.0


def blur(item, sigma):
    """item: (C, *spatial) float32 -> float64 blurred, separable, edge replicate, last axis first."""
    r = int(math.ceil(3 * sigma))
    k = np.exp(-np.arange(-r, r + 1, dtype=np.float64) ** 2 / (2 * sigma * sigma))
    k /= k.sum()
    x = item.astype(np.float64)
    for axis in reversed(range(1, x.ndim)):
        n = x.shape[axis]
        acc = np.zeros_like(x)
        for j in range(-r, r + 1):
            idx = np.clip(np.arange(n) + j, 0, n - 1)
            acc += k[j + r] * np.take(x, idx, axis=axis)
        x = acc
    return x


def session_for(model_path, tensor):
    m = onnx.load(model_path)
    if tensor not in [o.name for o in m.graph.output]:
        m.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def occlusion_ref(model_path, x, case):
    p = case["params"]
    t = case["target"]
    N, C = x.shape[:2]
    size = list(x.shape[2:])
    box = list(p["box"])[: len(size)]
    stride = list(p["stride"])[: len(size)]
    if len(box) < len(size):
        box = box * 2
        stride = stride * 2
    fill = p.get("fill", "value")
    units = case["units"]  # resolved by the case author: 'pixel' or 'tensor'
    mean, std = case.get("norm", (None, None))
    if units == "pixel":
        offs, scale = np.array(mean, np.float64), np.array(std, np.float64)
    else:
        offs, scale = np.zeros(C), np.ones(C)

    # target weighting on the target tensor
    if "class" in t:
        tensor = t.get("tensor", "logits")
    else:
        tensor = t["tensor"]
    sess = session_for(model_path, tensor)
    fixed = case.get("fixed_batch")

    def target_values(batch, items):
        rows = batch.shape[0]
        if fixed and rows < fixed:
            batch = np.concatenate([batch, np.repeat(x[:1], fixed - rows, axis=0)])
        out = sess.run([tensor], {"input": batch})[0].astype(np.float64)[:rows]
        vals = []
        for r, b in enumerate(items):
            if "class" in t:
                vals.append(out[r, t["class"][b] if len(t["class"]) > 1 else t["class"][0]])
            else:
                vals.append(out[r, t["channel"]].sum())
        return np.array(vals)

    if fixed:
        out = sess.run([tensor], {"input": x})[0].astype(np.float64)
        clean = np.array([out[b, t["class"][b] if len(t["class"]) > 1 else t["class"][0]] if "class" in t
                          else out[b, t["channel"]].sum() for b in range(N)])
    else:
        clean = target_values(x, list(range(N)))

    st = [starts(size[i], box[i], stride[i]) for i in range(len(size))]
    origins = [(a,) for a in st[0]] if len(size) == 1 else [(a, b) for a in st[0] for b in st[1]]
    rng = Mulberry32(int(p.get("seed", 0)))
    windows = np.zeros((N, len(origins)), np.float64)
    acc = np.zeros((N,) + tuple(size), np.float64)
    cnt = np.zeros((N,) + tuple(size), np.float64)
    for b in range(N):
        item = x[b]
        kind = fill.split(":")[0]
        arg = fill.split(":", 1)[1] if ":" in fill else None
        if kind == "blur":
            blurred = blur(item, float(arg) if arg else 5.0).astype(np.float32)
        if kind == "random" and units == "tensor":
            flat = item.reshape(C, -1).astype(np.float64)
            lo, span = flat.min(1), flat.max(1) - flat.min(1)
        batch = []
        for o in origins:
            occ = item.copy()
            sl = tuple(slice(o[i], o[i] + box[i]) for i in range(len(size)))
            for c in range(C):
                region = occ[c][sl]
                if kind == "value":
                    if arg:
                        v = [float(s) for s in arg.split(",")][c]
                    else:
                        v = 0.5 if units == "pixel" else 0.0
                    region[...] = np.float32((v - offs[c]) / scale[c])
                elif kind == "mean":
                    region[...] = np.float32(item[c].astype(np.float64).mean())
                elif kind == "blur":
                    region[...] = blurred[c][sl]
                elif kind == "random":
                    vals = np.empty(region.size, np.float64)
                    for i in range(region.size):
                        u = rng.next()
                        vals[i] = ((u - offs[c]) / scale[c]) if units == "pixel" else (lo[c] + u * span[c])
                    region[...] = vals.reshape(region.shape).astype(np.float32)
            batch.append(occ)
        batch = np.stack(batch)
        if fixed:
            occl = np.concatenate([target_values(batch[i:i + 1], [b]) for i in range(len(origins))])
        else:
            occl = target_values(batch, [b] * len(origins))
        diff = clean[b] - occl
        if p.get("measure") == "relative":
            diff = diff / abs(clean[b])
        windows[b] = diff
        for w, o in enumerate(origins):
            sl = (b,) + tuple(slice(o[i], o[i] + box[i]) for i in range(len(size)))
            acc[sl] += diff[w]
            cnt[sl] += 1
    per_pixel = np.where(cnt > 0, acc / np.maximum(cnt, 1), 0.0)
    return (per_pixel[:, None].astype(np.float32),
            windows.reshape((N, 1) + tuple(len(s) for s in st)).astype(np.float32), clean)


CONVNET = {"model": "../convnet/model.onnx", "input": "../convnet/input.npy", "norm": (IMAGENET_MEAN, IMAGENET_STD)}
CAMNET = {"model": "../camnet/model.onnx", "input": "../camnet/input.npy", "norm": (IMAGENET_MEAN, IMAGENET_STD),
          "fixed_batch": 2}
SYN2 = {"model": "synth2d.onnx", "input": "synth2d_input.npy", "norm": ([0.0], [1.0])}
SYN1 = {"model": "synth1d.onnx", "input": "synth1d_input.npy"}

CASES = [
    ("convnet_value", CONVNET, "pixel", {"class": [3, 1]}, {"box": [5, 7], "stride": [3, 4], "fill": "value:0.5,0.5,0.5"}),
    ("convnet_random_s1", CONVNET, "pixel", {"class": [3, 1]}, {"box": [5, 7], "stride": [3, 4], "fill": "random", "seed": 1}),
    ("convnet_random_s2", CONVNET, "pixel", {"class": [3, 1]}, {"box": [5, 7], "stride": [3, 4], "fill": "random", "seed": 2}),
    ("convnet_mean", CONVNET, "pixel", {"class": [3, 1]}, {"box": [6, 6], "stride": [6, 6], "fill": "mean"}),
    ("convnet_blur_relative", CONVNET, "pixel", {"class": [3, 1]},
     {"box": [5, 7], "stride": [3, 4], "fill": "blur:1.5", "measure": "relative"}),
    ("convnet_tensor_unit", CONVNET, "tensor", {"tensor": "/relu2/Relu_output_0", "channel": 1},
     {"box": [4, 4], "stride": [5, 5], "fill": "value:0.1,-0.2,0.3", "units": "tensor"}),
    ("convnet_grey_batch3", CONVNET, "pixel", {"class": [3, 1]}, {"box": [8, 8], "stride": [4, 4], "fill": "value", "batch": 3}),
    ("camnet_random", CAMNET, "pixel", {"class": [1, 4]}, {"box": [4, 4], "stride": [4, 4], "fill": "random", "seed": 7}),
    ("camnet_mean_unit", CAMNET, "pixel", {"tensor": "/relu1/Relu_output_0", "channel": 2},
     {"box": [6, 3], "stride": [5, 2], "fill": "mean"}),
    ("synth2d_value", SYN2, "pixel", {"class": [0]}, {"box": [3, 4], "stride": [2, 3], "fill": "value"}),
    ("synth2d_random", SYN2, "pixel", {"class": [0]}, {"box": [3, 4], "stride": [2, 3], "fill": "random", "seed": 3}),
    ("synth1d_random", SYN1, "tensor", {"class": [0]}, {"box": [7, 7], "stride": [5, 5], "fill": "random", "seed": 5}),
    ("synth1d_blur", SYN1, "tensor", {"class": [0]}, {"box": [7, 7], "stride": [5, 5], "fill": "blur:2"}),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(os.path.join(OUT, "synth2d.onnx")) or os.environ.get("REEXPORT"):
        export_synthetic()
    manifest = {"region2d": REGION_2D, "region1d": REGION_1D, "cases": []}
    for name, fx, units, target, params in CASES:
        x = np.load(os.path.join(OUT, fx["input"]))
        case = {"params": params, "target": target, "units": units, "norm": fx.get("norm", (None, None)),
                "fixed_batch": fx.get("fixed_batch")}
        per_pixel, windows, clean = occlusion_ref(os.path.join(OUT, fx["model"]), x, case)
        np.save(os.path.join(OUT, f"{name}_map.npy"), per_pixel)
        np.save(os.path.join(OUT, f"{name}_windows.npy"), windows)
        manifest["cases"].append({"name": name, "model": fx["model"], "input": fx["input"], "target": target,
                                  "params": params, "units": units, "map": f"{name}_map.npy",
                                  "windows": f"{name}_windows.npy", "target_value": clean.tolist()})
        print(f"{name}: map {per_pixel.shape} windows {windows.shape} range [{windows.min():.4g}, {windows.max():.4g}]")
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)



# ---- benchmark peer (bench/occlusion.ts): Captum's Occlusion on torchvision VGG-16 / ResNet-50 ---------------------

def _bench_model(name):
    """The benchmark's seeded torchvision model (one definition, in bench_models.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_models import build
    return build(name)


def bench_export(name, path):
    """Random-weight torchvision model to ONNX (opset 13, dynamic batch), as bench/occlusion.ts expects."""
    import torch
    model = _bench_model(name)
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, input_names=["input"], output_names=["logits"],
                      opset_version=13, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)


def bench_captum(name, threads, box, stride, batches):
    """Tunes perturbations_per_eval as PyTorch's best batched forward size, then times one Occlusion run."""
    import time
    import torch
    from captum.attr import Occlusion
    torch.set_num_threads(threads)
    model = _bench_model(name)
    x = torch.rand(1, 3, 224, 224)
    best = None
    fwd = {}
    with torch.no_grad():
        for b in batches:
            xb = x.repeat(b, 1, 1, 1)
            model(xb)
            t0 = time.perf_counter()
            model(xb)
            ms = (time.perf_counter() - t0) * 1000 / b
            fwd[b] = ms
            if best is None or ms < fwd[best]:
                best = b
        occ = Occlusion(model)
        t0 = time.perf_counter()
        occ.attribute(x, sliding_window_shapes=(3, box, box), strides=(3, stride, stride), baselines=0.0, target=0,
                      perturbations_per_eval=best)
        ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"model": name, "occlusion_ms": ms, "perturbations_per_eval": best, "forward_ms_per_image": fwd,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == "export":
        bench_export(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "captum":
        bench_captum(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
                     [int(b) for b in sys.argv[6].split(",")])
    else:
        main()
