"""A small CNN for FeatureVis's example workspace (48×48 RGB in, 10 classes out).

Built to show the layer ↔ source links: nested modules, an nn.Sequential, a block class used several times, a
submodule registered under another name with add_module, and a helper that returns an nn.Sequential.
Weights are deterministic (seeded) and untrained: export.py writes them as they are initialised.
"""
import torch
from torch import nn

NUM_CLASSES = 10
INPUT_SIZE = 48


class ConvBlock(nn.Module):
    """Two 3×3 convolutions with batch norm, plus a shortcut (a 1×1 convolution when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.act = nn.ReLU()
        self.project = stride != 1 or cin != cout
        if self.project:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    def forward(self, x):
        y = self.act(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.act(y + (self.shortcut(x) if self.project else x))


class Head(nn.Module):
    """Global average pooling and a linear classifier."""

    def __init__(self, cin: int, classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(x), 1))


def make_stage(cin: int, cout: int, blocks: int) -> nn.Sequential:
    """A stage: its first block halves the resolution, the others keep it."""
    layers = [ConvBlock(cin, cout, stride=2)]
    for _ in range(blocks - 1):
        layers.append(ConvBlock(cout, cout))
    return nn.Sequential(*layers)


class SmallNet(nn.Module):
    def __init__(self, classes: int = NUM_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
        )
        self.stage1 = make_stage(16, 24, 2)
        self.stage2 = make_stage(24, 48, 2)
        # Registered under a name of its own, not an attribute assignment.
        self.add_module('classifier', Head(48, classes))

    def forward(self, x):
        return self.classifier(self.stage2(self.stage1(self.stem(x))))


def build(seed: int = 0) -> SmallNet:
    """The example's model, with seeded weights, in eval mode."""
    torch.manual_seed(seed)
    return SmallNet().eval()


if __name__ == '__main__':
    net = build()
    print(net)
    print('parameters:', sum(p.numel() for p in net.parameters()))
