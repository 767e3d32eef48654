// `gust-trainer` — one training rank, started by `gust train` (usage: `TrainerCommand.usage`).
// Thin: the loop lives in Training; the networked graph access (RemoteAccess) is injected here
// so that Training links no networking.
import Foundation
import RemoteAccess
import Training

exit(TrainerCommand.main(Array(CommandLine.arguments.dropFirst()), remote: ClientGraphAccess.factory))
