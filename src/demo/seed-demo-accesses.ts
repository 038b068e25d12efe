// Professional accesses made at demo start through the gateway's own HTTP API, so the citizen's log (A4) has real, audited entries to show. https://hl7.org/fhir/R4/auditevent.html
import type { Logger } from 'pino';

/** Who looks at what: each is an ordinary request with a persona's token, decided and audited like any other. */
const Accesses: Array<{ persona: string; path: string }> = [
  { persona: 'doctor-uusimaa', path: 'DocumentReference?patient=demo-patient-maija' },
  { persona: 'doctor-uusimaa', path: 'DocumentReference/doc-maija-uusimaa-2' },
  { persona: 'nurse-uusimaa-2', path: 'Encounter?patient=demo-patient-maija' },
  { persona: 'doctor-other-county', path: 'DocumentReference?patient=demo-patient-maija' },
  { persona: 'pharmacist', path: 'MedicationRequest?patient=demo-patient-maija' },
  { persona: 'social-authority', path: 'DocumentReference?patient=demo-patient-eino' },
  { persona: 'social-worker', path: 'DocumentReference?patient=demo-patient-eino' },
];

export async function seedDemoAccesses(baseUrl: string, mintPersona: (id: string) => Promise<string>, log: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  let done = 0;
  for (const a of Accesses) {
    try {
      const res = await fetch(`${baseUrl}/fhir/${a.path}`, { headers: { authorization: `Bearer ${await mintPersona(a.persona)}`, accept: 'application/fhir+json' } });
      await res.arrayBuffer();
      done++;
    } catch (err) {
      log.warn({ persona: a.persona, err: String(err) }, 'demo access not made');
    }
  }
  log.info({ accesses: done }, 'demo professional accesses made (they appear in the citizens\' logs)');
}
