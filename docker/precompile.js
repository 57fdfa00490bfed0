// Run once at image build (docker/Dockerfile, runtime stage): loads the app's bundle with Node's compile cache
// on, so that the image carries V8's compiled code for it and every container starts without compiling the
// bundle again (issue #17: about a third of an app's start-up CPU). The app's own start is never reached:
// with no configuration it stops at its config check (exit 78, EX_CONFIG), and if it did not, this exits
// right after the synchronous load, before any connection is made. Node writes the cache at exit.
//   node precompile.js <bundle> <cache dir>
'use strict';
const { enableCompileCache, flushCompileCache, constants } = require('node:module');

const [bundle, dir] = process.argv.slice(2);
const { status, message } = enableCompileCache(dir);
if (status !== constants.compileCacheStatus.ENABLED) {
  console.error(`precompile: the compile cache could not be enabled in ${dir}: ${message ?? status}`);
  process.exit(1);
}
process.on('exit', (code) => {
  flushCompileCache();
  if (code === 78) console.error('precompile: the app stopped at its config check, as expected; cache written');
  if (code === 78 || code === 0) process.exitCode = 0;
});
require(bundle);
process.exit(0);
