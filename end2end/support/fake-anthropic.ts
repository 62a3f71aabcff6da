// The in-process fake of Anthropic's Messages API (src/fakes/anthropic, checked against the official
// Python client) run as its own process: `examples/fake_anthropic.rs`, built by `make test` next to
// the server binary. It prints its base URL and key, and serves until interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface FakeAnthropic {
  baseUrl: string;
  apiKey: string;
  stop(): void;
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const bin = join(dirname(process.env.WEBPLUS_BIN!), 'examples', 'fake_anthropic');
  const child: ChildProcess = spawn(bin, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const values: Record<string, string> = {};
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${bin} exited with ${code} before printing its URL`)));
    lines.on('line', (line) => {
      const [k, v] = line.split('=', 2);
      values[k] = v;
      if (values.base_url && values.api_key) resolve();
    });
  });
  child.removeAllListeners('exit');
  return { baseUrl: values.base_url, apiKey: values.api_key, stop: () => child.kill('SIGINT') };
}
