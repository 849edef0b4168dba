#!/usr/bin/env python3
"""Metric references for test/unit/metrics-*.test.ts (test/fixtures/metrics/).

A small seeded CNN (Conv-ReLU-MaxPool-Conv-ReLU-GAP-Linear, with biases, the last layer scaled up) on a 3x16x16 input is exported to ONNX
(TorchScript exporter, opset 17); fixed seeded maps (an input-shaped one and a 4x4 CAM-like one) are saved; the
target is class 2, scored as its softmax probability (as the evaluator scores a one-class target of 2-D logits).
The torch model runs in float64. Random draws (noise, uniform perturbations, re-drawn weights) come from a Python
copy of the engine's seeded generator (src/engine/reconstruct/rng.ts: mulberry32 + Box-Muller), so both sides
use the same perturbations.

Reference per metric (Quantus 0.6's definitions differ in their details -- ordering, baselines, normalisation --
so the references below are float64 re-implementations unless a library is named):
- deletion, insertion: float64 re-implementation of Petsiuk et al. (RISE): K steps of ceil(HW/K) pixels, most
  relevant first, trapezoid AUC over [0, 1]; zero / blur (sigma 5, radius 15, edges replicated) / mean baselines.
- pixel-flipping: float64 re-implementation of Samek et al. 2017 (patches, MoRF and LeRF, AOPC = mean over the
  steps 0..K of f(x0) - f(xk)).
- road: the authors' own NoisyLinearImputer system (road_evaluation, imputations.py: setup_sparse_system with
  their neighbour weights, scipy spsolve), ported here; the noise from the shared generator.
- infidelity: Captum's captum.metrics.infidelity (normalize=True) with the shared Gaussian perturbations.
- max-sensitivity: Captum's captum.metrics.sensitivity_max (Frobenius norm) with the shared uniform perturbations
  and the input gradient of the class logit as the explanation.
- randomisation: float64 re-implementation of Adebayo et al.'s cascading test (weights re-drawn from N(0, std^2),
  top layer first), Spearman by scipy.stats.spearmanr, SSIM by skimage.metrics.structural_similarity (7x7 uniform
  window, data_range 1, on the min-max scaled |gradient| planes).

Usage (from the repository root, in the torch venv with captum, scipy and scikit-image):
    python tools/make_metric_refs.py
"""
import copy
import json
import math
import os

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import scipy.stats
import torch
from captum.metrics import infidelity, sensitivity_max
from skimage.metrics import structural_similarity

M32 = 0xFFFFFFFF


class Rng:
    """src/engine/reconstruct/rng.ts, bit for bit."""

    def __init__(self, seed):
        self.s = ((int(seed) & M32) ^ 0x9E3779B9) & M32
        self.spare = None

    def next(self):
        self.s = (self.s + 0x6D2B79F5) & M32
        t = self.s
        t = ((t ^ (t >> 15)) * (t | 1)) & M32
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self.next()

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u = 0.0
        while u == 0.0:
            u = self.next()
        v = self.next()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)


torch.manual_seed(11)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(6, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    torch.nn.Linear(8, 5),
).eval()
with torch.no_grad():
    net[7].weight.mul_(8)  # larger logits: scores that move when pixels are removed
C, H, W = 3, 16, 16
TARGET = 2
x = torch.randn(1, C, H, W)
rs = np.random.RandomState(5)
map_input = rs.randn(1, C, H, W).astype(np.float32)
map_cam = rs.rand(1, 1, 4, 4).astype(np.float32)

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'metrics')
os.makedirs(out, exist_ok=True)
torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), input_names=['x'], output_names=['logits'], opset_version=17,
                  dynamo=False, dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}})
np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))
# The same architecture without biases, for conservation (LRP-epsilon then sums exactly to the target).
nobias = torch.nn.Sequential(
    torch.nn.Conv2d(3, 6, 3, padding=1, bias=False), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(6, 8, 3, padding=1, bias=False), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    torch.nn.Linear(8, 5, bias=False),
).eval()
torch.onnx.export(nobias, x, os.path.join(out, 'model-nobias.onnx'), input_names=['x'], output_names=['logits'], opset_version=17,
                  dynamo=False, dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}})
np.save(os.path.join(out, 'map_input.npy'), map_input)
np.save(os.path.join(out, 'map_cam.npy'), map_cam)

net64 = net.double()
x32 = x.numpy().astype(np.float32)[0]  # (C, H, W)


def prob(rows):
    """Softmax probability of the target for float32 rows (n, C, H, W), in float64."""
    with torch.no_grad():
        z = net64(torch.from_numpy(np.asarray(rows, dtype=np.float32).astype(np.float64)))
        return torch.softmax(z, dim=1)[:, TARGET].numpy()


def plane_of(m, signed):
    """One float32-summed value per pixel; smaller maps resampled bilinearly at pixel centres (render.ts toFrame)."""
    s = (m[0] if signed else np.abs(m[0])).astype(np.float32).sum(axis=0, dtype=np.float64).astype(np.float32)
    h, w = s.shape
    if (h, w) == (H, W):
        return s.astype(np.float64)

    def taps(n_out, n_in):
        f = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        i0 = np.floor(f).astype(int)
        return i0, np.minimum(n_in - 1, i0 + 1), f - i0

    y0, y1, wy = taps(H, h)
    x0, x1, wx = taps(W, w)
    s = s.astype(np.float64)
    a = s[y0][:, x0] * (1 - wx) + s[y0][:, x1] * wx
    b = s[y1][:, x0] * (1 - wx) + s[y1][:, x1] * wx
    return (a * (1 - wy[:, None]) + b * wy[:, None]).astype(np.float32).astype(np.float64)


def descending(r):
    return np.argsort(-r.ravel(), kind='stable')


def blur(img, sigma=5.0):
    rad = math.ceil(3 * sigma)
    k = np.exp(-(np.arange(-rad, rad + 1) ** 2) / (2 * sigma * sigma))
    k /= k.sum()
    o = np.empty((C, H, W))
    for c in range(C):
        p = img[c].astype(np.float64)
        t = np.zeros((H, W))
        for j in range(-rad, rad + 1):
            t += k[j + rad] * p[:, np.clip(np.arange(W) + j, 0, W - 1)]
        o[c] = sum(k[j + rad] * t[np.clip(np.arange(H) + j, 0, H - 1), :] for j in range(-rad, rad + 1))
    return o.astype(np.float32)


def baseline(kind):
    if kind == 'zero':
        return np.zeros_like(x32)
    if kind == 'blur':
        return blur(x32)
    if kind == 'mean':
        return np.broadcast_to(x32.astype(np.float64).mean(axis=(1, 2))[:, None, None], x32.shape).astype(np.float32)
    raise ValueError(kind)


def curve(start, source, order, counts):
    rows = []
    for n in counts:
        r = start.copy().reshape(C, -1)
        r[:, order[:n]] = source.reshape(C, -1)[:, order[:n]]
        rows.append(r.reshape(C, H, W))
    return prob(np.stack(rows))


def trapezoid(y):
    K = len(y) - 1
    return float(sum((y[k] + y[k + 1]) / 2 for k in range(K)) / K)


cases = []
maps = {'input': map_input, 'cam': map_cam}
for kind, mp, steps, order, base in [('deletion', 'input', 16, 'abs', 'zero'), ('deletion', 'cam', 10, 'signed', 'mean'),
                                     ('insertion', 'input', 16, 'abs', 'blur'), ('insertion', 'cam', 7, 'abs', 'zero')]:
    o = descending(plane_of(maps[mp], order == 'signed'))
    m = math.ceil(H * W / steps)
    counts = [min(H * W, k * m) for k in range(steps + 1)]
    b = baseline(base)
    y = curve(x32, b, o, counts) if kind == 'deletion' else curve(b, x32, o, counts)
    cases.append({'metric': kind, 'map': mp, 'params': {'steps': steps, 'order': order, 'baseline': base},
                  'value': trapezoid(y), 'curve': y.tolist()})


def patch_order(r, patch, steps, least):
    rows, cols = math.ceil(H / patch), math.ceil(W / patch)
    score = np.zeros(rows * cols)
    for yy in range(H):
        for xx in range(W):
            score[(yy // patch) * cols + xx // patch] += r[yy, xx]
    ps = np.argsort(score if least else -score, kind='stable')
    order, after = [], []
    for q in ps:
        y0, x0 = (q // cols) * patch, (q % cols) * patch
        order += [yy * W + xx for yy in range(y0, min(H, y0 + patch)) for xx in range(x0, min(W, x0 + patch))]
        after.append(len(order))
    P = rows * cols
    K = min(steps, P)
    per = math.ceil(P / K)
    return np.array(order), [0] + [after[min(P, k * per) - 1] for k in range(1, K + 1)]


def aopc(y):
    return float(np.mean(y[0] - y))


for mp, patch, steps, base in [('input', 2, 16, 'mean'), ('cam', 3, 100, 'zero')]:
    r = plane_of(maps[mp], False)
    b = baseline(base)
    om, cm = patch_order(r, patch, steps, False)
    ol, cl = patch_order(r, patch, steps, True)
    yM, yL = curve(x32, b, om, cm), curve(x32, b, ol, cl)
    cases.append({'metric': 'pixel-flipping', 'map': mp, 'params': {'patch': patch, 'steps': steps, 'baseline': base},
                  'value': aopc(yM), 'values': {'lerf_aopc': aopc(yL), 'difference': aopc(yM) - aopc(yL)}, 'curve': yM.tolist()})

# ROAD: the authors' sparse system (road_evaluation/road/imputations.py), mask 1 = kept, 0 = imputed.
NEIGHBOURS = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6), ((-1, -1), 1 / 12),
              ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]


def offset_valid(indices, shape, offset):
    cy, cx = indices // shape[1] + offset[0], indices % shape[1] + offset[1]
    valid = (cy >= 0) & (cy < shape[0]) & (cx >= 0) & (cx < shape[1])
    return valid, cy * shape[1] + cx


def setup_sparse_system(mask, img):
    maskflt = mask.flatten()
    imgflat = img.reshape((img.shape[0], -1))
    indices = np.argwhere(maskflt == 0).flatten()
    coords_to_vidx = np.zeros(len(maskflt), dtype=int)
    coords_to_vidx[indices] = np.arange(len(indices))
    n = len(indices)
    A = scipy.sparse.lil_matrix((n, n))
    b = np.zeros((n, img.shape[0]))
    sum_neighbors = np.ones(n)
    for offset, weight in NEIGHBOURS:
        valid, new_coords = offset_valid(indices, mask.shape, offset)
        valid_coords = new_coords[valid]
        valid_ids = np.argwhere(valid == 1).flatten()
        has_values_coords = valid_coords[maskflt[valid_coords] > 0.5]
        has_values_ids = valid_ids[maskflt[valid_coords] > 0.5]
        b[has_values_ids, :] -= weight * imgflat[:, has_values_coords].T
        has_no_values = valid_coords[maskflt[valid_coords] < 0.5]
        variable_ids = coords_to_vidx[has_no_values]
        has_no_values_ids = valid_ids[maskflt[valid_coords] < 0.5]
        A[has_no_values_ids, variable_ids] = weight
        sum_neighbors[np.argwhere(valid == 0).flatten()] -= weight
    A[np.arange(n), np.arange(n)] = -sum_neighbors
    return A, b


def impute(img, mask):
    A, b = setup_sparse_system(mask, img.astype(np.float64))
    res = scipy.sparse.linalg.spsolve(scipy.sparse.csc_matrix(A), b)
    flat = img.astype(np.float64).reshape(C, -1).copy()
    flat[:, maskflt_zero(mask)] = np.asarray(res).reshape(-1, C).T
    return flat


def maskflt_zero(mask):
    return np.argwhere(mask.flatten() == 0).flatten()


for mp, pcts, noise, seed in [('input', [10, 30, 50, 70, 90], 0.01, 4), ('cam', [25, 60], 0.0, 0)]:
    o = descending(plane_of(maps[mp], False))
    rng = Rng(seed)
    rows, imputed = [], []
    for lerf in (False, True):
        for p in pcts:
            count = math.floor(p / 100 * H * W)
            mask = np.ones(H * W)
            mask[(o[::-1] if lerf else o)[:count]] = 0
            mask = mask.reshape(H, W)
            flat = impute(x32, mask)
            if not lerf and p == pcts[-1]:
                imputed = flat.reshape(C, H, W).astype(np.float32).ravel().tolist()
            for c in range(C):
                for q in maskflt_zero(mask):
                    flat[c, q] += noise * rng.normal()
            rows.append(flat.reshape(C, H, W).astype(np.float32))
    y = prob(np.stack(rows))
    k = len(pcts)
    cases.append({'metric': 'road', 'map': mp, 'params': {'percentages': ','.join(map(str, pcts)), 'noise': noise}, 'seed': seed,
                  'value': float(y[:k].mean()), 'values': {'lerf': float(y[k:].mean()), 'difference': float(y[k:].mean() - y[:k].mean())},
                  'curve': y[:k].tolist(), 'imputed_last_morf_noiseless': imputed})

# Infidelity through Captum, with the shared Gaussian perturbations.
xt = torch.from_numpy(x32[None].astype(np.float64))
for S, sigma, seed in [(12, 0.1, 9), (5, 0.5, 1)]:
    rng = Rng(seed)
    noise_np = np.array([[sigma * rng.normal() for _ in range(C * H * W)] for _ in range(S)])
    # The engine builds x - I in float32; Captum gets that exact input and I = x - (x - I).
    pert = (x32.ravel()[None].astype(np.float32) - noise_np.astype(np.float64)).astype(np.float32).astype(np.float64)
    I = torch.from_numpy(noise_np.reshape(S, C, H, W))
    P = torch.from_numpy(pert.reshape(S, C, H, W))
    value = infidelity(lambda inp: torch.softmax(net64(inp), dim=1)[:, TARGET], lambda inp: (I, P), xt,
                       torch.from_numpy(map_input.astype(np.float64)), n_perturb_samples=S, normalize=True)
    cases.append({'metric': 'infidelity', 'map': 'input', 'params': {'samples': S, 'noise': sigma, 'normalize': True}, 'seed': seed,
                  'value': float(value.item())})


def grad_map(model, inp):
    while isinstance(inp, (tuple, list)):
        inp = inp[0]
    with torch.enable_grad():  # sensitivity_max calls the explanation under no_grad
        inp = inp.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(model(inp)[:, TARGET].sum(), inp)
    return g


# Max-sensitivity through Captum, the gradient as the explanation and the shared uniform perturbations.
for S, radius, seed in [(6, 0.05, 2)]:
    rng = Rng(seed)
    delta = np.array([[x32.ravel()[i] + rng.uniform(-radius, radius) for i in range(C * H * W)] for _ in range(S)], dtype=np.float32)
    perturbed = torch.from_numpy(delta.astype(np.float64).reshape(S, C, H, W))
    value = sensitivity_max(lambda *inp: (grad_map(net64, inp),), xt, perturb_func=lambda inp, perturb_radius=0: perturbed,
                            n_perturb_samples=S, perturb_radius=radius)
    cases.append({'metric': 'max-sensitivity', 'method': 'gradient', 'params': {'samples': S, 'radius': radius}, 'seed': seed,
                  'value': float(value.item())})

# Cascading randomisation: the layers from the top (Linear, conv2, conv1), each re-drawn from N(0, std^2).
layers = [net64[7], net64[3], net64[0]]
for seed, absolute in [(3, True)]:
    rng = Rng(seed)
    orig = grad_map(net64, xt).numpy()[0]
    to_plane = (lambda g: np.abs(g).sum(axis=0)) if absolute else (lambda g: g.sum(axis=0))
    ref = to_plane(orig.astype(np.float32).astype(np.float64))
    mm = lambda p: (p - p.min()) / (p.max() - p.min())
    rnet = copy.deepcopy(net64)
    rl = [rnet[7], rnet[3], rnet[0]]
    steps = []
    for layer in rl:
        w = layer.weight.detach().numpy().astype(np.float32)
        std = float(np.sqrt(np.mean((w.astype(np.float64) - w.astype(np.float64).mean()) ** 2)))
        new = np.array([std * rng.normal() for _ in range(w.size)], dtype=np.float32).reshape(w.shape)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(new.astype(np.float64)))
        g = grad_map(rnet, xt).numpy()[0].astype(np.float32).astype(np.float64)
        pl = to_plane(g)
        steps.append({'spearman': float(scipy.stats.spearmanr(ref.ravel(), pl.ravel()).statistic),
                      'ssim': float(structural_similarity(mm(ref), mm(pl), win_size=7, data_range=1.0))})
    cases.append({'metric': 'randomisation', 'method': 'gradient', 'params': {'layers': 3, 'absolute': absolute}, 'seed': seed,
                  'value': float(np.mean([s['spearman'] for s in steps])), 'values': {'mean_ssim': float(np.mean([s['ssim'] for s in steps]))},
                  'steps': steps})

with open(os.path.join(out, 'refs.json'), 'w') as f:
    json.dump({'target': TARGET, 'cases': cases}, f)
print(f'wrote {out}: {len(cases)} cases')
