#!/usr/bin/env python3
"""Build the rule fixtures in test/fixtures/<case>/ (tiny ONNX models + independent PyTorch references).

Usage (from the repository root):
    /opt/fv-py/bin/python tools/make_fixtures.py                 # (re)write all fixtures
    /opt/fv-py/bin/python tools/make_fixtures.py convnet blocks  # only some
    PY_WITH_ZENNIT tools/make_fixtures.py --zennit-check         # optional cross-check, writes nothing

Every reference is computed in PyTorch, float64, from the method definitions in tools/README.md (autograd with
per-layer custom backward functions); the exported ONNX graph is never executed for a reference. When
onnxruntime is importable it is used only to confirm that the recorded ONNX tensor names hold the tensors the
references were computed on (and that the exported logits match PyTorch).

Deterministic: fixed seeds, single-threaded; re-running gives identical files.
"""
import argparse
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
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "test", "fixtures")
sys.path.insert(0, HERE)

STAB = 1e-9  # the fixed stabiliser of z+, alpha-beta, zB, and of pools/Add/BN under z+/alpha-beta

# --------------------------------------------------------------------------------------------------------------
# building blocks of the fixture models
# --------------------------------------------------------------------------------------------------------------
EXPORTING = False  # LRN exports as the single ONNX LRN op through a symbolic; elsewhere it is plain autograd


class _LRNExport(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class LRN(nn.Module):
    """nn.LocalResponseNorm (odd size, so PyTorch's channel window equals ONNX LRN's)."""

    def __init__(self, size=3, alpha=1e-2, beta=0.75, k=1.0):
        super().__init__()
        assert size % 2 == 1
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        if EXPORTING:
            return _LRNExport.apply(x, self.size, self.alpha, self.beta, self.k)
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)


class Add(nn.Module):
    """Residual addition (a module so that LRP can give it its rule)."""

    def forward(self, a, b):
        return a + b


class GateMul(nn.Module):
    """x * gate, gate = Sigmoid/HardSigmoid output (squeeze-excitation)."""

    def forward(self, x, gate):
        return x * gate


def _init_bn(bn, g):
    c = bn.num_features
    with torch.no_grad():
        bn.weight.copy_(torch.rand(c, generator=g) + 0.5)
        bn.bias.copy_(torch.randn(c, generator=g) * 0.2)
        bn.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
        bn.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)


def _init_biases(model, g, scale=0.1):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
            with torch.no_grad():
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * scale)
        if isinstance(m, nn.BatchNorm2d):
            _init_bn(m, g)


class ConvNet(nn.Module):
    """a) Conv(b)-ReLU-MaxPool(3,2,1)-Conv s2-BN-ReLU-AvgPool2-Conv dil2-ReLU6-GAP-Flatten-Linear-ReLU-Dropout-Linear"""
    input_shape = (2, 3, 24, 24)
    first_layer = "conv1"
    fold = [("conv2", "bn2")]

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.AvgPool2d(2)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=2, dilation=2)
        self.relu3 = nn.ReLU6()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16, 32)
        self.relu4 = nn.ReLU()
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = self.gap(self.relu3(self.conv3(x)))
        return self.fc2(self.drop(self.relu4(self.fc1(self.flatten(x)))))

    def init(self, g):
        _init_biases(self, g)
        with torch.no_grad():
            self.conv1.bias.add_(0.3)  # keeps every post-ReLU max-pool window non-zero (no argmax ties)
            self.conv3.weight.mul_(40.0)  # drives part of the ReLU6 input above 6
            self.conv3.bias.add_(1.0)


class CamNet(nn.Module):
    """b) Conv-ReLU-Conv(s2)-ReLU-GAP-Flatten-Linear"""
    input_shape = (2, 3, 16, 16)
    first_layer = "conv1"
    fold = []

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 12, 3, stride=2, padding=1)
        self.relu2 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        return self.fc(self.flatten(self.gap(x)))

    def init(self, g):
        _init_biases(self, g)


class Blocks(nn.Module):
    """c) Pad, folded Conv-BN, LeakyReLU, MaxPool ceil_mode, residual block with PReLU, grouped conv + Hardswish,
    channel shuffle, Split, depthwise conv + SiLU + SE(Sigmoid), Concat, DenseNet-style Concat-BN-ReLU-Conv,
    LRN, slice, strided conv + SE(HardSigmoid), GAP-Flatten-Linear."""
    input_shape = (2, 3, 24, 24)
    first_layer = "stem_conv"
    fold = [("stem_conv", "stem_bn"), ("res_conv1", "res_bn1"), ("res_conv2", "res_bn2"), ("dw_conv", "dw_bn")]

    def __init__(self):
        super().__init__()
        self.stem_conv = nn.Conv2d(3, 16, 3)  # after F.pad(1,1,1,1)
        self.stem_bn = nn.BatchNorm2d(16)
        self.stem_act = nn.LeakyReLU(0.1)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)  # 24 -> 12
        self.res_conv1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.res_bn1 = nn.BatchNorm2d(16)
        self.res_act1 = nn.PReLU(16)
        self.res_conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.res_bn2 = nn.BatchNorm2d(16)
        self.res_add = Add()
        self.res_relu = nn.ReLU()
        self.g_conv = nn.Conv2d(16, 24, 3, padding=1, groups=4)
        self.g_act = nn.Hardswish()
        self.dw_conv = nn.Conv2d(12, 12, 3, padding=1, groups=12, bias=False)
        self.dw_bn = nn.BatchNorm2d(12)
        self.dw_act = nn.SiLU()
        self.se1_pool = nn.AdaptiveAvgPool2d(1)
        self.se1_fc1 = nn.Conv2d(12, 4, 1)
        self.se1_relu = nn.ReLU()
        self.se1_fc2 = nn.Conv2d(4, 12, 1)
        self.se1_gate = nn.Sigmoid()
        self.se1_mul = GateMul()
        self.dense_conv = nn.Conv2d(24, 8, 1)
        self.trans_bn = nn.BatchNorm2d(32)
        self.trans_relu = nn.ReLU()
        self.trans_conv = nn.Conv2d(32, 16, 1)
        self.lrn = LRN(3, 1e-2, 0.75, 1.0)
        self.s_conv = nn.Conv2d(16, 24, 3, stride=2, padding=1)  # 10 -> 5
        self.s_relu = nn.ReLU()
        self.se2_pool = nn.AdaptiveAvgPool2d(1)
        self.se2_fc1 = nn.Conv2d(24, 8, 1)
        self.se2_relu = nn.ReLU()
        self.se2_fc2 = nn.Conv2d(8, 24, 1)
        self.se2_gate = nn.Hardsigmoid()
        self.se2_mul = GateMul()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = F.pad(x, (1, 1, 1, 1))
        x = self.pool(self.stem_act(self.stem_bn(self.stem_conv(x))))
        y = self.res_act1(self.res_bn1(self.res_conv1(x)))
        y = self.res_bn2(self.res_conv2(y))
        x = self.res_relu(self.res_add(y, x))
        x = self.g_act(self.g_conv(x))  # (N,24,12,12)
        x = x.reshape(-1, 4, 6, 12, 12).transpose(1, 2).reshape(-1, 24, 12, 12)  # channel shuffle, 4 groups
        a, b = torch.split(x, [12, 12], dim=1)
        b = self.dw_act(self.dw_bn(self.dw_conv(b)))
        s = self.se1_gate(self.se1_fc2(self.se1_relu(self.se1_fc1(self.se1_pool(b)))))
        b = self.se1_mul(b, s)
        x = torch.cat([a, b], dim=1)
        x = torch.cat([x, self.dense_conv(x)], dim=1)  # (N,32,12,12)
        x = self.trans_conv(self.trans_relu(self.trans_bn(x)))
        x = self.lrn(x)
        x = x[:, :, 1:-1, 1:-1]  # (N,16,10,10)
        x = self.s_relu(self.s_conv(x))
        s = self.se2_gate(self.se2_fc2(self.se2_relu(self.se2_fc1(self.se2_pool(x)))))
        x = self.se2_mul(x, s)
        return self.fc(self.flatten(self.gap(x)))

    def init(self, g):
        _init_biases(self, g)
        with torch.no_grad():
            self.res_act1.weight.copy_(torch.rand(16, generator=g) * 0.3 + 0.05)
            self.se1_fc2.bias.add_(0.5)
            self.se2_fc2.bias.add_(1.0)


class NoBias(nn.Module):
    """d) Conv-ReLU-MaxPool-Conv-ReLU-Flatten-Linear-ReLU-Linear, no biases, no BN."""
    input_shape = (2, 3, 16, 16)
    first_layer = "conv1"
    fold = []

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 8, 3, padding=1, bias=False)
        self.relu2 = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(8 * 8 * 8, 16, bias=False)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(16, 5, bias=False)

    def forward(self, x):
        x = self.relu2(self.conv2(self.pool1(self.relu1(self.conv1(x)))))
        return self.fc2(self.relu3(self.fc1(self.flatten(x))))

    def init(self, g):
        pass


# --------------------------------------------------------------------------------------------------------------
# rules: custom backward functions (float64)
# --------------------------------------------------------------------------------------------------------------
def sgn(z):
    """sign with sign(0) = +1"""
    return torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))


def stab(z, eps):
    return z + eps * sgn(z)


def vjp(f, x, v):
    """(d f / d x)^T v for a linear f, i.e. W^T v."""
    with torch.enable_grad():
        xx = x.detach().requires_grad_(True)
        y = f(xx)
        (gx,) = torch.autograd.grad(y, xx, v)
    return gx


class LinearView:
    """A linear layer as f(x) = W x + b: fwd(x, part) evaluates W x (part 'all'), W+ x ('pos') or W- x ('neg')."""

    def __init__(self, m):
        self.m = m

    def fwd(self, x, part):
        m = self.m
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = {"all": m.weight, "pos": m.weight.clamp(min=0), "neg": m.weight.clamp(max=0)}[part]
            if isinstance(m, nn.Linear):
                return F.linear(x, w)
            return F.conv2d(x, w, None, m.stride, m.padding, m.dilation, m.groups)
        if isinstance(m, (nn.AvgPool2d, nn.AdaptiveAvgPool2d)):
            y = m(x)  # all weights positive
            return y * 0 if part == "neg" else y
        if isinstance(m, nn.BatchNorm2d):  # diagonal affine a*x + c
            a = (m.weight / torch.sqrt(m.running_var + m.eps)).view(1, -1, 1, 1)
            a = {"all": a, "pos": a.clamp(min=0), "neg": a.clamp(max=0)}[part]
            return x * a
        raise TypeError(type(m))

    def bias(self, part):
        m = self.m
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if m.bias is None:
                return None
            b = m.bias if isinstance(m, nn.Linear) else m.bias.view(1, -1, 1, 1)
        elif isinstance(m, nn.BatchNorm2d):
            a = m.weight / torch.sqrt(m.running_var + m.eps)
            b = (m.bias - m.running_mean * a).view(1, -1, 1, 1)
        else:
            return None
        return {"all": b, "pos": b.clamp(min=0), "neg": b.clamp(max=0)}[part]

    def z(self, x, part="all", bias=True):
        y = self.fwd(x, part)
        b = self.bias(part) if bias else None
        return y if b is None else y + b


def rule_epsilon(L, x, R, eps):
    s = R / stab(L.z(x), eps)
    return x * vjp(lambda t: L.fwd(t, "all"), x, s)


def rule_zplus(L, x, R):
    xp, xn = x.clamp(min=0), x.clamp(max=0)
    z = L.fwd(xp, "pos") + L.fwd(xn, "neg")
    s = R / stab(z, STAB)
    return xp * vjp(lambda t: L.fwd(t, "pos"), xp, s) + xn * vjp(lambda t: L.fwd(t, "neg"), xn, s)


def rule_alpha_beta(L, x, R, alpha, beta):
    xp, xn = x.clamp(min=0), x.clamp(max=0)
    bp, bn = L.bias("pos"), L.bias("neg")
    zp = L.fwd(xp, "pos") + L.fwd(xn, "neg") + (0 if bp is None else bp)
    zn = L.fwd(xn, "pos") + L.fwd(xp, "neg") + (0 if bn is None else bn)
    sp = R / stab(zp, STAB)
    sn = R / stab(zn, STAB)
    wp_t = lambda s: vjp(lambda t: L.fwd(t, "pos"), x, s)  # noqa: E731  W+^T s
    wn_t = lambda s: vjp(lambda t: L.fwd(t, "neg"), x, s)  # noqa: E731  W-^T s
    out = alpha * (xp * wp_t(sp) + xn * wn_t(sp))
    if beta != 0:
        out = out - beta * (xn * wp_t(sn) + xp * wn_t(sn))
    return out


def rule_zb(L, x, R, low, high):
    lo = torch.full_like(x, low)
    hi = torch.full_like(x, high)
    z = L.fwd(x, "all") - L.fwd(lo, "pos") - L.fwd(hi, "neg")
    s = R / stab(z, STAB)
    return (x * vjp(lambda t: L.fwd(t, "all"), x, s) - lo * vjp(lambda t: L.fwd(t, "pos"), lo, s)
            - hi * vjp(lambda t: L.fwd(t, "neg"), hi, s))


class _LinearRuleFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, wrapper):
        ctx.wrapper = wrapper
        ctx.save_for_backward(x)
        return wrapper.inner(x)

    @staticmethod
    def backward(ctx, R):
        (x,) = ctx.saved_tensors
        w = ctx.wrapper
        L = LinearView(w.inner)
        if w.rule == "epsilon":
            r = rule_epsilon(L, x, R, w.p["eps"])
        elif w.rule == "zplus":
            r = rule_zplus(L, x, R)
        elif w.rule == "alpha-beta":
            r = rule_alpha_beta(L, x, R, w.p["alpha"], w.p["beta"])
        elif w.rule == "zb":
            r = rule_zb(L, x, R, w.p["low"], w.p["high"])
        else:
            raise ValueError(w.rule)
        return r, None


class LinearRule(nn.Module):
    def __init__(self, inner, rule, **p):
        super().__init__()
        self.inner, self.rule, self.p = inner, rule, p

    def forward(self, x):
        return _LinearRuleFn.apply(x, self)


class _AddRuleFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, eps):
        ctx.save_for_backward(a, b)
        ctx.eps = eps
        return a + b

    @staticmethod
    def backward(ctx, R):
        a, b = ctx.saved_tensors
        s = R / stab(a + b, ctx.eps)
        return a * s, b * s, None


class AddRule(nn.Module):
    def __init__(self, eps):
        super().__init__()
        self.eps = eps

    def forward(self, a, b):
        return _AddRuleFn.apply(a, b, self.eps)


class _GateRuleFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, g):
        return x * g

    @staticmethod
    def backward(ctx, R):
        return R, torch.zeros_like(R)


class GateRule(nn.Module):
    """LRP through a gated product: all relevance to x, none to the gate."""

    def forward(self, x, g):
        return _GateRuleFn.apply(x, g.expand_as(x))


class _PassFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, inner):
        return inner(x)

    @staticmethod
    def backward(ctx, R):
        return R, None


class PassRule(nn.Module):
    """LRP through an element-wise activation / normalisation: relevance passes unchanged."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return _PassFn.apply(x, self.inner)


def local_derivative(m, x):
    """f'(x) of a ReLU-like activation as used by guided backprop."""
    if isinstance(m, nn.ReLU):
        return (x > 0).to(x.dtype)
    if isinstance(m, nn.ReLU6):
        return ((x > 0) & (x < 6)).to(x.dtype)
    if isinstance(m, nn.LeakyReLU):
        return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, m.negative_slope))
    if isinstance(m, nn.PReLU):
        slope = m.weight.view(1, -1, 1, 1) if m.weight.numel() > 1 else m.weight.view(1, 1, 1, 1)
        return torch.where(x > 0, torch.ones_like(x), slope.expand_as(x))
    raise TypeError(type(m))


class _ReluLikeFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, wrapper):
        ctx.wrapper = wrapper
        ctx.save_for_backward(x)
        return wrapper.inner(x)

    @staticmethod
    def backward(ctx, d):
        (x,) = ctx.saved_tensors
        w = ctx.wrapper
        dp = d.clamp(min=0)
        if w.mode == "deconvnet":
            return dp, None
        return dp * local_derivative(w.inner, x), None


class ReluLike(nn.Module):
    def __init__(self, inner, mode):
        super().__init__()
        self.inner, self.mode = inner, mode

    def forward(self, x):
        return _ReluLikeFn.apply(x, self)


RELU_LIKE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU)
PASS_LRP = RELU_LIKE + (nn.Sigmoid, nn.Hardsigmoid, nn.Hardswish, nn.SiLU, LRN, nn.Dropout, nn.Identity)


def _set_module(model, name, new):
    parent = model
    parts = name.split(".")
    for p in parts[:-1]:
        parent = getattr(parent, p)
    setattr(parent, parts[-1], new)


def fold_bn(model, pairs):
    """Fold BatchNorm into the preceding conv (float64): W' = W*g/sqrt(v+e), b' = (b-mu)*g/sqrt(v+e)+beta."""
    for cname, bname in pairs:
        conv, bn = model.get_submodule(cname), model.get_submodule(bname)
        a = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                        conv.dilation, conv.groups, bias=True).to(conv.weight.dtype)
        with torch.no_grad():
            new.weight.copy_(conv.weight * a.view(-1, 1, 1, 1))
            b = conv.bias if conv.bias is not None else torch.zeros_like(a)
            new.bias.copy_((b - bn.running_mean) * a + bn.bias)
        _set_module(model, cname, new)
        _set_module(model, bname, nn.Identity())
    return model


def prepare(model, method, params, dtype):
    """A copy of `model` in `dtype` whose backward implements `method`."""
    m = copy.deepcopy(model).to(dtype).eval()
    if method in ("gradient", "input-x-gradient", "cam", "grad-cam"):
        return m
    if method in ("deconvnet", "guided-backprop"):
        mode = "deconvnet" if method == "deconvnet" else "guided"
        for name, mod in list(m.named_modules()):
            if isinstance(mod, RELU_LIKE):
                _set_module(m, name, ReluLike(mod, mode))
        return m
    if not method.startswith("lrp-"):
        raise ValueError(method)
    fold_bn(m, model.fold)
    eps = params.get("eps", 0.0)
    for name, mod in list(m.named_modules()):
        if name == "":
            continue
        first = name == model.first_layer
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            if method == "lrp-epsilon":
                new = LinearRule(mod, "epsilon", eps=eps)
            elif method == "lrp-zplus":
                new = LinearRule(mod, "zplus")
            elif method == "lrp-alpha-beta":
                new = LinearRule(mod, "alpha-beta", alpha=params["alpha"], beta=params["beta"])
            elif method == "lrp-composite":
                if first:
                    new = LinearRule(mod, "zb", low=params["low"], high=params["high"])
                elif isinstance(mod, nn.Conv2d):
                    new = LinearRule(mod, "alpha-beta", alpha=params.get("alpha", 1), beta=params.get("beta", 0))
                else:
                    new = LinearRule(mod, "epsilon", eps=eps)
            else:
                raise ValueError(method)
            _set_module(m, name, new)
        elif isinstance(mod, (nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.BatchNorm2d)):
            pe = STAB if method in ("lrp-zplus", "lrp-alpha-beta") else eps
            _set_module(m, name, LinearRule(mod, "epsilon", eps=pe))
        elif isinstance(mod, Add):
            _set_module(m, name, AddRule(STAB if method in ("lrp-zplus", "lrp-alpha-beta") else eps))
        elif isinstance(mod, GateMul):
            _set_module(m, name, GateRule())
        elif isinstance(mod, PASS_LRP):
            _set_module(m, name, PassRule(mod))
    return m


# --------------------------------------------------------------------------------------------------------------
# targets and methods
# --------------------------------------------------------------------------------------------------------------
def run_capture(model, x, names):
    """Forward pass returning {module name or 'logits' or 'in:<name>': tensor}."""
    got = {}
    hooks = []
    for n in names:
        if n == "logits":
            continue
        if n.startswith("in:"):
            mod = model.get_submodule(n[3:])
            hooks.append(mod.register_forward_pre_hook(lambda m, a, n=n: got.__setitem__(n, a[0])))
        else:
            mod = model.get_submodule(n)
            hooks.append(mod.register_forward_hook(lambda m, a, o, n=n: got.__setitem__(n, o)))
    got["logits"] = model(x)
    for h in hooks:
        h.remove()
    return got


def weighting(target, T):
    """The target weighting g (same shape as T) of a target spec (module-level: 'module' key)."""
    if "class" in target:
        w = torch.zeros_like(T)
        for i, k in enumerate(target["class"]):
            w[i, k] = 1
        return w
    if "channel" in target:
        w = torch.zeros_like(T)
        w[:, target["channel"]] = 1
        return w
    return torch.from_numpy(target["weights_array"]).to(T.dtype)


def upsample(m, size):
    return F.interpolate(m, size=size, mode="bilinear", align_corners=False)


def compute(model, x32, method, target, params, dtype=torch.float64):
    """Reference for one case. target: {'module': name|'logits', 'class'|'channel'|'weights_array': ...};
    params may hold 'layer_module' (grad-cam)."""
    x = x32.to(dtype).clone().requires_grad_(True)
    tkey = target["module"]
    H, W = x.shape[2:]
    if method == "cam":
        m = prepare(model, "cam", params, dtype)
        got = run_capture(m, x, ["in:" + model.cam_gap])
        A = got["in:" + model.cam_gap]
        fcw = m.get_submodule(model.cam_fc).weight
        w = fcw[torch.tensor(target["class"])]  # (N,K)
        cam = (w[:, :, None, None] * A).sum(1, keepdim=True)
        return upsample(cam, (H, W)).detach()
    if method in ("grad-cam", "guided-grad-cam"):
        m = prepare(model, "grad-cam", params, dtype)
        lay = params["layer_module"]
        got = run_capture(m, x, [lay, tkey])
        A, T = got[lay], got[tkey]
        (gA,) = torch.autograd.grad(T, A, weighting(target, T))
        alpha = gA.mean(dim=(2, 3), keepdim=True)
        cam = upsample(F.relu((alpha * A).sum(1, keepdim=True)), (H, W)).detach()
        if method == "grad-cam":
            return cam
        gb = compute(model, x32, "guided-backprop", target, {}, dtype)
        return gb * cam
    m = prepare(model, method, params, dtype)
    got = run_capture(m, x, [tkey])
    T = got[tkey]
    w = weighting(target, T)
    seed = w * T if method.startswith("lrp-") else w
    (g,) = torch.autograd.grad(T, x, seed)
    if method == "input-x-gradient":
        g = x * g
    return g.detach()


def target_value(model, x32, target):
    """S per batch item (float64)."""
    m = prepare(model, "gradient", {}, torch.float64)
    with torch.no_grad():
        T = run_capture(m, x32.double(), [target["module"]])[target["module"]]
    return (weighting(target, T) * T).flatten(1).sum(1)


# --------------------------------------------------------------------------------------------------------------
# export and ONNX tensor names
# --------------------------------------------------------------------------------------------------------------
def export(model, x, path, opset, keep_bn, dynamic_batch):
    global EXPORTING
    import onnx
    from onnx_fold import fold_constant_subgraphs

    EXPORTING = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, x, path, input_names=["input"], output_names=["logits"], opset_version=opset,
                do_constant_folding=True, dynamo=False,
                training=torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL,
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None)
    finally:
        EXPORTING = False
    m = onnx.load(path)
    fold_constant_subgraphs(m)
    m = onnx.shape_inference.infer_shapes(m)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    return m


def onnx_name(m, module):
    """The ONNX tensor that is the output of PyTorch module `module` (last node of its scope)."""
    if module == "logits":
        return "logits"
    prefix = "/" + module.replace(".", "/") + "/"
    nodes = [n for n in m.graph.node if n.name.startswith(prefix)]
    if not nodes:
        raise KeyError(f"no ONNX node for module {module}")
    return nodes[-1].output[0]


def ort_check(path, x, expected):
    """Confirm (onnxruntime, if installed) that named ONNX tensors equal the PyTorch tensors."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("  (onnxruntime not installed: tensor names not verified)")
        return
    import onnx

    m = onnx.load(path)
    have = {o.name for o in m.graph.output}
    for name in expected:
        if name not in have:
            m.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    outs = sess.run(list(expected), {"input": x.numpy()})
    for (name, ref), got in zip(expected.items(), outs):
        ref = ref.detach().double().numpy()
        err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)
        assert got.shape == ref.shape and err < 1e-5, (name, got.shape, ref.shape, err)
    print(f"  onnxruntime confirms {len(expected)} tensor names/values")


# --------------------------------------------------------------------------------------------------------------
# fixture specifications
# --------------------------------------------------------------------------------------------------------------
def C(method, target, params=None, **extra):
    return dict(method=method, target=target, params=params or {}, **extra)


CLS = {"module": "logits", "class": [3, 1]}


def spec_convnet():
    T = {"module": "relu2", "channel": 5}
    U = {"module": "relu1", "weights": "target_w_relu1.npy"}  # one unit (single position, channel 2)
    Wl = {"module": "logits", "weights": "target_w_logits.npy"}
    comp = {"eps": 0.25, "alpha": 1, "beta": 0, "low": -2, "high": 2}
    return [
        C("gradient", CLS), C("input-x-gradient", CLS), C("deconvnet", CLS), C("guided-backprop", CLS),
        C("lrp-epsilon", CLS, {"eps": 1e-6}), C("lrp-epsilon", CLS, {"eps": 0.25}),
        C("lrp-alpha-beta", CLS, {"alpha": 1, "beta": 0}), C("lrp-alpha-beta", CLS, {"alpha": 2, "beta": 1}),
        C("lrp-composite", CLS, comp),
        C("lrp-composite", CLS, {"eps": 0.1, "alpha": 2, "beta": 1, "low": -3, "high": 3}),
        C("grad-cam", CLS, {"layer": "relu3"}), C("grad-cam", CLS, {"layer": "relu2"}),
        C("guided-grad-cam", CLS, {"layer": "relu3"}),
        C("gradient", T), C("guided-backprop", T), C("deconvnet", T), C("gradient", U), C("guided-backprop", U),
        C("lrp-epsilon", T, {"eps": 0.25}), C("gradient", Wl), C("lrp-epsilon", Wl, {"eps": 0.25}),
    ]


def spec_camnet():
    return [
        C("cam", CLS), C("grad-cam", CLS, {"layer": "relu2"}), C("grad-cam", CLS, {"layer": "relu1"}),
        C("guided-grad-cam", CLS, {"layer": "relu2"}), C("gradient", CLS), C("guided-backprop", CLS),
        C("lrp-epsilon", CLS, {"eps": 1e-6}), C("lrp-epsilon", CLS, {"eps": 0.25}),
        C("lrp-composite", CLS, {"eps": 0.25, "alpha": 1, "beta": 0, "low": -2, "high": 2}),
    ]


def spec_blocks():
    T = {"module": "trans_relu", "channel": 7}
    return [
        C("gradient", CLS), C("input-x-gradient", CLS), C("deconvnet", CLS), C("guided-backprop", CLS),
        C("lrp-epsilon", CLS, {"eps": 1e-6}), C("lrp-epsilon", CLS, {"eps": 0.1}),
        C("gradient", T), C("guided-backprop", T), C("lrp-epsilon", T, {"eps": 0.1}),
    ]


def spec_nobias():
    return [
        C("gradient", CLS), C("input-x-gradient", CLS),
        C("lrp-epsilon", CLS, {"eps": 1e-9}, conserves=True),
        C("lrp-epsilon", CLS, {"eps": 0.25}),
        C("lrp-alpha-beta", CLS, {"alpha": 1, "beta": 0}), C("lrp-alpha-beta", CLS, {"alpha": 2, "beta": 1}),
    ]


def spec_opset17():
    return [C("gradient", CLS), C("guided-backprop", CLS), C("lrp-epsilon", CLS, {"eps": 1e-6}),
            C("lrp-epsilon", CLS, {"eps": 0.25})]


FIXTURES = {
    # name: (model class, seed, opset, keep BN nodes in the ONNX graph, dynamic batch, spec, extra tensors)
    "convnet": (ConvNet, 1, 13, False, True, spec_convnet, ["relu1", "pool1", "relu2", "pool2", "relu3", "gap",
                                                             "relu4"]),
    "camnet": (CamNet, 2, 13, False, False, spec_camnet, ["relu1", "relu2", "gap"]),
    "blocks": (Blocks, 3, 13, True, False, spec_blocks, ["stem_act", "pool", "res_relu", "g_act", "se1_mul",
                                                          "trans_relu", "lrn", "s_relu", "se2_mul", "gap"]),
    "nobias": (NoBias, 4, 13, False, False, spec_nobias, ["relu1", "pool1", "relu2", "relu3"]),
    "opset17": (ConvNet, 1, 17, True, True, spec_opset17, ["relu1", "relu2", "relu3"]),
}
CamNet.cam_gap, CamNet.cam_fc = "gap", "fc"


def build(cls, seed):
    torch.manual_seed(seed)
    model = cls()
    g = torch.Generator().manual_seed(seed + 1000)
    model.init(g)
    model.eval()
    x = torch.randn(cls.input_shape, generator=g).float()
    return model, x


def case_filename(c):
    p = c["params"]
    tag = c["method"]
    if "eps" in p and c["method"] == "lrp-epsilon":
        tag += f"-eps{p['eps']:g}"
    if c["method"] in ("lrp-alpha-beta", "lrp-composite"):
        tag += f"-a{p['alpha']:g}b{p['beta']:g}"
    if "layer" in p:
        tag += "-" + p["layer"]
    t = c["target"]
    if t["module"] != "logits" or "weights" in t:
        tag += "-" + t["module"] + ("-ch%d" % t["channel"] if "channel" in t else "-w")
    return "ref/" + tag + ".npy"


def sanity(name, model, x, strict_pool):
    """Checks that keep the fixtures meaningful: no max-pool argmax ties, ReLU6 saturates, ReLUs mixed."""
    m = prepare(model, "gradient", {}, torch.float64)
    mods = dict(m.named_modules())
    names = [n for n, mod in mods.items() if isinstance(mod, (nn.MaxPool2d, nn.ReLU6, nn.ReLU))]
    got = run_capture(m, x.double(), names + ["in:" + n for n in names])
    for n in names:
        mod, xin, out = mods[n], got["in:" + n], got[n]
        if isinstance(mod, nn.MaxPool2d):
            # a window can only tie when its max is an exact repeat; after ReLU that means max == 0
            if strict_pool:  # deconvnet ignores the ReLU mask, so a tie-broken argmax would show
                assert (out != 0).all(), f"{name}.{n}: max-pool window of zeros (argmax tie)"
            elif not (out != 0).all():
                print(f"  note: {n}: {(out == 0).sum().item()} all-zero max-pool windows (harmless: no deconvnet case)")
        elif isinstance(mod, nn.ReLU6):
            hi, lo = (xin > 6).double().mean().item(), (xin < 0).double().mean().item()
            assert 0.02 < hi < 0.5 and lo > 0.05, (name, n, hi, lo)
        else:
            pos = (xin > 0).double().mean().item()
            if not 0.05 < pos < 0.95:
                print(f"  note: {n}: {pos:.0%} of ReLU inputs positive")


TENSORS_SEEN = {}  # module name -> ONNX tensor name of the fixture being built


def make_fixture(name):
    cls, seed, opset, keep_bn, dyn, spec, extra = FIXTURES[name]
    model, x = build(cls, seed)
    sanity(name, model, x, any(c["method"] in ("deconvnet",) for c in spec()))
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "ref"))
    onnx_model = export(model, x, os.path.join(d, "model.onnx"), opset, keep_bn, dyn)
    np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))

    cases = spec()
    modules = sorted({c["target"]["module"] for c in cases} | {c["params"]["layer"] for c in cases
                                                                if "layer" in c["params"]} | set(extra))
    tensors = {mod: onnx_name(onnx_model, mod) for mod in modules}
    TENSORS_SEEN.clear()
    TENSORS_SEEN.update(tensors)
    with torch.no_grad():
        got = run_capture(model, x, [k for k in tensors if k != "logits"])
    ort_check(os.path.join(d, "model.onnx"), x, {tensors[k]: got[k] for k in tensors})

    g = torch.Generator().manual_seed(seed + 2000)
    weight_files = {}
    records = []
    for c in cases:
        t = dict(c["target"])
        if "weights" in t and t["weights"] in weight_files:  # one file, one weighting, shared by its cases
            t["weights_array"] = weight_files[t["weights"]]
        elif "weights" in t:
            shape = got[t["module"]].shape
            if t["module"] == "logits":
                w = torch.randn(shape, generator=g)
            else:  # a single unit: channel 2 at one position, per batch item
                w = torch.zeros(shape)
                w[:, 2, shape[2] // 2, shape[3] // 3] = 1
            t["weights_array"] = w.numpy().astype(np.float32)
            np.save(os.path.join(d, t["weights"]), t["weights_array"])
            weight_files[t["weights"]] = t["weights_array"]
        params = dict(c["params"])
        if "layer" in params:
            params["layer_module"] = params["layer"]
        ref = compute(model, x, c["method"], t, params, torch.float64)
        ref32 = compute(model, x, c["method"], t, params, torch.float32).double()
        f32err = ((ref32 - ref).abs().max() / ref.abs().max().clamp(min=1e-30)).item()
        fn = case_filename(c)
        np.save(os.path.join(d, fn), ref.numpy().astype(np.float32))
        jt = {"tensor": tensors[t["module"]]}
        for k in ("class", "channel", "weights"):
            if k in t:
                jt[k] = t[k]
        jp = {k: v for k, v in c["params"].items()}
        if "layer" in jp:
            jp["layer"] = tensors[jp["layer"]]
        rec = {"method": c["method"], "target": jt, "params": jp, "ref": fn, "shape": list(ref.shape),
               "f32_rel_err": float(f"{f32err:.3g}")}
        if c.get("conserves"):
            rec["conserves"] = True
        if c["method"].startswith("lrp-"):
            S = target_value(model, x, t)
            rec["relevance_sum"] = [float(f"{v:.9g}") for v in ref.flatten(1).sum(1).tolist()]
            rec["target_value"] = [float(f"{v:.9g}") for v in S.tolist()]
        records.append(rec)
        print(f"  {fn:55s} f32/f64 rel diff {f32err:.1e}")

    self_checks(name, model, x, records, d)
    doc = {"model": "model.onnx", "input": "input.npy", "opset": opset, "input_shape": list(x.shape),
           "description": cls.__doc__.strip(), "bn_nodes_in_onnx": keep_bn,
           "tensors": {k: v for k, v in tensors.items()}, "cases": records}
    with open(os.path.join(d, "cases.json"), "w") as f:
        f.write(dump_json(doc))
    size = os.path.getsize(os.path.join(d, "model.onnx"))
    assert size < 200_000, size
    print(f"  model.onnx {size} bytes, ops: {sorted({n.op_type for n in onnx_model.graph.node})}")


def dump_json(doc):
    """JSON with one line per case / tensor entry (readable diffs)."""
    lines = ["{"]
    items = list(doc.items())
    for i, (k, v) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f"  {json.dumps(k)}: [")
            lines += [f"    {json.dumps(e)}" + ("," if j < len(v) - 1 else "") for j, e in enumerate(v)]
            lines.append("  ]" + end)
        elif isinstance(v, dict):
            lines.append(f"  {json.dumps(k)}: {{")
            sub = list(v.items())
            lines += [f"    {json.dumps(a)}: {json.dumps(b)}" + ("," if j < len(sub) - 1 else "")
                      for j, (a, b) in enumerate(sub)]
            lines.append("  }" + end)
        else:
            lines.append(f"  {json.dumps(k)}: {json.dumps(v)}{end}")
    lines.append("}")
    out = "\n".join(lines) + "\n"
    assert json.loads(out) == json.loads(json.dumps(doc))
    return out


def self_checks(name, model, x, records, d):
    load = lambda r: np.load(os.path.join(d, r["ref"])).astype(np.float64)  # noqa: E731
    by = {}
    for r in records:
        by.setdefault((r["method"], json.dumps(r["params"], sort_keys=True), r["target"]["tensor"],
                       "w" if "weights" in r["target"] else ""), r)
    if name == "nobias":
        lrp = next(r for r in records if r.get("conserves"))
        rs, tv = np.array(lrp["relevance_sum"]), np.array(lrp["target_value"])
        assert np.all(np.abs(rs - tv) <= 1e-3 * np.abs(tv)), (rs, tv)
        ixg = next(r for r in records if r["method"] == "input-x-gradient")
        a, b = load(lrp), load(ixg)
        assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max(), np.abs(a - b).max()
        # alpha=1, beta=0 without biases is z+; on a ReLU net after the first layer inputs are >= 0
        print("  self-checks: conservation and LRP-eps(1e-9) == input x gradient passed")
    # every gradient reference against a float64 central difference along a random direction, using the
    # target weighting as saved on disk (catches a reference computed with other weights than the file's)
    m64 = prepare(model, "gradient", {}, torch.float64)
    gen = torch.Generator().manual_seed(7)
    for r in records:
        if r["method"] != "gradient":
            continue
        t = r["target"]
        mod = {v: k for k, v in TENSORS_SEEN.items()}[t["tensor"]]
        tgt = {"module": mod}
        if "class" in t:
            tgt["class"] = t["class"]
        elif "channel" in t:
            tgt["channel"] = t["channel"]
        else:
            tgt["weights_array"] = np.load(os.path.join(d, t["weights"]))
        v = torch.randn(x.shape, generator=gen, dtype=torch.float64)
        h = 1e-6

        def S(xx):
            with torch.no_grad():
                T = run_capture(m64, xx, [mod])[mod]
            return (weighting(tgt, T) * T).flatten(1).sum(1)
        fd = (S(x.double() + h * v) - S(x.double() - h * v)) / (2 * h)
        an = (torch.from_numpy(load(r)) * v).flatten(1).sum(1)
        assert torch.allclose(fd, an, rtol=1e-4, atol=1e-6 * an.abs().max().item()), (r["ref"], fd, an)
    print("  self-checks: gradient references match central differences")
    for r in records:
        if r["method"] == "guided-grad-cam":
            gb = next(q for q in records if q["method"] == "guided-backprop" and q["target"] == r["target"])
            gc = next(q for q in records if q["method"] == "grad-cam" and q["params"] == r["params"])
            assert np.allclose(load(r), load(gb) * load(gc), rtol=1e-5, atol=1e-7 * np.abs(load(r)).max())


# --------------------------------------------------------------------------------------------------------------
# optional cross-check with zennit (not a dependency of the fixtures)
# --------------------------------------------------------------------------------------------------------------
def zennit_check():
    from zennit.composites import LayerMapComposite, SpecialFirstLayerMapComposite
    from zennit.rules import Epsilon, AlphaBeta, ZBox, Pass, Norm  # noqa: F401
    from zennit.attribution import Gradient
    from zennit.core import Stabilizer

    ok = True
    for name in ("nobias", "convnet", "camnet"):
        cls, seed = FIXTURES[name][0], FIXTURES[name][1]
        model, x = build(cls, seed)
        target = dict(CLS)
        m0 = fold_bn(copy.deepcopy(model).double().eval(), model.fold)
        acts = (nn.ReLU, nn.ReLU6, nn.Dropout)
        pools = (nn.AvgPool2d, nn.AdaptiveAvgPool2d)
        tests = []
        for eps in (1e-9, 0.25):
            lm = [(acts, Pass()), ((nn.Conv2d, nn.Linear), Epsilon(epsilon=eps)), (pools, Epsilon(epsilon=eps))]
            tests.append(("lrp-epsilon", {"eps": eps}, LayerMapComposite(layer_map=lm)))
        for a, b in ((1, 0), (2, 1)):
            lm = [(acts, Pass()), ((nn.Conv2d, nn.Linear), AlphaBeta(alpha=a, beta=b, stabilizer=STAB)),
                  (pools, Epsilon(epsilon=STAB))]
            tests.append(("lrp-alpha-beta", {"alpha": a, "beta": b}, LayerMapComposite(layer_map=lm)))
        p = {"eps": 0.25, "alpha": 1, "beta": 0, "low": -2, "high": 2}
        lm = [(acts, Pass()), (nn.Conv2d, AlphaBeta(alpha=1, beta=0, stabilizer=STAB)),
              (nn.Linear, Epsilon(epsilon=0.25)), (pools, Epsilon(epsilon=0.25))]
        tests.append(("lrp-composite", p, SpecialFirstLayerMapComposite(
            layer_map=lm, first_map=[(nn.Conv2d, ZBox(low=-2.0, high=2.0, stabilizer=STAB))])))
        for method, params, comp in tests:
            mine = compute(model, x, method, target, params).numpy()
            xx = x.double().clone().requires_grad_(True)
            w = torch.zeros(x.shape[0], m0(xx).shape[1], dtype=torch.float64)
            for i, k in enumerate(target["class"]):
                w[i, k] = 1
            with Gradient(model=copy.deepcopy(m0), composite=comp) as attributor:
                out, rel = attributor(xx, lambda o: w * o)
            rel = rel.detach().numpy()
            err = np.abs(rel - mine).max() / np.abs(mine).max()
            good = err < 1e-6
            ok &= good
            print(f"zennit vs mine {name:8s} {method:15s} {params}: rel err {err:.2e} {'OK' if good else 'DIFF'}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"fixtures to build (default all: {', '.join(FIXTURES)})")
    ap.add_argument("--zennit-check", action="store_true", help="compare LRP references with zennit; write nothing")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if args.zennit_check:
        return 0 if zennit_check() else 1
    for name in args.names or FIXTURES:
        print(name)
        make_fixture(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
