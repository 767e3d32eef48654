import XCTest

@testable import Config

/// Task ids as GraphStorm's `get_mttask_id` forms them (reference §3.5).
final class TaskIDTests: XCTestCase {
  func testSpecExamples() throws {
    let tasks = """
      - node_classification:
          target_ntype: paper
          label_field: label_class
          num_classes: 2
      - link_prediction:
          train_etype: "paper,citing,paper"
          exclude_training_targets: false
      - edge_regression:
          target_etype: ["user,rating,movie"]
          label_field: rate
      - reconstruct_node_feat:
          target_ntype: movie
          reconstruct_nfeat_name: title
      """
    XCTAssertEqual(
      try parse(yaml(tasks: tasks)).tasks.map(\.id),
      [
        "node_classification-paper-label_class", "link_prediction-paper_citing_paper",
        "edge_regression-user_rating_movie-rate", "reconstruct_node_feat-movie-title",
      ])
  }

  func testSHA256() {
    // FIPS 180-2 test vector.
    XCTAssertEqual(
      TaskID.sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  func testLongEdgeTypePartIsCutAndHashed() throws {
    // Expected values computed once with Python's hashlib:
    //   s = "paper_with_a_long_type_name_is_cited_by_another_long_relation_paper_with_a_long_type_name"
    //   s[:64] + hashlib.sha256(s.encode()).hexdigest()[:8]
    //   == "paper_with_a_long_type_name_is_cited_by_another_long_relation_pa398073f4"
    let long = EdgeType(
      "paper_with_a_long_type_name", "is_cited_by_another_long_relation",
      "paper_with_a_long_type_name")
    XCTAssertEqual(long.joined.count, 89)
    XCTAssertEqual(
      TaskID.edgeTypePart([long]),
      "paper_with_a_long_type_name_is_cited_by_another_long_relation_pa398073f4")

    // Three edge types joined by "__" make 65 characters: one over the limit.
    //   s = "paper_citing_paper__paper_written_by_author__author_writing_paper"
    //   s[:64] + hashlib.sha256(s.encode()).hexdigest()[:8]
    let three = [
      EdgeType("paper", "citing", "paper"), EdgeType("paper", "written_by", "author"),
      EdgeType("author", "writing", "paper"),
    ]
    XCTAssertEqual(
      TaskID.edgeTypePart(three),
      "paper_citing_paper__paper_written_by_author__author_writing_pape476a685c")

    // Exactly 64 characters stay whole.
    let edge64 = EdgeType(String(repeating: "a", count: 21), String(repeating: "b", count: 20), String(repeating: "c", count: 21))
    XCTAssertEqual(TaskID.edgeTypePart([edge64]), edge64.joined)

    // Through the parser, in an edge task's id (label kept after the cut part).
    let c = try parse(
      yaml(tasks: """
        - edge_regression:
            target_etype: ["paper_with_a_long_type_name,is_cited_by_another_long_relation,paper_with_a_long_type_name"]
            label_field: w
        - link_prediction:
            train_etype: ["paper,citing,paper", "paper,written_by,author", "author,writing,paper"]
            exclude_training_targets: false
        """))
    XCTAssertEqual(
      c.tasks.map(\.id),
      [
        "edge_regression-paper_with_a_long_type_name_is_cited_by_another_long_relation_pa398073f4-w",
        "link_prediction-paper_citing_paper__paper_written_by_author__author_writing_pape476a685c",
      ])
  }

  func testRawIDsMatchTypedIDs() throws {
    // Overrides find tasks by the id of the untyped block; it must equal the typed id.
    let text = yaml(
      globals: "g:\n  target_ntype: movie",
      tasks: """
        - node_classification:
            label_field: genre
            num_classes: 3
        - node_regression:
            target_ntype: user
            label_field: age
        - edge_classification:
            target_etype: ["user,rating,movie", "movie,rating-rev,user"]
            label_field: stars
            num_classes: 5
        - edge_regression:
            label_field: rate
        - link_prediction:
            exclude_training_targets: false
        - link_prediction:
            train_etype: "user,rating,movie"
            exclude_training_targets: false
        - reconstruct_node_feat:
            reconstruct_nfeat_name: title
        - reconstruct_edge_feat:
            target_etype: ["user,rating,movie"]
            reconstruct_efeat_name: time
        """)
    let raw = try RawConfig(root: try YNode.parse(yaml: text, file: "t"), file: "t")
    let typed = try parse(text).tasks.map(\.id)
    XCTAssertEqual(raw.tasks.map { TaskID.make(raw: $0, globals: raw.globals) }, typed)
    XCTAssertEqual(typed[0], "node_classification-movie-genre")  // inherited target_ntype
    XCTAssertEqual(typed[2], "edge_classification-user_rating_movie__movie_rating-rev_user-stars")  // all listed
    XCTAssertEqual(typed[3], "edge_regression-_N__E__N-rate")
  }
}
