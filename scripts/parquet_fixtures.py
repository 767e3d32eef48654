#!/usr/bin/env python3
"""Expected values for Gust's Parquet tests, made once with pyarrow and committed.

  .venv-interop/bin/python scripts/parquet_fixtures.py      (from the repository root)

(a) For every file in ../shared/testdata/parquet-testing/data/ (override with
    PARQUET_TESTING_DATA) writes Tests/ParquetTests/Fixtures/expected/<file>.json: what pyarrow
    reads (rows, columns, Arrow types, Parquet leaves with encodings and codecs, and per column a
    checksum summary plus the first 5 and last 2 values), or pyarrow's error for files it cannot
    read. index.json lists every file.
(b) Writes small pyarrow tables in many shapes to Tests/ParquetTests/Fixtures/pyarrow/<name>.parquet
    with <name>.json beside each (all values when the table has <= 200 rows).

Deterministic: a rerun with the same pyarrow rewrites identical bytes. Needs only pyarrow.

Value conventions in the JSON (see Fixtures/README.md):
  integers as JSON numbers; floats as Python repr strings ("1.5", "nan", "-inf"); binary and
  fixed_size_binary as lowercase hex; string as text; decimal as its decimal string ("-12.34");
  date32 as days; timestamps as integers in their unit (INT96 is read as ns); null as null;
  lists as JSON arrays; structs as objects; maps as [[key, value], ...].
Summary of a column (recursive for nested types):
  null_count, validity_crc32 = crc32 of one byte per row (1 valid, 0 null);
  flat types: values_crc32 = crc32 of the non-null values' canonical bytes in row order:
    bool 1 byte; ints, floats (float16 as its 2 bytes), date32, timestamps: little-endian at the
    Arrow width; decimal128 as 16-byte little-endian two's-complement unscaled integers;
    string/binary as uint32 LE length + bytes; fixed_size_binary as its bytes.
  numeric types also: min, max, sum (floats: repr of math.fsum over non-NaN values).
  list-like types: lengths_crc32 = crc32 of uint32 LE length per row (0 for a null list), and
    child = the summary of the flattened values of the non-null lists.
  struct: fields = {name: summary}; map: child = summary of the struct<key, value> entries.
"""

import json
import math
import os
import random
import struct
import sys
import zlib
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ParquetTests", "Fixtures")
TESTING = os.environ.get(
    "PARQUET_TESTING_DATA",
    os.path.join(ROOT, "..", "shared", "testdata", "parquet-testing", "data"))
if not os.path.isdir(TESTING):
    TESTING = "/work/shared/testdata/parquet-testing/data"
GENERATOR = "scripts/parquet_fixtures.py (pyarrow %s)" % pa.__version__
HEAD, TAIL, FULL_LIMIT = 5, 2, 200


# ---------------------------------------------------------------- values as JSON

def is_list_like(t):
    return (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
            or getattr(pa.types, "is_list_view", lambda _: False)(t)
            or getattr(pa.types, "is_large_list_view", lambda _: False)(t))


def is_temporal_int(t):
    return (pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t)
            or pa.types.is_duration(t))


def temporal_as_int(arr):
    t = arr.type
    width = 32 if (pa.types.is_date32(t) or pa.types.is_time32(t)) else 64
    return arr.view(pa.int32() if width == 32 else pa.int64())


def json_values(arr):
    """Python/JSON values of a (non-chunked) Arrow array, by the conventions above."""
    t = arr.type
    if pa.types.is_dictionary(t):
        return json_values(arr.dictionary_decode())
    if is_temporal_int(t):
        return temporal_as_int(arr).to_pylist()
    if pa.types.is_floating(t):
        return [None if v is None else repr(float(v)) for v in arr.to_pylist()]
    if (pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
            or getattr(pa.types, "is_binary_view", lambda _: False)(t)):
        return [None if v is None else v.hex() for v in arr.to_pylist()]
    if pa.types.is_decimal(t):
        return [None if v is None else str(v) for v in arr.to_pylist()]
    if pa.types.is_map(t):
        out = []
        for i in range(len(arr)):
            if not arr[i].is_valid:
                out.append(None)
                continue
            entries = arr[i].values  # struct<key, value>
            keys = json_values(entries.field(0))
            vals = json_values(entries.field(1))
            out.append([[k, v] for k, v in zip(keys, vals)])
        return out
    if is_list_like(t):
        return [json_values(arr[i].values) if arr[i].is_valid else None for i in range(len(arr))]
    if pa.types.is_struct(t):
        fields = {t.field(k).name: json_values(arr.field(k)) for k in range(t.num_fields)}
        valid = arr.is_valid().to_pylist()
        return [({n: fields[n][i] for n in fields} if valid[i] else None) for i in range(len(arr))]
    if pa.types.is_null(t):
        return [None] * len(arr)
    return arr.to_pylist()


# ---------------------------------------------------------------- checksums

def fixed_value_bytes(arr):
    """Little-endian bytes of the non-null values of a fixed-width array (bool as 1 byte)."""
    arr = arr.drop_null()
    t = arr.type
    if pa.types.is_boolean(t):
        return bytes(1 if v else 0 for v in arr.to_pylist())
    if is_temporal_int(t):
        arr = temporal_as_int(arr)
        t = arr.type
    width = t.byte_width
    buf = arr.buffers()[1]
    if buf is None:
        return b""
    return buf.to_pybytes()[arr.offset * width:(arr.offset + len(arr)) * width]


def list_lengths(arr):
    """Per-row lengths of a list-like or map array (0 for null rows)."""
    valid = arr.is_valid().to_pylist()
    if pa.types.is_fixed_size_list(arr.type):
        return [arr.type.list_size if v else 0 for v in valid]
    offsets = arr.offsets.to_pylist()
    return [(offsets[i + 1] - offsets[i]) if valid[i] else 0 for i in range(len(arr))]


def flatten(arr):
    """The values of the non-null lists (the entries struct for a map)."""
    if pa.types.is_map(arr.type):
        parts = [arr[i].values for i in range(len(arr)) if arr[i].is_valid]
        t = arr.type
        return pa.concat_arrays(parts) if parts else \
            pa.array([], pa.struct([t.key_field, t.item_field]))
    return arr.flatten()


def summarize(arr):
    """The recursive summary (see the module docstring) of a non-chunked array."""
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    valid = arr.is_valid().to_pylist()
    out = {
        "null_count": arr.null_count,
        "validity_crc32": zlib.crc32(bytes(1 if v else 0 for v in valid)),
    }
    if pa.types.is_null(t):
        return out
    if pa.types.is_map(t) or is_list_like(t):
        lengths = list_lengths(arr)
        out["lengths_crc32"] = zlib.crc32(b"".join(struct.pack("<I", n) for n in lengths))
        out["child"] = summarize(flatten(arr))
        return out
    if pa.types.is_struct(t):
        out["fields"] = {t.field(k).name: summarize(arr.field(k)) for k in range(t.num_fields)}
        return out
    if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t)):
        vals = arr.drop_null().cast(pa.large_binary()).to_pylist()
        out["values_crc32"] = zlib.crc32(b"".join(struct.pack("<I", len(v)) + v for v in vals))
        out["bytes"] = sum(len(v) for v in vals)
        return out
    if pa.types.is_fixed_size_binary(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t) \
            or pa.types.is_integer(t) or pa.types.is_floating(t) or is_temporal_int(t):
        out["values_crc32"] = zlib.crc32(fixed_value_bytes(arr))
    if pa.types.is_integer(t) or is_temporal_int(t):
        ints = [v for v in json_values(arr) if v is not None]
        if ints:
            out["min"], out["max"], out["sum"] = min(ints), max(ints), sum(ints)
    elif pa.types.is_floating(t):
        floats = [float(v) for v in arr.drop_null().to_pylist()]
        finite = [v for v in floats if not math.isnan(v)]
        out["nan_count"] = len(floats) - len(finite)
        if finite:
            out["min"], out["max"] = repr(min(finite)), repr(max(finite))
            out["sum"] = repr(math.fsum(finite)) if all(map(math.isfinite, finite)) else None
    elif pa.types.is_decimal(t):
        decs = [v for v in arr.drop_null().to_pylist()]
        if decs:
            out["min"], out["max"], out["sum"] = str(min(decs)), str(max(decs)), str(sum(decs, Decimal(0)))
    return out


# ---------------------------------------------------------------- one file

def parquet_leaves(path):
    f = pq.ParquetFile(path)
    md = f.metadata
    leaves = []
    for i in range(md.num_columns):
        c = f.schema.column(i)
        leaf = {
            "path": c.path,
            "physical_type": c.physical_type,
            "logical_type": str(c.logical_type),
            "converted_type": c.converted_type,
            "max_definition_level": c.max_definition_level,
            "max_repetition_level": c.max_repetition_level,
        }
        if c.physical_type == "FIXED_LEN_BYTE_ARRAY":
            leaf["type_length"] = c.length
        codecs, encodings = set(), set()
        for rg in range(md.num_row_groups):
            cc = md.row_group(rg).column(i)
            codecs.add(cc.compression)
            encodings.update(cc.encodings)
        leaf["codecs"] = sorted(codecs)
        leaf["encodings"] = sorted(encodings)
        leaves.append(leaf)
    return md, leaves


def column_entry(name, chunked, full):
    n = len(chunked)
    entry = {"name": name, "arrow_type": str(chunked.type), "summary": None}
    arr = chunked.combine_chunks() if not isinstance(chunked, pa.Array) else chunked
    entry["summary"] = summarize(arr)
    if full:
        entry["values"] = json_values(arr)
    else:
        entry["head"] = json_values(arr.slice(0, min(HEAD, n)))
        entry["tail"] = json_values(arr.slice(max(0, n - TAIL), min(TAIL, n)))
    return entry


def describe(path, source, full_limit=0):
    """The expectation for one Parquet file (full values when rows <= full_limit)."""
    out = {"source": source, "generator": GENERATOR}
    try:
        md, leaves = parquet_leaves(path)
        out["num_row_groups"] = md.num_row_groups
        out["row_group_rows"] = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
        out["created_by"] = md.created_by
        out["parquet_leaves"] = leaves
    except Exception as e:  # noqa: BLE001 - the error text is the expectation
        out["pyarrow_error"] = "%s: %s" % (type(e).__name__, e)
        return out
    try:
        table = pq.read_table(path, use_threads=False)
    except Exception as e:  # noqa: BLE001
        out["pyarrow_error"] = "%s: %s" % (type(e).__name__, e)
        return out
    out["num_rows"] = table.num_rows
    full = table.num_rows <= full_limit
    out["columns"] = [column_entry(table.schema.field(i).name, table.column(i), full)
                      for i in range(table.num_columns)]
    try:
        pq.read_table(path, use_threads=False, page_checksum_verification=True)
    except Exception as e:  # noqa: BLE001
        out["pyarrow_error_with_page_checksums"] = "%s: %s" % (type(e).__name__, e)
    return out


def write_json(path, obj):
    text = json.dumps(obj, indent=1, sort_keys=False, ensure_ascii=True, allow_nan=False)
    with open(path, "w") as f:
        f.write(text + "\n")


# ---------------------------------------------------------------- (a) parquet-testing

def expected_for_testing_data():
    out_dir = os.path.join(FIXTURES, "expected")
    os.makedirs(out_dir, exist_ok=True)
    index = []
    for name in sorted(os.listdir(TESTING)):
        if not name.endswith(".parquet"):
            continue
        exp = describe(os.path.join(TESTING, name), "parquet-testing/data/" + name)
        write_json(os.path.join(out_dir, name + ".json"), exp)
        index.append({"file": name, "reads_in_pyarrow": "pyarrow_error" not in exp,
                      "pyarrow_error": exp.get("pyarrow_error"),
                      "num_rows": exp.get("num_rows")})
    write_json(os.path.join(out_dir, "index.json"),
               {"source": "parquet-testing/data/", "generator": GENERATOR, "files": index})
    return len(index)


# ---------------------------------------------------------------- (b) pyarrow-written tables

def rng(seed):
    return random.Random(seed)


def with_nulls(values, r, rate=0.2):
    return [None if r.random() < rate else v for v in values]


def flat_types_table(n=40):
    r = rng(1)
    ints = lambda lo, hi: with_nulls([r.randint(lo, hi) for _ in range(n)], r)  # noqa: E731
    cols = {
        "int8": pa.array(ints(-128, 127), pa.int8()),
        "int16": pa.array(ints(-32768, 32767), pa.int16()),
        "int32": pa.array(ints(-2**31, 2**31 - 1), pa.int32()),
        "int64": pa.array(ints(-2**63, 2**63 - 1), pa.int64()),
        "uint8": pa.array(ints(0, 255), pa.uint8()),
        "uint16": pa.array(ints(0, 65535), pa.uint16()),
        "uint32": pa.array(ints(0, 2**32 - 1), pa.uint32()),
        "uint64": pa.array(ints(0, 2**64 - 1), pa.uint64()),
        "float": pa.array(with_nulls([struct.unpack("<f", struct.pack("<f", r.uniform(-1e6, 1e6)))[0]
                                      for _ in range(n)], r), pa.float32()),
        "double": pa.array(with_nulls([r.uniform(-1e12, 1e12) for _ in range(n)], r), pa.float64()),
        "bool": pa.array(with_nulls([r.random() < 0.5 for _ in range(n)], r), pa.bool_()),
        "string": pa.array(with_nulls(["s%d-%s" % (i, "é" * (i % 4)) for i in range(n)], r), pa.string()),
        "binary": pa.array(with_nulls([bytes(r.randrange(256) for _ in range(i % 7)) for i in range(n)], r),
                           pa.binary()),
        "date32": pa.array(ints(-100000, 100000), pa.date32()),
        "timestamp_ms": pa.array(ints(-2**40, 2**40), pa.timestamp("ms")),
        "timestamp_us": pa.array(ints(-2**50, 2**50), pa.timestamp("us", tz="UTC")),
        "timestamp_ns": pa.array(ints(-2**60, 2**60), pa.timestamp("ns")),
        "decimal_9_2": pa.array(with_nulls([Decimal(r.randint(-10**9 + 1, 10**9 - 1)).scaleb(-2)
                                            for _ in range(n)], r), pa.decimal128(9, 2)),
        "decimal_18_4": pa.array(with_nulls([Decimal(r.randint(-10**18 + 1, 10**18 - 1)).scaleb(-4)
                                             for _ in range(n)], r), pa.decimal128(18, 4)),
        "decimal_30_5": pa.array(with_nulls([Decimal(r.randint(-10**30 + 1, 10**30 - 1)).scaleb(-5)
                                             for _ in range(n)], r), pa.decimal128(30, 5)),
        "float16": pa.array(with_nulls([struct.unpack("<e", struct.pack("<e", r.uniform(-60000, 60000)))[0]
                                        for _ in range(n)], r), pa.float16()),
        "required_int64": pa.array([r.randint(-2**63, 2**63 - 1) for _ in range(n)], pa.int64()),
        "required_double": pa.array([r.uniform(-1, 1) for _ in range(n)], pa.float64()),
        "required_string": pa.array(["req-%03d" % i for i in range(n)], pa.string()),
    }
    fields = [pa.field(k, v.type, nullable=not k.startswith("required_")) for k, v in cols.items()]
    return pa.Table.from_arrays(list(cols.values()), schema=pa.schema(fields))


def nulls_table(n=64):
    r = rng(2)
    return pa.table({
        "all_null_int32": pa.array([None] * n, pa.int32()),
        "no_null_int32": pa.array(list(range(n)), pa.int32()),
        "alternating_double": pa.array([None if i % 2 else i / 4 for i in range(n)], pa.float64()),
        "mostly_null_string": pa.array([("v%d" % i) if r.random() < 0.1 else None for i in range(n)],
                                       pa.string()),
        "all_null_string": pa.array([None] * n, pa.string()),
        "nullable_bool": pa.array([None if i % 3 == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
    })


def lists_table(n=30, width=4):
    r = rng(3)

    def ragged(kind):
        out = []
        for i in range(n):
            if i % 7 == 3:
                out.append(None)
            elif i % 5 == 1:
                out.append([])
            else:
                vals = [r.uniform(-10, 10) for _ in range(r.randint(1, 6))]
                if kind == "float":
                    vals = [struct.unpack("<f", struct.pack("<f", v))[0] for v in vals]
                if i % 11 == 0:
                    vals[0] = None
                out.append(vals)
        return out

    fixed = []
    for i in range(n):
        fixed.append(None if i % 9 == 4 else
                     [struct.unpack("<f", struct.pack("<f", r.uniform(-1, 1)))[0] for _ in range(width)])
    return pa.table({
        "id": pa.array(list(range(n)), pa.int64()),
        "list_float": pa.array(ragged("float"), pa.list_(pa.float32())),
        "list_double": pa.array(ragged("double"), pa.list_(pa.float64())),
        "fixed_list_float4": pa.array(fixed, pa.list_(pa.float32(), width)),
        "list_int64": pa.array([None if i % 6 == 0 else list(range(i % 4)) for i in range(n)],
                               pa.list_(pa.int64())),
        "list_string": pa.array([None if i % 8 == 0 else ["a%d" % k for k in range(i % 3)] for i in range(n)],
                                pa.list_(pa.string())),
    })


def required_vectors_table(n=50, width=8):
    r = rng(4)
    vec = [[struct.unpack("<f", struct.pack("<f", r.gauss(0, 1)))[0] for _ in range(width)] for _ in range(n)]
    schema = pa.schema([
        pa.field("id", pa.int64(), nullable=False),
        pa.field("features", pa.list_(pa.field("element", pa.float32(), nullable=False)), nullable=False),
        pa.field("fixed_features", pa.list_(pa.field("item", pa.float32(), nullable=False), width), nullable=False),
    ])
    return pa.Table.from_arrays([pa.array(list(range(n)), pa.int64()),
                                 pa.array(vec, schema.field(1).type),
                                 pa.array(vec, schema.field(2).type)], schema=schema)


def dict_strings_table(n=120):
    r = rng(5)
    words = ["paper", "author", "venue", "field", "institution", ""]
    col = [None if r.random() < 0.1 else r.choice(words) for _ in range(n)]
    return pa.table({
        "category": pa.array(col, pa.string()),
        "category_dict": pa.array(col, pa.string()).dictionary_encode(),
        "id_int64": pa.array([r.choice([10, 20, 30, -5]) for _ in range(n)], pa.int64()),
        "score_double": pa.array([r.choice([0.5, 1.25, -2.0]) for _ in range(n)], pa.float64()),
    })


def many_rows_table(n=1000):
    r = rng(6)
    return pa.table({
        "id": pa.array(list(range(n)), pa.int64()),
        "label": pa.array([None if i % 13 == 0 else r.random() for i in range(n)], pa.float64()),
        "name": pa.array(["node-%05d" % r.randrange(100000) for _ in range(n)], pa.string()),
        "small": pa.array([r.randrange(10) for _ in range(n)], pa.int32()),
        "flag": pa.array([r.random() < 0.3 for _ in range(n)], pa.bool_()),
        "vec": pa.array([[float(i), float(-i)] for i in range(n)], pa.list_(pa.float32())),
    })


def encodings_table(n=300):
    r = rng(7)
    base = r.randint(-10**12, 10**12)
    return pa.table({
        "dbp_int32": pa.array([r.randint(-1000, 1000) * (i % 3) for i in range(n)], pa.int32()),
        "dbp_int64": pa.array([base + i * 7 + r.randint(-3, 3) for i in range(n)], pa.int64()),
        "dbp_int64_extreme": pa.array([(-2**63) if i % 2 else (2**63 - 1) for i in range(n)], pa.int64()),
        "dlba_string": pa.array([None if i % 17 == 0 else "v%d" % (i * i) for i in range(n)], pa.string()),
        "dba_string": pa.array(["prefix/shared/%04d/%s" % (i // 3, "x" * (i % 5)) for i in range(n)],
                               pa.string()),
        "bss_float": pa.array([struct.unpack("<f", struct.pack("<f", r.gauss(0, 100)))[0] for _ in range(n)],
                              pa.float32()),
        "bss_double": pa.array([None if i % 10 == 0 else r.gauss(0, 1e6) for i in range(n)], pa.float64()),
        "bss_int32": pa.array([r.randint(-2**31, 2**31 - 1) for _ in range(n)], pa.int32()),
        "bss_int64": pa.array([r.randint(-2**63, 2**63 - 1) for _ in range(n)], pa.int64()),
        "bss_float16": pa.array([struct.unpack("<e", struct.pack("<e", r.uniform(-100, 100)))[0]
                                 for _ in range(n)], pa.float16()),
        "rle_bool": pa.array([None if i % 23 == 0 else (i // 10) % 2 == 0 for i in range(n)], pa.bool_()),
    })


ENCODINGS = {
    "dbp_int32": "DELTA_BINARY_PACKED", "dbp_int64": "DELTA_BINARY_PACKED",
    "dbp_int64_extreme": "DELTA_BINARY_PACKED",
    "dlba_string": "DELTA_LENGTH_BYTE_ARRAY", "dba_string": "DELTA_BYTE_ARRAY",
    "bss_float": "BYTE_STREAM_SPLIT", "bss_double": "BYTE_STREAM_SPLIT",
    "bss_int32": "BYTE_STREAM_SPLIT", "bss_int64": "BYTE_STREAM_SPLIT",
    "bss_float16": "BYTE_STREAM_SPLIT", "rle_bool": "RLE",
}


def codec_table(n=200):
    r = rng(8)
    return pa.table({
        "id": pa.array(list(range(n)), pa.int64()),
        "value": pa.array([None if i % 9 == 0 else r.gauss(0, 1) for i in range(n)], pa.float64()),
        "text": pa.array(["row %d %s" % (i, "abc" * (i % 4)) for i in range(n)], pa.string()),
        "vec": pa.array([[float(i % 5)] * 3 for i in range(n)], pa.list_(pa.float32())),
    })


def pyarrow_tables():
    """(name, table, write options, note)."""
    out = [
        ("flat_types", flat_types_table(), {}, "every flat type, nullable with ~20% nulls, plus required columns"),
        ("flat_types_plain_v2", flat_types_table(),
         {"use_dictionary": False, "data_page_version": "2.0"}, "flat types, PLAIN, data page v2"),
        ("nulls", nulls_table(), {}, "null patterns: all null, none, alternating, mostly"),
        ("lists", lists_table(), {}, "list<float>, list<double> (null lists, empty lists, null elements), "
                                     "fixed_size_list<float>[4], list<int64>, list<string>"),
        ("lists_v2", lists_table(), {"data_page_version": "2.0"}, "the lists table with data page v2"),
        ("vectors_required", required_vectors_table(), {}, "required list<float not null> and "
                                                          "fixed_size_list<float not null>[8]"),
        ("dict_strings", dict_strings_table(), {}, "dictionary-encoded strings (string and dictionary<string>) "
                                                   "and dictionary numbers"),
        ("plain_strings", dict_strings_table(), {"use_dictionary": False}, "the same strings, PLAIN"),
        ("row_groups", many_rows_table(), {"row_group_size": 128}, "1000 rows in 8 row groups"),
        ("pages_v1", many_rows_table(), {"data_page_size": 512, "write_batch_size": 64,
                                         "data_page_version": "1.0"}, "many small data pages, v1"),
        ("pages_v2", many_rows_table(), {"data_page_size": 512, "write_batch_size": 64,
                                         "data_page_version": "2.0"}, "many small data pages, v2"),
        ("pages_v2_dict_fallback", many_rows_table(), {"dictionary_pagesize_limit": 256,
                                                       "data_page_version": "2.0"},
         "dictionary overflows to PLAIN within the chunk"),
        ("encodings", encodings_table(), {"use_dictionary": False, "column_encoding": ENCODINGS,
                                          "data_page_size": 1024},
         "DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT, RLE booleans"),
        ("encodings_v2", encodings_table(), {"use_dictionary": False, "column_encoding": ENCODINGS,
                                             "data_page_version": "2.0", "compression": "zstd"},
         "the encodings table, data page v2, zstd"),
        ("int96", pa.table({"ts": pa.array([0, 1, -1, 1_600_000_000_123_456_789, None,
                                            -2_000_000_000_000_000_000], pa.timestamp("ns"))}),
         {"use_deprecated_int96_timestamps": True}, "INT96 timestamps (read back as ns)"),
        ("empty", pa.table({"a": pa.array([], pa.int64()), "s": pa.array([], pa.string())}), {},
         "zero rows"),
    ]
    for codec in ["none", "snappy", "gzip", "zstd", "lz4", "brotli"]:
        out.append(("codec_" + codec, codec_table(), {"compression": codec},
                    "codec %s (lz4 is LZ4_RAW; brotli is expected to be unsupported by Gust)" % codec))
    out.append(("codec_gzip_v2", codec_table(), {"compression": "gzip", "data_page_version": "2.0"},
                "gzip with data page v2"))
    return out


def write_pyarrow_tables():
    out_dir = os.path.join(FIXTURES, "pyarrow")
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for name, table, options, note in pyarrow_tables():
        path = os.path.join(out_dir, name + ".parquet")
        options = dict(options)
        options.setdefault("compression", "snappy")
        pq.write_table(table, path, **options)
        exp = describe(path, "Fixtures/pyarrow/%s.parquet" % name, full_limit=FULL_LIMIT)
        exp["note"] = note
        exp["write_options"] = {k: v for k, v in sorted(options.items())}
        write_json(os.path.join(out_dir, name + ".json"), exp)
        names.append(name)
    return names


def main():
    if not os.path.isdir(TESTING):
        sys.exit("parquet-testing data not found at %s (set PARQUET_TESTING_DATA)" % TESTING)
    n = expected_for_testing_data()
    names = write_pyarrow_tables()
    print("wrote %d expectations for parquet-testing and %d pyarrow tables under %s"
          % (n, len(names), os.path.relpath(FIXTURES, ROOT)))


if __name__ == "__main__":
    main()
