/** Release 1.0.0: items with a key and a title. */
import { HttpError, isUniqueViolation, readJson, serve, stringField } from '../../lib/serve.mjs';

const COLUMNS = 'id, key, title';

await serve({
  version: '1.0.0',
  routes: ({ db }) => [
    {
      method: 'GET',
      path: '/api/items',
      handler: async () => {
        const { rows } = await db.query(`SELECT ${COLUMNS} FROM items ORDER BY id DESC LIMIT 20`);
        return { status: 200, body: { items: rows } };
      },
    },
    {
      method: 'POST',
      path: '/api/items',
      handler: async (req) => {
        const body = await readJson(req);
        const key = stringField(body, 'key', { max: 200 });
        const title = stringField(body, 'title');
        try {
          const { rows } = await db.query(
            `INSERT INTO items (key, title) VALUES ($1, $2) RETURNING ${COLUMNS}`,
            [key, title],
          );
          return { status: 201, body: rows[0] };
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
        const { rows } = await db.query(`SELECT ${COLUMNS} FROM items WHERE key = $1`, [params.key]);
        if (rows.length === 0) throw new HttpError(404, `no item with key "${params.key}"`);
        return { status: 200, body: rows[0] };
      },
    },
  ],
});
