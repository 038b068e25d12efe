// Collects the kit's check results and renders them as a human summary plus JSON, ending with `N passed, M failed`.
export type Verdict = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  /** Stable id, e.g. `interaction/Patient/read` or `search/Patient/family`. */
  id: string;
  verdict: Verdict;
  message?: string;
}

export interface ConformanceReport {
  base: string;
  results: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
}

/** Thrown inside a check to mark it skipped (not applicable to this server) rather than failed. */
export class SkipCheck extends Error {}

type CheckFn = () => Promise<string | void> | string | void;

/** Runs one check without recording it: it passes unless it throws; a returned string is kept as a note. */
export async function evaluateCheck(id: string, fn: CheckFn): Promise<CheckResult> {
  try {
    const note = await fn();
    return { id, verdict: 'passed', ...(note ? { message: note } : undefined) };
  } catch (err) {
    return { id, verdict: err instanceof SkipCheck ? 'skipped' : 'failed', message: (err as Error).message };
  }
}

export interface ReportBuilder {
  /** Runs one check and records it; true when it passed. */
  check(id: string, fn: CheckFn): Promise<boolean>;
  record(result: CheckResult): void;
  finish(base: string): ConformanceReport;
}

export function createReportBuilder(): ReportBuilder {
  const results: CheckResult[] = [];
  return {
    async check(id, fn) {
      const result = await evaluateCheck(id, fn);
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

/** The human summary: failures in full, counts per check family, and the final `N passed, M failed` line. */
export function formatSummary(report: ConformanceReport): string {
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
  if (failures.length) {
    lines.push('', 'FAILURES:');
    for (const r of failures) lines.push(`  FAIL ${r.id}: ${r.message ?? ''}`);
  }
  lines.push('', `${report.skipped} skipped (not applicable or not checkable on this server)`, `${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
