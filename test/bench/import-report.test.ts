// The import bench's Markdown (bench/import.ts): one row per pass, issue 16's target on first imports only, and the machine's speed beside the rates.
import { describe, expect, test } from 'vitest';
import { importMarkdown, type ImportBenchResult } from '../../bench/import.js';

const run = (store: 'sqlite' | 'postgres', pass: 'first import' | 're-import (unchanged)', rate: number) => ({
  store, pass, resources: 16_744, seconds: 20, importSeconds: 16_744 / rate, resourcesPerSecond: rate, cpuMsPerResource: 0.87, peakRssMiB: 780, summary: '',
});

describe('import bench report', () => {
  const result: ImportBenchResult = {
    runs: [run('sqlite', 'first import', 1964), run('sqlite', 're-import (unchanged)', 3039), run('postgres', 'first import', 1551)],
    speedMs: { atStart: 97, atEnd: 231 },
  };
  const md = importMarkdown(result, { patients: 1500, seed: 42 });
  const rows = md.split('\n').filter((l) => l.startsWith('| sqlite') || l.startsWith('| postgres'));

  test('each pass is a row; the target stands beside first imports only', () => {
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('| 1964 | 5000 |');
    expect(rows[1]).toContain('| 3039 |  |');
    expect(rows[2]).toContain('| 1551 | 2000 |');
  });

  test('the machine speed measured before and after is printed, so a rate from another day can be scaled', () => {
    expect(md).toContain('Machine speed (bench/machine-speed.ts, lower is faster): 97 ms at start, 231 ms at end.');
  });
});
