# syntax=docker/dockerfile:1
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libzmq3-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X github.com/streamgate/streamgate.Version=${VERSION}" -o /out/streamgate ./cmd/streamgate

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libzmq5 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin streamgate
COPY --from=build /out/streamgate /usr/local/bin/streamgate
COPY mediamtx.yml.example /etc/streamgate/streamgate.yml
USER 10001:10001
EXPOSE 8554 1935 8890/udp 8888 8889 9997
ENTRYPOINT ["/usr/local/bin/streamgate"]
CMD ["/etc/streamgate/streamgate.yml"]
