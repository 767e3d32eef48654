import Proto

// Proto and Graph both name a type `SampledEdges`; the module `Proto` is shadowed by its enum.
typealias WireSampledEdges = SampledEdges
