// Checks Binary reads in both forms: the resource as FHIR JSON, and the content itself in its own media type. https://hl7.org/fhir/R4/binary.html#rest
import type { Binary } from '@medplum/fhirtypes';
import { expectFhirJson, expectOutcome, expectStatus } from '../expectations.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

/** A Binary the kit may read: its own, else one the server lists (Binary is rarely searchable, so usually its own). */
async function someBinary(ctx: KitContext): Promise<Binary> {
  const own = ctx.created.get('Binary') as Binary | undefined;
  if (own?.id) return own;
  const [sample] = await ctx.samples('Binary');
  if (!sample?.id) throw new SkipCheck('no Binary on the server the kit can read');
  return sample as Binary;
}

export async function checkBinary(ctx: KitContext): Promise<void> {
  const { caps, http, report } = ctx;
  if (!caps.declares('Binary', 'read')) return;
  // R4 binary.html: a read that does not ask for a FHIR format "should" return the content with Binary.contentType.
  await report.check(
    'binary/native-content',
    async () => {
      const b = await someBinary(ctx);
      if (!b.contentType || b.data === undefined) throw new SkipCheck(`Binary/${b.id} has no contentType and data to compare`);
      const res = await http.get(`Binary/${b.id}`, { headers: { accept: b.contentType } });
      expectStatus(res, 200, `GET Binary/${b.id} with Accept: ${b.contentType}`);
      const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      assert(type === b.contentType.split(';')[0].trim().toLowerCase(), `Content-Type '${type}', expected the Binary's own '${b.contentType}'`);
      assert(res.text === Buffer.from(b.data, 'base64').toString('utf8'), 'the content differs from the base64 data of the Binary resource');
    },
    'SHOULD',
  );
  await report.check('binary/fhir-form', async () => {
    const b = await someBinary(ctx);
    const res = await http.get(`Binary/${b.id}`);
    expectStatus(res, 200, `GET Binary/${b.id} with Accept: application/fhir+json`);
    expectFhirJson(res, 'Binary read as FHIR');
    assert(res.body.resourceType === 'Binary' && res.body.id === b.id, `expected Binary/${b.id}, got ${res.body.resourceType}/${res.body.id}`);
  });
  // This gateway's answer to a media type it cannot give: 406 with an OperationOutcome (R4 leaves it open).
  await report.check(
    'policy/binary-unservable-accept',
    async () => {
      const b = await someBinary(ctx);
      expectOutcome(await http.get(`Binary/${b.id}`, { headers: { accept: 'application/x-kit-unservable' } }), 406, 'Binary read with an Accept it cannot serve');
    },
    'policy',
  );
}
