#include "slime/modules/canary/state.h"

#include "slime/modules/canary/analysis.h"

namespace slime::canary {
namespace {

using core::Json;

int int_at(const Json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_number_integer() ? j[k].get<int>() : 0;
}
std::string str_at(const Json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
}

std::string summary(const Analysis& a) {
  std::string out;
  for (const auto& c : a.checks)
    if (c.verdict != Verdict::kPass) out += (out.empty() ? "" : "; ") + c.name + ": " + c.message;
  return out;
}

// The status under construction plus the events its changes deserve.
class Machine {
 public:
  Machine(const core::Object& obj, const Release& rel, TimePoint now)
      : obj_(obj), rel_(rel), now_(now), st_(obj.status().is_object() ? obj.status() : Json::object()) {
    phase_ = str_at(st_, "phase");
    step_ = int_at(st_, "step");
    failed_ = int_at(st_, "failedAnalyses");
    weight_ = int_at(st_, "weight");
    if (auto t = str_at(st_, "nextStepTime"); !t.empty()) next_ = parse_time(t);
    // A status edited by hand (or from an older spec with more steps) must not index past the schedule.
    if (step_ < 0 || step_ > static_cast<int>(rel_.steps.size())) step_ = static_cast<int>(rel_.steps.size());
  }

  void enter(const std::string& phase, const char* type, const std::string& reason, const std::string& message) {
    phase_ = phase;
    st_["lastTransitionTime"] = format_time(now_);
    note(type, reason, message);
  }
  void note(const char* type, const std::string& reason, const std::string& message) {
    st_["message"] = message;
    out_.events.push_back({obj_.key(), type, reason, message});
  }
  void schedule_next() { next_ = now_ + rel_.interval; }
  std::string step_text() const {
    return "canary weight " + std::to_string(weight_) + "% (step " + std::to_string(step_) + "/" +
           std::to_string(rel_.steps.size()) + ")";
  }

  void initialize() {
    step_ = failed_ = weight_ = 0;
    next_.reset();
    st_.erase("lastAnalysis");
    enter("Initializing", "Normal", "Initializing", "routing 100% to " + rel_.stable.name + " while the routes are written");
  }

  void start_progressing() {
    step_ = 1;
    weight_ = rel_.steps[0];
    schedule_next();
    enter("Progressing", "Normal", "Progressing", step_text());
  }

  void analyse_now(const core::MetricValues& metrics) {
    Analysis a = analyse(rel_, obj_.ns(), metrics);
    std::string previous_verdict = st_.contains("lastAnalysis") ? str_at(st_["lastAnalysis"], "verdict") : "";
    st_["lastAnalysis"] = analysis_json(a, format_time(now_));
    Verdict v = a.verdict;
    if (v == Verdict::kNoVerdict && rel_.no_data == NoData::kFail) v = Verdict::kFail;
    if (v == Verdict::kPass) {
      if (step_ < static_cast<int>(rel_.steps.size())) {
        ++step_;
        weight_ = rel_.steps[step_ - 1];
        schedule_next();
        note("Normal", "StepAdvanced", step_text() + ": analysis passed");
      } else if (rel_.promotion == Promotion::kAutomatic || rel_.promote) {
        weight_ = 100;
        next_.reset();
        enter("Promoting", "Normal", "Promoting", "analysis passed at the last step: routing 100% to " + rel_.canary.name);
      } else {
        schedule_next();
        const std::string waiting = "analysis passed at the last step; set spec.promote: true to promote";
        if (str_at(st_, "message") != waiting) note("Normal", "AwaitingPromotion", waiting);
      }
      return;
    }
    if (v == Verdict::kFail) {
      ++failed_;
      std::string why = summary(a);
      if (failed_ >= rel_.threshold) {
        weight_ = 0;
        next_.reset();
        enter("RollingBack", "Warning", "RollingBack",
              "failed analyses " + std::to_string(failed_) + "/" + std::to_string(rel_.threshold) + " (" + why +
                  "): routing 100% to " + rel_.stable.name);
      } else {
        schedule_next();
        note("Warning", "AnalysisFailed",
             "failed analyses " + std::to_string(failed_) + "/" + std::to_string(rel_.threshold) + ": " + why);
      }
      return;
    }
    // No verdict, held: the weight stays; say so once per streak rather than every interval.
    schedule_next();
    if (previous_verdict != verdict_name(Verdict::kNoVerdict)) note("Warning", "NoVerdict", "holding " + step_text() + ": " + summary(a));
  }

  Outcome finish(const Observed& observed) {
    st_["phase"] = phase_;
    if (phase_ != "Progressing") next_.reset();  // the only phase with a next step
    int canary = phase_ == "Promoting" || phase_ == "Succeeded" ? 100
                 : phase_ == "Initializing" || phase_ == "RollingBack" || phase_ == "Failed" ? 0
                                                                                               : weight_;
    st_["weight"] = canary;
    st_["step"] = step_;
    st_["failedAnalyses"] = failed_;
    if (next_) st_["nextStepTime"] = format_time(*next_);
    else st_.erase("nextStepTime");
    if (obj_.generation() > 0) st_["observedGeneration"] = obj_.generation();
    Json cond = {{"type", "RoutesConflict"}};
    if (observed.conflict) {
      cond["status"] = "True";
      cond["reason"] = "OtherWriter";
      cond["message"] = *observed.conflict + " already routes this host; the release writes no routes and waits";
    } else {
      cond["status"] = "False";
      cond["reason"] = "RoutesOwned";
    }
    st_["conditions"] = Json::array({std::move(cond)});
    out_.status = std::move(st_);
    out_.canary_weight = canary;
    out_.write_routes = !observed.conflict;
    if (phase_ == "Progressing" && next_) out_.revisit_at = next_;
    return std::move(out_);
  }

  const std::string& phase() const { return phase_; }
  bool due() const { return !next_ || now_ >= *next_; }

 private:
  const core::Object& obj_;
  const Release& rel_;
  TimePoint now_;
  Json st_;
  std::string phase_;
  int step_ = 0, failed_ = 0, weight_ = 0;
  std::optional<TimePoint> next_;
  Outcome out_;
};

bool live_at(const Observed& o, const Release& rel, int canary_weight) {
  if (!o.live_weights) return false;
  auto it = o.live_weights->find(rel.canary.name);
  int live = it == o.live_weights->end() ? 0 : it->second;
  return live == canary_weight;
}

}  // namespace

bool analyses_in(std::string_view phase) { return phase == "Progressing"; }

Outcome advance_release(const core::Object& obj, const Release& rel, const core::MetricValues& metrics,
                        const Observed& observed, TimePoint now) {
  Machine m(obj, rel, now);
  const std::string phase = m.phase();
  if (phase.empty() || (phase != "Initializing" && phase != "Progressing" && phase != "Paused" && phase != "Promoting" &&
                        phase != "Succeeded" && phase != "RollingBack" && phase != "Failed")) {
    m.initialize();
  } else if (observed.conflict) {
    // Nothing moves while someone else routes the host: the weights would not take effect.
  } else if (phase == "Initializing") {
    if (live_at(observed, rel, 0)) m.start_progressing();
  } else if (phase == "Progressing") {
    if (rel.paused) m.enter("Paused", "Normal", "Paused", "spec.paused is true: holding the current weight");
    else if (m.due()) m.analyse_now(metrics);
  } else if (phase == "Paused") {
    if (!rel.paused) {
      m.schedule_next();
      m.enter("Progressing", "Normal", "Resumed", "spec.paused is false: analyses resume");
    }
  } else if (phase == "Promoting") {
    if (live_at(observed, rel, 100)) m.enter("Succeeded", "Normal", "Succeeded", "100% of the traffic goes to " + rel.canary.name);
  } else if (phase == "RollingBack") {
    if (live_at(observed, rel, 0)) m.enter("Failed", "Warning", "RolledBack", "rolled back: 100% of the traffic goes to " + rel.stable.name);
  }
  return m.finish(observed);
}

}  // namespace slime::canary
