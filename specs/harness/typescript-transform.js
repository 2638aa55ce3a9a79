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
  const tsconfigs = new Map();
  const tsconfigText = (rootDir) => {
    const file = String(options.tsconfig ?? '<rootDir>/tsconfig.json').replace('<rootDir>', rootDir);
    if (!tsconfigs.has(file)) tsconfigs.set(file, readFileSync(path.resolve(rootDir, file), 'utf8'));
    return tsconfigs.get(file);
  };
  const getCacheKey = (source, file, transformOptions) => {
    const { config, instrument = false, supportsStaticESM = false } = transformOptions;
    return createHash('sha1')
      .update([KEY_VERSION, VERSIONS, JSON.stringify(options), tsconfigText(config.rootDir), `instrument:${instrument}`, `esm:${supportsStaticESM}`, file].join('\0'))
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

module.exports = { createTransformer };
