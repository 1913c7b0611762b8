import { execFileSync } from 'node:child_process';

/**
 * Tests that run the CLI run the built one (bin/ → dist/): build it once, fresh, before any test.
 * Type errors do not stop the emit; `npm run check` is where they fail the build.
 */
export default function setup(): void {
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      stdio: 'pipe',
    });
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    process.stderr.write(
      `warning: tsc reported errors while building dist/ for the CLI tests:\n${out.slice(0, 2000)}\n`,
    );
  }
}
