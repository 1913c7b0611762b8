import { Status } from 'allure-js-commons';
import type { Category } from 'allure-js-commons/sdk';
import type { CheckCategory } from '../../common/run-record.js';

/**
 * What a line of a cell's Allure message is about. Every line that explains a non-pass starts with
 * its tag in brackets (`[downtime] downtime 3.2 s > 0 s allowed`), and `categories.json` matches on
 * the tags, so a category never depends on the wording of a check's message.
 */
export type MessageTag = CheckCategory | 'interrupted' | 'expectation';

export function tagged(tag: MessageTag, text: string): string {
  return `[${tag}] ${text}`;
}

interface CategoryDef {
  tag: MessageTag;
  name: string;
  description: string;
}

/**
 * In priority order: Allure 3's Awesome report puts a test into the first category that matches
 * (Allure 2 and the classic report list it under every match), so causes that make the other
 * numbers meaningless come first.
 */
const CATEGORY_DEFS: readonly CategoryDef[] = [
  {
    tag: 'infrastructure',
    name: 'Infrastructure',
    description:
      'The harness or the platform failed (errored or timed-out cells); the product was not judged.',
  },
  {
    tag: 'interrupted',
    name: 'Interrupted',
    description: 'The run was interrupted before the cell finished; the product was not judged.',
  },
  {
    tag: 'load',
    name: 'Load generator (inconclusive)',
    description:
      'The load generator could not hold the target rate, so the verdict is not trustworthy; rerun on a less loaded machine or with a lower rate.',
  },
  {
    tag: 'upgrade-failed',
    name: 'Upgrade failed',
    description: 'The upgrade itself did not complete (a replica never became ready, a hook failed, ...).',
  },
  {
    tag: 'data-loss',
    name: 'Data loss',
    description: 'Writes acknowledged before or during the upgrade did not read back afterwards.',
  },
  {
    tag: 'rollback',
    name: 'Rollback',
    description: 'Rolling back to the previous version failed, took too long or broke the service.',
  },
  {
    tag: 'downtime',
    name: 'Downtime',
    description: 'Users saw consecutive failed requests for longer than allowed during the upgrade.',
  },
  {
    tag: 'error-budget',
    name: 'Error budget',
    description: 'More requests failed in the upgrade window than the SLO allows.',
  },
  { tag: 'latency', name: 'Latency', description: 'Latency percentiles exceeded their limits.' },
  {
    tag: 'version',
    name: 'Version',
    description: 'After the upgrade, responses did not come from the expected version.',
  },
  {
    tag: 'expectation',
    name: 'Expectation not met',
    description:
      'The matrix expected this cell to end otherwise (e.g. to show a known defect), but it did not.',
  },
];

/** The regex for lines tagged `tag`; written to match the whole message (Allure 2 uses full matches, dot-all). */
export function categoryMessageRegex(tag: MessageTag): string {
  return `.*\\[${tag}\\].*`;
}

/**
 * `categories.json`: one category per tag, for failed and broken results only (a cell that failed as
 * expected is passed, and its tagged lines must not file it under a defect).
 */
export function allureCategories(): Category[] {
  return CATEGORY_DEFS.map((def) => ({
    name: def.name,
    description: def.description,
    messageRegex: categoryMessageRegex(def.tag),
    matchedStatuses: [Status.FAILED, Status.BROKEN],
  }));
}
