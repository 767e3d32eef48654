/// Parquet — read what pyarrow and Spark write, write what pyarrow reads.
/// Imports no other project target.
public enum Parquet {}
