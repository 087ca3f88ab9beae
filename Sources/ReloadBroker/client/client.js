/* reload-broker client: reloads the page or swaps its CSS when the broker says so.
   Classic script; the same URL also runs as the SharedWorker hub. */
(function (g) {
'use strict';
const me = g.document && g.document.currentScript; // only valid synchronously
const KEY = 'reload-broker:scroll', PING = 5000, PONG = 4500, SILENT = 12000,
  PROBE = 3000, DRIFT = 3000, STABLE = 2000, STAY = 3000, SWEEP = 30000, IMG = /\.(png|jpe?g|gif|svg|webp|avif)$/i;

// Retry n (0-based): 100 ms doubling to 4 s, then ±20% jitter.
function backoffDelay(n, rnd = Math.random) {
  return Math.round(Math.min(100 * 2 ** Math.min(n, 16), 4000) * (0.8 + 0.4 * rnd()));
}

// The client.js URL: the script's src, else data-url (broker prefix), else <origin>/__reload/.
function scriptURL(src, dataUrl, origin) {
  if (src) return new URL(src, origin + '/').href;
  const u = new URL(dataUrl || '/__reload/', origin + '/');
  u.pathname = u.pathname.replace(/\/(client\.js|ws)?$/, '') + '/client.js';
  return u.href;
}

// .../client.js?q -> ws(s)://.../ws?q
function socketURL(script, base) {
  const u = new URL(script, base);
  u.protocol = /^(https|wss):$/.test(u.protocol) ? 'wss:' : 'ws:';
  u.pathname = u.pathname.replace(/[^/]*$/, 'ws');
  u.hash = '';
  return u.href;
}

// 'reload' | 'baseline' (adopt the hello as the page's state) | 'none'
function decideOnHello(page, hello) {
  if (typeof hello.instance !== 'string') return 'none';
  const same = hello.instance === page.instance;
  if (page.instance == null || (same && typeof page.epoch !== 'number')) return 'baseline';
  return !same || hello.epoch > page.epoch ? 'reload' : 'none';
}

function parseMessage(text) {
  try {
    const m = JSON.parse(text);
    return m && typeof m === 'object' && typeof m.type === 'string' ? m : null;
  } catch { return null; }
}

const segs = p => String(p).split(/[?#]/)[0].split('/').filter(Boolean).map(s => {
  try { return decodeURIComponent(s); } catch { return s; }
});

// Indices of the URLs that best match a site path: exact path, else most trailing segments.
function matchStylesheets(urls, path, base) {
  const want = segs(path);
  let best = 0, out = [];
  urls.forEach((h, i) => {
    let p, n = 0;
    try { p = segs(new URL(h, base).pathname); } catch { return; }
    while (n < p.length && n < want.length && p[p.length - 1 - n] === want[want.length - 1 - n]) n++;
    if (n && n === want.length && n === p.length) n = 1e9;
    if (n > best) best = n, out = [];
    if (n && n === best) out.push(i);
  });
  return out;
}

// Fire at once, once, until reset: the broker settled the burst already (its watcher reports a
// save once it is complete), so a tab reloads on the first word; later messages find it under way.
function createLatch(fire) {
  let done = false;
  return {
    push() { if (!done) done = true, fire(); },
    reset() { done = false; },
    get busy() { return done; },
  };
}

// A tab's decisions. page: {instance, epoch, loop}; act: {reload(why), css(path) -> bool, log(s)}
// Still here STAY ms after a reload without pagehide: cancelled ("Stay on page"), so listen again;
// the wait doubles each time, so later messages do not keep restarting a reload that is only slow.
function createTab(page, act) {
  let up = false, stay = 0, stays = 0;
  const settle = createLatch(() => { act.reload(page.why); stay = setTimeout(settle.reset, STAY * 2 ** stays++); });
  const stale = m => typeof m.epoch === 'number' && typeof page.epoch === 'number' && m.epoch <= page.epoch;
  return {
    message(text) {
      const m = parseMessage(text);
      if (!m || settle.busy) return; // reloading already: the new page will say what it needs
      if (m.type === 'hello') {
        if (!up) up = true, act.log('connected');
        let d = decideOnHello(page, m);
        const why = m.instance + '#' + m.epoch;
        if (d === 'reload' && why === page.loop) d = 'baseline', act.log('page and broker disagree; not reloading again');
        if (d === 'baseline') page.instance = m.instance, page.epoch = m.epoch;
        if (d === 'reload') page.why = why, settle.push();
      } else if (m.type === 'reload') {
        if (!stale(m)) settle.push();
      } else if (m.type === 'css' && !stale(m)) {
        if (typeof m.path === 'string' && act.css(m.path)) {
          if (typeof m.epoch === 'number') page.epoch = m.epoch;
        } else settle.push();
      }
    },
    down() { if (up) up = false, act.log('lost connection, retrying'); },
    hide() { clearTimeout(stay); }, // pagehide
    show() { settle.reset(); }, // back from bfcache: the next hello decides
  };
}

// One socket with backoff and heartbeat. on: {message(text), down(), hidden()}
function createConnection(url, on, WS) {
  let ws = null, up = false, timer = 0, hb = 0, n = 0, openedAt = 0,
    deadline = 0, pinged = false, lastTick = 0, wait = 0;
  function connect() {
    clearTimeout(timer); timer = 0;
    if (ws) return;
    if (on.hidden()) return; // paused; wake() resumes
    let s;
    try { s = ws = new WS(url); } catch { return retry(); }
    s.onopen = () => { up = true; openedAt = Date.now(); alive(); beat(PING); };
    s.onmessage = e => { alive(); if (typeof e.data === 'string') on.message(e.data); };
    s.onclose = s.onerror = () => drop(s, true);
    hb = setTimeout(() => drop(s, true), SILENT); // stuck connecting
  }
  function drop(s, again) {
    if (!s || ws !== s) return;
    ws = null; clearTimeout(hb);
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    try { s.close(); } catch {}
    if (up && Date.now() - openedAt >= STABLE) n = 0;
    const was = up; up = false;
    if (was) on.down();
    if (again) retry();
  }
  function retry() { clearTimeout(timer); timer = setTimeout(connect, backoffDelay(n++)); }
  function alive() { deadline = Date.now() + SILENT; pinged = false; }
  function send() { try { ws.send('{"type":"ping"}'); } catch {} }
  function beat(d) { clearTimeout(hb); lastTick = Date.now(); wait = d; hb = setTimeout(tick, d); }
  function probe(now) { deadline = now + PROBE; pinged = true; send(); beat(PROBE); }
  function tick() {
    const now = Date.now();
    if (now - lastTick > wait + DRIFT) return probe(now); // slept or throttled: check at once
    if (now >= deadline) return drop(ws, true);
    if (!pinged) pinged = true, deadline = Math.min(deadline, now + PONG);
    send(); beat(PING);
  }
  return {
    wake() { if (!ws) connect(); else if (up) probe(Date.now()); },
    stop() { clearTimeout(timer); drop(ws, false); },
  };
}

// SharedWorker hub: one connection, relays every server message to every tab port.
// Ports of tabs gone without 'bye' (crashed) go on 'close' (specced; in Chromium only behind a flag) or
// at the sweep: every SWEEP ms it pings (tabs answer 'pong' and their visibility) and drops ports
// silent since the last sweep. A dropped port that speaks again (frozen) is added back, unless it
// said 'bye'.
function createHub(makeConn) {
  const ports = new Map(), gone = new WeakSet(); // gone: said 'bye' (back only with 'hi')
  let hello = null, sweeping = 0;
  const post = (p, m) => { try { p.postMessage(m); } catch { ports.delete(p); } }; // prune dead ports
  const all = m => ports.forEach((v, p) => post(p, m));
  const sweep = () => sweeping = ports.size && setTimeout(() => {
    ports.forEach((v, p) => { v.seen ? v.seen = false : ports.delete(p); });
    all({ ping: 1 }); sweep();
  }, SWEEP);
  const conn = makeConn({
    message(text) {
      const m = parseMessage(text);
      if (m && m.type === 'hello') hello = m;
      else if (m && hello && m.epoch > hello.epoch) hello.epoch = m.epoch;
      all({ text });
    },
    down() { hello = null; all({ down: 1 }); },
    hidden: () => ![...ports.values()].some(v => v.visible),
  });
  const add = p => {
    ports.set(p, { visible: true, seen: true }); sweeping || sweep();
    if (hello) post(p, { text: JSON.stringify(hello) });
  };
  return {
    ports,
    connect(p) {
      p.onmessage = e => {
        const d = e.data || {}, t = d.t;
        if (t === 'bye') return void (ports.delete(p), gone.add(p)); // 'hidden' may follow
        if (t === 'hi') gone.delete(p);
        if (t === 'hi' || !ports.has(p) && !gone.has(p)) add(p);
        const v = ports.get(p);
        if (!v) return;
        v.seen = true;
        if (t === 'hidden' || t === 'visible' || t === 'pong') v.visible = t === 'visible' || t === 'pong' && !d.hidden;
        if (t === 'visible' || t === 'wake' || t === 'hi') conn.wake();
      };
      p.onclose = () => ports.delete(p);
      post(p, { hub: 1 });
      add(p);
      conn.wake();
    },
  };
}

function bust(url, now) {
  const u = new URL(url);
  u.searchParams.set('__rb', now); // cache buster
  return u.href;
}

// Swap matching stylesheets (links, then one level of @import) or images; false: nothing matched.
function refreshAsset(doc, path, now = Date.now()) {
  const base = doc.baseURI;
  if (IMG.test(path.split(/[?#]/)[0])) {
    const imgs = [...doc.images], hit = matchStylesheets(imgs.map(i => i.src), path, base);
    hit.forEach(i => { imgs[i].src = bust(imgs[i].src, now); });
    return hit.length > 0;
  }
  const items = [...doc.querySelectorAll('link[rel~="stylesheet"][href]')]
    .filter(l => !l.__rbOld).map(l => ({ l, href: l.href }));
  for (const s of doc.styleSheets) {
    try {
      [...s.cssRules].forEach((r, i) => { if (r.type === 3) items.push({ s, i, r, href: new URL(r.href, s.href || base).href }); });
    } catch {} // cross-origin sheet
  }
  const hit = matchStylesheets(items.map(x => x.href), path, base);
  try {
    hit.forEach(i => {
      const x = items[i];
      if (!x.l) {
        x.s.deleteRule(x.i);
        return x.s.insertRule(`@import url("${bust(x.href, now)}") ${x.r.media.mediaText};`, x.i);
      }
      const old = x.l, c = old.cloneNode();
      old.__rbOld = true;
      c.href = bust(old.href, now);
      let done = () => { done = () => {}; clearTimeout(t); old.remove(); };
      const t = setTimeout(() => done(), 2000);
      c.onload = c.onerror = () => done();
      old.parentNode.insertBefore(c, old.nextSibling);
    });
  } catch { return false; }
  return hit.length > 0;
}

// {x, y} when the stored entry is for this URL and younger than 10 s.
function scrollToRestore(raw, url, now) {
  try {
    const e = JSON.parse(raw);
    if (e && e.url === url && now - e.time >= 0 && now - e.time < 10000) return e;
  } catch {}
  return null;
}

// No sessionStorage (blocked in a third-party iframe): KEY in a plain-object or null history.state.
const plainObj = s => ({}).toString.call(s) === '[object Object]';

function startPage(w, el) {
  const doc = w.document, loc = w.location, H = w.history, on = (t, f, o) => w.addEventListener(t, f, o),
    log = s => w.console.info('[reload-broker] ' + s), now = Date.now();
  let prev = null, store = null;
  try { store = w.sessionStorage; prev = scrollToRestore(store.getItem(KEY), loc.href, now); store.removeItem(KEY); } catch {}
  try {
    const s = H.state, raw = plainObj(s) && s[KEY];
    if (raw) delete s[KEY], prev = prev || scrollToRestore(raw, loc.href, now), H.replaceState(Object.keys(s).length ? s : null, '');
  } catch {}
  if (prev) {
    const go = () => w.scrollTo(+prev.x || 0, +prev.y || 0);
    doc.readyState === 'complete' ? go() : on('load', go, { once: true });
  }
  const ds = (el && el.dataset) || {}, epoch = parseInt(ds.epoch, 10);
  const page = { instance: ds.instance || null, epoch: epoch >= 0 ? epoch : null, loop: prev && prev.why };
  const src = scriptURL(el && el.src, ds.url, loc.origin);
  const tab = createTab(page, {
    log,
    css: p => refreshAsset(doc, p),
    reload(why) {
      log('reloading');
      const e = JSON.stringify({ url: loc.href, x: w.scrollX, y: w.scrollY, time: Date.now(), why });
      try { store.setItem(KEY, e); } catch { try { const s = H.state; (s == null || plainObj(s)) && H.replaceState({ ...s, [KEY]: e }, ''); } catch {} }
      loc.reload();
    },
  });
  let conn = null, port = null;
  const direct = () => {
    if (conn) return;
    conn = createConnection(socketURL(src), {
      message: tab.message, down: tab.down, hidden: () => doc.visibilityState === 'hidden',
    }, w.WebSocket);
    conn.wake();
  };
  const tell = t => {
    if (port) port.postMessage({ t });
    else if (conn) t === 'bye' ? conn.stop() : t !== 'hidden' && conn.wake();
  };
  const vis = () => tell(doc.visibilityState === 'hidden' ? 'hidden' : 'visible');
  try {
    if (!w.SharedWorker || new URL(src).origin !== loc.origin) throw 0;
    const sw = new w.SharedWorker(src, { name: 'reload-broker' }), p = port = sw.port;
    const fail = () => { if (port !== p) return; port = null; try { p.close(); } catch {} direct(); };
    const t = setTimeout(fail, 3000);
    sw.onerror = fail;
    p.onmessage = ({ data: d }) => {
      if (port !== p || !d) return;
      if (d.hub) clearTimeout(t);
      if (d.ping) p.postMessage({ t: 'pong', hidden: doc.visibilityState === 'hidden' });
      d.down ? tab.down() : typeof d.text === 'string' && tab.message(d.text);
    };
    vis();
  } catch { port = null; direct(); }
  doc.addEventListener('visibilitychange', vis);
  on('online', () => tell('wake'));
  on('pagehide', () => { tab.hide(); tell('bye'); });
  on('pageshow', e => { if (e.persisted) tab.show(), tell('hi'); });
}

const api = {
  backoffDelay, scriptURL, socketURL, decideOnHello, parseMessage, matchStylesheets,
  createLatch, createTab, createConnection, createHub, refreshAsset, scrollToRestore, bust,
};
if (typeof module === 'object' && module && module.exports) module.exports = api;
else if (typeof SharedWorkerGlobalScope === 'function' && g instanceof SharedWorkerGlobalScope) {
  const hub = createHub(on => createConnection(socketURL(g.location.href), on, g.WebSocket));
  g.onconnect = e => hub.connect(e.ports[0]);
} else if (g.document && g.window === g && !g.__reloadBroker) {
  g.__reloadBroker = api; // once-guard: a second copy of this script does nothing
  startPage(g, me || g.document.querySelector('script[data-reload-broker]'));
}
})(typeof globalThis !== 'undefined' ? globalThis : self);
