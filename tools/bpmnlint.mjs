// Lint one BPMN diagram with bpmnlint's recommended rules, offline.
//
// Reads the BPMN XML on stdin and prints a JSON array on stdout:
//   [{"id": "<element id>", "message": "...", "rule": "<rule name>", "category": "error"|"warn"}]
// An XML document bpmn-moddle cannot read comes back as one "error" with rule "parse".
//
// This is the source: `make setup` bundles it, with bpmnlint, its rules and bpmn-moddle, into
// services/vendor/bpmnlint.cjs (esbuild), which services/bpmnlint.py runs under Node. The
// bundle needs no node_modules, so an installed package (the wheel carries it) lints too.
import { readFileSync } from 'node:fs';

import { BpmnModdle } from 'bpmn-moddle';
import { Linter } from 'bpmnlint';
import StaticResolver from 'bpmnlint/lib/resolver/static-resolver';
import recommended from 'bpmnlint/config/recommended';

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

// Every rule the recommended configuration names, resolved without a file system: the
// bundler takes each one in (a glob import), so a bpmnlint release that adds a rule to the
// configuration brings its file along.
function resolver() {
  const cache = { 'config:bpmnlint/recommended': recommended };
  for (const name of Object.keys(recommended.rules)) {
    cache[`rule:bpmnlint/${name}`] = rule(name);
  }
  return new StaticResolver(cache);
}

function rule(name) {
  // A template the bundler expands to every file of the folder (esbuild's glob require).
  const found = require(`../node_modules/bpmnlint/rules/${name}.js`);
  return found.default || found;
}

async function lint(xml) {
  const moddle = new BpmnModdle();
  let root;
  try {
    ({ rootElement: root } = await moddle.fromXML(xml));
  } catch (error) {
    return [{ id: '', message: `unreadable BPMN: ${error.message}`, rule: 'parse', category: 'error' }];
  }
  const linter = new Linter({ config: CONFIG, resolver: resolver() });
  const results = await linter.lint(root);
  const reports = [];
  for (const [name, items] of Object.entries(results)) {
    for (const item of items) {
      reports.push({
        id: item.id || '',
        message: item.message,
        rule: name,
        category: item.category === 'warn' ? 'warn' : item.category,
      });
    }
  }
  return reports;
}

lint(readFileSync(0, 'utf8')).then(
  (reports) => process.stdout.write(JSON.stringify(reports)),
  (error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exitCode = 1;
  },
);
