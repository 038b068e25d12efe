// Loading conformance resources from the repo directories.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConformanceResources } from './load-profiles.js';

function tempTree(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kgw-conformance-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

describe('loadConformanceResources', () => {
  test('groups resources by type, unpacks Bundles, recurses, and skips examples and missing directories', () => {
    const dir = tempTree({
      'a.json': { resourceType: 'StructureDefinition', url: 'https://x/sd' },
      'sub/b.json': { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'ValueSet', url: 'https://x/vs' } }, { resource: { resourceType: 'CodeSystem', url: 'https://x/cs' } }] },
      'sub/c.json': { resourceType: 'SearchParameter', url: 'https://x/sp' },
      'examples/patient.valid.json': { resourceType: 'StructureDefinition', url: 'https://x/not-loaded' },
      'notes.txt': 'not json',
    });
    const result = loadConformanceResources([dir, join(dir, 'does-not-exist')]);
    expect(result.structureDefinitions.map((r) => r.url)).toEqual(['https://x/sd']);
    expect(result.valueSets.map((r) => r.url)).toEqual(['https://x/vs']);
    expect(result.codeSystems.map((r) => r.url)).toEqual(['https://x/cs']);
    expect(result.searchParameters.map((r) => r.url)).toEqual(['https://x/sp']);
    expect(result.conceptMaps).toEqual([]);
    expect(result.operationDefinitions).toEqual([]);
  });

  test('malformed JSON stops loading and names the file', () => {
    const dir = tempTree({ 'broken.json': '{ "resourceType": ' });
    expect(() => loadConformanceResources([dir])).toThrow(/broken\.json/);
  });
});
