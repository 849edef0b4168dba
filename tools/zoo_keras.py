#!/usr/bin/env python3
"""A small Keras 3 CNN (NHWC input, random seeded weights) exported with tf2onnx, with float64 references from
tf.GradientTape. Writes DIR/keras_cnn-tf2onnx-op<opset>/ in the zoo's case format (see tools/zoo.py).

Usage: python tools/zoo_keras.py --out DIR [--opset 13,17] [--seed 0]     (the `tf` venv of scripts/zoo-setup.sh)

The float64 reference model is the same architecture built with dtype float64 and given the float32 model's
weights. guided-backprop / deconvnet: the reference's ReLUs are tf.custom_gradient functions with the rule's
backward ([δ]⁺·1[x>0] / [δ]⁺); the exported model has plain ReLUs.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

SIZE = 32
CLASSES = 10


def relu_fn(mode):
    if mode == "gradient":
        return tf.nn.relu

    @tf.custom_gradient
    def relu(x):
        def grad(dy):
            pos = tf.nn.relu(dy)
            return pos * tf.cast(x > 0, dy.dtype) if mode == "guided" else pos
        return tf.nn.relu(x), grad
    return relu


def make(dtype, mode="gradient"):
    """Conv-BN-ReLU, MaxPool, depthwise Conv, strided valid Conv, AveragePool, GlobalAveragePool, Dense (NHWC)."""
    L = keras.layers
    act = relu_fn(mode)
    x = inp = keras.Input((SIZE, SIZE, 3), batch_size=1, dtype=dtype, name="input")
    x = L.Conv2D(8, 3, padding="same", dtype=dtype)(x)
    x = L.BatchNormalization(dtype=dtype)(x)
    x = L.Activation(act, dtype=dtype)(x)
    x = L.MaxPooling2D(2, dtype=dtype)(x)
    x = L.DepthwiseConv2D(3, padding="same", dtype=dtype)(x)
    x = L.Activation(act, dtype=dtype)(x)
    x = L.Conv2D(16, 3, strides=2, padding="valid", dtype=dtype)(x)
    x = L.Activation(act, dtype=dtype)(x)
    x = L.AveragePooling2D(2, padding="same", dtype=dtype)(x)
    x = L.Conv2D(24, 1, dtype=dtype)(x)
    x = L.Activation(act, dtype=dtype)(x)
    x = L.GlobalAveragePooling2D(dtype=dtype)(x)
    out = L.Dense(CLASSES, dtype=dtype)(x)
    return keras.Model(inp, out)


def build(seed):
    keras.utils.set_random_seed(seed)
    model = make("float32")
    rng = np.random.default_rng(seed + 1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, c), rng.normal(0, 0.1, c), rng.normal(0, 0.3, c),
                               rng.uniform(0.5, 1.5, c)])
        elif getattr(layer, "bias", None) is not None:  # Keras initialises biases with zeros
            w = layer.get_weights()
            layer.set_weights(w[:-1] + [rng.normal(0, 0.1, w[-1].shape).astype(np.float32)])
    x = rng.standard_normal((1, SIZE, SIZE, 3)).astype(np.float32)
    return model, x


def attribution(model32, x, method, w, dtype):
    mode = {"gradient": "gradient", "guided-backprop": "guided", "deconvnet": "deconvnet"}[method]
    m = make(dtype, mode)
    m.set_weights([v.astype(dtype) for v in model32.get_weights()])
    xt = tf.constant(x.astype(dtype))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = m(xt, training=False)
        s = tf.reduce_sum(tf.constant(w.astype(dtype)) * out)
    return tape.gradient(s, xt).numpy().astype(np.float64), out.numpy()


def export(model, path, opset):
    import tf2onnx
    import onnx

    @tf.function(input_signature=[tf.TensorSpec((1, SIZE, SIZE, 3), tf.float32, name="input")])
    def fn(x):
        return {"logits": model(x, training=False)}

    proto, _ = tf2onnx.convert.from_function(fn, input_signature=fn.input_signature, opset=opset, output_path=path)
    onnx.checker.check_model(path)
    return proto.graph.output[0].name, sorted({n.op_type for n in proto.graph.node})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--arch", default="keras_cnn", choices=["keras_cnn"])
    ap.add_argument("--exporter", default="tf2onnx", choices=["tf2onnx"])
    ap.add_argument("--opset", default="13,17")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from zoo_common import dump_json, ort_output, rel_diffs
    t0 = time.time()
    model, x = build(args.seed)
    _, out64 = attribution(model, x, "gradient", np.zeros((1, CLASSES)), "float64")
    cls = int(out64.argmax(1)[0])
    w = np.eye(CLASSES)[[cls]]
    cases, refs = [], {}
    for method in ("gradient", "guided-backprop", "deconvnet"):
        r64, _ = attribution(model, x, method, w, "float64")
        r32, _ = attribution(model, x, method, w, "float32")
        mx, l2 = rel_diffs(r32, r64)
        refs[f"ref/{method}.npy"] = r64.astype(np.float32)
        cases.append({"method": method, "params": {}, "ref": f"ref/{method}.npy", "shape": list(r64.shape),
                      "f32_rel_err": mx, "f32_rel_l2": l2})
        print(f"keras_cnn: {method:16s} f32/f64 rel diff max {mx:.1e}, L2 {l2:.1e}")
    t_ref = time.time() - t0
    for opset in [int(o) for o in args.opset.split(",")]:
        d = os.path.join(args.out, f"keras_cnn-tf2onnx-op{opset}")
        os.makedirs(os.path.join(d, "ref"), exist_ok=True)
        t1 = time.time()
        out_name, ops = export(model, os.path.join(d, "model.onnx"), opset)
        t_export = time.time() - t1
        np.save(os.path.join(d, "input.npy"), x)
        for fn, arr in refs.items():
            np.save(os.path.join(d, fn), arr)
        err = ort_output(os.path.join(d, "model.onnx"), "input", x, out_name, out64)
        assert err is None or err < 1e-4, f"onnxruntime output differs from Keras' ({err:.1e})"
        doc = {"model": "model.onnx", "input": "input.npy", "opset": opset, "arch": "keras_cnn",
               "exporter": "tf2onnx", "layout": "NHWC", "input_shape": list(x.shape), "seed": args.seed,
               "weights": "random (seeded; biases and BN statistics random too)", "tensorflow": tf.__version__,
               "keras": keras.__version__, "tf2onnx": __import__("tf2onnx").__version__,
               "export_s": round(t_export, 1), "reference_s": round(t_ref, 1), "ort_rel_err": err,
               "cases": [{**c, "target": {"tensor": out_name, "class": [cls]}} for c in cases], "onnx_ops": ops}
        with open(os.path.join(d, "cases.json"), "w") as f:
            f.write(dump_json(doc))
        print(f"keras_cnn: wrote {d} (export {t_export:.1f} s, onnxruntime output rel err {err})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
