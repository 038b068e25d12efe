// Serves an Express app on a loopback port so black-box clients (the conformance kit, third-party FHIR libraries) can reach it over real HTTP.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface Listening {
  /** FHIR base URL, e.g. http://127.0.0.1:41234/fhir */
  base: string;
  close(): Promise<void>;
}

export async function listenOnLoopback(app: Express): Promise<Listening> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/fhir`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
