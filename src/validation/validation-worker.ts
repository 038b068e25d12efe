// A worker thread that validates resources (given as JSON) with the gateway's validator, for writers that validate ahead of their writes. https://hl7.org/fhir/R4/validation.html
import { parentPort } from 'node:worker_threads';
import { createProjectValidator } from './project-validator.js';

/** Request: `{ id, resources }` (JSON texts); reply: `{ id, outcomes }` in the same order, or `{ id, error }`. */
const port = parentPort;
if (port) {
  const validator = createProjectValidator();
  port.on('message', (m: { id: number; resources: string[] }) => {
    try {
      port.postMessage({ id: m.id, outcomes: m.resources.map((json) => validator.validate(JSON.parse(json))) });
    } catch (err) {
      port.postMessage({ id: m.id, error: String((err as Error)?.message ?? err) });
    }
  });
  port.postMessage({ ready: true });
}
