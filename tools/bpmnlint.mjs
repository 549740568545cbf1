// Lint one BPMN diagram with bpmnlint's recommended rules, offline.
//
// Reads the BPMN XML on stdin and prints a JSON array on stdout:
//   [{"id": "<element id>", "message": "...", "rule": "<rule name>", "category": "error"|"warn"}]
// An XML document bpmn-moddle cannot read comes back as one "error" with rule "parse".
// services/bpmnlint.py runs this script; it needs node_modules (`make setup` runs `npm ci`).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { BpmnModdle } = require('bpmn-moddle');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

const CONFIG = {
  extends: 'bpmnlint:recommended',
  rules: {
    // An activity or event with several incoming flows is an uncontrolled (exclusive) merge in
    // BPMN and in SpiffWorkflow: each arriving token passes. The shipped procedure uses it
    // where two mutually exclusive paths (request limit reached, no reply in time) lead to the
    // same closure letter; a merge gateway there would add a step without changing behaviour.
    'fake-join': 'off',
  },
};

async function lint(xml) {
  const moddle = new BpmnModdle();
  let root;
  try {
    ({ rootElement: root } = await moddle.fromXML(xml));
  } catch (error) {
    return [{ id: '', message: `unreadable BPMN: ${error.message}`, rule: 'parse', category: 'error' }];
  }
  // Resolve rules from this script's folder, wherever the caller runs it.
  const linter = new Linter({ config: CONFIG, resolver: new NodeResolver({ require }) });
  const results = await linter.lint(root);
  const reports = [];
  for (const [rule, items] of Object.entries(results)) {
    for (const item of items) {
      reports.push({
        id: item.id || '',
        message: item.message,
        rule,
        category: item.category === 'warn' ? 'warn' : item.category,
      });
    }
  }
  return reports;
}

const xml = readFileSync(0, 'utf8');
process.stdout.write(JSON.stringify(await lint(xml)));
