/**
 * Discard (RFC 863): "Once a connection is established any data received is thrown away. No
 * response is sent." The peer's FIN is answered with ours.
 */

import type { RelaySocket } from '../relay/types';

export function discard(socket: RelaySocket): void {
  socket.on('error', () => undefined);
  socket.on('end', () => socket.end());
  socket.resume();
}
