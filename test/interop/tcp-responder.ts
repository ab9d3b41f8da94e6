/**
 * A minimal HTTP/1.1 responder on the engine adapter, for `curl` in the namespace: it reads a
 * request head, answers `200` with a fixed body (`Content-Length`, `Connection: close`), half-
 * closes, and closes once the client's FIN arrives. Nothing else of HTTP is implemented.
 */

import type { EngineSockets, TestConn } from './tcp-adapter';

/** Request heads larger than this are refused (a test bug, not a client we expect). */
const MAX_HEAD = 16 * 1024;

export interface Responder {
  /** Connections served, and failures (engine errors or write rejections) seen while serving. */
  served: number;
  failures: string[];
  /** Resolves when the next connection served has ended (our FIN sent, the client's received). */
  nextDone(): Promise<void>;
}

export function serveHttp(sockets: EngineSockets, address: string, port: number, body: Uint8Array): Responder {
  const waiters: Array<() => void> = [];
  const r: Responder = {
    served: 0,
    failures: [],
    nextDone: () => new Promise<void>((res) => waiters.push(res)),
  };
  sockets.listen(address, port, (c: TestConn) => {
    c.keep = true;
    let answered = false;
    c.onData = () => {
      if (answered) return;
      const head = c.keptText();
      if (head.length > MAX_HEAD) {
        r.failures.push('request head too large');
        c.conn.abort();
        return;
      }
      if (!head.includes('\r\n\r\n')) return;
      answered = true;
      c.keep = false;
      void respond(c, body).then(
        async () => {
          const err = await c.ended.promise;
          if (err !== null) r.failures.push(`connection ended with ${err}`);
          r.served++;
          waiters.shift()?.();
        },
        (err: Error) => r.failures.push(err.message),
      );
    };
    void c.peerFin.promise.then(() => c.close());
  });
  return r;
}

async function respond(c: TestConn, body: Uint8Array): Promise<void> {
  const head = `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  await c.write(Buffer.from(head));
  await c.write(body);
  c.shutdown();
}
