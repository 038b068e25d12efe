// `npm run conformance -- --base URL [--token T] [--json FILE]`: runs the black-box conformance kit and exits non-zero on any failure.
import { writeFileSync } from 'node:fs';
import { parseCliArguments } from './kit/cli-arguments.js';
import { formatSummary } from './kit/report.js';
import { runConformance } from './kit/run-conformance.js';

async function main(): Promise<number> {
  let args;
  try {
    args = parseCliArguments(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const report = await runConformance({ base: args.base, token: args.token, log: (line) => process.stderr.write(`${line}\n`) });
  const json = JSON.stringify(report, null, 2);
  if (args.json) writeFileSync(args.json, `${json}\n`);
  else process.stdout.write(`${json}\n`);
  process.stdout.write(`${formatSummary(report)}\n`);
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`conformance kit crashed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
