// Lets a plain `node` child process import the project's TypeScript sources,
// so the namespace test runs the real src/io modules (Node 20 cannot strip
// types and tsx is not a dependency). Usage: node --import ./ts-loader.mjs x.mjs
// Only transpiles (no type check): `npx tsc --noEmit` does that.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

// This file is both the --import entry and the hooks module (which Node
// loads again on its hooks thread).
if (isMainThread) register(import.meta.url);

let ts;

export async function resolve(specifier, context, next) {
  // NodeNext sources write './x.js' for './x.ts'.
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  ts ??= (await import('typescript')).default;
  const file = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
