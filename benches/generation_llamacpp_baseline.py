"""llama.cpp through llama-cpp-python, the baseline of `cargo bench --bench generation`.

Protocol (one JSON object per line on stdout, logs on stderr, commands on stdin):
  argv: GGUF_PATH THREADS N_CTX PROMPT_FILE  (PROMPT_FILE: the prompt's token ids, space-separated)
  start:          {"version", "system_info"}  once the model is loaded
  "round N\n" ->  {"ttft_ms", "gen_secs", "tokens"}: the prompt evaluated from an empty cache, then
                  greedy generation of N tokens; ttft_ms is the time to the first generated token,
                  gen_secs the time from it to the Nth.
  "quit\n"    ->  exit 0
The prompt is given as token ids (Web+ tokenised it with the GGUF's own vocabulary) so both sides
evaluate exactly the same tokens. Generation goes through `Llama.generate`, the loop
`create_completion` runs: top-k 1 at temperature 0 is llama.cpp's greedy sampler, and end-of-text
does not stop it (the caller counts tokens). `reset()` before each round empties the cache, so no
prefix is reused between rounds. Threads: THREADS for both the prompt batch and single tokens.
"""

import json
import sys
import time

import llama_cpp
from llama_cpp import Llama


def main() -> None:
    path, threads, n_ctx, prompt_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    with open(prompt_file) as f:
        prompt = [int(t) for t in f.read().split()]
    llm = Llama(
        model_path=path,
        n_threads=threads,
        n_threads_batch=threads,
        n_ctx=n_ctx,
        n_batch=512,
        verbose=False,
    )
    info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
    reply({"version": llama_cpp.__version__, "system_info": info})
    for line in sys.stdin:
        command = line.split()
        if command == ["quit"]:
            return
        if len(command) == 2 and command[0] == "round":
            reply(generation_round(llm, prompt, int(command[1])))
        else:
            print(f"unknown command {line!r}", file=sys.stderr)
            sys.exit(1)


def generation_round(llm: Llama, prompt: list, n: int) -> dict:
    llm.reset()
    tokens, first = [], None
    started = time.perf_counter()
    for token in llm.generate(prompt, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True):
        if first is None:
            first = time.perf_counter()
        tokens.append(token)
        if len(tokens) == n:
            break
    last = time.perf_counter()
    return {"ttft_ms": (first - started) * 1e3, "gen_secs": last - first, "tokens": tokens}


def reply(value: dict) -> None:
    print(json.dumps(value), flush=True)


if __name__ == "__main__":
    main()
