// Proves that the package never blocks the event loop: a 10 ms timer keeps firing while a load
// of 50,000 rows runs (every component call runs in the worker thread). Prints one JSON line:
// the timer's ticks and its largest gap during the load, and, as a control that the gap is
// measured at all, during a 300 ms block of this thread.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sfbulk } from 'sfbulk';

const dir = process.argv[2] ?? '.';
const sf = new Sfbulk({ apiVersion: '62.0', apiUrl: process.env.SF_API_URL ?? '', accessToken: process.env.SF_ACCESS_TOKEN ?? '' });

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ticks: number; maxGapMs: number; ms: number }> {
  let ticks = 0;
  let maxGapMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks += 1;
  }, 10);
  const start = performance.now();
  // Let the timer start before the work does.
  await new Promise((r) => setTimeout(r, 50));
  const value = await work();
  await new Promise((r) => setTimeout(r, 50));
  clearInterval(timer);
  return { value, ticks, maxGapMs: Math.round(maxGapMs), ms: Math.round(performance.now() - start) };
}

let csv = 'FirstName,LastName\n';
for (let i = 0; i < 50_000; i++) csv += `First ${i},Last ${i}\n`;
const file = join(dir, 'nonblocking.csv');
writeFileSync(file, csv);

const load = await timed(() => sf.load({ object: 'Contact', file, results: join(dir, 'nonblocking.results.csv') }));
const control = await timed(async () => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
});
await sf.close();
console.log(JSON.stringify({ load: { ...load, value: load.value }, control: { ticks: control.ticks, maxGapMs: control.maxGapMs, ms: control.ms } }));
