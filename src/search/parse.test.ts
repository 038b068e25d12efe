// Unit tests of the FHIR search parser: conditions, result parameters and clear 400s. https://hl7.org/fhir/R4/search.html
import { OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { parseSearch } from './parse.js';
import { createSearchRegistry } from './registry.js';

const registry = createSearchRegistry([
  {
    resourceType: 'SearchParameter',
    url: 'http://example.fi/SearchParameter/release-date',
    name: 'release-date',
    status: 'active',
    description: 'Display delay end',
    code: 'release-date',
    base: ['DocumentReference'],
    type: 'date',
    expression: "DocumentReference.extension('http://example.fi/release-date').value",
  },
]);

function parse(url: string, strict = true) {
  const [type, qs = ''] = url.split('?');
  const query: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(qs)) (query[k] ??= []).push(v);
  return parseSearch(type, query, registry, { strict });
}

function rejection(url: string): { text: string; expression?: string } {
  try {
    parse(url);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      const issue = err.outcome.issue?.[0];
      expect(issue?.code).toBe('invalid');
      return { text: issue?.details?.text ?? '', expression: issue?.expression?.[0] };
    }
    throw err;
  }
  throw new Error(`expected ${url} to be rejected`);
}

describe('parseSearch', () => {
  it('keeps prefixes on every value of a comma list (OR) and ANDs repeated parameters', () => {
    const { query } = parse('Observation?date=ge2020,lt2010&date=le2030');
    expect(query.where).toEqual([
      { kind: 'param', code: 'date', values: ['ge2020', 'lt2010'] },
      { kind: 'param', code: 'date', values: ['le2030'] },
    ]);
  });

  it('applies defaults: 20 per page, offset 0, accurate total, no sort', () => {
    const { query } = parse('Patient');
    expect(query).toEqual({ resourceType: 'Patient', where: [], sort: [], count: 20, offset: 0, total: 'accurate', include: [], revinclude: [] });
  });

  it('parses modifiers, :missing and reference type modifiers', () => {
    const { query } = parse('Observation?code:not=a|b&subject:Patient=1&value-quantity:missing=true&code:text=paino');
    expect(query.where).toEqual([
      { kind: 'param', code: 'code', modifier: 'not', values: ['a|b'] },
      { kind: 'param', code: 'subject', modifier: 'Patient', values: ['1'] },
      { kind: 'param', code: 'value-quantity', modifier: 'missing', values: ['true'] },
      { kind: 'param', code: 'code', modifier: 'text', values: ['paino'] },
    ]);
  });

  it('parses multi-level chains with and without target types', () => {
    const { query } = parse('Observation?subject:Patient.organization.name=Acme&encounter.date=ge2020');
    expect(query.where).toEqual([
      {
        kind: 'chain',
        code: 'subject',
        targetType: 'Patient',
        next: { kind: 'chain', code: 'organization', next: { kind: 'param', code: 'name', values: ['Acme'] } },
      },
      { kind: 'chain', code: 'encounter', next: { kind: 'param', code: 'date', values: ['ge2020'] } },
    ]);
  });

  it('parses nested _has', () => {
    const { query } = parse('Patient?_has:Observation:patient:_has:Provenance:target:agent=Practitioner/1');
    expect(query.where).toEqual([
      {
        kind: 'has',
        sourceType: 'Observation',
        refParam: 'patient',
        next: { kind: 'has', sourceType: 'Provenance', refParam: 'target', next: { kind: 'param', code: 'agent', values: ['Practitioner/1'] } },
      },
    ]);
  });

  it('parses _include, _revinclude with :iterate and *, _sort, _count, _offset, _total, _elements', () => {
    const parsed = parse(
      'Observation?_include=Observation:subject:Patient&_include:iterate=Patient:organization&_revinclude=Provenance:target&_include=*' +
        '&_sort=-date,_id&_count=5000&_offset=40&_total=none&_elements=id,code',
    );
    expect(parsed.query.include).toHaveLength(3);
    expect(parsed.query.include).toContainEqual({ sourceType: 'Observation', param: '*', iterate: false });
    expect(parsed.query.include).toContainEqual({ sourceType: 'Patient', param: 'organization', iterate: true });
    expect(parsed.query.include).toContainEqual({ sourceType: 'Observation', param: 'subject', targetType: 'Patient' });
    expect(parsed.query.revinclude).toEqual([{ sourceType: 'Provenance', param: 'target' }]);
    expect(parsed.query.sort).toEqual([
      { code: 'date', descending: true },
      { code: '_id', descending: false },
    ]);
    expect(parsed.query.count).toBe(1000);
    expect(parsed.query.offset).toBe(40);
    expect(parsed.query.total).toBe('none');
    expect(parsed.elements).toEqual(['id', 'code']);
  });

  it('_summary=count asks for no resources and an accurate total', () => {
    const parsed = parse('Observation?_summary=count');
    expect(parsed.summary).toBe('count');
    expect(parsed.query.count).toBe(0);
    expect(parsed.query.total).toBe('accurate');
  });

  it('knows the project SearchParameters passed to the registry', () => {
    expect(parse('DocumentReference?release-date=le2024-01-01').query.where).toEqual([
      { kind: 'param', code: 'release-date', values: ['le2024-01-01'] },
    ]);
  });

  it('reports unknown parameters when lenient and rejects them when strict', () => {
    expect(parse('Patient?foo=1&_format=json', false).unknown).toEqual(['foo']);
    expect(rejection('Patient?foo=1')).toEqual({ text: "Unknown search parameter 'foo' for resource type 'Patient'", expression: 'foo' });
  });

  it('rejects a malformed date naming the parameter', () => {
    expect(rejection('Observation?date=2020-13-45')).toEqual({ text: "Invalid date '2020-13-45' for search parameter 'date'", expression: 'date' });
  });

  it('rejects a non-number and an unknown prefix', () => {
    expect(rejection('RiskAssessment?probability=abc').text).toBe("Invalid number 'abc' for search parameter 'probability'");
    expect(rejection('Observation?date=xx2020').text).toBe("Unknown prefix 'xx' in value 'xx2020' of search parameter 'date'");
  });

  it('rejects a modifier the parameter type does not have', () => {
    expect(rejection('Patient?birthdate:exact=2020')).toEqual({
      text: "Unknown modifier ':exact' for search parameter 'birthdate' of type date",
      expression: 'birthdate:exact',
    });
    expect(rejection('Observation?code:below=x').text).toContain("Unknown modifier ':below'");
  });

  it('rejects an unknown chain target parameter and chaining a non-reference', () => {
    expect(rejection('Observation?subject:Patient.foo=1').text).toBe("Unknown chained search parameter 'foo' in 'subject:Patient.foo'");
    expect(rejection('Observation?code.name=1').text).toContain("'code' is not a reference");
  });

  it('rejects bad result parameters', () => {
    expect(rejection('Patient?_count=-1').expression).toBe('_count');
    expect(rejection('Patient?_total=some').expression).toBe('_total');
    expect(rejection('Patient?_sort=foo').text).toBe("Cannot sort by unknown search parameter 'foo'");
    expect(rejection('Patient?_include=Patient:name').text).toContain('not a reference parameter');
    expect(rejection('Patient?_has:Observation:code:status=final').text).toContain('not a reference parameter');
  });

  it('does not offer composite or special parameters', () => {
    expect(registry.get('Observation', 'combo-code-value-quantity')).toBeUndefined();
    expect(registry.get('Location', 'near')).toBeUndefined();
    expect(registry.forType('Patient').map((p) => p.code)).toEqual(expect.arrayContaining(['_id', '_lastUpdated', '_tag', '_security', '_profile']));
  });
});
