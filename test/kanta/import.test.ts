// Import of the sample Kanta CDA and JSON files: marks kept, versions, invalidations, all-or-nothing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Binary, Consent, DocumentReference, Encounter, Organization, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { FiBaseExtension, LocalExtensionMore, LocalSystem, Oid } from '../../src/kanta/codes.js';
import { importSources } from '../../src/kanta/import.js';
import { createMemoryStore, type MemoryStore } from './memory-store.js';

const fixture = (name: string) => ({ name, content: readFileSync(new URL(`../fixtures/kanta/${name}`, import.meta.url), 'utf8') });
const ADULT = '120580-902H';

async function importAll(store: MemoryStore, ...names: string[]) {
  const report = await importSources(names.map(fixture), store);
  for (const input of report.inputs) expect(input.outcome, input.name).toBeUndefined();
  return report;
}

function docBySetAndVersion(store: MemoryStore, setOid: string, version: number): DocumentReference {
  const doc = store
    .all()
    .filter((r): r is DocumentReference => r.resourceType === 'DocumentReference')
    .find((d) => d.masterIdentifier?.value === `urn:oid:${setOid}` && d.extension?.find((e) => e.url === LocalExtensionMore.DocumentVersion)?.valueInteger === version);
  if (!doc) throw new Error(`no document ${setOid} v${version}`);
  return doc;
}

const marks = (r: Resource) => (r.meta?.security ?? []).filter((c) => c.system === LocalSystem.DocumentMark).map((c) => c.code).sort();
const security = (r: Resource, system: string) => r.meta?.security?.find((c) => c.system === system)?.code;
const P = '1.2.246.10.99900001.10.2024.';

describe('Kanta import', () => {
  it('imports the base records: organisations, patients, guardian, visits, care period, client relationship, prescription and renewal request', async () => {
    const store = createMemoryStore();
    const report = await importAll(store, 'records-base.json');
    expect(report.ok).toBe(true);
    const types = store.all().map((r) => r.resourceType);
    for (const t of ['Organization', 'Patient', 'RelatedPerson', 'Encounter', 'EpisodeOfCare', 'MedicationRequest', 'Task']) expect(types).toContain(t);
    const carePeriod = store.all().find((r): r is Encounter => r.resourceType === 'Encounter' && r.class?.code === 'IMP') as Encounter;
    expect(security(carePeriod, LocalSystem.RegisterHolder)).toBe('1.2.246.10.99900001.10.0');
    expect(security(carePeriod, LocalSystem.RegisterKind)).toBe('public-health');
    expect(security(carePeriod, LocalSystem.DataOrigin)).toBe('local');
    const social = store.all().find((r): r is Organization => r.resourceType === 'Organization' && !!r.name?.includes('sosiaali'));
    expect(social?.extension?.some((e) => e.url.endsWith('main-responsible-unit-social') && e.valueBoolean === true)).toBe(true);
  });

  it('keeps every mark of a CDA document: register holder and kind, confidentiality, views, type, service event and RestrictionParent', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'document-v1.xml');
    const doc = docBySetAndVersion(store, `${P}1`, 1);
    expect(doc.status).toBe('current');
    expect(doc.masterIdentifier).toEqual({ system: 'urn:ietf:rfc:3986', value: `urn:oid:${P}1` });
    expect(security(doc, LocalSystem.RegisterHolder)).toBe('1.2.246.10.99900001.10.0');
    expect(security(doc, LocalSystem.RegisterKind)).toBe('public-health');
    expect(security(doc, LocalSystem.DataOrigin)).toBe('kanta');
    expect(doc.securityLabel?.[0].coding?.[0]).toMatchObject({ system: Oid.Confidentiality, code: '5' });
    expect(doc.category?.[0].coding?.[0]).toMatchObject({ system: Oid.View, code: '102' });
    expect(doc.type?.coding?.[0]).toMatchObject({ system: Oid.DocumentType, code: '1' });
    expect(doc.extension?.find((e) => e.url === FiBaseExtension.RestrictionParent)?.valueCoding).toMatchObject({ system: Oid.RestrictionParent, code: '1' });
    const encounter = store.all().find((r) => `${r.resourceType}/${r.id}` === doc.context?.encounter?.[0].reference) as Encounter;
    expect(encounter.identifier?.[0].value).toBe('urn:oid:1.2.246.10.99900001.14011.2024.1');
    // The CDA is a Binary the attachment names by url, with its size and SHA-1; the Binary points back (securityContext).
    const attachment = doc.content[0].attachment;
    expect(attachment.data).toBeUndefined();
    expect(attachment.contentType).toBe('application/xml');
    const binary = store.all().find((r) => `${r.resourceType}/${r.id}` === attachment.url) as Binary;
    const bytes = Buffer.from(binary.data as string, 'base64');
    expect(bytes.toString('utf8')).toContain('<ClinicalDocument');
    expect(attachment.size).toBe(bytes.length);
    expect(attachment.hash).toBe(createHash('sha1').update(bytes).digest('base64'));
    expect(binary.contentType).toBe('application/xml');
    expect(binary.securityContext?.reference).toBe(`DocumentReference/${doc.id}`);
    expect(marks(doc)).toEqual([]);
  });

  it('a new version (relatedDocument RPLC) replaces the old one, which becomes superseded', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'document-v1.xml', 'document-v2.xml');
    const v1 = docBySetAndVersion(store, `${P}1`, 1);
    const v2 = docBySetAndVersion(store, `${P}1`, 2);
    expect(v1.status).toBe('superseded');
    expect(v2.status).toBe('current');
    expect(v2.relatesTo).toEqual([{ code: 'replaces', target: { reference: `DocumentReference/${v1.id}` } }]);
  });

  it('an invalidation marks the invalidated document entered-in-error', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'document-to-invalidate.xml', 'document-invalidation.xml');
    expect(docBySetAndVersion(store, `${P}3`, 1).status).toBe('entered-in-error');
    expect(docBySetAndVersion(store, `${P}3`, 2).status).toBe('entered-in-error');
  });

  it('keeps the display delay and the other-person mark, and links the document to the care period', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'document-delayed.xml');
    const doc = docBySetAndVersion(store, `${P}5`, 1);
    expect(doc.extension?.find((e) => e.url === FiBaseExtension.ReleaseDateForPatientViewing)?.valueDate).toBe('2024-06-01');
    expect(marks(doc)).toEqual(['other-person']);
  });

  it('keeps the special-content and local-main-view marks', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'document-special-content.xml');
    expect(marks(docBySetAndVersion(store, `${P}6`, 1))).toEqual(['local-main-view', 'special-content']);
  });

  it('maps an occupational-health CDA to the occupational register and creates the service event it names', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'document-occupational.xml');
    const doc = docBySetAndVersion(store, `${P}7`, 1);
    expect(security(doc, LocalSystem.RegisterKind)).toBe('occupational-health');
    const encounter = store.all().find((r) => `${r.resourceType}/${r.id}` === doc.context?.encounter?.[0].reference);
    expect(security(encounter as Resource, LocalSystem.RegisterHolder)).toBe('1.2.246.10.99900003.10.0');
  });

  it('maps a social-care CDA to its service task with the professional-delay mark', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'social-document.xml');
    const doc = docBySetAndVersion(store, '1.2.246.10.99900004.10.2024.1', 1);
    expect(doc.meta?.profile?.[0]).toMatch(/kanta-social-document$/);
    expect(security(doc, LocalSystem.RegisterKind)).toBe('social-care');
    expect(doc.context?.encounter?.[0].reference).toMatch(/^EpisodeOfCare\//);
    expect(doc.context?.practiceSetting?.coding?.[0].code).toBe('child-welfare');
    expect(doc.type?.coding?.[0]).toMatchObject({ system: LocalSystem.SocialDocumentKind, code: 'decision' });
    expect(marks(doc)).toEqual(['professional-delay']);
  });

  it('imports a consent of every kind with its targets resolved', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'records-consents.json');
    const consents = store.all().filter((r): r is Consent => r.resourceType === 'Consent');
    const kinds = new Set(consents.map((c) => c.category[0].coding?.[0].code));
    expect([...kinds].sort()).toEqual(['eu-eprescription', 'informing', 'living-will', 'organ-donation-will', 'permission-health', 'permission-health-to-social', 'permission-social', 'permission-social-to-health', 'prescription-prohibition', 'prohibition', 'wellness-app']);
    const prohibition = consents.find((c) => c.category[0].coding?.[0].code === 'prohibition' && c.provision?.provision?.length === 2) as Consent;
    expect(prohibition.provision?.type).toBe('deny');
    expect(prohibition.provision?.provision?.[0].data?.[0]).toMatchObject({ meaning: 'dependents', reference: { reference: expect.stringMatching(/^Encounter\//) } });
    expect(prohibition.provision?.provision?.[1].actor?.[0].role.coding?.[0].code).toBe('CST');
    const byGuardian = consents.find((c) => c.category[0].coding?.[0].code === 'permission-social-to-health') as Consent;
    expect(byGuardian.performer?.[0].reference).toMatch(/^RelatedPerson\//);
    expect(consents.find((c) => c.category[0].coding?.[0].code === 'living-will')?.scope.coding?.[0].code).toBe('adr');
  });

  it('a malformed XML file fails naming the file, the place and the reason, and stores nothing', async () => {
    const store = createMemoryStore();
    const report = await importSources([fixture('malformed.xml')], store);
    expect(report.ok).toBe(false);
    expect(report.inputs[0].outcome?.issue?.[0].details?.text).toMatch(/^malformed\.xml: line \d+, column \d+: malformed XML/);
    expect(store.all()).toEqual([]);
  });

  it('a CDA without the patient HETU fails naming the recordTarget element', async () => {
    const store = createMemoryStore();
    const report = await importSources([fixture('missing-patient.xml')], store);
    expect(report.inputs[0].outcome?.issue?.[0].details?.text).toBe(
      "missing-patient.xml: ClinicalDocument/recordTarget/patientRole/id[@root='1.2.246.21']/@extension: required value is missing",
    );
    expect(store.all()).toEqual([]);
  });

  it('a CDA with a bad HETU check character is refused', async () => {
    const report = await importSources([fixture('bad-hetu.xml')], createMemoryStore());
    expect(report.inputs[0].outcome?.issue?.[0].details?.text).toMatch(/bad-hetu\.xml: .*@extension: '120580-902[A-Y]' is not a valid HETU/);
  });

  it('a records file with one bad record stores none of its records', async () => {
    const store = createMemoryStore();
    const report = await importSources([fixture('records-bad-hetu.json')], store);
    expect(report.inputs[0].outcome?.issue?.[0].details?.text).toMatch(/^records-bad-hetu\.json: records\[1\]\.hetu: .* is not a valid HETU/);
    expect(store.all()).toEqual([]);
  });

  it('a file whose reference cannot be resolved rolls back everything it wrote', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json');
    const before = JSON.stringify(store.all());
    const report = await importSources([fixture('records-unknown-reference.json'), fixture('unknown-parent.xml')], store);
    expect(report.inputs.map((i) => i.ok)).toEqual([false, false]);
    expect(report.inputs[0].outcome?.issue?.[0].details?.text).toMatch(/records\[0\]\.targets\[0\]\.serviceEvent: no Encounter/);
    expect(report.inputs[1].outcome?.issue?.[0].details?.text).toMatch(/unknown-parent\.xml: .*parentDocument\/id: the replaced document .* is not archived/);
    expect(JSON.stringify(store.all())).toBe(before);
  });

  it('importing the same document twice changes nothing the second time', async () => {
    const store = createMemoryStore();
    await importAll(store, 'records-base.json', 'document-v1.xml');
    const before = JSON.stringify(store.all());
    const report = await importAll(store, 'document-v1.xml');
    expect(report.inputs[0]).toMatchObject({ ok: true, created: [], updated: [] });
    expect(report.inputs[0].unchanged.some((r) => r.startsWith('DocumentReference/'))).toBe(true);
    expect(JSON.stringify(store.all())).toBe(before);
  });
});

const ALL = [
  'records-base.json', 'document-v1.xml', 'document-v2.xml', 'document-to-invalidate.xml', 'document-invalidation.xml',
  'document-delayed.xml', 'document-special-content.xml', 'document-occupational.xml', 'social-document.xml', 'records-consents.json',
];
/** The store's content without server-assigned ids, so runs in different orders can be compared. */
function contentOf(store: MemoryStore): string[] {
  const ids = new Map(store.all().map((r) => [`${r.resourceType}/${r.id}`, r]));
  const key = (r: Resource): string => {
    const ident = (r as { identifier?: Array<{ value?: string }> }).identifier?.[0]?.value;
    return `${r.resourceType}:${ident ?? r.id}`;
  };
  return store
    .all()
    .map((r) => JSON.stringify({ ...r, id: undefined, meta: { ...r.meta, versionId: undefined } }, (k, v) => (k === 'reference' && typeof v === 'string' && ids.has(v) ? key(ids.get(v)!) : v)))
    .sort();
}

describe('Kanta import: idempotent and order-tolerant', () => {
  it('importing every sample a second time creates and updates nothing and counts every record unchanged', async () => {
    const store = createMemoryStore();
    await importAll(store, ...ALL);
    const before = JSON.stringify(store.all());
    const again = await importAll(store, ...ALL);
    for (const input of again.inputs) {
      expect({ name: input.name, created: input.created, updated: input.updated }).toEqual({ name: input.name, created: [], updated: [] });
      expect(input.unchanged.length, input.name).toBeGreaterThan(0);
    }
    expect(JSON.stringify(store.all())).toBe(before);
    // The renewal request and the consents have no identifier of their own; a key from their source fields keeps them single.
    expect(store.all().filter((r) => r.resourceType === 'Task')).toHaveLength(1);
  });

  it('a changed source record makes exactly one new version of its resource', async () => {
    const store = createMemoryStore();
    await importAll(store, ...ALL);
    const base = JSON.parse(fixture('records-base.json').content);
    const patient = base.records.find((r: { type: string }) => r.type === 'patient');
    patient.family = `${patient.family}-Changed`;
    const report = await importSources([{ name: 'records-base.json', content: JSON.stringify(base) }], store);
    expect(report.inputs[0].created).toEqual([]);
    expect(report.inputs[0].updated).toHaveLength(1);
    const updated = store.all().find((r) => `${r.resourceType}/${r.id}` === report.inputs[0].updated[0]);
    expect(updated).toMatchObject({ resourceType: 'Patient', meta: { versionId: '2' } });
  });

  it('files in reverse order (invalidation before the document, consents before the persons) give the same store', async () => {
    const forward = createMemoryStore();
    await importAll(forward, ...ALL);
    const reverse = createMemoryStore();
    await importAll(reverse, ...[...ALL].reverse());
    expect(contentOf(reverse)).toEqual(contentOf(forward));
  });

  it('records in reverse order within one file are applied persons first, then their service events, prescriptions and renewals', async () => {
    const base = JSON.parse(fixture('records-base.json').content);
    base.records.reverse();
    const reversed = createMemoryStore();
    await importAll(reversed, 'records-base.json');
    const store = createMemoryStore();
    const report = await importSources([{ name: 'reversed.json', content: JSON.stringify(base) }], store);
    expect(report.inputs[0].outcome).toBeUndefined();
    expect(contentOf(store)).toEqual(contentOf(reversed));
  });

  it('a reference to something in neither the store nor the run is refused naming both', async () => {
    const store = createMemoryStore();
    const report = await importSources([fixture('records-base.json'), fixture('records-unknown-reference.json')], store);
    expect(report.inputs.map((i) => i.ok)).toEqual([true, false]);
    expect(report.inputs[1].outcome?.issue?.[0].details?.text).toMatch(/^records-unknown-reference\.json: records\[0\]\.targets\[0\]\.serviceEvent: no Encounter with identifier urn:oid:\S+ in the store or in this import$/);
  });
});
