#include "slime/render/render.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "slime/core/json_diff.h"
#include "slime/core/projection.h"
#include "slime/store/memory_store.h"

namespace slime::render {
namespace {

using core::ObjectKey;

using ObjectPtr = std::shared_ptr<const core::Object>;

// Generated objects are shared, never copied between rounds: at 10,000 resources a round's output is
// hundreds of megabytes of JSON.
struct Round {
  std::map<ObjectKey, ObjectPtr> generated;
  std::map<ObjectKey, core::Json> statuses;
  std::vector<core::Error> problems;
};

bool same(const Round& a, const Round& b) {
  if (a.generated.size() != b.generated.size() || a.statuses.size() != b.statuses.size()) return false;
  for (auto ia = a.generated.begin(), ib = b.generated.begin(); ia != a.generated.end(); ++ia, ++ib)
    if (ia->first != ib->first ||
        (ia->second != ib->second && !core::json_equal(ia->second->json(), ib->second->json())))
      return false;
  for (auto ia = a.statuses.begin(), ib = b.statuses.begin(); ia != a.statuses.end(); ++ia, ++ib)
    if (ia->first != ib->first || !core::json_equal(ia->second, ib->second)) return false;
  return true;
}

// The object as the next round sees it: shared as is, or copied once when a module wrote its status.
ObjectPtr with_status(const ObjectPtr& o, const std::map<ObjectKey, core::Json>& statuses) {
  auto it = statuses.find(o->key());
  if (it == statuses.end()) return o;
  auto copy = std::make_shared<core::Object>(*o);
  copy->json()["status"] = it->second;
  return copy;
}

}  // namespace

void sort_objects(std::vector<core::Object>& objects) {
  std::stable_sort(objects.begin(), objects.end(), [](const core::Object& a, const core::Object& b) {
    return std::make_tuple(a.api_version(), a.kind(), a.ns(), a.name()) <
           std::make_tuple(b.api_version(), b.kind(), b.ns(), b.name());
  });
}

RenderResult render(std::vector<core::Object> inputs, const std::vector<std::unique_ptr<core::Module>>& modules,
                    const core::MetricValues& metrics, const RenderOptions& options) {
  RenderResult result;
  // Modules see their inputs as `slime run` caches them: cut down to what they declare they read, kinds
  // none of them needs left out. A module reading something it did not declare renders differently here,
  // and the golden cases show it.
  std::vector<const core::Module*> plain;
  for (const auto& m : modules) plain.push_back(m.get());
  auto projection = core::Projection::of(plain);
  std::vector<ObjectPtr> input_ptrs;  // as given, for keep_inputs
  std::vector<ObjectPtr> visible;     // as the modules see them
  input_ptrs.reserve(options.keep_inputs ? inputs.size() : 0);
  visible.reserve(inputs.size());
  for (auto& o : inputs) {
    auto gk = o.key().gk;
    bool needed = projection.needed(gk), whole = projection.whole(gk);
    if (needed && whole) {
      auto p = std::make_shared<const core::Object>(std::move(o));
      if (options.keep_inputs) input_ptrs.push_back(p);
      visible.push_back(std::move(p));
      continue;
    }
    if (options.keep_inputs) input_ptrs.push_back(needed ? std::make_shared<const core::Object>(o)
                                                         : std::make_shared<const core::Object>(std::move(o)));
    if (!needed) continue;
    projection.apply(o);
    visible.push_back(std::make_shared<const core::Object>(std::move(o)));
  }
  inputs.clear();

  Round previous;
  bool converged = false;
  for (int round = 1; round <= options.max_rounds; ++round) {
    // The world this round sees: inputs, overlaid by what modules generated last round, with statuses.
    store::MemoryStore world;
    for (const auto& p : visible) world.put(with_status(p, previous.statuses));
    for (const auto& [key, o] : previous.generated) world.put(with_status(o, previous.statuses));

    core::RenderContext ctx{world, metrics, options.now};
    Round current;
    for (const auto& module : modules) {
      for (const auto& key : module->keys(ctx)) {
        core::ModuleOutput out = module->reconcile(ctx, key);
        for (auto& o : out.objects) {
          auto k = o.key();
          if (current.generated.count(k)) {
            core::Error e;
            e.object = o.ref();
            e.message = "rendered twice in one round (module " + std::string(module->kind()) + ", key " + key +
                        "); the later one wins";
            current.problems.push_back(std::move(e));
          }
          // Unchanged since last round: keep last round's copy and free this one at once, so a round
          // that confirms the fixed point costs no extra memory.
          if (auto prev = previous.generated.find(k);
              prev != previous.generated.end() && core::json_equal(prev->second->json(), o.json())) {
            current.generated.insert_or_assign(std::move(k), prev->second);
            continue;
          }
          // Allocated non-const so the final move-out below is legal.
          current.generated.insert_or_assign(std::move(k), std::make_shared<core::Object>(std::move(o)));
        }
        for (auto& s : out.statuses) current.statuses.insert_or_assign(s.key, std::move(s.status));
        for (auto& p : out.problems) current.problems.push_back(std::move(p));
        for (auto& e : out.events) result.events.push_back(std::move(e));
      }
    }
    result.rounds = round;
    bool done = same(previous, current);
    previous = std::move(current);
    if (done) {
      converged = true;
      break;
    }
  }

  std::set<std::string> seen;
  for (auto& p : previous.problems)
    if (seen.insert(p.str()).second) result.problems.push_back(std::move(p));
  if (!converged) {
    core::Error e;
    e.message = "modules did not reach a fixed point after " + std::to_string(options.max_rounds) +
                " rounds; showing the last round";
    result.problems.push_back(std::move(e));
  }
  result.generated.reserve(previous.generated.size());
  for (auto& [key, o] : previous.generated) {
    // Sole owner by now (the last world is gone): move the document out instead of copying it.
    ObjectPtr p = with_status(o, previous.statuses);
    o.reset();
    result.generated.push_back(p.use_count() == 1 ? std::move(const_cast<core::Object&>(*p)) : *p);
  }
  // An input a module also generates (an auto-fence ServiceFence written earlier, now re-rendered) is
  // printed once, as generated: `--all` must not show one object twice.
  if (options.keep_inputs)
    for (const auto& p : input_ptrs)
      if (!previous.generated.count(p->key())) result.inputs.push_back(*with_status(p, previous.statuses));
  sort_objects(result.generated);
  sort_objects(result.inputs);
  return result;
}

}  // namespace slime::render
