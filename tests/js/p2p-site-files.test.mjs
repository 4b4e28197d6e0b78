// What the browser is given: a page the strict CSP allows, and vendored builds that match what was recorded.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

const SITE = new URL('../../site/', import.meta.url);
const read = (path) => readFile(new URL(path, SITE), 'utf8');

/** The rows of site/vendor/VERSIONS.md: `{name, version, file, sha256, licence}`. */
async function vendoredBuilds() {
  const rows = (await read('vendor/VERSIONS.md'))
    .split('\n')
    .filter((line) => /^\| (ably|vue|qrcode-generator) \|/.test(line));
  return rows.map((row) => {
    const [name, version, file, , sha256, licence] = row
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim().replaceAll('`', ''));
    return { name, version, file, sha256, licence };
  });
}

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
  assert.deepEqual(references.sort(), ['/favicon.svg', '/index.js', '/style.css', '/vendor/ably.min.js']);
  for (const path of references) await readFile(new URL(`.${path}`, SITE));
});

test('index.html declares its language, a viewport and an icon, and loads the app as a module after Ably', async () => {
  const html = await read('index.html');
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(html, /<link rel="icon" href="\/favicon.svg"/);
  assert.ok(html.indexOf('/vendor/ably.min.js') < html.indexOf('<script type="module" src="/index.js">'));
});

test('the app uses render functions only, since the runtime-only Vue cannot compile templates', async () => {
  const source = await read('index.js');
  assert.match(source, /from '\.\/vendor\/vue\.runtime\.esm-browser\.prod\.js'/);
  assert.doesNotMatch(source, /^\s*template\s*:/m);
  assert.doesNotMatch(source, /\bnew Function\(|\beval\(/);
  assert.doesNotMatch(source, /Realtime\.Promise/);
});

test('site/vendor holds exactly the pinned versions, byte for byte as VERSIONS.md records, with licences', async () => {
  const pins = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).devDependencies;
  const builds = await vendoredBuilds();
  assert.deepEqual(builds.map((build) => build.name).sort(), ['ably', 'qrcode-generator', 'vue']);
  for (const build of builds) {
    assert.equal(build.version, pins[build.name], `${build.name} in VERSIONS.md vs package.json`);
    const bytes = await readFile(new URL(`vendor/${build.file}`, SITE));
    assert.equal(
      createHash('sha256').update(bytes).digest('hex'),
      build.sha256,
      `${build.file} was changed after vendoring`,
    );
    assert.match(await read(`vendor/${build.licence}`), /MIT License|MIT license|Apache License/);
  }
  assert.match(
    await read('vendor/vue.runtime.esm-browser.prod.js'),
    new RegExp(`vue v${pins.vue.replaceAll('.', '\\.')}\\b`),
  );
});
