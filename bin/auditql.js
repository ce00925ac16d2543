#!/usr/bin/env node
// The CLI ships compiled: `npm run build` (run by `npm start`/`npm test`, and by `prepare` on install) emits dist/.
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('auditql: dist/ is missing; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
