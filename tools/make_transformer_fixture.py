#!/usr/bin/env python3
"""Build the transformer rule fixtures in test/fixtures/vit*/ (tiny ViTs + float64 PyTorch references).

Usage (from the repository root; needs torch ≥ 2.5 with onnxscript for the dynamo exporter):
    .cache/venv-torch/bin/python tools/make_transformer_fixture.py

Fixtures (vit, vit-torchscript, vit-conserve; see DESCRIPTIONS) use the cases.json format of make_fixtures.py.

References (float64, from the rule definitions; the ONNX graph is never executed for a reference):
  gradient / input-x-gradient: autograd.
  lrp-epsilon / lrp-composite (AttnLRP, Achtibat et al. 2024): Linear/Conv ε-rule with the bias in z (zB for the
  patch embedding under the composite); LayerNorm: ε-rule on y = γ(x − μ)/σ + β with σ held constant;
  Q·Kᵀ and A·V: R_A = ½ A ⊙ (S Bᵀ), R_B = ½ B ⊙ (Aᵀ S), S = R/(Y + ε sign Y); softmax: R_x = x ⊙ (R − s ΣR);
  GELU and constant scalings pass relevance; residual sums split in proportion (ε-stabilised); the token mean takes
  the ε-rule, like pools; the position embedding (a constant summand) passes relevance; the class token (a
  constant) absorbs what reaches it.
  grad-cam: pytorch-grad-cam's ViT recipe on the first LayerNorm of the last block (the final LayerNorm for the
  mean-pooled head) — class token dropped, patch tokens laid on the 4×4 grid, ReLU(Σ_k mean(∂y/∂A_k)·A_k),
  bilinear upsampling (align_corners=False).
  cam: Σ_k w_ck A_k over the patch tokens feeding the mean pool, upsampled.
"""
import copy
import json
import os
import shutil
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "test", "fixtures")
sys.path.insert(0, HERE)
from make_fixtures import AddRule, LinearRule, PassRule, stab  # noqa: E402  (the CNN fixtures' ε/zB/sum rules)

D, HEADS, DEPTH, MLP, CLASSES, P = 16, 2, 2, 32, 5, 4
INPUT = (2, 3, 16, 16)
GRID = INPUT[2] // P


class MatMul(nn.Module):
    def forward(self, a, b):
        return a @ b


class Scale(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        return x * self.s


class Add(nn.Module):
    def forward(self, a, b):
        return a + b


class TokenMean(nn.Module):
    def forward(self, x):
        return x.mean(1)


class Attention(nn.Module):
    def __init__(self, bias, softmax):
        super().__init__()
        self.qkv, self.proj = nn.Linear(D, 3 * D, bias=bias), nn.Linear(D, D, bias=bias)
        self.qk, self.av, self.scale = MatMul(), MatMul(), Scale((D // HEADS) ** -0.5)
        self.softmax = nn.Softmax(-1) if softmax else nn.Identity()

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).reshape(B, T, 3, HEADS, C // HEADS).permute(2, 0, 3, 1, 4)
        a = self.softmax(self.scale(self.qk(q, k.transpose(-2, -1))))
        return self.proj(self.av(a, v).transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, bias, softmax):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(D, bias=bias), nn.LayerNorm(D, bias=bias)
        self.attn = Attention(bias, softmax)
        self.fc1, self.act, self.fc2 = nn.Linear(D, MLP, bias=bias), nn.GELU(), nn.Linear(MLP, D, bias=bias)
        self.add1, self.add2 = Add(), Add()

    def forward(self, x):
        x = self.add1(x, self.attn(self.norm1(x)))
        return self.add2(x, self.fc2(self.act(self.fc1(self.norm2(x)))))


class PosAdd(nn.Module):
    """x + position embedding (a constant summand: relevance passes to x)."""

    def __init__(self, tokens):
        super().__init__()
        self.pos = nn.Parameter(torch.randn(1, tokens, D) * 0.5)

    def forward(self, x):
        return x + self.pos


class ViT(nn.Module):
    def __init__(self, bias=True, softmax=True, cls_token=True):
        super().__init__()
        self.patch = nn.Conv2d(3, D, P, P, bias=bias)
        self.cls_token = nn.Parameter(torch.randn(1, 1, D)) if cls_token else None
        self.pos = PosAdd(GRID * GRID + (1 if cls_token else 0))
        self.blocks = nn.ModuleList(Block(bias, softmax) for _ in range(DEPTH))
        self.norm = nn.LayerNorm(D, bias=bias)
        self.head = nn.Linear(D, CLASSES, bias=bias)
        self.pool = TokenMean()

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1)
        x = self.pos(x)
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return self.head(x[:, 0] if self.cls_token is not None else self.pool(x))


def build(seed, **kw):
    torch.manual_seed(seed)
    m = ViT(**kw)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1 + 0.3 * torch.randn_like(mod.weight))
                if mod.bias is not None:
                    mod.bias.copy_(0.2 * torch.randn_like(mod.bias))
            if isinstance(mod, (nn.Linear, nn.Conv2d)) and mod.bias is not None:
                mod.bias.copy_(0.1 * torch.randn_like(mod.bias))
    return m.eval()


# ---- AttnLRP rules as custom backward functions (float64) ----
class _NormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, mod, eps):
        ctx.save_for_backward(x)
        ctx.mod, ctx.eps = mod, eps
        return mod(x)

    @staticmethod
    def backward(ctx, R):
        (x,) = ctx.saved_tensors
        m = ctx.mod
        with torch.enable_grad():
            xx = x.detach().requires_grad_(True)
            mu = xx.mean(-1, keepdim=True)
            sigma = ((xx - mu) ** 2).mean(-1, keepdim=True).add(m.eps).sqrt().detach()  # σ held constant
            y = (xx - mu) / sigma * m.weight + (0 if m.bias is None else m.bias)
            (g,) = torch.autograd.grad(y, xx, R / stab(y.detach(), ctx.eps))
        return x * g, None, None


class NormRule(nn.Module):
    def __init__(self, inner, eps):
        super().__init__()
        self.inner, self.eps = inner, eps

    def forward(self, x):
        return _NormFn.apply(x, self.inner, self.eps)


class _BilinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, eps):
        ctx.save_for_backward(a, b)
        ctx.eps = eps
        return a @ b

    @staticmethod
    def backward(ctx, R):
        a, b = ctx.saved_tensors
        S = R / stab(a @ b, ctx.eps)
        return 0.5 * a * (S @ b.transpose(-2, -1)), 0.5 * b * (a.transpose(-2, -1) @ S), None


class BilinearRule(nn.Module):
    def __init__(self, eps):
        super().__init__()
        self.eps = eps

    def forward(self, a, b):
        return _BilinearFn.apply(a, b, self.eps)


class _SoftmaxFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.softmax(-1)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, R):
        x, y = ctx.saved_tensors
        return x * (R - y * R.sum(-1, keepdim=True))


class SoftmaxRule(nn.Module):
    def forward(self, x):
        return _SoftmaxFn.apply(x)


class _MeanFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        return x.mean(1)

    @staticmethod
    def backward(ctx, R):
        (x,) = ctx.saved_tensors
        return x * (R / stab(x.mean(1), ctx.eps) / x.shape[1])[:, None], None


class MeanRule(nn.Module):
    """The mean over tokens is a linear layer with weights 1/T: the ε-rule."""

    def __init__(self, eps):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return _MeanFn.apply(x, self.eps)


class _ConstAddFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, c):
        return x + c

    @staticmethod
    def backward(ctx, R):
        return R, None


class PosAddRule(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return _ConstAddFn.apply(x, self.inner.pos)


def with_rules(model, method, params):
    m = build_copy(model)
    eps = params.get("eps", 0.0)
    for name, mod in list(m.named_modules()):
        new = None
        if isinstance(mod, nn.Conv2d) and method == "lrp-composite":
            new = LinearRule(mod, "zb", low=params["low"], high=params["high"])
        elif isinstance(mod, (nn.Conv2d, nn.Linear)):
            new = LinearRule(mod, "epsilon", eps=eps)
        elif isinstance(mod, nn.LayerNorm):
            new = NormRule(mod, eps)
        elif isinstance(mod, MatMul):
            new = BilinearRule(eps)
        elif isinstance(mod, nn.Softmax):
            new = SoftmaxRule()
        elif isinstance(mod, Add):
            new = AddRule(eps)
        elif isinstance(mod, TokenMean):
            new = MeanRule(eps)
        elif isinstance(mod, PosAdd):
            new = PosAddRule(mod)
        elif isinstance(mod, (nn.GELU, Scale)):
            new = PassRule(mod)
        if new is not None:
            parent = m.get_submodule(name.rsplit(".", 1)[0]) if "." in name else m
            setattr(parent, name.rsplit(".", 1)[-1], new)
    return m


def build_copy(model):
    return copy.deepcopy(model).double().eval()


def reference(model, x32, method, classes, params, dtype=torch.float64):
    x = x32.to(dtype).clone().requires_grad_(True)
    if method in ("gradient", "input-x-gradient"):
        m = build_copy(model).to(dtype)
    elif method in ("grad-cam", "cam"):
        return cam_reference(build_copy(model).to(dtype), x, method, classes)
    else:
        m = with_rules(model, method, params).to(dtype)
    T = m(x)
    w = torch.zeros_like(T)
    w[torch.arange(len(classes)), torch.tensor(classes)] = 1
    (g,) = torch.autograd.grad(T, x, w * T if method.startswith("lrp-") else w)
    out = x * g if method == "input-x-gradient" else g
    return out.detach(), (w * T).sum(1).detach()


def cam_reference(m, x, method, classes):
    got = {}
    if method == "grad-cam" and m.cls_token is not None:
        # A class-token head: the tokens entering the last attention (later ones only reach the head via the class token).
        h = m.blocks[-1].norm1.register_forward_hook(lambda mod, a, o: got.__setitem__("A", o))
    else:
        h = m.norm.register_forward_hook(lambda mod, a, o: got.__setitem__("A", o))
    T = m(x)
    h.remove()
    A = got["A"]
    w = torch.zeros_like(T)
    w[torch.arange(len(classes)), torch.tensor(classes)] = 1
    extra = A.shape[1] - GRID * GRID
    grid = lambda t: t[:, extra:].reshape(t.shape[0], GRID, GRID, -1).permute(0, 3, 1, 2)  # noqa: E731
    if method == "grad-cam":
        (gA,) = torch.autograd.grad(T, A, w)
        cam = F.relu((grid(gA).mean((2, 3), keepdim=True) * grid(A)).sum(1, keepdim=True))
    else:
        wc = m.head.weight[torch.tensor(classes)]
        cam = (wc[:, :, None, None] * grid(A)).sum(1, keepdim=True)
    return F.interpolate(cam, size=INPUT[2:], mode="bilinear", align_corners=False).detach(), None


def export(model, x, path, dynamo, opset):
    import onnx
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {} if dynamo else {"do_constant_folding": True}
        torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["logits"], opset_version=opset,
                          dynamo=dynamo, **kw)
    m = onnx.load(path)
    if dynamo:  # one self-contained file, without the exporter's stack traces (they hold this machine's paths)
        for n in m.graph.node:
            keep = [e for e in n.metadata_props if "stack_trace" not in e.key]
            del n.metadata_props[:]
            n.metadata_props.extend(keep)
        onnx.save(m, path, save_as_external_data=False)
    for f in os.listdir(os.path.dirname(path)):
        if f.endswith(".data"):
            os.remove(os.path.join(os.path.dirname(path), f))
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return sorted({n.op_type for n in onnx.load(path).graph.node})


def ort_logits(path, x):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})[0]


CLS = [3, 1]
COMPOSITE = {"eps": 0.1, "alpha": 1, "beta": 0, "low": -2, "high": 2}
FULL = [("gradient", {}), ("input-x-gradient", {}), ("lrp-epsilon", {"eps": 1e-3}), ("lrp-epsilon", {"eps": 0.1}),
        ("lrp-composite", COMPOSITE), ("grad-cam", {})]
CONSERVE = [("gradient", {}), ("lrp-epsilon", {"eps": 1e-9}), ("lrp-epsilon", {"eps": 0.1}), ("cam", {}),
            ("grad-cam", {})]
DESCRIPTIONS = {
    "vit": "ViT: patch-embed Conv, class token, position embedding, 2 blocks (LayerNorm, 2-head softmax attention, "
           "residual, LayerNorm, Linear-GELU-Linear, residual), final LayerNorm, class token, Linear; dynamo, opset 18.",
    "vit-torchscript": "The vit model through the TorchScript exporter at opset 14 (written-out layer norms, Split).",
    "vit-conserve": "ViT without biases, with linear attention (no softmax) and a mean-pooled head: LRP-eps "
                    "with eps -> 0 conserves relevance; CAM on the token grid.",
}
FIXTURES = {
    # name: (seed, model options, dynamo exporter, opset, cases)
    "vit": (5, {}, True, 18, FULL),
    "vit-torchscript": (5, {}, False, 14, FULL),
    "vit-conserve": (6, {"bias": False, "softmax": False, "cls_token": False}, True, 18, CONSERVE),
}


def make(name):
    seed, opts, dynamo, opset, cases = FIXTURES[name]
    model = build(seed, **opts)
    x = torch.randn(*INPUT, generator=torch.Generator().manual_seed(seed + 100))
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "ref"))
    ops = export(model, x, os.path.join(d, "model.onnx"), dynamo, opset)
    with torch.no_grad():
        err = np.abs(ort_logits(os.path.join(d, "model.onnx"), x) - model(x).numpy()).max()
    assert err < 1e-4, f"exported logits differ by {err}"
    np.save(os.path.join(d, "input.npy"), x.numpy())
    records = []
    for method, params in cases:
        ref, tv = reference(model, x, method, CLS, params)
        ref32, _ = reference(model, x, method, CLS, params, torch.float32)
        f32 = float((ref32.double() - ref).norm() / ref.norm())
        tag = method + "".join(f"-{k}{v}" for k, v in params.items() if k == "eps")
        np.save(os.path.join(d, "ref", tag + ".npy"), ref.float().numpy())
        rec = {"method": method, "target": {"tensor": "logits", "class": CLS}, "params": params,
               "ref": f"ref/{tag}.npy", "shape": list(ref.shape), "f32_rel_err": float(f"{f32:.3g}")}
        if method.startswith("lrp-"):
            rec["relevance_sum"] = [float(f"{v:.9g}") for v in ref.flatten(1).sum(1)]
            rec["target_value"] = [float(f"{v:.9g}") for v in tv]
            if params.get("eps", 1) <= 1e-9 and not opts.get("softmax", True):
                rec["conserves"] = True
        records.append(rec)
        print(f"  {name}: {tag} f32 rel err {f32:.2e}")
    doc = {"model": "model.onnx", "input": "input.npy", "opset": opset, "input_shape": list(INPUT),
           "exporter": "dynamo" if dynamo else "torchscript", "ops": ops,
           "description": DESCRIPTIONS[name],
           "cases": records}
    with open(os.path.join(d, "cases.json"), "w") as f:
        f.write(json.dumps(doc, indent=1) + "\n")


def main():
    torch.set_num_threads(1)
    for name in (sys.argv[1:] or FIXTURES):
        make(name)


if __name__ == "__main__":
    main()
