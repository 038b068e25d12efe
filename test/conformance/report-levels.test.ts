// The kit's verdict by level: only SHALL failures fail by default; --strict adds SHOULD, --policy kanta the gateway's policy.
import { describe, expect, test } from 'vitest';
import { parseCliArguments } from '../../conformance/kit/cli-arguments.js';
import { countedFailures, formatSummary, levelsFor, type ConformanceReport } from '../../conformance/kit/report.js';

const report: ConformanceReport = {
  base: 'http://x/fhir',
  results: [
    { id: 'interaction/Patient/read', verdict: 'passed', level: 'SHALL' },
    { id: 'formats/xml-accept-refused', verdict: 'failed', level: 'policy', message: 'answered 415' },
    { id: 'formats/something', verdict: 'failed', level: 'SHOULD', message: 'answered 400' },
    { id: 'search/Patient/family', verdict: 'skipped', level: 'SHALL', message: 'accepted, but no sample resource has a value for it: matching is untested' },
  ],
  passed: 1,
  failed: 2,
  skipped: 1,
};

describe('conformance kit levels', () => {
  test('default judges SHALL only; --strict adds SHOULD; --policy kanta adds policy', () => {
    expect(countedFailures(report, levelsFor({}))).toHaveLength(0);
    expect(countedFailures(report, levelsFor({ strict: true })).map((r) => r.id)).toEqual(['formats/something']);
    expect(countedFailures(report, levelsFor({ strict: true, policy: true }))).toHaveLength(2);
  });

  test('the summary lists every failure with its level, skipped checks with their reason, and counts only judged failures', () => {
    const text = formatSummary(report, levelsFor({}));
    expect(text).toMatch(/FAIL \[policy, not counted\] formats\/xml-accept-refused: answered 415/);
    expect(text).toMatch(/SKIP search\/Patient\/family: accepted, but no sample/);
    expect(text.split('\n').at(-1)).toBe('1 passed, 0 failed');
    expect(formatSummary(report, levelsFor({ strict: true, policy: true })).split('\n').at(-1)).toBe('1 passed, 2 failed');
  });

  test('the CLI reads --strict, --policy kanta and the token from CONFORMANCE_TOKEN; an unknown policy is refused', () => {
    process.env.CONFORMANCE_TOKEN = 'secret-from-env';
    try {
      const args = parseCliArguments(['--base', 'http://x/fhir', '--strict', '--policy', 'kanta']);
      expect(args).toMatchObject({ base: 'http://x/fhir', strict: true, policy: 'kanta', token: 'secret-from-env' });
      expect(() => parseCliArguments(['--base', 'http://x/fhir', '--policy', 'other'])).toThrow(/--policy knows only 'kanta'/);
    } finally {
      delete process.env.CONFORMANCE_TOKEN;
    }
  });
});
