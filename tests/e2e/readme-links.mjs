// The documentation's relative links resolve: every relative Markdown link and image in
// <dir>/README.md and <dir>/docs/*.md must name a file (or directory) that exists under <dir>.
// Run it on the repository root, or on an unpacked npm tarball to check what ships.
//   - inline links and images `[text](target "title")`, `![alt](<target>)`, and reference
//     definitions `[id]: target`; text in fenced code blocks and code spans is not read;
//   - http:, https: and mailto: links, and pure `#anchor` links, are skipped; for
//     `file.md#anchor` (or `?query`) only the file is checked;
//   - a target that leaves <dir>, or is root-relative (`/x`, which does not resolve on npm), fails.
// usage: node tests/e2e/readme-links.mjs <dir>   (no dependencies)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const dirArg = process.argv[2];
if (!dirArg) {
  console.error("usage: node tests/e2e/readme-links.mjs <dir>");
  process.exit(2);
}
const root = resolve(dirArg);
const docsDir = join(root, "docs");
const files = [join(root, "README.md")];
if (existsSync(docsDir)) {
  for (const name of readdirSync(docsDir).sort()) if (name.endsWith(".md")) files.push(join(docsDir, name));
}

// The Markdown outside fenced code blocks and code spans, with line numbers kept (code is
// blanked, not removed).
function prose(text) {
  const lines = text.split("\n");
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(lines[i]);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && /^\s*$/.test(lines[i].slice(m[0].length))) fence = null;
      lines[i] = "";
    } else if (m) {
      fence = m[1];
      lines[i] = "";
    }
  }
  // Code spans: a run of backticks up to the same run (they may span lines in a paragraph).
  return lines.join("\n").replace(/(`+)[\s\S]*?\1/g, (span) => span.replace(/[^\n]/g, " "));
}

const lineOf = (text, index) => text.slice(0, index).split("\n").length;

// Every link target in `text` with its line: inline links and images, then reference definitions.
function targets(text) {
  const out = [];
  // `](` then either `<...>` or a destination with balanced parentheses, then an optional title.
  const inline = /\]\(\s*(?:<([^>\n]*)>|((?:[^()\s]|\((?:[^()\s])*\))*))(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
  for (const m of text.matchAll(inline)) out.push({ target: m[1] ?? m[2] ?? "", line: lineOf(text, m.index) });
  const reference = /^ {0,3}\[[^\]\n]+\]:\s*(?:<([^>\n]*)>|(\S+))/gm;
  for (const m of text.matchAll(reference)) out.push({ target: m[1] ?? m[2] ?? "", line: lineOf(text, m.index) });
  return out;
}

let passed = 0;
const failures = [];
for (const file of files) {
  const shown = relative(root, file) || file;
  if (!existsSync(file)) {
    failures.push(`${shown}: the file does not exist`);
    continue;
  }
  for (const { target, line } of targets(prose(readFileSync(file, "utf8")))) {
    const where = `${shown}:${line}: ${target || "(empty)"}`;
    if (/^(https?|mailto):/i.test(target) || target.startsWith("#")) continue;
    if (target === "") { failures.push(`${where}: empty link`); continue; }
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) {
      failures.push(`${where}: not a relative link (only http:, https: and mailto: are allowed besides)`);
      continue;
    }
    if (target.startsWith("/")) {
      failures.push(`${where}: root-relative; use a path relative to the file`);
      continue;
    }
    let path = target.replace(/[?#].*$/, "");
    try {
      path = decodeURIComponent(path);
    } catch {
      failures.push(`${where}: bad percent-encoding`);
      continue;
    }
    const abs = resolve(dirname(file), path);
    if (abs !== root && !abs.startsWith(root + sep)) {
      failures.push(`${where}: points outside ${dirArg}`);
      continue;
    }
    if (!existsSync(abs)) {
      failures.push(`${where}: ${relative(root, abs)} does not exist`);
      continue;
    }
    passed++;
  }
}

for (const f of failures) console.log(`FAIL ${f}`);
const status = failures.length ? "FAILED" : "ok";
console.log(`readme-links result: ${status}. ${passed} passed; ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
