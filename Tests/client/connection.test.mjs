import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { client, FakeSocket } from './helpers.mjs';

const { createConnection } = client;
beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  mock.method(Math, 'random', () => 0.5); // jitter-free delays: 100, 200, 400, ...
  FakeSocket.all = [];
});
afterEach(() => { mock.timers.reset(); mock.restoreAll(); });

function make({ hidden = false } = {}) {
  const rec = { messages: [], downs: 0, hidden };
  const conn = createConnection('ws://h/__reload/ws', {
    message: (t) => rec.messages.push(t),
    down: () => rec.downs++,
    hidden: () => rec.hidden,
  }, FakeSocket);
  const last = () => FakeSocket.all.at(-1);
  return { conn, rec, last, count: () => FakeSocket.all.length };
}

test('connects at once and relays text frames', () => {
  const { conn, rec, last, count } = make();
  conn.wake();
  assert.equal(count(), 1);
  assert.equal(last().url, 'ws://h/__reload/ws');
  last().open();
  last().recv({ type: 'hello', protocol: 1, instance: 'a', epoch: 1 });
  last().onmessage({ data: new ArrayBuffer(2) }); // binary: ignored
  assert.deepEqual(rec.messages, ['{"type":"hello","protocol":1,"instance":"a","epoch":1}']);
  conn.wake(); // already connected: no second socket
  assert.equal(count(), 1);
});

test('failed attempts back off 100, 200, 400 ... capped at 4 s, and never tight-loop', () => {
  const { conn, rec, last, count } = make();
  conn.wake();
  const gaps = [];
  let t = Date.now();
  for (let i = 0; i < 9; i++) {
    const before = count();
    const { onerror, onclose } = last();
    onerror({}); onclose({ code: 1006 }); // both events fire: still one retry
    while (count() === before) mock.timers.tick(10);
    gaps.push(Date.now() - t); t = Date.now();
  }
  assert.deepEqual(gaps, [100, 200, 400, 800, 1600, 3200, 4000, 4000, 4000]);
  assert.equal(rec.downs, 0); // never opened: no outage to report
});

test('backoff resets only after a connection stayed open; flapping keeps backing off', () => {
  const { conn, rec, last, count } = make();
  conn.wake();
  for (let i = 0; i < 4; i++) { last().drop(); mock.timers.tick(5000); }
  assert.equal(count(), 5);
  // open but dropped at once (e.g. the server accepts and closes): no reset
  last().open(); last().drop();
  assert.equal(rec.downs, 1);
  mock.timers.tick(1599); assert.equal(count(), 5);
  mock.timers.tick(1); assert.equal(count(), 6);
  // open and stable for 2 s, then the broker restarts (1012): first retry ~100 ms
  last().open(); mock.timers.tick(2000); last().drop(1012);
  assert.equal(rec.downs, 2);
  mock.timers.tick(99); assert.equal(count(), 6);
  mock.timers.tick(1); assert.equal(count(), 7);
});

test('retries pause while hidden and resume immediately on wake', () => {
  const { conn, rec, last, count } = make();
  conn.wake(); last().open(); mock.timers.tick(3000);
  rec.hidden = true;
  last().drop(1001);
  mock.timers.tick(60_000);
  assert.equal(count(), 1); // paused, no attempts
  rec.hidden = false;
  conn.wake();
  assert.equal(count(), 2); // at once
});

test('a hidden start waits for wake', () => {
  const { conn, rec, count } = make({ hidden: true });
  conn.wake(); mock.timers.tick(10_000);
  assert.equal(count(), 0);
  rec.hidden = false; conn.wake();
  assert.equal(count(), 1);
});

test('heartbeat: ping every 5 s, pongs keep it alive', () => {
  const { conn, last, count } = make();
  conn.wake(); const s = last(); s.open();
  for (let i = 1; i <= 6; i++) {
    mock.timers.tick(5000);
    assert.equal(s.pings, i);
    s.recv({ type: 'pong' });
  }
  assert.equal(count(), 1);
  assert.equal(s.closed, false);
});

test('heartbeat: a missing pong closes and reconnects', () => {
  const { conn, rec, last, count } = make();
  conn.wake(); const s = last(); s.open();
  mock.timers.tick(5000); assert.equal(s.pings, 1); // no answer
  mock.timers.tick(5000);
  assert.equal(s.closed, true);
  assert.equal(rec.downs, 1);
  mock.timers.tick(100);
  assert.equal(count(), 2);
  assert.equal(s.onmessage, null); // the dead socket is detached
});

test('heartbeat: total silence is detected within ~12 s', () => {
  const { conn, last } = make();
  conn.wake(); const s = last(); s.open();
  let t = 0;
  while (!s.closed && t < 20_000) { mock.timers.tick(100); t += 100; }
  assert.ok(s.closed && t <= 12_000, `closed after ${t} ms`);
});

test('wake from sleep: a late timer probes at once instead of waiting', () => {
  const { conn, last, count } = make();
  conn.wake(); const s = last(); s.open();
  mock.timers.tick(4000);
  mock.timers.setTime(Date.now() + 30 * 60_000); // laptop lid closed for 30 minutes
  mock.timers.tick(1000); // the 5 s tick fires half an hour late
  assert.equal(s.closed, false); // not judged on stale clocks...
  assert.equal(s.pings, 1); // ...but probed right away
  mock.timers.tick(3000); // no answer within the probe window
  assert.equal(s.closed, true);
  mock.timers.tick(100);
  assert.equal(count(), 2);
});

test('wake from sleep: a live socket answering the probe stays', () => {
  const { conn, last, count } = make();
  conn.wake(); const s = last(); s.open();
  mock.timers.tick(4000);
  mock.timers.setTime(Date.now() + 60_000);
  mock.timers.tick(1000);
  s.recv({ type: 'pong' });
  mock.timers.tick(20_000);
  assert.equal(s.closed, false);
  assert.equal(count(), 1);
});

test('wake while open probes the socket (visibility/online)', () => {
  const { conn, last } = make();
  conn.wake(); const s = last(); s.open();
  mock.timers.tick(1000);
  conn.wake();
  assert.equal(s.pings, 1);
  mock.timers.tick(3000);
  assert.equal(s.closed, true);
});

test('stop closes without retrying; a constructor that throws is retried with backoff', () => {
  const { conn, last, count } = make();
  conn.wake(); last().open(); conn.stop();
  assert.equal(last().closed, true);
  mock.timers.tick(60_000);
  assert.equal(count(), 1);

  let tries = 0;
  class Throwing { constructor() { tries++; throw new Error('blocked'); } }
  const c2 = createConnection('ws://x/ws', { message() {}, down() {}, hidden: () => false }, Throwing);
  c2.wake();
  for (let i = 0; i < 100; i++) mock.timers.tick(10); // step: timers set inside callbacks
  assert.equal(tries, 4); // t=0, 100, 300, 700
});

test('a socket stuck connecting is dropped after ~12 s and retried', () => {
  const { conn, rec, last, count } = make();
  conn.wake(); const s = last();
  mock.timers.tick(11_999); assert.equal(s.closed, false);
  mock.timers.tick(1); assert.equal(s.closed, true);
  assert.equal(rec.downs, 0);
  mock.timers.tick(100); assert.equal(count(), 2);
  const s2 = last(); s2.open();
  for (let i = 0; i < 150; i++) { mock.timers.tick(100); s2.recv({ type: 'pong' }); }
  assert.equal(s2.closed, false); // opening cancelled the connect timeout
  assert.equal(count(), 2);
});
