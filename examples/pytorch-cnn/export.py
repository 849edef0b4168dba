"""Exports model.py's SmallNet with both PyTorch exporters, next to this file:

- model.dynamo.onnx      torch.onnx.export(..., dynamo=True): per-node metadata (module scopes, classes, stack traces)
- model.torchscript.onnx torch.onnx.export(..., dynamo=False): nodes named by module path (/stage1/stage1.0/conv1/Conv)

and a FeatureVis sidecar for each (labels, preprocessing). Run it again after editing model.py; FeatureVis
refreshes its layer ↔ source links when the .onnx changes.

Usage: python export.py   (torch ≥ 2.6 with onnx and onnxscript, e.g. pip install torch onnx onnxscript)
"""
import json
import os

import torch

from model import INPUT_SIZE, NUM_CLASSES, build

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
assert len(LABELS) == NUM_CLASSES


def main():
    net = build()
    x = torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE)
    common = dict(input_names=['image'], output_names=['logits'])
    torch.onnx.export(net, (x,), os.path.join(HERE, 'model.dynamo.onnx'), dynamo=True, external_data=False, **common)
    torch.onnx.export(net, (x,), os.path.join(HERE, 'model.torchscript.onnx'), dynamo=False, opset_version=17,
                      dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}}, **common)
    sidecar = {
        'name': 'SmallNet (examples/pytorch-cnn, untrained)',
        'labels': LABELS,
        'preprocessing': {'size': [INPUT_SIZE, INPUT_SIZE], 'resize': {'mode': 'shorter-side', 'size': INPUT_SIZE, 'crop': INPUT_SIZE},
                          'mean': [0.5, 0.5, 0.5], 'std': [0.25, 0.25, 0.25], 'channels': 'RGB'},
    }
    for stem in ['model.dynamo', 'model.torchscript']:
        with open(os.path.join(HERE, f'{stem}.featurevis.json'), 'w') as f:
            json.dump(sidecar, f, indent=2)
            f.write('\n')
    print('wrote model.dynamo.onnx, model.torchscript.onnx and their sidecars in', HERE)


if __name__ == '__main__':
    main()
