#pragma once
// Prometheus mode (spec §5.11): the handler's query for one fence, and its result as status.metricStatus.
#include <map>
#include <string>

#include "slime/core/json.h"

namespace slime::lazyload {

// `$namespace` -> fence namespace, `$source_app` -> fence name.
std::string prometheus_query(const std::string& tmpl, const std::string& ns, const std::string& name);

// An instant vector (JSON array of {metric: {label: value}, value: number|[ts, "v"]}) as metricStatus:
// key = the label set printed like Prometheus' client (`{destination_service="x"}`, labels sorted, `__name__`
// as a prefix), value = the sample value as the shortest decimal string.
std::map<std::string, std::string> metric_status_from_vector(const core::Json& vector);

}  // namespace slime::lazyload
