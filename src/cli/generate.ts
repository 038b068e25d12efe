// `npm run generate -- --patients N --out FILE`: writes the deterministic synthetic population as an NDJSON record file for `npm run import`. https://hl7.org/fhir/uv/bulkdata/STU2/export.html#file-format
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { generatePopulation } from '../kanta/generator.js';

const USAGE = 'usage: npm run generate -- --patients N --out FILE.ndjson [--seed 42] [--as-of YYYY-MM-DD] [--offset 0]';

/** Streams the population to `out`, one FHIR resource per line; memory holds one patient's resources at a time. */
export async function writePopulation(opts: { patients: number; out: string; seed: number; asOf: string; offset?: number }): Promise<number> {
  const out = createWriteStream(opts.out, { encoding: 'utf8' });
  let n = 0;
  for (const batch of generatePopulation({ seed: opts.seed, patients: opts.patients, asOf: opts.asOf, offset: opts.offset })) {
    const text = batch.map((r) => `${JSON.stringify(r)}\n`).join('');
    n += batch.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return n;
}

export async function runGenerate(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  let values: { patients?: string; out?: string; seed?: string; 'as-of'?: string; offset?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { patients: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '42' }, 'as-of': { type: 'string', default: '2025-06-01' }, offset: { type: 'string', default: '0' } } }));
  } catch (err) {
    print(`generate: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const patients = Number(values.patients);
  const seed = Number(values.seed);
  const offset = Number(values.offset);
  if (!values.out || !Number.isInteger(patients) || patients < 1 || !Number.isInteger(seed) || !Number.isInteger(offset) || offset < 0 || !/^\d{4}-\d{2}-\d{2}$/.test(values['as-of'] ?? '')) {
    print(USAGE);
    return 2;
  }
  const t0 = performance.now();
  const n = await writePopulation({ patients, out: resolve(values.out), seed, asOf: values['as-of']!, offset });
  print(`generate: ${n} resources for ${patients} patients (seed ${seed}, as of ${values['as-of']}) written to ${values.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runGenerate(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    console.error(err);
    process.exit(2);
  });
}
