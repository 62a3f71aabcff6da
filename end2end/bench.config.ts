// `make bench-canvas` and `make bench-bundle`: the browser benchmarks (bench/), against the same
// real binary and Chromium as the end-to-end tests. Not part of `make test`: it measures, it does not judge.
import base from './playwright.config';

export default {
  ...base,
  testDir: './bench',
  outputDir: 'test-results/bench',
  projects: undefined,
  reporter: [['list']],
  timeout: 600_000,
};
