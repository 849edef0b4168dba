#!/usr/bin/env python3
"""Writes test/fixtures/functions/model.onnx (and inlined-by-onnx.onnx): a small conv net whose blocks are ONNX local functions (nested, with an
attribute reference), as exporters emit for modules. Usage: python tools/make_function_fixture.py (needs onnx, numpy)."""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "functions", "model.onnx")

# custom.ScaledRelu(x; alpha) = Relu(x * alpha)
scaled_relu = helper.make_function(
    "custom", "ScaledRelu", ["X"], ["Y"],
    [
        helper.make_node("Constant", [], ["a"], value_float=0.0),
        helper.make_node("Mul", ["X", "a"], ["m"]),
        helper.make_node("Relu", ["m"], ["Y"]),
    ],
    [helper.make_opsetid("", 17)], attributes=["alpha"])
# The Constant's value comes from the caller's alpha (an attribute reference).
ref = helper.make_attribute_ref("value_float", onnx.AttributeProto.FLOAT)
ref.ref_attr_name = "alpha"
del scaled_relu.node[0].attribute[:]
scaled_relu.node[0].attribute.append(ref)

# custom.Block(x, w; alpha) = ScaledRelu(Conv(x, w); alpha) + x   (a nested call)
block = helper.make_function(
    "custom", "Block", ["X", "W"], ["Y"],
    [
        helper.make_node("Conv", ["X", "W"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("ScaledRelu", ["c"], ["r"], domain="custom"),
        helper.make_node("Add", ["r", "X"], ["Y"]),
    ],
    [helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)], attributes=["alpha"])
alpha_ref = helper.make_attribute_ref("alpha", onnx.AttributeProto.FLOAT)
alpha_ref.ref_attr_name = "alpha"
block.node[1].attribute.append(alpha_ref)

inits = [
    numpy_helper.from_array(rng.normal(0, 0.4, (4, 3, 3, 3)).astype(np.float32), "w0"),
    numpy_helper.from_array(rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32), "w1"),
    numpy_helper.from_array(rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32), "w2"),
    numpy_helper.from_array(rng.normal(0, 0.5, (5, 4)).astype(np.float32), "wd"),
]
nodes = [
    helper.make_node("Conv", ["input", "w0"], ["stem"], pads=[1, 1, 1, 1], name="stem"),
    helper.make_node("Block", ["stem", "w1"], ["b1"], domain="custom", name="block1", alpha=0.5),
    helper.make_node("Block", ["b1", "w2"], ["b2"], domain="custom", name="block2", alpha=1.5),
    helper.make_node("GlobalAveragePool", ["b2"], ["pool"], name="pool"),
    helper.make_node("Flatten", ["pool"], ["flat"], name="flat"),
    helper.make_node("Gemm", ["flat", "wd"], ["logits"], transB=1, name="head"),
]
graph = helper.make_graph(nodes, "functions", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 12, 12])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)],
                          functions=[scaled_relu, block], ir_version=8)
onnx.checker.check_model(model)
onnx.save(model, OUT)
# The same model inlined by onnx's own inliner: an independent reference for FeatureVis's inlining.
import onnx.inliner  # noqa: E402
onnx.save(onnx.inliner.inline_local_functions(model), OUT.replace("model.onnx", "inlined-by-onnx.onnx"))
print("wrote", OUT)
