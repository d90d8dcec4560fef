# Build the single executable, then ship it alone on a small glibc runtime as a non-root user.
FROM oven/bun:1.4.5 AS build
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build && mkdir -p /data

# distroless/cc has glibc and libgcc_s, all the binary and libSQL's addon link against; no shell.
FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=build /app/dist/chat-server /app/chat-server
COPY --from=build --chown=nonroot:nonroot /data /data
ENV DATA_DIR=/data HOST=0.0.0.0 PORT=3000
VOLUME /data
EXPOSE 3000
USER nonroot
ENTRYPOINT ["/app/chat-server"]
