// Extracts every ```ts block of the READMEs given as arguments into files in
// the current folder, each a module, and prints their names; consumer-check.sh
// then type-checks them against the installed tarballs, so a README example
// that no longer compiles fails CI.
//
// Runnable examples. A block whose fence is directly preceded by the line
// `<!-- run -->` (invisible on GitHub and the registry) is a complete program:
// it is written to readme-<n>.mts, without the prelude of declared globals
// (readme-prelude.d.ts), so it compiles only if it declares everything it
// uses, and consumer-check.sh compiles it to JavaScript and runs it with node.
// A program that needs a server reads its address from the environment as a
// user's would: AA_PG_URL for PostgreSQL, AA_REDIS_URL for Redis (database 10
// in the check, which nothing else uses). Any other block is an excerpt:
// readme-<n>.ts, compiled with the prelude, never run.
import { readFileSync, writeFileSync } from 'node:fs';

const RUN_MARKER = '<!-- run -->';

const files = [];
for (const readme of process.argv.slice(2)) {
  const text = readFileSync(readme, 'utf8');
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const before = text.slice(0, match.index).trimEnd();
    const runnable = before.endsWith(`\n${RUN_MARKER}`);
    const name = `readme-${files.length + 1}.${runnable ? 'mts' : 'ts'}`;
    const source = match[1];
    const header = runnable
      ? `// ${readme} (${RUN_MARKER})\n`
      : `// ${readme}\n/// <reference path="./readme-prelude.d.ts" />\n`;
    // A block without import or export is a script; make it a module, as a
    // file holding top-level await must be.
    const module = /^(import|export) /m.test(source) ? '' : 'export {};\n';
    writeFileSync(name, header + module + source);
    files.push(name);
  }
}
console.log(files.join(' '));
