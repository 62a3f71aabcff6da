"""A one-off check of the fake Ollama server against Ollama's official Python client.

Not part of `make test`. Run it with the client installed and the example built:

    python3 -m venv /tmp/venv-ollama && /tmp/venv-ollama/bin/pip install ollama
    cargo build --example fake_ollama --features fakes
    /tmp/venv-ollama/bin/python examples/fake_ollama_sdk_check.py target/debug/examples/fake_ollama

It starts the fake (the command given), then: `chat` whole and streamed (text, done_reason, the
counts), a chat cut by `num_predict`, `list`, `generate` with no prompt to load a model and `ps`
showing it with its expiry, `generate` with `keep_alive=0` to unload it, a streamed `pull` (progress
per layer, ending in success, then listed), a pull of a model the library lacks (ResponseError with
Ollama's reason), `show`, `delete` (then a second delete: ResponseError 404), and a chat with an
unknown model (ResponseError 404). Any mismatch fails with an AssertionError.
"""

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import ollama

MODEL = "llama3.2"
PROMPT = "Hello, fake llama"
EXPECTED = "You said: " + PROMPT


def start_fake(command):
    fake = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = fake.stdout.readline()
    if not line.startswith("base_url="):
        raise SystemExit("the fake stopped before printing its base_url")
    return fake, line.strip().partition("=")[2]


def check_chat(client):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": PROMPT}]
    whole = client.chat(model=MODEL, messages=messages)
    print("chat:", whole.model_dump_json(exclude_none=True))
    assert whole.message.content == EXPECTED and whole.done and whole.done_reason == "stop"
    assert whole.eval_count == len(EXPECTED.split()) and whole.prompt_eval_count > 0

    parts = list(client.chat(model=MODEL, messages=messages, stream=True))
    text = "".join(p.message.content for p in parts)
    print("chat stream:", len(parts), "parts", repr(text), "last:", parts[-1].model_dump_json(exclude_none=True))
    assert text == EXPECTED and parts[-1].done and not any(p.done for p in parts[:-1])
    assert parts[-1].eval_count == len(parts) - 1 and parts[-1].total_duration > 0

    cut = client.chat(model=MODEL, messages=messages, options={"num_predict": 2})
    print("chat num_predict=2:", repr(cut.message.content), cut.done_reason, cut.eval_count)
    assert cut.done_reason == "length" and cut.eval_count == 2

    try:
        client.chat(model="mistral", messages=messages)
    except ollama.ResponseError as e:
        print("unknown model:", e.status_code, e.error)
        assert e.status_code == 404 and "not found" in e.error
    else:
        raise AssertionError("an unknown model answered")


def check_load_and_unload(client):
    loaded = client.generate(model=MODEL, keep_alive="10m")
    print("generate (load):", loaded.model_dump_json(exclude_none=True))
    assert loaded.done and loaded.done_reason == "load" and loaded.response == ""
    running = client.ps().models
    print("ps:", [m.model_dump(exclude_none=True) for m in running])
    assert [m.model for m in running] == [MODEL + ":latest"]
    in_ten = datetime.now(timezone.utc) + timedelta(minutes=10)
    assert abs((running[0].expires_at - in_ten).total_seconds()) < 30, running[0].expires_at
    assert running[0].size_vram > 0

    unloaded = client.generate(model=MODEL, keep_alive=0)
    print("generate (unload):", unloaded.done_reason)
    assert unloaded.done_reason == "unload" and client.ps().models == []


def check_models(client):
    listed = [m.model for m in client.list().models]
    print("list:", listed)
    assert listed == [MODEL + ":latest"]

    progress = list(client.pull("qwen3:0.6b", stream=True))
    for p in progress:
        print("  pull:", p.model_dump_json(exclude_none=True))
    assert progress[0].status == "pulling manifest" and progress[-1].status == "success"
    layers = [p for p in progress if p.digest]
    assert layers and all(p.total and (p.completed or 0) <= p.total for p in layers)
    listed = [m.model for m in client.list().models]
    print("list after pull:", listed)
    assert listed == ["qwen3:0.6b", MODEL + ":latest"]

    try:
        list(client.pull("no-such-model", stream=True))
    except ollama.ResponseError as e:
        print("pull of a missing model:", e.status_code, e.error)
        assert "file does not exist" in e.error
    else:
        raise AssertionError("a missing model was pulled")

    shown = client.show("qwen3:0.6b")
    print("show:", shown.details.model_dump(exclude_none=True), shown.modelinfo, shown.capabilities)
    assert shown.modelinfo["qwen.context_length"] == 131072 and shown.details.format == "gguf"

    deleted = client.delete("qwen3:0.6b")
    print("delete:", deleted.status)
    assert deleted.status == "success"
    assert [m.model for m in client.list().models] == [MODEL + ":latest"]
    try:
        client.delete("qwen3:0.6b")
    except ollama.ResponseError as e:
        print("second delete:", e.status_code, e.error)
        assert e.status_code == 404
    else:
        raise AssertionError("a deleted model was deleted again")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    fake, base_url = start_fake(sys.argv[1:])
    try:
        from importlib.metadata import version

        print("ollama", version("ollama"), "against", base_url)
        client = ollama.Client(host=base_url)
        check_chat(client)
        check_load_and_unload(client)
        check_models(client)
        print("all checks passed")
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
