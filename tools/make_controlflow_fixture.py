#!/usr/bin/env python3
"""Writes test/fixtures/controlflow/{if,loop}.onnx: conv nets with an If / a Loop on the path from input to logits
(their bodies read the outer activation implicitly). FeatureVis has no backward rule for control flow; these check
that the error names the op and node instead of silently skipping the body. Needs onnx and numpy."""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "controlflow")
rng = np.random.default_rng(0)
F = TensorProto.FLOAT


def net(middle_nodes, name, extra=()):
    inits = [*extra, numpy_helper.from_array(rng.normal(0, 0.4, (4, 3, 3, 3)).astype(np.float32), "w0"),
             numpy_helper.from_array(rng.normal(0, 0.5, (5, 4)).astype(np.float32), "wd")]
    nodes = [helper.make_node("Conv", ["input", "w0"], ["c"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             *middle_nodes,
             helper.make_node("GlobalAveragePool", ["m"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "wd"], ["logits"], transB=1, name="head")]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", F, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("logits", F, [1, 5])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, f"{name}.onnx"))


# If: the branches read the outer 'r' (an implicit input).
then_g = helper.make_graph([helper.make_node("Add", ["r", "r"], ["t"])], "then", [], [helper.make_tensor_value_info("t", F, None)])
else_g = helper.make_graph([helper.make_node("Neg", ["r"], ["e"])], "else", [], [helper.make_tensor_value_info("e", F, None)])
net([helper.make_node("ReduceSum", ["r"], ["s"], keepdims=0, name="sum"),
     helper.make_node("Greater", ["s", "zero"], ["cond"], name="greater"),
     helper.make_node("If", ["cond"], ["m"], then_branch=then_g, else_branch=else_g, name="branch")], "if",
    [numpy_helper.from_array(np.zeros((), np.float32), "zero")])

# Loop: two iterations of v = v * 0.5 + r (reads the outer 'r').
body = helper.make_graph(
    [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
     helper.make_node("Mul", ["v_in", "half"], ["h"]),
     helper.make_node("Add", ["h", "r"], ["v_out"])],
    "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
             helper.make_tensor_value_info("v_in", F, None)],
    [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", F, None)],
    [numpy_helper.from_array(np.array(0.5, np.float32), "half")])
net([helper.make_node("Loop", ["trips", "", "r"], ["m"], body=body, name="loop")], "loop",
    [numpy_helper.from_array(np.array(2, np.int64), "trips")])
print("wrote", OUT)
