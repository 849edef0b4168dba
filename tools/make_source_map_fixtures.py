#!/usr/bin/env python3
"""Models for the layer ↔ source map tests (test/fixtures/source-map/), exported from the fixture sources there.

    torch: nets.py's Net (seeded) with both PyTorch exporters: net.dynamo.onnx (dynamo=True: module scopes, class
           hierarchy and stack traces in each node's metadata_props) and net.torchscript.onnx (dynamo=False: nodes
           named by module path).
    keras: nets.py's functional model through tf2onnx: net.onnx (nodes named by layer).

Usage (from the repository root):
    ~/.cache/featurevis/venvs/torch/bin/python tools/make_source_map_fixtures.py torch
    ~/.cache/featurevis/venvs/tf/bin/python tools/make_source_map_fixtures.py keras
"""
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'source-map')


def torch_fixtures():
    import torch
    out = os.path.join(ROOT, 'torch')
    sys.path.insert(0, out)
    from nets import Net
    torch.manual_seed(0)
    net = Net().eval()
    x = torch.randn(1, 3, 16, 16)
    names = dict(input_names=['x'], output_names=['logits'])
    torch.onnx.export(net, (x,), os.path.join(out, 'net.dynamo.onnx'), dynamo=True, external_data=False, **names)
    from onnx_relative_traces import rewrite as relative_traces
    relative_traces(os.path.join(out, 'net.dynamo.onnx'))  # committed: no machine's absolute paths
    torch.onnx.export(net, (x,), os.path.join(out, 'net.torchscript.onnx'), dynamo=False, opset_version=17, **names)


def keras_fixtures():
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    import tensorflow as tf
    import tf2onnx
    out = os.path.join(ROOT, 'keras')
    sys.path.insert(0, out)
    from nets import build
    tf.keras.utils.set_random_seed(0)
    model = build()
    spec = (tf.TensorSpec((None, 16, 16, 3), tf.float32, name='image'),)
    tf2onnx.convert.from_keras(model, input_signature=spec, opset=17, output_path=os.path.join(out, 'net.onnx'))


if __name__ == '__main__':
    which = sys.argv[1:] or ['torch']
    for w in which:
        {'torch': torch_fixtures, 'keras': keras_fixtures}[w]()
        print('wrote', w)
