// Bundle tools/bpmnlint.mjs (bpmnlint, its recommended rules, bpmn-moddle) into one file that
// Node runs without node_modules, and write the licences of every package it holds beside it.
//
//   node tools/build-bpmnlint.mjs OUT_DIR      (make setup: OUT_DIR = services/vendor)
//
// The bundle is package data of the wheel, so an installed complaintflow lints diagrams with
// only Node on the machine.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] || join(ROOT, 'services', 'vendor'));
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(ROOT, 'tools', 'bpmnlint.mjs')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  minify: true,
  legalComments: 'none', // the licences go to the file beside it, whole
  metafile: true,
  outfile: join(out, 'bpmnlint.cjs'),
  logLevel: 'warning',
});

// The packages the bundle holds, each with its version and its licence text.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const sections = [...packages].sort().map((name) => {
  const folder = join(ROOT, 'node_modules', name);
  const meta = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const file = readdirSync(folder).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${name} has no licence file to ship`);
  const text = readFileSync(join(folder, file), 'utf8').trim();
  return `${name} ${meta.version} (${meta.license})\n\n${text}\n`;
});
writeFileSync(
  join(out, 'bpmnlint.LICENSES.txt'),
  'bpmnlint.cjs bundles these packages (from the npm registry), under these licences.\n\n' +
    sections.join(`\n${'-'.repeat(72)}\n\n`),
);
