#!/usr/bin/env python3
"""Export PyTorch architectures (random, seeded weights) to ONNX with float64 PyTorch references.

Usage:
    python tools/zoo.py --out DIR [--arch resnet18,vit_mini,...] [--exporter torchscript,dynamo] [--opset 13,17]
                        [--size N] [--batch 1] [--seed 0] [--kw '{"transform_input": true}']
                        [--methods gradient,guided-backprop,deconvnet,lrp-epsilon] [--eps 0.25,1e-6]
    python tools/zoo.py --list
    python tools/zoo.py --zennit-check --arch resnet18,alexnet --size 64 --eps 0.25,1e-6   (needs zennit)

Writes DIR/<arch>-<exporter>-op<opset>/{model.onnx,input.npy,cases.json,ref/*.npy} in the format of
test/fixtures (see tools/README.md). Exporters (tools/zoo_export.py): torchscript (opsets 13, 17 by default),
dynamo (torch.export; opset 18 by default), dynamo-dynamic (dynamo with dynamic batch and spatial dims).
Architectures: tools/zoo_archs.py (--size defaults to each one's own). Works with torch 1.13 + torchvision 0.14
(torchscript only) and with torch 2.x + torchvision 0.2x. onnx is optional (if importable, constant sub-graphs of
TorchScript exports are folded and every graph is checked); onnxruntime is optional (if importable, the exported
outputs are compared with PyTorch's).
"""
import argparse
import copy
import json
import os
import sys
import time
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402  (rule implementations shared with the fixtures)
from zoo_archs import ARCHS, build, default_size, lrp_reason, pick_size  # noqa: E402
from zoo_export import DEFAULT_OPSETS, EXPORTERS, export, ort_outputs  # noqa: E402

import torchvision  # noqa: E402
from torchvision import models as tvm  # noqa: E402

# ----------------------------------------------------------------------------------------------------------------
# reference computation
# ----------------------------------------------------------------------------------------------------------------
class _Patch:
    """Temporarily replace torch.nn.functional.<name> (torchvision calls F.relu / F.adaptive_avg_pool2d)."""

    def __init__(self, **fns):
        self.fns = fns
        self.saved = {}

    def __enter__(self):
        for k, f in self.fns.items():
            self.saved[k] = getattr(F, k)
            setattr(F, k, f)
        return self

    def __exit__(self, *a):
        for k, f in self.saved.items():
            setattr(F, k, f)


_ORIG_RELU = F.relu
_ORIG_AAP = F.adaptive_avg_pool2d


class _FReluModule(nn.ReLU):
    """An nn.ReLU whose forward does not go through the (patched) F.relu."""

    def forward(self, x):
        return torch.clamp(x, min=0)


RELU_CALLS = [0]  # F.relu calls the guided/deconvnet reference replaced (a model with ReLUs must have some)


def relu_patch(kind, mode=None):
    if kind == "relu-like":
        wrapper = mf.ReluLike(_FReluModule(), mode)

        def relu(x, inplace=False):
            RELU_CALLS[0] += 1
            return mf._ReluLikeFn.apply(x, wrapper)
    elif kind == "pass":
        inner = _FReluModule()

        def relu(x, inplace=False):
            return mf._PassFn.apply(x, inner)
    else:
        raise ValueError(kind)
    return relu


class _AAP(nn.AdaptiveAvgPool2d):
    """An nn.AdaptiveAvgPool2d whose forward does not go through the (patched) F.adaptive_avg_pool2d."""

    def forward(self, x):
        return _ORIG_AAP(x, self.output_size)


def aap_patch(eps):
    def aap(x, output_size):
        return mf.LinearRule(_AAP(output_size), "epsilon", eps=eps)(x)
    return aap


def _resnet_block_forward(self, x):
    out = self.relu(self.bn1(self.conv1(x)))
    if hasattr(self, "conv3"):
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
    else:
        out = self.bn2(self.conv2(out))
    shortcut = self.downsample(x) if self.downsample is not None else x
    return self.relu(self.fv_add(out, shortcut))


def _inverted_residual_forward(self, x):
    if self.use_res_connect:
        return self.fv_add(x, self.conv(x))
    return self.conv(x)


def fold_pairs(model):
    """(conv, bn) module-name pairs where the BN consumes the conv's output only."""
    pairs = []
    for name, m in model.named_modules():
        pre = name + "." if name else ""
        if isinstance(m, nn.Sequential):
            kids = list(m.named_children())
            for (a, ma), (b, mb) in zip(kids, kids[1:]):
                if isinstance(ma, nn.Conv2d) and isinstance(mb, nn.BatchNorm2d):
                    pairs.append((pre + a, pre + b))
        for a, b in (("conv", "bn"), ("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"), ("conv1", "norm2")):
            if isinstance(getattr(m, a, None), nn.Conv2d) and isinstance(getattr(m, b, None), nn.BatchNorm2d) \
                    and not isinstance(m, nn.Sequential):
                pairs.append((pre + a, pre + b))
    return pairs


def prepare_lrp(model, eps, dtype):
    m = copy.deepcopy(model).to(dtype).eval()
    ref_out = None
    with torch.no_grad():
        xt = torch.randn(1, 3, 64, 64, dtype=dtype, generator=torch.Generator().manual_seed(5))
        try:
            ref_out = m(xt)
        except RuntimeError:
            xt = torch.randn(1, 3, 224, 224, dtype=dtype, generator=torch.Generator().manual_seed(5))
            ref_out = m(xt)
    mf.fold_bn(m, fold_pairs(m))
    with torch.no_grad():  # a wrong pair would change the function
        err = (m(xt) - ref_out).abs().max() / ref_out.abs().max()
    assert err < (1e-9 if dtype == torch.float64 else 1e-4), f"BN folding changed the model output ({err})"
    for name, mod in list(m.named_modules()):
        if isinstance(mod, (tvm.resnet.BasicBlock, tvm.resnet.Bottleneck)):
            mod.fv_add = mf.AddRule(eps)
            mod.forward = types.MethodType(_resnet_block_forward, mod)
        elif isinstance(mod, tvm.mobilenetv2.InvertedResidual):
            mod.fv_add = mf.AddRule(eps)
            mod.forward = types.MethodType(_inverted_residual_forward, mod)
    for name, mod in list(m.named_modules()):
        if name == "":
            continue
        if isinstance(mod, nn.AdaptiveAvgPool2d):
            mf._set_module(m, name, mf.LinearRule(_AAP(mod.output_size), "epsilon", eps=eps))
        elif isinstance(mod, (nn.Conv2d, nn.Linear, nn.AvgPool2d, nn.BatchNorm2d)):
            mf._set_module(m, name, mf.LinearRule(mod, "epsilon", eps=eps))
        elif isinstance(mod, (nn.ReLU6, nn.Dropout, nn.Identity)):
            mf._set_module(m, name, mf.PassRule(mod))
        elif isinstance(mod, nn.ReLU):
            pass  # nn.ReLU calls F.relu, which is patched to pass relevance
        elif isinstance(mod, (nn.LeakyReLU, nn.PReLU, nn.Hardswish, nn.SiLU, nn.Sigmoid, nn.Hardsigmoid)):
            raise NotImplementedError(type(mod))
    return m


def prepare_guided(model, mode, dtype):
    m = copy.deepcopy(model).to(dtype).eval()
    for name, mod in list(m.named_modules()):
        if isinstance(mod, (nn.ReLU6, nn.LeakyReLU, nn.PReLU)):
            mf._set_module(m, name, mf.ReluLike(mod, mode))
            RELU_CALLS[0] += 1
    return m


def attribution(model, x32, method, w, dtype, eps=None):
    """The method's map for the target S = sum(w * output) (LRP: initial relevance w * output), in `dtype`."""
    x = x32.to(dtype).clone().requires_grad_(True)
    if method in ("gradient", "input-x-gradient"):
        m, patch = copy.deepcopy(model).to(dtype).eval(), _Patch()
    elif method in ("guided-backprop", "deconvnet"):
        mode = "guided" if method == "guided-backprop" else "deconvnet"
        m, patch = prepare_guided(model, mode, dtype), _Patch(relu=relu_patch("relu-like", mode))
    elif method == "lrp-epsilon":
        m = prepare_lrp(model, eps, dtype)
        patch = _Patch(relu=relu_patch("pass"), adaptive_avg_pool2d=aap_patch(eps))
    else:
        raise ValueError(method)
    with patch:
        out = m(x)
        w = w.to(dtype)
        seed = w * out if method.startswith("lrp-") else w
        (g,) = torch.autograd.grad(out, x, seed)
    if method == "input-x-gradient":
        g = g * x
    return g.detach(), out.detach()


def zennit_check(archs, size, seed, epss):
    """Compare the lrp-epsilon references with zennit (BN folded beforehand: zennit's SequentialMergeBatchNorm
    only merges BNs inside nn.Sequential, which misses the ResNet blocks' conv1/bn1 etc.)."""
    import zennit.torchvision as ztv
    from zennit.attribution import Gradient
    from zennit.composites import LayerMapComposite
    from zennit.layer import Sum
    from zennit.rules import Epsilon, Pass

    ok = True
    for arch in archs:
        if arch not in ("alexnet", "vgg16", "resnet18", "resnet50", "resnet101"):
            print(f"{arch}: no zennit comparison (only alexnet, vgg16, resnet*)")
            continue
        s = pick_size(arch, size or default_size(arch), seed)
        model, x = build(arch, s, seed)
        with torch.no_grad():
            cls = int(model(x).argmax(1)[0])
        for eps in epss:
            w = F.one_hot(torch.tensor([cls]), 1000).double()
            mine, _ = attribution(model, x, "lrp-epsilon", w, torch.float64, eps)
            m = copy.deepcopy(model).double().eval()
            mf.fold_bn(m, fold_pairs(m))
            lm = [((nn.ReLU, nn.Dropout), Pass()),
                  ((nn.Conv2d, nn.Linear, nn.AdaptiveAvgPool2d, Sum), Epsilon(epsilon=eps))]
            can = [ztv.ResNetBottleneckCanonizer(), ztv.ResNetBasicBlockCanonizer()] if "resnet" in arch else []
            xx = x.double().requires_grad_(True)
            with Gradient(model=m, composite=LayerMapComposite(layer_map=lm, canonizers=can)) as attributor:
                _, rel = attributor(xx, lambda o: F.one_hot(torch.tensor([cls]), o.shape[1]).to(o) * o)
            err = ((rel - mine).abs().max() / mine.abs().max()).item()
            ok &= err < 1e-8
            print(f"{arch}: zennit vs mine lrp-epsilon eps={eps:g}: rel err {err:.1e}")
    return ok




# ----------------------------------------------------------------------------------------------------------------
# targets and references
# ----------------------------------------------------------------------------------------------------------------
def target_of(arch, out64):
    """(weighting w of the output, the cases.json target without its tensor name, a file to save or None).
    Classifiers: the arg-max logit of each item. Segmentation: the logits of the most predicted class summed over
    the pixels predicted as that class (the mask is fixed: it is part of the target, not recomputed)."""
    if ARCHS[arch][3] == "classify":
        cls = out64.argmax(1)
        return F.one_hot(cls, out64.shape[1]).double(), {"class": [int(c) for c in cls]}, None
    pred = out64.argmax(1)  # (N, H, W)
    k = int(torch.bincount(pred.flatten(), minlength=out64.shape[1]).argmax())
    w = torch.zeros_like(out64)
    w[:, k] = (pred == k).double()
    return w, {"weights": "target_w.npy", "predicted_class": k}, w.numpy().astype(np.float32)


PERTURBATIONS = 6


def perturbed_l2(model, x, method, w, eps, r64):
    """The largest float32-vs-float64 relative L2 over a few inputs x·(1 + 1e-7·N(0,1)) (float32 rounding level).
    One float32 run is one sample of rounding: in deep ReLU nets some pre-activations lie within rounding of 0, and
    another float32 evaluation order (onnxruntime's) flips a mask that PyTorch's did not (r2plus1d_18: one in 8
    such inputs moves the gradient by 4.9e-3, the rest by 1.1e-6). The true map moves by ~1e-7 meanwhile."""
    worst = 0.0
    for k in range(PERTURBATIONS):
        g = torch.Generator().manual_seed(1000 + k)
        xp = x * (1 + 1e-7 * torch.randn(x.shape, generator=g))
        r32, _ = attribution(model, xp, method, w, torch.float32, eps)
        worst = max(worst, ((r32.double() - r64).norm() / r64.norm().clamp(min=1e-300)).item())
    return worst


def references(arch, model, x, methods, epss):
    """The cases (without target tensor names) and their float32-stored float64 references."""
    with torch.no_grad():
        out64 = model.double()(x.double())
        model.float()
    w, target, wfile = target_of(arch, out64)
    cases, refs = [], {}
    for method in methods:
        if method == "lrp-epsilon" and lrp_reason(arch):
            print(f"{arch}: no lrp-epsilon reference ({lrp_reason(arch)})")
            continue
        for eps in (epss if method == "lrp-epsilon" else [None]):
            RELU_CALLS[0] = 0
            r64, _ = attribution(model, x, method, w, torch.float64, eps)
            calls = RELU_CALLS[0]
            r32, _ = attribution(model, x, method, w, torch.float32, eps)
            f32 = ((r32.double() - r64).abs().max() / r64.abs().max().clamp(min=1e-300)).item()
            l2 = ((r32.double() - r64).norm() / r64.norm().clamp(min=1e-300)).item()
            spread = perturbed_l2(model, x, method, w, eps, r64)
            name = method + (f"-eps{eps:g}" if eps is not None else "")
            fn = f"ref/{name}.npy"
            refs[fn] = r64.numpy().astype(np.float32)
            rec = {"method": method, "target": dict(target), "params": {"eps": eps} if eps is not None else {},
                   "ref": fn, "shape": list(r64.shape), "f32_rel_err": float(f"{f32:.3g}"),
                   "f32_rel_l2": float(f"{l2:.3g}"), "f32_rel_l2_perturbed": float(f"{spread:.3g}")}
            if method in ("guided-backprop", "deconvnet"):
                rec["relu_like_replaced"] = calls  # 0 on a ReLU-free model: the map is then the plain gradient
            if method.startswith("lrp-"):
                rec["relevance_sum"] = [float(f"{r64.sum().item():.9g}")]
                rec["target_value"] = [float(f"{(w * out64).sum().item():.9g}")]
            cases.append(rec)
            print(f"{arch}: {name:22s} f32/f64 rel diff max {f32:.1e}, L2 {l2:.1e}, L2 perturbed {spread:.1e}")
    if wfile is not None:
        refs["target_w.npy"] = wfile
    return cases, refs, out64


def write_case(args, arch, exporter, opset, model, x, cases, refs, out64, t_ref):
    d = os.path.join(args.out, f"{arch}-{exporter}-op{opset}")
    os.makedirs(os.path.join(d, "ref"), exist_ok=True)
    out_name = "logits" if ARCHS[arch][3] == "classify" else "out"
    t0 = time.time()
    ops = export(model, x, os.path.join(d, "model.onnx"), opset, exporter, out_name)
    t_export = time.time() - t0
    np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))
    for fn, arr in refs.items():
        np.save(os.path.join(d, fn), arr)
    doc = {"model": "model.onnx", "input": "input.npy", "opset": opset, "arch": arch, "exporter": exporter,
           "input_shape": list(x.shape), "seed": args.seed, "constructor_kw": json.loads(args.kw),
           "weights": "random (seeded), BN statistics calibrated on random inputs then perturbed",
           "torch": torch.__version__, "torchvision": torchvision.__version__,
           "export_s": round(t_export, 1), "reference_s": round(t_ref, 1),
           "cases": [{**c, "target": {"tensor": out_name, **c["target"]}} for c in cases]}
    if ops is not None:
        doc["onnx_ops"] = ops
    lo = ort_outputs(os.path.join(d, "model.onnx"), x, out_name)
    msg = ""
    if lo is not None:
        err = np.abs(lo - out64.numpy()).max() / np.abs(out64.numpy()).max()
        doc["ort_rel_err"] = float(f"{err:.3g}")
        msg = f", onnxruntime output rel err {err:.1e}"
        assert err < 1e-3, f"{arch} {exporter} opset {opset}: onnxruntime output differs from PyTorch's ({err:.1e})"
    with open(os.path.join(d, "cases.json"), "w") as f:  # last: its presence means the case is complete
        f.write(mf.dump_json(doc))
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.startswith("model.onnx"))
    print(f"{arch}: wrote {d} ({size / 1e6:.1f} MB, export {t_export:.1f} s{msg})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--arch", default="resnet18", help="comma list or 'all' (see --list)")
    ap.add_argument("--exporter", default="torchscript", help=f"comma list of {', '.join(EXPORTERS)}")
    ap.add_argument("--opset", help="comma list (default: 13,17 for torchscript, 18 for dynamo)")
    ap.add_argument("--cases", help="exporter:opset comma list, instead of --exporter/--opset (one reference run)")
    ap.add_argument("--size", type=int, help="input height=width, or length (default: the architecture's own)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--kw", default="{}", help="JSON of extra constructor keywords, e.g. '{\"transform_input\": true}'")
    ap.add_argument("--methods", default="gradient,guided-backprop,deconvnet,lrp-epsilon")
    ap.add_argument("--eps", default="0.25", help="comma list of LRP epsilons")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--zennit-check", action="store_true", help="compare lrp-epsilon with zennit; write nothing")
    args = ap.parse_args()
    if args.list:
        for a in ARCHS:
            print(f"{a:30s} {ARCHS[a][1]:5s} {default_size(a):5d} {ARCHS[a][3]:8s} "
                  f"lrp={'yes' if not lrp_reason(a) else 'no: ' + lrp_reason(a)}")
        return 0
    archs = list(ARCHS) if args.arch == "all" else args.arch.split(",")
    for arch in archs:
        if arch not in ARCHS:
            raise SystemExit(f"unknown arch {arch}; known: {', '.join(ARCHS)}")
    if args.zennit_check:
        return 0 if zennit_check(archs, args.size, args.seed, [float(e) for e in args.eps.split(",")]) else 1
    if not args.out:
        ap.error("--out is required")
    if args.cases:
        todo = [(c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")]
    else:
        todo = [(e, o) for e in args.exporter.split(",")
                for o in ([int(o) for o in args.opset.split(",")] if args.opset else DEFAULT_OPSETS.get(e, []))]
    for e, _ in todo:
        if e not in EXPORTERS:
            raise SystemExit(f"unknown exporter {e}; known: {', '.join(EXPORTERS)}")
    methods = args.methods.split(",")
    epss = [float(e) for e in args.eps.split(",")]
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    for arch in archs:
        t0 = time.time()
        want = args.size or default_size(arch)
        size = pick_size(arch, want, args.seed)
        if size != want:
            print(f"{arch}: size {want} not exportable (AdaptiveAvgPool2d), using {size}")
        model, x = build(arch, size, args.seed, args.batch, **json.loads(args.kw))
        cases, refs, out64 = references(arch, model, x, methods, epss)
        t_ref = time.time() - t0
        for exporter, opset in todo:
            write_case(args, arch, exporter, opset, model, x, cases, refs, out64, t_ref)
        print(f"{arch}: {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
