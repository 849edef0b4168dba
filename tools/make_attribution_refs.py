#!/usr/bin/env python3
"""SmoothGrad, Grad-CAM++, Score-CAM and RISE references (test/fixtures/attribution/), float64 PyTorch.

A small seeded CNN (Conv-ReLU-MaxPool-Conv-ReLU-Conv-ReLU-GAP-Linear, with biases) is exported to ONNX (TorchScript
exporter, opset 17). The CAM layer is '/4/Relu_output_0' (8 channels, 8×8), followed by a convolution so its
gradient varies over space. Two seeded items, classes [2, 4]. Written:
- smoothgrad: for a fixed noise tensor noise.npy [items, samples, 3, 16, 16] (float32), the mean, mean of squares
  and variance of the gradient maps of x + noise (a plain PyTorch loop), and the mean of guided-backprop maps.
- grad-cam-plus-plus: α = g² / (2g² + (Σ_ij A)·g³ + 1e-6), 0 where g = 0, w = Σ α·ReLU(g), ReLU(Σ w A) upsampled
  (bilinear, align_corners=False); the weights are checked here against pytorch-grad-cam's GradCAMPlusPlus.
- score-cam: each channel upsampled (align_corners=True), min-max normalised, times the input; softmax
  probability of the class; weights softmax over channels; ReLU(Σ w A) upsampled (align_corners=False); the
  weights are checked here against pytorch-grad-cam's ScoreCAM with ClassifierOutputSoftmaxTarget.
- rise: the masks rebuilt from the documented generator (src/engine/attribution/rise-masks.ts: mulberry32 as
  src/engine/reconstruct/rng.ts, half-pixel bilinear upsampling, shifted crop), scores = softmax probability,
  saliency Σ score·M / (N·p); the first two masks are saved for a direct check of the generator.

Usage (from the repository root, in the torch venv with grad-cam: ~/.cache/featurevis/venvs/torch):
    python tools/make_attribution_refs.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(11)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(6, 8, 3, padding=1), torch.nn.ReLU(),
    torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    torch.nn.Linear(8, 5),
).eval()
LAYER, LAYER_INDEX = '/4/Relu_output_0', 4
TARGETS = [2, 4]
SAMPLES = 6
H = W = 16
x = torch.randn(2, 3, H, W)
out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'attribution')
os.makedirs(out, exist_ok=True)
torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), input_names=['x'], output_names=['logits'], opset_version=17, dynamo=False,
                  dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}})
np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))
noise = (0.3 * torch.randn(2, SAMPLES, 3, H, W)).float()
np.save(os.path.join(out, 'noise.npy'), noise.numpy())

net64 = net.double()
x64 = x.double()
refs = {'targets': TARGETS, 'layer': LAYER, 'samples': SAMPLES}


class Guided(torch.autograd.Function):
    """ReLU whose backward passes only positive signal where the input was positive (guided backpropagation)."""
    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return v.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        return g.clamp(min=0) * (v > 0).to(g.dtype)


def forward(v, guided=False):
    for m in net64:
        v = Guided.apply(v) if guided and isinstance(m, torch.nn.ReLU) else m(v)
    return v


def input_map(v, cls, guided):
    v = v.clone().requires_grad_(True)
    forward(v, guided)[0, cls].backward()
    return v.grad[0].numpy()


# SmoothGrad: a plain loop over items and samples.
for of, guided in [('gradient', False), ('guided-backprop', True)]:
    maps = np.stack([np.stack([input_map(x64[n:n + 1] + noise[n, s].double(), TARGETS[n], guided) for s in range(SAMPLES)]) for n in range(2)])
    refs[f'smoothgrad/{of}/mean'] = maps.mean(1).ravel().tolist()
    if of == 'gradient':
        refs['smoothgrad/gradient/square'] = (maps ** 2).mean(1).ravel().tolist()
        refs['smoothgrad/gradient/vargrad'] = maps.var(1).ravel().tolist()


def layer_and_grad(n):
    acts = {}

    def keep(_m, _i, o):
        o.retain_grad()
        acts['A'] = o
    hook = net64[LAYER_INDEX].register_forward_hook(keep)
    net64(x64[n:n + 1])[0, TARGETS[n]].backward()
    hook.remove()
    return acts['A'].detach(), acts['A'].grad.detach()


def upsample(cam, align):
    return F.interpolate(cam[None, None], size=(H, W), mode='bilinear', align_corners=align)[0, 0]


from pytorch_grad_cam import GradCAMPlusPlus, ScoreCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

gcpp, scam = [], []
for n in range(2):
    A, g = layer_and_grad(n)
    alpha = g ** 2 / (2 * g ** 2 + A.sum(dim=(2, 3), keepdim=True) * g ** 3 + 1e-6)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    w = (alpha * g.clamp(min=0)).sum(dim=(2, 3))[0]
    lib = GradCAMPlusPlus(model=net64, target_layers=[net64[LAYER_INDEX]]).get_cam_weights(None, None, None, A.numpy(), g.numpy())[0]
    assert np.allclose(w.numpy(), lib, rtol=1e-10, atol=1e-14), (w, lib)
    gcpp.append(upsample(torch.relu((w[:, None, None] * A[0]).sum(0)), False).numpy())

    up = F.interpolate(A, size=(H, W), mode='bilinear', align_corners=True)[0]
    lo, hi = up.amin(dim=(1, 2), keepdim=True), up.amax(dim=(1, 2), keepdim=True)
    masks = (up - lo) / (hi - lo + 1e-8)
    with torch.no_grad():
        scores = torch.softmax(net64(x64[n:n + 1] * masks[:, None]), dim=1)[:, TARGETS[n]]
    ws = torch.softmax(scores, dim=0)
    lib = ScoreCAM(model=net64, target_layers=[net64[LAYER_INDEX]]).get_cam_weights(
        x64[n:n + 1], None, [ClassifierOutputSoftmaxTarget(TARGETS[n])], A.numpy(), None)[0]
    assert np.allclose(ws.numpy(), lib, rtol=1e-5, atol=1e-7), (ws, lib)  # the library keeps its scores in float32
    scam.append(upsample(torch.relu((ws[:, None, None] * A[0]).sum(0)), False).numpy())
refs['grad-cam-plus-plus'] = np.stack(gcpp).ravel().tolist()
refs['score-cam'] = np.stack(scam).ravel().tolist()


class Mulberry32:
    """src/engine/reconstruct/rng.ts in unsigned 32-bit arithmetic."""
    def __init__(self, seed):
        self.s = (int(seed) & 0xffffffff) ^ 0x9e3779b9

    def next(self):
        M = 0xffffffff
        self.s = (self.s + 0x6d2b79f5) & M
        t = self.s
        t = ((t ^ (t >> 15)) * (t | 1)) & M
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M)) & M
        return ((t ^ (t >> 14)) & M) / 4294967296

    def int(self, lo, hi):
        return lo + math.floor(self.next() * (hi - lo + 1))


def rise_masks(count, s, p, seed):
    rng = Mulberry32(seed)
    ch, cw = math.ceil(H / s), math.ceil(W / s)
    masks = []
    for _ in range(count):
        grid = torch.tensor([[1.0 if rng.next() < p else 0.0 for _ in range(s)] for _ in range(s)], dtype=torch.float64)
        dy, dx = rng.int(0, ch - 1), rng.int(0, cw - 1)
        up = F.interpolate(grid[None, None], size=((s + 1) * ch, (s + 1) * cw), mode='bilinear', align_corners=False)[0, 0]
        masks.append(up[dy:dy + H, dx:dx + W])
    return torch.stack(masks)


RISE = {'masks': 300, 'cells': 5, 'p': 0.4, 'seed': 3}
M = rise_masks(RISE['masks'], RISE['cells'], RISE['p'], RISE['seed'])
sal = []
with torch.no_grad():
    for n in range(2):
        scores = torch.softmax(net64(x64[n:n + 1] * M[:, None]), dim=1)[:, TARGETS[n]]
        sal.append(((scores[:, None, None] * M).sum(0) / (RISE['masks'] * RISE['p'])).numpy())
refs['rise'] = {'params': RISE, 'saliency': np.stack(sal).ravel().tolist(), 'first_masks': M[:2].numpy().ravel().tolist()}

with open(os.path.join(out, 'refs.json'), 'w') as f:
    json.dump(refs, f)
print(f'wrote {out}: ' + ', '.join(k for k in refs if k not in ('targets', 'layer', 'samples')))
