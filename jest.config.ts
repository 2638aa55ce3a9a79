/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// Lets jest load the TypeScript reporter below (the docblock loader only covers this file).
require('esbuild-register/dist/node').register();

// get-port and p-retry ship only as ES modules: let ts-jest compile them to CommonJS like our own code.
const ESM_ONLY = ['get-port', 'p-retry', 'is-network-error'];

export const baseProject = {
  testEnvironment: 'node',
  roots: ['<rootDir>/specs'],
  transform: { '^.+\\.[cm]?[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
} satisfies Config;

const config: Config = {
  ...baseProject,
  testMatch: ['<rootDir>/specs/**/*.spec.ts'],
  // The checks wait on sockets far more than they compute: more workers than cores pays off.
  maxWorkers: 4,
  // jest's default output, then the scores (score-reporter drives jest's default reporters itself).
  reporters: ['<rootDir>/specs/harness/score-reporter.ts'],
};

export default config;
