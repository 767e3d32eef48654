// `gust-trainer` — one training rank, started by `gust train` (usage: `TrainerCommand.usage`).
// Thin: everything lives in the Training library.
import Foundation
import Training

exit(TrainerCommand.main(Array(CommandLine.arguments.dropFirst())))
