"""Tantivy through its Python package, the keyword search baseline of benches/keyword_search.

Protocol (one JSON object per line on stdout, commands on stdin):
  argv: TEXTS QUERIES INDEX_DIR K    (TEXTS: one chunk per line, its id is its line number + 1;
                                      QUERIES: one per line)
  start:           {"version", "build_secs", "docs"}
  "round\n"  ->    {"us": [latency of each query in microseconds]}
  "top\n"    ->    {"top": [[ids of each query's hits, best first]]}
The index matches ours: an id column (fast) and the text indexed with term frequencies, analysed
by Tantivy's "en_stem" (words, lower case, English stems); one indexing thread; each query is the
OR of its words (parse_query's default) and asks for the top K.
"""

import json
import sys
import time

import tantivy


def main():
    texts_path, queries_path, index_dir, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", indexed=True, fast=True, stored=True)
    builder.add_text_field("text", tokenizer_name="en_stem", index_option="freq")
    schema = builder.build()
    index = tantivy.Index(schema, path=index_dir)
    with open(texts_path, encoding="utf-8") as f:
        texts = f.read().split("\n")
    with open(queries_path, encoding="utf-8") as f:
        queries = [q for q in f.read().split("\n") if q]
    started = time.perf_counter()
    writer = index.writer(heap_size=96_000_000, num_threads=1)
    for i, text in enumerate(texts):
        doc = tantivy.Document()
        doc.add_unsigned("id", i + 1)
        doc.add_text("text", text)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    build_secs = time.perf_counter() - started
    version = tantivy.__version__ if hasattr(tantivy, "__version__") else "?"
    say({"version": str(version), "build_secs": build_secs, "docs": len(texts)})
    searcher = index.searcher()
    parsed = [index.parse_query(q, ["text"]) for q in queries]
    for line in sys.stdin:
        command = line.strip()
        if command == "round":
            us = []
            for q in parsed:
                t = time.perf_counter_ns()
                searcher.search(q, k)
                us.append((time.perf_counter_ns() - t) / 1000.0)
            say({"us": us})
        elif command == "top":
            top = []
            for q in parsed:
                hits = searcher.search(q, k).hits
                top.append([searcher.doc(address)["id"][0] for _, address in hits])
            say({"top": top})


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
