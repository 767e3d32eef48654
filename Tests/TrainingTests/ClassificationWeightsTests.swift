import Config
import Model
import XCTest
@testable import Training

/// `imbalance_class_weights` and `multilabel_weights` reach the classification heads' losses.
final class ClassificationWeightsTests: XCTestCase {
  nonisolated(unsafe) static var graph: Synthetic!
  override class func setUp() { graph = try! Synthetic(parts: 1) }
  override class func tearDown() { graph.remove() }

  func testWeightsReachTheLossSpecs() throws {
    let tasks = """
          - node_classification:
              target_ntype: paper
              label_field: label_class
              num_classes: 4
              multilabel: true
              imbalance_class_weights: "1,2,3,4"
              multilabel_weights: "0.5,0,2,1"
              mask_fields: [m_train, m_val, m_test]
          - edge_classification:
              target_etype: ["paper,related,paper"]
              label_field: label_ec
              num_classes: 2
              multilabel: true
              multilabel_weights: [3, 0.25]
              mask_fields: [e_train, e_val, e_test]
      """
    let cfg = try GustConfig.parse(yaml: Synthetic.yaml(tasks: tasks), overrides: ConfigOverrides(), mode: .train)
    let access = try LocalGraphAccess(configPath: Self.graph.configPath)
    let plan = try TrainingPlan.make(config: cfg, graph: access.partitionConfig, mode: .train)
    guard case .nodeClassification(_, let nc) = plan.tasks[0].spec.kind,
      case .edgeClassification(_, _, let ec) = plan.tasks[1].spec.kind
    else { return XCTFail("task kinds") }
    XCTAssertEqual(nc.classWeights, [1, 2, 3, 4])
    XCTAssertEqual(nc.multilabelWeights, [0.5, 0, 2, 1])
    XCTAssertNil(ec.classWeights)
    XCTAssertEqual(ec.multilabelWeights, [3, 0.25])
  }
}
