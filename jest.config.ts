/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// Lets jest load the TypeScript reporter below (the docblock loader only covers this file).
require('esbuild-register/dist/node').register();

import { findOnceForChildren } from './specs/harness/found-once';
import { graderCacheFolder } from './specs/harness/private-dir';

// Loaded in jest's parent process before it starts the workers (not as a globalSetup, which ts-jest
// would compile, loading TypeScript into one more process): the workers inherit what it finds.
findOnceForChildren();

// get-port and p-retry ship only as ES modules: let ts-jest compile them to CommonJS like our own code.
const ESM_ONLY = ['get-port', 'p-retry', 'is-network-error'];

export const baseProject = {
  testEnvironment: 'node',
  // jest's default, /tmp/jest_<uid>, is a fixed name another user of the machine can create first and
  // fill with compiled specs that jest would then run: the user's own cache folder instead (private-dir.ts).
  cacheDirectory: graderCacheFolder('jest'),
  roots: ['<rootDir>/specs'],
  // ts-jest, loaded only when a file is not in jest's cache yet (the file says why).
  transform: { '^.+\\.[cm]?[tj]s$': ['<rootDir>/specs/harness/typescript-transform.js', { tsconfig: '<rootDir>/tsconfig.json' }] },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
} satisfies Config;

const config: Config = {
  ...baseProject,
  testMatch: ['<rootDir>/specs/**/*.spec.ts'],
  // The checks wait on sockets far more than they compute: more workers than cores pays off.
  maxWorkers: 4,
  // jest's default output, then the scores (score-reporter drives jest's default reporters itself).
  reporters: ['<rootDir>/grader/report/score-reporter.ts'],
};

export default config;
