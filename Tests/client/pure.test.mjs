import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client } from './helpers.mjs';

const { backoffDelay, socketURL, scriptURL, decideOnHello, parseMessage, matchStylesheets, scrollToRestore, bust } = client;

test('backoff: ~100 ms first, doubling, capped at 4 s, jitter within ±20%', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 50, 5000].map((n) => backoffDelay(n, mid)),
    [100, 200, 400, 800, 1600, 3200, 4000, 4000, 4000, 4000]);
  assert.equal(backoffDelay(0, () => 0), 80);
  assert.equal(backoffDelay(0, () => 0.999999), 120);
  assert.equal(backoffDelay(99, () => 0), 3200);
  assert.equal(backoffDelay(99, () => 0.999999), 4800);
  // a seeded pseudo-random source: every delay stays inside its band
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let n = 0; n < 40; n++) {
    const base = Math.min(100 * 2 ** n, 4000), d = backoffDelay(n, rnd);
    assert.ok(d >= base * 0.8 && d <= base * 1.2, `attempt ${n}: ${d}`);
  }
  for (let n = 0; n < 10; n++) assert.ok(backoffDelay(n) >= 80); // never a tight loop
});

test('socketURL from script srcs', () => {
  const page = 'http://localhost:3000/blog/post?x=1';
  assert.equal(socketURL('/__reload/client.js', page), 'ws://localhost:3000/__reload/ws');
  assert.equal(socketURL('http://127.0.0.1:35729/__reload/client.js', page), 'ws://127.0.0.1:35729/__reload/ws');
  assert.equal(socketURL('/__reload/client.js', 'https://dev.example:8443/'), 'wss://dev.example:8443/__reload/ws');
  assert.equal(socketURL('https://dev.example/__reload/client.js'), 'wss://dev.example/__reload/ws');
  assert.equal(socketURL('/app/__reload/client.js', page), 'ws://localhost:3000/app/__reload/ws');
  assert.equal(socketURL('/__reload/client.js?token=abc%20d#frag', page), 'ws://localhost:3000/__reload/ws?token=abc%20d');
  assert.equal(socketURL('__reload/client.js', 'http://h/app/index.html'), 'ws://h/app/__reload/ws');
});

test('scriptURL: src, data-url, or the origin default', () => {
  const o = 'http://localhost:3000';
  assert.equal(scriptURL('http://127.0.0.1:35729/__reload/client.js?t=1', undefined, o), 'http://127.0.0.1:35729/__reload/client.js?t=1');
  assert.equal(scriptURL('', undefined, o), 'http://localhost:3000/__reload/client.js');
  assert.equal(scriptURL('', 'http://127.0.0.1:35729/__reload', o), 'http://127.0.0.1:35729/__reload/client.js');
  assert.equal(scriptURL('', '/app/__reload/', o), 'http://localhost:3000/app/__reload/client.js');
  assert.equal(scriptURL('', '/app/__reload/ws?t=2', o), 'http://localhost:3000/app/__reload/client.js?t=2');
  assert.equal(socketURL(scriptURL('', 'https://x.test/__reload/client.js', o)), 'wss://x.test/__reload/ws');
});

test('decideOnHello', () => {
  const hello = (instance, epoch) => ({ type: 'hello', protocol: 1, instance, epoch });
  assert.equal(decideOnHello({ instance: 'a', epoch: 12 }, hello('a', 12)), 'none');
  assert.equal(decideOnHello({ instance: 'a', epoch: 12 }, hello('a', 11)), 'none');
  assert.equal(decideOnHello({ instance: 'a', epoch: 12 }, hello('a', 13)), 'reload');
  assert.equal(decideOnHello({ instance: 'a', epoch: 12 }, hello('b', 12)), 'reload');
  assert.equal(decideOnHello({ instance: 'a', epoch: 12 }, hello('b', 0)), 'reload');
  assert.equal(decideOnHello({ instance: null, epoch: null }, hello('b', 99)), 'baseline');
  assert.equal(decideOnHello({ instance: 'a', epoch: null }, hello('a', 99)), 'baseline');
  assert.equal(decideOnHello({ instance: 'a', epoch: 12 }, { type: 'hello' }), 'none'); // malformed: never reload
});

test('parseMessage is robust', () => {
  for (const bad of ['', 'nope', '{', 'null', '[]', '42', '"hello"', '{"type":5}', '{}'])
    assert.equal(parseMessage(bad), null, bad);
  assert.deepEqual(parseMessage('{"type":"zap","x":1}'), { type: 'zap', x: 1 });
  assert.deepEqual(parseMessage('{"type":"reload","epoch":13}'), { type: 'reload', epoch: 13 });
});

test('matchStylesheets: exact, relative, suffix/basename fallback, query ignored, none', () => {
  const base = 'http://localhost:3000/blog/post';
  const hrefs = [
    'http://localhost:3000/styles/site.css?v=3',
    'http://localhost:3000/vendor/site.css',
    'http://localhost:3000/styles/print.css#x',
    'https://cdn.example/lib/reset.css',
  ];
  assert.deepEqual(matchStylesheets(hrefs, '/styles/site.css', base), [0]);
  assert.deepEqual(matchStylesheets(hrefs, 'styles/site.css', base), [0]);
  assert.deepEqual(matchStylesheets(hrefs, '/styles/site.css?t=9', base), [0]);
  assert.deepEqual(matchStylesheets(hrefs, '/styles/print.css', base), [2]);
  assert.deepEqual(matchStylesheets(hrefs, '/public/vendor/site.css', base), [1]); // longest suffix wins
  assert.deepEqual(matchStylesheets(hrefs, '/other/site.css', base), [0, 1]); // basename only: both
  assert.deepEqual(matchStylesheets(hrefs, '/reset.css', base), [3]);
  assert.deepEqual(matchStylesheets(['/app/styles/site.css'], '/styles/site.css', base), [0]); // under a proxy prefix
  assert.deepEqual(matchStylesheets(['/styles/my%20site.css'], '/styles/my site.css', base), [0]);
  assert.deepEqual(matchStylesheets(hrefs, '/styles/missing.css', base), []);
  assert.deepEqual(matchStylesheets(hrefs, '/', base), []);
  assert.deepEqual(matchStylesheets([], '/styles/site.css', base), []);
  // exact beats a longer non-exact candidate list
  assert.deepEqual(matchStylesheets(['/a/b/site.css', '/b/site.css'], '/b/site.css', base), [1]);
});

test('scrollToRestore: same URL, younger than 10 s, otherwise nothing', () => {
  const e = (o) => JSON.stringify({ url: 'http://h/p', x: 3, y: 400, time: 1000, ...o });
  assert.deepEqual(scrollToRestore(e(), 'http://h/p', 5000), { url: 'http://h/p', x: 3, y: 400, time: 1000 });
  assert.equal(scrollToRestore(e(), 'http://h/other', 5000), null);
  assert.equal(scrollToRestore(e(), 'http://h/p', 11001), null);
  assert.equal(scrollToRestore(e(), 'http://h/p', 500), null); // clock went backwards
  assert.equal(scrollToRestore(null, 'http://h/p', 5000), null);
  assert.equal(scrollToRestore('{garbage', 'http://h/p', 5000), null);
});

test('bust replaces its own param and keeps the others', () => {
  assert.equal(bust('http://h/s.css?v=1&__rb=5#x', 7), 'http://h/s.css?v=1&__rb=7#x');
  assert.equal(bust('http://h/s.css', 7), 'http://h/s.css?__rb=7');
});
