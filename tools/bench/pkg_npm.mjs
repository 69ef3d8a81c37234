// The npm package (packages/npm) in tools/bench/v2.sh's workloads, run from a project that
// installed its packed tarball (the test's target/tmp/packages/npm-user, or PKG_NPM_DIR):
//   node pkg_npm.mjs --dir PROJECT --base URL --scenario bench-ingest --file IN.csv --out DIR
//     sf.load({ object: 'Account', file, results: DIR/results.csv }) (Bulk API 2.0, joined)
//   node pkg_npm.mjs --dir PROJECT --base URL --scenario bench-query --soql SOQL --out FILE
//     sf.query(soql, FILE) (pages of 100,000)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const entry = join(arg('dir'), 'node_modules/sfbulk/dist/index.js');
const { Sfbulk } = await import(pathToFileURL(entry).href);
const sf = new Sfbulk({ apiVersion: '62.0', apiUrl: arg('base'), accessToken: '00DFAKE!SESSIONTOKEN' });
if (arg('scenario') === 'bench-ingest') {
  const s = await sf.load({ object: 'Account', file: arg('file'), results: join(arg('out'), 'results.csv') });
  console.log(JSON.stringify(s));
} else {
  console.log(JSON.stringify(await sf.query(arg('soql'), arg('out'))));
}
await sf.close();
