/**
 * Process lifecycle: shutdown hooks run once, in reverse order of registration, on SIGINT/SIGTERM or when
 * a command ends. A stop asked for by a signal is a clean stop: exit status 0 once the hooks ran (README
 * "Exit status"); a second signal while they run exits at once with 130 (SIGINT) or 143 (SIGTERM).
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

let installed = false;

/** Ctrl-C / SIGTERM: run the hooks, then exit 0. A second signal exits at once, with 128 + the signal number. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  let signalled = false;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(code);
      signalled = true;
      void shutdown().finally(() => process.exit(0));
    });
  }
}
