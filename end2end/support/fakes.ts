// The in-process fakes of the providers (src/fakes: Anthropic, checked against its official Python
// client; Ollama, checked against `ollama`) run as their own processes: `examples/fake_*.rs`,
// built by `make test` next to the server binary. Each prints `key=value` lines (its base URL,
// …), then serves until interrupted; some take commands on stdin.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Fake {
  /** What it printed: `base_url`, `api_key`, … */
  values: Record<string, string>;
  /** Writes a command line to its stdin. */
  send(line: string): void;
  stop(): void;
}

export async function startFake(example: string, args: string[], wanted: string[]): Promise<Fake> {
  const bin = join(dirname(process.env.WEBPLUS_BIN!), 'examples', example);
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const values: Record<string, string> = {};
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${bin} exited with ${code} before printing ${wanted}`)));
    lines.on('line', (line) => {
      const [k, v] = line.split('=', 2);
      values[k] = v;
      if (wanted.every((w) => values[w])) resolve();
    });
  });
  child.removeAllListeners('exit');
  return {
    values,
    send: (line) => child.stdin!.write(`${line}\n`),
    stop: () => child.kill('SIGINT'),
  };
}
