// Runs the real client.js as a browser would (a vm context with fake page/worker globals).
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { clientPath, FakeSocket } from './helpers.mjs';

const code = readFileSync(clientPath, 'utf8');
beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  mock.method(Math, 'random', () => 0.5);
  FakeSocket.all = [];
});
afterEach(() => { mock.timers.reset(); mock.restoreAll(); });

function fakeStorage(init = {}) {
  const m = new Map(Object.entries(init));
  return { m, getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

// Storage that exists but throws on every use (e.g. blocked in a third-party iframe).
const blockedStorage = () => ({ getItem() { throw new Error('SecurityError'); }, setItem() { throw new Error('SecurityError'); }, removeItem() { throw new Error('SecurityError'); } });
// history.state survives a reload of the tab; replaceState stores a structured clone, as browsers do.
function fakeHistory(state = null) {
  return { state, calls: 0, replaceState(s, title) { assert.equal(title, ''); this.calls++; this.state = structuredClone(s); } };
}

function makePage({ src = 'http://localhost:3000/__reload/client.js', dataset = { instance: 'a', epoch: '12' }, storage = fakeStorage(), SharedWorker, history = fakeHistory(), noStorage = false } = {}) {
  const rec = { reloads: 0, logs: [], scrolls: [], winEvents: {}, docEvents: {}, workers: [] };
  const ctx = {
    console: { info: (s) => rec.logs.push(s) },
    setTimeout: (...a) => setTimeout(...a), clearTimeout: (t) => clearTimeout(t),
    Date, Math, URL, WebSocket: FakeSocket, sessionStorage: storage, SharedWorker, history,
    scrollX: 0, scrollY: 640, scrollTo: (x, y) => rec.scrolls.push([x, y]),
    addEventListener: (t, f) => { rec.winEvents[t] = f; },
    location: { href: 'http://localhost:3000/blog/post#intro', origin: 'http://localhost:3000', reload: () => rec.reloads++ },
    document: {
      currentScript: { src, dataset }, visibilityState: 'visible', readyState: 'interactive',
      addEventListener: (t, f) => { rec.docEvents[t] = f; }, querySelector: () => null,
    },
  };
  ctx.window = ctx;
  if (noStorage) Object.defineProperty(ctx, 'sessionStorage', { get() { throw new Error('SecurityError'); } });
  vm.createContext(ctx);
  const run = () => vm.runInContext(code, ctx, { filename: 'client.js' });
  run();
  return { ctx, rec, run, storage, history, sock: () => FakeSocket.all.at(-1) };
}
const plain = (x) => JSON.parse(JSON.stringify(x)); // objects from the vm realm
const hello = (instance, epoch) => ({ type: 'hello', protocol: 1, instance, epoch });

test('loaded twice, it runs once (one socket, one guard)', () => {
  const p = makePage();
  p.run();
  p.ctx.document.currentScript = null; // e.g. a second, inline copy
  p.run();
  assert.equal(FakeSocket.all.length, 1);
  assert.equal(p.sock().url, 'ws://localhost:3000/__reload/ws');
  assert.equal(typeof p.ctx.__reloadBroker.decideOnHello, 'function');
});

test('a newer broker instance reloads once, storing the scroll position', () => {
  const p = makePage();
  p.sock().open();
  p.sock().recv(hello('b', 0));
  p.sock().recv({ type: 'reload', epoch: 1 });
  mock.timers.tick(200);
  assert.equal(p.rec.reloads, 1);
  assert.deepEqual(p.rec.logs, ['[reload-broker] connected', '[reload-broker] reloading']);
  const { time, ...rest } = JSON.parse(p.storage.getItem('reload-broker:scroll'));
  assert.deepEqual(rest, { url: 'http://localhost:3000/blog/post#intro', x: 0, y: 640, why: 'b#0' });
  assert.ok(time >= 1_000_000 && time <= 1_000_200);
});

test('same instance and epoch: nothing happens; the socket pings', () => {
  const p = makePage();
  p.sock().open(); p.sock().recv(hello('a', 12));
  mock.timers.tick(5000);
  assert.equal(p.rec.reloads, 0);
  assert.equal(p.sock().pings, 1);
});

test('scroll is restored after load from a fresh entry for this URL, then forgotten', () => {
  const entry = { url: 'http://localhost:3000/blog/post#intro', x: 5, y: 900, time: 1_000_000 - 2000, why: 'b#0' };
  const p = makePage({ storage: fakeStorage({ 'reload-broker:scroll': JSON.stringify(entry) }) });
  assert.deepEqual(p.rec.scrolls, []);
  p.rec.winEvents.load();
  assert.deepEqual(p.rec.scrolls, [[5, 900]]);
  assert.equal(p.storage.getItem('reload-broker:scroll'), null);
  // and the hello that caused that reload does not cause another (loop breaker)
  p.sock().open(); p.sock().recv(hello('b', 0));
  mock.timers.tick(500);
  assert.equal(p.rec.reloads, 0);
});

test('a stale entry is dropped without scrolling', () => {
  const entry = { url: 'http://localhost:3000/blog/post#intro', x: 5, y: 900, time: 1_000_000 - 60_000 };
  const p = makePage({ storage: fakeStorage({ 'reload-broker:scroll': JSON.stringify(entry) }) });
  assert.equal(p.rec.winEvents.load, undefined);
  assert.equal(p.storage.getItem('reload-broker:scroll'), null);
});

test('hand-written tag without data-instance: first hello is the baseline', () => {
  const p = makePage({ dataset: {} });
  p.sock().open(); p.sock().recv(hello('z', 40));
  mock.timers.tick(500);
  assert.equal(p.rec.reloads, 0);
  p.sock().recv({ type: 'reload', epoch: 41 });
  mock.timers.tick(500);
  assert.equal(p.rec.reloads, 1);
});

test('inline copy: broker URL from data-url, or the page origin', () => {
  makePage({ src: '', dataset: { url: 'https://127.0.0.1:35729/__reload/?token=t' } });
  assert.equal(FakeSocket.all.at(-1).url, 'wss://127.0.0.1:35729/__reload/ws?token=t');
  makePage({ src: '', dataset: {} });
  assert.equal(FakeSocket.all.at(-1).url, 'ws://localhost:3000/__reload/ws');
});

test('visibility, online and pagehide drive the direct socket', () => {
  const p = makePage();
  p.sock().open(); mock.timers.tick(3000);
  p.ctx.document.visibilityState = 'hidden';
  p.sock().drop(1001);
  for (let i = 0; i < 100; i++) mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 1);
  p.ctx.document.visibilityState = 'visible';
  p.rec.docEvents.visibilitychange();
  assert.equal(FakeSocket.all.length, 2);
  p.sock().drop(); p.rec.winEvents.online();
  assert.equal(FakeSocket.all.length, 3);
  const s = p.sock();
  p.rec.winEvents.pagehide();
  assert.equal(s.closed, true);
  mock.timers.tick(60_000);
  assert.equal(FakeSocket.all.length, 3);
  p.rec.winEvents.pageshow({ persisted: true }); // back from bfcache
  assert.equal(FakeSocket.all.length, 4);
});

// A SharedWorker stand-in: records construction; the test plays the hub through its port.
function sharedWorkerClass(rec) {
  return class {
    constructor(url, opts) {
      this.port = { sent: [], postMessage(m) { this.sent.push(m); }, close() { this.closed = true; } };
      rec.push({ url, opts, w: this });
    }
  };
}

test('same-origin SharedWorker: one hub, no socket in the tab; tab messages and relayed server messages', () => {
  const made = [];
  const p = makePage({ SharedWorker: sharedWorkerClass(made) });
  assert.equal(FakeSocket.all.length, 0);
  assert.deepEqual(plain(made.map((x) => [x.url, x.opts])), [['http://localhost:3000/__reload/client.js', { name: 'reload-broker' }]]);
  const port = made[0].w.port;
  port.onmessage({ data: { hub: 1 } });
  port.onmessage({ data: { text: JSON.stringify(hello('a', 12)) } });
  mock.timers.tick(10_000); // the ack stopped the fallback timer
  assert.equal(FakeSocket.all.length, 0);
  port.onmessage({ data: { text: '{"type":"reload","epoch":13}' } });
  mock.timers.tick(200);
  assert.equal(p.rec.reloads, 1);
  p.rec.winEvents.online(); p.rec.winEvents.pagehide();
  assert.deepEqual(plain(port.sent), [{ t: 'visible' }, { t: 'wake' }, { t: 'bye' }]);
});

test('SharedWorker silent, erroring, throwing or cross-origin: a socket per tab', () => {
  let made = [];
  makePage({ SharedWorker: sharedWorkerClass(made) });
  mock.timers.tick(2999); assert.equal(FakeSocket.all.length, 0);
  mock.timers.tick(1); assert.equal(FakeSocket.all.length, 1); // no ack in 3 s
  assert.equal(made[0].w.port.closed, true);
  made[0].w.onerror({}); // late error: still one socket
  assert.equal(FakeSocket.all.length, 1);

  made = [];
  makePage({ SharedWorker: sharedWorkerClass(made) });
  made[0].w.onerror({});
  assert.equal(FakeSocket.all.length, 2);

  makePage({ SharedWorker: class { constructor() { throw new Error('SecurityError'); } } });
  assert.equal(FakeSocket.all.length, 3);

  made = [];
  makePage({ src: 'http://127.0.0.1:35729/__reload/client.js', SharedWorker: sharedWorkerClass(made) });
  assert.equal(made.length, 0);
  assert.equal(FakeSocket.all.at(-1).url, 'ws://127.0.0.1:35729/__reload/ws');
});

test('in a SharedWorkerGlobalScope it becomes the hub', () => {
  const ctx = {
    setTimeout: (...a) => setTimeout(...a), clearTimeout: (t) => clearTimeout(t), Date, URL, WebSocket: FakeSocket,
    location: { href: 'https://dev.test/app/__reload/client.js?token=k' },
    SharedWorkerGlobalScope: class { static [Symbol.hasInstance]() { return true; } },
  };
  vm.createContext(ctx);
  vm.runInContext(code, ctx);
  assert.equal(typeof ctx.onconnect, 'function');
  const port = { got: [], postMessage(m) { this.got.push(m); } };
  ctx.onconnect({ ports: [port] });
  assert.equal(FakeSocket.all.length, 1);
  assert.equal(FakeSocket.all[0].url, 'wss://dev.test/app/__reload/ws?token=k');
  FakeSocket.all[0].open(); FakeSocket.all[0].recv(hello('a', 1));
  assert.deepEqual(plain(port.got), [{ hub: 1 }, { text: JSON.stringify(hello('a', 1)) }]);
});

test('a reload cancelled by "Stay on page" re-arms the page after 3 s; one that goes ahead does not', () => {
  let p = makePage();
  p.sock().open(); p.sock().recv(hello('a', 12));
  p.sock().recv({ type: 'reload', epoch: 13 }); mock.timers.tick(30);
  assert.equal(p.rec.reloads, 1); // location.reload() was cancelled: no pagehide follows
  mock.timers.tick(3000);
  assert.equal(p.rec.reloads, 1);
  p.sock().recv({ type: 'reload', epoch: 14 }); mock.timers.tick(30);
  assert.equal(p.rec.reloads, 2);

  // Through the hub (its port still delivers after pagehide, unlike the stopped direct socket).
  const made = [];
  p = makePage({ SharedWorker: sharedWorkerClass(made) });
  const port = made[0].w.port, relay = (m) => port.onmessage({ data: { text: JSON.stringify(m) } });
  port.onmessage({ data: { hub: 1 } });
  relay(hello('a', 12)); relay({ type: 'reload', epoch: 13 }); mock.timers.tick(30);
  p.rec.winEvents.pagehide(); // the reload is under way
  mock.timers.tick(10_000);
  relay({ type: 'reload', epoch: 14 }); mock.timers.tick(30);
  assert.equal(p.rec.reloads, 1);
  p.rec.winEvents.pageshow({ persisted: true }); // back from bfcache after all: the hello decides
  relay(hello('a', 14)); mock.timers.tick(30);
  assert.equal(p.rec.reloads, 2);
  assert.deepEqual(plain(port.sent).map((m) => m.t), ['visible', 'bye', 'hi']);
});

const KEY = 'reload-broker:scroll';

test('no sessionStorage: the reload entry rides on a null history.state and is removed on the next load', () => {
  for (const opts of [{ noStorage: true }, { storage: blockedStorage() }]) {
    const history = fakeHistory(null);
    const p = makePage({ ...opts, history });
    p.sock().open(); p.sock().recv(hello('b', 0)); mock.timers.tick(30);
    assert.equal(p.rec.reloads, 1);
    assert.deepEqual(Object.keys(history.state), [KEY]);
    const { time, ...rest } = JSON.parse(history.state[KEY]);
    assert.deepEqual(rest, { url: 'http://localhost:3000/blog/post#intro', x: 0, y: 640, why: 'b#0' });

    mock.timers.tick(1000); // the same tab, reloaded
    const next = makePage({ ...opts, history });
    assert.equal(history.state, null); // as the app left it
    next.rec.winEvents.load();
    assert.deepEqual(next.rec.scrolls, [[0, 640]]);
    next.sock().open(); next.sock().recv(hello('b', 0)); mock.timers.tick(500);
    assert.equal(next.rec.reloads, 0); // loop breaker: the page still says a#12
    assert.match(next.rec.logs.join('\n'), /page and broker disagree/);
  }
});

test('no sessionStorage: a plain-object app state keeps its own keys', () => {
  const app = { idx: 3, usr: { tab: 'b' } };
  const history = fakeHistory(structuredClone(app));
  const p = makePage({ noStorage: true, history });
  p.sock().open(); p.sock().recv(hello('b', 0)); mock.timers.tick(30);
  assert.deepEqual(Object.keys(history.state), ['idx', 'usr', KEY]);
  assert.deepEqual(history.state.usr, app.usr);
  const next = makePage({ noStorage: true, history });
  assert.deepEqual(history.state, app);
  next.sock().open(); next.sock().recv(hello('b', 0)); mock.timers.tick(500);
  assert.equal(next.rec.reloads, 0);
  assert.equal(history.calls, 2);
});

test('history.state is left alone when it is not a plain object, or when sessionStorage works', () => {
  for (const state of ['step-2', 7, false, [1, 2], new Map([[KEY, 'x']])]) {
    const history = fakeHistory(state);
    const p = makePage({ noStorage: true, history });
    p.sock().open(); p.sock().recv(hello('b', 0)); mock.timers.tick(30);
    assert.equal(p.rec.reloads, 1); // no guard then, but the reload still happens
    assert.equal(history.calls, 0);
    assert.equal(history.state, state);
  }
  const history = fakeHistory({ app: 1 });
  const p = makePage({ history });
  p.sock().open(); p.sock().recv(hello('b', 0)); mock.timers.tick(30);
  assert.equal(p.rec.reloads, 1);
  assert.equal(history.calls, 0);
  assert.ok(p.storage.getItem(KEY));
  // replaceState failing (e.g. rate-limited) does not stop the reload
  const broken = { state: null, replaceState() { throw new Error('SecurityError'); } };
  const q = makePage({ noStorage: true, history: broken });
  q.sock().open(); q.sock().recv(hello('b', 0)); mock.timers.tick(30);
  assert.equal(q.rec.reloads, 1);
  makePage({ noStorage: true, history: { get state() { throw new Error('nope'); } } }); // loads fine
});

test('through the hub, the page answers pings with its visibility', () => {
  const made = [];
  const p = makePage({ SharedWorker: sharedWorkerClass(made) });
  const port = made[0].w.port;
  port.onmessage({ data: { hub: 1 } });
  port.onmessage({ data: { ping: 1 } });
  p.ctx.document.visibilityState = 'hidden';
  port.onmessage({ data: { ping: 1 } });
  assert.deepEqual(plain(port.sent), [{ t: 'visible' }, { t: 'pong', hidden: false }, { t: 'pong', hidden: true }]);
});

// Budget: 14 KB unminified (about 5 KB gzipped). Raise it only on purpose.
// (13 -> 14 KB: re-arming after a cancelled reload, the history.state fallback, the hub's sweep;
// 14 -> 19 KB: the LiveReload protocol 7 mode served as /livereload.js.)
test('size budget: client.js stays under 19 KB', () => {
  const size = Buffer.byteLength(code);
  assert.ok(size <= 19 * 1024, `client.js is ${size} bytes`);
});
