import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { client, FakeSocket } from './helpers.mjs';

const { createHub, createConnection, createTab } = client;
beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  mock.method(Math, 'random', () => 0.5);
  FakeSocket.all = [];
});
afterEach(() => { mock.timers.reset(); mock.restoreAll(); });

// A MessagePort stand-in: what the hub posts is recorded; the tab side talks through say().
class FakePort {
  constructor() { this.got = []; }
  postMessage(m) { if (this.dead) throw new Error('gone'); this.got.push(structuredClone(m)); }
  say(t) { this.onmessage({ data: { t } }); }
  get texts() { return this.got.filter((m) => m.text).map((m) => JSON.parse(m.text)); }
}

function makeHub() {
  const hub = createHub((on) => createConnection('ws://h/__reload/ws', on, FakeSocket));
  const sock = () => FakeSocket.all.at(-1);
  return { hub, sock };
}
const hello = (instance, epoch) => ({ type: 'hello', protocol: 1, instance, epoch });

test('one socket for all tabs; every message relayed to every port', () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(), b = new FakePort();
  hub.connect(a);
  assert.deepEqual(a.got, [{ hub: 1 }]);
  sock().open(); sock().recv(hello('i', 12));
  hub.connect(b);
  assert.equal(FakeSocket.all.length, 1);
  sock().recv({ type: 'reload', epoch: 13 });
  sock().recv({ type: 'future', epoch: 14 });
  assert.deepEqual(a.texts.map((m) => m.type), ['hello', 'reload', 'future']);
  assert.deepEqual(b.texts.map((m) => m.type), ['hello', 'reload', 'future']);
});

test('a late port gets the hello with the latest epoch seen', () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(); hub.connect(a);
  sock().open(); sock().recv(hello('i', 12));
  sock().recv({ type: 'css', epoch: 13, path: '/s.css' });
  sock().recv({ type: 'pong' });
  const b = new FakePort(); hub.connect(b);
  assert.deepEqual(b.texts, [hello('i', 13)]);
});

test('bye and failing ports are pruned; hi re-adds (back from bfcache)', () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(), b = new FakePort(), c = new FakePort();
  [a, b, c].forEach((p) => hub.connect(p));
  sock().open(); sock().recv(hello('i', 1));
  a.say('bye');
  c.dead = true;
  sock().recv({ type: 'reload', epoch: 2 });
  assert.equal(hub.ports.size, 1);
  assert.ok(hub.ports.has(b));
  assert.deepEqual(a.texts.map((m) => m.type), ['hello']);
  a.say('visible'); // unknown port: ignored, not re-added
  assert.equal(hub.ports.size, 1);
  a.say('hi');
  assert.equal(hub.ports.size, 2);
  assert.deepEqual(a.texts.at(-1), hello('i', 2));
});

test('an outage is relayed once and forgets the cached hello', () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(); hub.connect(a);
  sock().open(); sock().recv(hello('i', 1));
  mock.timers.tick(3000);
  sock().drop(1012);
  assert.deepEqual(a.got.at(-1), { down: 1 });
  const b = new FakePort(); hub.connect(b);
  assert.deepEqual(b.got, [{ hub: 1 }]); // no stale hello
  // the connect of b woke the hub: reconnect at once, the new hello reaches both
  assert.equal(FakeSocket.all.length, 2);
  sock().open(); sock().recv(hello('j', 0));
  assert.deepEqual(a.texts.at(-1), hello('j', 0));
  assert.deepEqual(b.texts.at(-1), hello('j', 0));
});

test('retries pause while every tab is hidden; any tab turning visible retries at once', () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(), b = new FakePort();
  hub.connect(a); hub.connect(b);
  sock().open(); mock.timers.tick(3000);
  a.say('hidden'); b.say('hidden');
  sock().drop(1001);
  for (let i = 0; i < 600; i++) mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 1);
  b.say('visible');
  assert.equal(FakeSocket.all.length, 2);
  sock().drop(); // fails again while b is visible: normal backoff
  for (let i = 0; i < 3; i++) mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 3);
  a.say('wake'); // e.g. 'online' in a tab: try now
  sock().drop(); a.say('wake');
  assert.equal(FakeSocket.all.length, 4);
});

test('each tab decides from its own page state', () => {
  const { hub, sock } = makeHub();
  const reloads = [];
  const tabOn = (name, page) => {
    const port = new FakePort();
    const tab = createTab(page, { reload: () => reloads.push(name), css: () => true, log() {} });
    port.postMessage = (m) => { if (m.text) tab.message(m.text); else if (m.down) tab.down(); };
    hub.connect(port);
    return port;
  };
  tabOn('old', { instance: 'i', epoch: 12 });
  sock().open(); sock().recv(hello('i', 13)); // a reload happened while 'old' was loading
  tabOn('fresh', { instance: 'i', epoch: 13 });
  tabOn('other', { instance: 'z', epoch: 13 }); // rendered by a previous broker
  mock.timers.tick(500);
  assert.deepEqual(reloads.sort(), ['old', 'other']);
});
