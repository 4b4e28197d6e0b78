// site/share.js: the QR code of the share link as SVG path data, and copying with a fallback that selects the link.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { copyOrSelect, QUIET_ZONE, qrCodePath } from '../../site/share.js';

const saved = {
  navigator: Object.getOwnPropertyDescriptor(globalThis, 'navigator'),
  getSelection: globalThis.getSelection,
};
afterEach(() => {
  if (saved.navigator) Object.defineProperty(globalThis, 'navigator', saved.navigator);
  else delete globalThis.navigator;
  globalThis.getSelection = saved.getSelection;
});

function setNavigator(value) {
  Object.defineProperty(globalThis, 'navigator', { value, configurable: true, writable: true });
}

test('the QR code is a square of unit modules inside a four-module quiet zone', async () => {
  const { size, path } = await qrCodePath('https://example.test/s/AbCdEfGhIjKl');
  const squares = path.match(/M\d+ \d+h1v1h-1z/g);
  assert.equal(squares.join(''), path, 'nothing but unit squares');
  const coordinates = squares.map((square) =>
    square
      .match(/M(\d+) (\d+)/)
      .slice(1)
      .map(Number),
  );
  const xs = coordinates.map(([x]) => x);
  const ys = coordinates.map(([, y]) => y);
  assert.equal(Math.min(...xs), QUIET_ZONE);
  assert.equal(Math.min(...ys), QUIET_ZONE);
  assert.equal(Math.max(...xs), size - QUIET_ZONE - 1);
  assert.equal(Math.max(...ys), size - QUIET_ZONE - 1);
  assert.equal((size - 2 * QUIET_ZONE - 17) % 4, 0, 'a QR version has 17 + 4·v modules a side');
});

test('a longer link gets a larger code, and the same link always the same code', async () => {
  const short = await qrCodePath('https://a.test/s/x');
  const long = await qrCodePath(`https://a.test/s/${'x'.repeat(64)}`);
  assert.ok(long.size > short.size);
  assert.deepEqual(await qrCodePath('https://a.test/s/x'), short);
});

test('copy writes the link to the clipboard when the Clipboard API works', async () => {
  const written = [];
  setNavigator({ clipboard: { writeText: async (text) => written.push(text) } });
  globalThis.getSelection = () => assert.fail('nothing is selected when the copy worked');

  assert.equal(await copyOrSelect('https://a.test/s/x', {}), 'copied');
  assert.deepEqual(written, ['https://a.test/s/x']);
});

for (const [why, clipboard] of [
  ['is missing', undefined],
  [
    'refuses',
    {
      writeText: async () => {
        throw new DOMException('Write permission denied.', 'NotAllowedError');
      },
    },
  ],
]) {
  test(`copy selects the link's text instead when the Clipboard API ${why}`, async () => {
    setNavigator({ clipboard });
    const selected = [];
    globalThis.getSelection = () => ({ selectAllChildren: (element) => selected.push(element) });
    const element = { id: 'share-link' };

    assert.equal(await copyOrSelect('https://a.test/s/x', element), 'selected');
    assert.deepEqual(selected, [element]);
  });
}
