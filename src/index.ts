// Entry of the server and of the compiled binary: loadConfig() → startServer() → stop on SIGINT/SIGTERM.
import { ConfigError, helpText, loadConfig } from './config.ts';
import { startServer } from './server.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(helpText());
  process.exit(0);
}

let config;
try {
  config = loadConfig(argv);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const server = await startServer(config);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
