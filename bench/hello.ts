// The read baseline: fastify with the same logger settings, one JSON route and /readyz.
import Fastify from 'fastify';

const app = Fastify({ logger: { level: process.env.BENCH_LOG_LEVEL ?? 'info' } });
const user = { id: '6f1c1c1e-8a55-4d2c-9d51-0f3c1d8e2a11', name: 'alice', createdAt: '2026-01-01T00:00:00.000Z' };
app.get('/hello/:ref', async () => user);
app.get('/readyz', async () => ({ status: 'ready' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
