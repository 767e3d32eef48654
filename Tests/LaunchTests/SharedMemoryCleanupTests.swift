import Collective
import Foundation
import Net
import XCTest

/// `gust train --num-trainers 4` with a rank killed inside the ring's rendezvous, after it
/// created its shared-memory object and before its neighbours mapped it: the launcher removes
/// the object when the job ends — a rank killed, or SIGTERM to the launcher — and touches no
/// object of another job or name. The /dev/shm listing is the evidence.
///
/// How the rendezvous is held open for real: rank 3 is stopped (SIGSTOP) as soon as it starts,
/// and its ring port file names a listener of this test that takes connections and never
/// answers. Ranks 0–2 enter the ring; rank 1, whose neighbours 0 and 2 both shake hands with it,
/// creates its object, offers it and waits for rank 0's offer, which never comes (rank 0 still
/// waits for rank 3). So rank 1 holds an object no neighbour has mapped (as a rule the only one).
extension LaunchProcessTests {
  struct StuckJob {
    var launcher: Gust.Running
    var tag: String
    var rank1: Int32
    var object: String
    /// Objects made by the test with rank 1's pid under another tag, and with another name.
    var others: [String]
    var listener: Listener
  }

  func jobStuckInsideTheRendezvous() throws -> StuckJob {
    let g = try Gust.Running(train(["--num-trainers", "4", "--num-epochs", "1", "--grace-period", "1",
                                    "--ring-timeout", "60"], local: true), in: Self.root)
    do {
      return try holdRendezvous(g)
    } catch {
      // Whatever failed, the launcher tears its job down (and removes what it left).
      g.process.terminate()
      _ = g.wait(timeout: 30)
      throw error
    }
  }

  private func holdRendezvous(_ g: Gust.Running) throws -> StuckJob {
    let mine = "--workspace \(workspace) "
    let until = Date().addingTimeInterval(60)
    /// Rank r's pid (its `gust __child` shim or, after the exec, gust-trainer; a command line
    /// read in the middle of an exec can come back empty, so it is looked for until found).
    func trainer(_ r: Int) -> (pid: Int32, command: String)? {
      while Date() < until && g.process.isRunning {
        if let line = Gust.processes(mentioning: mine).first(where: { $0.contains("gust-trainer") && $0.contains("--rank \(r) ") }),
           let pid = Int32(line.split(separator: ":")[0]) {
          return (pid, line)
        }
        usleep(2_000)
      }
      return nil
    }
    let stopped = try XCTUnwrap(trainer(3), "rank 3 never started\n\(g.out)\(g.err)").pid
    kill(stopped, SIGSTOP)
    let listener = try Listener(listeningOn: try Endpoint(parsing: "127.0.0.1:0"))
    let port = "\(workspace)/run/ring-3.port"
    try Data("\(listener.endpoint)\n".utf8).write(to: URL(fileURLWithPath: port + ".tmp"))
    XCTAssertEqual(rename(port + ".tmp", port), 0)

    let tag = SharedMemoryObjects.jobTag(runDirectory: workspace + "/run")
    let (rank1, command) = try XCTUnwrap(trainer(1), "rank 1 is not running\n\(g.out)\(g.err)")
    XCTAssertTrue(command.contains("--shm-tag \(tag) "), command)
    var held: String? = nil
    while held == nil && Date() < until && g.process.isRunning {
      held = SharedMemoryObjects.objects(job: tag).first { SharedMemoryObjects.creator(of: $0) == rank1 }
      if held == nil { usleep(5_000) }
    }
    // Rank 1's, as a rule the only one (ranks 0 and 2 also hold theirs if rank 3 was stopped
    // after its handshakes but before its link offer: the test holds either way).
    let objects = SharedMemoryObjects.objects(job: tag)
    XCTAssertTrue((1...3).contains(objects.count), "\(objects)")
    let object = try XCTUnwrap(held, "rank 1 created no shared-memory object\n\(g.out)\(g.err)")
    // The same creator (dead soon) under another job's tag, and an object that is not Gust's.
    let others = ["gust-ring-\(tag)x-\(rank1)-" + String(repeating: "0", count: 32), "gust-launch-test-\(getpid())"]
    for name in others {
      let fd = shm_open("/" + name, O_RDWR | O_CREAT | O_EXCL, 0o600)
      XCTAssertGreaterThanOrEqual(fd, 0, name)
      close(fd)
    }
    addTeardownBlock { for name in others { shm_unlink("/" + name) } }
    return StuckJob(launcher: g, tag: tag, rank1: rank1, object: object, others: others, listener: listener)
  }

  func listing() -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []) }

  func testARankKilledInsideTheRendezvousLeavesNoSharedMemoryOfTheJob() throws {
    let job = try jobStuckInsideTheRendezvous()
    defer { job.listener.close() }
    kill(job.rank1, SIGKILL)
    let r = job.launcher.wait(timeout: 60)
    XCTAssertEqual(r.code, 1, r.all)
    XCTAssertTrue(r.err.contains("gust train: error: trainer 1 (pid \(job.rank1) on 127.0.0.1) was killed by SIGKILL"), r.all)
    XCTAssertTrue(r.err.contains("shared-memory object(s) the job left in /dev/shm: "), r.all)
    XCTAssertTrue(r.err.contains(job.object), r.all)
    XCTAssertEqual(SharedMemoryObjects.objects(job: job.tag), [])
    XCTAssertFalse(listing().contains(job.object))
    XCTAssertTrue(listing().isSuperset(of: job.others), "\(listing())")
  }

  func testSIGTERMToTheLauncherInsideTheRendezvousLeavesNoSharedMemoryOfTheJob() throws {
    let job = try jobStuckInsideTheRendezvous()
    defer { job.listener.close() }
    job.launcher.process.terminate()
    let r = job.launcher.wait(timeout: 60)
    XCTAssertEqual(r.code, 128 + SIGTERM, r.all)
    XCTAssertTrue(r.err.contains("SIGTERM received: stopping 6 process(es)"), r.all)
    XCTAssertTrue(r.err.contains("shared-memory object(s) the job left in /dev/shm: "), r.all)
    XCTAssertTrue(r.err.contains(job.object), r.all)
    XCTAssertEqual(SharedMemoryObjects.objects(job: job.tag), [])
    XCTAssertTrue(listing().isSuperset(of: job.others), "\(listing())")
  }
}
