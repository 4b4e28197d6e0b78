// Sharing the session link: its QR code as SVG path data, and copying it to the clipboard.
//
// Why a path and not the library's own createSvgTag()/createImgTag(): those return markup with inline
// `style` attributes, which would have to go through innerHTML and which the CSP (style-src 'self') blocks.
// The page draws the SVG itself with Vue, from the library's module matrix; colours come from style.css.
//
// Why the library is imported dynamically: only a page that hosts or joins shows a QR code, so the bundler puts
// the library in its own file and the first load stays small.
import { loadOnce } from './load-once.js';

/** qrcode-generator, loaded on first call (later calls share the download; after a failed one they try again). */
export const loadQrCode = loadOnce(() => import('qrcode-generator').then((module) => module.default));

/** Light modules around the code, as the QR specification asks, so phone cameras find its edges. */
export const QUIET_ZONE = 4;

/**
 * The QR code of `text`: the side of the square in modules (quiet zone included) and an SVG path with one
 * unit square per dark module.
 * @param {string} text
 * @returns {Promise<{size: number, path: string}>}
 */
export async function qrCodePath(text) {
  const qrcode = await loadQrCode();
  const code = qrcode(0, 'M'); // 0: the smallest version that fits; M: survives ~15% damage
  code.addData(text, 'Byte');
  code.make();
  const count = code.getModuleCount();
  const squares = [];
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (code.isDark(row, col)) squares.push(`M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`);
    }
  }
  return { size: count + 2 * QUIET_ZONE, path: squares.join('') };
}

/**
 * Copy `text` to the clipboard. Where the Clipboard API is missing or refused (an http:// page other than
 * localhost, an old browser, a denied permission), select `element`'s text instead so the person can copy it.
 * @param {string} text
 * @param {Element} element the element showing `text`
 * @returns {Promise<'copied' | 'selected'>}
 */
export async function copyOrSelect(text, element) {
  try {
    await navigator.clipboard.writeText(text);
    return 'copied';
  } catch {
    getSelection().selectAllChildren(element);
    return 'selected';
  }
}
