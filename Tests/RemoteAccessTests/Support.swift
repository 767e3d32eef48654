// The shared synthetic graph (Sources/TestSupport), visible in every file of this target.
@_exported import TestSupport
