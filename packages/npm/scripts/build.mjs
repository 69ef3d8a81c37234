// Builds the package: the shipped component transpiled by jco into dist/component/, the
// TypeScript types and the runtime schema generated from the WIT into src/gen/, then tsc.
//
//   npm run build        (npm pack runs it too)
//
// The WASI shim is @bytecodealliance/preview2-shim (pinned by package-lock.json), copied into
// dist/shim/ (the package has no runtime dependencies) with one change: a request body's buffer
// holds 1 MiB instead of Node's default 16 KiB, so that a body of up to 512 KiB is written before
// the request is handed over, as under wasmtime (docs/toolchain.md G7). The component no longer
// needs it to be correct: with the stock buffer it writes what fits (~32 KiB), sends, and streams
// the rest (`js/drive.mjs` checks that with the stock shim). The transpiled component imports the copy.
//
// SFBULK_WASM (default ../../target/guest/sfbulk.wasm, made by `cargo build --workspace`) and
// SFBULK_WIT (default ../../wit/world.wit) name the component and its interface.

import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen-ts.mjs';
import { parseWit } from './wit.mjs';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasm = resolve(pkg, process.env.SFBULK_WASM ?? '../../target/guest/sfbulk.wasm');
const wit = resolve(pkg, process.env.SFBULK_WIT ?? '../../wit/world.wit');
for (const [what, path, how] of [
  ['component', wasm, 'cargo build --workspace makes it, or set SFBULK_WASM'],
  ['wit', wit, 'set SFBULK_WIT'],
]) {
  if (!existsSync(path)) {
    console.error(`build: expected the ${what} at ${path}, found nothing (${how})`);
    process.exit(1);
  }
}

const node = process.execPath;
function run(what, args) {
  try {
    execFileSync(node, args, { stdio: 'inherit' });
  } catch {
    console.error(`build: ${what} failed (its output is above)`);
    process.exit(1);
  }
}
const bin = (p) => join(pkg, 'node_modules', p);
rmSync(join(pkg, 'dist'), { recursive: true, force: true });
rmSync(join(pkg, 'src/gen'), { recursive: true, force: true });

generate(parseWit(readFileSync(wit, 'utf8')), join(pkg, 'src/gen'));
run(
  'jco transpile',
  [bin('@bytecodealliance/jco/dist/jco.js'), 'transpile', wasm, '-o', join(pkg, 'dist/component'), '--no-typescript', '--quiet'],
);
vendorShim();
run('tsc', [bin('typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.json')]);
function vendorShim() {
  const from = bin('@bytecodealliance/preview2-shim');
  const to = join(pkg, 'dist/shim');
  cpSync(join(from, 'dist'), to, {
    recursive: true,
    filter: (src) => !src.includes('/dist/browser') && !src.endsWith('.d.ts'),
  });
  copyFileSync(join(from, 'LICENSE'), join(to, 'LICENSE'));
  const version = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')).version;
  writeFileSync(join(to, 'VERSION'), `@bytecodealliance/preview2-shim ${version}, request body buffer 1 MiB (scripts/build.mjs)\n`);
  const patch = (file, before, after) => {
    const path = join(to, file);
    const text = readFileSync(path, 'utf8');
    const count = text.split(before).length - 1;
    if (count !== 1) {
      console.error(`build: expected ${JSON.stringify(before)} once in preview2-shim's ${file}, found it ${count} times`);
      process.exit(1);
    }
    writeFileSync(path, text.replace(before, after));
  };
  patch(
    'io/worker-thread.bundle.js',
    'case OUTPUT_STREAM_CREATE | HTTP: {\n\t\t\tconst stream = new PassThrough();',
    'case OUTPUT_STREAM_CREATE | HTTP: {\n\t\t\tconst stream = new PassThrough({ highWaterMark: 1 << 20 });',
  );
  // The component imports the copy.
  const component = join(pkg, 'dist/component/sfbulk.js');
  const js = readFileSync(component, 'utf8');
  const rewritten = js.replace(/(['"])@bytecodealliance\/preview2-shim\/([a-z-]+)\1/g, (_, q, name) => `${q}../shim/nodejs/${name}.js${q}`);
  if (rewritten === js || rewritten.includes('@bytecodealliance/preview2-shim')) {
    console.error('build: expected the transpiled component to import @bytecodealliance/preview2-shim/<name> only');
    process.exit(1);
  }
  writeFileSync(component, rewritten);
}

mkdirSync(join(pkg, 'dist/wit'), { recursive: true });
copyFileSync(wit, join(pkg, 'dist/wit/world.wit'));
console.error(`build: dist/ from ${wasm} and ${wit}`);
