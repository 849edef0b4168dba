"""Small ONNX clean-up shared by the export scripts in tools/.

fold_constant_subgraphs(model): evaluate every node whose inputs are all constant (initializers or Constant
outputs) with onnx's reference evaluator and replace it by an initializer. The TorchScript exporter leaves
each static padding (F.pad / ZeroPad2d) as a Constant->ConstantOfShape->Concat->Reshape->Slice(step -1)->
Transpose->Reshape->Cast chain feeding Pad (it cannot fold a negative-step Slice) and copies BatchNorm
statistics through Identity nodes; after this pass every Pad has a plain int64 `pads` initializer and no
Constant/Identity-of-constant node is left.
"""
import numpy as np


def fold_constant_subgraphs(model):
    import onnx
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    g = model.graph
    const = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    graph_inputs = {i.name for i in g.input}
    keep = []
    folded = 0
    for node in g.node:
        ins = [i for i in node.input if i]
        foldable = node.op_type == "Constant" or (
            ins and all(i in const and i not in graph_inputs for i in ins)
            and node.op_type not in ("Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization"))
        if not foldable:
            keep.append(node)
            continue
        inputs = [helper.make_tensor_value_info(i, 0, None) for i in ins]
        outs = [helper.make_tensor_value_info(o, 0, None) for o in node.output]
        ref = ReferenceEvaluator(helper.make_model(
            helper.make_graph([node], "fold", inputs, outs), opset_imports=model.opset_import))
        res = ref.run(None, {i: const[i] for i in ins})
        for o, v in zip(node.output, res):
            const[o] = np.asarray(v)
        folded += 1
    used = {i for n in keep for i in n.input} | {o.name for o in g.output}
    old = {i.name for i in g.initializer}
    new_inits = [numpy_helper.from_array(np.asarray(const[name]), name) for name in sorted(used)
                 if name in const and name not in old]
    kept_inits = [i for i in g.initializer if i.name in used]
    del g.node[:]
    g.node.extend(keep)
    del g.initializer[:]
    g.initializer.extend(kept_inits + new_inits)
    # graph outputs that became constants cannot happen for our models (outputs depend on the input)
    onnx.checker.check_model(model)
    return folded
