// Merging canonical trees (several -f files, extends) by the Compose
// Specification's rules as compose-go's override package applies them:
// mappings merge key by key, scalars are replaced, sequences are appended
// and then made unique by each attribute's key (ports by ip/published/target/
// protocol, volumes by target, secrets and configs by target, env_file by
// path, most string lists by value: a later entry replaces an earlier one in
// its place); command, entrypoint and healthcheck.test are replaced whole;
// logging is replaced when the driver changes. In the overriding file
// `!reset` removes a key and `!override` replaces it without merging.
#pragma once

#include <string>
#include <vector>

#include "compose/tree.h"

namespace berth::compose {

// base ← override at the project's root.
void merge_trees(Node& base, Node override_tree);
// base ← override for one service (extends: `override` is the extending one).
void merge_service(Node& base, Node override_service);
// Drops the `!reset` nodes left in a tree that merged nothing (one file).
void strip_resets(Node& n);
// Duplicates removed by each attribute's key in every service, as after a
// merge (compose-go's EnforceUnicity runs on a single file too).
void enforce_unique(Node& root);

}  // namespace berth::compose
