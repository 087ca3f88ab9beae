import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { client } from './helpers.mjs';

const { refreshAsset } = client;
beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

// Just enough DOM for refreshAsset: a <head> of <link>s, images and styleSheets.
class Head {
  constructor() { this.children = []; }
  insertBefore(c, ref) {
    const i = ref ? this.children.indexOf(ref) : this.children.length;
    this.children.splice(i, 0, c); c.parentNode = this;
  }
}
class Link {
  constructor(href, rel = 'stylesheet') { this.href = href; this.rel = rel; }
  get nextSibling() { const k = this.parentNode.children; return k[k.indexOf(this) + 1] || null; }
  cloneNode() { return new Link(this.href, this.rel); }
  remove() { const k = this.parentNode.children; k.splice(k.indexOf(this), 1); this.removed = true; }
}
function makeDoc({ links = [], images = [], sheets = [] } = {}) {
  const head = new Head();
  links.forEach((l) => head.insertBefore(new Link(...[].concat(l)), null));
  return {
    head, baseURI: 'http://localhost:3000/blog/post', styleSheets: sheets,
    images: images.map((src) => ({ src })),
    querySelectorAll(sel) {
      assert.equal(sel, 'link[rel~="stylesheet"][href]');
      return head.children.filter((l) => l.rel.split(' ').includes('stylesheet') && l.href);
    },
  };
}
const hrefs = (doc) => doc.head.children.map((l) => l.href);

test('swaps a matching link: clone after the old one, old removed on load', () => {
  const doc = makeDoc({ links: ['http://localhost:3000/styles/site.css?v=1', 'http://localhost:3000/other.css', ['http://localhost:3000/styles/site.css', 'icon']] });
  assert.equal(refreshAsset(doc, 'styles/site.css', 77), true);
  assert.deepEqual(hrefs(doc), [
    'http://localhost:3000/styles/site.css?v=1',
    'http://localhost:3000/styles/site.css?v=1&__rb=77',
    'http://localhost:3000/other.css',
    'http://localhost:3000/styles/site.css', // rel=icon: untouched
  ]);
  doc.head.children[1].onload();
  assert.deepEqual(hrefs(doc).slice(0, 2), ['http://localhost:3000/styles/site.css?v=1&__rb=77', 'http://localhost:3000/other.css']);
});

test('old link also goes on error, or after 2 s at the latest; once only', () => {
  let doc = makeDoc({ links: ['http://localhost:3000/a.css'] });
  refreshAsset(doc, '/a.css', 1);
  const old = doc.head.children[0];
  doc.head.children[1].onerror();
  assert.equal(old.removed, true);
  mock.timers.tick(5000); // the fallback timer is cleared: no second remove
  assert.equal(doc.head.children.length, 1);

  doc = makeDoc({ links: ['http://localhost:3000/a.css'] });
  refreshAsset(doc, '/a.css', 1);
  mock.timers.tick(1999); assert.equal(doc.head.children.length, 2);
  mock.timers.tick(1); assert.deepEqual(hrefs(doc), ['http://localhost:3000/a.css?__rb=1']);
});

test('a second change while the first swap loads replaces only the new link', () => {
  const doc = makeDoc({ links: ['http://localhost:3000/a.css'] });
  refreshAsset(doc, '/a.css', 1);
  refreshAsset(doc, '/a.css', 2);
  assert.deepEqual(hrefs(doc), ['http://localhost:3000/a.css', 'http://localhost:3000/a.css?__rb=1', 'http://localhost:3000/a.css?__rb=2']);
});

test('no matching stylesheet: false (the caller reloads)', () => {
  const doc = makeDoc({ links: ['http://localhost:3000/a.css'] });
  assert.equal(refreshAsset(doc, '/b.css', 1), false);
  assert.equal(doc.head.children.length, 1);
});

test('@import rules are re-imported in place; unreadable sheets are skipped', () => {
  const calls = [];
  const sheet = {
    href: 'http://localhost:3000/styles/site.css',
    cssRules: [{ type: 3, href: 'base.css', media: { mediaText: 'screen' } }, { type: 1 }],
    deleteRule: (i) => calls.push(['delete', i]),
    insertRule: (r, i) => calls.push(['insert', r, i]),
  };
  const foreign = { href: 'https://cdn.example/x.css', get cssRules() { throw new Error('SecurityError'); } };
  const doc = makeDoc({ links: ['http://localhost:3000/styles/site.css'], sheets: [foreign, sheet] });
  assert.equal(refreshAsset(doc, '/styles/base.css', 5), true);
  assert.deepEqual(calls, [['delete', 0], ['insert', '@import url("http://localhost:3000/styles/base.css?__rb=5") screen;', 0]]);
  assert.equal(doc.head.children.length, 1); // the importing link itself is left alone
});

test('images: a matching <img> gets a busted src; none matching is false', () => {
  const doc = makeDoc({ images: ['http://localhost:3000/img/logo.png', 'http://localhost:3000/img/bg.jpg?x=1'] });
  assert.equal(refreshAsset(doc, '/img/logo.png', 9), true);
  assert.equal(doc.images[0].src, 'http://localhost:3000/img/logo.png?__rb=9');
  assert.equal(doc.images[1].src, 'http://localhost:3000/img/bg.jpg?x=1');
  assert.equal(refreshAsset(doc, 'img/BG.JPG', 9), false); // paths are case-sensitive
  assert.equal(refreshAsset(doc, '/img/missing.webp', 9), false);
});
