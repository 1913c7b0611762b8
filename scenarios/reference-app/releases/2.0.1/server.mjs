/**
 * Release 2.0.1: 2.0.0's rename done safely. Its pre-deployment migration adds `name` next to
 * `title` and keeps the two in step with a trigger, so 1.x replicas keep working during the
 * rollout; dropping `title` is a post-deployment migration. It also signs items with
 * APP_SIGNING_KEY (an `x-item-signature` header) and cannot serve without that setting: it
 * starts, logs the error, and never becomes ready.
 */
import { createHmac } from 'node:crypto';
import { HttpError, isUniqueViolation, readJson, serve, stringField } from '../../lib/serve.mjs';

const COLUMNS = 'id, key, name, name AS title, note';
const signingKey = process.env.APP_SIGNING_KEY ?? '';

function signed(status, row) {
  const signature = createHmac('sha256', signingKey).update(`${row.key}\n${row.name}`).digest('hex');
  return { status, body: row, headers: { 'x-item-signature': `sha256=${signature}` } };
}

function requireKey() {
  if (!signingKey) throw new HttpError(503, 'APP_SIGNING_KEY is not set');
}

await serve({
  version: '2.0.1',
  configError: signingKey ? undefined : 'APP_SIGNING_KEY is not set',
  routes: ({ db }) => [
    {
      method: 'GET',
      path: '/api/items',
      handler: async () => {
        requireKey();
        const { rows } = await db.query(`SELECT ${COLUMNS} FROM items ORDER BY id DESC LIMIT 20`);
        return { status: 200, body: { items: rows } };
      },
    },
    {
      method: 'POST',
      path: '/api/items',
      handler: async (req) => {
        requireKey();
        const body = await readJson(req);
        const key = stringField(body, 'key', { max: 200 });
        const name = stringField(body, body.name === undefined ? 'title' : 'name');
        const note = stringField(body, 'note', { optional: true, max: 2000 }) ?? null;
        try {
          const { rows } = await db.query(
            `INSERT INTO items (key, name, note) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
            [key, name, note],
          );
          return signed(201, rows[0]);
        } catch (err) {
          if (isUniqueViolation(err)) throw new HttpError(409, `an item with key "${key}" exists`);
          throw err;
        }
      },
    },
    {
      method: 'GET',
      path: '/api/items/:key',
      handler: async (_req, { params }) => {
        requireKey();
        const { rows } = await db.query(`SELECT ${COLUMNS} FROM items WHERE key = $1`, [params.key]);
        if (rows.length === 0) throw new HttpError(404, `no item with key "${params.key}"`);
        return signed(200, rows[0]);
      },
    },
  ],
});
