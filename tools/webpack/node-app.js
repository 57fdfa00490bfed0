// The one webpack build for every NestJS app: a Node bundle of the app and our libs (path aliases resolved,
// decorator metadata kept by tsc) with node_modules left external, plus a generated package.json and lock
// for `npm ci --omit=dev` in the runtime image. An app's webpack.config.js is one line that calls this.
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('path');

/** @param {string} appDir the app's folder (pass __dirname); the output goes to dist/apps/<folder name>. */
function nodeAppWebpackConfig(appDir) {
  return {
    output: { path: join(appDir, '../../dist/apps', basename(appDir)), clean: true },
    devtool: 'source-map',
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
      }),
    ],
  };
}

module.exports = { nodeAppWebpackConfig };
