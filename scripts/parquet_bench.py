#!/usr/bin/env python3
"""pyarrow's side of `gust-bench parquet` (issue 3's benchmark). Needs only pyarrow.

  python scripts/parquet_bench.py make <path> [--rows N] [--dim D]
      Writes the benchmark table (deterministic): N rows (default 10,000,000) of
        id        int64          a pseudo-random permutation of 0..N-1 (unsorted, unique)
        label     double         a class id 0..152 as float64 (153 classes, like ogbn-mag's 349
                                 or arxiv's 40: small, so pyarrow keeps it dictionary-encoded)
        name      string         "p%07d" % id, e.g. "p1234567" (unique)
        features  list<float>    D (default 64) floats per row, uniform in [0, 1) with random
                                 mantissas (incompressible, like learned embeddings)
      snappy, pyarrow's defaults otherwise (row groups of up to 1Mi rows, dictionary encoding
      with its fallback to PLAIN, data page v1 of 1 MiB). Written through a temporary name.

  python scripts/parquet_bench.py serve <path>
      Reads commands on stdin, one a line, answers one JSON line each on stdout:
        time <column>   -> {"column": c, "seconds": s, "values": n}
                           one timed pq.read_table(path, columns=[c], use_threads=False); `values`
                           is the number of leaf values (floats for a list column)
        quit
      (One long-lived process so that Gust's bench can alternate Gust and pyarrow runs without
      paying python's start-up each time.)

  python scripts/parquet_bench.py peak <path> <column>
      Reads one column in a fresh process and prints {"column", "peak_rss", "rss_before",
      "decoded_bytes", "seconds", "values"}: VmHWM after the read, VmRSS before it (both bytes),
      the size of the decoded Arrow buffers (Table.nbytes), the time of the one read_table call
      (use_threads=False; pyarrow imported before) and the number of leaf values.
"""
import json
import os
import random
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CHUNK = 1024 * 1024  # pyarrow's default maximum row group length: one write per row group


def make(path, rows, dim):
    # A multiplicative permutation of 0..rows-1: id(i) = (i * A + B) mod rows, A coprime to rows.
    a = 2_654_435_761 % rows or 1
    while _gcd(a, rows) != 1:
        a += 1
    b = rows // 3
    rng = random.Random(20240603)
    schema = pa.schema([("id", pa.int64()), ("label", pa.float64()), ("name", pa.string()),
                        ("features", pa.list_(pa.float32()))])
    tmp = path + ".tmp"
    with pq.ParquetWriter(tmp, schema, compression="snappy") as w:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            ids = [(i * a + b) % rows for i in range(start, start + n)]
            label = pa.array([float(rng.randrange(153)) for _ in range(n)], pa.float64())
            name = pa.array(["p%07d" % x for x in ids], pa.string())
            bits = pa.Array.from_buffers(pa.uint32(), n * dim, [None, pa.py_buffer(_randbytes(rng, n * dim * 4))])
            bits = pc.bit_wise_or(pc.bit_wise_and(bits, pa.scalar(0x007FFFFF, pa.uint32())),
                                  pa.scalar(0x3F800000, pa.uint32()))  # [1, 2)
            vals = pc.subtract(bits.view(pa.float32()), pa.scalar(1.0, pa.float32()))
            offsets = pa.array(range(0, n * dim + 1, dim), pa.int32())
            feats = pa.ListArray.from_arrays(offsets, vals)
            w.write_table(pa.table([pa.array(ids, pa.int64()), label, name, feats], schema=schema))
            print(f"  wrote rows {start}..{start + n}", file=sys.stderr, flush=True)
    os.replace(tmp, path)


def _randbytes(rng, n):
    piece = 1 << 24  # randbytes goes through one big int: keep each call small
    return b"".join(rng.randbytes(min(piece, n - k)) for k in range(0, n, piece))


def _gcd(x, y):
    while y:
        x, y = y, x % y
    return x


def leaf_values(table):
    col = table.column(0)
    t = col.type
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return sum(len(c.flatten()) for c in col.chunks)
    return len(col)


def serve(path):
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        if parts[0] == "time" and len(parts) == 2:
            t0 = time.perf_counter()
            table = pq.read_table(path, columns=[parts[1]], use_threads=False)
            s = time.perf_counter() - t0
            out = {"column": parts[1], "seconds": s, "values": leaf_values(table)}
            del table
        else:
            out = {"error": "unknown command: " + line.strip()}
        print(json.dumps(out), flush=True)


def status_bytes(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def peak(path, column):
    pa.set_cpu_count(1)
    before = status_bytes("VmRSS")
    t0 = time.perf_counter()
    table = pq.read_table(path, columns=[column], use_threads=False)
    seconds = time.perf_counter() - t0
    out = {"column": column, "peak_rss": status_bytes("VmHWM"), "rss_before": before,
           "decoded_bytes": table.nbytes, "seconds": seconds, "values": leaf_values(table)}
    print(json.dumps(out), flush=True)


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        rows, dim = 10_000_000, 64
        rest = argv[2:]
        for i in range(0, len(rest) - 1, 2):
            if rest[i] == "--rows":
                rows = int(rest[i + 1])
            elif rest[i] == "--dim":
                dim = int(rest[i + 1])
        make(argv[1], rows, dim)
    elif len(argv) == 2 and argv[0] == "serve":
        serve(argv[1])
    elif len(argv) == 3 and argv[0] == "peak":
        peak(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
