# The slime image: one binary for every job (operator, modules, render, proxy). Build with
#   docker build -t slime:latest .
# Stage 1 installs the build packages with the project's own scripts/setup.sh (--build-only) and builds;
# stage 2 installs exactly the Debian packages that provide the libraries the built binary loads
# (scripts/runtime-packages.sh), so the two stages cannot drift apart.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN scripts/setup.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLIME_TESTS=OFF -DSLIME_BENCH=OFF \
    && ninja -C /build slime \
    && strip /build/bin/slime \
    && scripts/runtime-packages.sh /build/bin/slime > /build/runtime-packages

FROM debian:bookworm-slim
COPY --from=build /build/runtime-packages /tmp/runtime-packages
RUN apt-get update -qq \
    && xargs apt-get install -y -qq --no-install-recommends ca-certificates < /tmp/runtime-packages \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages
COPY --from=build /build/bin/slime /usr/local/bin/slime
# A non-root user, as deploy/deployment.yaml runs it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/slime"]
CMD ["--help"]
