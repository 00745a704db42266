/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // examples/*.test.ts are the examples' own tests (a service's unit test with the in-memory double).
  roots: ["<rootDir>/test", "<rootDir>/examples"],
  testMatch: ["**/*.test.ts"],
  // A real Kafka broker for test/kafka/*.broker.test.ts (scripts/kafka.sh), stopped afterwards.
  globalSetup: "<rootDir>/test/support/kafka-global-setup.js",
  globalTeardown: "<rootDir>/test/support/kafka-global-teardown.js",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  // Tests import the package entry points, as users do.
  moduleNameMapper: {
    "^@k1s0/scheduler-client$": "<rootDir>/src/index.ts",
    "^@k1s0/scheduler-client/testing$": "<rootDir>/src/testing/index.ts",
    "^(\\.{1,2}/.*)\\.js$": "$1",
  },
  collectCoverageFrom: ["src/**/*.ts"],
  coverageThreshold: { global: { lines: 90, branches: 90 } },
  coverageReporters: ["text-summary", "text"],
};
