// Nx loads local TypeScript plugins through @swc-node/register or ts-node, neither of which this workspace
// installs; tsx (already a dev dependency) transpiles the generator instead.
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./generator.ts', __filename);
