/**
 * The built-in services of `usernet serve` and `usernet netns`: echo (RFC 862), discard (RFC 863),
 * chargen (RFC 864) and a small http status page. Each is a handler for accepted sockets, so it
 * runs behind a listener of its own (`serve`) or the namespace router's on the services address
 * (`netns`).
 */

import type { RelaySocket } from '../relay/types';
import { chargen } from './chargen';
import { discard } from './discard';
import { echo } from './echo';
import { createHttpService } from './http';
import type { StatusSource } from './status';

export type ServiceKind = 'echo' | 'discard' | 'chargen' | 'http';

/** The well-known ports (RFC 862/863/864, RFC 9110 §4.2.1). */
export const DEFAULT_SERVICE_PORTS: Readonly<Record<ServiceKind, number>> = { echo: 7, discard: 9, chargen: 19, http: 80 };

export interface ServiceSpec {
  kind: ServiceKind;
  port: number;
}

export interface Service extends ServiceSpec {
  handle(socket: RelaySocket): void;
  close(): void;
}

function isKind(k: string): k is ServiceKind {
  return Object.prototype.hasOwnProperty.call(DEFAULT_SERVICE_PORTS, k);
}

/** Parses `KIND[:PORT]`; returns the spec or a one-line reason. */
export function parseServiceSpec(text: string): ServiceSpec | string {
  const [kind, portText, ...more] = text.split(':');
  if (kind === undefined || !isKind(kind)) return `unknown service '${kind ?? ''}' (echo, discard, chargen, http)`;
  if (more.length > 0) return `'${text}': expected KIND[:PORT]`;
  if (portText === undefined) return { kind, port: DEFAULT_SERVICE_PORTS[kind] };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return `'${text}': bad port '${portText}'`;
  return { kind, port: Number(portText) };
}

/** Creates the handler of a service; `status` feeds the http page. */
export function createService(spec: ServiceSpec, status: StatusSource): Service {
  switch (spec.kind) {
    case 'echo':
      return { ...spec, handle: echo, close: () => undefined };
    case 'discard':
      return { ...spec, handle: discard, close: () => undefined };
    case 'chargen':
      return { ...spec, handle: chargen, close: () => undefined };
    case 'http': {
      const h = createHttpService(status);
      return { ...spec, handle: h.handle, close: h.close };
    }
  }
}

export const ALL_SERVICES: readonly ServiceSpec[] = (Object.keys(DEFAULT_SERVICE_PORTS) as ServiceKind[]).map((kind) => ({ kind, port: DEFAULT_SERVICE_PORTS[kind] }));
