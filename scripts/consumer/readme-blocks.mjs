// Extracts every ```ts block of the READMEs given as arguments into
// readme-<n>.ts files in the current folder, each a module, and prints their
// names; consumer-check.sh then type-checks them against the installed
// tarballs, so a README example that no longer compiles fails CI.
import { readFileSync, writeFileSync } from 'node:fs';

const files = [];
for (const readme of process.argv.slice(2)) {
  const text = readFileSync(readme, 'utf8');
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const name = `readme-${files.length + 1}.ts`;
    const source = match[1];
    const header = `// ${readme}\n/// <reference path="./readme-prelude.d.ts" />\n`;
    // A block without import or export is a script; make it a module, as a
    // file holding top-level await must be.
    const module = /^(import|export) /m.test(source) ? '' : 'export {};\n';
    writeFileSync(name, header + module + source);
    files.push(name);
  }
}
console.log(files.join(' '));
