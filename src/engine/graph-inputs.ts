/**
 * Graph inputs of a compiled explanation besides the model input: declared by whoever emits the node that reads
 * them (the target weighting by the compiler, ε by the ε-rule, the zB box by the zB rule, …) together with how to
 * fill them, so every caller feeds a compiled graph with one `feeds(values)`.
 */
import type { TensorData } from '../protocol/types';
import { FeatureVisError, paramError } from './errors';

/** What feeding a compiled graph may draw on. */
export interface FeedValues {
  /** The method's validated parameters; live ones are read here, so changing them never recompiles. */
  params: Readonly<Record<string, unknown>>;
  /** The target weighting (zeros when absent). */
  weights?: TensorData;
  /** 2-D targets: also explain each item's arg-max class (the in-graph top class). */
  top?: boolean;
  /** Spatial class targets: the class selection and the region mask (see dense-targets.ts). */
  dense?: { select: TensorData; region: TensorData };
  /** Pixel 0 and pixel 1 through the model's normalisation, per channel (the zB rule's default box). */
  pixelBounds?: { low: number[]; high: number[] };
}

export interface GraphInput {
  name: string;
  shape: number[];
  bind(values: FeedValues): Float32Array;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The declared inputs of one compilation, by name; declaring a name twice returns the first declaration's name. */
export class GraphInputs {
  private readonly byName = new Map<string, GraphInput>();

  constructor(private readonly addInput: (name: string, shape: number[]) => string) {}

  declare(input: GraphInput): string {
    if (!this.byName.has(input.name)) {
      this.byName.set(input.name, input);
      this.addInput(input.name, input.shape);
    }
    return input.name;
  }

  /** A scalar fed from the method's live parameter `param`. */
  live(param: string): string {
    return this.declare({
      name: `fv_${param}`, shape: [],
      bind: ({ params }) => {
        const v = params[param];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw paramError(param, 'must be set: a rule of this method reads it');
        return Float32Array.of(v);
      },
    });
  }

  all(): GraphInput[] {
    return [...this.byName.values()];
  }
}

/** Fills every declared input (the model input is the caller's). */
export function feeds(inputs: readonly GraphInput[], values: FeedValues): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const i of inputs) {
    const data = i.bind(values);
    if (data.length !== size(i.shape)) {
      throw new FeatureVisError('Internal', `graph input ${i.name} got ${data.length} values for shape [${i.shape.join(', ')}]`);
    }
    out.set(i.name, { data, dims: i.shape });
  }
  return out;
}

/** A fixed-size tensor input filled from `pick` (zeros when it gives nothing). */
export function tensorInput(name: string, shape: number[], pick: (v: FeedValues) => TensorData | undefined): GraphInput {
  return { name, shape, bind: (v) => pick(v)?.data ?? new Float32Array(size(shape)) };
}
