// Derives real search values from a sample resource (by evaluating the SearchParameter's expression) and values that must match nothing. https://hl7.org/fhir/R4/search.html
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';

const ContactPointSystems = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);

/** fhirpath.js cannot resolve() references without a server; a reference's type prefix says the same thing here. */
function withoutResolve(expression: string): string {
  return expression.replace(/\.where\(resolve\(\) is (\w+)\)/g, ".where(reference.startsWith('$1/'))");
}

function evaluate(resource: Resource, expression: string): unknown[] {
  try {
    return fhirpath.evaluate(resource, withoutResolve(expression), undefined, r4Model) as unknown[];
  } catch {
    return []; // expressions the engine cannot run simply give no sample value
  }
}

type Obj = Record<string, any>;

function tokenValue(v: unknown): string | undefined {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Obj;
  if (Array.isArray(o.coding)) return tokenValue(o.coding[0]);
  if (o.code !== undefined && typeof o.code === 'string') return o.system ? `${o.system}|${o.code}` : o.code;
  if (typeof o.value === 'string') return o.system && !ContactPointSystems.has(o.system) ? `${o.system}|${o.value}` : o.value;
  return undefined;
}

function stringValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Obj;
  return o.family ?? o.given?.[0] ?? o.city ?? o.line?.[0] ?? o.postalCode ?? o.country ?? o.state ?? o.text;
}

/** A FHIR date, dateTime or instant; other strings (e.g. Immunization.occurrenceString "last spring") are no date value. */
const FhirDate = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function dateValue(v: unknown): string | undefined {
  if (typeof v === 'string') return FhirDate.test(v) ? v : undefined;
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Obj;
  if (o.start) return `ge${o.start}`;
  if (o.end) return `le${o.end}`;
  if (Array.isArray(o.event) && o.event[0]) return o.event[0];
  return undefined;
}

function referenceValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const ref = (v as Obj | undefined)?.reference;
  return typeof ref === 'string' && !ref.startsWith('#') ? ref : undefined;
}

function quantityValue(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  const o = v as Obj | undefined;
  if (typeof o?.value !== 'number') return undefined;
  return o.system && o.code ? `${o.value}|${o.system}|${o.code}` : String(o.value);
}

const Formatters: Partial<Record<string, (v: unknown) => string | undefined>> = {
  token: tokenValue,
  string: stringValue,
  date: dateValue,
  reference: referenceValue,
  uri: (v) => (typeof v === 'string' ? v : undefined),
  number: (v) => (typeof v === 'number' ? String(v) : undefined),
  quantity: quantityValue,
};

/** A value of the parameter that the sample resource must match; undefined when the sample has none. */
export function matchingValue(sp: SearchParameter, resource: Resource): string | undefined {
  const format = Formatters[sp.type ?? ''];
  if (!format || !sp.expression) return undefined;
  for (const v of evaluate(resource, sp.expression)) {
    const value = format(v);
    if (value) return value;
  }
  return undefined;
}

/** A syntactically valid value of the parameter's type that no resource should match. */
export function nonMatchingValue(sp: SearchParameter, runId: string, matching?: string): string | undefined {
  switch (sp.type) {
    case 'token':
      if (matching === 'true') return 'false';
      if (matching === 'false') return 'true';
      return sp.code === '_id' ? `nomatch-${runId}` : `urn:kit:nomatch|nomatch-${runId}`;
    case 'string':
      return `zzqnomatch${runId}`;
    case 'date':
      return '1800-01-01';
    case 'reference':
      return `${matching?.includes('/') ? matching.split('/').slice(-2)[0] : (sp.target?.[0] ?? 'Patient')}/nomatch-${runId}`;
    case 'uri':
      return `urn:kit:nomatch-${runId}`;
    case 'number':
    case 'quantity':
      return '-987654321';
    default:
      return undefined; // composite and special parameters have no generic value
  }
}
