// Command-line arguments of `npm run conformance -- --base URL [--token T] [--json FILE]`.
import { parseArgs } from 'node:util';

export interface CliArguments {
  base: string;
  token?: string;
  /** Where to write the JSON report; stdout when absent. */
  json?: string;
}

export const Usage = 'usage: npm run conformance -- --base http://host:port/fhir [--token TOKEN] [--json report.json]';

export function parseCliArguments(argv: string[]): CliArguments {
  const { values } = parseArgs({
    args: argv,
    options: { base: { type: 'string' }, token: { type: 'string' }, json: { type: 'string' } },
    strict: true,
  });
  if (!values.base) throw new Error(`--base is required\n${Usage}`);
  return { base: values.base, token: values.token ?? process.env.CONFORMANCE_TOKEN, json: values.json };
}
