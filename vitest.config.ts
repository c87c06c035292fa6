import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // End-to-end tests share one Docker engine and two cores: one file at a time.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Real hosts (test/hosts/README.md): Debian containers booting systemd.
        // The core scenario runs in `npm test`; the slower faults in `npm run test:hosts`.
        test: {
          name: 'hosts',
          include: ['test/hosts/fleet.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 1_500_000,
        },
      },
      {
        test: {
          name: 'hosts-faults',
          include: ['test/hosts/**/*.test.ts'],
          exclude: ['test/hosts/fleet.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 1_500_000,
        },
      },
    ],
  },
});
