/**
 * `npm run seed:archive`: seeds an archive schema with BENCH_EVENTS (default 1000000) events of realistic transfer
 * stories (seed.ts), for trying the console or the read API against a big archive. Starts the built archive once
 * so that its migrations create the tables. Env: ARCHIVE_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/rm_bench), ARCHIVE_DB_SCHEMA (default rm_seed), KAFKA_BROKERS.
 */
import { Client } from 'pg';
import { seedArchive } from './seed';
import { kafkaForBench, runArchive } from './run-archive';

async function main(): Promise<void> {
  const url = process.env['ARCHIVE_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/rm_bench';
  const schema = process.env['ARCHIVE_DB_SCHEMA'] ?? 'rm_seed';
  const events = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  const db = url.replace(/^.*\//, '');
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 0)
    await admin.query(`CREATE DATABASE "${db}"`);
  await admin.end();
  const kafka = await kafkaForBench(19498);
  const archive = await runArchive(kafka.brokers, url, schema);
  try {
    const result = await seedArchive({
      databaseUrl: url,
      schema,
      events,
      log: (l) => process.stdout.write(`${l}\n`),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await archive.stop();
    await kafka.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`seed:archive failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
