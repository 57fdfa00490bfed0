// The one webpack build for every NestJS app: a Node bundle of the app and our libs (path aliases resolved,
// decorator metadata kept by tsc) with node_modules left external, plus a generated package.json and lock
// for `npm ci --omit=dev` in the runtime image. An app's webpack.config.js is one line that calls this.
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { readFileSync } = require('fs');
const { basename, join } = require('path');

/**
 * Nx leaves out of the generated package.json every root `overrides` entry whose package is also a direct
 * dependency of the app (fastify for the gateway). The lock it generates was resolved under that override,
 * so `npm ci` then wants the version the parent package asks for (`Missing: fastify@5.11.3 from lock file`).
 * This puts such entries back as `"$name"` (npm: "the version of my direct dependency"), which npm accepts
 * for a direct dependency and which matches the lock.
 */
function keepRootOverrides(pkg, rootOverrides) {
  const overrides = { ...(pkg.overrides ?? {}) };
  for (const name of Object.keys(rootOverrides ?? {}))
    if (pkg.dependencies?.[name] !== undefined && overrides[name] === undefined) overrides[name] = `$${name}`;
  return Object.keys(overrides).length === 0 ? pkg : { ...pkg, overrides };
}

class KeepRootOverridesPlugin {
  apply(compiler) {
    const root = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
    const rootOverrides = root.overrides ?? {};
    compiler.hooks.thisCompilation.tap('KeepRootOverridesPlugin', (compilation) => {
      compilation.hooks.processAssets.tap(
        {
          name: 'KeepRootOverridesPlugin',
          stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_REPORT,
        },
        () => {
          const asset = compilation.getAsset('package.json');
          if (!asset) return;
          const pkg = keepRootOverrides(JSON.parse(asset.source.source().toString()), rootOverrides);
          compilation.updateAsset(
            'package.json',
            new compiler.webpack.sources.RawSource(`${JSON.stringify(pkg, null, 2)}\n`),
          );
        },
      );
    });
  }
}

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
      new KeepRootOverridesPlugin(),
    ],
  };
}

module.exports = { nodeAppWebpackConfig, keepRootOverrides };
