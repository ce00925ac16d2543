/**
 * A private RabbitMQ node for a test: Debian's rabbitmq-server, its own node name, ports the OS picked,
 * and its data under a temp dir; ready when an AMQP connection succeeds (readiness, never a sleep).
 * `restart()` stops it gracefully and starts it on the same data (durable queues and persistent messages
 * survive). Null when rabbitmq-server is not installed: tests skip, saying so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { until } from './until.js';

export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
export const rabbitmqAvailable = () => existsSync(RABBITMQ_SERVER);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface RabbitNode {
  readonly url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRabbit(): Promise<RabbitNode> {
  const dir = mkdtempSync(join(tmpdir(), 'auditql-rabbit-'));
  const [port, dist] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users = none\n`);
  const env = {
    ...process.env,
    HOME: dir, // the Erlang cookie
    RABBITMQ_NODENAME: `auditql${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}/`;
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn(RABBITMQ_SERVER, [], { env, cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
    child = c;
    let exited = false;
    c.on('exit', () => { exited = true; });
    await until('RabbitMQ accepting AMQP connections', async () => {
      if (exited) throw new Error(`rabbitmq-server exited; see ${dir}/log`);
      try {
        await (await amqp.connect(url)).close();
        return true;
      } catch {
        return false;
      }
    }, 120_000);
  };
  const halt = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM'); // RabbitMQ shuts down gracefully on SIGTERM
    await gone;
  };
  await start();
  return {
    url,
    async restart() {
      await halt();
      await start();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
