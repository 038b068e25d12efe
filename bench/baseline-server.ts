// The stack's upper bound: a bare Express handler answering each bench request with the gateway's own captured JSON.
import express from 'express';
import { readFileSync } from 'node:fs';

interface Canned {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

/** Bodies captured from the gateway by bench/run.ts, keyed by method and path-with-query. */
const canned: Canned[] = JSON.parse(readFileSync(process.env.BASELINE_BODIES!, 'utf8'));
const byKey = new Map(canned.map((c) => [`${c.method} ${c.path}`, c]));

const app = express();
app.disable('x-powered-by');
// Bodies are parsed as the gateway parses them, so uploads cost the baseline what they cost the gateway's front.
app.use(express.json({ type: ['application/json', 'application/fhir+json'], limit: '1mb' }));
app.get('/ready', (_req, res) => {
  res.send('ok');
});
app.all('/{*path}', (req, res) => {
  const c = byKey.get(`${req.method} ${req.originalUrl}`);
  if (!c) {
    res.status(404).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
    return;
  }
  res.status(c.status).type(c.contentType).send(c.body);
});
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
