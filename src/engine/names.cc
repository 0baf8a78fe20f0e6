#include "engine/names.h"

#include <sys/random.h>

#include <array>
#include <regex>

#include <fmt/format.h>

namespace berth::engine {
namespace {

constexpr std::array kAdjectives = {
    "admiring", "agitated", "amazing", "bold", "brave", "busy", "clever", "cool", "dazzling", "eager",
    "elated", "epic", "festive", "focused", "friendly", "gallant", "gifted", "happy", "hopeful", "jolly",
    "keen", "kind", "loving", "lucid", "modest", "nifty", "optimistic", "peaceful", "quirky", "relaxed",
    "serene", "sharp", "stoic", "sweet", "tender", "trusting", "upbeat", "vibrant", "wizardly", "zealous"};
constexpr std::array kSurnames = {
    "archimedes", "babbage", "bohr", "curie", "darwin", "dijkstra", "einstein", "euclid", "euler", "faraday",
    "fermat", "feynman", "galileo", "gauss", "hamilton", "hopper", "hypatia", "kepler", "knuth", "lamarr",
    "lovelace", "maxwell", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson",
    "torvalds", "turing", "volta", "wiles", "wozniak", "wright", "yalow", "zhukovsky", "lamport", "liskov"};

uint64_t random_u64() {
  uint64_t v = 0;
  while (getrandom(&v, sizeof v, 0) != sizeof v) {
  }
  return v;
}

}  // namespace

std::string new_container_id() {
  std::array<unsigned char, 32> buf{};
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = getrandom(buf.data() + got, buf.size() - got, 0);
    if (n > 0) got += n;
  }
  std::string id;
  for (unsigned char b : buf) id += fmt::format("{:02x}", b);
  // Docker avoids all-numeric short IDs (they read as numbers); so do we.
  if (id.find_first_not_of("0123456789", 0) >= 12) id[0] = 'a';
  return id;
}

Result<std::string> normalize_container_name(const std::string& name) {
  std::string bare = !name.empty() && name[0] == '/' ? name.substr(1) : name;
  static const std::regex valid("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!std::regex_match(bare, valid))
    return fail(Errc::InvalidArgument,
                "Invalid container name (" + bare + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  return "/" + bare;
}

std::string generate_container_name(const std::function<bool(const std::string&)>& taken) {
  for (int attempt = 0;; ++attempt) {
    uint64_t r = random_u64();
    std::string name = fmt::format("/{}_{}", kAdjectives[r % kAdjectives.size()],
                                   kSurnames[(r / kAdjectives.size()) % kSurnames.size()]);
    if (attempt > 10) name += std::to_string(r % 10);
    if (!taken(name)) return name;
  }
}

}  // namespace berth::engine
