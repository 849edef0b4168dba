#!/usr/bin/env python3
"""Write assets/models/imagenet-labels.txt (1000 ImageNet-1k class names, one per line, index order).

Usage: PYTHON_WITH_TORCHVISION tools/write_labels.py   (e.g. /opt/fv-zoo/bin/python)
The names are torchvision's short ImageNet category list (torchvision.models._meta._IMAGENET_CATEGORIES,
BSD-3-Clause, Copyright (c) Soumith Chintala 2016); they index the same 1000 classes as the
EfficientNet-Lite0 logits (standard sorted-WordNet-id order).
"""
import os

from torchvision.models import _meta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
names = list(_meta._IMAGENET_CATEGORIES)
assert len(names) == 1000 and names[0] == "tench" and names[281] == "tabby"
with open(os.path.join(ROOT, "assets", "models", "imagenet-labels.txt"), "w") as f:
    f.write("\n".join(names) + "\n")
print("wrote", len(names), "labels")
