import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real ONNX sessions on 2 cores: run spec files one at a time so timings and
    // thread pools do not fight, and allow model loading in the time limits.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
