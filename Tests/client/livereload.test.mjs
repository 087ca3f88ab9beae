// The LiveReload protocol 7 mode (client.js served as /livereload.js).
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { client, FakeSocket } from './helpers.mjs';

const { liveReloadOptions, liveReloadDelay, fromLiveReload, createLiveReloadSocket, createConnection } = client;
const P7 = 'http://livereload.com/protocols/official-7', P6 = 'http://livereload.com/protocols/official-6';

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  mock.method(Math, 'random', () => 0.5);
  FakeSocket.all = [];
});
afterEach(() => { mock.timers.reset(); mock.restoreAll(); });

test('options: host and port of the src, as livereload.js reads them', () => {
  assert.deepEqual(liveReloadOptions('http://127.0.0.1:35729/livereload.js?snipver=1'),
    { url: 'ws://127.0.0.1:35729/livereload', min: 100, max: 4000 });
  assert.equal(liveReloadOptions('https://dev.test/livereload.js').url, 'wss://dev.test/livereload');
  assert.equal(liveReloadOptions('http://x/z/zlivereload.js').url, 'ws://x/livereload');
});

test('options: host, port, path, https, mindelay and maxdelay from the query', () => {
  const o = liveReloadOptions('http://app.test:8000/livereload.js?host=127.0.0.1&port=4001&path=/lr/socket&https=1&mindelay=500&maxdelay=9000');
  assert.deepEqual(o, { url: 'wss://127.0.0.1:4001/lr/socket', min: 500, max: 9000 });
  assert.equal(liveReloadOptions('https://a/livereload.js?https=0').url, 'ws://a/livereload');
  assert.equal(liveReloadOptions('http://a/livereload.js?host=::1&port=9').url, 'ws://[::1]:9/livereload');
  assert.equal(liveReloadOptions('http://a/livereload.js?port=abc').url, 'ws://a/livereload'); // bad port ignored
  assert.equal(liveReloadOptions('http://a/livereload.js?maxdelay=10&mindelay=200').max, 200); // max >= min
});

test('options: any other script is not LiveReload mode', () => {
  assert.equal(liveReloadOptions('http://a/__reload/client.js'), null);
  assert.equal(liveReloadOptions('http://a/livereload.json'), null);
  assert.equal(liveReloadOptions(undefined), null);
  assert.equal(liveReloadOptions('not a url'), null);
});

test('delay: mindelay doubling to maxdelay, never under 50 ms', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => liveReloadDelay(n, 1000, 5000, mid)), [1000, 2000, 4000, 5000, 5000]);
  assert.equal(liveReloadDelay(0, 0, 0, mid), 50);
  assert.equal(liveReloadDelay(0, 1000, 5000, () => 0), 800); // -20% jitter
});

test('messages: reload paths become live swaps or reloads', () => {
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'reload', path: '/style.css', liveCSS: true })), { type: 'css', path: '/style.css' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'reload', path: 'a/b.css?v=1' })), { type: 'css', path: 'a/b.css?v=1' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'reload', path: '/style.css', liveCSS: false })), { type: 'reload' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'reload', path: 'logo.png' })), { type: 'css', path: 'logo.png' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'reload', path: 'logo.png', liveImg: false })), { type: 'reload' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'reload', path: '/index.html' })), { type: 'reload' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'reload' })), { type: 'reload' });
});

test('messages: hello, alert, pong; anything else ignored', () => {
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'hello', protocols: [P7], serverName: 'reload-broker' })), { type: 'hello', server: 'reload-broker' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'hello', protocols: [P6] })), { type: 'hello', server: '' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'hello', protocols: ['x'] })), { type: 'refused' });
  assert.deepEqual(fromLiveReload(JSON.stringify({ command: 'alert', message: 'Build failed' })), { type: 'alert', message: 'Build failed' });
  assert.deepEqual(fromLiveReload('{"command":"pong"}'), { type: 'pong' });
  for (const text of ['{"command":"info"}', '{}', 'null', '42', 'not json', '[1]']) assert.equal(fromLiveReload(text), null, text);
});

function connect(server = 'reload-broker') {
  const rec = { messages: [], downs: 0, alerts: [] };
  const WS = createLiveReloadSocket(FakeSocket, 'http://page.test/', (m) => rec.alerts.push(m));
  const conn = createConnection('ws://127.0.0.1:35729/livereload', {
    message: (t) => rec.messages.push(JSON.parse(t)), down: () => rec.downs++, hidden: () => false,
  }, WS, (n) => liveReloadDelay(n, 100, 400, () => 0.5));
  conn.wake();
  const ws = FakeSocket.all.at(-1);
  ws.open();
  return { rec, conn, ws, hello: () => ws.recv({ command: 'hello', protocols: [P7], serverName: server }) };
}

test('socket: hello both ways, then info, then translated commands', () => {
  const { rec, ws, hello } = connect();
  assert.deepEqual(JSON.parse(ws.sent[0]), { command: 'hello', protocols: [P6, P7], ver: 'reload-broker' });
  assert.equal(rec.messages.length, 0); // not open before the server's hello
  hello();
  assert.deepEqual(JSON.parse(ws.sent[1]), { command: 'info', plugins: {}, url: 'http://page.test/' });
  assert.deepEqual(rec.messages, [{ type: 'hello' }]);
  ws.recv({ command: 'reload', path: '/site.css', liveCSS: true, liveImg: true });
  ws.recv({ command: 'reload', path: '/', liveCSS: true, liveImg: true });
  ws.recv({ command: 'alert', message: 'Build failed' });
  assert.deepEqual(rec.messages.slice(1), [{ type: 'css', path: '/site.css' }, { type: 'reload' }, { type: 'alert', message: 'Build failed' }]);
  assert.deepEqual(rec.alerts, ['Build failed']);
});

test('socket: the heartbeat is a ping command to reload-broker', () => {
  const { ws, hello, rec } = connect();
  hello();
  mock.timers.tick(5000);
  assert.equal(ws.sent.at(-1), '{"command":"ping"}');
  ws.recv({ command: 'pong' });
  mock.timers.tick(5000);
  assert.equal(rec.downs, 0);
  assert.equal(ws.closed, false);
});

test('socket: other LiveReload servers get no ping and the connection stays up', () => {
  const { ws, hello, rec } = connect('tiny-lr');
  hello();
  mock.timers.tick(30_000);
  assert.equal(ws.sent.length, 2); // hello and info only
  assert.equal(rec.downs, 0);
  assert.equal(ws.closed, false);
});

test('socket: a first message that is not hello, or no hello within 5 s, drops and retries', () => {
  const first = connect();
  first.ws.recv({ command: 'reload', path: '/' });
  assert.equal(first.ws.closed, true);
  mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 2); // retried after the LiveReload delay
  const again = FakeSocket.all.at(-1);
  again.open();
  mock.timers.tick(4999);
  assert.equal(again.closed, false);
  mock.timers.tick(1);
  assert.equal(again.closed, true);
  assert.equal(first.rec.messages.length, 0);
});
