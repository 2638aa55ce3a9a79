'use strict';
/**
 * jest's transform for the grader's TypeScript: ts-jest, loaded only when a file really has to be
 * compiled. ts-jest's own cache key needs its whole configuration, which loads TypeScript (about 0.3
 * CPU-s in every jest worker of every graded submission) and is made of the project's whole jest
 * config, so the selftest's projects, which differ only in the folder they grade, each compiled every
 * file again. tsconfig.json sets isolatedModules: each file is compiled on its own, so its output
 * depends only on its text and path, tsconfig.json, the transform's options and the versions below.
 * Plain JavaScript: jest loads a transform in its workers, where nothing compiles TypeScript yet.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');

/** Bump when this file changes what the key covers. */
const KEY_VERSION = '1';
const VERSIONS = ['ts-jest', 'typescript'].map((name) => `${name}@${require(`${name}/package.json`).version}`).join(' ');

function createTransformer(options = {}) {
  let tsJest;
  const compiler = () => (tsJest ??= require('ts-jest').default.createTransformer(options));
  /** Per rootDir: tsconfig.json's text when the key below covers all the output depends on, else undefined. */
  const tsconfigs = new Map();
  const ownKeyBasis = (config) => {
    if (!tsconfigs.has(config.rootDir)) tsconfigs.set(config.rootDir, readKeyBasis(options, config));
    return config.globals?.['ts-jest'] === undefined ? tsconfigs.get(config.rootDir) : undefined;
  };
  const getCacheKey = (source, file, transformOptions) => {
    const { config, instrument = false, supportsStaticESM = false } = transformOptions;
    const tsconfig = ownKeyBasis(config);
    // Anything else (type-checking across files, an `extends` chain, ts-jest globals): ts-jest's own key.
    if (tsconfig === undefined) return compiler().getCacheKey(source, file, transformOptions);
    return createHash('sha1')
      .update([KEY_VERSION, VERSIONS, JSON.stringify(options), tsconfig, `instrument:${instrument}`, `esm:${supportsStaticESM}`, file].join('\0'))
      .update('\0')
      .update(source)
      .digest('hex');
  };
  return {
    canInstrument: false,
    getCacheKey,
    getCacheKeyAsync: async (...args) => getCacheKey(...args),
    process: (...args) => compiler().process(...args),
    processAsync: (...args) => compiler().processAsync(...args),
  };
}

/** tsconfig.json's text, if it is one plain JSON file with isolatedModules on (each file compiled alone). */
function readKeyBasis(options, config) {
  if (typeof options.tsconfig !== 'string') return undefined;
  try {
    const text = readFileSync(path.resolve(config.rootDir, options.tsconfig.replace('<rootDir>', () => config.rootDir)), 'utf8');
    const parsed = JSON.parse(text);
    return parsed.compilerOptions?.isolatedModules === true && parsed.extends === undefined ? text : undefined;
  } catch {
    return undefined;
  }
}

module.exports = { createTransformer };
