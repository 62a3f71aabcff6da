// Prints each failed test's errors once more, last, so they are in the tail of a long CI log
// (the list reporter prints them first, then many lines of attachments and server output).
//   node support/failures.mjs test-results/<bundle>/results.json
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// eslint-disable-next-line no-control-regex
const plain = (s) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const lines = [];
const walk = (suite, path) => {
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) {
      for (const r of t.results ?? []) {
        if (r.status === 'passed' || r.status === 'skipped') continue;
        lines.push(`✘ ${[...path, spec.title].join(' › ')} (${spec.file}:${spec.line}): ${r.status}`);
        for (const e of r.errors ?? []) {
          lines.push(...plain(e.message ?? e.value).split('\n').slice(0, 24).map((l) => `    ${l}`));
        }
      }
    }
  }
  for (const s of suite.suites ?? []) walk(s, [...path, s.title]);
};
for (const s of report.suites ?? []) walk(s, []);
for (const e of report.errors ?? []) lines.push(...plain(e.message).split('\n').slice(0, 24));
console.log(lines.length ? `Failures:\n${lines.join('\n')}` : 'No failed test in the report.');
