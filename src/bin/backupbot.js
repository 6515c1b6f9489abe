#!/usr/bin/env node
// The bin used to be this file; it is now backupbot.cjs (CommonJS starts faster). Kept so
// that a systemd unit or script written for the old path keeps working.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./backupbot.cjs');
