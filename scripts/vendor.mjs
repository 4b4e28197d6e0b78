// Copy the pinned browser builds of ably-js, Vue and qrcode-generator from node_modules into site/vendor, with their licences,
// and record what was copied in site/vendor/VERSIONS.md. Run by `make vendor`; refresh by bumping the exact
// versions in package.json, `npm install --ignore-scripts`, then `make vendor` and commit site/vendor.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendorDir = join(root, 'site', 'vendor');

/** What the site loads: the package, the build inside it, and the name it gets in site/vendor. */
const BUILDS = [
  {
    name: 'ably',
    file: 'build/ably.min.js',
    target: 'ably.min.js',
    why: 'UMD build loaded by a classic `<script>`; sets `globalThis.Ably`.',
  },
  {
    name: 'vue',
    file: 'dist/vue.runtime.esm-browser.prod.js',
    target: 'vue.runtime.esm-browser.prod.js',
    why: 'Runtime-only ES module (no template compiler, so no eval under the CSP).',
  },
  {
    name: 'qrcode-generator',
    file: 'dist/qrcode.mjs',
    target: 'qrcode-generator.mjs',
    // The package ships no LICENSE file: its MIT notice is the header comment of the build.
    licenceFromHeader: true,
    why: 'ES module; the page draws the QR code of the share link from its modules as SVG (no inline styles).',
  },
];

async function readJson(path) {
  return JSON.parse(await readFile(path, 'utf8'));
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Fail unless node_modules holds exactly the version package.json pins. */
function checkPinned(name, pinned, installed) {
  if (!pinned) throw new Error(`${name} is not in package.json devDependencies`);
  if (pinned !== installed) {
    throw new Error(
      `${name}: package.json pins ${pinned} but node_modules has ${installed}; run npm ci --ignore-scripts first`,
    );
  }
}

async function vendor() {
  const pins = (await readJson(join(root, 'package.json'))).devDependencies ?? {};
  await mkdir(vendorDir, { recursive: true });
  const rows = [];
  for (const build of BUILDS) {
    const packageDir = join(root, 'node_modules', build.name);
    const { version } = await readJson(join(packageDir, 'package.json'));
    checkPinned(build.name, pins[build.name], version);

    const bytes = await readFile(join(packageDir, build.file));
    await writeFile(join(vendorDir, build.target), bytes);
    const licence = `${build.name}.LICENSE.txt`;
    if (build.licenceFromHeader) await writeFile(join(vendorDir, licence), headerLicence(build, bytes));
    else await copyFile(join(packageDir, 'LICENSE'), join(vendorDir, licence));
    rows.push({ ...build, version, licence, digest: sha256(bytes) });
  }
  await writeFile(join(vendorDir, 'VERSIONS.md'), versionsMarkdown(rows));
  for (const row of rows) console.log(`vendored ${row.name}@${row.version} -> site/vendor/${row.target}`);
}

/** The licence notice a build carries in its leading comment block, for packages that ship no LICENSE file. */
function headerLicence(build, bytes) {
  const header = /^(?:\/\/.*\n)+/.exec(bytes.toString('utf8'));
  if (!header || !/MIT license/i.test(header[0]))
    throw new Error(`${build.name}: no MIT notice at the top of ${build.file}`);
  const notice = header[0]
    .split('\n')
    .map((line) => line.replace(/^\/\/-*\s?/, ''))
    .join('\n')
    .trim();
  return `${build.name}: MIT License, as its package.json states and the header of ${build.file} reads:\n\n${notice}\n`;
}

function versionsMarkdown(rows) {
  const lines = [
    '# Vendored builds',
    '',
    'Written by `make vendor` (scripts/vendor.mjs) from node_modules; do not edit by hand.',
    'To update: change the exact version in package.json, run `npm install --ignore-scripts`, then `make vendor`.',
    '',
    '| package | version | file | from | sha256 | licence | why |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.version} | \`${r.target}\` | \`node_modules/${r.name}/${r.file}\` | \`${r.digest}\` | \`${r.licence}\` | ${r.why} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

vendor().catch((error) => {
  console.error(`vendor: ${error.message}`);
  process.exit(1);
});
