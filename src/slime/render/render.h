#pragma once
// The one-shot driver behind `slime render`: run every enabled module over a set of input objects until
// nothing changes any more (one module's output can be another's input), then hand back the generated
// objects. No cluster, no clock unless given: the same inputs always give the same output.
#include <chrono>
#include <memory>
#include <vector>

#include "slime/core/module.h"

namespace slime::render {

struct RenderOptions {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  int max_rounds = 10;
  bool keep_inputs = false;  // fill RenderResult::inputs (for `--all`)
};

struct RenderResult {
  std::vector<core::Object> generated;  // sorted by apiVersion, kind, namespace, name; statuses applied
  std::vector<core::Object> inputs;     // with keep_inputs: as given, with the statuses modules wrote for them
  std::vector<core::Error> problems;    // from the final round, de-duplicated
  std::vector<core::ModuleEvent> events;  // every round's, in order (transitions the rounds went through)
  int rounds = 0;
};

// Takes the inputs by value: callers that are done with them std::move them in and save a copy.
RenderResult render(std::vector<core::Object> inputs, const std::vector<std::unique_ptr<core::Module>>& modules,
                    const core::MetricValues& metrics, const RenderOptions& options = {});

// Orders objects the way `slime render` prints them.
void sort_objects(std::vector<core::Object>& objects);

}  // namespace slime::render
