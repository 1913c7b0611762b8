/**
 * The reference app's schema migrations, oldest first. Each belongs to the release that
 * introduced it and runs in a phase: `pre` (before the new release's rollout, must keep the
 * previous release working) or `post` (after every replica runs the new release).
 * `withdrawnIn`: a release that replaced this migration; targets at or past it skip it.
 */

/** Releases, oldest first. */
export const RELEASES = ['1.0.0', '1.1.0', '2.0.0', '2.0.1'];

const TITLE_EXISTS = `EXISTS (SELECT 1 FROM information_schema.columns
  WHERE table_schema = current_schema() AND table_name = 'items' AND column_name = 'title')`;

/** @type {Array<{ id: string, release: string, phase: 'pre' | 'post', withdrawnIn?: string, sql: string }>} */
export const MIGRATIONS = [
  {
    id: '001_create_items',
    release: '1.0.0',
    phase: 'pre',
    sql: `CREATE TABLE items (
      id serial PRIMARY KEY,
      key text NOT NULL UNIQUE,
      title text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  },
  {
    id: '002_items_add_note',
    release: '1.1.0',
    phase: 'pre',
    sql: 'ALTER TABLE items ADD COLUMN note text',
  },
  {
    // The defect of 2.0.0: a contract step before the rollout breaks the replicas still on 1.x.
    id: '003_items_rename_title_to_name',
    release: '2.0.0',
    phase: 'pre',
    withdrawnIn: '2.0.1',
    sql: `ALTER TABLE items ADD COLUMN name text;
      UPDATE items SET name = title;
      ALTER TABLE items ALTER COLUMN name SET NOT NULL;
      ALTER TABLE items DROP COLUMN title`,
  },
  {
    // Expand: `name` next to `title`, kept in step by a trigger, existing rows copied (as
    // GitLab's rename_column_concurrently). Tolerates a database that already ran 003.
    id: '004_items_add_name',
    release: '2.0.1',
    phase: 'pre',
    sql: `ALTER TABLE items ADD COLUMN IF NOT EXISTS name text;
      CREATE OR REPLACE FUNCTION items_sync_title_name() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          NEW.name := coalesce(NEW.name, NEW.title);
          NEW.title := coalesce(NEW.title, NEW.name);
        ELSIF NEW.title IS DISTINCT FROM OLD.title AND NEW.name IS NOT DISTINCT FROM OLD.name THEN
          NEW.name := NEW.title;
        ELSIF NEW.name IS DISTINCT FROM OLD.name AND NEW.title IS NOT DISTINCT FROM OLD.title THEN
          NEW.title := NEW.name;
        END IF;
        RETURN NEW;
      END $f$;
      DO $d$ BEGIN
        IF ${TITLE_EXISTS} THEN
          DROP TRIGGER IF EXISTS items_sync_title_name ON items;
          CREATE TRIGGER items_sync_title_name BEFORE INSERT OR UPDATE ON items
            FOR EACH ROW EXECUTE FUNCTION items_sync_title_name();
          UPDATE items SET name = title WHERE name IS NULL;
        END IF;
      END $d$`,
  },
  {
    // Contract, once no replica reads `title` any more: backfill what is left, drop the old column.
    id: '005_items_drop_title',
    release: '2.0.1',
    phase: 'post',
    sql: `DO $d$ BEGIN
        IF ${TITLE_EXISTS} THEN
          UPDATE items SET name = title WHERE name IS NULL;
        END IF;
      END $d$;
      DROP TRIGGER IF EXISTS items_sync_title_name ON items;
      DROP FUNCTION IF EXISTS items_sync_title_name();
      ALTER TABLE items DROP COLUMN IF EXISTS title;
      ALTER TABLE items ALTER COLUMN name SET NOT NULL`,
  },
];

/** Compares two x.y.z versions. */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * The migrations to apply, in order, to bring a database that has `applied` to `target` in `phase`.
 * pre: pending pre migrations of releases ≤ target and pending post migrations of releases < target.
 * post: pending post migrations of releases ≤ target. all: everything pending of releases ≤ target.
 * @param {string} target
 * @param {'pre' | 'post' | 'all'} phase
 * @param {Set<string>} applied
 */
export function plan(target, phase, applied) {
  const live = MIGRATIONS.filter(
    (m) =>
      compareVersions(m.release, target) <= 0 &&
      !(m.withdrawnIn && compareVersions(m.withdrawnIn, target) <= 0) &&
      !applied.has(m.id),
  );
  const selected = live.filter((m) => {
    if (phase === 'all') return true;
    if (phase === 'post') return m.phase === 'post';
    return m.phase === 'pre' || compareVersions(m.release, target) < 0;
  });
  const rank = (m) => (m.phase === 'pre' ? 0 : 1);
  // Stable sort: declaration order within a release and phase.
  return selected.sort((a, b) => compareVersions(a.release, b.release) || rank(a) - rank(b));
}
