/**
 * `npm run test:zoo`: architectures exported to ONNX by several exporters (random seeded weights), explained by
 * the engine and compared with float64 references from the exporting framework: tools/zoo.py (PyTorch:
 * TorchScript and torch.export/dynamo exporters), tools/zoo_keras.py (Keras 3 via tf2onnx, GradientTape) and
 * tools/zoo_jax.py (Flax via jax2onnx, jax.grad). Environment:
 *   ZOO_ARCH      comma list (default all, see ARCHS below)     ZOO_EXPORTER  comma list (default: each arch's own)
 *   ZOO_OPSET     comma list overriding every exporter's default opsets
 *   ZOO_SIZE      input size for tools/zoo.py (default: each architecture's own)
 *   ZOO_DIR       case cache (default .cache/zoo; a case is exported once, when its cases.json is missing)
 *   FEATUREVIS_VENVS  the venvs made by scripts/zoo-setup.sh (default ~/.cache/featurevis/venvs)
 *   FEATUREVIS_PYTHON a Python with torch + torchvision, instead of the `torch` venv
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { relativeError, targetOf, type Fixture, type FixtureCase } from '../unit/helpers';

const ROOT = path.join(__dirname, '..', '..');
const TORCH = ['torchscript', 'dynamo'];
/** arch → its exporters; the PyTorch ones come from tools/zoo_archs.py. */
const ARCHS: Record<string, string[]> = Object.fromEntries([
  ...['alexnet', 'vgg16', 'googlenet', 'resnet18', 'resnet50', 'resnet101', 'densenet121', 'mobilenet_v2',
    'mobilenet_v3_small', 'efficientnet_b0', 'squeezenet1_0', 'shufflenet_v2_x1_0',
    'vit_mini', 'swin_mini', 'swin_v2_mini', 'maxvit_mini', 'convnext_mini', 'regnet_y_400mf', 'efficientnet_v2_s',
    'mnasnet0_5', 'resnext50_32x4d', 'wide_resnet50_2', 'inception_v3', 'mobilenet_v3_large', 'fcn_resnet50',
    'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large', 'r3d_18', 'mc3_18', 'r2plus1d_18', 'audio_cnn',
  ].map((a) => [a, TORCH]),
  ['resnet18', [...TORCH, 'dynamo-dynamic']], // one model with dynamic batch/H/W
  ['keras_cnn', ['tf2onnx']],
  ['flax_cnn', ['jax2onnx']],
]);
const DEFAULT_OPSETS: Record<string, string[]> = {
  torchscript: ['13', '17'], dynamo: ['18'], 'dynamo-dynamic': ['18'], tf2onnx: ['13', '17'], jax2onnx: ['18', '23'],
};
/** Where an architecture needs other opsets: nn.MultiheadAttention exports via scaled_dot_product_attention (opset 14+). */
const ARCH_OPSETS: Record<string, Record<string, string[]>> = { vit_mini: { torchscript: ['17'] } };
/** exporter → [venv, script] */
const TOOL: Record<string, [string, string]> = {
  torchscript: ['torch', 'zoo.py'], dynamo: ['torch', 'zoo.py'], 'dynamo-dynamic': ['torch', 'zoo.py'],
  tf2onnx: ['tf', 'zoo_keras.py'], jax2onnx: ['jax', 'zoo_jax.py'],
};

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const archs = list(process.env.ZOO_ARCH) ?? Object.keys(ARCHS);
const exporterFilter = list(process.env.ZOO_EXPORTER);
const opsetOverride = list(process.env.ZOO_OPSET);
const dir = path.resolve(process.env.ZOO_DIR ?? path.join(ROOT, '.cache', 'zoo'));
const venvs = process.env.FEATUREVIS_VENVS ?? path.join(os.homedir(), '.cache', 'featurevis', 'venvs');

function pythonFor(exporter: string): string {
  const [venv] = TOOL[exporter];
  if (venv === 'torch' && process.env.FEATUREVIS_PYTHON) return process.env.FEATUREVIS_PYTHON;
  const py = path.join(venvs, venv, 'bin', 'python');
  if (!fs.existsSync(py)) throw new Error(`no ${venv} venv at ${py}: run \`bash scripts/zoo-setup.sh ${venv}\` (or set FEATUREVIS_VENVS)`);
  return py;
}

const engine = new Engine({ threads: 2 });
after(() => engine.dispose());

/** The (exporter, opset) cases the run wants for an architecture. */
function casesOf(arch: string): [string, string][] {
  const exporters = ARCHS[arch];
  // dynamo-dynamic (dynamic batch/H/W) runs by default on resnet18 only, elsewhere when ZOO_EXPORTER asks for it
  const available = exporters.includes('dynamo') && !exporters.includes('dynamo-dynamic') ? [...exporters, 'dynamo-dynamic'] : exporters;
  const chosen = exporterFilter ? available.filter((e) => exporterFilter.includes(e)) : exporters;
  return chosen.flatMap((e) => (opsetOverride ?? ARCH_OPSETS[arch]?.[e] ?? DEFAULT_OPSETS[e]).map((o): [string, string] => [e, o]));
}

const caseDirOf = (arch: string, exporter: string, opset: string) => path.join(dir, `${arch}-${exporter}-op${opset}`);

/** Exports every missing case of `arch` made by the same tool in one run (one reference computation). */
function ensureExported(arch: string, exporter: string, opset: string): string {
  const caseDir = caseDirOf(arch, exporter, opset);
  if (!fs.existsSync(path.join(caseDir, 'cases.json'))) {
    const python = pythonFor(exporter);
    const tool = TOOL[exporter][1];
    const missing = casesOf(arch).filter(([e, o]) => TOOL[e][1] === tool && !fs.existsSync(path.join(caseDirOf(arch, e, o), 'cases.json')));
    const args = [path.join(ROOT, 'tools', tool), '--out', dir, '--arch', arch];
    if (tool === 'zoo.py') {
      args.push('--cases', missing.map(([e, o]) => `${e}:${o}`).join(','));
      if (process.env.ZOO_SIZE) args.push('--size', process.env.ZOO_SIZE);
    } else {
      args.push('--opset', missing.map(([, o]) => o).join(','));
    }
    const r = spawnSync(python, args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
    if (r.status !== 0 || !fs.existsSync(path.join(caseDir, 'cases.json'))) {
      const log = (r.stderr || r.stdout || String(r.error)).split('\n').filter((l) => !/warn/i.test(l)).join('\n');
      throw new Error(`export failed: ${python} ${args.join(' ')}\n${log.slice(-2500)}`);
    }
  }
  return caseDir;
}

/**
 * Tolerance (relative L2): max(1e-3, 4 × the framework's own float32-vs-float64 disagreement on this model and
 * input). The engine runs float32, and where a float32 forward pass flips ReLU masks or max-pool winners near a tie
 * (deep random nets) a map moves by the same order as the framework's float32 map does; rule bugs give errors of
 * order 1. One float32 run is one sample of rounding, so tools/zoo.py also records the worst disagreement over a
 * few rounding-level perturbations of the input (f32_rel_l2_perturbed), and the larger of the two counts.
 */
export function tolerance(c: { f32_rel_l2?: number; f32_rel_l2_perturbed?: number }): number {
  return Math.max(1e-3, 4 * Math.max(c.f32_rel_l2 ?? 0, c.f32_rel_l2_perturbed ?? 0));
}

for (const arch of archs) {
  const exporters = ARCHS[arch];
  if (!exporters) {
    test(`${arch}`, () => assert.fail(`ZOO_ARCH names unknown architecture '${arch}'; known: ${Object.keys(ARCHS).join(', ')}`));
    continue;
  }
  for (const [exporter, opset] of casesOf(arch)) {
    test(`${arch} ${exporter} opset ${opset}`, async (t) => {
      const caseDir = ensureExported(arch, exporter, opset);
      const spec = JSON.parse(fs.readFileSync(path.join(caseDir, 'cases.json'), 'utf8'));
      const fx: Fixture = { name: arch, dir: caseDir, model: path.join(caseDir, spec.model), input: readNpy(path.join(caseDir, spec.input)), cases: spec.cases, tensors: spec.tensors ?? {} };
      const model = engine.open(fx.model);
      try {
        for (const c of fx.cases as (FixtureCase & { f32_rel_l2?: number; f32_rel_l2_perturbed?: number })[]) {
          await t.test(`${c.method} ${JSON.stringify(c.params)}`, async () => {
            const r = await engine.explain({ model, input: fx.input, method: c.method, params: c.params, target: targetOf(fx, c) });
            const ref = readNpy(path.join(caseDir, c.ref));
            assert.deepEqual(r.relevance.dims, ref.dims, `${arch} ${exporter} op${opset} ${c.method}: relevance shape`);
            const err = relativeError(r.relevance.data, ref.data);
            const tol = tolerance(c);
            assert.ok(err <= tol, `${arch} ${exporter} op${opset} ${c.method}: relative L2 error ${err.toExponential(2)} > ${tol.toExponential(1)} (framework f32 vs f64: ${c.f32_rel_l2}, perturbed ${c.f32_rel_l2_perturbed}; case ${caseDir})`);
          });
        }
      } finally {
        await engine.close(fx.model);
      }
    });
  }
}
