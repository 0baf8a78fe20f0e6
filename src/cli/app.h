// The `berth` command line: parses argv (CLI11), runs the command and turns
// its outcome into docker's exit statuses (0, 1, 125 for usage errors).
#pragma once

namespace berth::cli {

int main(int argc, char** argv);

// main() with every command declared whatever argv names (main declares only
// the one invoked): for tests that check both give the same help and flags.
int main_every_command(int argc, char** argv);

}  // namespace berth::cli
