// The extension-host test entry (the @vscode/test-electron contract: run() settles when the tests are done). Runs
// <FV_HOST_SUITE>.test.cjs with Mocha inside the extension host.
const path = require('node:path');
const Mocha = require('mocha');

exports.run = function run() {
  const mocha = new Mocha({ ui: 'bdd', timeout: 45000, color: false, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, `${process.env.FV_HOST_SUITE || 'host'}.test.cjs`));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host tests failed`)) : resolve()));
  });
};
