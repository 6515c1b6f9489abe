import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.ts';
import { pgliteDb, type TestDb } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';

/**
 * An answer given before the client has finished sending (a web page's 401 to a GET with a
 * body, sent with `Connection: close`) must still reach the client. Closing a socket with
 * unread bytes makes the kernel reset the connection, and Linux then throws away whatever the
 * client had not read yet: the answer. Here the client reads only after sending everything,
 * so the answer survives only if the service keeps reading until the client is done.
 */
async function answerAfterSlowBody(port: number, head: string, bodyBytes: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let reading = false;
    socket.on('error', () => resolve(Buffer.concat(received).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
    socket.pause();
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('connect', async () => {
      socket.write(`${head}Content-Length: ${bodyBytes}\r\n\r\n`);
      // The rest of the body trickles in after the service has answered.
      const piece = Buffer.alloc(64 * 1024, 'x');
      for (let sent = 0; sent < bodyBytes; sent += piece.length) {
        await new Promise((r) => setTimeout(r, 25));
        if (socket.destroyed) break;
        socket.write(piece.subarray(0, Math.min(piece.length, bodyBytes - sent)));
      }
      if (!reading) {
        reading = true;
        socket.resume();
        socket.end();
      }
    });
  });
}

describe('answers given before the body has arrived', () => {
  let t: TestDb;
  let svc: Service;
  beforeAll(async () => {
    t = await pgliteDb();
    svc = await startTestService(t.database, {});
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  it('reach a client that is still sending, for a web page and for an upload refused for its token', async () => {
    const page = await answerAfterSlowBody(svc.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n', 640 * 1024);
    expect(page).toMatch(/^HTTP\/1\.1 401 /);
    const upload = await answerAfterSlowBody(svc.port, 'POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bbt_nope\r\nConnection: close\r\n', 640 * 1024);
    expect(upload).toMatch(/^HTTP\/1\.1 401 /);
    expect(upload).toContain('upload token');
  }, 30_000);
});
