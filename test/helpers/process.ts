// Runs the server as a child process (the binary, or `bun src/index.ts`) and finds its URL in its log.
import type { Subprocess } from 'bun';

export interface ServerProcess {
  url: string;
  process: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Every stdout line so far. */
  lines: string[];
  /** All of stderr, once the process has exited. */
  stderr: Promise<string>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** A child's output, line by line, as it comes. */
export async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split('\n');
    pending = parts.pop()!;
    yield* parts;
  }
}

/** Starts `command` and resolves once it logs that it is listening (PORT=0 picks a free port). */
export async function spawnServer(command: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const child = Bun.spawn(command, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const lines: string[] = [];
  const stderr = new Response(child.stderr).text();
  let drained: Promise<void> = Promise.resolve();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${lines.join('\n')}`)), 15_000);
    drained = (async () => {
      for await (const line of linesOf(child.stdout)) {
        lines.push(line);
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line).url);
        }
      }
      clearTimeout(timer);
      reject(new Error(`server exited: ${lines.join('\n')}\n${await stderr}`));
    })();
  });
  return {
    url,
    process: child,
    lines,
    stderr,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      const code = await child.exited;
      await drained;
      return code;
    },
  };
}
