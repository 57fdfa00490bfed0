const { nodeAppWebpackConfig } = require('../../tools/webpack/node-app');

module.exports = nodeAppWebpackConfig(__dirname);
