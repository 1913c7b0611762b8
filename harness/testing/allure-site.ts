import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InfraError } from '../common/errors.js';
import { runCommand } from '../common/exec.js';

export interface AllureSiteOptions {
  /** Shown as the report's title (default: Allure's "Allure Report"). */
  reportName?: string;
  /**
   * One self-contained index.html (data inlined) that opens from file://; the default is Allure's
   * folder of data files, which a browser only loads when served (`npx allure open <outDir>`).
   */
  singleFile?: boolean;
  /** Default 120 s; generating a few hundred results takes a few seconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Builds the Allure 3 HTML site (`index.html` and its data) from an `allure-results` folder, with
 * the `allure` CLI installed in node_modules (a devDependency; never fetched). Offline: no history,
 * no publishing. The results' `categories.json` is handed to Allure 3 as config, because its
 * default (Awesome) report takes categories from the config only.
 *
 * The CLI runs in an empty temporary folder, so no `allurerc.*` of the current directory applies.
 */
export async function generateAllureSite(
  resultsDir: string,
  outDir: string,
  options: AllureSiteOptions = {},
): Promise<void> {
  const results = resolve(resultsDir);
  const output = resolve(outDir);
  const cli = allureCliPath();
  const workDir = await mkdtemp(join(tmpdir(), 'upgrade-harness-allure-'));
  try {
    const configPath = join(workDir, 'allurerc.json');
    const config = {
      ...(options.reportName === undefined ? {} : { name: options.reportName }),
      ...(await readCategories(results)),
      ...(options.singleFile ? { plugins: { awesome: { options: { singleFile: true } } } } : {}),
    };
    await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, 'utf8');
    await runCommand(
      [
        process.execPath,
        cli,
        'generate',
        results,
        '--output',
        output,
        '--config',
        configPath,
        '--cwd',
        workDir,
      ],
      {
        cwd: workDir,
        timeoutMs: options.timeoutMs ?? 120_000,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  try {
    await access(join(output, 'index.html'));
  } catch (error: unknown) {
    throw new InfraError(`allure generate wrote no index.html into ${output}`, { cause: error });
  }
}

/** `node_modules/allure/cli.js`, found from here the way Node resolves the package. */
function allureCliPath(): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('allure');
  } catch (error: unknown) {
    throw new InfraError('the Allure 3 CLI (npm package `allure`) is not installed', {
      cause: error,
      hint: 'it is a devDependency of upgrade-harness: run `npm install` in the repository',
    });
  }
  // The package's entry is dist/index.js; its bin is cli.js beside dist/.
  return join(dirname(dirname(entry)), 'cli.js');
}

async function readCategories(results: string): Promise<{ categories?: unknown[] }> {
  let text: string;
  try {
    text = await readFile(join(results, 'categories.json'), 'utf8');
  } catch {
    return {};
  }
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) return {};
  // Allure 3's config takes the same keys as categories.json (name, matchedStatuses, messageRegex, ...).
  return { categories: parsed };
}
