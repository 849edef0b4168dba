/**
 * TensorFlow.js for training the generative inverter (ONNX Runtime cannot train). At run time the native bindings are
 * preferred when the user has installed them next to FeatureVis: @tensorflow/tfjs-node-gpu (CUDA), then
 * @tensorflow/tfjs-node (libtensorflow on the CPU); otherwise the pure-JavaScript @tensorflow/tfjs CPU backend, which
 * is what ships as a dependency and what the tests use. The native packages are never dependencies (they download
 * binaries at install time); they are looked up with require.resolve and loaded only when present. Set
 * FEATUREVIS_TF=pure to force the pure-JS backend.
 */
import type * as TF from '@tensorflow/tfjs';

export type Tf = typeof TF;

export interface LoadedTf {
  tf: Tf;
  /** Which package provided it: '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node' or '@tensorflow/tfjs'. */
  pkg: string;
  backend: string;
  /** Why each native package that was found did not load (empty when none was found or the first one loaded). */
  failed: string[];
}

let cached: Promise<LoadedTf> | undefined;

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

function resolvable(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

export function loadTf(): Promise<LoadedTf> {
  cached ??= (async () => {
    // A computed name keeps bundlers from trying to inline the optional native packages.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native packages resolved at run time
    const load = (name: string): Tf => require(name) as Tf;
    const failed: string[] = [];
    if (process.env.FEATUREVIS_TF !== 'pure') {
      for (const pkg of NATIVE) {
        if (!resolvable(pkg)) continue;
        try {
          const tf = load(pkg);
          await tf.ready();
          return { tf, pkg, backend: tf.getBackend(), failed };
        } catch (e) {
          // A native build that fails to load (wrong CUDA, missing libtensorflow) falls through to the next option;
          // said on stderr (the engine's log, the CLI's terminal) so that a slow pure-JS run is not a mystery.
          const why = `${pkg} is installed but failed to load: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`;
          failed.push(why);
          console.error(`[tf] ${why}; falling back`);
        }
      }
    }
    // The pure package prints an advertisement for tfjs-node when it loads in Node; silence only that.
    const [warn, log] = [console.warn, console.log];
    const quiet = (orig: (...a: unknown[]) => void) => (...a: unknown[]) => {
      if (!String(a[0] ?? '').includes('tfjs-node') && !/^=+$/.test(String(a[0] ?? ''))) orig(...a);
    };
    console.warn = quiet(warn);
    console.log = quiet(log);
    let tf: Tf;
    try {
      // A literal require, so bundlers ship the pure package (the extension's engine bundle needs it).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      tf = require('@tensorflow/tfjs') as Tf;
      await tf.setBackend('cpu');
      await tf.ready();
    } finally {
      console.warn = warn;
      console.log = log;
    }
    if (failed.length) console.error('[tf] training uses pure TensorFlow.js (@tensorflow/tfjs, cpu backend)');
    return { tf, pkg: '@tensorflow/tfjs', backend: tf.getBackend(), failed };
  })();
  return cached;
}
