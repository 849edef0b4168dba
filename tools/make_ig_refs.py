#!/usr/bin/env python3
"""Integrated Gradients references from Captum's own IntegratedGradients (test/fixtures/ig/).

A small seeded CNN (Conv-ReLU-MaxPool-Conv-ReLU-GAP-Linear, with biases) is exported to ONNX (TorchScript
exporter, opset 17); for one seeded input, class 2 and each of Captum's integration rules (gausslegendre and the
four Riemann rules) at 16 steps, Captum's attributions from a zero baseline are saved
in float64, with the completeness gap Σ attribution − (f(x) − f(baseline)).

Usage (from the repository root, in a venv with torch and captum, e.g. ~/.cache/featurevis/venvs/torch):
    python tools/make_ig_refs.py
"""
import json
import os

import numpy as np
import torch
from captum.attr import IntegratedGradients

torch.manual_seed(7)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(6, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    torch.nn.Linear(8, 5),
).eval()
x = torch.randn(1, 3, 12, 12)
out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'ig')
os.makedirs(out, exist_ok=True)
torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), input_names=['x'], output_names=['logits'], opset_version=17, dynamo=False,
                  dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}})
np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))

net64 = net.double()
x64 = x.double()
ig = IntegratedGradients(net64)
cases = []
for baseline_name, baseline in [('zero', torch.zeros_like(x64))]:
    for rule in ['gausslegendre', 'riemann_trapezoid', 'riemann_left', 'riemann_right', 'riemann_middle']:
        attr, delta = ig.attribute(x64, baselines=baseline, target=2, n_steps=16, method=rule, return_convergence_delta=True)
        cases.append({'baseline': baseline_name, 'rule': rule.replace('_', '-'), 'steps': 16,
                      'attribution': attr.numpy().ravel().tolist(), 'delta': float(delta.item())})
with open(os.path.join(out, 'captum.json'), 'w') as f:
    json.dump({'target': 2, 'cases': cases}, f)
print(f'wrote {out}: {len(cases)} cases')
