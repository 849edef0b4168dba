#!/usr/bin/env python3
"""Small seeded models for incremental occlusion (issue 13; test/fixtures/incremental/, test/unit/occlusion-incremental.test.ts).

The test compares incremental occlusion against full recompute on each model, so only the models are stored:
- vgglike.onnx     (1, 3, 64, 62): Conv pad 1 → ReLU → Conv stride 2 → BatchNorm → ReLU → MaxPool 3/2 pad 1 ceil_mode →
                   dilated Conv (2) → ReLU → AveragePool 2/2 pad 1 count_include_pad → grouped Conv (3 groups) → ReLU →
                   AveragePool pad 1 without count_include_pad (no patch rule: computed in full) → Flatten → Linear
- residual.onnx    (1, 3, 24, 24): stem Conv-BN-ReLU, an identity residual block (Add of regions of different sizes), a
                   strided block with a 1×1 stride-2 shortcut, global average pooling → Linear
- inception.onnx   (1, 3, 20, 20): Conv-ReLU, four branches (1×1, 3×3, 5×5, MaxPool 3/1 → 1×1) concatenated on
                   channels, a depthwise Conv, affine constants (·c + d per channel), global average pooling → Linear
- padded.onnx      (1, 3, 20, 22): asymmetric constant Pads (0 and 0.5) before a strided Conv and a MaxPool, and a
                   Reshape whose batch size is read from the input's Shape (as EfficientNet-lite's export does)
- mlp.onnx         (1, 3, 8, 8): Flatten → Linear (no layer computes on patches: falls back to full recompute)
- nhwc.onnx        (1, 12, 12, 3): channels-last input permuted inside (falls back to full recompute)

Usage (from the repository root, in a venv with torch, e.g. ~/.cache/featurevis/venvs/torch):
    python tools/make_incremental_fixtures.py
"""
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'incremental')


class VggLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
            nn.Conv2d(8, 12, 3, padding=2, dilation=2), nn.ReLU(),
            nn.AvgPool2d(2, stride=2, padding=1, count_include_pad=True),
            nn.Conv2d(12, 12, 3, padding=1, groups=3), nn.ReLU(),
            nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
        )
        self.head = nn.Linear(12 * 10 * 10, 5)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.b = nn.Conv2d(cout, cout, 3, padding=1)
        self.short = nn.Conv2d(cin, cout, 1, stride=stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b(torch.relu(self.bn(self.a(x))))
        return torch.relu(y + (self.short(x) if self.short is not None else x))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.b1 = Block(8, 8, 1)
        self.b2 = Block(8, 12, 2)
        self.head = nn.Linear(12, 4)

    def forward(self, x):
        x = self.b2(self.b1(self.stem(x)))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Inception(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.b1 = nn.Conv2d(8, 4, 1)
        self.b3 = nn.Conv2d(8, 4, 3, padding=1)
        self.b5 = nn.Conv2d(8, 4, 5, padding=2)
        self.bp = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(8, 4, 1))
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.scale = nn.Parameter(torch.rand(1, 16, 1, 1) + 0.5)
        self.shift = nn.Parameter(torch.randn(16, 1, 1) * 0.1)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)
        x = torch.relu(self.dw(x)) * self.scale + self.shift
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Padded(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2)
        self.fc = nn.Linear(6 * 6 * 6, 3)

    def forward(self, x):
        y = torch.relu(self.conv(nn.functional.pad(x, (1, 2, 0, 1))))
        y = nn.functional.max_pool2d(nn.functional.pad(y, (0, 1, 1, 1), value=0.5), 2)
        return self.fc(y.reshape(x.shape[0], -1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 8 * 8, 4)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))


class Nhwc(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        y = torch.relu(self.conv(x.permute(0, 3, 1, 2)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


def export(name, model, shape):
    torch.manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    torch.onnx.export(model.eval(), torch.zeros(shape), os.path.join(OUT, f'{name}.onnx'), input_names=['x'], output_names=['logits'],
                      opset_version=17, dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}}, dynamo=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export('vgglike', VggLike(), (1, 3, 64, 62))
    export('residual', Residual(), (1, 3, 24, 24))
    export('inception', Inception(), (1, 3, 20, 20))
    export('padded', Padded(), (1, 3, 20, 22))
    export('mlp', Mlp(), (1, 3, 8, 8))
    export('nhwc', Nhwc(), (1, 12, 12, 3))
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main()
