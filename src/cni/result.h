// A plugin's ADD result in any of the versions plugins print (0.1.0/0.2.0's
// ip4/ip6 form, 0.3.x/0.4.0's ips with "version", 1.x's), converted to the
// 1.0.0 form, and the pod's addresses and DNS read from it.
#pragma once

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cni/cni.h"

namespace berth::cni {

// The result in the 1.0.0 form ("cniVersion" set to "1.0.0"). InvalidArgument
// naming what is wrong when it is not a result of a known version.
Result<nlohmann::json> result_to_v1(const nlohmann::json& result);

// The addresses of the container's interfaces (those with a "sandbox", or not
// tied to an interface) and the DNS settings of a 1.0.0-form result.
AttachResult attach_result_from_v1(nlohmann::json v1);

}  // namespace berth::cni
