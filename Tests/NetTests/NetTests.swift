import Net
import XCTest

final class NetSmokeTests: XCTestCase {
  func testNothingYet() {}
}
