/** The demo's "server on the host": plain Node http on 127.0.0.1 and ::1, one port each. */

import * as http from 'http';
import type { AddressInfo } from 'net';

export interface HostServer {
  port4: number;
  port6: number | null;
  requests: number;
  close(): Promise<void>;
}

export async function startHostServer(): Promise<HostServer> {
  const state = { requests: 0 };
  const handler: http.RequestListener = (req, res) => {
    state.requests++;
    res.end(`hello from the host, you are ${req.socket.remoteAddress}\n`);
  };
  const listen = (host: string): Promise<http.Server | null> =>
    new Promise((resolve) => {
      const s = http.createServer(handler);
      s.once('error', () => resolve(null));
      s.listen({ port: 0, host }, () => resolve(s));
    });
  const s4 = await listen('127.0.0.1');
  if (s4 === null) throw new Error('cannot listen on 127.0.0.1');
  const s6 = await listen('::1');
  const servers = [s4, s6].filter((s): s is http.Server => s !== null);
  return {
    port4: (s4.address() as AddressInfo).port,
    port6: s6 === null ? null : (s6.address() as AddressInfo).port,
    get requests() {
      return state.requests;
    },
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }))).then(() => undefined),
  };
}
