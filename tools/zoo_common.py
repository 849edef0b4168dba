"""Pieces the zoo's exporters share that need neither torch nor TensorFlow nor JAX (each runs in its own venv)."""
import json

import numpy as np


def dump_json(doc):
    """cases.json with one line per case (readable diffs); nested dicts stay on one line."""
    lines = ["{"]
    items = list(doc.items())
    for i, (k, v) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f"  {json.dumps(k)}: [")
            lines += [f"    {json.dumps(e)}" + ("," if j < len(v) - 1 else "") for j, e in enumerate(v)]
            lines.append("  ]" + end)
        else:
            lines.append(f"  {json.dumps(k)}: {json.dumps(v)}{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def rel_diffs(r32, r64):
    """(max-norm, L2) relative difference of a float32 run from the float64 one."""
    r32, r64 = np.asarray(r32, np.float64), np.asarray(r64, np.float64)
    mx = np.abs(r32 - r64).max() / max(np.abs(r64).max(), 1e-300)
    l2 = np.linalg.norm(r32 - r64) / max(np.linalg.norm(r64), 1e-300)
    return float(f"{mx:.3g}"), float(f"{l2:.3g}")


def ort_output(path, in_name, x, out_name, expected):
    """max|onnxruntime − expected| / max|expected| (None without onnxruntime)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    got = sess.run([out_name], {in_name: x})[0]
    return float(f"{np.abs(got - expected).max() / np.abs(expected).max():.3g}")
