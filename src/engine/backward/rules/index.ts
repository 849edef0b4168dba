/**
 * Every backward rule, one per ONNX op type (file name = op type; elementwise unary ops are lines of unary-table.ts).
 * Adding an op: one file, one line here.
 */
import type { OpRule } from '../types';
import { rule as Add } from './Add';
import { rule as AveragePool } from './AveragePool';
import { rule as BatchNormalization } from './BatchNormalization';
import { rule as Cast } from './Cast';
import { rule as Clip } from './Clip';
import { rule as Concat } from './Concat';
import { rule as Conv } from './Conv';
import { rule as ConvTranspose } from './ConvTranspose';
import { rule as DepthToSpace } from './DepthToSpace';
import { rule as Div } from './Div';
import { rule as Dropout } from './Dropout';
import { rule as Einsum } from './Einsum';
import { rule as Expand } from './Expand';
import { rule as Flatten } from './Flatten';
import { rule as Gather } from './Gather';
import { rule as GatherElements } from './GatherElements';
import { rule as GatherND } from './GatherND';
import { rule as Gemm } from './Gemm';
import { rule as GlobalAveragePool } from './GlobalAveragePool';
import { rule as GlobalMaxPool } from './GlobalMaxPool';
import { rule as GroupNormalization } from './GroupNormalization';
import { rule as HardSwish } from './HardSwish';
import { rule as Identity } from './Identity';
import { rule as InstanceNormalization } from './InstanceNormalization';
import { rule as LRN } from './LRN';
import { rule as LayerNormalization } from './LayerNormalization';
import { rule as LeakyRelu } from './LeakyRelu';
import { rule as LogSoftmax } from './LogSoftmax';
import { rule as MatMul } from './MatMul';
import { rule as Max } from './Max';
import { rule as MaxPool } from './MaxPool';
import { rule as Mean } from './Mean';
import { rule as Min } from './Min';
import { rule as Mul } from './Mul';
import { rule as PRelu } from './PRelu';
import { rule as Pad } from './Pad';
import { rule as Pow } from './Pow';
import { rule as ReduceL2 } from './ReduceL2';
import { rule as ReduceLogSumExp } from './ReduceLogSumExp';
import { rule as ReduceMax } from './ReduceMax';
import { rule as ReduceMean } from './ReduceMean';
import { rule as ReduceMin } from './ReduceMin';
import { rule as ReduceSum } from './ReduceSum';
import { rule as ReduceSumSquare } from './ReduceSumSquare';
import { rule as Relu } from './Relu';
import { rule as Reshape } from './Reshape';
import { rule as Resize } from './Resize';
import { rule as Slice } from './Slice';
import { rule as Softmax } from './Softmax';
import { rule as SpaceToDepth } from './SpaceToDepth';
import { rule as Split } from './Split';
import { rule as Squeeze } from './Squeeze';
import { rule as Sub } from './Sub';
import { rule as Sum } from './Sum';
import { rule as Tile } from './Tile';
import { rule as Transpose } from './Transpose';
import { rule as Unsqueeze } from './Unsqueeze';
import { rule as Where } from './Where';
import { UNARY_RULES } from './unary-table';

export const ALL_RULES: readonly OpRule[] = [
  Add,
  AveragePool,
  BatchNormalization,
  Cast,
  Clip,
  Concat,
  Conv,
  ConvTranspose,
  DepthToSpace,
  Div,
  Dropout,
  Einsum,
  Expand,
  Flatten,
  Gather,
  GatherElements,
  GatherND,
  Gemm,
  GlobalAveragePool,
  GlobalMaxPool,
  GroupNormalization,
  HardSwish,
  Identity,
  InstanceNormalization,
  LRN,
  LayerNormalization,
  LeakyRelu,
  LogSoftmax,
  MatMul,
  Max,
  MaxPool,
  Mean,
  Min,
  Mul,
  PRelu,
  Pad,
  Pow,
  ReduceL2,
  ReduceLogSumExp,
  ReduceMax,
  ReduceMean,
  ReduceMin,
  ReduceSum,
  ReduceSumSquare,
  Relu,
  Reshape,
  Resize,
  Slice,
  Softmax,
  SpaceToDepth,
  Split,
  Squeeze,
  Sub,
  Sum,
  Tile,
  Transpose,
  Unsqueeze,
  Where,
  ...UNARY_RULES,
];
