/**
 * Shared by the browser specs: start the real backend on a free port, register a company, save
 * screenshots. The backend is `binelek serve` in embedded mode (a fresh data dir, serving web/dist),
 * or with BINELEK_E2E_TOPOLOGY=production the production topology: PostgreSQL + Redis, two API
 * processes behind a round-robin proxy and two workers (`npm run e2e:production`).
 */
import { expect, test, type Page } from '@playwright/test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ARTIFACTS = join(WEB_DIR, 'e2e', 'artifacts');
const BINELEK = process.env.BINELEK_BIN ?? join(WEB_DIR, '..', '.venv', 'bin', 'binelek');

export interface Backend {
  baseURL: string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForReady(backend: ChildProcess, url: string, logName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (backend.exitCode !== null) {
      throw new Error(`backend exited early with code ${backend.exitCode}; see e2e/artifacts/${logName}`);
    }
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`backend not ready after ${timeoutMs} ms (${last})`);
}

/** Start a backend with its own empty data dir; `stop()` ends it and removes the data dir. */
export interface BackendOptions {
  /** Seed the demo business (`binelek seed-demo`) at this scale before serving. */
  demoScale?: string;
  /** Extra environment for the backend (settings such as SMTP_HOST / SMTP_PORT). */
  env?: Record<string, string>;
}

export async function startBackend(logName = 'backend.log', options: BackendOptions = {}): Promise<Backend> {
  if (process.env.BINELEK_E2E_TOPOLOGY === 'production') return startProductionTopology(logName, options);
  if (!existsSync(BINELEK)) throw new Error(`backend CLI not found at ${BINELEK} — install the Python package first`);
  if (!existsSync(join(WEB_DIR, 'dist', 'index.html'))) throw new Error('web/dist is missing — run `npm run build` first (npm run e2e does)');
  mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'binelek-e2e-'));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    BINELEK_DATA_DIR: dataDir,
    BINELEK_ENV: 'test',
    PUBLIC_URL: baseURL,
    WEB_DIST_DIR: join(WEB_DIR, 'dist'),
    ...(options.demoScale ? { BINELEK_DEMO_SCALE: options.demoScale } : {}),
    ...options.env,
  };
  if (options.demoScale) {
    const seeded = spawnSync(BINELEK, ['seed-demo'], { cwd: dataDir, env, encoding: 'utf8', timeout: 240_000 });
    if (seeded.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`seed-demo failed (${seeded.status}):\n${seeded.stderr.slice(-3000)}`);
    }
  }
  const log = createWriteStream(join(ARTIFACTS, logName));
  const backend = spawn(BINELEK, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  backend.stdout?.pipe(log);
  backend.stderr?.pipe(log);

  const stop = async () => {
    if (backend.exitCode === null) {
      backend.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          backend.kill('SIGKILL');
          resolve();
        }, 10_000);
        backend.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForReady(backend, baseURL, logName, 90_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { baseURL, stop };
}

const PG_ADMIN = process.env.BINELEK_E2E_PG ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BINELEK_E2E_REDIS ?? 'redis://127.0.0.1:6379/0';
const API_PROCESSES = 2;
const WORKER_PROCESSES = 2;

function psql(sql: string): void {
  const done = spawnSync('psql', [PG_ADMIN, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { encoding: 'utf8', timeout: 60_000 });
  if (done.status !== 0) throw new Error(`psql failed: ${done.stderr}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** What nginx does in docker-compose.yml: spread requests over the API processes, stream answers. */
function roundRobinProxy(port: number, upstreams: number[]): Promise<Server> {
  let next = 0;
  const server = createHttpServer((req, res) => {
    const upstream = upstreams[next++ % upstreams.length]!;
    const forwarded = httpRequest(
      { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: { ...req.headers, 'x-forwarded-for': '127.0.0.1' } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream failed');
    });
    req.pipe(forwarded);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function startProductionTopology(logName: string, options: BackendOptions): Promise<Backend> {
  // Five processes and a database to prepare: more time for the hook that starts them.
  test.info().setTimeout(test.info().timeout + 120_000);
  if (!existsSync(BINELEK)) throw new Error(`backend CLI not found at ${BINELEK} — install the Python package first`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'binelek-e2e-'));
  const run = randomBytes(5).toString('hex');
  const database = `binelek_e2e_${run}`;
  psql(`CREATE DATABASE "${database}"`);
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BINELEK_ENV: 'production',
    BINELEK_DATA_DIR: dataDir, // shared by every process, like a volume in docker-compose.yml
    DATABASE_URL: `${PG_ADMIN.slice(0, PG_ADMIN.lastIndexOf('/'))}/${database}`,
    REDIS_URL,
    REDIS_PREFIX: `binelek-e2e-${run}:`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: `${randomBytes(32).toString('base64url')}=`,
    PUBLIC_URL: baseURL,
    WEB_DIST_DIR: join(WEB_DIR, 'dist'),
    LOG_JSON: 'true',
    ...(options.demoScale ? { BINELEK_DEMO_SCALE: options.demoScale } : {}),
    ...options.env,
  };
  const children: ChildProcess[] = [];
  let proxy: Server | null = null;
  const log = createWriteStream(join(ARTIFACTS, logName));
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    proxy?.closeAllConnections();
    try {
      psql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  const spawnLogged = (name: string, args: string[], extra: NodeJS.ProcessEnv): ChildProcess => {
    const child = spawn(BINELEK, args, { cwd: dataDir, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const tag = (chunk: Buffer) => log.write(chunk.toString().replace(/^(?=.)/gm, `[${name}] `));
    child.stdout?.on('data', tag);
    child.stderr?.on('data', tag);
    children.push(child);
    return child;
  };
  try {
    for (const step of [['migrate'], ...(options.demoScale ? [['seed-demo']] : [])]) {
      const done = spawnSync(BINELEK, step, { cwd: dataDir, env, encoding: 'utf8', timeout: 240_000 });
      log.write(`[${step[0]}] ${done.stdout}${done.stderr}\n`);
      if (done.status !== 0) throw new Error(`binelek ${step[0]} failed (${done.status}):\n${done.stderr.slice(-3000)}`);
    }
    const apiPorts: number[] = [];
    for (let i = 0; i < API_PROCESSES; i++) apiPorts.push(await freePort());
    for (let i = 0; i < WORKER_PROCESSES; i++) spawnLogged(`worker-${i}`, ['worker'], { BINELEK_EXECUTOR_ID: `worker-${i}` });
    await Promise.all(
      apiPorts.map((apiPort, i) => {
        const api = spawnLogged(`api-${i}`, ['serve', '--host', '127.0.0.1', '--port', String(apiPort), '--no-migrate'], { JOBS_ENABLED: 'false' });
        return waitForReady(api, `http://127.0.0.1:${apiPort}`, logName, 90_000);
      }),
    );
    proxy = await roundRobinProxy(port, apiPorts);
  } catch (e) {
    await stop();
    throw e;
  }
  return { baseURL, stop };
}

export function mainNav(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

export async function shot(page: Page, name: string, options: { fullPage?: boolean; path?: string } = {}): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: options.path ?? join(ARTIFACTS, `${name}.png`), fullPage: options.fullPage ?? true });
}

export interface Person {
  name: string;
  email: string;
  password: string;
  company: string;
}

/** Register a new company through the UI and wait for the signed-in shell. */
export async function register(page: Page, baseURL: string, p: Person): Promise<void> {
  await page.goto(`${baseURL}/register`);
  await expect(page.getByRole('heading', { name: 'Create your company workspace' })).toBeVisible();
  await page.getByLabel('Full name').fill(p.name);
  await page.getByLabel('Work email').fill(p.email);
  await page.getByLabel('Password').fill(p.password);
  await page.getByLabel('Company name').fill(p.company);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Welcome, ${p.name.split(' ')[0]}` })).toBeVisible();
  await expect(page.getByTestId('current-tenant')).toHaveText(p.company);
}

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  body: string;
}

export interface SmtpServer {
  host: string;
  port: number;
  /** Every message received so far, oldest first. */
  messages: () => ReceivedMail[];
  stop: () => Promise<void>;
}

// A real SMTP server (aiosmtpd, from the backend's virtualenv) that writes each message it accepts as
// one JSON line: the backend delivers over the real wire protocol and the spec reads what arrived.
const SMTP_SERVER = `
import email, json, sys, threading
from email import policy
from aiosmtpd.controller import Controller

port, path = int(sys.argv[1]), sys.argv[2]

class Keep:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        part = message.get_body(preferencelist=("plain",))
        record = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "subject": str(message["subject"] or ""),
            "body": part.get_content() if part is not None else "",
        }
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\\n")
        return "250 Message accepted"

controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
print("READY", flush=True)
threading.Event().wait()
`;

/** Start a local SMTP server for a spec; pass its host and port to the backend as SMTP_HOST / SMTP_PORT. */
export async function startSmtpServer(logName = 'smtp.log'): Promise<SmtpServer> {
  const python = join(WEB_DIR, '..', '.venv', 'bin', 'python');
  if (!existsSync(python)) throw new Error(`python not found at ${python} — install the Python package first`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'binelek-smtp-'));
  const inbox = join(dir, 'inbox.jsonl');
  const port = await freePort();
  const log = createWriteStream(join(ARTIFACTS, logName));
  const child = spawn(python, ['-c', SMTP_SERVER, String(port), inbox], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.pipe(log);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`SMTP server not ready; see e2e/artifacts/${logName}`)), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`SMTP server exited with ${code}; see e2e/artifacts/${logName}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const messages = (): ReceivedMail[] =>
    existsSync(inbox)
      ? readFileSync(inbox, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as ReceivedMail)
      : [];
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { host: '127.0.0.1', port, messages, stop };
}
