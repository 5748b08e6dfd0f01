// What the delay line does to the frames of one delay fault, and the draw of
// each frame's delay from it. Jitter follows netem's meaning: 'uniform' spreads
// the delay evenly over [delay - jitter, delay + jitter]; 'normal' and 'pareto'
// use jitter as the standard deviation (pareto: shape 3, shifted to mean 0, a
// long tail of late frames). A draw never goes below 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace pk {

enum class DelayDistribution { kUniform, kNormal, kPareto };

struct DelayProfile {
  uint64_t delay_ns = 0;
  uint64_t jitter_ns = 0;
  DelayDistribution distribution = DelayDistribution::kUniform;
  double duplicate = 0;  // probability 0..1 that a frame is sent twice
  double reorder = 0;    // probability 0..1 that a frame is sent at once, ahead of the delayed ones
};

class DelaySampler {
 public:
  explicit DelaySampler(uint64_t seed) : rng_(seed) {}

  // The delay of one frame, ns.
  uint64_t Draw(const DelayProfile& p) {
    if (p.reorder > 0 && Chance(p.reorder)) return 0;
    if (p.jitter_ns == 0) return p.delay_ns;
    double jitter = static_cast<double>(p.jitter_ns);
    double offset;
    switch (p.distribution) {
      case DelayDistribution::kNormal:
        offset = normal_(rng_) * jitter;
        break;
      case DelayDistribution::kPareto: {
        // Pareto(x_m = 1, alpha = 3): mean 1.5, standard deviation sqrt(3)/2.
        double x = std::pow(1.0 - unit_(rng_), -1.0 / 3.0);
        offset = (x - 1.5) / (std::sqrt(3.0) / 2.0) * jitter;
        break;
      }
      default:
        offset = (2.0 * unit_(rng_) - 1.0) * jitter;
    }
    double total = static_cast<double>(p.delay_ns) + offset;
    return total <= 0 ? 0 : static_cast<uint64_t>(total);
  }

  bool Chance(double probability) { return probability > 0 && unit_(rng_) < probability; }

 private:
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  std::normal_distribution<double> normal_{0.0, 1.0};
};

}  // namespace pk
