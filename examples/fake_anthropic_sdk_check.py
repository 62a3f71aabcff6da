"""A one-off check of the fake Anthropic server against Anthropic's official Python client.

Not part of `make test`. Run it with the client installed and the example built:

    python3 -m venv /tmp/anth-venv && /tmp/anth-venv/bin/pip install anthropic
    cargo build --example fake_anthropic --features fakes
    /tmp/anth-venv/bin/python examples/fake_anthropic_sdk_check.py target/debug/examples/fake_anthropic

It starts the fake (the command given), then: a non-streaming `messages.create`, a
`messages.stream` read as text with its final message's usage, a stream cut by `max_tokens`,
`models.list` (one model per page, so the client follows pages), a `temperature` refused under the
SDK's API version (2026-10-21) and taken under Web+'s (2023-06-01, key in `x-api-key`), and a call
with a wrong key, which must raise `anthropic.AuthenticationError`. Any mismatch fails with an
AssertionError.
"""

import subprocess
import sys

import anthropic

PROMPT = "Hello, fake Claude"
EXPECTED = "You said: " + PROMPT


def start_fake(command):
    fake = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    settings = {}
    while len(settings) < 2:
        line = fake.stdout.readline()
        if not line:
            raise SystemExit("the fake stopped before printing its base_url and api_key")
        key, _, value = line.strip().partition("=")
        settings[key] = value
    return fake, settings["base_url"], settings["api_key"]


def check(base_url, api_key):
    client = anthropic.Anthropic(base_url=base_url, api_key=api_key, max_retries=0)
    messages = [{"role": "user", "content": PROMPT}]

    message = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=256, system="Be brief.", messages=messages
    )
    print("create:", message.model_dump_json(exclude_none=True))
    assert message.content[0].text == EXPECTED
    assert message.stop_reason == "end_turn" and message.usage.output_tokens == len(EXPECTED.split())

    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=256, messages=messages) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    print("stream text:", repr(text))
    print("stream final usage:", final.usage.model_dump_json(exclude_none=True), "stop_reason:", final.stop_reason)
    assert text == EXPECTED and final.content[0].text == EXPECTED
    assert final.usage.output_tokens == len(EXPECTED.split()) and final.usage.input_tokens > 0

    with client.messages.stream(model="claude-haiku-4-5", max_tokens=2, messages=messages) as stream:
        cut = stream.get_final_message()
    print("stream max_tokens=2:", repr(cut.content[0].text), "stop_reason:", cut.stop_reason)
    assert cut.stop_reason == "max_tokens" and cut.usage.output_tokens == 2

    models = [m.id for m in client.models.list(limit=1)]
    print("models.list (limit=1, auto-paged):", models)
    assert models == ["claude-sonnet-4-6", "claude-haiku-4-5"]

    # The SDK sends API version 2026-10-21, which refuses sampling parameters; Web+ speaks
    # 2023-06-01 with `x-api-key`, which takes them.
    try:
        client.messages.create(
            model="claude-sonnet-4-6", max_tokens=16, messages=messages, extra_body={"temperature": 0.5}
        )
    except anthropic.BadRequestError as e:
        print("temperature under 2026-10-21:", type(e).__name__, e.status_code, e.body["error"])
    else:
        raise AssertionError("temperature was accepted under 2026-10-21")
    web_plus_like = anthropic.Anthropic(
        base_url=base_url,
        api_key=None,
        default_headers={"x-api-key": api_key, "anthropic-version": "2023-06-01"},
        max_retries=0,
    )
    with web_plus_like.messages.stream(
        model="claude-sonnet-4-6", max_tokens=256, messages=messages, extra_body={"temperature": 0.5}
    ) as stream:
        old = stream.get_final_message()
    print("x-api-key + 2023-06-01 + temperature:", repr(old.content[0].text), old.stop_reason)
    assert old.content[0].text == EXPECTED

    bad = anthropic.Anthropic(base_url=base_url, api_key="sk-ant-wrong", max_retries=0)
    try:
        bad.messages.create(model="claude-sonnet-4-6", max_tokens=16, messages=messages)
    except anthropic.AuthenticationError as e:
        print("bad key:", type(e).__name__, e.status_code, e.body, "request_id:", e.request_id)
    else:
        raise AssertionError("a wrong key was accepted")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    fake, base_url, api_key = start_fake(sys.argv[1:])
    try:
        print("anthropic", anthropic.__version__, "against", base_url)
        check(base_url, api_key)
        print("all checks passed")
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
