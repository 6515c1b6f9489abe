/**
 * The server side of a WebSocket for the Slack stand-in's Socket Mode endpoint, on the `ws`
 * package: the stand-in's HTTP server hands over its upgrade requests, and each accepted
 * connection becomes a small peer object. `ws` answers pings with pongs and does the close
 * handshake; a client that breaks the protocol (an unmasked frame, a reserved bit) is closed
 * with 1002 by `ws` and reported to `onProblem`, so a test sees it. No permessage-deflate:
 * Slack's socket does not offer it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export interface WebSocketPeer {
  /** Sends one text message. */
  send(text: string): void;
  /** Starts the close handshake (the client answers with its own close frame). */
  close(code?: number, reason?: string): void;
  /** Drops the TCP connection without a close frame, as a network failure would. */
  destroy(): void;
  readonly open: boolean;
}

export interface WebSocketHandlers {
  onMessage(text: string): void;
  onClose?(code: number | null): void;
  /** Called when the client pinged (ws has answered it with a pong). */
  onPing?(): void;
  onProblem?(problem: string): void;
}

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES });

/** Completes the opening handshake on `socket`; null (and a 400) when it is not a WebSocket upgrade. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, handlers: WebSocketHandlers): WebSocketPeer | null {
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || req.headers['sec-websocket-version'] !== '13' || typeof req.headers['sec-websocket-key'] !== 'string') {
    handlers.onProblem?.('an upgrade request that is not a WebSocket handshake');
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return null;
  }
  let client: WebSocket | undefined;
  // Messages sent before the handshake has finished wait for it.
  const waiting: Array<(w: WebSocket) => void> = [];
  const whenOpen = (fn: (w: WebSocket) => void) => (client ? fn(client) : waiting.push(fn));
  wss.handleUpgrade(req, socket, head, (w) => {
    client = w;
    w.on('message', (data, isBinary) => {
      if (isBinary) handlers.onProblem?.('a binary message (Slack sends and expects text)');
      else handlers.onMessage(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
    });
    w.on('ping', () => handlers.onPing?.());
    w.on('error', (err) => handlers.onProblem?.(err.message));
    w.on('close', (code) => handlers.onClose?.(code === 1006 ? null : code));
    for (const fn of waiting.splice(0)) fn(w);
  });
  return {
    send: (text) => whenOpen((w) => w.readyState === WebSocket.OPEN && w.send(text)),
    close: (code = 1000, reason = '') => whenOpen((w) => w.close(code, reason)),
    destroy: () => (client ? client.terminate() : socket.destroy()),
    get open() {
      return client?.readyState === WebSocket.OPEN;
    },
  };
}
