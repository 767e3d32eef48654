/// Proto — Gust's wire format: frame envelope, message kinds and their codecs.
///
/// Pure codecs only: no sockets, no graph or tensor types (docs/ARCHITECTURE.md). The envelope,
/// the message catalogue and the byte layout arrive with the graph-server issue; this target
/// exists now so that the layering is fixed from the first commit.
public enum Proto {}
