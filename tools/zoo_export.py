"""ONNX export for tools/zoo.py with either PyTorch exporter, and the onnxruntime cross-check of the outputs.

torchscript: torch.onnx.export(dynamo=False), static shapes, constant sub-graphs folded by onnx_fold.py (when onnx
is importable). dynamo: torch.onnx.export(dynamo=True) (torch.export + onnxscript; opset 18+), left exactly as the
exporter writes it (its own optimiser runs; weights in model.onnx.data next to the model), optionally with dynamic
batch/height/width.
"""
import inspect
import os
import warnings

import torch

EXPORTERS = ("torchscript", "dynamo", "dynamo-dynamic")
DEFAULT_OPSETS = {"torchscript": [13, 17], "dynamo": [18], "dynamo-dynamic": [18]}


def _onnx_ops(path, fold):
    try:
        import onnx
    except ImportError:
        return None
    if fold:
        from onnx_fold import fold_constant_subgraphs
        m = onnx.load(path)
        fold_constant_subgraphs(m)
        onnx.save(m, path)
    onnx.checker.check_model(path)
    m = onnx.load(path, load_external_data=False)
    return sorted({n.op_type for n in m.graph.node})


def export(model, x, path, opset, exporter, out_name):
    """Writes `path` (input "input", output `out_name`); returns the graph's op types (None without onnx)."""
    for f in (path, path + ".data"):
        if os.path.exists(f):
            os.remove(f)
    if exporter == "torchscript":
        kw = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, x, path, input_names=["input"], output_names=[out_name],
                              opset_version=opset, do_constant_folding=True,
                              training=torch.onnx.TrainingMode.EVAL, **kw)
        return _onnx_ops(path, fold=True)
    if exporter not in ("dynamo", "dynamo-dynamic"):
        raise ValueError(f"unknown exporter {exporter}; known: {', '.join(EXPORTERS)}")
    if "dynamo" not in inspect.signature(torch.onnx.export).parameters:
        raise SystemExit(f"the dynamo exporter needs torch >= 2.5 (this is torch {torch.__version__})")
    kw = {}
    if exporter == "dynamo-dynamic":
        d = torch.export.Dim.DYNAMIC
        kw["dynamic_shapes"] = ({i: d for i in [0] + list(range(2, x.dim()))},)  # batch and every spatial dim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, dynamo=True, opset_version=opset, input_names=["input"],
                          output_names=[out_name], verbose=False, **kw)
    return _onnx_ops(path, fold=False)


def ort_outputs(path, x, out_name):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run([out_name], {"input": x.numpy()})[0]
