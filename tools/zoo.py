#!/usr/bin/env python3
"""Export torchvision architectures (random, seeded weights) to ONNX with float64 PyTorch references.

Usage:
    python tools/zoo.py --out DIR [--arch resnet18,vgg16,...] [--opset 13,17] [--size 224] [--seed 0]
                        [--methods gradient,guided-backprop,deconvnet,lrp-epsilon] [--eps 0.25,1e-6]
    python tools/zoo.py --list
    python tools/zoo.py --zennit-check --arch resnet18,alexnet --size 64 --eps 0.25,1e-6   (needs zennit)

Writes DIR/<arch>-op<opset>/{model.onnx,input.npy,cases.json,ref/*.npy} in the format of test/fixtures
(see tools/README.md). Works with torch 1.13 + torchvision 0.14 (Debian's python3-torch/python3-torchvision)
and with torch 2.x + torchvision 0.2x. onnx is optional (if importable, constant sub-graphs are folded and the
graph is checked); onnxruntime is optional (if importable, the exported logits are compared with PyTorch's).
"""
import argparse
import copy
import inspect
import os
import sys
import time
import types
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402  (rule implementations shared with the fixtures)

import torchvision  # noqa: E402
from torchvision import models as tvm  # noqa: E402

# name: (constructor kwargs, has LRP references)
ARCHS = {
    "alexnet": ({}, True),
    "vgg16": ({}, True),
    "googlenet": ({"aux_logits": False, "init_weights": True}, True),
    "resnet18": ({}, True),
    "resnet50": ({}, True),
    "resnet101": ({}, True),
    "densenet121": ({}, True),
    "mobilenet_v2": ({}, True),
    "mobilenet_v3_small": ({}, False),
    "efficientnet_b0": ({}, False),
    "squeezenet1_0": ({}, True),
    "shufflenet_v2_x1_0": ({}, False),
}
NO_LRP_REASON = {
    "mobilenet_v3_small": "squeeze-excitation gates and Hardswish inside torchvision's forward code (not modules "
                          "the reference can give rules to) — not implemented",
    "efficientnet_b0": "squeeze-excitation gates, in-place residual adds and StochasticDepth inside torchvision's "
                       "forward code — not implemented",
    "shufflenet_v2_x1_0": "global pooling is a Tensor.mean call in torchvision's forward (no module to give the "
                          "pool rule to) — not implemented",
}


# ----------------------------------------------------------------------------------------------------------------
# model construction
# ----------------------------------------------------------------------------------------------------------------
def build(arch, size, seed):
    kw, _ = ARCHS[arch]
    torch.manual_seed(seed)
    model = getattr(tvm, arch)(weights=None, **kw)
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    g = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            bn.weight.copy_(torch.rand(c, generator=g) + 0.5)
            bn.bias.copy_(torch.randn(c, generator=g) * 0.1)
    if bns:
        # running statistics from random images (keeps activations well scaled through 100 layers), then
        # perturbed so that they are not exactly the batch statistics
        model.eval()
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average
            bn.train()
        with torch.no_grad():
            for _ in range(2):
                model(torch.randn(4, 3, size, size, generator=g))
        model.eval()
        with torch.no_grad():
            for bn in bns:
                c = bn.num_features
                bn.running_mean.add_(torch.randn(c, generator=g) * 0.1 * bn.running_var.sqrt())
                bn.running_var.mul_(torch.rand(c, generator=g) * 0.5 + 0.75)
                bn.momentum = 0.1
    model.eval()
    x = torch.randn(1, 3, size, size, generator=g)
    return model, x


def adaptive_pools_exportable(model, x):
    """The TorchScript ONNX exporter needs every AdaptiveAvgPool2d input size to be a multiple of its output."""
    ok = [True]
    hooks = []
    for m in model.modules():
        if isinstance(m, nn.AdaptiveAvgPool2d):
            def pre(mod, inp):
                out = mod.output_size if isinstance(mod.output_size, (tuple, list)) else (mod.output_size,) * 2
                for i, o in zip(inp[0].shape[2:], out):
                    if o is not None and i % o != 0:
                        ok[0] = False
            hooks.append(m.register_forward_pre_hook(pre))
    try:
        with torch.no_grad():
            model(x)
    except RuntimeError:
        ok[0] = False
    for h in hooks:
        h.remove()
    return ok[0]


def pick_size(arch, size, seed):
    """`size` if the architecture exports there, else 224 or the next multiple of 32 above (alexnet/vgg)."""
    torch.manual_seed(seed)
    m = getattr(tvm, arch)(weights=None, **ARCHS[arch][0]).eval()
    for s in [size] + [c for c in range(224, 545, 32) if c > size]:
        if adaptive_pools_exportable(m, torch.zeros(1, 3, s, s)):
            return s
    raise RuntimeError(f"{arch}: no exportable size found")


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


def relu_patch(kind, mode=None):
    if kind == "relu-like":
        wrapper = mf.ReluLike(_FReluModule(), mode)

        def relu(x, inplace=False):
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
    return m


def attribution(model, x32, method, cls, dtype, eps=None):
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
        w = torch.zeros_like(out)
        w[0, cls] = 1
        seed = w * out if method.startswith("lrp-") else w
        (g,) = torch.autograd.grad(out, x, seed)
    if method == "input-x-gradient":
        g = g * x
    return g.detach(), out.detach()


# ----------------------------------------------------------------------------------------------------------------
# export
# ----------------------------------------------------------------------------------------------------------------
def export(model, x, path, opset):
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"],
                          opset_version=opset, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, **kw)
    try:
        import onnx
        from onnx_fold import fold_constant_subgraphs
    except ImportError:
        return None
    m = onnx.load(path)
    fold_constant_subgraphs(m)
    onnx.save(m, path)
    onnx.checker.check_model(path)
    return sorted({n.op_type for n in m.graph.node})


def ort_logits(path, x):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run(["logits"], {"input": x.numpy()})[0]


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
        s = pick_size(arch, size, seed)
        model, x = build(arch, s, seed)
        with torch.no_grad():
            cls = int(model(x).argmax(1)[0])
        for eps in epss:
            mine, _ = attribution(model, x, "lrp-epsilon", cls, torch.float64, eps)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--arch", default="resnet18", help="comma list or 'all' (see --list)")
    ap.add_argument("--opset", default="13", help="comma list, e.g. 13,17")
    ap.add_argument("--size", type=int, default=224, help="input height=width (raised where needed)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", default="gradient,guided-backprop,deconvnet,lrp-epsilon")
    ap.add_argument("--eps", default="0.25", help="comma list of LRP epsilons")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--zennit-check", action="store_true", help="compare lrp-epsilon with zennit; write nothing")
    args = ap.parse_args()
    if args.list:
        for a, (kw, lrp) in ARCHS.items():
            print(f"{a:20s} lrp={'yes' if lrp else 'no: ' + NO_LRP_REASON[a]}")
        return 0
    if args.zennit_check:
        archs = list(ARCHS) if args.arch == "all" else args.arch.split(",")
        return 0 if zennit_check(archs, args.size, args.seed, [float(e) for e in args.eps.split(",")]) else 1
    if not args.out:
        ap.error("--out is required")
    archs = list(ARCHS) if args.arch == "all" else args.arch.split(",")
    opsets = [int(o) for o in args.opset.split(",")]
    methods = args.methods.split(",")
    epss = [float(e) for e in args.eps.split(",")]
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    for arch in archs:
        if arch not in ARCHS:
            raise SystemExit(f"unknown arch {arch}; known: {', '.join(ARCHS)}")
        t0 = time.time()
        size = pick_size(arch, args.size, args.seed)
        if size != args.size:
            print(f"{arch}: size {args.size} not exportable (AdaptiveAvgPool2d), using {size}")
        model, x = build(arch, size, args.seed)
        with torch.no_grad():
            logits64 = model.double()(x.double())
            model.float()
        cls = int(logits64.argmax(1)[0])
        cases = []
        refs = {}
        for method in methods:
            if method == "lrp-epsilon" and not ARCHS[arch][1]:
                print(f"{arch}: no lrp-epsilon reference ({NO_LRP_REASON[arch]})")
                continue
            for eps in (epss if method == "lrp-epsilon" else [None]):
                r64, out = attribution(model, x, method, cls, torch.float64, eps)
                r32, _ = attribution(model, x, method, cls, torch.float32, eps)
                f32 = ((r32.double() - r64).abs().max() / r64.abs().max().clamp(min=1e-300)).item()
                l2 = ((r32.double() - r64).norm() / r64.norm().clamp(min=1e-300)).item()
                name = method + (f"-eps{eps:g}" if eps is not None else "")
                fn = f"ref/{name}.npy"
                refs[fn] = r64.numpy().astype(np.float32)
                rec = {"method": method, "target": {"tensor": "logits", "class": [cls]},
                       "params": {"eps": eps} if eps is not None else {}, "ref": fn, "shape": list(r64.shape),
                       "f32_rel_err": float(f"{f32:.3g}"), "f32_rel_l2": float(f"{l2:.3g}")}
                if method.startswith("lrp-"):
                    rec["relevance_sum"] = [float(f"{r64.sum().item():.9g}")]
                    rec["target_value"] = [float(f"{logits64[0, cls].item():.9g}")]
                cases.append(rec)
                print(f"{arch}: {name:22s} f32/f64 rel diff max {f32:.1e}, L2 {l2:.1e}")
        for opset in opsets:
            d = os.path.join(args.out, f"{arch}-op{opset}")
            os.makedirs(os.path.join(d, "ref"), exist_ok=True)
            ops = export(model, x, os.path.join(d, "model.onnx"), opset)
            np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))
            for fn, arr in refs.items():
                np.save(os.path.join(d, fn), arr)
            doc = {"model": "model.onnx", "input": "input.npy", "opset": opset, "arch": arch,
                   "input_shape": list(x.shape), "seed": args.seed, "weights": "random (seeded), BN statistics "
                   "calibrated on random images then perturbed", "torch": torch.__version__,
                   "torchvision": torchvision.__version__, "cases": cases}
            if ops is not None:
                doc["onnx_ops"] = ops
            with open(os.path.join(d, "cases.json"), "w") as f:
                f.write(mf.dump_json(doc))
            lo = ort_logits(os.path.join(d, "model.onnx"), x)
            msg = ""
            if lo is not None:
                err = np.abs(lo - logits64.numpy()).max() / np.abs(logits64.numpy()).max()
                msg = f", onnxruntime logits rel err {err:.1e}"
                assert err < 1e-3, err
            print(f"{arch}: wrote {d} ({os.path.getsize(os.path.join(d, 'model.onnx')) / 1e6:.1f} MB{msg})")
        print(f"{arch}: {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
