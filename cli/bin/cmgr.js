#!/usr/bin/env node
// The `cmgr` / `codex-manager` bin: runs the TypeScript sources through tsx, like the services.
require('tsx/cjs');
require('../src/main.ts').main();
