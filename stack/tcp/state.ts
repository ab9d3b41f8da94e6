/**
 * The eleven connection states of RFC 9293 §3.3.2 and the questions the engine asks about them.
 * Read §3.3.2 (the state diagram) before editing; transitions live in `connection.ts`'s
 * `setState`, and the rules for each state in `input*.ts`.
 */

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

/** States after the three-way handshake has been seen from both sides (RFC 9293 §3.5.2). */
export function isSynchronized(s: TcpState): boolean {
  return s !== 'CLOSED' && s !== 'LISTEN' && s !== 'SYN-SENT' && s !== 'SYN-RECEIVED';
}

/** States in which the user may still queue data for sending (our FIN not yet queued). */
export function canQueueSend(s: TcpState): boolean {
  return s === 'SYN-SENT' || s === 'SYN-RECEIVED' || s === 'ESTABLISHED' || s === 'CLOSE-WAIT';
}

/** States in which segment text from the peer is accepted (RFC 9293 §3.10.7.4, seventh). */
export function acceptsText(s: TcpState): boolean {
  return s === 'ESTABLISHED' || s === 'FIN-WAIT-1' || s === 'FIN-WAIT-2';
}

/** States in which queued data may go out (the peer has acknowledged our SYN). */
export function canSendData(s: TcpState): boolean {
  return s === 'ESTABLISHED' || s === 'CLOSE-WAIT' || s === 'FIN-WAIT-1' || s === 'CLOSING' || s === 'LAST-ACK';
}

/** States in which the peer has sent its FIN (our receive direction is finished). */
export function peerHasClosed(s: TcpState): boolean {
  return s === 'CLOSE-WAIT' || s === 'CLOSING' || s === 'LAST-ACK' || s === 'TIME-WAIT';
}
