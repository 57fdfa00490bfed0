// The one webpack build for every NestJS app: one Node bundle of the app, our libs (path aliases resolved,
// decorator metadata kept by tsc) and the npm packages it uses, plus a generated package.json and lock for
// `npm ci --omit=dev` in the runtime image (which then serves only what stays external: NOT_BUNDLED). An
// app's webpack.config.js is one line that calls this.
//
// Why bundle the packages too: resolving and reading ~1,500 files of node_modules was half of an app's
// start-up CPU (issue #17: 720 → 320 ms for the gateway on Node 24; `npm run bench:images` measures it in
// the image). One file also lets the image carry a V8 compile cache for it (docker/Dockerfile).
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

/**
 * Left to Node's require at run time: native addons (their .node file is found beside the package) and
 * optional packages that are never installed (pg-native, which pg requires inside a try).
 */
const NOT_BUNDLED = ['better-sqlite3', 'pg-native'];

/**
 * Warnings that say nothing about our build: NestJS's optional-package loader requires by a variable (it
 * catches the failure and reports the missing package, as without a bundle), load-esm (NestJS's loader of
 * ESM-only packages, for file-type validation we do not use) imports by a variable, and packages whose
 * published source maps point at .ts files they do not publish.
 */
const IGNORED_WARNINGS = [
  { module: /node_modules[\\/](@nestjs[\\/]|load-esm[\\/])/, message: /Critical dependency/ },
  { message: /Failed to parse source map/ },
];

/**
 * Packages that npm packages require only when present (NestJS's optional transports and adapters: grpc,
 * mqtt, nats, amqplib, @nestjs/websockets, @nestjs/platform-express, …). Not installed, they are left out of
 * the bundle, and requiring one at run time throws MODULE_NOT_FOUND, which those packages catch, exactly as
 * they do without a bundle. Installed ones are bundled like any other package.
 */
function ignoreMissingOptionalPackages(webpack) {
  const root = join(__dirname, '../..');
  return new webpack.IgnorePlugin({
    checkResource(resource, context) {
      if (!/[\\/]node_modules[\\/]/.test(context) || /^[./]/.test(resource) || resource.startsWith('node:'))
        return false;
      try {
        require.resolve(resource, { paths: [context, root] });
        return false;
      } catch {
        return true;
      }
    },
  });
}

/**
 * Reprints the bundle without comments and with every character outside ASCII escaped (Terser, but neither
 * compressed nor mangled: the same code, names and behaviour, with a source map). V8 keeps a script's source
 * in memory for the life of the process, and one character above U+00FF anywhere in it (an arrow in a
 * comment, validator's Cyrillic patterns) makes it store the whole of it at two bytes per character: for a
 * 6.6 MB bundle that was 13 MB of every app's idle memory instead of 4 (issue #17). Tagged templates keep
 * their raw text, as they must; `npm run bench:images` would show one that brings wide characters back.
 */
class AsciiBundlePlugin {
  apply(compiler) {
    const TerserPlugin = require('terser-webpack-plugin');
    compiler.options.optimization = {
      ...compiler.options.optimization,
      minimize: true,
      minimizer: [
        new TerserPlugin({
          extractComments: false,
          terserOptions: {
            compress: false,
            mangle: false,
            keep_classnames: true,
            keep_fnames: true,
            format: { ascii_only: true, comments: false, beautify: false },
          },
        }),
      ],
    };
  }
}

/** @param {string} appDir the app's folder (pass __dirname); the output goes to dist/apps/<folder name>. */
function nodeAppWebpackConfig(appDir) {
  return {
    output: { path: join(appDir, '../../dist/apps', basename(appDir)), clean: true },
    devtool: 'source-map',
    ignoreWarnings: IGNORED_WARNINGS,
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
        externalDependencies: NOT_BUNDLED,
      }),
      new KeepRootOverridesPlugin(),
      ignoreMissingOptionalPackages(require('webpack')),
      new AsciiBundlePlugin(),
    ],
  };
}

module.exports = { nodeAppWebpackConfig, keepRootOverrides, NOT_BUNDLED };
