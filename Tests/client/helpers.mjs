// Shared helpers for the client.js tests (not a test file itself).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const clientPath = fileURLToPath(new URL('../../Sources/ReloadBroker/client/client.js', import.meta.url));
export const client = createRequire(import.meta.url)(clientPath);

// A WebSocket stand-in: records every instance; tests drive onopen/onmessage/onclose by hand.
export class FakeSocket {
  static all = [];
  constructor(url) { this.url = url; this.sent = []; this.closed = false; FakeSocket.all.push(this); }
  send(s) { this.sent.push(s); }
  close() { this.closed = true; }
  open() { this.onopen && this.onopen({}); }
  recv(obj) { this.onmessage && this.onmessage({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) }); }
  drop(code = 1006) { this.onclose && this.onclose({ code }); }
  get pings() { return this.sent.filter((s) => JSON.parse(s).type === 'ping').length; }
}
