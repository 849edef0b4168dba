/* eslint-disable @typescript-eslint/no-require-imports -- the extension host loads test modules as CommonJS, and `vscode` is only reachable by require */
// The extension-host test entry (the @vscode/test-electron contract: run() settles when the tests are done). Runs
// <FV_HOST_SUITE>.test.cjs with Mocha inside the extension host; FV_HOST_GREP runs only the matching tests.
const path = require('node:path');
const Mocha = require('mocha');

exports.run = function run() {
  // 45 s per test: a stalled test fails with its name instead of holding the run until the outer timeout.
  const mocha = new Mocha({ ui: 'bdd', timeout: 45000, color: false, reporter: 'spec', grep: process.env.FV_HOST_GREP || undefined });
  mocha.addFile(path.join(__dirname, `${process.env.FV_HOST_SUITE || 'host'}.test.cjs`));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host tests failed`)) : resolve()));
  });
};
