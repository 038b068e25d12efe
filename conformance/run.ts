// `npm run conformance -- --base URL [--strict] [--policy kanta] [--json FILE]`: runs the black-box conformance kit; exits non-zero on a failure at a judged level.
import { writeFileSync } from 'node:fs';
import { parseCliArguments } from './kit/cli-arguments.js';
import { countedFailures, formatSummary, levelsFor } from './kit/report.js';
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
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  const levels = levelsFor({ strict: args.strict, policy: args.policy === 'kanta' });
  process.stdout.write(`${formatSummary(report, levels)}\n`);
  return countedFailures(report, levels).length === 0 && report.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`conformance kit crashed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
