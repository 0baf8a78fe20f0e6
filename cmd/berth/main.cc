// berth: the Docker-compatible command line client of berthd.
#include "cli/app.h"

int main(int argc, char** argv) { return berth::cli::main(argc, argv); }
