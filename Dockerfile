# The slime image: one binary for every job (operator, modules, render). Build with
#   docker build -t slime:latest .
# Stage 1 builds with the same Debian packages as scripts/setup.sh; stage 2 keeps only the runtime
# libraries those packages pull in.
FROM debian:bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build pkg-config git ca-certificates \
      libyaml-cpp-dev nlohmann-json3-dev libboost1.74-dev libcurl4-openssl-dev libssl-dev \
      libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc \
      libre2-dev libspdlog-dev libfmt-dev libcli11-dev \
      libgtest-dev libgmock-dev libbenchmark-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    && ninja -C /build slime \
    && strip /build/bin/slime

FROM debian:bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates libyaml-cpp0.7 libcurl4 libssl3 libgrpc++1.51 libprotobuf32 \
      libre2-9 libspdlog1.10 libfmt9 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/slime /usr/local/bin/slime
# A non-root user, as deploy/deployment.yaml runs it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/slime"]
CMD ["--help"]
