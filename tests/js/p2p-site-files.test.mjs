// What Vite builds the page from: an index.html the strict CSP allows, and modules that take their libraries from
// package.json. What the build itself serves (hashed files, licences) is tested in tests/deploy/test_site_build.py.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

const SITE = new URL('../../site/', import.meta.url);
const read = (path) => readFile(new URL(path, SITE), 'utf8');

test('index.html has no inline script, style or event handler, so a CSP without unsafe-inline allows it', async () => {
  const html = await read('index.html');
  for (const script of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(script[1], /\bsrc="/, `inline script: ${script[0]}`);
    assert.equal(script[2].trim(), '', `script with a body: ${script[0]}`);
  }
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /\sstyle="/);
  assert.doesNotMatch(html, /\son[a-z]+="/);
});

test('index.html loads every asset by absolute path, so deep links under /s/ find them', async () => {
  const html = await read('index.html');
  const references = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
  assert.deepEqual(references.sort(), ['/favicon.svg', '/index.js', '/style.css']);
  const files = { '/favicon.svg': 'public/favicon.svg', '/index.js': 'index.js', '/style.css': 'style.css' };
  for (const path of references) await readFile(new URL(files[path], SITE));
});

test('index.html declares its language, a viewport and an icon, and loads the app as a module', async () => {
  const html = await read('index.html');
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(html, /<link rel="icon" href="\/favicon.svg"/);
  assert.match(html, /<script type="module" src="\/index.js"><\/script>/);
});

test('the site takes Vue, ably-js and qrcode-generator from package.json, pinned, and never evaluates strings', async () => {
  const pins = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).devDependencies;
  for (const name of ['vue', 'ably', 'qrcode-generator']) assert.match(pins[name], /^\d+\.\d+\.\d+$/, name);
  const source = await read('index.js');
  assert.match(source, /from 'vue'/);
  assert.doesNotMatch(source, /\bnew Function\(|\beval\(/);
});
