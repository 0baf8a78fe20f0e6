// Networks and the IPv4 addresses handed out on them (schema version 3).
// A network is a JSON document (Docker's network model plus berth's own
// fields) with its id and unique name as columns; an allocation is
// (network, address, owner) with (network, address) as primary key, so an
// address cannot be handed out twice even by racing callers. Every change is
// one transaction: a crash (kill -9) leaves each record before or after it.
// Removing a network removes its allocations (ON DELETE CASCADE).
//
// Thread-safe: calls are serialized on an internal mutex (one connection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/sqlite.h"

namespace berth::metadata {

struct NetworkRow {
  std::string id;    // 64 hex
  std::string name;  // unique, non-empty
  std::string doc;   // JSON
};

struct IpAllocation {
  std::string network_id;
  std::string address;  // as the caller wrote it (berth: dotted IPv4, no prefix)
  std::string owner;    // container id (or any tag the engine chooses)
};

class NetworkStore {
 public:
  // Opens (creating) the database file and applies migrations.
  static Result<NetworkStore> open(const std::string& path);

  // Conflict "network with name X already exists" (or "... id X ...").
  Result<void> insert(const NetworkRow& row);
  // NotFound "network X not found".
  Result<NetworkRow> get(std::string_view id);
  Result<NetworkRow> get_by_name(std::string_view name);
  // Rows whose id starts with `prefix` (any number).
  Result<std::vector<NetworkRow>> by_id_prefix(std::string_view prefix);
  // Docker's lookup of a user's reference: full id, then exact name, then a
  // unique id prefix. NotFound "network X not found"; InvalidArgument
  // "network X is ambiguous (N matches found based on ID prefix)".
  Result<NetworkRow> find(std::string_view ref);
  Result<std::vector<NetworkRow>> list();  // by name
  // NotFound when missing.
  Result<void> update(std::string_view id, std::string_view doc);
  // Removes the network and its allocations; NotFound when missing.
  Result<void> remove(std::string_view id);

  // Records `address` on the network for `owner`. NotFound when the network
  // is missing; Conflict "Address already in use" when taken.
  Result<void> allocate(std::string_view network_id, std::string_view address, std::string_view owner);
  // Reads the network's allocations, asks `choose` for an address and
  // records it, all in one transaction (no other writer in between).
  // `choose` gets the current allocations; its error is returned as is.
  Result<std::string> allocate_with(
      std::string_view network_id, std::string_view owner,
      const std::function<Result<std::string>(const std::vector<IpAllocation>&)>& choose);
  // Missing is fine. Returns whether a row was removed.
  Result<bool> release(std::string_view network_id, std::string_view address);
  // Every address of `owner` on every network; returns how many.
  Result<int64_t> release_owner(std::string_view owner);
  // The same, on one network only.
  Result<int64_t> release_owner(std::string_view network_id, std::string_view owner);
  Result<std::vector<IpAllocation>> allocations(std::string_view network_id);
  Result<std::vector<IpAllocation>> allocations_of(std::string_view owner);

 private:
  explicit NetworkStore(Db db) : db_(std::move(db)), mu_(std::make_unique<std::mutex>()) {}
  Result<bool> exists_locked(std::string_view id);
  Result<void> insert_allocation_locked(std::string_view network_id, std::string_view address,
                                        std::string_view owner);
  Db db_;
  std::unique_ptr<std::mutex> mu_;
};

}  // namespace berth::metadata
