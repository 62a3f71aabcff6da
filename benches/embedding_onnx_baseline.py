"""ONNX Runtime running all-MiniLM-L6-v2 in fp32, the baseline of `cargo bench --bench embedding`.

Protocol (one JSON object per line on stdout, logs on stderr, commands on stdin):
  argv: MODEL_DIR ONNX_PATH THREADS BATCH MAX_TOKENS QUERIES_FILE CHUNKS_FILE
        (MODEL_DIR: model.safetensors, tokenizer.json; QUERIES_FILE / CHUNKS_FILE: one text per line)
  start:            {"version", "build_secs" (0 if ONNX_PATH was cached), "graph", "fused"}
  "round\n"    ->   {"query_ms": [each query embedded alone], "chunks_secs": all chunks in batches}
  "vectors NQ NC\n" -> {"vectors": [the first NQ queries' vectors, then the first NC chunks']}
  "selftest\n" ->   {"selftest": "ok", "lowest_cosine"}, or exit 1 (vs a float64 NumPy forward)
No fp32 ONNX of the model is to be had from a package registry, so the first run builds one from
the safetensors weights: BERT in the op pattern PyTorch's exporter writes, then
onnxruntime.transformers' optimizer for BERT, which fuses it into EmbedLayerNormalization,
Attention, SkipLayerNormalization and BiasGelu ("fused": its com.microsoft ops). Both graphs are
timed on the first chunk batches and the faster one is kept at ONNX_PATH ("graph": "plain" or
"fused"; build_secs includes that timing). Everything is fp32. A session runs on the CPU provider
with THREADS intra-op threads, one inter-op thread and every graph optimisation. Tokenisation is
ours: tokenizer.json, truncation at MAX_TOKENS, padding to the batch's longest; a sentence is the
mean of the last hidden states over the attention mask, L2-normalised. A timing covers
tokenisation, session.run and pooling. Needs: onnx onnxruntime tokenizers numpy safetensors sympy
(sympy: the optimizer's shape inference).
"""

import json
import math
import os
import sys
import time
from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.transformers.optimizer import optimize_model
from safetensors.numpy import load_file
from tokenizers import Tokenizer

HIDDEN, HEADS, LAYERS, EPS = 384, 12, 6, 1e-12


def load_weights(model_dir):
    weights = load_file(os.path.join(model_dir, "model.safetensors"))
    return {k.removeprefix("bert."): v for k, v in weights.items()}


class Graph:
    """Collects nodes and initializers; each op returns the name of its (single) output."""

    def __init__(self):
        self.nodes, self.inits = [], []

    def const(self, value, dtype=np.float32, name=None):
        name = name or f"const_{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(self, op_type, *inputs, **attrs):
        out = f"{op_type}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return out


def build_plain(w):
    """BERT as torch.onnx.export writes HF's BertModel (opset 17), output last_hidden_state."""
    g = Graph()
    p = lambda name: g.const(w[name], name=name)  # a weight as it is stored
    i64 = lambda v: g.const(v, np.int64)

    def linear(x, name):  # nn.Linear: MatMul by the transposed weight, then Add of the bias
        return g.op("Add", g.op("MatMul", x, g.const(w[name + ".weight"].T, name=name + ".weight_t")),
                    p(name + ".bias"))

    def layer_norm(x, name):
        return g.op("LayerNormalization", x, p(name + ".weight"), p(name + ".bias"), axis=-1, epsilon=EPS)

    words = g.op("Gather", p("embeddings.word_embeddings.weight"), "input_ids")
    types = g.op("Gather", p("embeddings.token_type_embeddings.weight"), "token_type_ids")
    seq_len = g.op("Unsqueeze", g.op("Gather", g.op("Shape", "input_ids"), i64(1), axis=0), i64([0]))
    position_ids = w.get("embeddings.position_ids", np.arange(512)[None, :])
    positions = g.op("Slice", g.const(position_ids, np.int64), i64([0]), seq_len, i64([1]), i64([1]))
    x = g.op("Add", g.op("Add", words, types), g.op("Gather", p("embeddings.position_embeddings.weight"), positions))
    x = layer_norm(x, "embeddings.LayerNorm")
    # Extended attention mask: (1 - mask[:, None, None, :]) * float32 min.
    mask = g.op("Unsqueeze", g.op("Unsqueeze", "attention_mask", i64([1])), i64([2]))
    mask = g.op("Mul", g.op("Sub", g.const(1.0), g.op("Cast", mask, to=TensorProto.FLOAT)),
                g.const(np.finfo(np.float32).min))
    split_heads, merge_heads = i64([0, 0, HEADS, HIDDEN // HEADS]), i64([0, 0, HIDDEN])
    for n in range(LAYERS):
        at = f"encoder.layer.{n}."
        q, k, v = (g.op("Reshape", linear(x, at + "attention.self." + part), split_heads)
                   for part in ("query", "key", "value"))
        scores = g.op("MatMul", g.op("Transpose", q, perm=[0, 2, 1, 3]), g.op("Transpose", k, perm=[0, 2, 3, 1]))
        scores = g.op("Add", g.op("Div", scores, g.const(math.sqrt(HIDDEN // HEADS))), mask)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), g.op("Transpose", v, perm=[0, 2, 1, 3]))
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        x = layer_norm(g.op("Add", linear(context, at + "attention.output.dense"), x), at + "attention.output.LayerNorm")
        h = linear(x, at + "intermediate.dense")  # GELU with erf: h * (erf(h / sqrt 2) + 1) * 0.5
        h = g.op("Mul", g.op("Mul", h, g.op("Add", g.op("Erf", g.op("Div", h, g.const(math.sqrt(2.0)))),
                                            g.const(1.0))), g.const(0.5))
        x = layer_norm(g.op("Add", linear(h, at + "output.dense"), x), at + "output.LayerNorm")
    g.nodes[-1].output[0] = "last_hidden_state"
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
              for name in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", HIDDEN])
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, [output], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    return model


class Embedder:
    def __init__(self, model_bytes_or_path, tokenizer, threads):
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model_bytes_or_path, options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer

    def embed(self, texts):
        """One batch: tokenise, run, mean-pool over the mask, L2-normalise."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        m = mask.astype(np.float32)
        pooled = np.einsum("bsh,bs->bh", hidden, m) / m.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed_all(self, texts, batch):
        return np.concatenate([self.embed(texts[i:i + batch]) for i in range(0, len(texts), batch)])


def build(model_dir, onnx_path, tokenizer, threads, batch, chunks):
    """Writes the faster of the plain and the fused graph to onnx_path; returns (graph, fused ops)."""
    plain = build_plain(load_weights(model_dir))
    # opt_level=0: the fusions alone (its ORT pre-pass imports torch; the session's own pass does that work).
    optimizer = optimize_model(plain, model_type="bert", num_heads=HEADS, hidden_size=HIDDEN, opt_level=0)
    fused = optimizer.model
    stats = dict(Counter(n.op_type for n in fused.graph.node if n.domain == "com.microsoft"))
    log(f"optimizer: {stats}, fully optimized: {optimizer.is_fully_optimized()}")
    candidates = {"plain": plain, "fused": fused}
    embedders = {name: Embedder(m.SerializeToString(), tokenizer, threads) for name, m in candidates.items()}
    sample = chunks[:2 * batch]
    best = {name: math.inf for name in candidates}
    for _ in range(2):  # alternated, best of two: the CPU may be shared
        for name, embedder in embedders.items():
            embedder.embed(sample[:batch])  # warm-up
            started = time.perf_counter()
            embedder.embed_all(sample, batch)
            best[name] = min(best[name], time.perf_counter() - started)
    chosen = min(best, key=best.get)
    log("chunk batches: " + ", ".join(f"{name} {secs:.2f}s" for name, secs in best.items()) + f"; keeping {chosen}")
    model = candidates[chosen]
    onnx.helper.set_model_props(model, {"webplus_graph": chosen, "webplus_fused": json.dumps(stats)})
    temp = f"{onnx_path}.tmp{os.getpid()}"
    onnx.save(model, temp)
    os.replace(temp, onnx_path)
    return chosen, stats


def reference(w, encoding):
    """An independent float64 NumPy forward of one unpadded text, pooled and normalised."""
    ids, types = np.array(encoding.ids), np.array(encoding.type_ids)
    erf = np.vectorize(math.erf)

    def norm(x, name):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + EPS) * w[name + ".weight"] + w[name + ".bias"]

    lin = lambda x, name: x @ w[name + ".weight"].T + w[name + ".bias"]
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][types]
         + w["embeddings.position_embeddings.weight"][: len(ids)])
    x, d = norm(x, "embeddings.LayerNorm"), HIDDEN // HEADS
    for n in range(LAYERS):
        at = f"encoder.layer.{n}."
        q, k, v = (lin(x, at + "attention.self." + p).reshape(len(ids), HEADS, d).transpose(1, 0, 2)
                   for p in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        ctx = ((s / s.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(len(ids), HIDDEN)
        x = norm(lin(ctx, at + "attention.output.dense") + x, at + "attention.output.LayerNorm")
        h = lin(x, at + "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        x = norm(lin(h, at + "output.dense") + x, at + "output.LayerNorm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def selftest(model_dir, embedder):
    short = "How long is the refund window for yearly plans?"
    sentences = ["Our company was founded in a small office in the old part of the city.",
                 "Every customer can export their data as a report before the yearly plan ends.",
                 "Support answers each question by email within two hours, even on weekends.",
                 "The battery charges in ninety minutes and the warranty covers three years."]
    paragraph = ""
    while len(paragraph) < 1200:
        paragraph += sentences[len(paragraph) % 4] + " "
    texts = [short, paragraph.strip(), "Admin access for the billing team", short + " " + sentences[2]]
    got = [embedder.embed([short])[0], embedder.embed([texts[1]])[0]] + list(embedder.embed(texts[1:]))
    weights = {k: v.astype(np.float64) for k, v in load_weights(model_dir).items() if v.dtype == np.float32}
    want = [reference(weights, embedder.tokenizer.encode(t)) for t in [short, texts[1]] + texts[1:]]
    cosines = [float(np.dot(a, b) / np.linalg.norm(a)) for a, b in zip(got, want)]
    log(f"selftest cosines: {cosines}")
    if min(cosines) < 0.99999:
        log(f"SELFTEST FAILED: ONNX Runtime vs the float64 NumPy forward, lowest cosine {min(cosines)} < 0.99999")
        sys.exit(1)
    return min(cosines)


def main():
    model_dir, onnx_path = sys.argv[1], sys.argv[2]
    threads, batch, max_tokens = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    texts = []
    for path in sys.argv[6:8]:
        with open(path, encoding="utf-8") as f:
            texts.append([line for line in f.read().split("\n") if line])
    queries, chunks = texts
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding()  # to the batch's longest
    build_secs = 0.0
    if not os.path.exists(onnx_path):
        started = time.perf_counter()
        build(model_dir, onnx_path, tokenizer, threads, batch, chunks)
        build_secs = time.perf_counter() - started
    props = {p.key: p.value for p in onnx.load(onnx_path, load_external_data=False).metadata_props}
    embedder = Embedder(onnx_path, tokenizer, threads)
    embedder.embed(queries[:1]), embedder.embed(chunks[:batch])  # warm-up
    say({"version": ort.__version__, "build_secs": build_secs, "graph": props.get("webplus_graph", "?"),
         "fused": json.loads(props.get("webplus_fused", "{}"))})
    for line in sys.stdin:
        command = line.split()
        if command == ["round"]:
            query_ms = []
            for q in queries:
                started = time.perf_counter()
                embedder.embed([q])
                query_ms.append((time.perf_counter() - started) * 1000.0)
            started = time.perf_counter()
            embedder.embed_all(chunks, batch)
            say({"query_ms": query_ms, "chunks_secs": time.perf_counter() - started})
        elif command[:1] == ["vectors"]:
            nq, nc = int(command[1]), int(command[2])
            vectors = [embedder.embed([q])[0] for q in queries[:nq]]
            vectors += list(embedder.embed_all(chunks[:nc], batch)) if nc else []
            say({"vectors": [[float(x) for x in v] for v in vectors]})
        elif command == ["selftest"]:
            say({"selftest": "ok", "lowest_cosine": selftest(model_dir, embedder)})


def log(message):
    print(message, file=sys.stderr, flush=True)


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
