"""A one-off check of the fake Bedrock Runtime against boto3, AWS's official Python SDK.

Not part of `make test`. Run it with boto3 installed and the example built:

    python3 -m venv /tmp/venv-boto && /tmp/venv-boto/bin/pip install boto3
    cargo build --example fake_bedrock --features fakes
    /tmp/venv-boto/bin/python examples/fake_bedrock_sdk_check.py target/debug/examples/fake_bedrock

It starts the fake (the command given), then with boto3's `bedrock-runtime` client (SigV4, no
retries): a non-streaming `converse`, a `converse_stream` whose events must parse in Bedrock's order
(messageStart, contentBlockDelta..., contentBlockStop, messageStop, metadata) with the usage in
metadata, a stream cut by `maxTokens`, a modelStreamErrorException frame after two deltas (queued
on the fake's input), a ThrottlingException (HTTP 429), a ValidationException for a conversation
starting with the assistant, and a wrong access key, which must raise UnrecognizedClientException. Any mismatch
fails with an AssertionError.
"""

import subprocess
import sys

import boto3
import botocore
from botocore.config import Config

MODEL = "amazon.nova-lite-v1:0"
PROMPT = "Hello, fake Nova"
EXPECTED = "You said: " + PROMPT
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def start_fake(command):
    fake = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    settings = {}
    while len(settings) < 3:
        line = fake.stdout.readline()
        if not line:
            raise SystemExit("the fake stopped before printing its endpoint_url, region and access_key_id")
        key, _, value = line.strip().partition("=")
        settings[key] = value
    return fake, settings


def queue(fake, command):
    fake.stdin.write(command + "\n")
    fake.stdin.flush()
    assert fake.stdout.readline().strip() == "queued", command


def client(settings, access_key_id):
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=settings["endpoint_url"],
        region_name=settings["region"],
        aws_access_key_id=access_key_id,
        aws_secret_access_key=SECRET,
        config=Config(retries={"total_max_attempts": 1}),
    )


def check(fake, settings):
    runtime = client(settings, settings["access_key_id"])
    messages = [{"role": "user", "content": [{"text": PROMPT}]}]
    system = [{"text": "Be brief."}]

    answer = runtime.converse(modelId=MODEL, messages=messages, system=system, inferenceConfig={"maxTokens": 256})
    print("converse:", answer["output"], answer["stopReason"], answer["usage"], answer["metrics"])
    assert answer["output"]["message"] == {"role": "assistant", "content": [{"text": EXPECTED}]}
    assert answer["stopReason"] == "end_turn" and answer["usage"]["outputTokens"] == len(EXPECTED.split())

    response = runtime.converse_stream(modelId=MODEL, messages=messages, system=system)
    events = list(response["stream"])
    names = [next(iter(event)) for event in events]
    print("converse_stream events:", names)
    deltas = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    expected_names = ["messageStart"] + ["contentBlockDelta"] * len(deltas)
    expected_names += ["contentBlockStop", "messageStop", "metadata"]
    assert names == expected_names, names
    assert events[0]["messageStart"] == {"role": "assistant"}, events[0]
    text = "".join(d["delta"]["text"] for d in deltas)
    print("converse_stream text:", repr(text))
    assert text == EXPECTED and all(d["contentBlockIndex"] == 0 for d in deltas)
    assert events[-3]["contentBlockStop"] == {"contentBlockIndex": 0}
    assert events[-2]["messageStop"] == {"stopReason": "end_turn"}
    metadata = events[-1]["metadata"]
    print("converse_stream metadata:", metadata)
    usage = metadata["usage"]
    assert usage["outputTokens"] == len(deltas) and usage["inputTokens"] > 0
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert "latencyMs" in metadata["metrics"]

    cut = runtime.converse_stream(modelId=MODEL, messages=messages, inferenceConfig={"maxTokens": 2})
    cut_events = list(cut["stream"])
    cut_text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in cut_events if "contentBlockDelta" in e)
    stop = next(e["messageStop"] for e in cut_events if "messageStop" in e)
    print("converse_stream maxTokens=2:", repr(cut_text), stop)
    assert stop["stopReason"] == "max_tokens" and len(cut_text.split()) == 2

    queue(fake, "exception_after 2")
    broken = runtime.converse_stream(modelId=MODEL, messages=messages)
    seen = []
    try:
        for event in broken["stream"]:
            seen.append(event)
        raise AssertionError("the stream ended without its exception")
    except botocore.exceptions.EventStreamError as e:
        print("exception after", [next(iter(event)) for event in seen], "->", e.response["Error"])
        assert e.response["Error"]["Code"] == "modelStreamErrorException"
        assert [next(iter(event)) for event in seen] == ["messageStart", "contentBlockDelta", "contentBlockDelta"]

    queue(fake, "throttling")
    try:
        runtime.converse_stream(modelId=MODEL, messages=messages)
        raise AssertionError("throttling was not raised")
    except runtime.exceptions.ThrottlingException as e:
        print("throttling:", e.response["Error"], e.response["ResponseMetadata"]["HTTPStatusCode"])

    try:
        runtime.converse_stream(modelId=MODEL, messages=[{"role": "assistant", "content": [{"text": "Hi"}]}])
        raise AssertionError("a conversation starting with the assistant was accepted")
    except runtime.exceptions.ValidationException as e:
        print("validation:", e.response["Error"])

    try:
        client(settings, "AKIAWRONGKEY00000000").converse(modelId=MODEL, messages=messages)
        raise AssertionError("a wrong access key was accepted")
    except botocore.exceptions.ClientError as e:
        print("wrong key:", e.response["Error"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        assert e.response["Error"]["Code"] == "UnrecognizedClientException"


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    fake, settings = start_fake(sys.argv[1:])
    try:
        print("boto3", boto3.__version__, "botocore", botocore.__version__)
        check(fake, settings)
        print("all checks passed")
    finally:
        fake.stdin.close()
        fake.wait(timeout=10)


if __name__ == "__main__":
    main()
