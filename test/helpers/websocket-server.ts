/**
 * The server side of a WebSocket (RFC 6455), just enough for the Slack stand-in's Socket Mode
 * endpoint: the opening handshake, text frames (fragmented or not), ping → pong, and the close
 * handshake. No extensions (permessage-deflate is declined by not echoing it) and no subprotocols.
 *
 * Why not the `ws` package: @slack/socket-mode 3 connects with undici's WebSocket client, so `ws`
 * is not in the dependency tree, and the protocol subset Slack uses fits in this file.
 *
 * Strict where a real server is: a client frame without a mask, a reserved bit set, an unknown
 * opcode or a fragmented control frame is a protocol error (close 1002) and is reported to
 * `onProblem`, so a test sees it.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
/** Far above anything Slack or the client sends here; guards the test from a runaway buffer. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

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
  /** Called after a ping from the client was answered with a pong. */
  onPing?(): void;
  onProblem?(problem: string): void;
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  let header: Buffer;
  if (len < 126) {
    header = Buffer.from([0x80 | opcode, len]);
  } else if (len < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

/**
 * Completes the opening handshake of an HTTP `upgrade` request, then calls the handlers for what
 * the client sends. Returns null (after answering 400) when the request is not a WebSocket handshake.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, handlers: WebSocketHandlers): WebSocketPeer | null {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    handlers.onProblem?.('not a WebSocket version 13 handshake');
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return null;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);

  let open = true;
  let closeSent = false;
  let closed = false;
  let buffered: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
  let fragments: Buffer[] | null = null;

  const write = (opcode: number, payload: Buffer): void => {
    if (!socket.destroyed && socket.writable) socket.write(frame(opcode, payload));
  };
  const finish = (code: number | null): void => {
    if (closed) return;
    closed = true;
    open = false;
    handlers.onClose?.(code);
  };
  const sendClose = (code: number, reason = ''): void => {
    if (closeSent) return;
    closeSent = true;
    open = false;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    write(OP.close, payload);
  };
  const protocolError = (problem: string): void => {
    handlers.onProblem?.(problem);
    sendClose(1002, 'protocol error');
    socket.end();
  };

  /** Parses as many complete frames as `buffered` holds; false once the connection is done. */
  const parse = (): boolean => {
    for (;;) {
      if (buffered.length < 2) return true;
      const b0 = buffered[0]!;
      const b1 = buffered[1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffered.length < 4) return true;
        len = buffered.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffered.length < 10) return true;
        const big = buffered.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE_BYTES)) {
          protocolError(`a ${big}-byte frame`);
          return false;
        }
        len = Number(big);
        offset = 10;
      }
      if ((b0 & 0x70) !== 0) {
        protocolError('a frame with a reserved bit set (no extension was negotiated)');
        return false;
      }
      if (!masked) {
        protocolError('an unmasked frame from the client (RFC 6455 5.1: clients must mask)');
        return false;
      }
      if (buffered.length < offset + 4 + len) return true;
      const mask = buffered.subarray(offset, offset + 4);
      const payload = Buffer.from(buffered.subarray(offset + 4, offset + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
      buffered = buffered.subarray(offset + 4 + len);

      if (opcode >= 0x8) {
        if (!fin || len > 125) {
          protocolError('a fragmented or over-long control frame');
          return false;
        }
        if (opcode === OP.ping) {
          write(OP.pong, payload);
          handlers.onPing?.();
        } else if (opcode === OP.close) {
          const code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
          // Answer a close the client started; either way the handshake is now complete.
          sendClose(code ?? 1000);
          socket.end();
          finish(code);
          return false;
        } else if (opcode !== OP.pong) {
          protocolError(`unknown control opcode ${opcode}`);
          return false;
        }
        continue;
      }
      if (opcode === OP.binary) {
        protocolError('a binary message (Socket Mode speaks JSON text)');
        return false;
      }
      if (opcode === OP.text) {
        if (fragments) {
          protocolError('a new text message inside a fragmented one');
          return false;
        }
        fragments = [payload];
      } else if (opcode === OP.continuation) {
        if (!fragments) {
          protocolError('a continuation frame without a message to continue');
          return false;
        }
        fragments.push(payload);
      } else {
        protocolError(`unknown opcode ${opcode}`);
        return false;
      }
      if (fragments.reduce((n, f) => n + f.length, 0) > MAX_MESSAGE_BYTES) {
        protocolError('a message over 16 MiB');
        return false;
      }
      if (fin) {
        const text = Buffer.concat(fragments).toString('utf8');
        fragments = null;
        handlers.onMessage(text);
      }
    }
  };

  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    parse();
  });
  socket.on('close', () => finish(null));
  socket.on('error', () => finish(null));
  if (buffered.length > 0) queueMicrotask(parse);

  return {
    send(text: string): void {
      if (!open) throw new Error('the WebSocket is not open');
      write(OP.text, Buffer.from(text, 'utf8'));
    },
    close(code = 1000, reason = ''): void {
      sendClose(code, reason);
    },
    destroy(): void {
      open = false;
      socket.destroy();
    },
    get open() {
      return open && !socket.destroyed;
    },
  };
}
