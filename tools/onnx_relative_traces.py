"""Makes the file paths in an ONNX file's recorded stack traces machine-independent, for committed exports.

PyTorch's dynamo exporter records each node's stack trace (metadata_props `pkg.torch.onnx.stack_trace`) with the
absolute paths of the machine that exported it. For files committed to this repository those paths are rewritten:
files inside the repository become repository-relative, files inside a Python installation become
`site-packages/...`. FeatureVis matches traced files by their path's tail, so the links are unchanged.

    python tools/onnx_relative_traces.py FILE.onnx [...]
"""
import os
import re
import sys

import onnx

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
FILE = re.compile(r'File "([^"]+)"')


def portable(path: str) -> str:
    p = os.path.normpath(path)
    if p.startswith(ROOT + os.sep):
        return os.path.relpath(p, ROOT).replace(os.sep, '/')
    if 'site-packages' + os.sep in p:
        return 'site-packages/' + p.split('site-packages' + os.sep, 1)[1].replace(os.sep, '/')
    return path


def rewrite(file: str) -> int:
    model = onnx.load(file)
    changed = 0
    nodes = list(model.graph.node) + [n for f in model.functions for n in f.node]
    for node in nodes:
        for prop in node.metadata_props:
            value = FILE.sub(lambda m: f'File "{portable(m.group(1))}"', prop.value)
            if value != prop.value:
                prop.value = value
                changed += 1
    onnx.save(model, file)
    return changed


if __name__ == '__main__':
    for f in sys.argv[1:]:
        print(f'{f}: {rewrite(f)} stack traces rewritten')
