// `gust-server` — one graph partition served over the binary protocol. Started by `gust`, never
// by hand; all logic lives in GraphService (`ServerCommand`), which tests import.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GraphService

exit(ServerCommand.main(Array(CommandLine.arguments.dropFirst())))
