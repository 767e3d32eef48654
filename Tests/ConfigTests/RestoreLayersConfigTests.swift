import XCTest

@testable import Config

/// `restore_model_layers`: GraphStorm's layer names, comma-separated; default every layer.
final class RestoreLayersConfigTests: XCTestCase {
  func testDefaultIsEveryLayer() throws {
    let c = try parse(yaml(tasks: ncTask))
    XCTAssertEqual(c.training.restoreModelLayers, .all)
    XCTAssertTrue(c.training.restoreModelLayers.isAll)
    XCTAssertEqual(c.training.restoreModelLayers.description, "node_embed,edge_embed,gnn,decoder")
  }

  func testParsesNamesAndMapsThemToParts() throws {
    let c = try parse(yaml(globals: "input:\n  restore_model_layers: \"node_embed, gnn\"", tasks: ncTask))
    let l = c.training.restoreModelLayers
    XCTAssertEqual(l.names, [.nodeEmbed, .gnn])
    XCTAssertEqual([l.inputDense, l.sparseEmbeddings, l.gnn, l.decoder], [true, true, true, false])
    XCTAssertFalse(l.isAll)
    XCTAssertTrue(l.includes(parameter: "input.paper.w"))
    XCTAssertTrue(l.includes(parameter: "encoder.layer0.bias"))
    XCTAssertFalse(l.includes(parameter: "decoder.nc.w"))
    XCTAssertFalse(c.warnings.contains { $0.description.contains("restore_model_layers") }, "no longer an ignored key")

    // A flag works as well; a YAML list too. edge_embed maps to nothing in Gust.
    let f = try parse(yaml(tasks: ncTask), overrides: ["--restore-model-layers", "sparse_embed,gnn,decoder,edge_embed"], mode: .infer)
    let fl = f.training.restoreModelLayers
    XCTAssertEqual([fl.inputDense, fl.sparseEmbeddings, fl.gnn, fl.decoder], [false, true, true, true])
    let d = try parse(yaml(globals: "input:\n  restore_model_layers: [dense_embed, decoder]", tasks: ncTask))
    let dl = d.training.restoreModelLayers
    XCTAssertEqual([dl.inputDense, dl.sparseEmbeddings, dl.gnn, dl.decoder], [true, false, false, true])
    XCTAssertTrue(RestoreLayers([.denseEmbed, .sparseEmbed, .gnn, .decoder]).isAll)
  }

  func testUnknownLayerNamesTheKeyAndTheClosestName() {
    let e = assertConfigError(
      .invalidValue, path: "gsf.input.restore_model_layers",
      contains: ["'gnnn' is not a model layer", "did you mean 'gnn'?"]
    ) { try parse(yaml(globals: "input:\n  restore_model_layers: node_embed,gnnn", tasks: ncTask)) }
    XCTAssertEqual(e?.suggestion, "gnn")
    assertConfigError(.invalidValue, path: "--restore-model-layers", contains: ["'decoders'", "did you mean 'decoder'?"]) {
      try parse(yaml(tasks: ncTask), overrides: ["--restore-model-layers", "decoders"])
    }
    assertConfigError(.invalidValue, path: "gsf.input.restore_model_layers", contains: ["'' is not a model layer"]) {
      try parse(yaml(globals: "input:\n  restore_model_layers: \"gnn,\"", tasks: ncTask))
    }
  }
}
