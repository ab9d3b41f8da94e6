/**
 * Echo (RFC 862): "Once a connection is established any data received is sent back." The peer's
 * FIN ends our side too once everything has been echoed; backpressure comes from `pipe`.
 */

import type { RelaySocket } from '../relay/types';

export function echo(socket: RelaySocket): void {
  socket.on('error', () => undefined);
  socket.pipe(socket);
}
