// Preloaded before every test file (bunfig.toml).
import { setDefaultTimeout } from 'bun:test';

setDefaultTimeout(30_000);
