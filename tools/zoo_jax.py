#!/usr/bin/env python3
"""A small Flax (nnx) CNN (NHWC input, random seeded weights) exported with jax2onnx, with float64 references
from jax.grad. Writes DIR/flax_cnn-jax2onnx-op<opset>/ in the zoo's case format (see tools/zoo.py).

Usage: python tools/zoo_jax.py --out DIR [--opset 18,23] [--seed 0]     (the `jax` venv of scripts/zoo-setup.sh)

Exported first with 64-bit JAX off (a float32 graph); then jax_enable_x64 is switched on and the float32
parameters are cast to float64 for the reference. guided-backprop / deconvnet: the reference's ReLUs are
jax.custom_vjp functions with the rule's backward; the exported model calls nnx.relu.
"""
import argparse
import os
import sys
import time

import numpy as np
import jax
import jax.numpy as jnp
from flax import nnx

SIZE = 32
CLASSES = 10


def relu_fn(mode):
    if mode == "gradient":
        return nnx.relu

    @jax.custom_vjp
    def relu(x):
        return jnp.maximum(x, 0)

    def fwd(x):
        return relu(x), x

    def bwd(x, dy):
        pos = jnp.maximum(dy, 0)
        return (pos * (x > 0).astype(dy.dtype) if mode == "guided" else pos,)

    relu.defvjp(fwd, bwd)
    return relu


class CNN(nnx.Module):
    """Conv-BN-ReLU, max pool, strided valid Conv, avg pool, grouped Conv, spatial mean, Linear."""

    def __init__(self, rngs):
        self.conv1 = nnx.Conv(3, 8, (3, 3), padding="SAME", rngs=rngs)
        self.bn = nnx.BatchNorm(8, use_running_average=True, rngs=rngs)
        self.conv2 = nnx.Conv(8, 16, (3, 3), strides=(2, 2), padding="VALID", rngs=rngs)
        self.conv3 = nnx.Conv(16, 24, (3, 3), padding="SAME", feature_group_count=4, rngs=rngs)
        self.head = nnx.Linear(24, CLASSES, rngs=rngs)
        self.act = nnx.relu

    def __call__(self, x):
        x = self.act(self.bn(self.conv1(x)))
        x = nnx.max_pool(x, window_shape=(2, 2), strides=(2, 2))  # keywords: jax2onnx patches these
        x = self.act(self.conv2(x))
        x = nnx.avg_pool(x, window_shape=(2, 2), strides=(2, 2), padding="SAME")
        x = self.act(self.conv3(x))
        return self.head(x.mean(axis=(1, 2)))


def build(seed):
    model = CNN(nnx.Rngs(seed))
    rng = np.random.default_rng(seed + 1)
    c = 8
    model.bn.scale.set_value(jnp.asarray(rng.uniform(0.5, 1.5, c), jnp.float32))
    model.bn.bias.set_value(jnp.asarray(rng.normal(0, 0.1, c), jnp.float32))
    model.bn.mean.set_value(jnp.asarray(rng.normal(0, 0.3, c), jnp.float32))
    model.bn.var.set_value(jnp.asarray(rng.uniform(0.5, 1.5, c), jnp.float32))
    for m in (model.conv1, model.conv2, model.conv3, model.head):  # flax initialises biases with zeros
        m.bias.set_value(jnp.asarray(rng.normal(0, 0.1, m.bias.get_value().shape), jnp.float32))
    x = rng.standard_normal((1, SIZE, SIZE, 3)).astype(np.float32)
    return model, x


def export(model, path, opset):
    import onnx
    from jax2onnx import to_onnx
    to_onnx(model, [jax.ShapeDtypeStruct((1, SIZE, SIZE, 3), jnp.float32)], opset=opset, input_names=["input"],
            output_names=["logits"], return_mode="file", output_path=path)
    onnx.checker.check_model(path)
    m = onnx.load(path)
    return m.graph.output[0].name, sorted({n.op_type for n in m.graph.node})


def attribution(model, x, method, w, dtype):
    """The map for S = sum(w * logits), computed with every parameter cast to `dtype`."""
    mode = {"gradient": "gradient", "guided-backprop": "guided", "deconvnet": "deconvnet"}[method]
    graphdef, state = nnx.split(model)
    m = nnx.merge(graphdef, jax.tree.map(lambda a: a.astype(dtype), state))
    m.act = relu_fn(mode)
    wt = jnp.asarray(w, dtype)
    g = jax.grad(lambda xx: jnp.sum(wt * m(xx)))(jnp.asarray(x, dtype))
    return np.asarray(g, np.float64), np.asarray(m(jnp.asarray(x, dtype)), np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--arch", default="flax_cnn", choices=["flax_cnn"])
    ap.add_argument("--exporter", default="jax2onnx", choices=["jax2onnx"])
    ap.add_argument("--opset", default="18,23")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from zoo_common import dump_json, ort_output, rel_diffs
    model, x = build(args.seed)
    exported = {}
    for opset in [int(o) for o in args.opset.split(",")]:
        d = os.path.join(args.out, f"flax_cnn-jax2onnx-op{opset}")
        os.makedirs(os.path.join(d, "ref"), exist_ok=True)
        t1 = time.time()
        exported[opset] = (d, *export(model, os.path.join(d, "model.onnx"), opset), time.time() - t1)
    jax.config.update("jax_enable_x64", True)
    t0 = time.time()
    _, out64 = attribution(model, x, "gradient", np.zeros((1, CLASSES)), jnp.float64)
    cls = int(out64.argmax(1)[0])
    w = np.eye(CLASSES)[[cls]]
    cases, refs = [], {}
    for method in ("gradient", "guided-backprop", "deconvnet"):
        r64, _ = attribution(model, x, method, w, jnp.float64)
        r32, _ = attribution(model, x, method, w, jnp.float32)
        mx, l2 = rel_diffs(r32, r64)
        refs[f"ref/{method}.npy"] = r64.astype(np.float32)
        cases.append({"method": method, "params": {}, "ref": f"ref/{method}.npy", "shape": list(r64.shape),
                      "f32_rel_err": mx, "f32_rel_l2": l2})
        print(f"flax_cnn: {method:16s} f32/f64 rel diff max {mx:.1e}, L2 {l2:.1e}")
    t_ref = time.time() - t0
    for opset, (d, out_name, ops, t_export) in exported.items():
        np.save(os.path.join(d, "input.npy"), x)
        for fn, arr in refs.items():
            np.save(os.path.join(d, fn), arr)
        err = ort_output(os.path.join(d, "model.onnx"), "input", x, out_name, out64)
        assert err is None or err < 1e-4, f"onnxruntime output differs from JAX's ({err:.1e})"
        import flax
        import jax2onnx
        doc = {"model": "model.onnx", "input": "input.npy", "opset": opset, "arch": "flax_cnn",
               "exporter": "jax2onnx", "layout": "NHWC", "input_shape": list(x.shape), "seed": args.seed,
               "weights": "random (seeded; biases and BN statistics random too)", "jax": jax.__version__,
               "flax": flax.__version__, "jax2onnx": getattr(jax2onnx, "__version__", "?"),
               "export_s": round(t_export, 1), "reference_s": round(t_ref, 1), "ort_rel_err": err,
               "cases": [{**c, "target": {"tensor": out_name, "class": [cls]}} for c in cases], "onnx_ops": ops}
        with open(os.path.join(d, "cases.json"), "w") as f:
            f.write(dump_json(doc))
        print(f"flax_cnn: wrote {d} (export {t_export:.1f} s, onnxruntime output rel err {err})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
