import Proto

// Proto and Graph both name a type `SampledEdges`, and the module `Proto` is shadowed by its
// enum `Proto`, so the wire spelling gets an alias in a file that imports only Proto.
typealias WireSampledEdges = SampledEdges
