"""Exports the benchmark models (torchvision VGG-16, ResNet-50, ViT-B/16, ConvNeXt-T, seeded random weights, eval mode) to ONNX.

Usage: python tools/bench_models.py OUT_DIR [vgg16,resnet50] [SIZE]   (SIZE ≠ 224 writes NAME-SIZE.onnx)
Random weights are enough for timing; BatchNorm statistics are set to non-trivial values so nothing degenerates.
"""
import os
import sys

import torch
import torchvision


def build(name):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model


def main():
    out = sys.argv[1]
    names = sys.argv[2].split(",") if len(sys.argv) > 2 else ["vgg16", "resnet50"]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 224
    os.makedirs(out, exist_ok=True)
    for name in names:
        path = os.path.join(out, f"{name}.onnx" if size == 224 else f"{name}-{size}.onnx")
        if os.path.exists(path):
            continue
        model = build(name)
        kwargs = {"dynamo": False} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
        # Attention (ViT) exports through scaled_dot_product_attention, which needs opset 14+.
        opset = 13 if name in ("vgg16", "resnet50") else 17
        torch.onnx.export(model, torch.randn(1, 3, size, size), path, input_names=["input"], output_names=["logits"],
                          opset_version=opset, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **kwargs)
        print(f"exported {path}")


if __name__ == "__main__":
    main()
