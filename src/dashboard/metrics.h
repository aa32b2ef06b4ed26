// /metrics: the Prometheus text exposition (format 0.0.4) of a Cluster view (cluster_view.h)
// and this node's migration counters (omxd's op "migrations", "by_direction").
//
// Each metric family is one "# HELP" and one "# TYPE" line followed by its samples; label
// values are escaped (backslash, double quote, newline) as the format requires. Metrics and
// their meaning are listed in docs/api/openapi.yaml (/metrics).
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace omx::dashboard {

// Escapes a label value for the text format.
std::string escape_label_value(std::string_view v);

// cluster: a Cluster object; migrations: {"out":N,"home":N,"in":N} (missing keys are left out).
std::string render_metrics(const nlohmann::json& cluster, const nlohmann::json& migrations);

}  // namespace omx::dashboard
