#!/usr/bin/env python3
"""Vendors LiteLLM's model price table, filtered to what Web+ uses, into src/catalog/.

    .ci/vendor-model-prices.py                     # pip download litellm==LITELLM_VERSION (no deps)
    .ci/vendor-model-prices.py --wheel PATH.whl    # an already downloaded wheel (offline)
    .ci/vendor-model-prices.py --json PATH.json    # a table file alone: writes the JSON, not the licence
    ... --out-dir DIR                              # somewhere else than src/catalog (determinism checks)

Writes src/catalog/model_prices.json (one model a line, sorted keys: re-running on the same input
gives the same bytes) and src/catalog/model_prices.LICENSE (LiteLLM's licence, with where the table
came from). Python 3 standard library only; `pip` is called as a program.

What is kept (the engine's `catalog::prices` reads it):
- entries of providers openai, anthropic, bedrock, bedrock_converse and ollama whose mode is chat or
  embedding; Bedrock embeddings only Titan text and Cohere (Web+ embeds text; the image, video and
  multimodal ones are left out);
- only the fields in FIELDS; entries with neither a context window nor a price are left out;
- not LiteLLM's Bedrock provisioned-throughput entries (`.../1-month-commitment/...`: priced per hour,
  not per token), `bedrock/*/...`, `bedrock/invoke/...` and `bedrock/claude_platform/...` (other APIs
  than the Converse one Web+ speaks);
- a regional copy is dropped when it says exactly what the entry the engine falls back to says:
  `bedrock/<region>/X` and `<geo>.X` (cross-region inference profiles: us., eu., apac., ...) next to
  an equal `X`. Copies that differ (the 10% regional premium on newer Claude models, GovCloud
  prices) stay, and the engine finds them first. Deprecated models stay: old usage rows still name them.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

LITELLM_VERSION = "1.110.2"
TABLE_IN_WHEEL = "litellm/model_prices_and_context_window_backup.json"

PROVIDERS = {"openai", "anthropic", "bedrock", "bedrock_converse", "ollama"}
MODES = {"chat", "embedding"}
INT_FIELDS = ["max_input_tokens", "max_output_tokens", "output_vector_size"]
PRICE_FIELDS = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
]
BOOL_FIELDS = ["supports_vision", "supports_function_calling", "supports_response_schema"]
FIELDS = INT_FIELDS + PRICE_FIELDS + BOOL_FIELDS + ["mode", "litellm_provider"]

BEDROCK_EMBEDDINGS = re.compile(r"^(?:[a-z-]+\.)?(?:amazon\.titan-embed-(?:text|g1-text)|cohere\.embed)")
BEDROCK_OTHER_API = re.compile(r"^bedrock/(?:\*|invoke|claude_platform)/|-commitment/")
BEDROCK_REGIONAL = re.compile(r"^bedrock/[a-z]{2}(?:-gov)?-[a-z]+-\d/(.+)$")
BEDROCK_GEO = re.compile(r"^(?:us|eu|apac|au|jp|in|ca|global|us-gov)\.(.+)$")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--wheel", help="a litellm wheel already downloaded")
    src.add_argument("--json", help="a model_prices_and_context_window JSON file (licence not written)")
    ap.add_argument("--out-dir", default=os.path.join(os.path.dirname(__file__), "..", "src", "catalog"))
    args = ap.parse_args()

    licence = None
    if args.json:
        with open(args.json, "rb") as f:
            raw = f.read()
        version, origin = None, os.path.basename(args.json)
    else:
        wheel = args.wheel or download_wheel()
        raw, licence, version = read_wheel(wheel)
        origin = f"{os.path.basename(wheel)}:{TABLE_IN_WHEEL}"

    table = json.loads(raw)
    kept = filter_table(table)
    os.makedirs(args.out_dir, exist_ok=True)
    out = os.path.join(args.out_dir, "model_prices.json")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(render(kept))
    if licence is not None:
        with open(os.path.join(args.out_dir, "model_prices.LICENSE"), "w", encoding="utf-8", newline="\n") as f:
            f.write(licence_file(licence, version, origin, hashlib.sha256(raw).hexdigest()))
    counts = {}
    for v in kept.values():
        counts[v["litellm_provider"]] = counts.get(v["litellm_provider"], 0) + 1
    print(f"{out}: {len(kept)} of {len(table)} entries, {os.path.getsize(out)} bytes, {counts}", file=sys.stderr)


def download_wheel():
    tmp = tempfile.mkdtemp(prefix="litellm-wheel-")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", tmp, f"litellm=={LITELLM_VERSION}"],
        check=True,
    )
    wheels = [n for n in os.listdir(tmp) if n.endswith(".whl")]
    if len(wheels) != 1:
        sys.exit(f"expected one wheel in {tmp}, found {wheels}")
    return os.path.join(tmp, wheels[0])


def read_wheel(path):
    """The table, the licence text and the version, all from the wheel itself."""
    with zipfile.ZipFile(path) as z:
        raw = z.read(TABLE_IN_WHEEL)
        names = z.namelist()
        meta_name = next(n for n in names if re.fullmatch(r"litellm-[^/]+\.dist-info/METADATA", n))
        meta = z.read(meta_name).decode("utf-8")
        lic_name = next(n for n in names if re.fullmatch(r"litellm-[^/]+\.dist-info/(?:licenses/)?LICENSE", n))
        licence = z.read(lic_name).decode("utf-8")
    version = re.search(r"^Version: (\S+)$", meta, re.M).group(1)
    expression = re.search(r"^License-Expression: (.+)$", meta, re.M)
    if not expression or expression.group(1).strip() != "MIT":
        sys.exit(f"litellm {version}'s licence is no longer declared MIT ({expression and expression.group(1)}): check it")
    return raw, licence, version


def filter_table(table):
    picked = {}
    for key, entry in table.items():
        if not isinstance(entry, dict):
            continue
        provider, mode = entry.get("litellm_provider"), entry.get("mode")
        if provider not in PROVIDERS or mode not in MODES:
            continue
        if provider.startswith("bedrock"):
            if BEDROCK_OTHER_API.search(key):
                continue
            if mode == "embedding" and not BEDROCK_EMBEDDINGS.search(key.rsplit("/", 1)[-1]):
                continue
        kept = pick_fields(key, entry)
        if not any(f in kept for f in ["max_input_tokens", "input_cost_per_token"]):
            continue
        picked[key] = kept

    def same_as(base_key, entry):
        base = picked.get(base_key)
        strip = lambda e: {k: v for k, v in e.items() if k != "litellm_provider"}
        return base is not None and strip(base) == strip(entry)

    out = {}
    for key, entry in picked.items():
        if entry["litellm_provider"].startswith("bedrock"):
            regional = BEDROCK_REGIONAL.match(key)
            if regional and same_as(regional.group(1), entry):
                continue
            geo = BEDROCK_GEO.match(key)
            if geo and same_as(geo.group(1), entry):
                continue
        out[key] = entry
    return out


def pick_fields(key, entry):
    kept = {}
    for f in FIELDS:
        v = entry.get(f)
        if v is None:
            continue
        ok = (
            (f in INT_FIELDS and isinstance(v, int) and not isinstance(v, bool) and v > 0)
            or (f in PRICE_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0)
            or (f in BOOL_FIELDS and isinstance(v, bool))
            or (f in ("mode", "litellm_provider") and isinstance(v, str))
        )
        if not ok:
            sys.exit(f"{key}: unexpected {f} = {v!r}; the table's format may have changed")
        kept[f] = float(v) if f in PRICE_FIELDS else v
    return kept


def render(kept):
    """One model a line, keys sorted: small diffs between versions, same bytes for the same input."""
    lines = [f"{json.dumps(k)}:{json.dumps(kept[k], sort_keys=True, separators=(',', ':'))}" for k in sorted(kept)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def licence_file(licence, version, origin, sha256):
    return (
        "model_prices.json is a filtered copy of LiteLLM's model price and context window table\n"
        f"(litellm {version} on PyPI, {origin}; sha256 of the table {sha256}).\n"
        "Project: https://github.com/BerriAI/litellm (file model_prices_and_context_window.json).\n"
        "Regenerate with .ci/vendor-model-prices.py (change LITELLM_VERSION there to update).\n"
        "The table is used under LiteLLM's licence, reproduced below.\n"
        "\n" + "-" * 72 + "\n\n" + licence.rstrip("\n") + "\n"
    )


if __name__ == "__main__":
    main()
