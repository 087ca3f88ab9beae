import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { client } from './helpers.mjs';

const { createLatch, createTab } = client;
beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
afterEach(() => mock.timers.reset());

// A tab with recording actions; css(path) succeeds when the path is in `styles`.
function makeTab(page, styles = []) {
  const rec = { reloads: [], css: [], logs: [] };
  const tab = createTab(page, {
    reload: (why) => rec.reloads.push(why),
    css: (p) => (rec.css.push(p), styles.includes(p)),
    log: (s) => rec.logs.push(s),
  });
  const send = (m) => tab.message(JSON.stringify(m));
  return { tab, rec, send, page };
}

test('latch: fires at once, once, until reset', () => {
  let n = 0;
  const s = createLatch(() => n++);
  s.push(); assert.equal(n, 1);
  assert.equal(s.busy, true);
  s.push(); mock.timers.tick(1000); s.push(); assert.equal(n, 1); // never twice
});

test('a reload burst reloads the tab at the first message, exactly once', () => {
  const { rec, send } = makeTab({ instance: 'a', epoch: 12 });
  send({ type: 'hello', protocol: 1, instance: 'a', epoch: 12 });
  send({ type: 'reload', epoch: 13 });
  assert.equal(rec.reloads.length, 1); // no timer: the broker already settled the burst
  for (let e = 14; e <= 17; e++) { mock.timers.tick(10); send({ type: 'reload', epoch: e }); }
  send({ type: 'css', epoch: 17, path: '/s.css' });
  mock.timers.tick(100);
  assert.equal(rec.reloads.length, 1);
  assert.deepEqual(rec.css, []); // the page is going: nothing to swap
  send({ type: 'reload', epoch: 18 }); send({ type: 'hello', instance: 'b', epoch: 0 });
  mock.timers.tick(1000);
  assert.equal(rec.reloads.length, 1);
  assert.deepEqual(rec.logs, ['connected']); // 'reloading' is logged by the real reload action
});

test('hello: same state none, newer epoch or new instance reloads, no page state is a baseline', () => {
  let t = makeTab({ instance: 'a', epoch: 12 });
  t.send({ type: 'hello', protocol: 1, instance: 'a', epoch: 12 }); mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 0);

  t = makeTab({ instance: 'a', epoch: 12 });
  t.send({ type: 'hello', protocol: 1, instance: 'a', epoch: 13 }); mock.timers.tick(500);
  assert.deepEqual(t.rec.reloads, ['a#13']);

  t = makeTab({ instance: 'a', epoch: 12 });
  t.send({ type: 'hello', protocol: 1, instance: 'b', epoch: 1 }); mock.timers.tick(500);
  assert.deepEqual(t.rec.reloads, ['b#1']);

  t = makeTab({ instance: null, epoch: null });
  t.send({ type: 'hello', protocol: 1, instance: 'b', epoch: 7 }); mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 0);
  assert.deepEqual(t.page, { instance: 'b', epoch: 7 });
  t.tab.down();
  t.send({ type: 'hello', protocol: 1, instance: 'b', epoch: 7 }); mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 0);
  t.send({ type: 'hello', protocol: 1, instance: 'c', epoch: 0 }); mock.timers.tick(500); // broker restarted
  assert.equal(t.rec.reloads.length, 1);
});

test('loop breaker: the same hello that caused the last reload does not reload again', () => {
  const t = makeTab({ instance: 'a', epoch: 12, loop: 'b#1' });
  t.send({ type: 'hello', protocol: 1, instance: 'b', epoch: 1 }); mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 0);
  assert.equal(t.page.instance, 'b');
  t.send({ type: 'reload', epoch: 2 }); mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 1);
});

test('css: swapped in place advances the page epoch; no match reloads', () => {
  const t = makeTab({ instance: 'a', epoch: 12 }, ['/styles/site.css']);
  t.send({ type: 'hello', protocol: 1, instance: 'a', epoch: 12 });
  t.send({ type: 'css', epoch: 13, path: '/styles/site.css' }); mock.timers.tick(500);
  assert.deepEqual(t.rec.css, ['/styles/site.css']);
  assert.equal(t.page.epoch, 13);
  assert.equal(t.rec.reloads.length, 0);
  // a reconnect to the same instance at that epoch does not reload
  t.tab.down();
  t.send({ type: 'hello', protocol: 1, instance: 'a', epoch: 13 }); mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 0);
  assert.deepEqual(t.rec.logs, ['connected', 'lost connection, retrying', 'connected']);
  t.send({ type: 'css', epoch: 14, path: '/styles/gone.css' }); mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 1);
});

test('stale live messages (epoch not past the page) are ignored', () => {
  const t = makeTab({ instance: 'a', epoch: 12 }, ['/s.css']);
  t.send({ type: 'reload', epoch: 12 });
  t.send({ type: 'css', epoch: 11, path: '/s.css' });
  mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 0);
  assert.deepEqual(t.rec.css, []);
});

test('invalid JSON and unknown types are ignored', () => {
  const t = makeTab({ instance: 'a', epoch: 12 });
  for (const s of ['', 'garbage', '{"type":', 'null', '[1]', '{"epoch":99}'])
    t.tab.message(s);
  t.send({ type: 'pong' });
  t.send({ type: 'future-thing', epoch: 99, payload: {} });
  t.send({ type: 'css', epoch: 13 }); // css without a path: can't swap, so reload
  mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 1);
  assert.deepEqual(t.rec.css, []);
});

test('down is logged once per outage', () => {
  const t = makeTab({ instance: 'a', epoch: 1 });
  t.tab.down(); // never connected: quiet
  t.send({ type: 'hello', protocol: 1, instance: 'a', epoch: 1 });
  t.tab.down(); t.tab.down(); t.tab.down();
  assert.deepEqual(t.rec.logs, ['connected', 'lost connection, retrying']);
});

test('latch: reset makes it idle again (not busy, fires anew)', () => {
  let n = 0;
  const s = createLatch(() => n++);
  s.push(); assert.equal(n, 1);
  s.reset();
  assert.equal(s.busy, false);
  mock.timers.tick(1000); assert.equal(n, 1); // reset alone fires nothing
  s.push(); assert.equal(n, 2);
});

// "Stay on page" in a beforeunload dialog cancels location.reload() and no event says so.
test('a reload still not under way after 3 s (cancelled) re-arms the tab', () => {
  const t = makeTab({ instance: 'a', epoch: 12 }, ['/s.css']);
  t.send({ type: 'hello', protocol: 1, instance: 'a', epoch: 12 });
  t.send({ type: 'reload', epoch: 13 }); // t = 0: reload asked at once
  assert.equal(t.rec.reloads.length, 1);
  mock.timers.tick(2999); // t = 2999: still waiting for the navigation
  t.send({ type: 'reload', epoch: 14 }); mock.timers.tick(0);
  assert.equal(t.rec.reloads.length, 1);
  mock.timers.tick(10_000); // re-armed at t = 3000; that alone does not reload
  assert.equal(t.rec.reloads.length, 1);
  t.send({ type: 'hello', protocol: 1, instance: 'a', epoch: 12 }); // reconnect: nothing new
  t.send({ type: 'css', epoch: 15, path: '/s.css' }); // swapped in place again
  assert.deepEqual(t.rec.css, ['/s.css']);
  assert.equal(t.page.epoch, 15);
  mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 1);
  t.send({ type: 'reload', epoch: 16 }); mock.timers.tick(30);
  assert.equal(t.rec.reloads.length, 2);
  // The next re-arm waits twice as long (6 s): a reload that is only slow is not restarted by
  // every message that follows.
  mock.timers.tick(5_000);
  t.send({ type: 'reload', epoch: 17 }); mock.timers.tick(30);
  assert.equal(t.rec.reloads.length, 2);
  mock.timers.tick(1_000); // re-armed
  t.send({ type: 'hello', protocol: 1, instance: 'b', epoch: 0 }); mock.timers.tick(30);
  assert.deepEqual(t.rec.reloads, [undefined, undefined, 'b#0']);
});

test('a reload that goes ahead (pagehide) does not re-arm; back from bfcache it does', () => {
  const t = makeTab({ instance: 'a', epoch: 12 });
  t.send({ type: 'reload', epoch: 13 }); mock.timers.tick(30);
  t.tab.hide(); // pagehide
  mock.timers.tick(60_000);
  t.send({ type: 'reload', epoch: 14 }); t.send({ type: 'hello', protocol: 1, instance: 'b', epoch: 0 });
  mock.timers.tick(500);
  assert.equal(t.rec.reloads.length, 1);
  t.tab.show(); // pageshow, persisted
  assert.equal(t.rec.reloads.length, 1);
  t.send({ type: 'hello', protocol: 1, instance: 'b', epoch: 0 }); mock.timers.tick(30);
  assert.equal(t.rec.reloads.length, 2);
});
