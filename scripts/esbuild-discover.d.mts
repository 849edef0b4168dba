// Types of esbuild-discover.mjs for the unit test that imports it.
export function expandDiscovery(source: string, dir: string): string;
export const discoverPlugin: { name: string; setup(build: unknown): void };
