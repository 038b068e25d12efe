// Collects the kit's check results and renders them as a human summary plus JSON, ending with `N passed, M failed`.
export type Verdict = 'passed' | 'failed' | 'skipped';

/**
 * What a check rests on: an R4 SHALL (a failure is non-conformance), an R4 SHOULD, or this gateway's own policy
 * (e.g. 410 after delete, `Prefer: handling=strict`, 406 vs 415) where R4 allows other answers.
 */
export type Level = 'SHALL' | 'SHOULD' | 'policy';

export interface CheckResult {
  /** Stable id, e.g. `interaction/Patient/read` or `search/Patient/family`. */
  id: string;
  verdict: Verdict;
  level?: Level;
  message?: string;
}

export interface ConformanceReport {
  base: string;
  results: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
}

/** The levels whose failures fail a run: SHALL always; `--strict` adds SHOULD; `--policy kanta` adds the gateway's. */
export function levelsFor(opts: { strict?: boolean; policy?: boolean }): Level[] {
  return ['SHALL', ...(opts.strict ? (['SHOULD'] as const) : []), ...(opts.policy ? (['policy'] as const) : [])];
}

/** Failures at the given levels (a result without a level is SHALL). */
export function countedFailures(report: ConformanceReport, levels: readonly Level[]): CheckResult[] {
  return report.results.filter((r) => r.verdict === 'failed' && levels.includes(r.level ?? 'SHALL'));
}

/** Thrown inside a check to mark it skipped (not applicable to this server) rather than failed. */
export class SkipCheck extends Error {}

type CheckFn = () => Promise<string | void> | string | void;

/** Runs one check without recording it: it passes unless it throws; a returned string is kept as a note. */
export async function evaluateCheck(id: string, fn: CheckFn, level: Level = 'SHALL'): Promise<CheckResult> {
  try {
    const note = await fn();
    return { id, verdict: 'passed', level, ...(note ? { message: note } : undefined) };
  } catch (err) {
    return { id, verdict: err instanceof SkipCheck ? 'skipped' : 'failed', level, message: (err as Error).message };
  }
}

export interface ReportBuilder {
  /** Runs one check and records it; true when it passed. `level` is what the check rests on (SHALL by default). */
  check(id: string, fn: CheckFn, level?: Level): Promise<boolean>;
  record(result: CheckResult): void;
  finish(base: string): ConformanceReport;
}

export function createReportBuilder(): ReportBuilder {
  const results: CheckResult[] = [];
  return {
    async check(id, fn, level) {
      const result = await evaluateCheck(id, fn, level);
      results.push(result);
      return result.verdict === 'passed';
    },
    record: (r) => results.push(r),
    finish(base) {
      const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
      return { base, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
    },
  };
}

/**
 * The human summary: failures in full with their level, counts per check family, and the final `N passed, M failed`
 * line, where M counts the failures at `levels` (every level by default); the others are listed but not counted.
 */
export function formatSummary(report: ConformanceReport, levels: readonly Level[] = ['SHALL', 'SHOULD', 'policy']): string {
  const lines = [`Conformance kit against ${report.base}`];
  const families = new Map<string, { passed: number; failed: number; skipped: number }>();
  for (const r of report.results) {
    const family = r.id.split('/')[0];
    const f = families.get(family) ?? { passed: 0, failed: 0, skipped: 0 };
    f[r.verdict]++;
    families.set(family, f);
  }
  for (const [family, f] of [...families].sort()) lines.push(`  ${family.padEnd(24)} ${f.passed} passed, ${f.failed} failed, ${f.skipped} skipped`);
  const failures = report.results.filter((r) => r.verdict === 'failed');
  const counted = countedFailures(report, levels);
  if (failures.length) {
    lines.push('', 'FAILURES:');
    for (const r of failures) lines.push(`  FAIL [${r.level ?? 'SHALL'}${counted.includes(r) ? '' : ', not counted'}] ${r.id}: ${r.message ?? ''}`);
  }
  const skipped = report.results.filter((r) => r.verdict === 'skipped');
  if (skipped.length) {
    lines.push('', 'SKIPPED (with reason):');
    for (const r of skipped.slice(0, 50)) lines.push(`  SKIP ${r.id}: ${r.message ?? ''}`);
    if (skipped.length > 50) lines.push(`  ... and ${skipped.length - 50} more (see --json)`);
  }
  const uncounted = failures.length - counted.length;
  lines.push(
    '',
    `${report.skipped} skipped (not applicable or not checkable on this server)`,
    ...(uncounted ? [`${uncounted} failure(s) at levels not judged in this run (${levels.join(', ')} judged; --strict adds SHOULD, --policy kanta the gateway's policy)`] : []),
    `${report.passed} passed, ${counted.length} failed`,
  );
  return lines.join('\n');
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
