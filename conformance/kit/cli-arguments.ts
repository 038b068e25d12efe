// Command-line arguments of `npm run conformance -- --base URL [--token T] [--json FILE]`.
import { parseArgs } from 'node:util';

export interface CliArguments {
  base: string;
  token?: string;
  /** Where to write the JSON report; none when absent (the readable summary goes to stdout either way). */
  json?: string;
  /** R4 SHOULD failures fail the run too. */
  strict: boolean;
  /** The named gateway policy's failures fail the run too (only `kanta`). */
  policy?: 'kanta';
}

export const Usage =
  'usage: CONFORMANCE_TOKEN=... npm run conformance -- --base http://host:port/fhir [--strict] [--policy kanta] [--json report.json]  (--token T also works, but npm echoes arguments into logs)';

export function parseCliArguments(argv: string[]): CliArguments {
  const { values } = parseArgs({
    args: argv,
    options: { base: { type: 'string' }, token: { type: 'string' }, json: { type: 'string' }, strict: { type: 'boolean' }, policy: { type: 'string' } },
    strict: true,
  });
  if (!values.base) throw new Error(`--base is required\n${Usage}`);
  if (values.policy !== undefined && values.policy !== 'kanta') throw new Error(`--policy knows only 'kanta', not '${values.policy}'\n${Usage}`);
  return { base: values.base, token: values.token ?? process.env.CONFORMANCE_TOKEN, json: values.json, strict: values.strict === true, policy: values.policy as 'kanta' | undefined };
}
