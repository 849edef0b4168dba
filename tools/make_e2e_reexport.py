"""The e2e suite's re-export (test/e2e/source.test.mjs): examples/pytorch-cnn/model.py with one layer edited — the
stem convolution widened from 16 to 32 channels (and stage1 fed 32) — and its dynamo export, as export.py writes
it. The test copies both over the workspace's model.py and model.dynamo.onnx, as a user's edit + re-export would.

Writes test/e2e/fixtures/pytorch-cnn-edited/{model.py,model.dynamo.onnx}.
Usage: ~/.cache/featurevis/venvs/torch/bin/python tools/make_e2e_reexport.py
"""
import os
import sys
import types

import torch

from onnx_relative_traces import rewrite as relative_traces  # tools/ is on the path when run as a script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, 'examples', 'pytorch-cnn', 'model.py')
OUT = os.path.join(ROOT, 'test', 'e2e', 'fixtures', 'pytorch-cnn-edited')
# Same lines, same line count: the definitions do not move, only the stem's width changes.
EDITS = [('nn.Conv2d(3, 16, 3, padding=1, bias=False)', 'nn.Conv2d(3, 32, 3, padding=1, bias=False)'),
         ('nn.BatchNorm2d(16)', 'nn.BatchNorm2d(32)'),
         ('make_stage(16, 24, 2)', 'make_stage(32, 24, 2)')]


def main():
    src = open(EXAMPLE).read()
    for old, new in EDITS:
        assert src.count(old) == 1, old
        src = src.replace(old, new)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'model.py'), 'w') as f:
        f.write(src)
    mod = types.ModuleType('model')
    mod.__file__ = os.path.join(OUT, 'model.py')
    sys.modules['model'] = mod
    exec(compile(src, mod.__file__, 'exec'), mod.__dict__)
    net = mod.build()
    x = torch.zeros(1, 3, mod.INPUT_SIZE, mod.INPUT_SIZE)
    torch.onnx.export(net, (x,), os.path.join(OUT, 'model.dynamo.onnx'), dynamo=True, external_data=False,
                      input_names=['image'], output_names=['logits'])
    relative_traces(os.path.join(OUT, 'model.dynamo.onnx'))  # committed: no machine's absolute paths
    print('wrote', OUT)


if __name__ == '__main__':
    main()
