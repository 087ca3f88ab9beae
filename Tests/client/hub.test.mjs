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

// A MessagePort stand-in: what the hub posts is recorded; the tab side talks through say() and
// answers pings as a live tab does, unless `silent` (crashed or frozen).
class FakePort {
  constructor() { this.got = []; }
  postMessage(m) {
    if (this.dead) throw new Error('gone');
    this.got.push(structuredClone(m));
    if (m.ping && !this.silent) this.say('pong', { hidden: !!this.hidden });
  }
  say(t, more) { if (t === 'hidden' || t === 'visible') this.hidden = t === 'hidden'; this.onmessage({ data: { t, ...more } }); }
  gone() { this.dead = true; this.onclose(); } // the tab's side went away: MessagePort 'close' event
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

test("bye and failing ports are pruned; after 'bye' only 'hi' re-adds", () => {
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
  a.say('hi'); // back from bfcache
  assert.equal(hub.ports.size, 2);
  assert.deepEqual(a.texts.at(-1), hello('i', 2));
  a.say('bye');
  // A page's 'hidden' (visibilitychange) comes after its pagehide's 'bye', and a late 'pong' or
  // 'wake' may too: none of them brings a departed tab back (only 'hi', from bfcache, does).
  const before = a.got.length;
  a.say('hidden'); a.say('pong'); a.say('wake'); a.say('visible');
  assert.equal(hub.ports.size, 1);
  assert.equal(a.got.length, before);
  a.say('hi');
  assert.equal(hub.ports.size, 2);
  a.say('bye'); a.say('bye');
  assert.equal(hub.ports.size, 1);
});

test("a port whose tab went away ('close') is dropped at once", () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(), b = new FakePort();
  hub.connect(a); hub.connect(b);
  sock().open(); sock().recv(hello('i', 1));
  b.gone();
  assert.deepEqual([...hub.ports.keys()], [a]);
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

test('sweep: pings every 30 s while there are ports; a port silent since the last sweep is dropped', () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(), b = new FakePort();
  hub.connect(a); hub.connect(b);
  sock().open(); sock().recv(hello('i', 1));
  const pings = (p) => p.got.filter((m) => m.ping).length;
  mock.timers.tick(29_999);
  assert.equal(pings(a), 0);
  b.silent = true; // b crashed without 'bye' (and without 'close')
  mock.timers.tick(1); // first sweep: both spoke at connect, both kept and pinged; a answers
  assert.deepEqual([pings(a), pings(b)], [1, 1]);
  mock.timers.tick(30_000);
  assert.deepEqual([...hub.ports.keys()], [a]);
  assert.deepEqual([pings(a), pings(b)], [2, 1]);
  for (let i = 0; i < 10; i++) mock.timers.tick(30_000);
  assert.deepEqual([...hub.ports.keys()], [a]);
  assert.equal(pings(a), 12);
  a.say('bye');
  for (let i = 0; i < 25; i++) mock.timers.tick(10_000); // no ports: the sweeps stop
  const c = new FakePort(); hub.connect(c); // a new port starts them again, 30 s from now
  mock.timers.tick(29_999);
  assert.equal(pings(c), 0);
  mock.timers.tick(1);
  assert.equal(pings(c), 1);
});

test('a crashed visible tab no longer keeps the hub from pausing; a dropped port that speaks again is back', () => {
  const { hub, sock } = makeHub();
  const a = new FakePort(), dead = new FakePort(), frozen = new FakePort();
  [a, dead, frozen].forEach((p) => hub.connect(p));
  sock().open(); sock().recv(hello('i', 1));
  a.say('hidden'); frozen.say('hidden');
  dead.silent = frozen.silent = true; // dead crashed while shown ('visible' for ever); frozen is frozen
  mock.timers.tick(30_000); mock.timers.tick(30_000); // silent since the first sweep: dropped at the second
  assert.deepEqual([...hub.ports.keys()], [a]);
  sock().drop(1001); // every remaining tab hidden: retries pause
  for (let i = 0; i < 100; i++) mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 1);
  a.say('visible');
  assert.equal(FakeSocket.all.length, 2);
  sock().open(); sock().recv(hello('i', 2));
  a.say('hidden');
  frozen.silent = false; frozen.say('pong', { hidden: true }); // thawed: answers a queued ping
  assert.equal(hub.ports.has(frozen), true);
  assert.deepEqual(frozen.texts.at(-1), hello('i', 2)); // the hello it missed
  assert.equal(hub.ports.get(frozen).visible, false); // from its pong
  sock().drop(1001); // still all hidden: the hub stays paused
  for (let i = 0; i < 100; i++) mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 2);
  frozen.say('pong'); // a pong also refreshes visibility
  assert.equal(hub.ports.get(frozen).visible, true);
});
